"""CSV that opens safely in a spreadsheet: RFC 4180 via the csv module, no formula injection.

OWASP CSV injection: a text cell beginning with =, +, -, @, tab, CR, LF or NUL could run as a
formula, so it gets a leading apostrophe. Numbers are written as numbers and stay numeric;
the export's data dictionary says which columns are text.
"""

import csv
from _csv import Writer  # the type csv.writer returns: only _csv names it
from collections.abc import Iterable
from typing import IO

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
NEUTRALISER = "'"


def safe_text(text: str) -> str:
    return NEUTRALISER + text if text.startswith(DANGEROUS_START) else text


def safe_texts(texts: Iterable[str | None]) -> list[str | None]:
    """A column of cells, each as `safe_text` makes it; None stays an empty cell."""
    return [
        text if text is None or not text.startswith(DANGEROUS_START) else NEUTRALISER + text for text in texts
    ]


def writer(stream: IO[str]) -> Writer:
    """RFC 4180: comma, double quotes where needed, CRLF line ends."""
    return csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
