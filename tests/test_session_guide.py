"""The session screen's decisions without a screen: the step, the weight, the dose form, the lines shown."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.chair.dose_form import DoseForm, dose_to_record, form_total, needs_witness, waste_after_drawing
from console.chair.reading import Reading
from console.chair.session_guide import (
    PreStart,
    Step,
    current_step,
    header,
    infusion_line,
    notes_with,
    pain_change_line,
    pre_assessment_start,
    status_line,
    weight_prompt,
    weight_to_show,
)
from console.chair.session_view import PreviousSession, SessionView
from console.clinic.patient_shown import PatientShown
from console.domain.protocol import Protocol
from console.domain.vocab import Checklist, InfusionEventKind, Method, SessionStatus, Sex
from console.store.models import (
    ChecklistTick,
    DoseAdministration,
    InfusionEvent,
    TreatmentSession,
)

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 10:00 in the clinic
TODAY = date(2026, 11, 30)
PROTOCOL = Protocol()


def view_of(
    method: Method = Method.IV, status: SessionStatus = SessionStatus.CHECKED_IN, **changes: Any
) -> SessionView:
    """A session as the screen would read it, built in memory."""
    patient = PatientShown(
        id=1,
        mrn="MRN-1001",
        family_name="Rivera",
        given_name="Ana",
        date_of_birth=date(1980, 12, 1),
        sex=Sex.FEMALE,
        weight_kg=70.0,
        weight_measured_on=TODAY - timedelta(days=3),
        allergies="latex",
        diagnosis_code="M79.7",
        diagnosis_label="Fibromyalgia",
        medications="",
        relevant_history="",
        version=1,
    )
    session = TreatmentSession(
        id=7,
        patient_id=1,
        clinic_date=TODAY,
        scheduled_time=time(9, 30),
        chair="C2",
        method=method,
        status=status,
        checked_in_at=NOW - timedelta(minutes=20),
        series_number=2,
        series_length=6,
    )
    view = SessionView(
        session=session,
        patient=patient,
        doses=[],
        infusion_events=[],
        alerts=[],
        vitals=[],
        side_effects=[],
        pain_scores=[],
        staff={3: "Marcus Okafor, RN"},
    )
    return replace(view, **changes)


def iv_dose(**changes: Any) -> DoseAdministration:
    values: dict[str, Any] = dict(
        id=11,
        session_id=7,
        drug="ketamine",
        route="intravenous",
        dose_mg=35.0,
        mg_per_kg=0.5,
        weight_kg_used=70.0,
        rate_mg_per_kg_h=0.5,
        planned_duration_min=60,
        administered_at=NOW - timedelta(minutes=30),
        lot_number="KX2611A",
        concentration_mg_per_ml=10.0,
        drawn_mg=40.0,
        wasted_mg=5.0,
        witness_id=3,
        administered_by=2,
    )
    return DoseAdministration(**(values | changes))


def reading(minutes_ago: int) -> Reading:
    taken = NOW - timedelta(minutes=minutes_ago)
    return Reading(
        id=minutes_ago,
        measured_at=taken,
        systolic=128,
        diastolic=82,
        heart_rate=76,
        spo2=98,
        resp_rate=14,
        temperature_c=None,
        moaas=5,
        taken_by=2,
        recorded_at=taken,
        version=1,
    )


def with_patient(view: SessionView, **changes: Any) -> SessionView:
    return replace(view, patient=replace(view.patient, **changes))


# ----- the step --------------------------------------------------------------------------------
def test_a_scheduled_session_opens_on_check_in() -> None:
    assert current_step(view_of(status=SessionStatus.SCHEDULED)) is Step.CHECK_IN


def test_pre_assessment_until_pain_baseline_and_screen_are_recorded() -> None:
    view = view_of()
    assert current_step(view) is Step.PRE
    view.session.pain_before = 6
    assert current_step(replace(view, vitals=[reading(5)])) is Step.PRE  # the screen is still missing
    view.session.contraindications_screened_at = NOW
    assert current_step(replace(view, vitals=[reading(5)])) is Step.DOSE


def test_in_treatment_goes_to_monitoring_and_afterwards_to_discharge() -> None:
    assert current_step(view_of(status=SessionStatus.IN_TREATMENT, doses=[iv_dose()])) is Step.MONITOR
    assert current_step(view_of(status=SessionStatus.OBSERVATION, doses=[iv_dose()])) is Step.POST


# ----- the weight ------------------------------------------------------------------------------
def test_a_recent_weight_is_offered_and_the_pre_assessment_starts_at_pain() -> None:
    view = view_of()
    assert weight_to_show(view, TODAY, PROTOCOL) == "70"
    assert pre_assessment_start(view, TODAY, PROTOCOL) is PreStart.PAIN
    assert weight_prompt(view, TODAY, PROTOCOL) == "Weight today (kg): Enter to record; Tab skips"


def test_an_old_weight_is_measured_again_first() -> None:
    view = with_patient(
        view_of(), weight_measured_on=TODAY - timedelta(days=PROTOCOL.weight_max_age_days + 1)
    )
    assert weight_to_show(view, TODAY, PROTOCOL) == ""
    assert pre_assessment_start(view, TODAY, PROTOCOL) is PreStart.WEIGHT
    assert "over 30 days old" in weight_prompt(view, TODAY, PROTOCOL)


def test_a_weight_exactly_as_old_as_the_protocol_accepts_is_still_used() -> None:
    view = with_patient(view_of(), weight_measured_on=TODAY - timedelta(days=PROTOCOL.weight_max_age_days))
    assert pre_assessment_start(view, TODAY, PROTOCOL) is PreStart.PAIN


def test_with_pain_already_scored_the_pre_assessment_starts_at_the_baseline() -> None:
    view = view_of()
    view.session.pain_before = 5
    assert pre_assessment_start(view, TODAY, PROTOCOL) is PreStart.VITALS


# ----- the dose form ---------------------------------------------------------------------------
def test_iv_total_is_rate_times_weight_times_hours() -> None:
    form = DoseForm(rate="0.5", minutes="40")
    assert form_total(view_of(), PROTOCOL, form) == pytest.approx(23.3)


def test_nasal_total_is_devices_times_strength() -> None:
    form = DoseForm(devices="3")
    assert form_total(view_of(Method.NASAL), PROTOCOL, form) == 3 * PROTOCOL.nasal.device_mg


def test_a_missing_or_mistyped_figure_gives_no_total() -> None:
    assert form_total(view_of(), PROTOCOL, DoseForm(rate="0.5", minutes="")) is None
    assert form_total(view_of(), PROTOCOL, DoseForm(rate="x", minutes="40")) is None


def test_a_correction_keeps_the_weight_the_dose_was_worked_out_from() -> None:
    view = view_of(doses=[iv_dose(weight_kg_used=80.0)])
    assert form_total(view, PROTOCOL, DoseForm(rate="0.5", minutes="60")) == 40.0


def test_waste_follows_what_was_drawn_above_the_total() -> None:
    assert waste_after_drawing(23.3, "30") == 6.7
    assert waste_after_drawing(23.3, "20") is None  # less than the dose: nothing follows
    assert waste_after_drawing(None, "30") is None
    assert waste_after_drawing(23.3, "") is None


def test_only_a_waste_needs_a_witness() -> None:
    assert needs_witness(DoseForm(wasted="6.7"))
    assert not needs_witness(DoseForm(wasted="0"))
    assert not needs_witness(DoseForm(wasted=""))


def test_the_dose_record_of_an_iv_form() -> None:
    form = DoseForm("0.5", "40", "2", "KX2611A", "10", "30", "6.7", "mokafor", "2468")
    record = dose_to_record(view_of(), PROTOCOL, form, NOW)
    assert record == {
        "drug": "ketamine",
        "dose_mg": pytest.approx(23.3),
        "rate_mg_per_kg_h": 0.5,
        "planned_duration_min": 40,
        "device_count": None,  # a stray nasal figure is not recorded on an IV dose
        "administered_at": NOW,
        "lot_number": "KX2611A",
        "concentration_mg_per_ml": "10",
        "drawn_mg": "30",
        "wasted_mg": "6.7",
        "witness": "mokafor",
        "witness_secret": "2468",  # typed by the witness; the service checks it and never stores it
    }


def test_a_correction_keeps_when_the_dose_was_given() -> None:
    given = iv_dose()
    record = dose_to_record(view_of(doses=[given]), PROTOCOL, DoseForm(rate="0.5", minutes="60"), NOW)
    assert record["administered_at"] == given.administered_at and record["wasted_mg"] == 0


@given(rate=st.text(max_size=8), minutes=st.text(max_size=8), devices=st.text(max_size=8))
def test_any_typed_text_gives_a_total_or_none_and_never_raises(rate: str, minutes: str, devices: str) -> None:
    for method in Method:
        total = form_total(view_of(method), PROTOCOL, DoseForm(rate=rate, minutes=minutes, devices=devices))
        assert total is None or isinstance(total, float | int)


# ----- the lines shown -------------------------------------------------------------------------
def test_header_gives_age_on_the_session_day_series_and_the_last_three_visits() -> None:
    recent = (
        PreviousSession(date(2026, 11, 23), 7, 3, ("nausea",), (("ketamine", 35.0),)),
        PreviousSession(date(2026, 11, 20), 8, 5, (), (("ketamine", 35.0),)),
        PreviousSession(date(2026, 11, 17), 8, None, (), ()),
    )
    top = header(view_of(recent=recent), Protocol())
    assert top.name == "Rivera, Ana"
    assert " 45 y · female · 70 kg (27 Nov 2026) · MRN MRN-1001" in top.details  # 46 only from 1 Dec
    assert "Allergies: latex · M79.7 Fibromyalgia" in top.details
    assert (
        "IV infusion 2 of 6 · last 23 Nov 35 mg 7→3 nausea, 20 Nov 35 mg 8→5, 17 Nov no dose pain 8"
        in top.details
    )


def test_header_lists_medications_and_flags_those_that_matter_and_the_relevant_history() -> None:
    view = with_patient(
        view_of(), medications="sertraline 50 mg; lorazepam 1 mg prn", relevant_history="cardiovascular"
    )
    lines = header(view, Protocol()).details.splitlines()
    assert lines[3] == (
        "Medications: 2 medicines · ⚠ lorazepam (benzodiazepine) "
        "⚠ poorly controlled cardiovascular disease / uncontrolled hypertension (Ctrl+O)"
    )
    assert header(view_of(), Protocol()).details.splitlines()[3] == "Medications: none recorded (Ctrl+O)"


def test_header_of_a_first_visit_without_weight() -> None:
    view = with_patient(view_of(), weight_kg=None)
    view.session.series_length = None
    details = header(view, Protocol()).details
    assert "weight not recorded" in details
    assert "maintenance · PHQ-9 and GAD-7 due (maintenance, none yet) · first session" in details


def test_status_line_says_when_the_next_vitals_are_due() -> None:
    line = status_line(view_of(), PROTOCOL, ZONE, NOW)
    assert line.startswith("Status: Checked in · chair C2 · checked in 09:40 · started — · ended —")
    assert "next vitals:" in line


def test_infusion_line_replays_pause_and_rate_change() -> None:
    dose = iv_dose(administered_at=NOW - timedelta(minutes=30))
    events = [
        InfusionEvent(
            id=1, dose_id=11, kind=InfusionEventKind.PAUSE, at=NOW - timedelta(minutes=20), recorded_by=2
        ),
    ]
    line = infusion_line(view_of(doses=[dose], infusion_events=events), ZONE, NOW)
    assert line == "Infusion paused since 09:40 at 0.5 mg/kg/h · given so far 5.8 of 35 mg planned"
    assert infusion_line(view_of(), ZONE, NOW) == ""


def test_pain_change_line() -> None:
    view = view_of()
    assert pain_change_line(view) == ""
    view.session.pain_before = 8
    assert pain_change_line(view) == "Pain before: 8"
    view.session.pain_after = 3
    assert pain_change_line(view) == "Pain 8 → 3 (-5, +62% relief): substantial"


def test_notes_are_stamped_with_date_time_and_author_one_per_line() -> None:
    """Notes were stamped with a time and no date, so a note added on a later day read as the session's."""
    first = notes_with("", "tolerating well", "Marcus Okafor, RN", ZONE, NOW)
    assert first == f"{NOW.astimezone(ZONE):%d %b %Y} 10:00 Marcus Okafor, RN: tolerating well"
    assert (
        notes_with(first, "ready", "Ana", ZONE, NOW)
        == f"{first}\n{NOW.astimezone(ZONE):%d %b %Y} 10:00 Ana: ready"
    )


def test_a_corrected_or_late_reading_is_marked_beside_its_time_with_both_times_told() -> None:
    from console.review.record_text import reading_marks, reading_remarks, vitals_cells

    taken = reading(180).measured_at
    on_time = replace(reading(180), recorded_at=taken + timedelta(minutes=2))
    late = replace(on_time, id=2, recorded_at=NOW)
    corrected = replace(on_time, id=3, version=2)
    assert [reading_marks(r) for r in (on_time, late, corrected)] == ["", "↧", "✎"]
    view = view_of(vitals=[on_time, late, corrected])
    assert vitals_cells(late, view, ZONE)[0] == f"{taken.astimezone(ZONE):%H:%M}↧"
    remarks = reading_remarks(view, ZONE)
    assert len(remarks) == 2
    assert "entered" in remarks[0] and f"{NOW.astimezone(ZONE):%H:%M}" in remarks[0]
    assert "corrected" in remarks[1]


_ONE_LINE = st.text(st.characters(min_codepoint=32, blacklist_categories=("Cs", "Zl", "Zp")), min_size=1)


@given(
    author=_ONE_LINE.filter(lambda name: ": " not in name and name.strip() == name),
    text=_ONE_LINE.filter(lambda line: line.strip() == line),
    minutes=st.integers(0, 60 * 24 * 365 * 3),
)
def test_each_stamped_note_reads_back_as_its_time_author_and_text(
    author: str, text: str, minutes: int
) -> None:
    from console.chair.session_guide import note_lines, notes_with

    zone = ZoneInfo("America/Chicago")
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    notes = notes_with(notes_with("", "first", "Nina", zone, now), text, author, zone, now)
    first, last = note_lines(notes, zone)
    assert first[1:] == ("Nina", "first")
    written, *rest = last
    assert written is not None
    assert written.replace(tzinfo=None) == now.astimezone(zone).replace(tzinfo=None)  # the wall time
    assert written.tzinfo == zone and rest == [author, text]


def test_the_discharge_step_says_the_clock_time_discharge_opens_and_what_is_still_needed() -> None:
    from console.chair.session_guide import discharge_outlook

    given = NOW - timedelta(minutes=30)  # the first device, 09:30 in the clinic
    nasal = iv_dose(route="nasal", drug="esketamine", rate_mg_per_kg_h=None, administered_at=given)
    view = view_of(Method.NASAL, SessionStatus.OBSERVATION, doses=[nasal])
    said = discharge_outlook(view, PROTOCOL, NOW, ZONE)
    assert said.startswith("Discharge possible from 11:30; still needed: ")
    assert "90 min to go, until 11:30" in said and "no vital signs recorded" in said
    assert discharge_outlook(view_of(), PROTOCOL, NOW, ZONE).startswith("Discharge; still needed")  # no dose
    taken = reading(-89)  # 89 minutes from now
    done = replace(
        view,
        vitals=[taken],
        session=view.session.model_copy(update={"pain_after": 2, "escort_confirmed": True}),
    )
    later = NOW + timedelta(minutes=90)
    assert discharge_outlook(done, PROTOCOL, later, ZONE).startswith(
        "Discharge possible from 11:30; still needed: discharge checklist not ticked: Oriented to time, "
        "place and person, Walks steadily without help, Escort present to take the patient home; REMS "
        "form not complete (the REMS enrolment"
    )
    ticks = tuple(
        ChecklistTick(session_id=7, checklist=Checklist.DISCHARGE, item=item, ticked_by=1, ticked_at=later)
        for item in PROTOCOL.checklists.discharge
    )
    # Esketamine: the REMS form's monitoring holds discharge up, as the service does.
    assert discharge_outlook(replace(done, checklist_ticks=ticks), PROTOCOL, later, ZONE) == (
        "Discharge possible from 11:30; still needed: REMS form not complete (the REMS enrolment and "
        "medication questions (pre-assessment); a blood pressure before dosing; a blood pressure 30 to 50 "
        "minutes after the first device, due at 10:10)."
    )


def test_a_nasal_session_is_prompted_for_the_rems_40_minute_blood_pressure_until_it_is_taken() -> None:
    from console.chair.session_guide import rems_pressure_line

    given = NOW - timedelta(minutes=30)  # the first device at 09:30 in the clinic
    nasal = iv_dose(route="nasal", drug="esketamine", rate_mg_per_kg_h=None, administered_at=given)
    view = view_of(Method.NASAL, SessionStatus.OBSERVATION, doses=[nasal])
    assert rems_pressure_line(view, ZONE, NOW) == (
        "REMS: blood pressure due at 10:10 (in 10 min; taken from 30 to 50 min after the first device)"
    )
    assert rems_pressure_line(view, ZONE, NOW + timedelta(minutes=21)).startswith("⚠ REMS: no blood pressure")
    taken = replace(view, vitals=[reading(-8)])  # 38 minutes after the first device
    assert rems_pressure_line(taken, ZONE, NOW + timedelta(minutes=30)) == (
        "REMS: 40-minute blood pressure 128/82 at 10:08 ✓"
    )
    assert rems_pressure_line(view_of(), ZONE, NOW) == ""  # an infusion: nothing to prompt
