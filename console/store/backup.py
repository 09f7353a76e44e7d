"""Backups of a SQLite clinic: SQLite's online backup, a consistent copy even while consoles write.

A PostgreSQL clinic is backed up with `pg_dump` (docs/operations.md).
"""

import sqlite3
from datetime import datetime
from pathlib import Path

from console.domain.errors import ConfigurationError, StorageError
from console.store.database import Database, translate_errors
from console.store.private_files import FILE_MODE, private_folder


def copy_sqlite(source: Path, target: Path) -> Path:
    """Copy the database at `source` to a new owner-only file `target`, checked by integrity_check."""
    target.touch(mode=FILE_MODE, exist_ok=False)
    with translate_errors(), sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)  # page by page, the WAL included: the copy is one moment of the database
        found = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if found != "ok":
        target.unlink()
        raise StorageError(f"the copy failed SQLite's integrity check ({found}); nothing was kept")
    return target


def backup(db: Database, destination: str, now: datetime) -> Path:
    """A new backup file: `destination` itself, or in it when it is a folder (or ends in "/"), named
    by the clinic and the time."""
    if db.backend != "sqlite":
        raise ConfigurationError("a PostgreSQL clinic is backed up with pg_dump (see docs/operations.md)")
    source = Path(str(db.engine.url.database))
    target = Path(destination).expanduser()
    if destination.endswith("/") or target.is_dir():
        target = target / f"{source.stem}-{now:%Y%m%d-%H%M%S}{source.suffix}"
    if target.exists():
        raise ConfigurationError(f"{target} already exists: a backup is written to a new file")
    try:
        private_folder(target.parent)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the folder {target.parent}: {exc.strerror}") from None
    return copy_sqlite(source, target)
