"""What the nurse sees when a protocol rule stops a step, and how the override or the fix lets it go on."""

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from app import ChairsideApp
from console.chair import charting, sessions
from console.demo.builder import DEMO_PIN
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.vocab import Role
from console.store.models import Alert, AuditEvent, Override, Patient
from tests.factories import vitals_data

from .test_app import sign_in
from .test_session_screen import NURSE, Nurse, _book, _error

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

DOCTOR = Actor("doctor", Role.PHYSICIAN, 4, "Dr. Priya Raman")


async def _pre_assessed(
    pilot: Pilot[None], patient: Patient, contraindication: bool = False, baseline: str = "128/82 76 98 14 5"
) -> Nurse:
    """Open the session, check in, pain, PEG, baseline, screen (ticking the first item when asked), the
    pre-infusion checklist, save."""
    await sign_in(pilot)
    nurse = Nurse(pilot)
    await nurse.type(patient.mrn, "enter", "f2", "7", "enter", "6 7 5", "enter", baseline, "enter")
    await nurse.type(*(["space"] if contraindication else []), "tab", "a", "tab", "space", "enter")
    return nurse


async def _confirm_dose(nurse: Nurse, rate: str | None = None) -> None:
    app = nurse.pilot.app
    if rate is not None:
        await nurse.type("ctrl+u", rate)  # over the rate of the last session
    await nurse.type("enter", "enter", "enter", "enter")
    total = float(str(app.screen.query_one("#dose-total", Static).render()).split()[3])
    await nurse.type(str(int(total) + 10), "enter", "m", "enter", DEMO_PIN, "enter")


async def test_a_positive_screen_blocks_the_dose_until_the_physician_overrides(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _pre_assessed(pilot, patient, contraindication=True)
        await _confirm_dose(nurse)
        assert "contraindication found (Pregnancy)" in _error(demo_app)
        assert "physician records an override" in _error(demo_app)
        # A nurse may not override, even with her own password in the physician's place.
        await nurse.type("ctrl+y", "enter", *"patient says so", "enter", *"nurse", "enter")
        await nurse.type(*"demo-nurse-pass", "enter")
        assert "the protocol needs a physician" in str(demo_app.screen.query_one("#override-error").render())
        assert "demo-nurse-pass" not in demo_app.export_screenshot()  # the secret is never shown
        await nurse.type("escape", "tab", "enter")  # the reason typed is thrown away, once asked
        # The physician comes to the chair and types her username and signing PIN.
        await nurse.type("ctrl+y", "enter", *"Negative test today", "enter", *"doctor", "enter")
        await nurse.type(*DEMO_PIN, "enter")
        assert "Override recorded" in _error(demo_app), _error(demo_app)
        await nurse.type("f4")
        await _confirm_dose(nurse)
        assert _error(demo_app) == "", _error(demo_app)
        assert "⚑ OVERRIDE" in str(demo_app.screen.query_one("#alerts", Static).render())
    assert demo_app.db is not None
    assert sessions.get_session(demo_app.db, session_id).status == "in_treatment"
    with demo_app.db.read() as session:
        override = session.exec(select(Override).where(Override.session_id == session_id)).one()
        decided = session.exec(select(AuditEvent).where(AuditEvent.action == "override.record")).one()
    assert (override.overridden_by, override.reason, decided.actor) == (
        DOCTOR.user_id,
        "Negative test today",
        "doctor",
    )


async def test_a_physician_records_the_override_at_the_chair(demo_app: ChairsideApp) -> None:
    _, session_id = _book(demo_app, "iv_infusion")
    assert demo_app.db is not None
    sessions.check_in(demo_app.db, NURSE, session_id, 1)
    current = sessions.get_session(demo_app.db, session_id)
    sessions.record_pre_assessment(
        demo_app.db, NURSE, session_id, current.version, escort_confirmed=True, contraindications=["hepatic"]
    )
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "doctor", "demo-doctor-pass")
        await pilot.pause()
        from widgets.session import SessionScreen

        assert demo_app.clinic is not None
        demo_app.push_screen(SessionScreen(demo_app.clinic, session_id))
        nurse = Nurse(pilot)
        await nurse.settle()
        await nurse.type("ctrl+y", "enter", *"Liver tests normal last week", "enter")
        assert "Override recorded" in _error(demo_app)
        shown = str(demo_app.screen.query_one("#alerts", Static).render())
        assert "dose despite a contraindication" in shown and "Dr. Priya Raman (physician)" in shown


@pytest.mark.parametrize(
    ("baseline", "hold"),
    [
        ("188/112 80 98 14 5", "BP 188/112 at or above 180/110"),
        ("128/82 76 98 7 5", "respiratory rate 7 below 8/min"),
    ],
)
async def test_a_pre_dose_hold_stops_the_dose_on_screen(
    demo_app: ChairsideApp, baseline: str, hold: str
) -> None:
    patient, _ = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _pre_assessed(pilot, patient, baseline=baseline)
        assert hold in str(demo_app.screen.query_one("#alerts", Static).render())
        await _confirm_dose(nurse)
        assert f"pre-dose hold: {hold}" in _error(demo_app)


async def test_an_iv_rate_outside_the_protocol_is_refused_naming_the_range(demo_app: ChairsideApp) -> None:
    patient, _ = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _pre_assessed(pilot, patient)
        await _confirm_dose(nurse, rate="2.5")
        assert "Rate: 2.5 mg/kg/h is outside the protocol's 0.5-2 mg/kg/h" in _error(demo_app)


async def test_discharge_refusal_lists_what_is_missing(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _pre_assessed(pilot, patient)
        await _confirm_dose(nurse)
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=40)
        await nurse.type("f7", "3", "enter", "a", "tab", "enter")  # pain after, the checklist, Discharge
        refusal = _error(demo_app)
        assert refusal.startswith("⚠ discharge refused:")
        assert "observation time not reached" in refusal and "latest vital signs are 40 min old" in refusal
    assert demo_app.db is not None
    assert sessions.get_session(demo_app.db, session_id).status == "in_treatment"


async def test_an_overdue_reading_shows_on_the_board_and_the_next_reading_clears_it(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    db = demo_app.db
    assert db is not None
    sessions.check_in(db, NURSE, session_id, 1, at=demo_app.clock.now() - timedelta(minutes=45))
    assert isinstance(demo_app.clock, FixedClock)
    demo_app.clock.advance(minutes=-40)
    try:
        reading = vitals_data(db, measured_at=demo_app.clock.now(), systolic=120, diastolic=80, heart_rate=70)
        charting.record_vitals(db, NURSE, session_id, reading)
    finally:
        demo_app.clock.advance(minutes=40)
    current = sessions.get_session(db, session_id)
    sessions.start_treatment(
        db, NURSE, session_id, current.version, at=demo_app.clock.now() - timedelta(minutes=35)
    )
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.settle()
        board = demo_app.screen.query_one("#board", DataTable)

        def shown() -> list[str]:
            index = next(i for i in range(board.row_count) if str(board.get_row_at(i)[-1]) == patient.mrn)
            return [str(cell) for cell in board.get_row_at(index)]

        assert shown()[4] == "⚠ 1" and "OVERDUE" in shown()[5]
        await nurse.type(patient.mrn, "enter")
        assert "vital signs overdue" in str(demo_app.screen.query_one("#alerts", Static).render())
        await nurse.type("f5", "126/80 72 98 14 5", "enter")
        assert "overdue" not in str(demo_app.screen.query_one("#alerts", Static).render())
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == session_id)).one()
    assert alert.rule == "vitals_overdue" and alert.acknowledgement == "closed by the next reading"


async def test_an_allergy_naming_the_drug_needs_its_own_override_on_screen(demo_app: ChairsideApp) -> None:
    """The allergy's refusal names its own override; the physician at the chair picks that rule."""
    patient, session_id = _book(demo_app, "iv_infusion")
    assert demo_app.db is not None
    with demo_app.db.write() as session:  # recorded at the desk earlier
        stored = session.get(Patient, patient.id)
        assert stored is not None
        stored.allergies = "Ketalar (hives)"
        session.add(stored)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _pre_assessed(pilot, patient)
        await _confirm_dose(nurse)
        assert "names ketalar" in _error(demo_app) and "physician overrides the allergy" in _error(demo_app)
        await nurse.type(
            "ctrl+y", "down", "enter", *"Hives only, 2019; premedicated", "enter", *"doctor", "enter"
        )
        await nurse.type(*DEMO_PIN, "enter")
        assert "Override recorded" in _error(demo_app), _error(demo_app)
        await nurse.type("f4")
        await _confirm_dose(nurse)
        assert _error(demo_app) == "", _error(demo_app)
    with demo_app.db.read() as session:
        override = session.exec(select(Override).where(Override.session_id == session_id)).one()
    assert override.rule == "allergy"
