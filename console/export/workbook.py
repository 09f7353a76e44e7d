"""The export as one spreadsheet workbook (`--format xlsx`): a sheet per CSV file, and the dictionary.

Written in openpyxl's write-only (streaming) mode, so a long range never sits in memory. Each cell
has its dictionary type: text stays text (an MRN `00012345`, a lot `1E5` or `12/3` is never turned
into a number or a date; a text beginning with `=` is stored as text, never as a formula),
numbers are numbers, dates are dates, and times are date-times in the clinic's zone (a workbook
has no time zones; the dictionary sheet says which zone).
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from console.export.catalogue import file_names
from console.export.dictionary import DATE, TEXT, TIME
from console.export.local_time import as_utc
from console.export.modes import Facts, Mode, plan, row_values
from console.export.records import Record
from console.export.rows import PROGRESS_EVERY, Progress

if TYPE_CHECKING:  # openpyxl loads only when a workbook is asked for
    from openpyxl import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
DICTIONARY_SHEET = "dictionary"


def write(
    path: Path,
    records_of: Callable[[str], Iterator[Record]],
    mode: Mode,
    facts: dict[int, Facts],
    zone: ZoneInfo,
    progress: Progress | None = None,
) -> int:
    """Write the workbook; returns the number of data rows over all its sheets."""
    from openpyxl import Workbook  # loaded only when a workbook is asked for

    book = Workbook(write_only=True)
    total = 0
    for name in file_names():
        sheet = book.create_sheet(title=name.removesuffix(".csv"))
        shown = plan(name, mode)
        sheet.append([item.column.name for item in shown])
        kinds = [item.column.type for item in shown]
        values = row_values(name, shown, facts)
        count = 0
        for record in records_of(name):
            sheet.append(
                [_cell(sheet, value, kind, zone) for value, kind in zip(values(record), kinds, strict=True)]
            )
            count += 1
            if progress and count % PROGRESS_EVERY == 0:
                progress(name, count)
        total += count
    _dictionary(book, mode, zone)
    book.save(path)
    return total


def _cell(sheet: "WriteOnlyWorksheet", value: Any, kind: str, zone: ZoneInfo) -> object:
    """What the sheet is given for one value: a cell of its type, else the number or boolean itself."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if kind == TEXT or isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))
        cell.data_type = "s"  # text, never a formula, whatever it begins with
        return cell
    if kind == TIME:
        cell = WriteOnlyCell(sheet, value=as_utc(value).astimezone(zone).replace(tzinfo=None))
        cell.number_format = TIME_FORMAT
        return cell
    if kind == DATE:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value  # numbers and booleans as themselves


def _dictionary(book: "Workbook", mode: Mode, zone: ZoneInfo) -> None:
    sheet = book.create_sheet(title=DICTIONARY_SHEET)
    sheet.append(["sheet", "column", "meaning", "unit", "type", "empty means", "values"])
    for name in file_names():
        for shown in plan(name, mode):
            column = shown.column
            meaning = column.meaning + (f" (in the clinic's time, {zone.key})" if column.type == TIME else "")
            row = [name.removesuffix(".csv"), column.name, meaning, column.unit, column.type, column.empty]
            sheet.append([*row, ", ".join(column.values)])
