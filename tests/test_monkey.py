"""A monkey at the chair: each screen driven by random sequences of its own keys, text, Enter, Esc and Tab,
at human and at scanner speed, at 80x24 and 160x50, with fixed seeds and a bounded number of steps.

Afterwards nothing has crashed (an unhandled exception fails the run), the audit chain and every signed
record verify, and every stored dose and session is one that could be true.
"""

import random

import pytest
from sqlmodel import select
from textual.pilot import Pilot

from app import ChairsideApp
from console.chair import sessions
from console.domain.clock import FixedClock
from console.domain.protocol import Protocol
from console.domain.vocab import SessionStatus
from console.review.integrity import verify_record
from console.store.database import Database
from console.store.models import DoseAdministration, PainScore, TreatmentSession
from widgets.review_queue import ReviewQueueScreen
from widgets.session import SessionScreen

from .test_app import sign_in
from .test_session_screen import NURSE, _book
from .ui import burst, workers_done

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

STEPS = 20
SEEDS = (17, 101)
SIZES = ((80, 24), (160, 50))
NEVER = {"ctrl+q", "ctrl+c"}  # leaving the console ends the run, not a finding
TEXTS = (
    "7",
    "10",
    "0.5",
    "30",
    "1o",
    "128/82 76 98 14 5",
    "@09:15 130/84 74 97 14 4",
    "abc",
    "MRN1001",
    "m",
    "",
)
PLAIN_KEYS = ("enter", "enter", "escape", "tab", "shift+tab", "up", "down", "space", "backspace")


async def _start(pilot: Pilot[None], where: str) -> None:
    app = pilot.app
    assert isinstance(app, ChairsideApp) and app.db is not None
    if where == "queue":
        await sign_in(pilot, "doctor", "demo-doctor-pass")
        assert isinstance(app.screen, ReviewQueueScreen)
        return
    await sign_in(pilot)
    if where == "lock":  # the idle lock over a half-typed board
        await pilot.press(*"half typ")
        assert isinstance(app.db.clock, FixedClock)
        app.db.clock.advance(minutes=10)
        app.lock_if_idle()
        await pilot.pause()
        return
    if where == "session":
        _, session_id = _book(app, "iv_infusion")
        sessions.check_in(app.db, NURSE, session_id, 1)
        assert app.clinic is not None
        app.push_screen(SessionScreen(app.clinic, session_id))
        await workers_done(app)
        await pilot.pause()


async def _romp(pilot: Pilot[None], rng: random.Random) -> None:
    app = pilot.app
    for _ in range(STEPS):
        bound = [key for key in app.screen.active_bindings if key not in NEVER]
        roll = rng.random()
        if roll < 0.35 and bound:
            await pilot.press(rng.choice(bound))
        elif roll < 0.6:
            await pilot.press(rng.choice(PLAIN_KEYS))
        elif roll < 0.85:  # a person types it (a long line goes at scanner speed: the run stays short)
            text = rng.choice(TEXTS)
            if len(text) > 8:
                burst(app, *text, "enter")
            else:
                await pilot.press(*text, "enter")
        else:  # a scanner: the whole line and Enter arrive at once
            burst(app, *rng.choice(TEXTS), "enter")
        if rng.random() < 0.2:
            await pilot.pause(rng.choice((0.0, 0.02, 0.1)))
    await workers_done(app)
    await pilot.pause()


def _the_record_could_be_true(db: Database) -> None:
    tolerance = Protocol().reconciliation_tolerance_mg
    assert verify_record(db).problems() == []
    with db.read() as session:
        for dose in session.exec(select(DoseAdministration)):
            assert abs(dose.drawn_mg - dose.dose_mg - dose.wasted_mg) <= tolerance, dose
            assert dose.wasted_mg == 0 or dose.witness_id is not None, dose
            assert dose.witness_id != dose.administered_by, dose
        for row in session.exec(select(TreatmentSession)):
            started = row.status not in (
                SessionStatus.SCHEDULED,
                SessionStatus.NO_SHOW,
                SessionStatus.CANCELLED,
            )
            assert (row.checked_in_at is not None) == started, row
            assert (row.discharged_at is not None) == (row.status == SessionStatus.DISCHARGED), row
            for when in (row.started_at, row.ended_at, row.discharged_at):
                assert when is None or row.checked_in_at is None or when >= row.checked_in_at, row
        for score in session.exec(select(PainScore)):
            assert 0 <= score.score <= 10


# Every screen with each seed, one seed at each size; the idle lock, a screen of two fields, once.
RUNS = [
    *(
        (where, seed, size)
        for where in ("board", "session", "queue")
        for seed, size in zip(SEEDS, SIZES, strict=True)
    ),
    ("lock", SEEDS[0], SIZES[0]),
]


@pytest.mark.parametrize(
    "where, seed, size", RUNS, ids=[f"{where}-{seed}-{size[0]}x{size[1]}" for where, seed, size in RUNS]
)
async def test_a_monkey_at_every_screen_breaks_nothing(
    demo_app: ChairsideApp, where: str, seed: int, size: tuple[int, int]
) -> None:
    rng = random.Random(f"{where}-{seed}-{size}")
    async with demo_app.run_test(size=size) as pilot:
        await _start(pilot, where)
        await _romp(pilot, rng)
        assert demo_app.is_running or demo_app.return_code == 0
    assert demo_app.db is not None
    _the_record_could_be_true(demo_app.db)


async def test_found_by_the_monkey_a_palette_command_for_a_closed_screen_does_nothing(
    demo_app: ChairsideApp,
) -> None:
    """Seed 101 at 80x24 on the session screen: Ctrl+P, then a command of the session screen run after
    that screen had closed, ended the console with NoMatches '#entry-error'."""
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await _start(pilot, "session")
        screen = demo_app.screen
        acknowledge = next(
            c for c in demo_app.get_system_commands(screen) if c.title.startswith("Acknowledge")
        )
        await pilot.press("escape")  # back to the board: the session screen is gone
        await workers_done(demo_app)
        await acknowledge.callback()
        await pilot.pause()
        assert demo_app.is_running and not isinstance(demo_app.screen, SessionScreen)
