"""Build the five-year demo clinic and print its build time and size as one JSON line.

Reference measured in the same run: the sqlite3 command-line tool inserting the same number of
session and vitals rows (generated in SQL, no application code), so the ratio shows what the
application's row generation, validation and audit cost on top of SQLite itself.

    .venv/bin/python bench/demo_build.py [--years 5] [--seed 7]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from console.demo.builder import build_demo
from console.store.database import Database, sqlite_url
from console.store.models import TreatmentSession, VitalSigns

REFERENCE_SQL = """
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
CREATE TABLE s (id INTEGER PRIMARY KEY, clinic_date TEXT, chair TEXT, method TEXT, status TEXT,
                pain_before INT, pain_after INT, created_at TEXT);
CREATE TABLE v (id INTEGER PRIMARY KEY, session_id INT REFERENCES s(id), measured_at TEXT, systolic INT,
                diastolic INT, heart_rate INT, spo2 INT, resp_rate INT, moaas INT, recorded_at TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {sessions})
INSERT INTO s SELECT i, date('2021-11-26', '+' || (i % 1826) || ' days'), i % 8, 'iv_infusion', 'discharged',
    abs(random()) % 11, abs(random()) % 11, datetime('now') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {vitals})
INSERT INTO v SELECT i, 1 + i % {sessions}, datetime('now'), 100 + abs(random()) % 60,
    60 + abs(random()) % 30, 60 + abs(random()) % 40, 95 + abs(random()) % 6, 12 + abs(random()) % 6, 5,
    datetime('now') FROM n;
CREATE INDEX v_session ON v(session_id);
COMMIT;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.sqlite3"
        summary = build_demo(sqlite_url(path), today=date(2026, 11, 26), years=args.years, seed=args.seed)
        db = Database(sqlite_url(path))
        with db.read() as session:
            sessions = session.exec(select(func.count()).select_from(TreatmentSession)).one()
            vitals = session.exec(select(func.count()).select_from(VitalSigns)).one()
        db.dispose()
        size_mb = path.stat().st_size / 1e6
        reference = Path(folder) / "reference.sqlite3"
        started = time.perf_counter()
        subprocess.run(
            ["sqlite3", str(reference)],
            input=REFERENCE_SQL.format(sessions=sessions, vitals=vitals),
            text=True,
            check=True,
            capture_output=True,
        )
        reference_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "bench": "demo_build",
                "years": args.years,
                "sessions": sessions,
                "vitals": vitals,
                "patients": summary.patients,
                "seconds": summary.seconds,
                "size_mb": round(size_mb, 1),
                "reference_sqlite3_seconds": round(reference_s, 2),
                "ratio": round(summary.seconds / reference_s, 2),
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
