"""SVG snapshots of the main screens at 80x24 and 160x50 (fixed clock, seeded demo clinic)."""

from collections.abc import Awaitable, Callable, Iterable
from pathlib import PurePath
from typing import Any, Protocol

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from app import ChairsideApp
from console.chair.board import day_sessions
from console.domain.vocab import SessionStatus
from widgets.session import SessionScreen

from .conftest import DEMO_DAY
from .test_app import board_loaded, sign_in
from .ui import workers_done

SIZES = [(80, 24), (160, 50)]


class SnapCompare(Protocol):
    """What the `snap_compare` fixture gives (pytest-textual-snapshot types it as taking a path only)."""

    def __call__(
        self,
        app: str | PurePath | App[Any],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[Any]], Awaitable[None] | None] | None = None,
    ) -> bool: ...


async def _steady(pilot: Pilot[None]) -> None:
    """Wait until data, layout and scrolling have settled, so the picture never depends on timing."""
    for _ in range(200):  # a screen that reads its record first: until it has (10 s at most)
        if not getattr(pilot.app.screen, "opening", False):
            break
        await pilot.pause(0.05)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for _ in range(3):
        await workers_done(pilot.app)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.05)


@pytest.mark.parametrize("size", SIZES)
def test_login_screen(snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app, terminal_size=size, run_before=_steady)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_today_board(snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]) -> None:
    async def signed_in(pilot: Pilot[None]) -> None:
        await sign_in(pilot)
        await board_loaded(pilot)
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=signed_in)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_session_screen_in_treatment(
    snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]
) -> None:
    assert demo_app.db is not None
    in_treatment = next(
        r for r in day_sessions(demo_app.db, DEMO_DAY) if r.status == SessionStatus.IN_TREATMENT
    )

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot)
        await board_loaded(pilot)
        assert isinstance(pilot.app, ChairsideApp) and pilot.app.clinic is not None
        pilot.app.push_screen(SessionScreen(pilot.app.clinic, in_treatment.session_id))
        await _steady(pilot)
        await _steady(pilot)
        # On a busy machine the record can arrive after the focused field was scrolled into view,
        # leaving the screen scrolled by a line or two: the picture is of the screen at its top.
        for widget in pilot.app.screen.query("*"):
            if widget.scroll_offset.y:
                widget.scroll_home(animate=False)
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=opened)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_help_on_the_board(snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]) -> None:
    async def helped(pilot: Pilot[None]) -> None:
        await sign_in(pilot)
        await board_loaded(pilot)
        await pilot.press("f1")
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=helped)


def test_login_refusal(snap_compare: SnapCompare, demo_app: ChairsideApp) -> None:
    async def refused(pilot: Pilot[None]) -> None:
        await sign_in(pilot, password="wrong password")
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=refused)


async def _physician(pilot: Pilot[None]) -> None:
    await sign_in(pilot, "doctor", "demo-doctor-pass")
    await _steady(pilot)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_review_queue(snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app, terminal_size=size, run_before=_physician)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_review_screen_of_a_flagged_session(
    snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]
) -> None:
    async def reviewing(pilot: Pilot[None]) -> None:
        await _physician(pilot)
        await pilot.press("down", "enter")  # the second flagged session: an acknowledged alert
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=reviewing)


@pytest.mark.slow
def test_sign_dialog(snap_compare: SnapCompare, demo_app: ChairsideApp) -> None:
    async def signing(pilot: Pilot[None]) -> None:
        await _physician(pilot)
        await pilot.press("enter")
        await _steady(pilot)
        await pilot.press("f2")
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=(160, 50), run_before=signing)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_patient_trajectory(snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]) -> None:
    async def trajectory(pilot: Pilot[None]) -> None:
        await _physician(pilot)
        await pilot.press("enter")
        await _steady(pilot)
        await pilot.press("f5")
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=trajectory)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_rems_monitoring_form(
    snap_compare: SnapCompare, demo_app: ChairsideApp, size: tuple[int, int]
) -> None:
    """A finished nasal esketamine session's REMS form, complete, as the nurse opens it (Ctrl+F)."""
    from sqlmodel import col, select

    from console.store.models import TreatmentSession

    assert demo_app.db is not None
    with demo_app.db.read() as session:
        nasal = session.exec(
            select(TreatmentSession)
            .where(TreatmentSession.method == "nasal_spray", TreatmentSession.clinic_date < DEMO_DAY)
            .order_by(col(TreatmentSession.clinic_date).desc(), col(TreatmentSession.id).desc())
        ).first()
    assert nasal is not None

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot)
        await board_loaded(pilot)
        assert isinstance(pilot.app, ChairsideApp) and pilot.app.clinic is not None
        pilot.app.push_screen(SessionScreen(pilot.app.clinic, nasal.id))
        await _steady(pilot)
        await pilot.press("ctrl+f")
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=opened)
