"""The Spravato REMS monitoring form of a nasal esketamine session, on both backends: what the
chair records for it, what it refuses, and the form put together with what is still missing."""

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.chair import charting, rems, sessions
from console.chair.overrides import record_override
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.protocol import Protocol
from console.review.integrity import verify_record
from console.store.database import Database
from console.store.models import RemsCheck, TreatmentSession
from tests.factories import (
    a_rems_session,
    approved_by,
    checked_in_session,
    discharge_checked,
    nasal_dose_data,
    vitals_data,
)

ZONE = ZoneInfo("America/Chicago")
ANSWERS = {
    "enrolment_id": "REMS-100234",
    "benzodiazepines": False,
    "sedative_hypnotics": False,
    "psychostimulants": True,
    "maois": False,
    "opioids": False,
}


def _form(db: Database, session_id: int) -> rems.RemsForm:
    return rems.rems_form(rems.facts_of(db, session_id), "Chairside Clinic", Protocol().thresholds, ZONE)


def _dosed(
    db: Database, nurse: Actor, device_count: int = 2, physician: Actor | None = None
) -> tuple[TreatmentSession, RemsCheck]:
    """A nasal session checked in 20 minutes ago: questions asked, a reading, the dose given now.
    With `physician`: their override lets a first session's dose be other than the label's 56 mg."""
    row = checked_in_session(db, nurse, method="nasal_spray", minutes_ago=20)
    if physician is not None:
        record_override(
            db, physician, row.id, "dose_range", "84 mg from the first day, as planned", Protocol()
        )
    check = rems.ask_questions(db, nurse, row.id, ANSWERS)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=132, diastolic=84))
    charting.record_pain(
        db, nurse, row.id, {"kind": "before", "score": 6, "scored_at": db.clock.now()}, row.version
    )
    dose_mg = 28 * device_count
    charting.record_dose(
        db, nurse, row.id, nasal_dose_data(db, dose_mg=dose_mg, drawn_mg=dose_mg, device_count=device_count)
    )
    return row, check


def _discharge(db: Database, nurse: Actor, session_id: int) -> None:
    current = sessions.get_session(db, session_id)
    charting.record_pain(
        db, nurse, session_id, {"kind": "after", "score": 2, "scored_at": db.clock.now()}, current.version
    )
    discharge_checked(db, nurse, session_id)
    sessions.discharge(db, nurse, session_id, sessions.get_session(db, session_id).version)


def test_a_whole_nasal_session_fills_the_form_in_its_order(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row, check = _dosed(db, nurse, device_count=3, physician=staff["priya"])
    first = db.clock.now()
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=10)  # recorded once the third device is used
    check = rems.record_devices(
        db,
        nurse,
        row.id,
        check.version,
        {
            "device_1_at": first,
            "device_2_at": first + timedelta(minutes=5),
            "device_3_at": first + timedelta(minutes=10),
        },
    )
    db.clock.advance(minutes=25)
    assert _form(db, row.id).value("bp_40_min") == ""
    assert any("due at" in item for item in _form(db, row.id).missing)
    db.clock.advance(minutes=5)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=146, diastolic=92))  # at 39 minutes
    db.clock.advance(minutes=25)
    sedation_at = db.clock.now() - timedelta(minutes=20)
    check = rems.record_observations(
        db,
        nurse,
        row.id,
        check.version,
        {
            "sedation": True,
            "sedation_at": sedation_at,
            "sedation_resolved_at": sedation_at + timedelta(minutes=15),
            "dissociation": False,
            "respiratory_depression": False,
            "ready_to_leave_min": 105,
        },
    )
    db.clock.advance(minutes=56)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=124, diastolic=80))
    _discharge(db, nurse, row.id)
    form = _form(db, row.id)
    assert form.complete, form.missing
    assert [line.field for line in form.lines][:5] == [
        "patient",
        "date_of_birth",
        "sex",
        "enrolment_id",
        "benzodiazepines",
    ]
    assert form.value("psychostimulants") == "yes" and form.value("opioids") == "no"
    assert form.value("dose_mg") == "84" and form.value("lot_numbers") == "ESK7"
    assert form.value("monitoring_clinician") == "Nina" and form.value("setting") == "Chairside Clinic"
    assert form.value("bp_before").startswith("132/84") and form.value("bp_40_min").startswith("146/92")
    assert form.value("bp_leaving").startswith("124/80")
    assert (
        form.value("vitals_acceptable_before") == "yes" and form.value("vitals_acceptable_leaving") == "yes"
    )
    assert form.value("total_minutes") == "121" and form.value("ready_to_leave_min") == "105"
    assert (
        form.value("sedation") == "yes"
        and form.value("sedation_at") == f"{sedation_at.astimezone(ZONE):%H:%M}"
    )
    assert form.value("device_3_at") == f"{(first + timedelta(minutes=10)).astimezone(ZONE):%H:%M}"


def test_an_empty_form_lists_everything_it_still_needs(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"], method="nasal_spray")
    form = _form(db, row.id)
    assert not form.complete
    assert form.missing[0] == "the REMS enrolment and medication questions (pre-assessment)"
    assert "the dose" in form.missing and "a blood pressure before dosing" in form.missing


def test_the_form_is_only_for_nasal_sessions_and_follows_the_order_of_the_chair(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    iv = checked_in_session(db, nurse, method="iv_infusion")
    with pytest.raises(NotAllowed, match="nasal esketamine"):
        rems.ask_questions(db, nurse, iv.id, ANSWERS)
    nasal = checked_in_session(db, nurse, method="nasal_spray", mrn="MRN-2002")
    with pytest.raises(NotAllowed, match="questions at pre-assessment first"):
        rems.record_devices(db, nurse, nasal.id, 1, {"device_1_at": db.clock.now()})
    check = rems.ask_questions(db, nurse, nasal.id, ANSWERS)
    with pytest.raises(NotAllowed, match="record the nasal dose first"):
        rems.record_devices(db, nurse, nasal.id, check.version, {"device_1_at": db.clock.now()})


@pytest.mark.parametrize(
    "devices, field, says",
    [
        ({"device_1_at": 0}, "device_2_at", "the dose recorded used 2"),
        ({"device_1_at": 0, "device_2_at": -5}, "device_2_at", "at or after the first"),
        ({"device_1_at": 0, "device_3_at": 5}, "device_3_at", "at or after the second"),
        ({"device_1_at": -60, "device_2_at": -55}, "device_1_at", "not before the patient checked in"),
        ({"device_1_at": 30, "device_2_at": 35}, "device_1_at", "cannot be in the future"),
    ],
)
def test_device_times_that_cannot_be_true_are_refused_by_name(
    db: Database, staff: dict[str, Actor], devices: dict[str, int], field: str, says: str
) -> None:
    row, check = _dosed(db, staff["nina"])
    now = db.clock.now()
    data = {name: now + timedelta(minutes=minutes) for name, minutes in devices.items()}
    with pytest.raises(InvalidInput, match=says) as refused:
        rems.record_devices(db, staff["nina"], row.id, check.version, data)
    assert refused.value.field == field


@pytest.mark.slow
@pytest.mark.parametrize(
    "change, field",
    [
        ({"sedation": True}, "sedation_at"),
        ({"dissociation_at": 0}, "dissociation_at"),
        ({"ready_to_leave_min": 721}, "ready_to_leave_min"),
        ({"ready_to_leave_min": -1}, "ready_to_leave_min"),
        ({"enrolment_id": "REMS 1"}, "enrolment_id"),
    ],
)
def test_answers_that_cannot_be_true_are_refused_by_name(
    db: Database, staff: dict[str, Actor], change: dict[str, object], field: str
) -> None:
    row, check = _dosed(db, staff["nina"])
    now = db.clock.now()
    values = {key: now if value == 0 else value for key, value in change.items()}
    if field == "enrolment_id":
        with pytest.raises(InvalidInput) as refused:
            rems.ask_questions(db, staff["nina"], row.id, ANSWERS | values, check.version)
    else:
        seen = {"sedation": False, "dissociation": False, "respiratory_depression": False} | values
        with pytest.raises(InvalidInput) as refused:
            rems.record_observations(db, staff["nina"], row.id, check.version, seen)
    assert refused.value.field == field


def test_the_database_refuses_an_observation_without_its_time_whatever_a_service_sends(
    db: Database, staff: dict[str, Actor]
) -> None:
    row, _ = _dosed(db, staff["nina"])
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE rems_check SET sedation = TRUE WHERE session_id = :id"), {"id": row.id}
        )
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE rems_check SET ready_to_leave_min = 900 WHERE session_id = :id"), {"id": row.id}
        )


def test_answers_saved_from_a_stale_screen_are_refused_and_change_nothing(
    db: Database, staff: dict[str, Actor]
) -> None:
    row, check = _dosed(db, staff["nina"])
    rems.ask_questions(db, staff["marcus"], row.id, ANSWERS | {"opioids": True}, check.version)
    with pytest.raises(Conflict):
        rems.ask_questions(db, staff["nina"], row.id, ANSWERS | {"maois": True}, check.version)
    with pytest.raises(Conflict):
        rems.ask_questions(db, staff["nina"], row.id, ANSWERS)  # as if the form were still empty
    assert _form(db, row.id).value("opioids") == "yes" and _form(db, row.id).value("maois") == "no"


def test_the_signature_covers_the_form_and_locks_it(db: Database, staff: dict[str, Actor]) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = a_rems_session(db, nurse)
    approved_by(db, doctor, row.id)
    check = rems.facts_of(db, row.id).check
    assert check is not None
    assert verify_record(db).intact
    with pytest.raises(NotAllowed):
        rems.record_observations(
            db,
            nurse,
            row.id,
            check.version,
            {
                "sedation": False,
                "dissociation": False,
                "respiratory_depression": False,
                "ready_to_leave_min": 120,
            },
        )
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE rems_check SET opioids = TRUE WHERE session_id = :id"), {"id": row.id}
        )


@pytest.mark.slow
def test_rems_monitoring_csv_has_each_nasal_sessions_form_and_names_nobody_when_deidentified(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.export.modes import Mode
    from tests.factories import discharged_session
    from tests.test_export import _export, _rows

    nasal = a_rems_session(db, staff["nina"])
    discharged_session(db, staff["nina"], mrn="MRN-2002")  # IV: no form
    open_form = checked_in_session(db, staff["marcus"], method="nasal_spray", mrn="MRN-3003")
    rows = {row["session_id"]: row for row in _rows(_export(db, tmp_path) / "rems_monitoring.csv")}
    assert set(rows) == {str(nasal.id), str(open_form.id)}
    done = rows[str(nasal.id)]
    assert (done["form_complete"], done["missing"], done["enrolment_id"]) == ("true", "", "REMS-100234")
    assert (done["psychostimulants"], done["opioids"], done["dose_mg"], done["lot_numbers"]) == (
        "true",
        "false",
        "56.0",
        "ESK7",
    )
    assert (done["bp_before_systolic"], done["bp_40_min_systolic"], done["bp_leaving_systolic"]) == (
        "128",
        "138",
        "128",
    )
    assert (done["dissociation"], done["sedation_at"], done["total_minutes"]) == ("true", "", "130")
    assert done["device_2_at"].endswith("-06:00") and done["ready_to_leave_min"] == "120"
    pending = rows[str(open_form.id)]
    assert pending["form_complete"] == "false" and pending["missing"].startswith("the REMS enrolment")
    for mode in (Mode.LIMITED, Mode.SAFE_HARBOR):
        written = (_export(db, tmp_path, mode=mode, folder=mode.value) / "rems_monitoring.csv").read_text()
        for identifier in ("REMS-100234", "MRN-1001", "Doe", "1970-05-17"):
            assert identifier not in written, (mode, identifier)
    (safe,) = [
        r for r in _rows(tmp_path / "safe_harbor" / "rems_monitoring.csv") if r["form_complete"] == "true"
    ]
    assert (
        safe["device_1_at_min"] == "10" and safe["bp_40_min_at_min"] == "49"
    )  # minutes from check-in (measured a minute before typed)


def test_the_review_shows_the_form_and_a_change_to_it_after_it_was_shown_is_named(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.chair.session_view import load_session_view
    from console.review.changes import changes
    from console.review.record_text import rems_lines

    nasal = a_rems_session(db, staff["nina"])
    shown = load_session_view(db, nasal.id)
    lines = rems_lines(shown, ZONE, Protocol().thresholds)
    assert "REMS patient enrolment: REMS-100234" in lines and lines[-1] == "Complete."
    check = rems.facts_of(db, nasal.id).check
    assert check is not None
    rems.ask_questions(db, staff["marcus"], nasal.id, ANSWERS | {"opioids": True}, check.version)
    (changed,) = changes(shown, load_session_view(db, nasal.id), ZONE)
    assert changed.section == "REMS form" and changed.after == ("Taking opioids: yes",)
    iv = checked_in_session(db, staff["nina"], mrn="MRN-2002")
    assert rems_lines(load_session_view(db, iv.id), ZONE, Protocol().thresholds) == []


NOTHING_SEEN = {"sedation": False, "dissociation": False, "respiratory_depression": False}


def _observed_two_hours(db: Database, nurse: Actor) -> tuple[TreatmentSession, RemsCheck]:
    """A nasal session dosed with two devices, read at 40 minutes and at 2 hours, pain after and
    the checklist done: everything but the form's own answers after the dose."""
    row, check = _dosed(db, nurse)
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=40)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=138))
    db.clock.advance(minutes=81)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    current = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 2, "scored_at": db.clock.now()}, current.version
    )
    discharge_checked(db, nurse, row.id)
    return row, check


def _leave(db: Database, nurse: Actor, session_id: int) -> TreatmentSession:
    return sessions.discharge(db, nurse, session_id, sessions.get_session(db, session_id).version, zone=ZONE)


def test_an_esketamine_patient_leaves_only_once_the_forms_monitoring_is_complete_and_what_was_seen_resolved(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row, check = _observed_two_hours(db, nurse)
    with pytest.raises(NotAllowed) as refused:
        _leave(db, nurse, row.id)
    assert (
        "REMS form not complete (each device's time; sedation, dissociation and respiratory depression: "
        "seen or not; the minutes until the patient would have been ready to leave)"
    ) in str(refused.value)
    first = db.clock.now() - timedelta(minutes=121)
    check = rems.record_devices(
        db, nurse, row.id, check.version, {"device_1_at": first, "device_2_at": first + timedelta(minutes=5)}
    )
    sedated = first + timedelta(minutes=20)
    check = rems.record_observations(
        db, nurse, row.id, check.version, NOTHING_SEEN | {"sedation": True, "sedation_at": sedated}
    )
    with pytest.raises(NotAllowed, match=r"REMS form not complete \(the time sedation resolved"):
        _leave(db, nurse, row.id)
    rems.record_observations(
        db,
        nurse,
        row.id,
        check.version,
        NOTHING_SEEN
        | {
            "sedation": True,
            "sedation_at": sedated,
            "sedation_resolved_at": sedated + timedelta(minutes=50),
            "ready_to_leave_min": 120,
        },
    )
    assert _leave(db, nurse, row.id).status == "discharged"
    form = _form(db, row.id)
    assert form.complete, form.missing
    assert form.value("sedation_resolved_at") == f"{sedated.astimezone(ZONE) + timedelta(minutes=50):%H:%M}"


def test_a_physician_can_let_an_esketamine_patient_go_before_the_form_is_complete(
    db: Database, staff: dict[str, Actor]
) -> None:
    """A patient sent on to the emergency department leaves with the form's monitoring unfinished."""
    nurse = staff["nina"]
    row, _ = _observed_two_hours(db, nurse)
    record_override(db, staff["priya"], row.id, "discharge", "Sent to the emergency department", Protocol())
    assert _leave(db, nurse, row.id).status == "discharged"


def test_a_nasal_session_without_a_dose_is_not_held_by_the_form(
    db: Database, staff: dict[str, Actor]
) -> None:
    """The patient declined the spray: no esketamine, no form to complete; the protocol's gate still holds."""
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method="nasal_spray", minutes_ago=20)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    current = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 6, "scored_at": db.clock.now()}, current.version
    )
    discharge_checked(db, nurse, row.id)
    with pytest.raises(NotAllowed) as refused:
        _leave(db, nurse, row.id)
    assert "REMS" not in str(refused.value)  # only the escort and the like


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"sedation_resolved_at": 0}, "sedation_resolved_at", "resolved only once seen"),
        (
            {"sedation": True, "sedation_at": 0, "sedation_resolved_at": -5},
            "sedation_resolved_at",
            "not before it began",
        ),
        (
            {"sedation": True, "sedation_at": -60, "sedation_resolved_at": 30},
            "sedation_resolved_at",
            "cannot be in the future",
        ),
        (
            {
                "dissociation": True,
                "dissociation_at": -60,
                "dissociation_resolved_at": 0,
                "ready_to_leave_min": 5,
            },
            "ready_to_leave_min",
            "Ready to leave: at least",
        ),
    ],
)
def test_a_resolution_that_cannot_be_true_is_refused_by_name(
    db: Database, staff: dict[str, Actor], change: dict[str, Any], field: str, says: str
) -> None:
    row, check = _dosed(db, staff["nina"])
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=70)
    now = db.clock.now()
    values = {key: now + timedelta(minutes=v) if key.endswith("_at") else v for key, v in change.items()}
    with pytest.raises(InvalidInput, match=says) as refused:
        rems.record_observations(db, staff["nina"], row.id, check.version, NOTHING_SEEN | values)
    assert refused.value.field == field
    assert rems.facts_of(db, row.id).check == check  # nothing stored


def test_the_database_refuses_a_resolution_before_what_was_seen_whatever_a_service_sends(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = a_rems_session(db, staff["nina"])
    for change in (
        "dissociation_resolved_at = '2000-01-01 00:00:00.000000'",  # before it began
        "sedation_resolved_at = dissociation_resolved_at",  # sedation was not seen
    ):
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(text(f"UPDATE rems_check SET {change} WHERE session_id = :id"), {"id": row.id})


@pytest.mark.parametrize(
    "typed, began, resolved",
    [
        ("10:20", "10:20", None),
        ("10:20-11:05", "10:20", "11:05"),
        (" 10:20 11:05 ", "10:20", "11:05"),
        ("10:20 \u2013 11:05", "10:20", "11:05"),  # an en dash, as a word processor types it
    ],
)
def test_an_observation_is_typed_as_when_it_began_and_resolved_and_shown_as_typed(
    typed: str, began: str, resolved: str | None
) -> None:
    from datetime import datetime

    now = datetime(2026, 11, 30, 18, 0, tzinfo=ZONE)
    values = rems.typed_observations({"sedation": typed}, "", now, ZONE)
    assert values is not None and values["sedation"] is True
    assert f"{values['sedation_at'].astimezone(ZONE):%H:%M}" == began
    shown_resolved = values["sedation_resolved_at"]
    assert (None if shown_resolved is None else f"{shown_resolved.astimezone(ZONE):%H:%M}") == resolved
    answered = {
        "sedation": True,
        "sedation_at": values["sedation_at"],
        "sedation_resolved_at": shown_resolved,
    }
    stored = RemsCheck.model_construct(**answered)
    shown = rems.shown_observation(stored, "sedation", ZONE)
    assert shown == began if resolved is None else shown == f"{began}-{resolved}"


@pytest.mark.parametrize("typed", ["10:20-11:05-11:30", "-12:40", "12:40-", "10:20 11:05 11:30"])
def test_an_observation_that_is_not_one_or_two_times_is_refused_by_name(typed: str) -> None:
    from datetime import datetime

    now = datetime(2026, 11, 30, 18, 0, tzinfo=ZONE)
    with pytest.raises(InvalidInput, match="began-resolved") as refused:
        rems.typed_observations({"sedation": typed}, "", now, ZONE)
    assert refused.value.field == "sedation_at"


def test_a_discharge_override_given_before_the_dose_does_not_set_the_rems_monitoring_aside(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Found by trying it: an override at check-in ("escort late") let a patient leave with
    respiratory depression never resolved."""
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method="nasal_spray", minutes_ago=20)
    record_override(db, staff["priya"], row.id, "discharge", "Escort will be late", Protocol())
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=2)
    rems.ask_questions(db, nurse, row.id, ANSWERS)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=132, diastolic=84))
    charting.record_pain(
        db, nurse, row.id, {"kind": "before", "score": 6, "scored_at": db.clock.now()}, row.version
    )
    charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
    db.clock.advance(minutes=121)
    with pytest.raises(NotAllowed, match=r"REMS form not complete \(each device's time"):
        _leave(db, nurse, row.id)
    record_override(db, staff["priya"], row.id, "discharge", "Sent to the emergency department", Protocol())
    assert _leave(db, nurse, row.id).status == "discharged"


def test_a_dose_corrected_to_more_devices_asks_for_each_devices_time_again(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row, check = _dosed(db, nurse, physician=staff["priya"])
    first = db.clock.now()
    rems.record_devices(
        db, nurse, row.id, check.version, {"device_1_at": first, "device_2_at": first + timedelta(minutes=5)}
    )
    assert "each device's time" not in _form(db, row.id).missing
    dose = rems.facts_of(db, row.id).doses[0]
    charting.correct_dose(
        db,
        staff["marcus"],
        dose.id,
        dose.version,
        nasal_dose_data(db, dose_mg=84, drawn_mg=84, device_count=3),
    )
    assert "each device's time" in _form(db, row.id).missing


def test_the_first_device_is_not_timed_before_the_dose(db: Database, staff: dict[str, Actor]) -> None:
    row, check = _dosed(db, staff["nina"])
    first = db.clock.now() - timedelta(minutes=3)
    with pytest.raises(InvalidInput, match="Device 1: not before the dose was given") as refused:
        rems.record_devices(
            db,
            staff["nina"],
            row.id,
            check.version,
            {"device_1_at": first, "device_2_at": first + timedelta(minutes=5)},
        )
    assert refused.value.field == "device_1_at"


def test_once_the_patient_has_left_a_correction_keeps_what_let_them_go(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = a_rems_session(db, nurse)
    check = rems.facts_of(db, row.id).check
    assert check is not None and check.dissociation_at is not None
    kept = {"dissociation": True, "dissociation_at": check.dissociation_at, "ready_to_leave_min": 120}
    with pytest.raises(InvalidInput, match="the patient has left") as refused:
        rems.record_observations(db, nurse, row.id, check.version, NOTHING_SEEN | kept)
    assert refused.value.field == "dissociation_resolved_at"
    resolved = {"dissociation_resolved_at": check.dissociation_resolved_at}
    with pytest.raises(InvalidInput, match="the patient has left"):
        rems.record_observations(
            db, nurse, row.id, check.version, NOTHING_SEEN | kept | resolved | {"ready_to_leave_min": None}
        )
    later = {"ready_to_leave_min": 125}  # a correction that keeps the form complete is taken
    changed = rems.record_observations(
        db, nurse, row.id, check.version, NOTHING_SEEN | kept | resolved | later
    )
    assert changed.ready_to_leave_min == 125


def test_respiratory_depression_on_the_rems_form_calls_the_physician_once_and_holds_discharge(
    db: Database, staff: dict[str, Actor]
) -> None:
    from sqlmodel import col, select

    from console.chair import alerts
    from console.store.models import Alert

    nurse, doctor = staff["nina"], staff["priya"]
    row, check = _observed_two_hours(db, nurse)
    first = db.clock.now() - timedelta(minutes=121)
    check = rems.record_devices(
        db, nurse, row.id, check.version, {"device_1_at": first, "device_2_at": first + timedelta(minutes=5)}
    )
    began = first + timedelta(minutes=25)
    seen = NOTHING_SEEN | {
        "respiratory_depression": True,
        "respiratory_depression_at": began,
        "respiratory_depression_resolved_at": began + timedelta(minutes=20),
        "ready_to_leave_min": 115,
    }
    check = rems.record_observations(db, nurse, row.id, check.version, seen)
    check = rems.record_observations(db, nurse, row.id, check.version, seen)  # saved again: no second call
    with db.read() as session:
        [alert] = session.exec(select(Alert).where(Alert.session_id == row.id)).all()
    assert alert.rule == "serious_side_effect" and alert.message.startswith(
        "Respiratory depression seen (REMS"
    )
    with pytest.raises(NotAllowed, match="physician"):
        _leave(db, nurse, row.id)
    alerts.acknowledge(db, doctor, alert.id, alert.version, "Assessed: SpO2 97% on air, rate 14; may leave")
    # A second episode, after the physician saw the first: the physician is called again.
    again = began + timedelta(minutes=60)
    check = rems.record_observations(
        db,
        nurse,
        row.id,
        check.version,
        seen
        | {
            "respiratory_depression_at": again,
            "respiratory_depression_resolved_at": again + timedelta(minutes=10),
        },
    )
    with db.read() as session:
        second = session.exec(
            select(Alert).where(Alert.session_id == row.id, col(Alert.acknowledged_at).is_(None))
        ).one()
    with pytest.raises(NotAllowed, match="physician"):
        _leave(db, nurse, row.id)
    alerts.acknowledge(
        db, doctor, second.id, second.version, "Seen again: breathing 14/min, SpO2 98%; may leave"
    )
    assert _leave(db, nurse, row.id).discharged_at is not None


@pytest.mark.breaks_rules
def test_respiratory_depression_written_on_the_form_behind_the_services_back_is_a_broken_rule(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.review.record_rules import broken_rules

    row, _ = _dosed(db, staff["nina"])
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE rems_check SET respiratory_depression = TRUE, respiratory_depression_at = (SELECT "
                "administered_at FROM dose_administration WHERE session_id = :id) WHERE session_id = :id"
            ),
            {"id": row.id},
        )
    found = {(b.session_id, b.rule) for b in broken_rules(db, Protocol())}
    assert (row.id, "REMS respiratory depression without a call to the physician") in found


def test_form_times_typed_after_midnight_for_a_session_that_ran_past_it_are_the_evenings() -> None:
    from datetime import datetime

    now = datetime(2026, 12, 8, 0, 40, tzinfo=ZONE)  # a session dosed at 22:30 the evening before
    devices = rems.typed_devices("22:31 22:36", now, ZONE)
    assert devices == {
        "device_1_at": datetime(2026, 12, 7, 22, 31, tzinfo=ZONE),
        "device_2_at": datetime(2026, 12, 7, 22, 36, tzinfo=ZONE),
    }
    seen = rems.typed_observations({"sedation": "22:50-00:10"}, "", now, ZONE)
    assert seen is not None
    assert (seen["sedation_at"], seen["sedation_resolved_at"]) == (
        datetime(2026, 12, 7, 22, 50, tzinfo=ZONE),
        datetime(2026, 12, 8, 0, 10, tzinfo=ZONE),
    )
