"""Two nurses on one session from two workstations: two consoles on one PostgreSQL database.

A screen that showed an older record never overwrites what the other workstation stored: the
save is refused, the screen shows the record as it is now and what changed, and what the nurse
typed stays for her to enter again.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlmodel import select
from textual._context import active_app
from textual.widgets import Checkbox, Input, Static

from app import ChairsideApp
from console.chair import charting, sessions
from console.clinic.users import find_user
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.vocab import Role
from console.store.database import Database
from console.store.models import Alert, DoseAdministration, TreatmentSession, VitalSigns
from widgets.acknowledge import AcknowledgeDialog
from widgets.session import SessionScreen
from widgets.session.dose import DoseStep

from .factories import nasal_dose_data, pre_infusion_ticked, rems_enrolled, vitals_data
from .test_app import sign_in
from .test_session_screen import Nurse, _book, _error
from .ui import workers_done

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

SIZE = (120, 40)


@asynccontextmanager
async def _both_on(
    two_consoles: tuple[ChairsideApp, ChairsideApp], session_id: int
) -> AsyncIterator[list[Nurse]]:
    """Nina at one workstation and Marcus at the other, each with the session open."""
    first, second = two_consoles
    async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
        nurses = []
        for pilot, username in ((one, "nurse"), (two, "nurse2")):
            await sign_in(pilot, username, "demo-nurse-pass")
            # Pushed from here, the screen's tasks would take the app last started (Marcus's) as
            # theirs: each console runs in its own process, so each screen belongs to its own app.
            assert isinstance(pilot.app, ChairsideApp) and pilot.app.clinic is not None
            token = active_app.set(pilot.app)
            try:
                pilot.app.push_screen(SessionScreen(pilot.app.clinic, session_id))
            finally:
                active_app.reset(token)
            nurses.append(Nurse(pilot))
            await nurses[-1].settle()
        yield nurses


async def _refusal(nurse: Nurse, where: str = "", within: float = 10.0) -> str:
    """The refusal on the nurse's screen (or in its dialog's `where`), once her save has come
    back: on a busy machine, a few rounds of the event loop after her Enter."""

    def said_now() -> str:
        app = nurse.pilot.app
        return str(app.screen.query_one(where, Static).render()) if where else _error(app)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (said := said_now()) and loop.time() < deadline:
        await nurse.pilot.pause(0.05)
        await workers_done(nurse.pilot.app)
    return said


def _field(nurse: Nurse, selector: str) -> Input:
    return nurse.pilot.app.screen.query_one(selector, Input)


def _focus(nurse: Nurse, selector: str) -> None:
    screen = nurse.pilot.app.screen
    screen.set_focus(screen.query_one(selector))


def _stored(db: Database, session_id: int) -> TreatmentSession:
    return sessions.get_session(db, session_id)


async def test_a_stale_pre_assessment_overwrites_nothing_and_keeps_what_was_typed(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    """Marcus's pre-assessment replaced Nina's pain before (6 → 5), his weight was dropped and his
    vitals line lost, with no conflict shown."""
    first, _ = two_consoles
    patient, session_id = _book(first, "iv_infusion", weighed=False)
    assert first.db is not None and patient.weight_kg is not None
    sessions.check_in(first.db, first_nurse_actor(first), session_id, 1)
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        # Marcus begins his pre-assessment: weight, pain before, the escort ticked.
        await marcus.type(f"{patient.weight_kg + 0.5:g}", "tab", "5")
        _focus(marcus, "#escort")
        await marcus.type("space")
        # Nina completes hers at the other workstation.
        await nina.type(f"{patient.weight_kg:g}", "enter", "6", "enter", "5 6 6", "enter")
        await nina.type("128/82 76 98 14 5", "enter")
        await nina.type("tab", "a", "tab", "space", "enter")  # nothing found, checklist, escort, save
        assert _error(nina.pilot.app) == "", _error(nina.pilot.app)

        _focus(marcus, "#pain-before")
        await marcus.type("enter")
        said = await _refusal(marcus)
        assert "Pain before: 6 was stored at another workstation" in said, said
        assert _field(marcus, "#pain-before").value == "5"  # kept for him to enter again

        _focus(marcus, "#weight")
        await marcus.type("enter")
        said = await _refusal(marcus)
        assert "another workstation" in said and "nothing was saved" in said, said
        assert f"Weight {patient.weight_kg:g} kg" in said, said  # what changed is named
        assert _field(marcus, "#weight").value == f"{patient.weight_kg + 0.5:g}"

        _focus(marcus, "#baseline-vitals")
        await marcus.type("130/84 74 97 14 4", "enter")  # his reading is a reading of its own
        assert _error(marcus.pilot.app) == "", _error(marcus.pilot.app)

        _focus(marcus, "#escort")
        await marcus.type("enter")
        said = await _refusal(marcus)
        assert "Pre-assessment: another workstation recorded the screen" in said, said
        assert marcus.pilot.app.screen.query_one("#escort", Checkbox).value is True  # his tick stays
    stored = _stored(first.db, session_id)
    assert stored.pain_before == 6
    assert stored.escort_confirmed is True
    with first.db.read() as session:
        readings = session.exec(select(VitalSigns.systolic).where(VitalSigns.session_id == session_id))
        assert sorted(readings) == [128, 130]
        unchanged = session.get(type(patient), patient.id)
        assert unchanged is not None
        assert unchanged.weight_kg == patient.weight_kg


async def test_a_dose_confirmed_at_two_workstations_is_recorded_once(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    """The dose form recorded a second controlled-substance dose when another nurse had
    confirmed the first while this screen still showed none."""
    first, _ = two_consoles
    _, session_id = _book(first, "nasal_spray")
    actor = first_nurse_actor(first)
    assert first.db is not None
    sessions.check_in(first.db, actor, session_id, 1)
    version = _stored(first.db, session_id).version
    sessions.record_pre_assessment(
        first.db, actor, session_id, version, escort_confirmed=True, contraindications=[]
    )
    charting.record_vitals(first.db, actor, session_id, vitals_data(first.db))
    rems_enrolled(first.db, actor, session_id)
    pre_infusion_ticked(first.db, actor, session_id)
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        for nurse in (nina, marcus):
            await nurse.type("f4")
        # Marcus begins his dose before Nina confirms hers: he clears the devices the form offered
        # and types his own (retyping the offered figure would change nothing on his screen).
        await marcus.type("backspace", "2")
        await nina.type(
            "backspace", "2", "enter", "enter", "enter", "56", "enter"
        )  # devices, lot, strength, drawn
        assert await _stored_doses(first.db, session_id) == 1, _error(nina.pilot.app)
        await marcus.type("enter", "enter", "enter", "56", "enter")
        said = await _refusal(marcus)
        assert "another workstation" in said and "nothing was saved" in said, said
        screen = marcus.pilot.app.screen
        assert isinstance(screen, SessionScreen)
        seen = screen.seen_in(screen.query_one(DoseStep))
        assert seen is not None
        assert seen.doses  # his next Enter answers Nina's dose
    with first.db.read() as session:
        doses = session.exec(
            select(DoseAdministration).where(DoseAdministration.session_id == session_id)
        ).all()
    assert len(doses) == 1


async def test_notes_added_at_two_workstations_are_both_kept(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    first, _ = two_consoles
    _, session_id = _book(first, "nasal_spray")
    assert first.db is not None
    sessions.check_in(first.db, first_nurse_actor(first), session_id, 1)
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        for nurse in (nina, marcus):
            await nurse.type("f7")
            screen = nurse.pilot.app.screen
            screen.set_focus(screen.query_one("#note", Input))
        await marcus.type("Patient asked for water")
        await nina.type("Escort arrived early", "enter")
        await marcus.type("enter")
        assert _error(marcus.pilot.app) == "", _error(marcus.pilot.app)
        notes = str(marcus.pilot.app.screen.query_one("#notes", Static).render())
    stored = _stored(first.db, session_id).notes
    assert "Escort arrived early" in stored and "Patient asked for water" in stored
    assert "Escort arrived early" in notes and "Patient asked for water" in notes


async def test_a_check_in_from_a_stale_screen_is_refused_and_shows_the_record_as_it_is(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    first, _ = two_consoles
    _, session_id = _book(first, "iv_infusion")
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        await nina.type("f2")
        await marcus.type("f2")
        assert "cannot check in a session that is checked in" in await _refusal(marcus)
        line = str(marcus.pilot.app.screen.query_one("#status-line", Static).render())
        assert "Status: Checked in" in line
    assert first.db is not None
    assert _stored(first.db, session_id).nurse_id is not None


def first_nurse_actor(console: ChairsideApp) -> Actor:
    assert console.db is not None
    user = find_user(console.db, "nurse")
    assert user is not None and user.id is not None
    return Actor(user.username, Role(user.role), user.id, user.display_name)


def _reading(console: ChairsideApp, session_id: int, systolic: int = 182) -> VitalSigns:
    assert console.db is not None
    data = vitals_data(console.db, systolic=systolic, measured_at=console.clock.now())
    return charting.record_vitals(console.db, first_nurse_actor(console), session_id, data)


async def _correcting(nurse: Nurse, line_from: str, line_to: str) -> Input:
    """Open the flowsheet's reading for correction and retype part of its line."""
    _focus(nurse, "#flowsheet")
    await nurse.type("enter")
    line = nurse.pilot.app.screen.query_one("#correction-line", Input)
    line.value = line.value.replace(line_from, line_to)
    return line


async def test_a_reading_corrected_at_two_workstations_is_not_overwritten_unseen(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    first, _ = two_consoles
    _, session_id = _book(first, "iv_infusion")
    assert first.db is not None
    sessions.check_in(first.db, first_nurse_actor(first), session_id, 1)
    _reading(first, session_id)
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        await _correcting(nina, "182/", "128/")
        line = await _correcting(marcus, "182/", "118/")
        await nina.type("enter")
        await marcus.type("enter")
        said = await _refusal(marcus, "#correction-error")
        assert "Changed at another workstation" in said and "Now stored: @" in said and "128/" in said, said
        assert line.value.split()[1].startswith("118/")  # his line stays, to enter again
        assert _systolics(first.db, session_id) == [128]
        await marcus.type("enter")  # knowingly, over the reading now shown
        assert isinstance(marcus.pilot.app.screen, SessionScreen)
    assert _systolics(first.db, session_id) == [118]


async def test_an_alert_acknowledged_at_two_workstations_keeps_the_first_note(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    first, _ = two_consoles
    _, session_id = _book(first, "iv_infusion")
    assert first.db is not None
    sessions.check_in(first.db, first_nurse_actor(first), session_id, 1)
    _reading(first, session_id, systolic=200)  # past the hold threshold: an alert
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        for nurse in (nina, marcus):
            await nurse.type("f12", "enter")
        await nina.type("Rechecked: 150/90", "enter")
        await marcus.type("Reviewed", "enter")
        assert isinstance(marcus.pilot.app.screen, AcknowledgeDialog)
        said = await _refusal(marcus, ".dialog-error")
        assert "already acknowledged by Nina Alvarez, RN" in said and "Rechecked: 150/90" in said, said
    with first.db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == session_id)).one()
    assert alert.acknowledgement == "Rechecked: 150/90"


async def test_a_discharge_from_a_stale_screen_is_refused_for_what_it_never_showed(
    two_consoles: tuple[ChairsideApp, ChairsideApp],
) -> None:
    """A side effect recorded at another workstation is not left open by a discharge that never showed it."""
    first, _ = two_consoles
    _, session_id = _book(first, "nasal_spray")
    _ready_to_leave(first, session_id)
    async with _both_on(two_consoles, session_id) as (nina, marcus):
        for nurse in (nina, marcus):
            await nurse.type("f7")
        await nina.type("f6", "n", "enter", "1", "enter")  # nausea, grade 1, at Nina's workstation
        assert _error(nina.pilot.app) == "", _error(nina.pilot.app)
        _focus(marcus, "#discharge")
        await marcus.type("enter")
        said = await _refusal(marcus)
        assert "nausea" in said.lower(), said
    assert first.db is not None
    assert _stored(first.db, session_id).status != "discharged"


def _ready_to_leave(console: ChairsideApp, session_id: int) -> None:
    """Checked in, screened, dosed (nasal), observed for two hours, pain after scored."""
    db, nurse, clock = console.db, first_nurse_actor(console), console.clock
    assert db is not None and isinstance(clock, FixedClock)
    row = sessions.check_in(db, nurse, session_id, 1)
    row = sessions.record_pre_assessment(
        db, nurse, session_id, row.version, escort_confirmed=True, contraindications=[]
    )
    charting.record_pain(
        db, nurse, session_id, {"kind": "before", "score": 6, "scored_at": clock.now()}, row.version
    )
    charting.record_vitals(db, nurse, session_id, vitals_data(db, measured_at=clock.now()))
    rems_enrolled(db, nurse, session_id)
    pre_infusion_ticked(db, nurse, session_id)
    charting.record_dose(db, nurse, session_id, nasal_dose_data(db))
    clock.advance(minutes=125)
    charting.record_vitals(db, nurse, session_id, vitals_data(db, measured_at=clock.now()))
    version = _stored(db, session_id).version
    charting.record_pain(
        db, nurse, session_id, {"kind": "after", "score": 2, "scored_at": clock.now()}, version
    )


async def _stored_doses(db: Database, session_id: int, within: float = 10.0) -> int:
    """How many doses the session has, once the one being confirmed is stored (a busy machine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        with db.read() as session:
            query = select(DoseAdministration.id).where(DoseAdministration.session_id == session_id)
            count = len(session.exec(query).all())
        if count or loop.time() > deadline:
            return count
        await asyncio.sleep(0.05)


def _systolics(db: Database, session_id: int) -> list[int]:
    with db.read() as session:
        return list(session.exec(select(VitalSigns.systolic).where(VitalSigns.session_id == session_id)))
