"""Patient data is readable by the clinic's OS account only, even under a permissive umask."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli import run
from console.clinic.logs import log_unexpected
from console.clinic.setup import prepare_new
from console.domain.actors import Actor
from console.store.database import Database, sqlite_url
from console.store.schema import ensure_schema
from tests.test_export import _export


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask most systems start with (others may read); restored afterwards."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_its_wal_and_its_folder_are_owner_only(open_umask: None, tmp_path: Path) -> None:
    path = tmp_path / "new folder" / "clinic.sqlite3"
    db = prepare_new(sqlite_url(path))
    ensure_schema(db)
    files = [path, path.with_name("clinic.sqlite3-wal"), path.with_name("clinic.sqlite3-shm")]
    assert all(file.exists() for file in files)
    assert [_mode(file) for file in files] == [0o600, 0o600, 0o600]
    assert _mode(path.parent) == 0o700
    db.dispose()


def test_a_database_from_an_older_version_is_made_owner_only_when_opened(
    open_umask: None, tmp_path: Path
) -> None:
    path = tmp_path / "clinic.sqlite3"
    ensure_schema(Database(sqlite_url(path)))
    for file in tmp_path.iterdir():
        file.chmod(0o644)
    db = Database(sqlite_url(path))
    ensure_schema(db)
    assert {file.name: _mode(file) for file in tmp_path.iterdir()} == {
        name: 0o600 for name in ("clinic.sqlite3", "clinic.sqlite3-wal", "clinic.sqlite3-shm")
    }
    db.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_export_folder_and_its_files_are_owner_only(
    open_umask: None, db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    out = _export(db, tmp_path, folder="new/export")
    assert _mode(out) == 0o700
    assert {_mode(file) for file in out.iterdir()} == {0o600}


def test_the_error_log_is_owner_only(open_umask: None, tmp_path: Path) -> None:
    where = Path(log_unexpected(RuntimeError("a test failure"), "a test"))
    assert _mode(where) == 0o600 and _mode(where.parent) == 0o700


def test_the_command_line_makes_every_file_it_creates_owner_only(open_umask: None) -> None:
    assert run(argv=["--version"]) == 0
    assert os.umask(0o022) == 0o077
