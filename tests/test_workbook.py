"""`--format xlsx`: one workbook read back with openpyxl, every cell of its dictionary type, nothing a
spreadsheet would turn into another value."""

from datetime import datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from console.chair import charting
from console.domain.actors import Actor
from console.export.catalogue import file_names
from console.export.modes import Mode, columns
from console.store.database import Database
from tests.factories import a_whole_record, checked_in_session, iv_dose_data, record_baseline
from tests.test_export import ZONE, _export


def _table(sheet: Worksheet) -> list[dict[object, Any]]:  # read-only: the stubs give it Worksheet's methods
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip_longest(header, row)) for row in rows]  # a row read back ends at its last value


def test_the_workbook_keeps_identifiers_as_text_times_as_times_and_numbers_as_numbers(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    a_whole_record(db, staff, '=HYPERLINK("http://x")')  # would run as a formula
    # Identifiers a spreadsheet would otherwise turn into a number and a date.
    row = checked_in_session(db, staff["nina"], mrn="00012345")
    record_baseline(db, staff["nina"], row.id)
    charting.record_dose(db, staff["nina"], row.id, iv_dose_data(db, lot_number="12/3"))
    out = _export(db, tmp_path, format="xlsx")
    book = load_workbook(out / "export.xlsx", read_only=True)
    assert book.sheetnames == [name.removesuffix(".csv") for name in file_names()] + ["dictionary"]
    for name in file_names():
        header = next(book[name.removesuffix(".csv")].iter_rows(values_only=True))
        assert list(header) == columns(name, Mode.IDENTIFIED)
    sessions = _table(book["sessions"])
    booked = next(r for r in sessions if r["session_id"] == row.id)
    assert booked["mrn"] == "00012345"
    assert booked["date"].date() == db.clock.now().astimezone(ZONE).date()  # a date cell
    assert isinstance(booked["start"], datetime) and booked["start"].tzinfo is None
    assert row.checked_in_at is not None
    assert booked["start"] == row.checked_in_at.astimezone(ZONE).replace(tzinfo=None)  # the clinic's time
    signed = next(r for r in sessions if r["session_id"] != row.id)
    assert signed["dose_mg"] == 35 and signed["pain_change"] == -4 and signed["alerts"] == 1
    assert "12/3" in {r["lot_number"] for r in _table(book["controlled_substances"])}
    assert _table(book["notes"])[0]["text"] == 'Note: =HYPERLINK("http://x")'
    raw = load_workbook(out / "export.xlsx")  # not read-only: each cell's type shows
    assert [cell.data_type for cell in raw["notes"]["D"][1:]] == ["s"]  # text, never a formula
    dictionary = {(r["sheet"], r["column"]): r for r in _table(book["dictionary"])}
    assert "America/Chicago" in dictionary[("sessions", "start")]["meaning"]
    assert dictionary[("sessions", "method")]["values"] == "iv_infusion, nasal_spray"
