"""The idle lock: an unattended console hides everything; the same user goes on where they were."""

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from app import ChairsideApp
from console.domain.clock import FixedClock
from tests.test_app import board_loaded, sign_in
from tests.ui import workers_done
from widgets.lock_screen import LockScreen
from widgets.today import TodayScreen


async def _idle(pilot: Pilot[None], minutes: float) -> None:
    assert isinstance(pilot.app, ChairsideApp) and pilot.app.db is not None
    assert isinstance(pilot.app.db.clock, FixedClock)
    pilot.app.db.clock.advance(minutes=minutes)
    pilot.app.lock_if_idle()
    await pilot.pause()


def _shown_text(app: ChairsideApp) -> str:
    return " ".join(str(widget.render()) for widget in app.screen.query(Static))


@pytest.mark.slow
async def test_five_minutes_without_input_hides_every_patient(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        table = await board_loaded(pilot)
        patient = str(table.get_row_at(0)[2])
        await _idle(pilot, 4.9)
        assert not demo_app.locked
        await _idle(pilot, 0.2)
        assert isinstance(demo_app.screen, LockScreen)
        assert patient.split(",")[0] not in _shown_text(demo_app)
        assert demo_app.focused is not None
        assert demo_app.focused.id == "lock-password"


async def test_input_keeps_the_lock_away(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await _idle(pilot, 4)
        await pilot.press("down")
        await _idle(pilot, 4)
        assert not demo_app.locked


@pytest.mark.slow
async def test_the_same_users_password_returns_to_exactly_where_they_were(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        demo_app.screen.query_one("#scan", Input).focus()
        await pilot.press(*"half typ")
        board = demo_app.screen
        await _idle(pilot, 6)
        await pilot.press(*"wrong password", "enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert demo_app.locked and "Wrong" in str(demo_app.screen.query_one("#lock-error", Static).render())
        await pilot.press("ctrl+q")  # a locked console does not quit: it waits for the unlock
        await pilot.pause()
        assert demo_app.is_running and demo_app.locked
        await pilot.press(*"demo-nurse-pass", "enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert demo_app.clinic is not None
        assert demo_app.screen is board and demo_app.clinic.actor.username == "nurse"
        assert board.query_one("#scan", Input).value == "half typ"


@pytest.mark.slow
async def test_another_user_signing_in_at_the_lock_ends_the_first_sitting(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await board_loaded(pilot)
        await _idle(pilot, 6)
        demo_app.screen.query_one("#lock-username", Input).value = "nurse2"
        await pilot.press(*"demo-nurse-pass", "enter")
        await workers_done(demo_app)
        await pilot.pause()
        assert isinstance(demo_app.screen, TodayScreen) and not demo_app.locked
        assert demo_app.clinic is not None
        assert demo_app.clinic.actor.username == "nurse2"
        assert len(demo_app.screen_stack) == 2  # nothing of the first sitting is left underneath
