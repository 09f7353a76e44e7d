"""Patient data is readable by the clinic's OS account only: folders 0700, files 0600, whatever the umask."""

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
OTHERS = 0o077  # the group and other permission bits


def keep_new_files_private() -> None:
    """Every file this process creates from now on (SQLite's WAL and SHM included) is owner-only."""
    os.umask(OTHERS)


def private_folder(path: Path) -> None:
    """Create `path` (and any missing parents) readable by this user only; an existing folder is kept."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)


def private_file(path: Path) -> Path:
    """Create (or empty) `path` as owner-only before anything is written into it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
    os.chmod(path, FILE_MODE)  # a file that already existed keeps its old mode through O_CREAT
    return path


def make_owner_only(path: Path) -> None:
    """Take group and other permissions from a file of ours (e.g. a database from an older version)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and info.st_mode & OTHERS:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~OTHERS)


def write_durably(path: Path, text: str, *, append: bool) -> None:
    """Write `text` to an owner-only file and flush it to the disk before returning.

    `append`: add to the file (made if missing); else make a new file, never over an existing one.
    """
    private_folder(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_EXCL)
    with os.fdopen(os.open(path, flags, FILE_MODE), "a" if append else "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
