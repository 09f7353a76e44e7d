"""The whole CSV set of a one-year demo clinic from PostgreSQL against the same clinic on SQLite.

    .venv/bin/python bench/export_postgresql.py [--years 1] [--runs 3]

Both clinics are built with the same seed, so they hold the same records. PostgreSQL runs in a
throwaway cluster on a private socket directory (as in the tests), on this machine, so the ratio
shows the cost of the client-server round trips and types, not of a network. Each export runs in
a fresh process (written by --jobs worker processes); the medians of --runs runs of each, taken
in turn. One JSON line.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_EXPORT = """
import json, sys, time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo
from console.store.database import Database
from console.export.files import export
from console.export.request import ExportRequest

def peak_mb():  # this process's own high-water mark: ru_maxrss would start at the parent's size
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
db = Database(sys.argv[1])
started = time.perf_counter()
request = ExportRequest(date(2000, 1, 1), date(2100, 1, 1), Path(sys.argv[2]))
manifest = export(db, "bench", request, ZoneInfo("UTC"), jobs=int(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - started, "rows": manifest.rows,
                  "peak_rss_mb": peak_mb()}))
"""


def exported(url: str, out: Path, jobs: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", ONE_EXPORT, url, str(out), str(jobs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=1.0, help="years of the demo clinic")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side; the medians are compared")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes writing each export")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from console.demo.builder import build_demo
    from console.store.database import sqlite_url
    from tests import pg_server

    today = date.today()
    run_folder = pg_server.new_run_folder()  # as a test run's: a later run stops a server a kill left
    try:
        server = pg_server.start(run_folder / "pg")
        with tempfile.TemporaryDirectory() as folder:
            urls = {
                "sqlite": sqlite_url(Path(folder) / "clinic.sqlite3"),
                "postgresql": server.create_database("bench_export"),
            }
            for url in urls.values():
                build_demo(url, today=today, years=args.years, seed=7)
            seconds: dict[str, list[float]] = {backend: [] for backend in urls}
            figures: dict[str, dict] = {}
            for run in range(args.runs):
                for backend, url in urls.items():
                    figures[backend] = exported(url, Path(folder) / f"{backend}-{run}", args.jobs)
                    seconds[backend].append(figures[backend]["seconds"])
    finally:
        pg_server.end_run(run_folder)  # the server stopped and its folder removed
    if figures["sqlite"]["rows"] != figures["postgresql"]["rows"]:
        raise SystemExit(
            f"the two clinics differ: {figures['sqlite']['rows']} != {figures['postgresql']['rows']}"
        )
    sqlite_s, postgresql_s = statistics.median(seconds["sqlite"]), statistics.median(seconds["postgresql"])
    print(
        json.dumps(
            {
                "bench": "export_csv_postgresql",
                "years": args.years,
                "runs": args.runs,
                "jobs": args.jobs,
                "rows": sum(figures["sqlite"]["rows"].values()),
                "sqlite_s": round(sqlite_s, 2),
                "postgresql_s": round(postgresql_s, 2),
                "ratio": round(postgresql_s / sqlite_s, 2),
                "sqlite_peak_rss_mb": round(figures["sqlite"]["peak_rss_mb"], 1),
                "postgresql_peak_rss_mb": round(figures["postgresql"]["peak_rss_mb"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
