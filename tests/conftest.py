"""Fixtures: every database test runs on SQLite and on a real PostgreSQL server started here.

What is costly is made once per test run and shared by every worker process: a migrated SQLite
clinic and a migrated PostgreSQL template that each test copies, the demo clinic on both, and the
PostgreSQL server itself. The first worker to need one builds it while the others wait.
"""

import atexit
import fcntl
import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from console.domain.actors import Actor
from console.domain.clock import Clock, FixedClock
from console.domain.vocab import Role
from console.store.database import Database, sqlite_url
from console.store.schema import ensure_schema
from tests import pg_server
from tests.terminal import terminal  # noqa: F401  (a fixture: a real terminal, for the end-to-end tests)

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from app import ChairsideApp

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 10:00 in the clinic's zone used by the tests
BACKENDS = ("sqlite", "postgresql")
TEST_KEY = bytes(range(32))  # the clinic key of the tests' databases
_names = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's own settings or data, and passwords hash quickly (still argon2id)."""
    for key in list(os.environ):
        if key.startswith("CHAIRSIDE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CHAIRSIDE_CONFIG", str(tmp_path / "no-settings.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))  # the system-wide settings
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the error log
    import console.clinic.users

    monkeypatch.setattr(console.clinic.users, "_hasher", _fast_hasher)


@pytest.fixture(autouse=True)
def _keys_held_as_long_as_a_busy_test_machine_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test machine running several suites at once can take longer to open a step than the
    console holds typed keys on a slow PC; dropping held keys is tested with its own short hold."""
    import widgets.key_queue

    monkeypatch.setattr(widgets.key_queue, "HOLD_SECONDS", 60.0)


@pytest.fixture(autouse=True)
def _pilot_waits_for_the_key_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot's waits (after a key, a click, a pause) include the console's own queue of keys: a key
    it holds while a step opens has not been typed anywhere yet."""
    from textual.pilot import Pilot

    from tests.ui import keys_taken

    wait_for_screen = Pilot._wait_for_screen

    async def wait_for_keys_then_screen(self: Pilot[None], timeout: float = 30.0) -> bool:
        await keys_taken(self.app)
        return await wait_for_screen(self, timeout)

    monkeypatch.setattr(Pilot, "_wait_for_screen", wait_for_keys_then_screen)


def _fast_hasher() -> "PasswordHasher":
    """argon2id still, at the lowest cost: a test checks thousands of passwords and PINs."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class _WorkerNode(Protocol):
    """What the hook below uses of an xdist worker (xdist.workermanage.WorkerController, untyped)."""

    workerinput: dict[str, object]
    config: pytest.Config


RUN_FOLDER = "chairside_run_folder"  # the key under which workers are told the run's folder


def pytest_configure(config: pytest.Config) -> None:
    """The run's owner (the controller, or the only process) makes the run's folder."""
    if hasattr(config, "workerinput"):
        return
    pg_server.stop_stale_runs()
    folder = pg_server.new_run_folder()
    config.stash[_run_folder] = folder
    atexit.register(pg_server.end_run, folder)  # also when the run ends without unconfigure
    pg_server.interrupt_on_sigterm()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: _WorkerNode) -> None:
    """Each xdist worker is told the run's folder."""
    node.workerinput[RUN_FOLDER] = str(node.config.stash[_run_folder])


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and _run_folder in config.stash:
        pg_server.end_run(config.stash[_run_folder])


_run_folder = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def run_folder(pytestconfig: pytest.Config) -> Path:
    """The folder every process of this test run shares."""
    if hasattr(pytestconfig, "workerinput"):
        return Path(pytestconfig.workerinput[RUN_FOLDER])
    return pytestconfig.stash[_run_folder]


@contextmanager
def first_one_builds(marker: Path) -> Iterator[bool]:
    """Held by one process of the run at a time; True when `marker` is still to be made."""
    with open(marker.with_name(marker.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield not marker.exists()


@pytest.fixture(scope="session")
def postgres(run_folder: Path) -> pg_server.PgServer:
    """The run's PostgreSQL server with a migrated template; a failure to start fails the tests,
    never skips them. The run's owner stops it at the end."""
    root, failed = run_folder / "pg", run_folder / "pg.failed"
    with first_one_builds(run_folder / "pg.ready") as first:
        if failed.exists():  # an earlier worker of this run could not start it: the same reason, here too
            raise RuntimeError(failed.read_text())
        if not first:
            return pg_server.attach(root)
        try:
            server = pg_server.start(root)
            template_db = Database(server.create_database(server.template))
            ensure_schema(template_db)
            template_db.dispose()
        except Exception as error:
            failed.write_text(f"PostgreSQL for the tests did not start: {error}")
            raise
        (run_folder / "pg.ready").touch()
    return server


@pytest.fixture(scope="session")
def sqlite_template(run_folder: Path) -> Path:
    """A migrated SQLite clinic with no one in it, which each test's database is a copy of."""
    path = run_folder / "template.sqlite3"
    with first_one_builds(path) as first:
        if first:
            building = path.with_suffix(".building")
            template = Database(sqlite_url(building))
            ensure_schema(template)
            template.dispose()  # its last connection closed: the file holds everything, no WAL beside it
            building.rename(path)
    return path


def make_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, clock: Clock | None = None
) -> Database:
    """A new clinic whose audit events are keyed with TEST_KEY, as a console's are with its key."""
    if backend == "sqlite":
        path = tmp_path / f"clinic-{next(_names)}.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        db = Database(sqlite_url(path), clock)
    else:
        server = request.getfixturevalue("postgres")
        url = server.create_database(f"t{os.getpid()}_{next(_names)}", template=server.template)
        db = Database(url, clock)
    db.audit_key = TEST_KEY
    return db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db(backend: str, tmp_path: Path, request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Database]:
    """A new clinic; after the test, its record must break none of the clinical rules."""
    database = make_database(backend, tmp_path, request, clock)
    yield database
    try:
        keeps_the_rules(database, request)
    finally:
        database.dispose()


def keeps_the_rules(database: Database, request: pytest.FixtureRequest) -> None:
    """The record a test leaves breaks none of the clinical rules (unless marked `breaks_rules`)."""
    from console.domain.protocol import Protocol
    from console.review.record_rules import broken_rules

    if request.node.get_closest_marker("breaks_rules") is None:
        broken = [str(b) for b in broken_rules(database, Protocol())]
        assert broken == [], "the record breaks a clinical rule:\n" + "\n".join(broken)


@pytest.fixture
def staff(db: Database) -> dict[str, Actor]:
    """A nurse, a second nurse (waste witness), a physician and an admin."""
    from console.clinic.users import create_user

    people = {}
    for username, role in (
        ("nina", "nurse"),
        ("marcus", "nurse"),
        ("priya", "physician"),
        ("office", "admin"),
    ):
        user = create_user(
            db,
            Actor.system("test"),
            {
                "username": username,
                "display_name": username.title(),
                "role": role,
                "password": "long enough pw",
            },
        )
        people[username] = Actor(
            username=username, role=Role(user.role), user_id=user.id, display_name=user.display_name
        )
    return people


ADMIN_PASSWORD = "admin password 1"


def new_clinic_file(path: Path) -> str:
    """A clinic created as `chairside init` creates one (administrator `admin`); its path."""
    from console.clinic.settings import load_settings
    from console.clinic.setup import create_clinic

    admin = {"username": "admin", "display_name": "Office Administrator", "password": ADMIN_PASSWORD}
    create_clinic(sqlite_url(path), load_settings().key_file, admin, "test")
    return str(path)


DEMO_DAY = datetime(2026, 11, 26).date()


def _build_small_demo(url: str) -> None:
    from zoneinfo import ZoneInfo

    from console.demo.builder import build_demo

    with pytest.MonkeyPatch.context() as patch:  # its staff's secrets check as fast as the tests' own
        patch.setattr("console.clinic.users._hasher", _fast_hasher)
        build_demo(url, today=DEMO_DAY, years=0.1, seed=11, zone=ZoneInfo("America/Chicago"))


@pytest.fixture(scope="session")
def demo_file(run_folder: Path) -> Path:
    """A small demo clinic built once per run; each UI test works on its own copy."""
    path = run_folder / "demo.sqlite3"
    with first_one_builds(path) as first:
        if first:
            building = path.with_suffix(".building")
            _build_small_demo(sqlite_url(building))
            building.rename(path)
    return path


@pytest.fixture(scope="session")
def demo_template(run_folder: Path, postgres: pg_server.PgServer) -> str:
    """The same demo clinic on PostgreSQL, built once per run as a template each test copies."""
    name = "demo_template"
    with first_one_builds(run_folder / "demo-pg.ready") as first:
        if first:
            _build_small_demo(postgres.create_database(name))
            (run_folder / "demo-pg.ready").touch()
    return name


def demo_clinic_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh copy of the demo clinic on `backend`, for consoles of one clinic to share."""
    if backend == "sqlite":
        copy = tmp_path / f"clinic-{next(_names)}.sqlite3"
        shutil.copyfile(request.getfixturevalue("demo_file"), copy)
        return sqlite_url(copy)
    server, template = request.getfixturevalue("postgres"), request.getfixturevalue("demo_template")
    return server.create_database(f"demo_{os.getpid()}_{next(_names)}", template=template)


def console_on(url: str, clock: FixedClock) -> "ChairsideApp":
    """A ChairsideApp on the clinic at `url`, reading the time from `clock`."""
    from app import ChairsideApp
    from console.clinic.settings import Settings

    settings = Settings(clinic_name="Lakeside Pain Clinic", timezone="America/Chicago")
    return ChairsideApp(Database(url, clock), settings)


@pytest.fixture
def two_consoles(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple["ChairsideApp", "ChairsideApp"]]:
    """Two workstations of one clinic: two ChairsideApps on one PostgreSQL database, as a clinic
    with several workstations runs, their clocks one clock (11:30 clinic time on the demo day).
    The refusals they show come from the services, whose conflict tests run on both backends."""
    from zoneinfo import ZoneInfo

    url = demo_clinic_url("postgresql", tmp_path, request)
    clock = FixedClock(datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("America/Chicago")))
    consoles = (console_on(url, clock), console_on(url, clock))
    yield consoles
    for console in consoles:
        assert console.db is not None
        console.db.dispose()


@pytest.fixture
def demo_app(demo_file: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator["ChairsideApp"]:
    """A ChairsideApp on a copy of the demo clinic, at 11:30 clinic time on the demo day."""
    from zoneinfo import ZoneInfo

    from app import ChairsideApp
    from console.clinic.settings import Settings

    copy = tmp_path / "clinic.sqlite3"
    shutil.copyfile(demo_file, copy)
    clock = FixedClock(datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("America/Chicago")))
    db = Database(sqlite_url(copy), clock)
    settings = Settings(clinic_name="Lakeside Pain Clinic", timezone="America/Chicago")
    yield ChairsideApp(db, settings)
    try:
        keeps_the_rules(db, request)
    finally:
        db.dispose()
