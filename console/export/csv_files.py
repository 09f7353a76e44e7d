"""One CSV file of the export: its rows (its query: console.export.catalogue) formatted and written."""

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from console.export.csv_safe import safe_texts, writer
from console.export.dictionary import BOOLEAN, TEXT, TIME
from console.export.local_time import LocalTimes
from console.export.modes import Facts, plan, row_values
from console.export.records import Record
from console.export.request import ExportRequest
from console.export.rows import PROGRESS_EVERY, Progress

WRITE_BUFFER = 1 << 20  # bytes: a million small writes to the file cost a second


BOOLEAN_CELLS = {True: "true", False: "false", None: None}


def _formats(times: LocalTimes) -> dict[str, Callable[[Iterable], list]]:
    """How a column of each dictionary type becomes cells; numbers and dates write themselves."""
    return {
        TEXT: safe_texts,
        TIME: times.column,
        BOOLEAN: lambda values: list(map(BOOLEAN_CELLS.__getitem__, values)),
    }


def write_csv(
    path: Path,
    name: str,
    records: Iterator[Record],
    request: ExportRequest,
    times: LocalTimes,
    progress: Progress | None,
    facts: dict[int, Facts],
) -> int:
    """Write one file as the export's plan shows it; only the columns needing it are formatted (a
    None is an empty cell), a batch of rows at a time, column by column (a five-year vitals file
    has a million rows: a call per row and column was most of its time)."""
    shown = plan(name, request.mode)
    values = row_values(name, shown, facts)
    formats = _formats(times)
    formatted = [
        (position, formats[item.column.type])
        for position, item in enumerate(shown)
        if item.column.type in formats
    ]

    def cells(batch: list) -> Iterator[tuple]:
        columns: list[Sequence] = list(zip(*(batch if values is list else map(values, batch)), strict=True))
        for position, format_column in formatted:
            columns[position] = format_column(columns[position])
        return zip(*columns, strict=True)

    count = 0
    encoding = "utf-8-sig" if request.bom else "utf-8"
    with path.open("w", encoding=encoding, newline="", buffering=WRITE_BUFFER) as stream:
        out = writer(stream)
        out.writerow([item.column.name for item in shown])
        while batch := list(islice(records, PROGRESS_EVERY)):
            out.writerows(cells(batch))
            count += len(batch)
            if progress:
                progress(name, count)
        stream.flush()
        os.fsync(stream.fileno())
    if progress:
        progress(name, count)
    return count
