"""Connections: where the database is, how SQLite is made durable, and transactions.

Reads and writes go through `Database.read()` / `Database.write()`. On SQLite a write begins
IMMEDIATE so a second writer waits for the lock instead of failing half-way; every connection
runs in WAL mode with synchronous=FULL so a confirmed write survives a power cut.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from console.domain.clock import Clock, SystemClock
from console.domain.errors import ConfigurationError, InvalidInput, StorageError
from console.store.private_files import make_owner_only

BUSY_TIMEOUT_MS = 30_000


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL, with Chairside's connection settings."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"database URL is not valid: {url!r}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url, parsed.database)
        return create_engine(url, pool_pre_ping=True, connect_args=_connect_args(parsed.get_backend_name()))
    except (NoSuchModuleError, ImportError):
        raise ConfigurationError(
            f"database URL names a driver Chairside does not have: {parsed.drivername}"
        ) from None


def _connect_args(backend: str) -> dict:
    return {"connect_timeout": 10} if backend == "postgresql" else {}


def _sqlite_engine(url: str, database: str | None) -> Engine:
    # The folder is never made here: a clinic is created on purpose (see console.clinic.setup).
    path = Path(database).expanduser().resolve() if database and database != ":memory:" else None
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Hand transaction control to SQLAlchemy's begin event below (pysqlite quirk).
        dbapi_connection.isolation_level = None
        if path is not None:  # before WAL mode: SQLite gives the WAL and SHM files the database's mode
            for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                make_owner_only(file)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("chairside_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The clinic's store: an engine, the clock used for every timestamp, and transactions."""

    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._write_engine = self.engine.execution_options(chairside_write=True)
        self._read_engine = self.engine
        if self.backend == "postgresql":
            self._read_engine = self.engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        self.clock: Clock = clock or SystemClock()
        # The clinic key every audit event written through this database is keyed with (None: plain
        # SHA-256, as before the clinic had a key); see console.store.audit_key.
        self.audit_key: bytes | None = None

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work that sees the record as it was at its first read, whatever is
        committed meanwhile, so the parts of what it reads agree (a view and its hash, a file and
        the next, rows and their trail).

        SQLite's reads in one transaction do so already (WAL); PostgreSQL's default, READ COMMITTED,
        lets each statement see what was committed since the last one, hence REPEATABLE READ there.
        """
        with translate_errors(), Session(self._read_engine, expire_on_commit=False) as session:
            yield session  # closing releases the connection; rows read stay loaded

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        with translate_errors(), Session(self._write_engine, expire_on_commit=False) as session:
            session.info["audit_key"] = self.audit_key  # audit.KEY_INFO
            session.begin()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver failures into StorageError / InvalidInput with a message a person can read."""
    try:
        yield
    except IntegrityError as exc:
        raise InvalidInput("record", f"the database refused the record: {_first_line(exc.orig)}") from exc
    except OperationalError as exc:
        raise StorageError(f"the database is unavailable: {_first_line(exc.orig)}") from exc
    except DBAPIError as exc:
        raise StorageError(f"the database reported an error: {_first_line(exc.orig)}") from exc
    except OSError as exc:
        raise StorageError(f"the disk failed: {exc.strerror or exc}") from exc


def _first_line(error: BaseException | None) -> str:
    text = str(error or "unknown error").strip()
    return text.splitlines()[0] if text else "unknown error"
