"""Where the database is: a command-line path, a configured URL, or the user's data folder."""

from pathlib import Path

from console.clinic.settings import Settings, default_data_dir
from console.store.database import sqlite_url

DEFAULT_FILE = "chairside.sqlite3"
DEMO_FILE = "demo.sqlite3"


def database_url(settings: Settings, db_path: Path | None = None, demo: bool = False) -> str:
    """--db PATH wins, then --demo's own file, then CHAIRSIDE_DATABASE_URL, then the default file."""
    if db_path is not None:
        return sqlite_url(db_path.expanduser().resolve())
    if demo:
        return sqlite_url(default_data_dir() / DEMO_FILE)
    if settings.database_url:
        return settings.database_url
    return sqlite_url(default_data_dir() / DEFAULT_FILE)
