"""The whole five-year demo clinic exported as CSV: rows per second and peak memory, one JSON line each.

    .venv/bin/python bench/export.py [--db FIVE_YEAR.sqlite3]

1. sessions.csv alone, rows per second, against the sqlite3 command-line tool writing the
   equivalent query (the same joins and per-session aggregates) as CSV in the same run;
   the medians of --runs runs of each, taken in turn.
2. the whole CSV set in a fresh process: seconds and peak resident memory (its own VmHWM), against
   the sqlite3 command-line tool running the very SELECTs the export ran (caught as they went to
   the database, their parameters written in) with each result written as CSV; medians of --runs.
   Written by --jobs worker processes (the command line's default on this machine), and by one
   process; with the CPU seconds of the workers and the export together, as the CLI uses one core.
3. the FHIR bundle of the clinic's last year, the same way (the whole five years would be
   several gigabytes of JSON).
4. how long a CSV set written by worker processes holds SQLite's writes while they begin.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from figures import build_five_year_clinic

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SQL = """
.mode csv
.headers on
.output {out}
SELECT s.clinic_date, s.id, s.chair, p.mrn, p.family_name || ', ' || p.given_name, s.method,
       d.drug, d.dose_mg, d.mg_per_kg, d.rate, s.checked_in_at, s.discharged_at, s.pain_before,
       s.pain_after, e.summary, e.grade, a.n, o.n, s.status, n.display_name, g.display_name,
       sig.signed_at, sig.meaning, ad.n
FROM treatment_session s JOIN patient p ON p.id = s.patient_id
LEFT JOIN user_account n ON n.id = s.nurse_id
LEFT JOIN session_signature sig ON sig.session_id = s.id
LEFT JOIN user_account g ON g.id = sig.signer_id
LEFT JOIN (SELECT session_id, min(drug) drug, sum(dose_mg) dose_mg, sum(mg_per_kg) mg_per_kg,
                  max(rate_mg_per_kg_h) rate FROM dose_administration GROUP BY session_id) d
       ON d.session_id = s.id
LEFT JOIN (SELECT session_id, group_concat(effect || ' (grade ' || grade || ')', '; ') summary,
                  max(grade) grade FROM side_effect GROUP BY session_id) e ON e.session_id = s.id
LEFT JOIN (SELECT session_id, count(*) n FROM alert GROUP BY session_id) a ON a.session_id = s.id
LEFT JOIN (SELECT session_id, count(*) n FROM override GROUP BY session_id) o ON o.session_id = s.id
LEFT JOIN (SELECT session_id, count(*) n FROM addendum GROUP BY session_id) ad ON ad.session_id = s.id
WHERE s.clinic_date BETWEEN '{first}' AND '{last}'
ORDER BY s.clinic_date, s.scheduled_time, s.id;
"""
WHOLE_SET = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo
from console.store.database import Database, sqlite_url
from console.export.files import export
from console.export.request import ExportRequest

def peak_mb():  # this process's own high-water mark: ru_maxrss would start at the parent's size
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
def cpu_s():  # this process's and its finished workers' user and system time
    both = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(usage.ru_utime + usage.ru_stime for usage in both)
db = Database(sqlite_url(Path(sys.argv[1])))
caught = []
if len(sys.argv) > 7:  # catch the SELECTs the export runs, for the reference to run the same
    from sqlalchemy import event

    @event.listens_for(db.engine, "before_cursor_execute")
    def catch(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            caught.append([statement, list(parameters or ())])
started, cpu = time.perf_counter(), cpu_s()
first, last = date.fromisoformat(sys.argv[3]), date.fromisoformat(sys.argv[4])
request = ExportRequest(first, last, Path(sys.argv[2]), format=sys.argv[5])
manifest = export(db, "bench", request, ZoneInfo("UTC"), jobs=int(sys.argv[6]))
seconds, cpu = time.perf_counter() - started, cpu_s() - cpu
if len(sys.argv) > 7:
    Path(sys.argv[7]).write_text(json.dumps(caught, default=str))
worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker's
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": manifest.rows,
                  "peak_rss_mb": peak_mb(), "worker_peak_rss_mb": worker_mb}))
"""


def sessions_only(db: Path, folder: Path, first: date, last: date, runs: int) -> dict:
    """Median of `runs` exports of sessions.csv and of `runs` reference runs, alternating."""
    from zoneinfo import ZoneInfo

    from console.export import rows as export_rows
    from console.export.csv_files import write_csv
    from console.export.local_time import LocalTimes
    from console.export.request import ExportRequest
    from console.store.database import Database, sqlite_url

    database = Database(sqlite_url(db))
    request = ExportRequest(first, last, folder)
    times = LocalTimes(ZoneInfo("UTC"))
    ours, reference, rows = [], [], 0
    sql = REFERENCE_SQL.format(out=folder / "reference.csv", first=first, last=last)
    for _ in range(runs):
        with database.read() as session:
            started = time.perf_counter()
            records = export_rows.sessions(session, first, last)
            rows = write_csv(
                folder / "sessions.csv",
                "sessions.csv",
                records,
                request,
                times,
                None,
                {},
            )
            ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(["sqlite3", str(db)], input=sql, text=True, check=True, capture_output=True)
        reference.append(time.perf_counter() - started)
    database.dispose()
    seconds, reference_s = statistics.median(ours), statistics.median(reference)
    return {
        "bench": "export_sessions_csv",
        "rows": rows,
        "runs": runs,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "reference_sqlite3_cli_s": round(reference_s, 2),
        "reference_rows_per_s": round(rows / reference_s),
        "ratio": round(seconds / reference_s, 2),
    }


def in_fresh_process(
    db: Path,
    folder: Path,
    first: date,
    last: date,
    export_format: str,
    jobs: int = 1,
    caught: Path | None = None,
) -> dict:
    """One whole export in its own process, so that its peak memory is its own."""
    arguments = [
        str(db),
        str(folder / export_format),
        first.isoformat(),
        last.isoformat(),
        export_format,
        str(jobs),
    ]
    out = subprocess.run(
        [sys.executable, "-c", WHOLE_SET, *arguments, *([str(caught)] if caught else [])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    figures = json.loads(out)
    return {
        "bench": f"export_{export_format}",
        "from": first.isoformat(),
        "to": last.isoformat(),
        "jobs": jobs,
        "rows": figures["rows"],
        "seconds": round(figures["seconds"], 1),
        "cpu_seconds": round(figures["cpu_seconds"], 1),
        "rows_per_s": round(sum(figures["rows"].values()) / figures["seconds"]),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "worker_peak_rss_mb": round(figures["worker_peak_rss_mb"], 1) if jobs > 1 else None,
    }


def whole_set(db: Path, folder: Path, first: date, last: date, runs: int, jobs: int) -> dict:
    """The whole CSV set, `runs` times in turn: by one process (its SELECTs caught), by `jobs`
    worker processes, and by the sqlite3 CLI running the same SELECTs on its one core."""
    one, many, reference, figures = [], [], [], {}
    caught = folder / "caught.json"
    for run in range(runs):
        one.append(in_fresh_process(db, folder / f"one-{run}", first, last, "csv", 1, caught))
        figures = in_fresh_process(db, folder / f"many-{run}", first, last, "csv", jobs)
        many.append(figures)
        script = _cli_script(json.loads(caught.read_text()), folder / f"reference-{run}")
        started = time.perf_counter()
        subprocess.run(["sqlite3", str(db)], input=script, text=True, check=True, capture_output=True)
        reference.append(time.perf_counter() - started)
    reference_s = statistics.median(reference)

    def median(results: list[dict], key: str) -> float:
        return statistics.median(result[key] for result in results)

    return figures | {
        "runs": runs,
        "queries": len(json.loads(caught.read_text())),
        "reference_sqlite3_cli_s": round(reference_s, 1),
        "seconds": median(many, "seconds"),
        "ratio": round(median(many, "seconds") / reference_s, 2),
        "cpu_seconds": median(many, "cpu_seconds"),
        "cpu_ratio": round(median(many, "cpu_seconds") / reference_s, 2),  # the CLI uses one core throughout
        "peak_rss_mb": max(result["peak_rss_mb"] for result in many),
        "worker_peak_rss_mb": max(result["worker_peak_rss_mb"] or 0 for result in many),
        "one_process_seconds": median(one, "seconds"),
        "one_process_ratio": round(median(one, "seconds") / reference_s, 2),
        "one_process_peak_rss_mb": max(result["peak_rss_mb"] for result in one),
    }


def writes_held(db: Path, folder: Path, last: date, runs: int, jobs: int) -> dict:
    """How long nurses' saves wait while an export's workers begin (SQLite holds writes then):
    `runs` exports of the last 60 days, the hold timed around console.store.moments.writes_held."""
    from collections.abc import Iterator
    from contextlib import contextmanager
    from zoneinfo import ZoneInfo

    import console.export.files as export
    from console.export.request import ExportRequest
    from console.store.database import Database, sqlite_url

    held: list[float] = []
    holding = export.writes_held

    @contextmanager
    def timed(database: Database) -> Iterator[None]:
        with holding(database):
            started = time.perf_counter()
            yield
            held.append(time.perf_counter() - started)

    export.writes_held = timed  # type: ignore[assignment]
    database = Database(sqlite_url(db))
    for run in range(runs):
        request = ExportRequest(last - timedelta(days=59), last, folder / f"held-{run}")
        export.export(database, "bench", request, ZoneInfo("UTC"), jobs=max(2, jobs))
    database.dispose()
    export.writes_held = holding
    return {
        "bench": "export_writes_held",
        "jobs": max(2, jobs),
        "runs": runs,
        "held_ms": [round(seconds * 1000, 1) for seconds in held],
        "median_ms": round(statistics.median(held) * 1000, 1),
    }


def _cli_script(caught: list, out: Path) -> str:
    """The export's SELECTs for the sqlite3 CLI, each writing its rows to a CSV file of its own."""
    out.mkdir()
    lines = [".mode csv", ".headers on"]
    for number, (statement, parameters) in enumerate(caught):
        lines += [f".output {out / f'{number}.csv'}", _with_values(statement, parameters) + ";"]
    return "\n".join(lines) + "\n"


def _with_values(statement: str, parameters: list) -> str:
    """The statement with each `?` outside a quoted string replaced by its value as an SQL literal."""
    values = iter(parameters)
    written, quoted = [], False
    for char in statement:
        if char == "'":
            quoted = not quoted
        written.append(_literal(next(values)) if char == "?" and not quoted else char)
    return "".join(written)


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(int(value) if isinstance(value, bool) else value)
    return "'" + str(value).replace("'", "''") + "'"


def _last_day(db: Path) -> date:
    query = "SELECT max(clinic_date) FROM treatment_session;"
    out = subprocess.run(["sqlite3", str(db), query], capture_output=True, text=True, check=True).stdout
    return date.fromisoformat(out.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a five-year demo clinic (built when omitted)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side; the medians are compared")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="worker processes (default: as the CLI's)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or build_five_year_clinic(Path(folder) / "five-years.sqlite3")
        first, last = date(2000, 1, 1), date(2100, 1, 1)
        print(json.dumps(sessions_only(db, Path(folder), first, last, args.runs)), flush=True)
        print(json.dumps(whole_set(db, Path(folder), first, last, args.runs, args.jobs)), flush=True)
        last_day = _last_day(db)
        year = (last_day - timedelta(days=364), last_day)
        print(json.dumps(in_fresh_process(db, Path(folder), *year, "fhir")), flush=True)
        print(json.dumps(writes_held(db, Path(folder), last_day, args.runs, args.jobs)), flush=True)


if __name__ == "__main__":
    main()
