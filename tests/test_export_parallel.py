"""The CSV set written by several processes at once: the files one process writes, every worker
reading the one moment the export began at, and a worker that dies failing the export (a worker's
disk or database failing: tests/test_export.py, for one process and for workers alike)."""

import csv
import multiprocessing.dummy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

import console.export.parallel
from console.chair import charting
from console.domain.actors import Actor
from console.domain.errors import StorageError
from console.export.catalogue import file_names
from console.export.files import export
from console.export.local_time import LocalTimes
from console.export.modes import Mode
from console.export.parallel import Task, default_jobs, workers
from console.export.request import ExportRequest
from console.store.database import Database
from console.store.models import VitalSigns
from tests.factories import a_rems_session, a_whole_record, discharged_session, vitals_data

ZONE = ZoneInfo("America/Chicago")


def _export(db: Database, tmp_path: Path, folder: str, jobs: int, mode: Mode = Mode.IDENTIFIED) -> Path:
    day = db.clock.now().astimezone(ZONE).date()
    export(db, "office", ExportRequest(day, day, tmp_path / folder, mode=mode), ZONE, jobs=jobs)
    return tmp_path / folder


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers as threads of this process, so a test can reach into what they run."""
    monkeypatch.setattr(console.export.parallel, "process_context", lambda: multiprocessing.dummy)


@pytest.mark.slow
def test_worker_processes_write_byte_for_byte_the_files_one_process_writes(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    a_whole_record(db, staff, "kept")
    a_rems_session(db, staff["marcus"], mrn="MRN-2002")
    one = _export(db, tmp_path, "one", jobs=1)
    many = _export(db, tmp_path, "many", jobs=3)
    for name in file_names():
        assert (many / name).read_bytes() == (one / name).read_bytes(), name
    assert (many / "datapackage.json").read_bytes() == (one / "datapackage.json").read_bytes()
    assert sorted(path.name for path in many.iterdir()) == sorted(path.name for path in one.iterdir())


@pytest.mark.slow
def test_a_safe_harbor_set_written_by_processes_links_its_files_by_the_same_session_codes(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    a_whole_record(db, staff, "kept")
    a_rems_session(db, staff["marcus"], mrn="MRN-2002")
    out = _export(db, tmp_path, "many", jobs=2, mode=Mode.SAFE_HARBOR)
    sessions = {row["session_key"] for row in _rows(out / "sessions.csv")}
    assert len(sessions) == 2
    for name in ("vitals.csv", "side_effects.csv", "rems_monitoring.csv", "billing.csv"):
        keys = {row["session_key"] for row in _rows(out / name)}
        assert keys and keys <= sessions, name  # one set of codes, made once, reached every worker


def test_every_worker_reads_the_moment_the_export_began_whatever_is_charted_meanwhile(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: None
) -> None:
    """A reading confirmed after the workers began, before any of them read a file, is in no file."""
    import console.export.local_time

    row = discharged_session(db, staff["nina"])
    local_times = console.export.local_time.LocalTimes
    charted: list[VitalSigns] = []

    def a_nurse_charts_as_a_worker_sets_out(zone: ZoneInfo) -> LocalTimes:
        if not charted:
            charted.append(charting.record_vitals(db, staff["nina"], row.id, vitals_data(db, systolic=121)))
        return local_times(zone)

    monkeypatch.setattr(console.export.local_time, "LocalTimes", a_nurse_charts_as_a_worker_sets_out)
    out = _export(db, tmp_path, "many", jobs=2)
    assert charted and [r["systolic"] for r in _rows(out / "vitals.csv")] == ["128", "128"]  # not the 121


class _Unloadable:
    """Crosses to a new process and stops it there, as a worker that dies before it can say why."""

    def __reduce__(self) -> tuple[Callable[[], NoReturn], tuple[()]]:
        return (_die, ())


def _die() -> NoReturn:
    raise SystemExit(3)


@pytest.mark.slow
def test_a_worker_process_that_dies_fails_the_export_instead_of_waiting_forever(tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    dies_on_arrival: Any = _Unloadable()  # where the worker's zone goes
    task = Task("sqlite:///nowhere.sqlite3", ExportRequest(today, today, tmp_path), dies_on_arrival, {})
    stopped = r"an export process stopped unexpectedly \(exit code 3\)"
    with pytest.raises(StorageError, match=stopped), workers(task, 2):
        pass  # the workers never become ready


def test_a_reading_saved_while_the_workers_begin_waits_and_is_in_no_file(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: None
) -> None:
    """Between the export's own first read and its workers' a nurse saves a reading: SQLite cannot
    name a moment, so the save waits until every worker has begun (a moment's wait at the chair)."""
    import threading
    import time

    import console.export.files

    row = discharged_session(db, staff["nina"])
    shared_moment = console.export.files.shared_moment
    nurse = threading.Thread(
        target=lambda: charting.record_vitals(db, staff["nina"], row.id, vitals_data(db, systolic=121))
    )

    def a_nurse_saves_as_the_export_begins(session: Session) -> str | None:
        moment = shared_moment(session)
        nurse.start()
        time.sleep(0.3)  # long enough for the save to commit, were writes not held
        return moment

    monkeypatch.setattr(console.export.files, "shared_moment", a_nurse_saves_as_the_export_begins)
    out = _export(db, tmp_path, "many", jobs=2)
    nurse.join()
    assert [r["systolic"] for r in _rows(out / "vitals.csv")] == ["128", "128"]  # the 121 was saved after
    with db.read() as session:
        assert session.exec(select(VitalSigns).where(VitalSigns.systolic == 121)).one()  # and it was kept


def test_a_month_or_less_is_written_by_one_process_a_longer_range_by_one_per_core() -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC).date()
    month, year = (
        ExportRequest(day, day + timedelta(days=30), Path()),
        ExportRequest(day, day + timedelta(days=365), Path()),
    )
    assert default_jobs(month, cores=8) == 1
    assert (
        default_jobs(year, cores=2) == 2
        and default_jobs(year, cores=16) == 4
        and default_jobs(year, cores=None) == 1
    )
    assert default_jobs(ExportRequest(day, day + timedelta(days=365), Path(), format="fhir"), cores=8) == 1
