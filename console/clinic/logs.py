"""The log of unexpected errors: each with its traceback, in the platform's log folder, rotated, no secrets.

Only what went wrong is written (never the values of local variables), and any value pydantic
echoes back (`input_value=...`) is blanked, so a password or PIN typed into a form never lands in it.
"""

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from console.store.private_files import make_owner_only, private_file, private_folder

LOGGER = "chairside"
FILE = "chairside.log"
_ECHOED_VALUE = re.compile(r"input_value=(?:'[^']*'|\"[^\"]*\"|\S+)")


def log_folder() -> Path:
    """Where the log is kept: `~/.local/state/chairside/log` on Linux (the platform's user log folder)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir("chairside"))


def without_typed_values(text: str) -> str:
    """`text` with every value pydantic echoed back blanked (it may be a password)."""
    return _ECHOED_VALUE.sub("input_value=<hidden>", text)


class _NoEchoedValues(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return without_typed_values(super().format(record))


def _logger() -> tuple[logging.Logger, Path]:
    """The error log, opened on first use: a command that runs without error writes nothing."""
    path = log_folder() / FILE
    logger = logging.getLogger(LOGGER)
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        private_folder(path.parent)
        make_owner_only(path)  # the log may name patients' records: readable by this user only
        if not path.exists():
            private_file(path)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(_NoEchoedValues("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger, path


def log_unexpected(error: BaseException, where: str) -> str:
    """Write `error` with its traceback; say where, for the one line the user sees."""
    try:
        logger, path = _logger()
        logger.error(
            "unexpected error in %s: %s", where, error, exc_info=(type(error), error, error.__traceback__)
        )
        for handler in logger.handlers:
            handler.flush()
    except OSError as failed:  # the log itself cannot be written: say so, never fail a second time
        return f"no log: {failed.strerror or failed}"
    return str(path)
