"""CSV that opens safely in a spreadsheet: RFC 4180 via the csv module, no formula injection.

OWASP CSV injection: a text cell beginning with =, +, -, @, tab, CR, LF or NUL could run as a
formula, so it gets a leading apostrophe. Numbers are written as numbers and stay numeric.
"""

import csv
from datetime import datetime
from typing import IO, Any

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
NEUTRALISER = "'"


def safe_text(text: str) -> str:
    return NEUTRALISER + text if text.startswith(DANGEROUS_START) else text


def cell(value: Any) -> Any:
    """A value as the cell to write: text neutralised, numbers untouched, times as ISO 8601 with offset."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return safe_text(str(value))


def writer(stream: IO[str]):
    """RFC 4180: comma, double quotes where needed, CRLF line ends."""
    return csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
