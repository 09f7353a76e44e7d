"""`chairside schedule import` of a large file: time, peak memory, and the longest another workstation
waited to write meanwhile; one JSON line per import.

    .venv/bin/python bench/schedule_import.py [--rows 100000] [--dir FOLDER]

A new clinic is made with `chairside init`; the file books ROWS appointments over the next year
(a fifth as many patients, each booked five times). The import runs as the real command in its own
process (its peak resident memory is its own); the same file is then imported again (it books
nothing). Meanwhile another connection, as another workstation would, takes SQLite's write lock
every 50 ms and gives it back at once: its longest wait is the longest any write was blocked.
Reference in the same run: the sqlite3 command-line tool importing the same file into a table.
"""

import argparse
import json
import os
import sqlite3
import subprocess
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAIRSIDE = ROOT / ".venv" / "bin" / "chairside"
SLOTS = [(chair, hour) for hour in range(8, 20) for chair in range(1, 29)]  # 336 bookings a day
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _word(number: int) -> str:
    """A name made of letters only, different for each number."""
    text = ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        text = LETTERS[digit] + text
    return text.capitalize()


def write_schedule(path: Path, rows: int, first_day: date) -> None:
    patients = max(rows // 5, 1)
    with path.open("w", newline="") as out:
        out.write("date,time,chair,mrn,name,date_of_birth,method\n")
        for i in range(rows):
            day = first_day + timedelta(days=i // len(SLOTS))
            chair, hour = SLOTS[i % len(SLOTS)]
            k = i % patients
            birth = date(1940, 1, 1) + timedelta(days=(k * 7) % 20000)
            method = "IV" if k % 4 else "nasal"
            out.write(
                f'{day},{hour:02d}:00,{chair},MRN{k:07d},"{_word(k)}, {_word(k + 7919)}",{birth},{method}\n'
            )


class WriteProbe:
    """Another workstation: takes the write lock every 50 ms; remembers the longest wait for it."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.longest = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        connection = sqlite3.connect(self.database, timeout=600, isolation_level=None)
        while not self.stop.is_set():
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            self.longest = max(self.longest, time.perf_counter() - started)
            self.stop.wait(0.05)
        connection.close()

    def __enter__(self) -> "WriteProbe":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


def run_measured(argv: list[str], env: dict) -> tuple[float, float, str]:
    """Seconds, peak resident MB of the process itself, and what it printed."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {output.strip()}")
    return seconds, usage.ru_maxrss / 1024, output.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="chairside-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "CHAIRSIDE_CONFIG": str(home / "none.toml")}
    env |= {"CHAIRSIDE_SCHEDULE_HORIZON_DAYS": "3650"}  # the file may run past a year at many rows
    clinic = folder / "clinic.sqlite3"
    subprocess.run(
        [CHAIRSIDE, "--db", clinic, "init", "--name", "Office", "--password-stdin"],
        input="bench password 1\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    schedule = folder / "schedule.csv"
    write_schedule(schedule, args.rows, date.today() + timedelta(days=1))

    reference = folder / "reference.sqlite3"
    started = time.perf_counter()
    subprocess.run(["sqlite3", reference, ".import --csv " + str(schedule) + " schedule"], check=True)
    sqlite3_seconds = time.perf_counter() - started

    for run in ("first", "again"):
        with WriteProbe(clinic) as probe:
            seconds, peak_mb, said = run_measured(
                [str(CHAIRSIDE), "--db", str(clinic), "schedule", "import", str(schedule)], env
            )
        figures = {
            "bench": "schedule_import",
            "run": run,
            "rows": args.rows,
            "seconds": round(seconds, 1),
            "rows_per_second": round(args.rows / seconds),
            "peak_rss_mb": round(peak_mb),
            "longest_write_wait_s": round(probe.longest, 2),
            "sqlite3_cli_import_s": round(sqlite3_seconds, 2),
            "ratio_to_sqlite3_cli": round(seconds / sqlite3_seconds, 1),
            "said": said.splitlines()[-1] if said else "",
        }
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
