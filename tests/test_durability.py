"""Nothing confirmed is lost: writers killed mid-flight, and several writers racing on one record."""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from console.domain.actors import Actor
from console.domain.clock import SystemClock
from console.store import audit
from console.store.database import Database, sqlite_url
from console.store.models import VitalSigns
from console.store.schema import ensure_schema
from tests.conftest import TEST_KEY
from tests.factories import checked_in_session

ROOT = Path(__file__).resolve().parent.parent
KILLS = 30


def _worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workers", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.xdist_group("durability")
def test_sigkill_at_random_points_loses_no_acknowledged_write(
    tmp_path: Path, staff_sqlite: tuple[str, int]
) -> None:
    url, session_id = staff_sqlite
    rng = random.Random(20261126)
    acknowledged: set[int] = set()
    for _ in range(KILLS):
        writer = _worker("vitals", url, str(session_id))
        assert writer.stdout is not None and writer.stderr is not None
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        time.sleep(rng.uniform(0.0, 0.25))
        writer.send_signal(signal.SIGKILL)
        output, _ = writer.communicate()
        acknowledged.update(int(line) for line in output.split() if line.isdigit())
    db = Database(url)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    with db.read() as session:
        stored = set(session.exec(select(VitalSigns.id)))
        report = audit.verify_chain(session, TEST_KEY)
    assert len(acknowledged) > KILLS  # the writers really were mid-stream when killed
    assert acknowledged <= stored
    assert report.intact


@pytest.fixture
def staff_sqlite(tmp_path: Path) -> tuple[str, int]:
    """A SQLite clinic with real time (the writers run on the system clock) and one checked-in session."""
    from console.clinic.users import create_user
    from console.domain.actors import Actor
    from console.domain.vocab import Role

    db = Database(sqlite_url(tmp_path / "durable.sqlite3"), SystemClock())
    db.audit_key = TEST_KEY
    ensure_schema(db)
    user = create_user(
        db,
        Actor.system("test"),
        {"username": "nina", "display_name": "Nina", "role": "nurse", "password": "long enough pw"},
    )
    nurse = Actor("nina", Role.NURSE, user.id, "Nina")
    from console.domain.clock import FixedClock

    db.clock = FixedClock(SystemClock().now())
    row = checked_in_session(db, nurse)
    db.dispose()
    return db.url, row.id


@pytest.mark.slow
@pytest.mark.xdist_group("durability")
@pytest.mark.parametrize("writers, updates", [(4, 15)])
def test_concurrent_writers_lose_no_update(
    db: Database, staff: dict[str, Actor], tmp_path: Path, writers: int, updates: int
) -> None:
    row = checked_in_session(db, staff["nina"])
    start = tmp_path / "go"
    processes = [
        _worker("notes", db.url, str(row.id), f"w{n}", str(updates), str(start)) for n in range(writers)
    ]
    time.sleep(1.5)  # let every worker connect and sign in
    start.touch()
    outputs = [process.communicate(timeout=240) for process in processes]
    for process, (_, errors) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, errors
    with db.read() as session:
        notes = session.execute(
            text("SELECT notes, version FROM treatment_session WHERE id = :id"), params={"id": row.id}
        ).one()
    lines = [line for line in notes[0].split("\n") if line]
    expected = {f"w{n}-{i}" for n in range(writers) for i in range(updates)}
    assert sorted(lines) == sorted(expected)  # every update kept, none twice
    assert notes[1] == row.version + writers * updates
    with db.read() as session:
        assert audit.verify_chain(session, TEST_KEY).intact
    conflicts = sum(int(out.split()[-1]) for out, _ in outputs)
    print(f"{conflicts} stale writes were refused and retried")


def test_unreachable_server_is_a_clear_storage_error(tmp_path: Path) -> None:
    from console.domain.errors import StorageError
    from console.store.schema import current_revision

    db = Database(f"postgresql+psycopg://chairside@/none?host={tmp_path}&port=5432")
    with pytest.raises(StorageError, match="database is unavailable") as refused:
        current_revision(db)
    assert "\n" not in str(refused.value)


def test_failed_transaction_leaves_nothing_behind(db: Database, staff: dict[str, Actor]) -> None:
    """A failure in the middle of a write (here: the audit append) rolls back the clinical row too."""
    from unittest import mock

    from console.chair import charting
    from console.domain.errors import StorageError
    from tests.factories import vitals_data

    row = checked_in_session(db, staff["nina"])
    with db.read() as session:
        before = session.execute(text("SELECT count(*) FROM audit_event")).one()[0]
    disk_full = OSError(28, "No space left on device")
    with (
        mock.patch("console.store.audit.canonical_event", side_effect=disk_full),
        pytest.raises(StorageError, match="No space left"),
    ):
        charting.record_vitals(db, staff["nina"], row.id, vitals_data(db))
    with db.read() as session:
        assert session.exec(select(VitalSigns)).all() == []
        assert session.execute(text("SELECT count(*) FROM audit_event")).one()[0] == before
