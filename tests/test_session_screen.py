"""A nurse's whole session at the chair, driven through the screen with Pilot, keystrokes counted."""

import math
from datetime import time, timedelta
from time import monotonic
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, SelectionList, Static

from app import ChairsideApp
from console.chair import charting, rems, sessions
from console.chair.session_view import SessionView, read_session_view
from console.clinic import patients
from console.demo.builder import DEMO_PIN
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.protocol import Protocol
from console.domain.vocab import Checklist, Role, SessionStatus
from console.store.database import Database
from console.store.models import (
    Alert,
    AuditEvent,
    DoseAdministration,
    InductionReview,
    InfusionEvent,
    Patient,
    SideEffect,
    TreatmentSession,
    VitalSigns,
)
from widgets.number_input import NumberInput
from widgets.session import SessionScreen
from widgets.session import screen as session_screen
from widgets.session.pre_assessment import ConfirmBox
from widgets.stop_dialog import StopDialog
from widgets.tick import TickList
from widgets.today import TodayScreen

from .conftest import DEMO_DAY
from .test_app import sign_in
from .ui import settle, type_keys, workers_done

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

# A complete IV session, digits included, the discharge gate satisfied: 143 keys; since each side
# effect still open at discharge is confirmed as continuing (two here), 147; since the waste
# witness proves who they are with their PIN (four digits and Enter), 152; with the PEG line
# (`6 7 5` and Enter), 158; and with the protocol's pre-infusion and discharge checklists, each
# ticked whole with `a` (and a Tab to reach it), 162. Six vitals lines of 18 keys are 108 of them.
KEYSTROKE_BUDGET = 162


class Nurse:
    """Presses keys like a nurse and counts them: each field's text as one burst, then the screen
    settles once."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.keys = 0

    async def type(self, *keys: str) -> None:
        self.keys += await type_keys(self.pilot, *keys)
        await self.settle()

    async def settle(self) -> None:
        await settle(self.pilot)


NURSE = Actor("nurse", Role.NURSE, 1, "Nina Alvarez, RN")
OTHER_NURSE = Actor("nurse2", Role.NURSE, 2, "Marcus Okafor, RN")  # at another workstation


def _series_patient(db: Database, method: str) -> Patient:
    """A demo patient with an earlier dose of this method, so the dose form starts from it."""
    drug = "ketamine" if method == "iv_infusion" else "esketamine"
    with db.read() as session:
        today_patients = select(TreatmentSession.patient_id).where(TreatmentSession.clinic_date == DEMO_DAY)
        stopped = (  # the physician ended their treatment: no maintenance may be booked
            select(TreatmentSession.patient_id)
            .join(InductionReview, col(InductionReview.session_id) == TreatmentSession.id)
            .where(InductionReview.decision == "stop")
        )
        return session.exec(
            select(Patient)
            .join(TreatmentSession, col(TreatmentSession.patient_id) == Patient.id)
            .join(DoseAdministration, col(DoseAdministration.session_id) == TreatmentSession.id)
            .where(
                DoseAdministration.drug == drug,
                col(Patient.id).not_in(today_patients),
                col(Patient.id).not_in(stopped),
            )
            .order_by(col(Patient.id))
            .limit(1)
        ).one()


def _book(
    app: ChairsideApp,
    method: str,
    at: time = time(12, 30),
    weighed: bool = True,
    series: tuple[int, int] | str | None = "mid",
) -> tuple[Patient, int]:
    """A session today for a patient of the demo's history; `weighed`: their weight is from today;
    `series`: its number and length, mid-series by default, where no PHQ-9 or GAD-7 is due (an
    infusion's 3 of 6, an esketamine induction's 2 of 8); None: a maintenance session."""
    assert app.db is not None
    if series == "mid":
        series = (3, 6) if method == "iv_infusion" else (2, 8)
    assert not isinstance(series, str)
    patient = _series_patient(app.db, method)
    nurse = NURSE
    if weighed:
        patient = patients.record_weight(app.db, nurse, patient.id, patient.version, patient.weight_kg)
    row = sessions.schedule_session(
        app.db,
        nurse,
        {
            "patient_id": patient.id,
            "clinic_date": DEMO_DAY,
            "scheduled_time": at,
            "chair": "6",
            "method": method,
        }
        | ({"series_number": series[0], "series_length": series[1]} if series else {}),
    )
    return patient, row.id


def _checked_in(app: ChairsideApp, method: str = "iv_infusion") -> tuple[Patient, int]:
    """A session booked today and already checked in."""
    patient, session_id = _book(app, method)
    assert app.db is not None
    sessions.check_in(app.db, NURSE, session_id, 1)
    return patient, session_id


async def _open(pilot: Pilot[None], session_id: int) -> "Nurse":
    """Sign in and open the session screen straight away."""
    await sign_in(pilot)
    assert isinstance(pilot.app, ChairsideApp) and pilot.app.clinic is not None
    pilot.app.push_screen(SessionScreen(pilot.app.clinic, session_id))
    nurse = Nurse(pilot)
    await nurse.settle()
    return nurse


def _error(app: App[None]) -> str:
    """The refusal on screen: under the field it came from, or under the step."""
    lines = [app.screen.query_one("#entry-error", Static), *app.screen.query(".refusal").results(Static)]
    return " ".join(text for line in lines if (text := str(line.render())))


async def test_whole_iv_session_within_the_keystroke_budget(demo_app: ChairsideApp) -> None:
    # Mid-series: PHQ-9 and GAD-7 are not due (they are at a series' first and last session).
    patient, session_id = _book(demo_app, "iv_infusion", weighed=False)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn.lower(), "enter")  # the wristband scanner types the MRN
        assert isinstance(demo_app.screen, SessionScreen) and demo_app.screen.session_id == session_id
        nurse.keys = 0  # count from the open session, as a nurse works at the chair
        await nurse.type("f2")  # check in
        await nurse.type(f"{patient.weight_kg:g}", "enter")  # the last weight is too old: weighed today
        await nurse.type("7", "enter")  # pain before
        await nurse.type("6 7 5", "enter")  # PEG: pain, enjoyment of life, general activity
        await nurse.type("128/82 76 98 14 5", "enter")  # baseline vitals
        # No contraindication, the pre-infusion checklist ticked whole, escort confirmed, save.
        await nurse.type("tab", "a", "tab", "space", "enter")
        # Dose: rate, duration, lot and concentration come from the last session and today's lot.
        await nurse.type("enter", "enter", "enter", "enter")
        total = float(str(demo_app.screen.query_one("#dose-total", Static).render()).split()[3])
        drawn = str(math.ceil(total / 10) * 10)  # whole vials of 10 mg
        planned = int(demo_app.screen.query_one("#dose-duration", Input).value)
        await nurse.type(drawn, "enter", "m", "enter", DEMO_PIN, "enter")  # the witness types their PIN
        assert _error(demo_app) == "", _error(demo_app)
        assert isinstance(demo_app.clock, FixedClock)
        for line in ("130/84 74 97 14 4", "126/80 72 98 14 4", "124/78 70 98 14 4", "122/78 70 98 14 5"):
            demo_app.clock.advance(minutes=15)
            await nurse.type(line, "enter")
        await nurse.type("f6", "n", "enter", "1", "enter")  # nausea, grade 1
        await nurse.type("f6", "d", "enter", "2", "enter")  # dizziness, grade 2
        demo_app.clock.advance(minutes=max(5, planned - 60))  # the pump has given the whole dose
        await nurse.type("f8")  # dosing over: observation
        demo_app.clock.advance(minutes=40)
        await nurse.type("f5", "120/76 68 98 14 5", "enter")  # the reading before discharge
        await nurse.type("f7", "3", "enter")  # pain after
        assert "substantial" in str(demo_app.screen.query_one("#pain-change", Static).render())
        await nurse.type("space", "down", "space")  # both side effects continue at discharge
        await nurse.type("tab", "a", "tab", "enter")  # the discharge checklist ticked whole, discharge
        assert _error(demo_app) == "", _error(demo_app)
        print(f"keystrokes for a complete IV session: {nurse.keys}")
        assert nurse.keys <= KEYSTROKE_BUDGET
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        row = session.get(TreatmentSession, session_id)
        assert row is not None
        assert (row.status, row.pain_before, row.pain_after, row.escort_confirmed) == (
            "discharged",
            7,
            3,
            True,
        )
        assert row.contraindications_screened_at is not None and row.contraindications_found == ""
        readings = session.exec(select(VitalSigns).where(VitalSigns.session_id == session_id)).all()
        assert [r.systolic for r in readings] == [128, 130, 126, 124, 122, 120]
        dose = session.exec(
            select(DoseAdministration).where(DoseAdministration.session_id == session_id)
        ).one()
        assert dose.route == "intravenous" and dose.drawn_mg == float(drawn) and dose.witness_id is not None
        assert dose.dose_mg + dose.wasted_mg == pytest.approx(dose.drawn_mg)
        effects = session.exec(
            select(SideEffect.effect, SideEffect.grade).where(SideEffect.session_id == session_id)
        )
        assert sorted(effects) == [("dizziness", 2), ("nausea", 1)]


async def test_whole_nasal_session(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "nasal_spray", time(12, 0), weighed=False)
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter")
        await nurse.type("f2", f"{patient.weight_kg:g}", "enter")  # weighed: the last weight is too old
        await nurse.type("6", "enter", "5 6 6", "enter", "132/84 80 99 16 5", "enter")
        # nasal: the REMS enrolment (typed the first time) and medication questions, then the escort
        await nurse.type("tab", "REMS-4411", "enter", "space", "tab", "a", "tab", "space", "enter")
        screen = demo_app.screen
        assert screen.query_one("#dose-devices").has_focus
        await nurse.type("3", "enter")
        assert "84 mg" in str(screen.query_one("#dose-total", Static).render())
        await nurse.type("enter", "enter", "84", "enter")  # lot, concentration, drawn: nothing wasted
        assert _error(demo_app) == "", _error(demo_app)
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=40)
        await nurse.type("138/88 82 98 15 4", "enter")
        await nurse.type("f8")
        demo_app.clock.advance(minutes=80)
        await nurse.type("f5", "126/80 76 99 15 5", "enter", "f7")
        outlook = str(screen.query_one("#discharge-outlook", Static).render())
        assert outlook.startswith(
            "Discharge possible from 13:30; still needed: pain after not recorded; discharge checklist not "
            "ticked: Oriented to time, place and person, Walks steadily without help, Escort present to take "
            "the patient home; REMS form not complete (each device's time;"
        )
        # The REMS form before the patient leaves: three devices, dissociation seen and resolved.
        await nurse.type("ctrl+f", "end", " 11:31 11:32", "enter", "no", "enter", "11:45-12:40", "enter")
        await nurse.type("no", "enter", "115", "enter")
        assert isinstance(demo_app.screen, SessionScreen), _error(demo_app)
        await nurse.type("2", "enter", "a", "tab", "enter")  # pain after, the checklist, discharge
        assert _error(demo_app) == "", _error(demo_app)
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        row = session.get(TreatmentSession, session_id)
        dose = session.exec(
            select(DoseAdministration).where(DoseAdministration.session_id == session_id)
        ).one()
    assert row is not None
    assert row.status == SessionStatus.DISCHARGED and (row.pain_before, row.pain_after) == (6, 2)
    assert (dose.route, dose.device_count, dose.dose_mg, dose.wasted_mg) == ("nasal", 3, 84, 0)
    form = rems.rems_form(rems.facts_of(demo_app.db, session_id), "", Protocol().thresholds, ZoneInfo("UTC"))
    assert (form.value("enrolment_id"), form.value("benzodiazepines"), form.value("opioids")) == (
        "REMS-4411",
        "yes",
        "no",
    )
    assert form.complete, form.missing
    at_the_clinic = rems.rems_form(
        rems.facts_of(demo_app.db, session_id), "", Protocol().thresholds, ZoneInfo("America/Chicago")
    )
    assert (at_the_clinic.value("dissociation_at"), at_the_clinic.value("dissociation_resolved_at")) == (
        "11:45",
        "12:40",
    )


async def test_unknown_mrn_is_refused_on_the_board(demo_app: ChairsideApp) -> None:
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await Nurse(pilot).type("MRN-NOBODY", "enter")
        assert isinstance(demo_app.screen, TodayScreen)
        assert "No session on this day for 'MRN-NOBODY'" in str(
            demo_app.screen.query_one("#board-message").render()
        )


@pytest.mark.parametrize(
    "line, says",
    [
        ("128/82 76 98", "respiratory rate is missing"),
        ("300/82 76 98 14 5", "Systolic BP"),
        ("128/82 76 98 14 9", "MOAA/S"),
        ("82/128 76 98 14 5", "lower than systolic"),
    ],
)
async def test_refused_vitals_line_says_why_where_the_nurse_types(
    demo_app: ChairsideApp, line: str, says: str
) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5", line, "enter")
        assert says in _error(demo_app)
        field = demo_app.screen.query_one("#quick-vitals", Input)
        assert field.value == line  # kept for correction
        refusal = demo_app.screen.query_one(".refusal")
        assert refusal.region.y == field.region.bottom  # right under the field, not the step's foot
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        assert session.exec(select(VitalSigns).where(VitalSigns.session_id == session_id)).all() == []


async def test_conflict_reloads_and_overwrites_nothing(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter", "f2")
        # Another workstation records the pain score first.
        other = OTHER_NURSE
        assert demo_app.db is not None
        current = sessions.get_session(demo_app.db, session_id)
        from console.chair import charting

        charting.record_pain(
            demo_app.db,
            other,
            session_id,
            {"kind": "before", "score": 5, "scored_at": demo_app.clock.now()},
            current.version,
        )
        await nurse.type("8", "enter")
        assert "Pain before: 5 was stored at another workstation while this screen showed none" in _error(
            demo_app
        )
        assert demo_app.screen.query_one("#pain-before", Input).value == "8"  # kept, to enter again
        assert isinstance(demo_app.screen, SessionScreen) and demo_app.screen.view is not None
        assert demo_app.screen.view.session.pain_before == 5  # the screen shows what was really stored
    assert sessions.get_session(demo_app.db, session_id).pain_before == 5


async def test_brackets_in_names_and_notes_show_as_typed(demo_app: ChairsideApp) -> None:
    """Text people typed is never read as markup (a stray '[/b]' must not break the screen)."""
    from console.clinic import patients

    nurse = NURSE
    assert demo_app.db is not None
    odd = patients.create_patient(
        demo_app.db,
        nurse,
        {
            "mrn": "ODD-1",
            "family_name": "Doe [/b]",
            "given_name": "[bold]Jo",
            "date_of_birth": "1980-01-01",
            "sex": "female",
            "allergies": "[red]latex[/red]",
            "weight_kg": 70,
            "weight_measured_on": DEMO_DAY,
        },
    )
    sessions.schedule_session(
        demo_app.db,
        nurse,
        {
            "patient_id": odd.id,
            "clinic_date": DEMO_DAY,
            "scheduled_time": time(15, 0),
            "chair": "2",
            "method": "iv_infusion",
        },
    )
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        nurse_keys = Nurse(pilot)
        await nurse_keys.type("odd-1", "enter")
        assert isinstance(demo_app.screen, SessionScreen)
        header = str(demo_app.screen.query_one("#patient-header", Static).render())
        assert "Doe [/b], [bold]Jo" in header and "[red]latex[/red]" in header


async def test_a_first_esketamine_session_at_84_mg_is_refused_under_the_devices(
    demo_app: ChairsideApp,
) -> None:
    """The label starts at 56 mg: three devices at a patient's first nasal session wait for an override."""
    from console.clinic import patients

    assert demo_app.db is not None
    details = {"family_name": "Lund", "given_name": "Eva", "date_of_birth": "1975-03-03", "sex": "female"}
    new = patients.create_patient(
        demo_app.db, NURSE, details | {"mrn": "NEW-N", "weight_kg": 64.5, "weight_measured_on": DEMO_DAY}
    )
    booking = {"patient_id": new.id, "clinic_date": DEMO_DAY, "scheduled_time": time(15, 30), "chair": "1"}
    mid_series = {"series_number": 2, "series_length": 8}  # no PHQ-9 or GAD-7 due
    row = sessions.schedule_session(demo_app.db, NURSE, booking | mid_series | {"method": "nasal_spray"})
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type("NEW-N", "enter", "f2", "6", "enter", "5 6 6", "enter", "132/84 80 99 16 5", "enter")
        await nurse.type("tab", "REMS-4411", "enter", "tab", "a", "tab", "space", "enter")
        screen = demo_app.screen
        await nurse.type("3", "enter", "enter", "enter", "84", "enter")
        assert "84 mg to start esketamine; the label starts at 56 mg" in _error(demo_app), _error(demo_app)
        refusal = screen.query_one(".refusal", Static)
        assert refusal.region.y == screen.query_one("#dose-devices").region.bottom
    with demo_app.db.read() as session:
        assert (
            session.exec(select(DoseAdministration).where(DoseAdministration.session_id == row.id)).all()
            == []
        )


async def test_patient_without_weight_is_weighed_first(demo_app: ChairsideApp) -> None:
    from console.clinic import patients

    nurse = NURSE
    assert demo_app.db is not None
    new = patients.create_patient(
        demo_app.db,
        nurse,
        {
            "mrn": "NEW-W",
            "family_name": "Lund",
            "given_name": "Eva",
            "date_of_birth": "1975-03-03",
            "sex": "female",
        },
    )
    row = sessions.schedule_session(
        demo_app.db,
        nurse,
        {
            "patient_id": new.id,
            "clinic_date": DEMO_DAY,
            "scheduled_time": time(15, 30),
            "chair": "1",
            "method": "iv_infusion",
        },
    )
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse_keys = Nurse(pilot)
        await nurse_keys.type("NEW-W", "enter", "f2")
        assert demo_app.screen.query_one("#weight").has_focus
        await nurse_keys.type("64.5", "enter", "6", "enter")
        assert _error(demo_app) == ""
    weighed = patients.get_patient(demo_app.db, new.id)
    assert (weighed.weight_kg, weighed.weight_measured_on) == (64.5, DEMO_DAY)
    assert sessions.get_session(demo_app.db, row.id).pain_before == 6


async def test_a_weight_far_from_the_last_is_stored_when_entered_again(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion", weighed=False)
    assert patient.weight_kg is not None
    last, weighed = patient.weight_kg, round(patient.weight_kg * 0.8, 1)
    async with demo_app.run_test(size=(100, 30)) as pilot:  # narrow: the refusal must still show
        nurse = await _open(pilot, session_id)
        await nurse.type("f2", "7", "enter")  # a digit lost
        assert "Weight: 7 kg is" in _error(demo_app) and "enter it again" in _error(demo_app)
        assert demo_app.screen.query_one("#weight").has_focus
        assert demo_app.db is not None
        assert patients.get_patient(demo_app.db, patient.id).weight_kg == last  # nothing stored
        await nurse.type("backspace", f"{weighed:g}", "enter")  # another value is checked afresh
        assert "enter it again" in _error(demo_app)
        await nurse.type("enter")  # the same value again: confirmed
        assert _error(demo_app) == ""
    assert patients.get_patient(demo_app.db, patient.id).weight_kg == weighed


async def _at_the_amount_drawn(pilot: Pilot[None], patient: Patient) -> Nurse:
    """Signed in, the IV session checked in and pre-assessed, the dose typed up to the amount drawn."""
    await sign_in(pilot)
    nurse = Nurse(pilot)
    await nurse.type(
        patient.mrn, "enter", "f2", "7", "enter", "6 7 5", "enter", "128/82 76 98 14 5", "enter", "tab"
    )
    await nurse.type("a", "tab", "space", "enter")
    await nurse.type("enter", "enter", "enter", "enter")
    return nurse


async def test_a_refused_rate_change_stays_where_the_nurse_typed_it(demo_app: ChairsideApp) -> None:
    """A rate out of range hid the rate field and emptied it, the refusal left under a hidden field
    and the focus in the vitals line: the nurse had to open the field again and retype."""
    patient, _ = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _at_the_amount_drawn(pilot, patient)
        total = float(str(demo_app.screen.query_one("#dose-total", Static).render()).split()[3])
        await nurse.type(str(math.ceil(total / 10) * 10), "enter", "m", "enter", DEMO_PIN, "enter")
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=20)
        await nurse.type("f10", "12", "enter")
        rate = demo_app.screen.query_one("#new-rate", Input)
        assert "New rate: mg/kg/h, more than 0 and at most 10 (got '12')" in _error(demo_app)
        assert rate.display and rate.has_focus and rate.value == "12"
        await nurse.type("ctrl+u", "3", "enter")  # a rate a pump takes, past the protocol's range
        assert "New rate: 3 mg/kg/h is outside the protocol's 0.5-2 mg/kg/h" in _error(demo_app)
        assert rate.display and rate.has_focus and rate.value == "3"
        await nurse.type("ctrl+u", "1", "enter")
        assert _error(demo_app) == ""
        assert not rate.display and rate.value == ""
        assert demo_app.screen.focused.id == "quick-vitals"
        state = str(demo_app.screen.query_one("#infusion-state", Static).render())
        assert "at 1 mg/kg/h" in state


async def test_pause_resume_rate_change_and_stop_on_screen(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _at_the_amount_drawn(pilot, patient)
        total = float(str(demo_app.screen.query_one("#dose-total", Static).render()).split()[3])
        planned = int(demo_app.screen.query_one("#dose-duration", Input).value)
        await nurse.type(str(math.ceil(total / 10) * 10), "enter", "m", "enter", DEMO_PIN, "enter")
        state = demo_app.screen.query_one("#infusion-state", Static)
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=20)
        await nurse.type("f9")
        assert str(state.render()).startswith("Infusion paused"), _error(demo_app)
        demo_app.clock.advance(minutes=5)
        await nurse.type("f9", "f10", "1", "enter")
        assert "running" in str(state.render()) and "at 1 mg/kg/h" in str(state.render())
        demo_app.clock.advance(minutes=10)
        await nurse.type("f8")  # before the planned dose was given: why, and the rest wasted
        assert isinstance(demo_app.screen, StopDialog)
        summary = str(demo_app.screen.query_one("#stop-summary", Static).render())
        assert summary.startswith(f"Stopping after 35 of {planned} min:") and "mg is left over" in summary
        await nurse.type("enter", "m", "enter", DEMO_PIN, "enter")  # no reason given
        assert "say why it stops early" in str(demo_app.screen.query_one("#stop-error", Static).render())
        assert demo_app.screen.query_one("#stop-reason").has_focus
        await nurse.type("Patient asked to stop", "enter", "enter", DEMO_PIN, "enter")
        assert isinstance(demo_app.screen, SessionScreen), _error(demo_app)
        assert str(state.render()).startswith("Infusion stopped")
    row = sessions.get_session(demo_app.db, session_id)
    assert row.status == SessionStatus.OBSERVATION
    with demo_app.db.read() as session:
        events = session.exec(select(InfusionEvent).order_by(InfusionEvent.id)).all()
        dose = session.get(DoseAdministration, events[-1].dose_id)
    assert [e.kind for e in events[-4:]] == ["pause", "resume", "rate_change", "stop"]
    stop = events[-1]
    assert stop.stop_reason == "Patient asked to stop" and stop.wasted_mg and stop.witness_id
    assert dose.planned_duration_min == planned and dose.stopped_at is not None  # the plan stays as planned


async def test_extra_pain_score_and_resolving_a_side_effect(demo_app: ChairsideApp) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f6", "h", "enter", "2", "tab", "Acetaminophen 1 g", "tab", "11:10", "enter")
        assert _error(demo_app) == ""
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=20)
        await nurse.type("f5")
        await nurse.type("tab", "4", "enter")  # an extra pain score, from the monitoring step
        await nurse.type("f11", "enter", "enter", "enter")  # the only open side effect, keep the action, now
        assert _error(demo_app) == ""
        await nurse.type("f11")
        assert "No side effect" in _error(demo_app)
    from console.store.models import PainScore

    assert demo_app.db is not None
    with demo_app.db.read() as session:
        effect = session.exec(select(SideEffect).where(SideEffect.session_id == session_id)).one()
        extra = session.exec(select(PainScore).where(PainScore.session_id == session_id)).one()
    assert (effect.effect, effect.grade, effect.action_taken) == (
        "emergence_reaction",
        2,
        "Acetaminophen 1 g",
    )
    assert demo_app.settings is not None
    assert effect.onset_at.astimezone(demo_app.settings.zone).strftime("%H:%M") == "11:10"
    assert effect.resolved_at == demo_app.clock.now() and (extra.kind, extra.score) == ("extra", 4)


async def test_a_reading_is_corrected_from_the_flowsheet(demo_app: ChairsideApp) -> None:
    _, session_id = _checked_in(demo_app)
    from console.chair import charting

    assert demo_app.db is not None
    charting.record_vitals(
        demo_app.db,
        NURSE,
        session_id,
        {
            "measured_at": demo_app.clock.now(),
            "systolic": 182,
            "diastolic": 82,
            "heart_rate": 76,
            "spo2": 98,
            "resp_rate": 14,
            "moaas": 5,
        },
    )
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        demo_app.screen.set_focus(demo_app.screen.query_one("#flowsheet"))
        await nurse.type("enter")
        line = demo_app.screen.query_one("#correction-line", Input)
        assert line.value.endswith("182/82 76 98 14 5")
        line.value = line.value.replace("182/", "128/")
        await nurse.type("enter")
        assert _error(demo_app) == ""
    with demo_app.db.read() as session:
        assert session.exec(select(VitalSigns.systolic).where(VitalSigns.session_id == session_id)).all() == [
            128
        ]


async def test_notes_are_added_signed_and_kept(demo_app: ChairsideApp) -> None:
    _, session_id = _checked_in(demo_app, "nasal_spray")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f7")
        demo_app.screen.set_focus(demo_app.screen.query_one("#note"))
        await nurse.type("Driver: husband, 555-0100", "enter", "Prefers dim lights", "enter")
        assert _error(demo_app) == ""
    assert demo_app.db is not None
    notes = sessions.get_session(demo_app.db, session_id).notes.splitlines()
    assert notes == [
        "26 Nov 2026 11:30 Nina Alvarez, RN: Driver: husband, 555-0100",
        "26 Nov 2026 11:30 Nina Alvarez, RN: Prefers dim lights",
    ]


async def test_an_alert_shows_on_screen_and_on_the_board_until_acknowledged(demo_app: ChairsideApp) -> None:
    patient, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(patient.mrn, "enter", "f5", "128/82 76 89 14 5", "enter")
        shown = str(demo_app.screen.query_one("#alerts", Static).render())
        assert "⚠ ALERT" in shown and "SpO2 89% below 92%" in shown
        await nurse.type("escape")
        board = demo_app.screen.query_one("#board", DataTable)
        await nurse.settle()
        row = next(
            board.get_row_at(i) for i in range(board.row_count) if str(board.get_row_at(i)[-1]) == patient.mrn
        )
        assert str(row[4]) == "⚠ 1"
        await nurse.type(patient.mrn, "enter", "f12", "enter", "Repositioned, SpO2 96", "enter")
        assert str(demo_app.screen.query_one("#alerts", Static).render()) == ""
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == session_id)).one()
    assert alert.acknowledgement == "Repositioned, SpO2 96"


async def test_a_hold_acknowledged_with_ok_is_refused_under_the_note_until_it_names_the_action(
    demo_app: ChairsideApp,
) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5", "186/104 76 98 14 5", "enter")  # the nurse sees the alert, then F12
        await nurse.type("f12", "enter", "ok", "enter")
        refusal = str(demo_app.screen.query_one("#ack-error", Static).render())
        assert "needs the action taken" in refusal and demo_app.screen.query_one("#ack-note", Input).has_focus
        await nurse.type("ctrl+u", "Physician called, dosing held", "enter")
        assert str(demo_app.screen.query_one("#alerts", Static).render()) == ""
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == session_id)).one()
    assert (alert.rule, alert.acknowledgement) == ("bp_hold", "Physician called, dosing held")


async def test_a_side_effect_is_corrected_from_its_table(demo_app: ChairsideApp) -> None:
    _, session_id = _checked_in(demo_app)
    from console.chair import charting

    assert demo_app.db is not None
    charting.record_side_effect(
        demo_app.db,
        NURSE,
        session_id,
        {"effect": "nausea", "grade": 3, "onset_at": demo_app.clock.now()},
    )
    async with demo_app.run_test(size=(160, 50)) as pilot:
        nurse = await _open(pilot, session_id)
        demo_app.screen.set_focus(demo_app.screen.query_one("#effects"))
        await nurse.type("enter")
        assert demo_app.screen.query_one("#effect-grade", NumberInput).value == "3"
        demo_app.screen.query_one("#effect-grade", NumberInput).value = "1"
        demo_app.screen.set_focus(demo_app.screen.query_one("#effect-grade"))
        await nurse.type("enter")
        assert _error(demo_app) == ""
    with demo_app.db.read() as session:
        effect = session.exec(select(SideEffect).where(SideEffect.session_id == session_id)).one()
    assert (effect.effect, effect.grade, effect.version) == ("nausea", 1, 2)


async def test_the_side_effect_dialog_shows_the_terms_grades_and_refuses_one_it_has_not(
    demo_app: ChairsideApp,
) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f6", "n", "enter")  # nausea
        scale = str(demo_app.screen.query_one("#effect-scale", Label).render())
        assert scale == "CTCAE grade of nausea: 1 mild, 2 moderate, 3 severe; Enter saves"
        await nurse.type("4", "enter")
        assert "Nausea has grades 1 mild, 2 moderate, 3 severe (CTCAE v5.0)" in str(
            demo_app.screen.query_one(".dialog-error", Static).render()
        )
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        assert session.exec(select(SideEffect).where(SideEffect.session_id == session_id)).all() == []


async def _nasal_dose_given(pilot: Pilot[None], patient: Patient) -> "Nurse":
    """Signed in, the patient scanned, checked in, pre-assessed and given 56 mg by nasal spray."""
    await sign_in(pilot)
    nurse = Nurse(pilot)
    await nurse.type(
        patient.mrn, "enter", "f2", "6", "enter", "5 6 6", "enter", "132/84 80 99 16 5", "enter", "tab"
    )
    await nurse.type("REMS-4411", "enter")
    await nurse.type("tab", "a", "tab", "space", "enter")  # no medication, the checklist, escort, save
    await nurse.type("2", "enter", "enter", "enter", "56", "enter")
    return nurse


async def test_a_nasal_dose_waits_for_the_labels_pre_dose_items(demo_app: ChairsideApp) -> None:
    """A nasal session asks the esketamine label's fasting (no food 2 h, no drink 30 min) and no IV
    cannula; its items are ticked before the first dose: the refusal names them."""
    patient, session_id = _book(demo_app, "nasal_spray", time(12, 0))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(
            patient.mrn, "enter", "f2", "6", "enter", "5 6 6", "enter", "132/84 80 99 16 5", "enter"
        )
        label = str(demo_app.screen.query_one("#pre-checklist-label", Label).render())
        assert label.startswith("Pre-dose checklist")
        options = demo_app.screen.query_one("#pre-checklist", SelectionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown == Protocol().checklists.pre_nasal and not any("cannula" in item for item in shown)
        await nurse.type("tab", "REMS-4411", "enter", "tab", "tab", "space", "enter")  # the checklist left
        await nurse.type("2", "enter", "enter", "enter", "56", "enter")
        said = _error(demo_app)
        assert (
            "pre-dose checklist not ticked: No food for 2 hours before the dose; No drink for 30" in said
            and "Pregnancy test negative" in said
        ), said
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        assert (
            session.exec(select(DoseAdministration).where(DoseAdministration.session_id == session_id)).all()
            == []
        )


async def test_a_dose_is_corrected_from_its_form(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "nasal_spray", time(12, 0))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _nasal_dose_given(pilot, patient)
        assert _error(demo_app) == ""
        await nurse.type("f4")
        screen = demo_app.screen
        assert str(screen.query_one("#confirm-dose", Button).label) == "Correct dose"
        assert screen.query_one("#dose-devices", NumberInput).value == "2"
        await nurse.type("3", "enter", "enter", "enter", "84", "enter")  # it was three devices
        assert _error(demo_app) == ""
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        dose = session.exec(
            select(DoseAdministration).where(DoseAdministration.session_id == session_id)
        ).one()
    assert (dose.device_count, dose.dose_mg, dose.drawn_mg, dose.version) == (3, 84, 84, 2)


async def test_drawn_typed_fast_then_enter_records_the_waste_and_asks_for_its_witness(
    demo_app: ChairsideApp,
) -> None:
    """`30⏎` typed at once used to store drawn 30 mg, wasted 0, no witness: the waste came after a
    pause. And the witness was not authenticated: typing `m` Enter recorded Marcus Okafor, RN."""
    from .ui import burst

    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("7", "enter", "6 7 5", "enter", "128/82 76 98 14 5", "enter")
        await nurse.type("tab", "a", "tab", "space", "enter")
        await nurse.type("enter", "enter", "enter", "enter")  # rate, duration, lot, concentration as offered
        screen = demo_app.screen
        total = float(str(screen.query_one("#dose-total", Static).render()).split()[3])
        drawn = math.ceil(total / 10) * 10 + 10  # a vial more than the dose: there is waste
        burst(demo_app, *str(drawn), "enter")
        await nurse.settle()
        assert screen.query_one("#dose-witness").has_focus and _error(demo_app) == "", _error(demo_app)
        assert float(screen.query_one("#dose-wasted", Input).value) == pytest.approx(drawn - total, abs=0.01)
        assert demo_app.db is not None
        with demo_app.db.read() as session:
            assert (
                session.exec(
                    select(DoseAdministration).where(DoseAdministration.session_id == session_id)
                ).all()
                == []
            )
        # The witness proves who they are: a name alone, or a wrong PIN, records nothing.
        await nurse.type("m", "enter", "enter")
        assert "Marcus Okafor, RN confirms with their password or PIN" in _error(demo_app)
        assert screen.query_one("#dose-witness-secret").has_focus
        await nurse.type("1357", "enter")
        assert "wrong password or PIN" in _error(demo_app), _error(demo_app)
        assert screen.query_one("#dose-witness-secret", Input).value == ""  # never left on screen
        with demo_app.db.read() as session:
            assert not session.exec(
                select(DoseAdministration).where(DoseAdministration.session_id == session_id)
            ).all()
        await nurse.type(DEMO_PIN, "enter")
        assert _error(demo_app) == "", _error(demo_app)
    with demo_app.db.read() as session:
        dose = session.exec(
            select(DoseAdministration).where(DoseAdministration.session_id == session_id)
        ).one()
        proofs = session.exec(
            select(AuditEvent.actor, AuditEvent.action)
            .where(col(AuditEvent.action).in_(("witness", "witness.failed")))
            .order_by(col(AuditEvent.id).desc())
            .limit(2)
        ).all()
    assert dose.drawn_mg == drawn and dose.witness_id is not None
    assert dose.dose_mg + dose.wasted_mg == pytest.approx(drawn)
    assert proofs == [("nurse2", "witness"), ("nurse2", "witness.failed")]  # the witness is audited


async def test_a_load_finishing_after_its_screen_closed_is_dropped_not_a_crash(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Esc while the session was still loading used to end the console with NoMatches (exit status 0)."""
    import threading

    import widgets.session.save_queue

    _, session_id = _checked_in(demo_app)
    release = threading.Event()
    slow = widgets.session.save_queue.session_view_for

    def still_loading(*args: Any, **kwargs: Any) -> SessionView:
        release.wait(5)
        return slow(*args, **kwargs)

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.pause()
        monkeypatch.setattr(widgets.session.save_queue, "session_view_for", still_loading)
        assert isinstance(pilot.app, ChairsideApp) and pilot.app.clinic is not None
        pilot.app.push_screen(SessionScreen(pilot.app.clinic, session_id))
        await pilot.pause()
        await pilot.press("escape")  # back to the board while the record is still being read
        await pilot.pause(0.5)
        assert isinstance(pilot.app.screen, TodayScreen)  # Esc needs no record: it went through
        release.set()
        await pilot.pause(0.5)  # the closed screen's worker finishes, and its result goes nowhere
        assert isinstance(pilot.app.screen, TodayScreen) and pilot.app.is_running


@pytest.mark.parametrize(
    "field, typed, says",
    [
        ("pain-before", "1o", "Pain before: '1o' is not a whole number"),
        ("weight", "1o4", "Weight: '1o4' is not a number"),
    ],
)
async def test_a_letter_in_a_number_field_is_refused_naming_the_field_never_dropped(
    demo_app: ChairsideApp, field: str, typed: str, says: str
) -> None:
    """Pain `1o` (meant 10) used to be stored as 1; weight `1o4` as 14."""
    patient, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        demo_app.screen.set_focus(demo_app.screen.query_one(f"#{field}"))
        await nurse.type(typed, "enter")
        assert says in _error(demo_app), _error(demo_app)
        assert demo_app.screen.query_one(f"#{field}", Input).value == typed  # kept as typed, to be corrected
        assert demo_app.screen.query_one(f"#{field}").has_focus
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        row = session.get(TreatmentSession, session_id)
        assert row is not None
        assert row.pain_before is None
        stored = session.get(Patient, patient.id)
        assert stored is not None
        assert stored.weight_kg == patient.weight_kg


async def test_ticked_and_unticked_boxes_differ_in_their_glyph_not_only_in_colour(
    demo_app: ChairsideApp,
) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        screen = demo_app.screen
        escort = screen.query_one("#escort", ConfirmBox)
        assert "[ ]" in escort.render().plain
        screen.set_focus(escort)
        await nurse.type("space")
        assert "[x]" in escort.render().plain
        found = screen.query_one("#contraindications")
        lines = [found.render_line(y).text for y in range(2)]
        assert all(line.startswith("[ ]") for line in lines), lines
        screen.set_focus(found)
        await nurse.type("space")
        assert found.render_line(0).text.startswith("[x]")


@pytest.mark.parametrize("method", ["iv_infusion", "nasal_spray"])
async def test_a_nasal_screen_asks_the_esketamine_labels_own_contraindications(
    demo_app: ChairsideApp, method: str
) -> None:
    """Aneurysmal vascular disease, an arteriovenous malformation or an intracerebral haemorrhage
    rule esketamine out (label); an IV screen asks the guideline's list and hypersensitivity."""
    _, session_id = _checked_in(demo_app, method)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f3")
        found = demo_app.screen.query_one("#contraindications", TickList)
        asked = [str(found.get_option_at_index(n).prompt) for n in range(found.option_count)]
        label_own = [
            "Aneurysmal vascular disease or arteriovenous malformation",
            "History of intracerebral haemorrhage",
        ]
        assert "Hypersensitivity to ketamine, esketamine or an excipient" in asked
        assert all((item in asked) is (method == "nasal_spray") for item in label_own), asked
        demo_app.screen.set_focus(found)
        await nurse.type(*["down"] * (len(asked) - 1), "space")
        demo_app.screen.set_focus(demo_app.screen.query_one("#save-pre"))
        await nurse.type("enter")
        assert demo_app.db is not None
        stored = sessions.get_session(demo_app.db, session_id).contraindications_found
        assert stored == ("intracerebral_haemorrhage" if method == "nasal_spray" else "hypersensitivity")


async def test_a_reading_saved_after_an_outage_keeps_the_time_it_was_entered(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry's time used to become the time the reading was measured."""
    import console.chair.charting
    from console.domain.errors import StorageError

    _, session_id = _checked_in(demo_app)
    recorded = console.chair.charting.record_vitals

    def down(*_args: object, **_kwargs: object) -> NoReturn:
        raise StorageError("the database is unavailable: server closed the connection")

    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5")
        entered = demo_app.clock.now()
        monkeypatch.setattr(console.chair.charting, "record_vitals", down)
        await nurse.type("128/82 76 98 14 5", "enter")
        assert "unavailable" in _error(demo_app)
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=3)
        monkeypatch.setattr(console.chair.charting, "record_vitals", recorded)
        await nurse.type("enter")  # the same line, once the database answers
        assert _error(demo_app) == "", _error(demo_app)
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        reading = session.exec(select(VitalSigns).where(VitalSigns.session_id == session_id)).one()
    assert reading.measured_at == entered


async def test_a_wristband_scanned_in_a_session_never_lands_in_the_focused_field(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Devices `92611300` used to show 'Total to give: 2.59312e+09 mg'."""
    from .ui import burst

    _, session_id = _checked_in(demo_app, "nasal_spray")
    told: list[str] = []
    monkeypatch.setattr(demo_app, "notify", lambda message, **_kw: told.append(message))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f4")
        devices = demo_app.screen.query_one("#dose-devices", Input)
        assert devices.has_focus
        burst(demo_app, *"92611300", "enter")
        await nurse.settle()
        assert devices.value == "" and isinstance(demo_app.screen, SessionScreen)
        assert told == ["Scanned 92611300: no session today for this wristband."]


async def test_a_wristband_scanned_in_one_session_opens_that_patients_session(demo_app: ChairsideApp) -> None:
    from .ui import burst

    _, first = _checked_in(demo_app)
    other, second = _book(demo_app, "nasal_spray", at=time(14, 0))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, first)
        await nurse.type("f5")
        burst(demo_app, *other.mrn, "enter")
        await nurse.settle()
        assert isinstance(demo_app.screen, SessionScreen) and demo_app.screen.session_id == second
        assert sum(isinstance(s, SessionScreen) for s in demo_app.screen_stack) == 1  # replaced, not stacked


@pytest.mark.parametrize("leave", ["escape", "ctrl+q"])
async def test_a_half_typed_entry_is_not_thrown_away_without_asking(
    demo_app: ChairsideApp, leave: str
) -> None:
    """Esc, Ctrl+Q or sign-out with a vitals line half typed used to lose it without a word."""
    from widgets.discard import DiscardDialog

    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5", "128/82 76")
        await pilot.press(leave)
        await nurse.settle()
        assert isinstance(demo_app.screen, DiscardDialog)
        assert "Vitals" in str(demo_app.screen.query_one(Static).render())
        await nurse.type("enter")  # the default keeps the entry
        assert isinstance(demo_app.screen, SessionScreen) and demo_app.is_running
        assert demo_app.screen.query_one("#quick-vitals", Input).value == "128/82 76"
        await pilot.press(leave)
        await nurse.type("tab", "enter")  # this time: discard and go on
        assert not isinstance(demo_app.screen, SessionScreen) or not demo_app.is_running


@pytest.mark.parametrize(
    ("step", "selector", "named"),
    [
        ("f3", "#contraindications", "Contraindication screen"),
        ("f3", "#pre-checklist", "Pre-infusion checklist"),
        ("f9", "#discharge-checklist", "Discharge checklist"),
    ],
)
async def test_a_box_ticked_and_not_saved_is_not_thrown_away_without_asking(
    demo_app: ChairsideApp, step: str, selector: str, named: str
) -> None:
    """Esc after ticking a contraindication, or a checklist item, lost the tick without a word."""
    from widgets.discard import DiscardDialog

    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type(step)
        ticks = demo_app.screen.query_one(selector, TickList)
        demo_app.screen.set_focus(ticks)
        await nurse.type("space")
        ticked = list(ticks.selected)
        assert ticked
        await nurse.type("escape")
        assert isinstance(demo_app.screen, DiscardDialog)
        assert named in str(demo_app.screen.query_one(Static).render())
        await nurse.type("enter")  # the default keeps what was ticked
        assert isinstance(demo_app.screen, SessionScreen)
        assert list(demo_app.screen.query_one(selector, TickList).selected) == ticked


async def test_ticks_once_stored_are_nothing_to_ask_about(demo_app: ChairsideApp) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f3")
        screen = demo_app.screen
        screen.set_focus(screen.query_one("#pre-checklist"))
        await nurse.type("a")
        screen.set_focus(screen.query_one("#escort"))
        await nurse.type("space", "enter")  # the escort confirmed, and the step saved
        assert _error(demo_app) == ""
        await nurse.type("escape")
        assert isinstance(demo_app.screen, TodayScreen)


async def test_leaving_with_nothing_typed_asks_nothing(demo_app: ChairsideApp) -> None:
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5", "128/82 76 98 14 5", "enter")  # stored: nothing is left typed
        await nurse.type("escape")
        assert isinstance(demo_app.screen, TodayScreen)


async def test_at_80x24_the_field_taking_the_keys_is_always_in_view(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A digit went to the off-screen baseline field; the escort box and Save were confirmed unseen."""
    # Re-reads as often as frames: each redraws the step under the focus (seen in CI, the 5 s
    # re-read came between a focus and its check) and must leave the field in view once drawn.
    monkeypatch.setattr(session_screen, "REREAD_SECONDS", 0.05)
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(80, 24)) as pilot:
        nurse = await _open(pilot, session_id)
        screen = demo_app.screen
        entry = screen.query_one("#entry")
        for step, fields in (
            ("f3", ("weight", "pain-before", "baseline-vitals", "contraindications", "escort", "save-pre")),
            (
                "f4",
                (
                    "dose-rate",
                    "dose-duration",
                    "dose-lot",
                    "dose-concentration",
                    "dose-drawn",
                    "dose-witness",
                ),
            ),
        ):
            await nurse.type(step)
            for field in fields:
                widget = screen.query_one(f"#{field}")
                screen.set_focus(widget)
                await nurse.settle()
                assert entry.content_region.contains_region(widget.region), (field, widget.region)


async def test_at_80x24_the_focused_field_stays_in_view_when_the_step_above_it_grows(
    demo_app: ChairsideApp,
) -> None:
    """Seen in CI: the escort box left below the fold after focus had reached it, the step's content
    above it having grown (a re-read, a list filled in) once the focus had scrolled it into view."""
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(80, 24)) as pilot:
        nurse = await _open(pilot, session_id)
        screen = demo_app.screen
        entry = screen.query_one("#entry")
        await nurse.type("f3")
        escort = screen.query_one("#escort")
        screen.set_focus(escort)
        await nurse.settle()
        assert entry.content_region.contains_region(escort.region)
        assert isinstance(escort.parent, Widget)
        await escort.parent.mount(Static("\n".join(["a line above"] * 12)), before=escort)
        await nurse.settle()
        assert entry.content_region.contains_region(escort.region), escort.region


async def test_a_refusal_clears_once_a_later_save_succeeds_even_without_a_field(
    demo_app: ChairsideApp,
) -> None:
    """A refused dose correction's message stayed on screen after the correction went through."""
    patient, _ = _book(demo_app, "nasal_spray", time(12, 0))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _nasal_dose_given(pilot, patient)
        await nurse.type("f4")
        screen = demo_app.screen
        screen.query_one("#dose-lot", Input).value = "bad lot!"
        screen.set_focus(screen.query_one("#confirm-dose"))
        await nurse.settle()
        await nurse.type("enter")
        assert "Lot number" in _error(demo_app), _error(demo_app)
        screen.query_one("#dose-lot", Input).value = "ESK7"
        screen.set_focus(screen.query_one("#confirm-dose"))
        await nurse.settle()
        await nurse.type("enter")
        assert _error(demo_app) == "", _error(demo_app)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@pytest.mark.parametrize(
    "step, field, typed",
    [
        ("f5", "quick-vitals", "1o 76 98 14 5"),
        ("f5", "pain-extra", "1o"),
        ("f3", "pain-before", "11"),
    ],
)
async def test_on_a_small_terminal_a_refusal_shows_whole_right_under_its_field(
    demo_app: ChairsideApp, size: tuple[int, int], step: str, field: str, typed: str
) -> None:
    """At 80x24 and 100x30 refusals appeared far below the field, or cut off."""
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=size) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type(step)
        screen = demo_app.screen
        box = screen.query_one(f"#{field}", Input)
        screen.set_focus(box)
        await nurse.type(typed, "enter")
        await nurse.settle()
        refusal = screen.query_one(".refusal", Static)
        entry = screen.query_one("#entry")

        # The scroll follows the layout the refusal made: on a busy machine, a frame or two later.
        def in_view() -> bool:
            shown = entry.content_region
            return shown.contains_region(refusal.region) and shown.contains_region(box.region)

        deadline = monotonic() + 10
        while not in_view() and monotonic() < deadline:
            await pilot.pause(0.05)
        assert refusal.region.y == box.region.bottom
        assert entry.content_region.contains_region(refusal.region), (refusal.region, entry.content_region)
        assert entry.content_region.contains_region(box.region)
        shown = "".join(refusal.render_line(y).text for y in range(refusal.size.height))
        words = str(refusal.render()).split()
        assert " ".join(shown.split()) == " ".join(words)  # every word of it on screen
        assert demo_app.focused is box


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_a_field_refused_in_the_frame_its_focus_moved_on_is_brought_back_whole(
    demo_app: ChairsideApp, size: tuple[int, int]
) -> None:
    """Enter moves the focus to the next field and a refusal brings it back, both before a frame is
    drawn: the second scroll read the screen as the first left it, and the field ended out of view."""
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=size) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f3")
        screen = demo_app.screen
        entry = screen.query_one("#entry")
        box = screen.query_one("#pain-before", Input)
        below = [field for field in screen.query(Input) if field.region.y > box.region.bottom]
        session_screen.in_view(below[-1])
        session_screen.in_view(box)
        await nurse.settle()
        assert entry.content_region.contains_region(box.region), (box.region, entry.content_region)


async def test_a_field_of_the_entry_is_scrolled_to_by_the_console_alone(demo_app: ChairsideApp) -> None:
    """Textual centres a newly focused field a frame later: after Enter and a refusal, it centred the
    field Enter had left for, and the refused field went out of view above."""
    _, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(80, 24)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f3")
        screen = demo_app.screen
        centred: list[Widget] = []
        screen.scroll_to_center = lambda widget, *_, **__: centred.append(widget)  # type: ignore[method-assign]
        for field in screen.query_one("#entry").query(Input):
            if field.display:
                screen.set_focus(field)
                await nurse.settle()
        assert centred == []


async def test_an_unexpected_error_in_a_save_is_logged_and_the_session_goes_on(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error in a save or a load ended the console; nothing was half stored, so it can go on."""
    from console.clinic.logs import log_folder

    _, session_id = _checked_in(demo_app)
    record_vitals = charting.record_vitals

    def broken(*args: object, **kwargs: object) -> NoReturn:
        raise KeyError("a bug in the service")

    monkeypatch.setattr(charting, "record_vitals", broken)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5", "128/82 76 98 14 5", "enter")
        await nurse.settle()
        assert demo_app.is_running and demo_app.return_code is None
        assert isinstance(demo_app.screen, SessionScreen)
        assert "unexpected error" in _error(demo_app)
        assert demo_app.screen.query_one("#quick-vitals", Input).value == "128/82 76 98 14 5"
        monkeypatch.setattr(charting, "record_vitals", record_vitals)
        await nurse.type("enter")  # the same entry, again
        await nurse.settle()
        assert _error(demo_app) == ""
    logged = (log_folder() / "chairside.log").read_text()
    assert "a worker of SessionScreen" in logged and "KeyError" in logged and "Traceback" in logged
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        assert len(session.exec(select(VitalSigns).where(VitalSigns.session_id == session_id)).all()) == 1


async def test_a_reading_past_a_threshold_is_marked_cell_by_cell_and_the_trends_show_their_range(
    demo_app: ChairsideApp,
) -> None:
    """The 182/112, SpO2 91 row was plain in the flowsheet; the sparklines had no scale."""
    from textual.widgets import DataTable, Label

    from console.domain.protocol import AlertThresholds
    from tests.factories import vitals_data

    _, session_id = _checked_in(demo_app)
    limits = AlertThresholds()
    assert demo_app.db is not None
    charting.record_vitals(demo_app.db, NURSE, session_id, vitals_data(demo_app.db, systolic=130), limits)
    high = vitals_data(demo_app.db, systolic=182, diastolic=112, spo2=91)
    charting.record_vitals(demo_app.db, NURSE, session_id, high, limits)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await _open(pilot, session_id)
        table = demo_app.screen.query_one("#flowsheet", DataTable)
        newest, older = table.get_row_at(0), table.get_row_at(1)
        assert [str(c) for c in newest[1:4]] == ["⚠182/112", "76", "⚠91"]
        assert newest[1].spans and "bold" in str(newest[1].spans[0].style)
        assert [str(c) for c in older[1:4]] == ["130/82", "76", "98"]
        rendered = "\n".join(table.render_line(y).text for y in range(table.size.height))
        assert "⚠182/112" in rendered and "⚠91" in rendered  # not cut by the column's width
        assert str(demo_app.screen.query_one("#spark-sbp-range", Label).render()) == "SBP 130 to 182"


async def test_a_late_reading_for_an_earlier_days_session_is_stored_on_that_day(
    demo_app: ChairsideApp,
) -> None:
    """`@10:45` typed for a 28 Nov session stored 30 Nov 10:45."""
    from zoneinfo import ZoneInfo

    from console.store.models import SessionSignature

    zone = ZoneInfo("America/Chicago")
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        signed = select(SessionSignature.session_id)
        earlier = session.exec(
            select(TreatmentSession)
            .where(
                TreatmentSession.clinic_date < DEMO_DAY,
                TreatmentSession.status == "discharged",
                col(TreatmentSession.id).not_in(signed),
            )
            .order_by(col(TreatmentSession.clinic_date).desc())
        ).first()
    assert earlier is not None and earlier.checked_in_at is not None and earlier.discharged_at is not None
    taken = earlier.checked_in_at.astimezone(zone) + timedelta(minutes=10)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, earlier.id)
        await nurse.type("f5", f"@{taken:%H:%M} 128/82 76 98 14 5", "enter")
        assert _error(demo_app) == "", _error(demo_app)
        await nurse.type(
            f"@{earlier.discharged_at.astimezone(zone) + timedelta(hours=2):%H:%M} 128/82 76 98 14 5", "enter"
        )
        assert "outside this session" in _error(demo_app)
    with demo_app.db.read() as session:
        stored = session.exec(
            select(VitalSigns)
            .where(VitalSigns.session_id == earlier.id)
            .order_by(col(VitalSigns.recorded_at).desc())
        ).first()
    assert stored is not None
    assert stored.measured_at.astimezone(zone).replace(second=0, microsecond=0) == taken.replace(
        second=0, microsecond=0
    )


async def test_a_score_stored_elsewhere_while_the_nurse_typed_is_not_overwritten_after_a_reload(
    demo_app: ChairsideApp,
) -> None:
    """Nurse 2's pain before (5) replaced nurse 1's (6) without a conflict: her own weight save had
    reloaded the screen, so her pain save carried the new version though she never saw the 6."""
    _, session_id = _book(demo_app, "iv_infusion")
    assert demo_app.db is not None
    sessions.check_in(demo_app.db, NURSE, session_id, 1)
    other = OTHER_NURSE
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        screen = demo_app.screen
        await nurse.type("f3")
        screen.set_focus(screen.query_one("#pain-before", Input))
        await nurse.type("5")  # begun while no pain before is stored
        current = sessions.get_session(demo_app.db, session_id)
        charting.record_pain(  # at the other workstation
            demo_app.db,
            other,
            session_id,
            {"kind": "before", "score": 6, "scored_at": demo_app.clock.now()},
            current.version,
        )
        assert isinstance(screen, SessionScreen)
        screen.reload()  # as any save of her own does
        await nurse.settle()
        await nurse.type("enter")
        assert "Pain before: 6 was stored at another workstation" in _error(demo_app)
        assert screen.query_one("#pain-before", Input).value == "5"
        assert sessions.get_session(demo_app.db, session_id).pain_before == 6
        screen.set_focus(screen.query_one("#pain-before", Input))
        await nurse.type("enter")  # she has seen the 6 now: entering hers again replaces it, knowingly
        assert _error(demo_app) == "", _error(demo_app)
    assert sessions.get_session(demo_app.db, session_id).pain_before == 5


async def test_a_session_screen_shows_a_change_made_elsewhere_within_seconds_and_a_refusal_reloads_it(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second nurse's screen still showed 'Scheduled' 6 s after the first checked the patient
    in, and the refusal of her check-in did not reload it."""
    monkeypatch.setattr(session_screen, "REREAD_SECONDS", 0.3)
    _, session_id = _book(demo_app, "iv_infusion")
    other = OTHER_NURSE

    def status_line() -> str:
        return str(demo_app.screen.query_one("#status-line", Static).render())

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, session_id)
        assert "Status: Scheduled" in status_line()
        assert demo_app.db is not None
        sessions.check_in(demo_app.db, other, session_id, 1)  # at the other workstation
        await pilot.pause(1.0)
        await workers_done(demo_app)
        await pilot.pause()
        assert "Status: Checked in" in status_line()


async def test_a_change_made_elsewhere_still_shows_within_seconds_after_the_nurse_has_charted(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a vitals line was stored, its emptied field counted as typed and unsaved: the screen
    stopped re-reading, and a reading charted at another workstation never showed."""
    from tests.factories import vitals_data

    monkeypatch.setattr(session_screen, "REREAD_SECONDS", 0.3)
    _, session_id = _checked_in(demo_app)
    other = OTHER_NURSE
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("f5", "128/82 76 98 14 5", "enter")
        assert demo_app.db is not None
        reading = vitals_data(demo_app.db, systolic=141, diastolic=87)
        charting.record_vitals(demo_app.db, other, session_id, reading, Protocol().thresholds)
        await pilot.pause(1.0)
        await nurse.settle()
        table = demo_app.screen.query_one("#flowsheet", DataTable)
        assert any("141/87" in str(table.get_row_at(row)[1]) for row in range(table.row_count))


async def test_a_refusal_for_the_records_state_shows_the_record_as_it_is_now(
    demo_app: ChairsideApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_screen, "REREAD_SECONDS", 3600)  # only the refusal can show the change
    _, session_id = _book(demo_app, "nasal_spray", at=time(14, 0))
    other = OTHER_NURSE
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        assert demo_app.db is not None
        sessions.check_in(demo_app.db, other, session_id, 1)
        await nurse.type("f2")  # check in, on a screen that still says Scheduled
        assert "cannot check in a session that is checked in" in _error(demo_app)
        assert "Status: Checked in" in str(demo_app.screen.query_one("#status-line", Static).render())


async def test_a_nasal_pre_assessment_without_the_rems_enrolment_is_refused_under_it_and_stores_nothing(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _book(demo_app, "nasal_spray", time(12, 0))
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(
            patient.mrn, "enter", "f2", "6", "enter", "5 6 6", "enter", "132/84 80 99 16 5", "enter"
        )
        demo_app.screen.query_one("#rems-enrolment", Input).value = ""  # none on file, none typed
        await nurse.type("tab", "tab", "tab", "tab", "space", "enter")  # past the enrolment, escort, save
        assert "REMS patient enrolment" in _error(demo_app), _error(demo_app)
        enrolment = demo_app.screen.query_one("#rems-enrolment", Input)
        refusal = demo_app.screen.query_one(".refusal")
        assert refusal.region.y == enrolment.region.bottom  # where the nurse types it
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        row = session.get(TreatmentSession, session_id)
    assert row is not None
    assert row.contraindications_screened_at is None and rems.facts_of(demo_app.db, session_id).check is None


async def test_the_rems_form_shows_what_it_needs_and_takes_the_devices_and_what_was_seen(
    demo_app: ChairsideApp,
) -> None:
    from widgets.rems_dialog import RemsDialog

    patient, session_id = _book(demo_app, "nasal_spray", time(12, 0))
    async with demo_app.run_test(size=(100, 40)) as pilot:
        nurse = await _nasal_dose_given(pilot, patient)  # 2 devices, at 11:30
        await nurse.type("ctrl+f")
        dialog = demo_app.screen
        assert isinstance(dialog, RemsDialog)
        shown = str(dialog.query_one("#rems-form-text", Static).render())
        assert "Still needs:" in shown and "each device's time" in shown and "REMS-4411" in shown
        assert dialog.query_one("#rems-devices", Input).value == "11:30"
        assert isinstance(demo_app.clock, FixedClock)
        demo_app.clock.advance(minutes=30)
        await nurse.type(
            "end", " 11:35", "enter", "no", "enter", "11:40-11:55", "enter", "no", "enter", "110", "enter"
        )
        assert isinstance(demo_app.screen, SessionScreen), str(
            demo_app.screen.query_one("#rems-error").render()
        )
    assert demo_app.db is not None
    form = rems.rems_form(
        rems.facts_of(demo_app.db, session_id), "", Protocol().thresholds, ZoneInfo("America/Chicago")
    )
    assert (form.value("device_1_at"), form.value("device_2_at")) == ("11:30", "11:35")
    assert (form.value("sedation"), form.value("dissociation"), form.value("dissociation_at")) == (
        "no",
        "yes",
        "11:40",
    )
    assert form.value("dissociation_resolved_at") == "11:55"
    assert form.value("ready_to_leave_min") == "110"


async def test_a_rems_time_that_cannot_be_read_is_refused_in_the_form_and_nothing_is_stored(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _book(demo_app, "nasal_spray", time(12, 0))
    async with demo_app.run_test(size=(100, 40)) as pilot:
        nurse = await _nasal_dose_given(pilot, patient)
        await nurse.type("ctrl+f", "enter", "no", "enter", "25:99", "enter", "no", "enter", "enter")
        assert "Dissociation" in str(demo_app.screen.query_one("#rems-error").render())
    assert demo_app.db is not None
    check = rems.facts_of(demo_app.db, session_id).check
    assert check is not None
    assert check.dissociation is None


async def test_the_discharge_step_proposes_the_next_appointment_and_one_key_books_it(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _checked_in(demo_app)  # infusion 3 of 6
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        assert "IV infusion 3 of 6" in str(demo_app.screen.query_one("#patient-header").render())
        await nurse.type("f7")
        shown = str(demo_app.screen.query_one("#next-appointment", Static).render())
        assert shown == "Next (infusion 4 of 6) proposed: Mon 30 Nov 12:30, chair 6 · Ctrl+B books it", shown
        await nurse.type("ctrl+b")
        assert _error(demo_app) == ""
        shown = str(demo_app.screen.query_one("#next-appointment", Static).render())
        assert shown == "Next: infusion 4 of 6, booked Mon 30 Nov 12:30, chair 6", shown
        await nurse.type("ctrl+b")  # once booked, a second key books nothing more
        assert "already booked" in _error(demo_app)
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        booked = session.exec(
            select(TreatmentSession).where(
                TreatmentSession.patient_id == patient.id, TreatmentSession.clinic_date > DEMO_DAY
            )
        ).all()
    assert [(b.series_number, b.series_length, b.status) for b in booked] == [(4, 6, "scheduled")]


async def test_medications_and_history_are_kept_from_the_session_and_flagged_in_the_header(
    demo_app: ChairsideApp,
) -> None:
    patient, session_id = _checked_in(demo_app)
    async with demo_app.run_test(size=(120, 40)) as pilot:
        nurse = await _open(pilot, session_id)
        await nurse.type("ctrl+o", "ctrl+u", "sertraline 50 mg; clonazepam 0.5 mg", "enter")
        said = str(demo_app.screen.query_one("#meds-warnings", Static).render())
        assert said.startswith("⚠ clonazepam 0.5 mg (benzodiazepine): adds sedation; associated with")
        await nurse.type("space", "ctrl+s")  # the first history item: pregnancy
        assert _error(demo_app) == ""
        top = str(demo_app.screen.query_one("#patient-header").render())
        assert "Medications: 2 medicines · ⚠ clonazepam (benzodiazepine) ⚠ pregnancy (Ctrl+O)" in top
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        stored = session.get(Patient, patient.id)
        events = session.exec(select(AuditEvent.action).where(AuditEvent.entity_id == str(patient.id))).all()
    assert stored is not None
    assert (stored.medications, stored.relevant_history) == (
        "sertraline 50 mg; clonazepam 0.5 mg",
        "pregnancy",
    )
    assert "patient.medications" in events


async def test_the_pre_infusion_checklist_is_ticked_item_by_item_on_screen(demo_app: ChairsideApp) -> None:
    patient, session_id = _book(demo_app, "iv_infusion")
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        nurse = Nurse(pilot)
        await nurse.type(
            patient.mrn, "enter", "f2", "7", "enter", "6 7 5", "enter", "128/82 76 98 14 5", "enter"
        )
        await nurse.type(
            "tab", "space", "down", "space", "tab", "space", "enter"
        )  # two of three, escort, save
        assert _error(demo_app) == ""
    assert demo_app.db is not None
    with demo_app.db.read() as session:
        view = read_session_view(session, session_id)
    assert view.ticked(Checklist.PRE_INFUSION) == set(Protocol().checklists.pre_infusion[:2])
