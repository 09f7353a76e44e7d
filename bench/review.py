"""The physician's review on the five-year demo clinic: queue, open, sign, verify; one JSON line each.

    .venv/bin/python bench/review.py [--db FIVE_YEAR.sqlite3] [--samples 30]

1. queue: from opening the review queue until its first rows are in the table, and how much the
   process's peak memory grew by the time the counts and the whole order are read. Build a long backlog with
   `chairside demo --db BACKLOG.sqlite3 --years 2 --unsigned-days 460` (24,437 awaiting signature).
   Reference in the same run: the sqlite3 command-line tool counting the same queue.
2. open: from Enter on a queue row until the review screen shows the whole record (p50/p95).
   Reference in the same run: the sqlite3 command-line tool reading the same session's rows
   (session, doses, vitals, side effects, pain, alerts), per session.
3. sign: from Enter on the PIN until the next session of the queue is shown (p50/p95), and the
   argon2id PIN check alone, which is most of it by design (a PIN must be slow to guess).
4. verify: `audit verify` over the whole clinic (hash chain, every signature and addendum)
   against the sqlite3 tool reading the same rows.
"""

import argparse
import asyncio
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from unittest.mock import patch

from figures import build_five_year_clinic, percentiles

if TYPE_CHECKING:
    from console.store.database import Database

ROOT = Path(__file__).resolve().parent.parent
RECORD_SQL = """
SELECT * FROM treatment_session WHERE id = {sid};
SELECT * FROM dose_administration WHERE session_id = {sid};
SELECT * FROM vital_signs WHERE session_id = {sid} ORDER BY measured_at;
SELECT * FROM side_effect WHERE session_id = {sid};
SELECT * FROM pain_score WHERE session_id = {sid};
SELECT * FROM alert WHERE session_id = {sid};
"""
QUEUE_SQL = """
SELECT count(*) FROM treatment_session s
WHERE s.status = 'discharged' AND NOT EXISTS (SELECT 1 FROM session_signature g WHERE g.session_id = s.id);
"""
VERIFY_SQL = """
SELECT * FROM audit_event ORDER BY id;
SELECT * FROM session_signature ORDER BY session_id;
SELECT * FROM treatment_session ORDER BY id;
SELECT * FROM dose_administration ORDER BY session_id, id;
SELECT * FROM vital_signs ORDER BY session_id, id;
SELECT * FROM side_effect ORDER BY session_id, id;
SELECT * FROM pain_score ORDER BY session_id, id;
SELECT * FROM alert ORDER BY session_id, id;
SELECT * FROM addendum ORDER BY id;
"""


def sqlite3_seconds(db: Path, sql: str) -> float:
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input=sql, capture_output=True, text=True, check=True)
    return time.perf_counter() - started


async def review_session(db_path: Path, samples: int) -> list[dict]:
    from argon2 import PasswordHasher
    from textual.widgets import DataTable

    from app import ChairsideApp
    from console.chair.session_view import SessionView
    from console.clinic.settings import Settings
    from console.clinic.users import authenticate, find_user
    from console.domain.clock import FixedClock
    from console.review.queue import QueueRow
    from console.review.signing import SigningSitting
    from console.store.database import Database, sqlite_url
    from widgets.context import Clinic
    from widgets.review import ReviewScreen
    from widgets.review_queue import ReviewQueueScreen

    clock = FixedClock(datetime.now(UTC))
    db = Database(sqlite_url(db_path), clock)
    app = ChairsideApp(db, Settings())
    marks: dict[str, float] = {}
    original_show = ReviewScreen._show

    def show(screen: ReviewScreen, view: SessionView) -> None:
        original_show(screen, view)
        marks["shown"] = time.perf_counter()

    patch.object(ReviewScreen, "_show", show).start()  # for the rest of the run
    results = []
    async with app.run_test(size=(160, 50)) as pilot:
        assert app.settings is not None
        clinic = Clinic(
            db,
            app.settings,
            authenticate(db, "doctor", "demo-doctor-pass"),
            SigningSitting("doctor", timedelta(minutes=10), last_active=clock.now()),
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        original_rows = ReviewQueueScreen._show

        def rows_shown(screen: ReviewQueueScreen, rows: list[QueueRow], more: bool) -> None:
            original_rows(screen, rows, more)
            marks.setdefault("rows", time.perf_counter())

        patch.object(ReviewQueueScreen, "_show", rows_shown).start()
        started = time.perf_counter()
        app.push_screen(ReviewQueueScreen(clinic))
        while "rows" not in marks:
            await pilot.pause(0.001)
        first_rows_ms = (marks["rows"] - started) * 1000
        queue_screen = app.screen
        assert isinstance(queue_screen, ReviewQueueScreen)
        await app.workers.wait_for_complete()
        table = queue_screen.query_one("#queue", DataTable)
        queued = queue_screen.order[:50]
        assert queue_screen.counts is not None
        reference = sqlite3_seconds(db_path, QUEUE_SQL)
        results.append(
            {
                "bench": "review_queue",
                "sessions_in_clinic": _count(db),
                "queued": queue_screen.counts.awaiting,
                "rows_shown": table.row_count,
                "first_rows_ms": round(first_rows_ms, 1),
                "peak_rss_growth_mb": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before, 1
                ),
                "reference_sqlite3_cli_count_ms": round(reference * 1000, 1),
            }
        )

        opens = []
        for _ in range(samples):
            marks.clear()
            started = time.perf_counter()
            await pilot.press("enter")
            while "shown" not in marks:
                await pilot.pause(0.001)
            opens.append((marks["shown"] - started) * 1000)
            await pilot.press("escape")
            await pilot.pause()
        reference = sqlite3_seconds(db_path, "".join(RECORD_SQL.format(sid=sid) for sid in queued * 10))
        per_session_ms = reference * 1000 / (len(queued) * 10)
        results.append(
            {
                "bench": "review_open",
                "samples": samples,
                **percentiles(opens),
                "reference_sqlite3_cli_per_session_ms": round(per_session_ms, 2),
                "ratio_p50": round(statistics.median(opens) / per_session_ms, 1),
            }
        )

        signs = []
        await pilot.press("enter")
        while "shown" not in marks:
            await pilot.pause(0.001)
        for _ in range(min(samples, len(queued) - 1)):
            marks.clear()
            await pilot.press("f2", "enter", *"2468")
            started = time.perf_counter()
            await pilot.press("enter")
            while "shown" not in marks:
                await pilot.pause(0.001)
            signs.append((marks["shown"] - started) * 1000)
        doctor = find_user(db, "doctor")
        assert doctor is not None and doctor.signing_pin_hash is not None
        pin_hash = doctor.signing_pin_hash
        hasher, checks = PasswordHasher(), []
        for _ in range(10):
            started = time.perf_counter()
            hasher.verify(pin_hash, "2468")
            checks.append((time.perf_counter() - started) * 1000)
        results.append(
            {
                "bench": "review_sign_then_next",
                "samples": len(signs),
                **percentiles(signs),
                "argon2id_pin_check_p50_ms": round(statistics.median(checks), 1),
            }
        )
    db.dispose()
    return results


def _count(db: "Database") -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from console.store.models import TreatmentSession

    with db.read() as session:
        return session.exec(select(func.count()).select_from(TreatmentSession)).one()


def verify(db_path: Path) -> dict:
    from console.review.integrity import verify_record
    from console.store.database import Database, sqlite_url

    db = Database(sqlite_url(db_path))
    started = time.perf_counter()
    report = verify_record(db)
    chain, signed = report.chain, report.signed
    seconds = time.perf_counter() - started
    db.dispose()
    reference = sqlite3_seconds(db_path, f".output /dev/null\n{VERIFY_SQL}")
    return {
        "bench": "audit_verify",
        "events": chain.events,
        "signatures": signed.signatures,
        "intact": report.intact,
        "seconds": round(seconds, 2),
        "reference_sqlite3_cli_reading_same_rows_s": round(reference, 2),
        "ratio": round(seconds / reference, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a five-year demo clinic (built when omitted; never changed)")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "clinic.sqlite3"
        if args.db is None:
            build_five_year_clinic(copy)
        else:
            shutil.copy(args.db, copy)  # signing changes the clinic: never the caller's own file
        print(json.dumps(verify(copy)), flush=True)
        for line in asyncio.run(review_session(copy, args.samples)):
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
