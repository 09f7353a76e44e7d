"""Keys typed ahead on a slow PC: each lands in the field it was typed for, or nowhere with a note.

The record's reads and saves are slowed here, as on a busy workstation, and the keys are sent the way
a nurse types on without looking: at once, and at 50, 150 and 300 ms apart. Before the console had
one queue for its keys, what was typed after F2 or after a step's last Enter went to the field the
focus was leaving (a witness PIN arrived in the blood-pressure field; `6 7 5` in Pain before).
"""

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

import widgets.session.save_queue
from app import ChairsideApp
from console.chair import sessions
from console.chair.session_view import SessionView
from console.demo.builder import DEMO_PIN
from console.store.models import DoseAdministration, Questionnaire, TreatmentSession, VitalSigns
from widgets.session import SessionScreen

from .test_app import sign_in
from .test_session_screen import Nurse, _book, _error
from .ui import keys_taken, letters, settle

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

SLOW_READ_S = 0.4  # a busy workstation's read of the session's record
GAPS_MS = (0, 50, 150, 300)


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read of the session's record takes SLOW_READ_S longer, on the screen's worker thread."""
    read = widgets.session.save_queue.session_view_for

    def slowly(*args: Any, **kwargs: Any) -> SessionView:
        time.sleep(SLOW_READ_S)
        return read(*args, **kwargs)

    monkeypatch.setattr(widgets.session.save_queue, "session_view_for", slowly)


async def _until(condition: Callable[[], bool], pilot: Pilot[None], timeout: float = 60) -> None:
    """Wait until `condition()` holds, however busy the machine (the test fails if it never does)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        await pilot.pause(0.1)


CHARACTERS = {"enter": "\r", "tab": "\t", "space": " ", "escape": "\x1b"}


async def _type_spaced(pilot: Pilot[None], gap_ms: int, *keys: str) -> None:
    """Each key `gap_ms` after the one before, whether or not the console has caught up."""
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        for letter in letters(key):
            if len(letter) > 1:
                event = events.Key(letter, CHARACTERS.get(letter))
            else:
                event = events.Key(letter if letter.isalnum() else _character_to_key(letter), letter)
            pilot.app.post_message(event)
            if gap_ms:
                await asyncio.sleep(gap_ms / 1000)
    await keys_taken(pilot.app, timeout=30)
    await settle(pilot)


def _stored(
    app: ChairsideApp, session_id: int
) -> tuple[TreatmentSession, dict[str, tuple[int, ...]], list[VitalSigns]]:
    assert app.db is not None
    with app.db.read() as session:
        row = session.get(TreatmentSession, session_id)
        assert row is not None
        answers = session.exec(select(Questionnaire).where(Questionnaire.session_id == session_id)).all()
        readings = session.exec(select(VitalSigns).where(VitalSigns.session_id == session_id)).all()
        return row, {a.instrument.value: a.items for a in answers}, list(readings)


@pytest.mark.parametrize("gap_ms", GAPS_MS)
async def test_what_is_typed_after_check_in_lands_in_the_pre_assessment(
    demo_app: ChairsideApp, slow_reads: None, gap_ms: int
) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await Nurse(pilot).type(patient.mrn, "enter")
        await _type_spaced(pilot, gap_ms, "f2", "7", "enter", "6 7 5", "enter", "128/82 76 98 14 5")
        assert _error(demo_app) == "", _error(demo_app)
        assert isinstance(demo_app.focused, Input)
        assert demo_app.focused.id == "baseline-vitals"
        assert demo_app.focused.value == "128/82 76 98 14 5"  # typed, not yet entered
    row, answers, _ = _stored(demo_app, session_id)
    assert row.status == "checked_in" and row.pain_before == 7 and answers == {"peg": (6, 7, 5)}


@pytest.mark.parametrize("gap_ms", (0, 150))
async def test_a_witness_pin_typed_while_the_pre_assessment_is_saved_never_reaches_a_clinical_field(
    demo_app: ChairsideApp, slow_reads: None, gap_ms: int
) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter", "f2")
        await nurse.type(
            "7", "enter", "6 7 5", "enter", "128/82 76 98 14 5", "enter", "tab", "a", "tab", "space"
        )
        # The step's save and everything the dose needs, typed on before the dose step has opened.
        await _type_spaced(pilot, gap_ms, "enter", "enter", "enter", "enter", "enter", "200", "enter", "m")
        await _type_spaced(pilot, gap_ms, "enter", DEMO_PIN, "enter")
        screen = demo_app.screen
        for field in screen.query(Input):
            if field.id != "dose-witness-secret":
                assert DEMO_PIN not in field.value, (field.id, field.value)
    row, _, readings = _stored(demo_app, session_id)
    assert [(r.systolic, r.diastolic) for r in readings] == [(128, 82)]  # the baseline, nothing else
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        doses = session.exec(
            select(DoseAdministration).where(DoseAdministration.session_id == session_id)
        ).all()
    assert row.status == "in_treatment" and len(doses) == 1 and doses[0].witness_id is not None


async def test_keys_for_a_screen_that_never_opens_are_dropped_with_a_note_not_typed_elsewhere(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that takes longer than the console holds keys: they are not used, and the nurse is told."""
    import widgets.key_queue

    patient, session_id = _book(demo_app, "iv_infusion")
    check_in = sessions.check_in

    checking_in = threading.Event()

    def very_slowly(*args: Any, **kwargs: Any) -> TreatmentSession:
        checking_in.set()
        time.sleep(2.0)
        return check_in(*args, **kwargs)

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await Nurse(pilot).type(patient.mrn, "enter")
        monkeypatch.setattr(sessions, "check_in", very_slowly)
        # F2 first, and on once its check-in has begun; only then is the hold made short: on a busy
        # machine F2 itself could otherwise wait longer than it, and be dropped with the keys after it.
        demo_app.post_message(events.Key("f2", None))
        await _until(checking_in.is_set, pilot)
        monkeypatch.setattr(widgets.key_queue, "HOLD_SECONDS", 0.5)  # only the keys after F2 wait too long
        await _type_spaced(pilot, 0, "7", "enter")
        await _until(lambda: isinstance(demo_app.screen, SessionScreen), pilot)  # check-in done, at last
        await settle(pilot)
        notes = [str(n.message) for n in demo_app._notifications]
        assert any("not used" in note for note in notes), notes
        assert isinstance(demo_app.focused, Input)
        assert demo_app.focused.id in ("pain-before", "weight-today") and demo_app.focused.value == ""
    row, _, _ = _stored(demo_app, session_id)
    assert row.status == "checked_in" and row.pain_before is None
