"""`audit verify` at one, five and ten years of demo clinic: time and peak memory; one JSON line each.

    .venv/bin/python bench/audit_verify.py [--years 1 5 10] [--dir FOLDER]

Each clinic is built once into FOLDER (a temporary folder when omitted; a ten-year clinic takes a
few minutes to build) with its own clinic key. The check runs in a fresh process, as the command
does, once in one process and once with the machine's cores (`--jobs`); the peak resident memory
is the largest of those processes' own. Reference in the same run: the sqlite3
command-line tool reading every row of every table (the same rows) to /dev/null.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    "user_account",
    "patient",
    "treatment_session",
    "pain_score",
    "dose_administration",
    "infusion_event",
    "vital_signs",
    "side_effect",
    "alert",
    "override",
    "session_signature",
    "addendum",
    "review_return",
    "audit_event",
]
CHECK = """
import json, sys
from pathlib import Path
from console.review.integrity import verify_record
from console.store.audit_key import read_key
from console.store.database import Database, sqlite_url
db = Database(sqlite_url(Path(sys.argv[1])))
db.audit_key = read_key(Path(sys.argv[2]))
report = verify_record(db, jobs=int(sys.argv[3]))
print(json.dumps({"intact": report.intact and report.complete, "rows": report.rows.rows,
                  "events": report.chain.events, "signatures": report.signed.signatures}))
"""


BUILD = """
import sys
from pathlib import Path
from console.demo.builder import build_demo
from console.store.database import sqlite_url
build_demo(sqlite_url(Path(sys.argv[1])), today=date(2026, 11, 26), years=int(sys.argv[3]), seed=7,
           key_file=Path(sys.argv[2]))
"""


def build(folder: Path, years: int) -> tuple[Path, Path]:
    """The clinic, built in a process of its own: this one stays small, so the peak memory measured
    in the check's process is the check's (a process forked from a large one starts large)."""
    path, key = folder / f"clinic-{years}y.sqlite3", folder / f"clinic-{years}y.key"
    if not path.exists():
        subprocess.run([sys.executable, "-c", BUILD, str(path), str(key), str(years)], cwd=ROOT, check=True)
    return path, key


def checked(path: Path, key: Path, jobs: int) -> tuple[dict, float, float]:
    """What the check found, its seconds, and the largest peak memory (MB) of the processes that ran it."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHECK, str(path), str(key), str(jobs)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    assert process.stdout is not None and status == 0, "the check failed"
    return json.loads(process.stdout.read()), seconds, usage.ru_maxrss / 1024


def sqlite3_seconds(path: Path) -> float:
    sql = ".output /dev/null\n" + "".join(f"SELECT * FROM {table};\n" for table in TABLES)
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(path)], input=sql, text=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--dir", type=Path, help="where the clinics are built (kept between runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for years in args.years:
            path, key = build(folder, years)
            reference = sqlite3_seconds(path)
            for jobs in sorted({1, min(4, os.cpu_count() or 1)}):
                found, seconds, peak_mb = checked(path, key, jobs)
                line = {"bench": "audit_verify", "years": years, "jobs": jobs, **found}
                line |= {"seconds": round(seconds, 2), "peak_mb_per_process": round(peak_mb)}
                line |= {
                    "reference_sqlite3_cli_s": round(reference, 2),
                    "ratio": round(seconds / reference, 1),
                }
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
