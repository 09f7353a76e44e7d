"""The Today board: filters, booking an appointment or a walk-in, importing the schedule."""

from pathlib import Path
from typing import Any, NoReturn

import pytest
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Select, Static

from app import ChairsideApp
from console.chair import sessions
from console.chair.board import day_sessions
from console.chair.overdue import Board
from console.chair.session_view import SessionView
from console.clinic import patients
from console.domain.actors import Actor
from console.domain.vocab import Role
from widgets.booking import BookingDialog
from widgets.schedule_import import ImportDialog
from widgets.today import TodayScreen

from .conftest import DEMO_DAY
from .test_app import board_loaded, sign_in
from .ui import workers_done


def _title(app: ChairsideApp) -> str:
    return str(app.screen.query_one("#board-title", Static).render())


@pytest.mark.slow
async def test_filters_cycle_through_statuses_chairs_and_methods(demo_app: ChairsideApp) -> None:
    assert demo_app.db is not None
    rows = day_sessions(demo_app.db, DEMO_DAY)
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        table = await board_loaded(pilot)
        await pilot.press("f6")
        first_status = sorted({r.status.label.lower() for r in rows})[0]
        assert f"showing status {first_status}" in _title(demo_app)
        assert table.row_count == sum(r.status.label.lower() == first_status for r in rows)
        await pilot.press("f6")
        await pilot.press("f8")
        assert "method IV" in _title(demo_app)
        for _ in range(10):  # keep cycling the status filter until it is off again
            if "status" not in _title(demo_app):
                break
            await pilot.press("f6")
        assert "status" not in _title(demo_app)
        assert table.row_count == sum(r.method.value == "iv_infusion" for r in rows)
        await pilot.press("f8", "f8")
        assert "showing" not in _title(demo_app) and table.row_count == len(rows)


@pytest.mark.slow
async def test_typing_filters_by_name(demo_app: ChairsideApp) -> None:
    assert demo_app.db is not None
    rows = day_sessions(demo_app.db, DEMO_DAY)
    family = rows[0].patient_name.split(",")[0]
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        table = await board_loaded(pilot)
        await pilot.press(*family.lower())
        await pilot.pause()
        assert 1 <= table.row_count == sum(family.lower() in r.patient_name.lower() for r in rows)


@pytest.mark.slow
async def test_book_a_walk_in_for_a_new_patient(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        assert demo_app.db is not None
        before = len(day_sessions(demo_app.db, DEMO_DAY))
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(demo_app.screen, BookingDialog)
        await pilot.press(*"WALK-77", "tab")
        await workers_done(demo_app)
        await pilot.pause()
        assert "New MRN" in str(demo_app.screen.query_one("#patient-found", Static).render())
        screen = demo_app.screen
        for field, value in (
            ("#book-family", "Nakamura"),
            ("#book-given", "Yui"),
            ("#book-dob", "1979-04-02"),
            ("#book-weight", "61.5"),
            ("#book-time", "15:30"),
            ("#book-chair", "5"),
        ):
            screen.query_one(field, Input).value = value
        screen.query_one("#book-method", Select).value = "nasal_spray"
        await pilot.click("#book")
        await workers_done(demo_app)
        await pilot.pause()
        await board_loaded(pilot)
        rows = day_sessions(demo_app.db, DEMO_DAY)
        assert len(rows) == before + 1
        booked = next(r for r in rows if r.mrn == "WALK-77")
        assert (booked.patient_name, f"{booked.scheduled_time:%H:%M}", booked.chair) == (
            "Nakamura, Yui",
            "15:30",
            "5",
        )


@pytest.mark.slow
async def test_booking_refusal_is_shown_in_the_dialog(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f2", *"NEW-1", "tab")
        await workers_done(demo_app)
        await pilot.click("#book")
        await workers_done(demo_app)
        await pilot.pause()
        assert isinstance(demo_app.screen, BookingDialog)
        assert "Family name" in str(demo_app.screen.query_one("#booking-error", Static).render())


@pytest.mark.slow
async def test_import_from_the_board(demo_app: ChairsideApp, tmp_path: Path) -> None:
    header = "date,time,chair,mrn,name,date_of_birth,method\n"
    good, bad = tmp_path / "schedule.csv", tmp_path / "bad.csv"
    good.write_text(header + f'{DEMO_DAY},16:00,6,IMP-1,"Ito, Ken",1966-06-06,IV\n')
    bad.write_text(header + f'{DEMO_DAY},16:00,6,IMP-2,"Ito, Ken",1966-06-06,oral\n')
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(demo_app.screen, ImportDialog)
        await pilot.press(*str(bad), "enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert "line 2: method" in str(demo_app.screen.query_one("#import-result", Static).render())
        demo_app.screen.query_one("#import-path", Input).value = str(good)
        await pilot.press("enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert "Imported 1 session(s)" in str(demo_app.screen.query_one("#import-result", Static).render())
        await pilot.press("escape")
        await board_loaded(pilot)
    assert demo_app.db is not None
    assert any(r.mrn == "IMP-1" for r in day_sessions(demo_app.db, DEMO_DAY))
    assert not any(r.mrn == "IMP-2" for r in day_sessions(demo_app.db, DEMO_DAY))


@pytest.mark.slow
async def test_export_from_the_board_writes_the_day_as_csv_or_fhir_and_shows_the_folder(
    demo_app: ChairsideApp, tmp_path: Path
) -> None:
    from textual.widgets import Input

    from widgets.export_dialog import ExportDialog

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(demo_app.screen, ExportDialog)
        assert demo_app.screen.query_one("#export-from", Input).value == "2026-11-26"
        folder = demo_app.screen.query_one("#export-out", Input)
        folder.value = str(tmp_path / "day")
        await pilot.press("enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert "✓ Exported to" in str(demo_app.screen.query_one("#export-result", Static).render())
        await pilot.press("enter")  # again: the export is kept, the refusal says how to overwrite
        await workers_done(demo_app)
        await pilot.pause()
        assert "already holds an export" in str(demo_app.screen.query_one("#export-result", Static).render())
        await pilot.click("#format-fhir")  # the same day as a FHIR bundle, in another folder
        await pilot.click("#export-out")
        folder.value = str(tmp_path / "fhir")
        await pilot.press("enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert "bundle.json" in str(demo_app.screen.query_one("#export-result", Static).render())
        assert sorted(p.name for p in (tmp_path / "fhir").iterdir()) == ["bundle.json", "manifest.json"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, TodayScreen)
        assert str(tmp_path / "fhir") in str(demo_app.screen.query_one("#board-message", Static).render())
    assert sorted(p.name for p in (tmp_path / "day").iterdir())[-1] == "vitals.csv"


@pytest.mark.slow
async def test_export_dialog_writes_a_limited_data_set_workbook_and_fits_a_24_line_terminal(
    demo_app: ChairsideApp, tmp_path: Path
) -> None:
    """Every format and kind of export the command offers is one choice away, on the smallest terminal."""
    import json

    from openpyxl import load_workbook
    from textual.widgets import Input

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f4")
        await pilot.pause()
        dialog = demo_app.screen
        box = dialog.query_one("#export-box")
        assert (
            box.region.bottom <= 24 and dialog.query_one("#export-result").region.bottom <= box.region.bottom
        )
        assert "( ) Limited data set" in _text(dialog, "#export-mode")
        await pilot.click("#format-xlsx")
        await pilot.click("#mode-limited_data_set")
        await pilot.pause()
        assert "(•) Limited data set" in _text(dialog, "#export-mode")  # chosen shows without colour
        assert "data use agreement" in str(dialog.query_one("#export-mode-says", Static).render())
        dialog.query_one("#export-out", Input).value = str(tmp_path / "lds")
        await pilot.click("#export-out")
        await pilot.press("enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert "✓ Exported to" in str(dialog.query_one("#export-result", Static).render())
    manifest = json.loads((tmp_path / "lds" / "manifest.json").read_text())
    assert (manifest["format"], manifest["deidentified"]) == ("xlsx", "limited_data_set")
    book = load_workbook(tmp_path / "lds" / "export.xlsx", read_only=True)
    header = next(book["sessions"].iter_rows(max_row=1, values_only=True))
    assert "pseudonym" in header and "mrn" not in header and "date" in header  # dates kept


@pytest.mark.slow
async def test_export_dialog_refuses_a_safe_harbor_fhir_bundle_where_it_is_asked(
    demo_app: ChairsideApp, tmp_path: Path
) -> None:
    from textual.widgets import Input

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.click("#format-fhir")
        await pilot.click("#mode-safe_harbor")
        demo_app.screen.query_one("#export-out", Input).value = str(tmp_path / "sh")
        await pilot.click("#export-out")
        await pilot.press("enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert "⚠" in str(demo_app.screen.query_one("#export-result", Static).render())
    assert not (tmp_path / "sh").exists()


def _text(screen: Widget, selector: str) -> str:
    """What a row of choices reads on screen, button by button."""
    return " ".join(button.render_line(0).text.strip() for button in screen.query_one(selector).children)


async def test_the_board_never_cuts_an_mrn_short(demo_app: ChairsideApp) -> None:
    """MRN9261130xx and MRN9261130yy used to show as the same MRN9261130 at 160 columns."""
    from tests.factories import patient_data

    nurse = Actor("nurse", Role.NURSE, 1, "Nina")
    day = demo_app.clock.now().date()
    for mrn in ("MRN926113012345678AB", "MRN926113012345678CD"):
        assert demo_app.db is not None
        patient = patients.create_patient(demo_app.db, nurse, patient_data(mrn=mrn))
        sessions.schedule_session(
            demo_app.db,
            nurse,
            {
                "patient_id": patient.id,
                "clinic_date": day,
                "scheduled_time": "16:00",
                "chair": "2",
                "method": "iv_infusion",
            },
        )
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        board = demo_app.screen.query_one("#board", DataTable)
        shown = {str(board.get_row_at(i)[-1]) for i in range(board.row_count)}
        assert {"MRN926113012345678AB", "MRN926113012345678CD"} <= shown
        rendered = "\n".join(board.render_line(y).text for y in range(board.size.height))
        assert "MRN926113012345678AB" in rendered and "MRN926113012345678CD" in rendered


def test_a_scan_opens_the_patients_open_session_before_a_closed_one(demo_app: ChairsideApp) -> None:
    from dataclasses import replace

    from console.chair.board import session_to_open
    from console.domain.vocab import SessionStatus

    assert demo_app.db is not None
    rows = day_sessions(demo_app.db, DEMO_DAY)[:2]
    done, open_ = (
        replace(rows[0], status=SessionStatus.DISCHARGED),
        replace(rows[1], status=SessionStatus.CHECKED_IN),
    )
    assert session_to_open([done, open_]) is open_
    assert session_to_open([done]) is done
    assert session_to_open([]) is None


@pytest.mark.slow
async def test_typing_just_after_a_scan_goes_to_the_opened_session_not_the_board(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan followed 0.3 s later by typing became "No session on this day for 'MRN…/78'"."""
    import asyncio
    import time

    import widgets.session.save_queue as save_queue
    from widgets.session import SessionScreen

    from .ui import burst

    read = save_queue.session_view_for

    # A busy workstation: the record arrives after the typing.
    def slow_read(*args: Any, **kwargs: Any) -> SessionView:
        time.sleep(0.5)
        return read(*args, **kwargs)

    monkeypatch.setattr(save_queue, "session_view_for", slow_read)
    assert demo_app.db is not None
    row = next(r for r in day_sessions(demo_app.db, DEMO_DAY) if r.status == "checked_in")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        board = demo_app.screen
        burst(demo_app, *row.mrn, "enter")
        await asyncio.sleep(0.3)
        await pilot.press(*"7")  # the first thing asked for at pre-assessment
        await workers_done(demo_app)
        await pilot.pause()
        screen = demo_app.screen
        assert isinstance(screen, SessionScreen) and screen.session_id == row.session_id
        assert board.query_one("#scan", Input).value == ""
        assert "No session" not in str(board.query_one("#board-message", Static).render())
        assert isinstance(demo_app.focused, Input) and demo_app.focused.value == "7"


@pytest.mark.slow
async def test_a_scan_before_the_board_has_loaded_opens_the_session_once_it_has(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan box answered "No session on this day" while the day's sessions were still on their way."""
    import threading

    import widgets.today as today
    from widgets.session import SessionScreen

    from .ui import burst

    assert demo_app.db is not None
    row = next(r for r in day_sessions(demo_app.db, DEMO_DAY) if r.status == "scheduled")
    released = threading.Event()
    board_for = today.board_for

    def slow_board_for(*args: Any, **kwargs: Any) -> Board:
        released.wait(5)
        return board_for(*args, **kwargs)

    monkeypatch.setattr(today, "board_for", slow_board_for)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"nurse", "enter", *"demo-nurse-pass", "enter")
        for _ in range(50):
            await pilot.pause(0.02)
            if isinstance(demo_app.screen, TodayScreen) and demo_app.screen.is_mounted:
                break
        board = demo_app.screen
        assert isinstance(board, TodayScreen)
        burst(demo_app, *row.mrn, "enter")
        await pilot.pause(0.1)
        assert "No session" not in str(board.query_one("#board-message", Static).render())
        released.set()
        await workers_done(demo_app)
        await pilot.pause()
        assert isinstance(demo_app.screen, SessionScreen) and demo_app.screen.session_id == row.session_id


@pytest.mark.slow
async def test_quitting_over_a_half_filled_dialog_asks_first(demo_app: ChairsideApp) -> None:
    """A booking half typed was thrown away by Ctrl+Q without a word."""
    from widgets.discard import DiscardDialog

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press(*"WALK-78")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(demo_app.screen, DiscardDialog)
        assert "MRN" in str(demo_app.screen.query_one(Static).render())
        await pilot.press("enter")  # keep typing
        await pilot.pause()
        assert isinstance(demo_app.screen, BookingDialog) and demo_app.is_running
        assert demo_app.screen.query_one("#book-mrn", Input).value == "WALK-78"


@pytest.mark.slow
async def test_an_unexpected_error_while_booking_keeps_the_dialog_ready_to_try_again(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import widgets.booking

    real_book = widgets.booking.book

    def broken(*args: object, **kwargs: object) -> NoReturn:
        raise KeyError("a bug in the service")

    monkeypatch.setattr(widgets.booking, "book", broken)
    assert demo_app.db is not None
    row = day_sessions(demo_app.db, DEMO_DAY)[0]
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        before = len(day_sessions(demo_app.db, DEMO_DAY))
        await pilot.press("f2")
        await pilot.pause()
        screen = demo_app.screen
        screen.query_one("#book-mrn", Input).value = row.mrn
        screen.query_one("#book-time", Input).value = "16:45"
        screen.query_one("#book-chair", Input).value = "3"
        await pilot.click("#book")
        await workers_done(demo_app)
        await pilot.pause()
        assert demo_app.is_running and demo_app.screen is screen
        assert "unexpected error" in str(screen.query_one("#booking-error", Static).render())
        monkeypatch.setattr(widgets.booking, "book", real_book)
        # The same booking, again: taken, not ignored as a double press.
        screen.query_one("#book", Button).press()
        await workers_done(demo_app)
        await pilot.pause()
        assert demo_app.screen is not screen  # booked, and closed
        assert len(day_sessions(demo_app.db, DEMO_DAY)) == before + 1
