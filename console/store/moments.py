"""One moment of the record read by several connections at once (an export written by processes).

PostgreSQL shares a transaction's snapshot by name (`pg_export_snapshot`). SQLite cannot name one:
a reader's moment is the last commit before its first read, so writes are held while the readers
begin, and each begins at the same commit.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlmodel import Session

from console.store.database import Database

SNAPSHOT_NAME = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")  # as pg_export_snapshot() names one


@contextmanager
def writes_held(db: Database) -> Iterator[None]:
    """On SQLite no write commits until the block ends (a write waits, as for any other writer):
    keep it to beginning the readers. PostgreSQL shares its snapshot instead: nothing is held."""
    if db.backend != "sqlite":
        yield
        return
    with db.write() as session:
        session.connection()  # BEGIN IMMEDIATE: the write lock taken now; nothing is written
        yield


def shared_moment(session: Session) -> str | None:
    """The name other connections adopt this read's moment by (PostgreSQL); None on SQLite, where
    they read the same commit because writes are held (`writes_held`). It begins the moment."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    _first_read(session)
    return None


def adopt_moment(session: Session, name: str | None) -> None:
    """Begin this read at the moment `shared_moment` named (or, on SQLite, the commit writes are
    held at); the first thing the read does."""
    if name is not None:
        # Not a bound parameter (PostgreSQL takes none here): only the server's own form is let in.
        if not SNAPSHOT_NAME.fullmatch(name):
            raise ValueError(f"not a snapshot name: {name!r}")
        session.execute(text(f"SET TRANSACTION SNAPSHOT '{name}'"))
    else:
        _first_read(session)


def _first_read(session: Session) -> None:
    """On SQLite a read transaction's moment is fixed by its first read, not by BEGIN."""
    session.execute(text("SELECT 1 FROM sqlite_master LIMIT 1"))
