"""The console driven as a nurse would: Textual's Pilot on the demo clinic."""

from datetime import date, time
from typing import NoReturn

import pytest
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from app import ChairsideApp
from console.chair import sessions
from console.chair.board import day_sessions
from console.clinic import patients
from console.domain.actors import Actor
from console.domain.vocab import Role
from console.store.database import Database
from widgets.login import LoginScreen
from widgets.today import TodayScreen

from .conftest import DEMO_DAY
from .ui import workers_done


async def sign_in(pilot: Pilot[None], username: str = "nurse", password: str = "demo-nurse-pass") -> None:
    await pilot.press(*username, "enter")
    await pilot.press(*password, "enter")
    await workers_done(pilot.app)
    await pilot.pause()


async def board_loaded(pilot: Pilot[None]) -> DataTable:
    await workers_done(pilot.app)
    await pilot.pause()
    return pilot.app.screen.query_one("#board", DataTable)


async def test_wrong_password_is_refused_on_the_login_screen(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, password="not-the-password")
        assert isinstance(demo_app.screen, LoginScreen)
        assert demo_app.focused is not None
        assert "Wrong username or password" in str(demo_app.screen.query_one("#login-error", Static).render())
        assert demo_app.screen.query_one("#password", Input).value == ""
        assert demo_app.focused.id == "password"


async def test_empty_username_is_refused(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#sign-in")
        await pilot.pause()
        assert "Username" in str(demo_app.screen.query_one("#login-error", Static).render())


async def test_sign_in_shows_todays_sessions_in_time_order(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        assert demo_app.db is not None
        assert isinstance(demo_app.screen, TodayScreen)
        table = await board_loaded(pilot)
        expected = day_sessions(demo_app.db, DEMO_DAY)
        assert table.row_count == len(expected) >= 8
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0] == f"{expected[0].scheduled_time:%H:%M}" and first[2] == expected[0].patient_name
        assert "Thursday 26 November 2026" in str(demo_app.screen.query_one("#board-title", Static).render())
        statuses = {str(table.get_row_at(i)[3]) for i in range(table.row_count)}
        assert "✓ Discharged" in statuses and "○ Scheduled" in statuses


@pytest.mark.slow
async def test_previous_and_next_day_then_back_to_today(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("left_square_bracket")
        table = await board_loaded(pilot)
        assert demo_app.db is not None
        title = str(demo_app.screen.query_one("#board-title", Static).render())
        assert "Wednesday 25 November 2026" in title and "not today" in title
        assert table.row_count == len(day_sessions(demo_app.db, DEMO_DAY.replace(day=25)))
        await pilot.press("ctrl+t")
        await board_loaded(pilot)
        assert "Thursday 26 November" in str(demo_app.screen.query_one("#board-title", Static).render())


@pytest.mark.slow
async def test_change_at_another_workstation_appears_within_two_seconds(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        assert demo_app.db is not None
        table = await board_loaded(pilot)
        before = table.row_count
        other_station = Database(demo_app.db.url, demo_app.clock)
        nurse = Actor("nurse2", Role.NURSE, 2, "Marcus")
        patient = patients.find_by_mrn(other_station, "MRN100001")
        assert patient is not None
        sessions.schedule_session(
            other_station,
            nurse,
            {
                "patient_id": patient.id,
                "clinic_date": DEMO_DAY,
                "scheduled_time": time(16, 45),
                "chair": "5",
                "method": "nasal_spray",
            },
        )
        other_station.dispose()
        await pilot.pause(2.3)
        table = await board_loaded(pilot)
        assert table.row_count == before + 1
        assert str(table.get_row_at(table.row_count - 1)[0]) == "16:45"


@pytest.mark.slow
async def test_sign_out_returns_to_login(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(demo_app.screen, LoginScreen) and demo_app.clinic is None


async def test_type_ahead_after_enter_lands_in_the_password_field(demo_app: ChairsideApp) -> None:
    """A nurse (or a badge scanner) typing without pausing must not spill the password into the username."""
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"nurse", "enter", *"demo-nurse-pass", "enter")  # no pause between the fields
        await workers_done(demo_app)
        await pilot.pause()
        assert isinstance(demo_app.screen, TodayScreen)


@pytest.mark.slow
async def test_f1_explains_the_focused_field_and_lists_the_keys(demo_app: ChairsideApp) -> None:
    from textual.widgets import Markdown

    from widgets.help import HelpScreen

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(demo_app.screen, HelpScreen)
        text = demo_app.screen.query_one(Markdown).source
        assert "Scan the patient's wristband" in text and "Show the day before" in text and "Sign out" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, TodayScreen)


async def test_records_open_after_the_first_frame_and_an_early_sign_in_waits(demo_app: ChairsideApp) -> None:
    """Start-up draws the sign-in screen first; Enter pressed before the records are open is kept."""
    import threading

    from app import ChairsideApp
    from console.clinic.settings import Settings

    gate = threading.Event()

    def slow_connect() -> tuple[Database, Settings]:
        gate.wait(10)
        assert demo_app.db is not None and demo_app.settings is not None
        return demo_app.db, demo_app.settings

    app = ChairsideApp(connect=slow_connect)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LoginScreen) and not app.connected
        assert "Opening the clinic's records" in str(app.screen.query_one("#login-error", Static).render())
        await pilot.press(*"nurse", "enter", *"demo-nurse-pass", "enter")
        gate.set()
        await workers_done(app)
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        title = str(app.screen.query_one("#board-title", Static).render())
        assert title.startswith("DEMO CLINIC · Lakeside Pain Clinic")  # opened as a console opens: marked


async def test_a_failure_to_open_the_records_ends_the_console_with_the_reason() -> None:
    from app import ChairsideApp
    from console.domain.errors import StorageError

    def broken() -> NoReturn:
        raise StorageError("the database is unavailable: connection refused")

    app = ChairsideApp(connect=broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.pause()
    assert app.return_code == 1 and "connection refused" in str(app.startup_error)


@pytest.mark.slow
async def test_command_palette_lists_the_screens_actions(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        titles = [command.title for command in demo_app.get_system_commands(demo_app.screen)]
        for expected in ("Prev day", "Next day", "Today", "Book", "Import", "Sign out", "Help", "Quit"):
            assert any(title.startswith(expected) for title in titles), (expected, titles)
        book = next(c for c in demo_app.get_system_commands(demo_app.screen) if c.title.startswith("Book"))
        await book.callback()
        await pilot.pause()
        from widgets.booking import BookingDialog

        assert isinstance(demo_app.screen, BookingDialog)


@pytest.mark.slow
async def test_a_database_failure_on_the_board_is_reported_not_a_crash(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.domain.errors import StorageError

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)

        def unavailable(db: Database, day: date) -> NoReturn:
            raise StorageError("the database is unavailable: server closed the connection")

        import console.chair.overdue

        answering = console.chair.overdue.day_sessions

        monkeypatch.setattr("console.chair.overdue.day_sessions", unavailable)  # the board reads through it
        await pilot.press("f5")
        await board_loaded(pilot)
        message = str(demo_app.screen.query_one("#board-message", Static).render())
        assert "server closed the connection" in message
        assert demo_app.is_running and demo_app.screen.query_one("#board", DataTable).row_count > 0
        monkeypatch.setattr("console.chair.overdue.day_sessions", answering)  # the database is back
        await pilot.press("f5")
        await board_loaded(pilot)
        message = str(demo_app.screen.query_one("#board-message", Static).render())
        assert "server closed" not in message and "answer again" in message


@pytest.mark.slow
async def test_records_opened_before_the_sign_in_screen_mounts_do_not_crash_the_console(
    demo_app: ChairsideApp,
) -> None:
    """On a busy machine the connection can finish before the sign-in screen's on_mount has run."""
    from app import ChairsideApp

    class QuickRecords(ChairsideApp):
        def on_mount(self) -> None:
            self.push_screen(LoginScreen())
            assert demo_app.db is not None and demo_app.settings is not None
            self._connected(demo_app.db, demo_app.settings)  # before the screen is mounted

    app = QuickRecords()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and app.connected
        await sign_in(pilot)
        assert isinstance(app.screen, TodayScreen)


async def test_records_opened_while_the_sign_in_screen_is_being_built_do_not_crash_the_console(
    demo_app: ChairsideApp,
) -> None:
    """The third start-up order: the connection finishes between the screen's compose and its on_mount."""
    from app import ChairsideApp

    class Midway(LoginScreen):
        def compose(self) -> ComposeResult:
            yield from super().compose()
            assert isinstance(self.app, ChairsideApp)
            assert demo_app.db is not None and demo_app.settings is not None
            self.app._connected(demo_app.db, demo_app.settings)  # fields built, screen not mounted yet

    class MidwayRecords(ChairsideApp):
        def on_mount(self) -> None:
            self.push_screen(Midway())

    app = MidwayRecords()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and app.connected
        assert "Lakeside Pain Clinic" in str(app.screen.query_one("#clinic", Static).render())
        await sign_in(pilot)
        assert isinstance(app.screen, TodayScreen)


async def test_an_unexpected_error_in_a_screen_is_logged_with_its_traceback_and_stops_the_console(
    demo_app: ChairsideApp,
) -> None:
    from console.clinic.logs import log_folder

    def explode() -> None:
        raise KeyError("no such row")

    with pytest.raises(KeyError):
        async with demo_app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            demo_app.call_later(explode)
            await pilot.pause()
    assert demo_app.return_code == 1 and demo_app.stopped is not None
    assert str(log_folder() / "chairside.log") in str(demo_app.stopped)
    logged = (log_folder() / "chairside.log").read_text()
    assert "unexpected error in the console" in logged and "KeyError" in logged and "Traceback" in logged


@pytest.mark.slow
async def test_a_reset_password_is_changed_before_anything_of_the_clinic_shows(
    demo_app: ChairsideApp,
) -> None:
    from console.clinic import users
    from widgets.password_dialog import ChangePasswordDialog
    from widgets.today import TodayScreen

    assert demo_app.db is not None
    admin = users.prove_admin(demo_app.db, "admin", "demo-admin-pass")
    users.reset_password(demo_app.db, admin, "nurse", "temporary pw 1")
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, password="temporary pw 1")
        assert isinstance(demo_app.screen, ChangePasswordDialog)
        await pilot.press(*"temporary pw 1", "enter", *"my own password", "enter", *"my own pasword", "enter")
        await workers_done(demo_app)
        assert "differ" in str(demo_app.screen.query_one("#password-error", Static).render())
        await pilot.press(
            *"temporary pw 1", "enter", *"my own password", "enter", *"my own password", "enter"
        )
        await workers_done(demo_app)
        await pilot.pause()
        assert isinstance(demo_app.screen, TodayScreen)
    assert not users.password_change_due(demo_app.db, "nurse")
    assert users.authenticate(demo_app.db, "nurse", "my own password").username == "nurse"


@pytest.mark.slow
async def test_escape_from_the_password_change_signs_nobody_in(demo_app: ChairsideApp) -> None:
    from console.clinic import users

    assert demo_app.db is not None
    admin = users.prove_admin(demo_app.db, "admin", "demo-admin-pass")
    users.reset_password(demo_app.db, admin, "nurse", "temporary pw 1")
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, password="temporary pw 1")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, LoginScreen) and demo_app.clinic is None


@pytest.mark.slow
async def test_a_pin_typed_twice_differently_is_refused_and_every_field_cleared(
    demo_app: ChairsideApp,
) -> None:
    from console.clinic import users
    from widgets.pin_dialog import SetPinDialog

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "nurse3", "demo-nurse-pass")
        await board_loaded(pilot)
        assert isinstance(demo_app.screen, TodayScreen)
        demo_app.screen.action_set_pin()
        await pilot.pause()
        assert isinstance(demo_app.screen, SetPinDialog)
        await pilot.press(*"demo-nurse-pass", "enter", *"1357", "enter", *"1375", "enter")
        assert "differ" in str(demo_app.screen.query_one("#pin-error", Static).render())
        assert [field.value for field in demo_app.screen.query(Input)] == ["", "", ""]
        assert demo_app.focused is not None
        assert demo_app.focused.id == "pin-password"
        await pilot.press(*"demo-nurse-pass", "enter", *"1357", "enter", *"1357", "enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert not isinstance(demo_app.screen, SetPinDialog)
    assert users.verify_secret(demo_app.db, "nurse3", "1357", kind="pin", action="test").username == "nurse3"


@pytest.mark.slow
async def test_every_screen_of_the_demo_clinic_says_it_is_the_demo(demo_app: ChairsideApp) -> None:
    """Opened as a console opens it, the demo marks each screen along its top edge; nothing is a real
    clinic's screen by mistake."""
    from app import ChairsideApp
    from console.clinic.demo_mark import DEMO_LABEL
    from widgets.review import ReviewScreen
    from widgets.review_queue import ReviewQueueScreen
    from widgets.session import SessionScreen

    db, settings = demo_app.db, demo_app.settings
    assert db is not None and settings is not None
    app = ChairsideApp(connect=lambda: (db, settings))
    seen = []

    def marked() -> bool:
        seen.append(type(app.screen).__name__)
        return app.screen.has_class("-demo") and DEMO_LABEL in str(app.screen.border_title)

    async with app.run_test(size=(120, 36)) as pilot:
        await workers_done(app)
        await pilot.pause()
        assert marked()  # sign-in
        await sign_in(pilot)
        assert marked()  # the board
        assert app.db is not None
        today = day_sessions(app.db, DEMO_DAY)
        assert app.clinic is not None
        app.push_screen(SessionScreen(app.clinic, today[0].session_id))
        await workers_done(app)
        await pilot.pause()
        assert marked()
        await pilot.press("f1")
        await pilot.pause()
        assert marked()  # help
        app.sign_out()
        await pilot.pause()
        await sign_in(pilot, "doctor", "demo-doctor-pass")
        assert isinstance(app.screen, ReviewQueueScreen) and marked()
        assert app.clinic is not None
        app.push_screen(ReviewScreen(app.clinic, today[0].session_id))
        await workers_done(app)
        await pilot.pause()
        assert marked()
    assert seen == [
        "LoginScreen",
        "TodayScreen",
        "SessionScreen",
        "HelpScreen",
        "ReviewQueueScreen",
        "ReviewScreen",
    ]
