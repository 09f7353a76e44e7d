"""Where the database is: a command-line path, a configured URL, or the user's data folder.

A clinic is created only by `chairside init` (or a demo, on purpose): every other command opens
an existing clinic, so a mistyped path or an empty URL is an error, never a new empty clinic.
"""

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from console.clinic.settings import Settings, default_data_dir
from console.domain.errors import ConfigurationError
from console.store.database import sqlite_url

DEFAULT_FILE = "chairside.sqlite3"
DEMO_FILE = "demo.sqlite3"
HOW_TO_CREATE = "create a clinic with `chairside init`"


def database_url(settings: Settings, db_path: Path | None = None, demo: bool = False) -> str:
    """--db PATH wins, then --demo's own file, then CHAIRSIDE_DATABASE_URL, then the default file."""
    if db_path is not None:
        return sqlite_url(db_path.expanduser().resolve())
    if demo:
        return sqlite_url(default_data_dir() / DEMO_FILE)
    if settings.database_url is not None:
        if not settings.database_url.strip():
            raise ConfigurationError(
                "the setting database_url (CHAIRSIDE_DATABASE_URL) is empty: give the clinic's URL, "
                "or leave it unset for the default file"
            )
        return settings.database_url
    return sqlite_url(default_data_dir() / DEFAULT_FILE)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another backend. An in-memory database is refused."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"database URL is not valid: {url!r}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:" or "mode=memory" in str(parsed.query):
        raise ConfigurationError(
            "an in-memory database holds no clinic and keeps nothing: give a file or a PostgreSQL URL"
        )
    return Path(parsed.database).expanduser().resolve()


def require_existing(url: str) -> None:
    """Refuse, saying how to create one, a clinic file that is missing or empty."""
    path = sqlite_file(url)
    if path is None:
        return  # a server database: whether it holds a clinic is known once connected
    if not path.exists():
        raise ConfigurationError(f"there is no clinic at {path}: check the path, or {HOW_TO_CREATE}")
    if path.stat().st_size == 0:
        raise ConfigurationError(f"{path} is an empty file, not a clinic: {HOW_TO_CREATE}")


def require_new(url: str) -> Path | None:
    """A clinic is created only where there is none: the file (made ready) for SQLite."""
    path = sqlite_file(url)
    if path is None:
        return None
    if path.exists() and path.stat().st_size > 0:
        raise ConfigurationError(f"{path} already exists: a new clinic is created in a new file")
    return path
