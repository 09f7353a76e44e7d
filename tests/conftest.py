"""Fixtures: every database test runs on SQLite and on a real PostgreSQL server started here."""

import itertools
import os
from datetime import UTC, datetime

import pytest

from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.vocab import Role
from console.store.database import Database, sqlite_url
from console.store.schema import ensure_schema
from tests import pg_server
from tests.terminal import terminal  # noqa: F401  (a fixture: a real terminal, for the end-to-end tests)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 10:00 in the clinic's zone used by the tests
BACKENDS = ("sqlite", "postgresql")
TEST_KEY = bytes(range(32))  # the clinic key of the tests' databases
_names = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
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


def _fast_hasher():
    """argon2id still, at the lowest cost: a test checks thousands of passwords and PINs."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL cluster per test process; a failure to start fails the tests, never skips them."""
    server = pg_server.start()
    template = f"chairside_template_{os.getpid()}"
    url = server.create_database(template)
    template_db = Database(url)
    ensure_schema(template_db)
    template_db.dispose()
    server.template = template
    yield server
    server.stop()


def make_database(backend: str, tmp_path, request, clock=None) -> Database:
    """A new clinic whose audit events are keyed with TEST_KEY, as a console's are with its key."""
    if backend == "sqlite":
        url = sqlite_url(tmp_path / f"clinic-{next(_names)}.sqlite3")
        db = Database(url, clock)
        ensure_schema(db)
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
def backend(request) -> str:
    return request.param


@pytest.fixture
def db(backend, tmp_path, request, clock):
    database = make_database(backend, tmp_path, request, clock)
    yield database
    database.dispose()


@pytest.fixture
def staff(db) -> dict[str, Actor]:
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


def new_clinic_file(path) -> str:
    """A clinic created as `chairside init` creates one (administrator `admin`); its path."""
    from console.clinic.settings import load_settings
    from console.clinic.setup import create_clinic

    admin = {"username": "admin", "display_name": "Office Administrator", "password": ADMIN_PASSWORD}
    create_clinic(sqlite_url(path), load_settings().key_file, admin, "test")
    return str(path)


DEMO_DAY = datetime(2026, 11, 26).date()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    """A small demo clinic built once; each UI test works on its own copy."""
    from zoneinfo import ZoneInfo

    from console.demo.builder import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as patch:  # its staff's secrets check as fast as the tests' own
        patch.setattr("console.clinic.users._hasher", _fast_hasher)
        build_demo(sqlite_url(path), today=DEMO_DAY, years=0.1, seed=11, zone=ZoneInfo("America/Chicago"))
    return path


@pytest.fixture(scope="session")
def demo_template(request, demo_file) -> str:
    """The same demo clinic on PostgreSQL, built once as a template each test copies."""
    from zoneinfo import ZoneInfo

    from console.demo.builder import build_demo

    server = request.getfixturevalue("postgres")
    name = f"demo_template_{os.getpid()}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("console.clinic.users._hasher", _fast_hasher)
        build_demo(
            server.create_database(name), today=DEMO_DAY, years=0.1, seed=11, zone=ZoneInfo("America/Chicago")
        )
    return name


def demo_clinic_url(backend: str, tmp_path, request) -> str:
    """A fresh copy of the demo clinic on `backend`, for consoles of one clinic to share."""
    import shutil

    if backend == "sqlite":
        copy = tmp_path / f"clinic-{next(_names)}.sqlite3"
        shutil.copy(request.getfixturevalue("demo_file"), copy)
        return sqlite_url(copy)
    server, template = request.getfixturevalue("postgres"), request.getfixturevalue("demo_template")
    return server.create_database(f"demo_{os.getpid()}_{next(_names)}", template=template)


def console_on(url: str, clock: FixedClock):
    """A ChairsideApp on the clinic at `url`, reading the time from `clock`."""
    from app import ChairsideApp
    from console.clinic.settings import Settings

    settings = Settings(clinic_name="Lakeside Pain Clinic", timezone="America/Chicago")
    return ChairsideApp(Database(url, clock), settings)


@pytest.fixture
def two_consoles(tmp_path, request):
    """Two workstations of one clinic: two ChairsideApps on one PostgreSQL database, as a clinic
    with several workstations runs, their clocks one clock (11:30 clinic time on the demo day).
    The refusals they show come from the services, whose conflict tests run on both backends."""
    from zoneinfo import ZoneInfo

    url = demo_clinic_url("postgresql", tmp_path, request)
    clock = FixedClock(datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("America/Chicago")))
    consoles = (console_on(url, clock), console_on(url, clock))
    yield consoles
    for console in consoles:
        console.db.dispose()


@pytest.fixture
def demo_app(demo_file, tmp_path):
    """A ChairsideApp on a copy of the demo clinic, at 11:30 clinic time on the demo day."""
    import shutil
    from zoneinfo import ZoneInfo

    from app import ChairsideApp
    from console.clinic.settings import Settings

    copy = tmp_path / "clinic.sqlite3"
    shutil.copy(demo_file, copy)
    clock = FixedClock(datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("America/Chicago")))
    db = Database(sqlite_url(copy), clock)
    settings = Settings(clinic_name="Lakeside Pain Clinic", timezone="America/Chicago")
    yield ChairsideApp(db, settings)
    db.dispose()
