"""Reading a settings or protocol file: UTF-8 TOML, with or without the byte-order mark some editors add."""

import tomllib
from pathlib import Path
from typing import Any

from console.domain.errors import ConfigurationError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The file's TOML; one clear error naming the file for anything else."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")  # a leading byte-order mark is no part of the TOML
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
