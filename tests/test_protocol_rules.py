"""Each protocol rule at the service layer, on both backends, with time injected."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel import select

from console.chair import charting, dose_rules, sessions
from console.chair.overdue import flag_overdue, overdue
from console.chair.overrides import record_override
from console.clinic import patients
from console.clinic.clinic_protocol import set_protocol
from console.domain.actors import Actor
from console.domain.alert_rules import AlertRule
from console.domain.clock import FixedClock
from console.domain.errors import InvalidInput, NeedsConfirmation, NotAllowed
from console.domain.inputs import DoseIn
from console.domain.protocol import Protocol
from console.store.database import Database
from console.store.models import Alert, AuditEvent, DoseAdministration, Override, Patient, TreatmentSession
from tests.factories import (
    at_minutes_ago,
    checked_in_session,
    discharge_checked,
    iv_dose_data,
    nasal_dose_data,
    patient_data,
    rems_enrolled,
    rems_monitored,
    scheduled_session,
    vitals_data,
)

PROTOCOL = Protocol()
ZONE = __import__("zoneinfo").ZoneInfo("America/Chicago")


def _screened(db: Database, nurse: Actor, found: list[str], **kwargs: Any) -> TreatmentSession:
    row = checked_in_session(db, nurse, **kwargs)
    return sessions.record_pre_assessment(
        db, nurse, row.id, row.version, escort_confirmed=True, contraindications=found
    )


# ----- contraindication screen -------------------------------------------------------------------
def test_no_first_dose_without_the_contraindication_screen(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = scheduled_session(db, nurse)
    row = sessions.check_in(db, nurse, row.id, row.version)
    with pytest.raises(NotAllowed, match="contraindication screen"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))


def test_a_positive_screen_blocks_dosing_until_a_physician_overrides_with_a_reason(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = _screened(db, nurse, ["pregnancy"])
    with pytest.raises(NotAllowed, match=r"contraindication found \(Pregnancy\)"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    with pytest.raises(NotAllowed, match="the protocol needs a physician"):
        record_override(db, nurse, row.id, "contraindication", "patient insists", PROTOCOL)
    with pytest.raises(InvalidInput, match="Reason"):
        record_override(db, doctor, row.id, "contraindication", " ", PROTOCOL)
    record_override(
        db, doctor, row.id, "contraindication", "Negative pregnancy test today; discussed", PROTOCOL
    )
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    with db.read() as session:
        override = session.exec(select(Override)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "override.record")).one()
    assert (override.rule, override.role, override.overridden_by) == (
        "contraindication",
        "physician",
        doctor.user_id,
    )
    assert event.after_json is not None
    assert event.actor == "priya" and "Negative pregnancy test" in event.after_json


@pytest.mark.parametrize(
    "rule", ["contraindication", "allergy", "checklist", "predose_hold", "dose_range", "discharge"]
)
def test_a_protocol_cannot_let_a_nurse_set_a_safety_rule_aside(rule: str) -> None:
    with pytest.raises(ValidationError, match=f"{rule}: only a physician may set a safety rule aside"):
        Protocol(override_roles={rule: "nurse"})


def test_a_nurse_cannot_record_an_override(db: Database, staff: dict[str, Actor]) -> None:
    row = _screened(db, staff["nina"], ["hepatic"])
    with pytest.raises(NotAllowed, match="the protocol needs a physician"):
        record_override(
            db, staff["nina"], row.id, "contraindication", "Liver tests normal last week", PROTOCOL
        )


# ----- pre-dose hold -------------------------------------------------------------------------------
def test_a_pre_dose_reading_past_the_hold_threshold_blocks_dosing_until_an_override(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=186, diastolic=104))
    with pytest.raises(NotAllowed, match="pre-dose hold: BP 186/104"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    record_override(
        db, doctor, row.id, "predose_hold", "Rechecked manually 150/90; anxious", PROTOCOL, "BP 186/104"
    )
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


def test_a_pre_dose_breathing_rate_below_the_hold_blocks_dosing_until_an_override(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, resp_rate=7))
    with pytest.raises(NotAllowed, match="pre-dose hold: respiratory rate 7 below 8/min"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    record_override(db, doctor, row.id, "predose_hold", "Asleep in the chair; awake RR 14", PROTOCOL, "RR 7")
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


# ----- the patient: age, allergies, REMS enrolment -----------------------------------------------
def _patient_changed(db: Database, nurse: Actor, patient_id: int, **changes: object) -> None:
    """The patient's details corrected through the service, as at the desk."""
    from tests.factories import patient_data

    row = patients.get_patient(db, patient_id)
    patients.update_patient(db, nurse, patient_id, row.version, patient_data(mrn=row.mrn) | changes)


def _born_years_before(db: Database, nurse: Actor, patient_id: int, years: int, days: int = 0) -> None:
    today = db.clock.now().date()
    born = today.replace(year=today.year - years) + timedelta(days=days)
    _patient_changed(db, nurse, patient_id, date_of_birth=born)


@pytest.mark.parametrize(
    ("method", "years", "refused"), [("nasal_spray", 17, True), ("nasal_spray", 18, False)]
)
def test_esketamine_is_for_adults_only(
    db: Database, staff: dict[str, Actor], method: str, years: int, refused: bool
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method=method)
    _born_years_before(db, nurse, row.patient_id, years)
    rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    if refused:
        with pytest.raises(
            NotAllowed, match="the patient is 17: the protocol gives esketamine from 18 years"
        ):
            charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
    else:
        assert charting.record_dose(db, nurse, row.id, nasal_dose_data(db)).dose_mg == 56


def test_a_patient_a_day_short_of_the_protocols_age_is_refused_iv_ketamine(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    _born_years_before(db, nurse, row.patient_id, 18, days=1)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(NotAllowed, match="the patient is 17: the protocol gives IV ketamine from 18 years"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))


@pytest.mark.parametrize(
    "allergies",
    [
        "Ketamine (rash)",
        "penicillin; KETALAR",
        "esketamine nasal spray",
        "Spravato",
        "ketamineHCl",
        "Ketanest S (anaphylaxis)",
        "ketamin - rash",
        "\uff2b\uff25\uff34\uff21\uff2d\uff29\uff2e\uff25",  # KETAMINE in full-width letters
        "keta\u00admine",
        "kétamine",
        "k\u0435t\u0430min\u0435",  # Cyrillic e and a among Latin letters
        "кетамин (сыпь)",
        "Справато",
        "κεταμίνη",
        "keta mine",
        "K-E-T-A-M-I-N-E",
        "ket.amine",
        "ケタミン",
        "氯胺酮",
        "케타민 (rash)",
        "كيتامين",
        "קטמין",
        "केटामाइन",
        "k3tamine",
        "ket@mine",
        "Calypsol",
        "Ketaject",
    ],
)
def test_an_allergy_naming_the_drug_blocks_dosing_until_a_physician_overrides(
    db: Database, staff: dict[str, Actor], allergies: str
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    _patient_changed(db, nurse, row.patient_id, allergies=allergies)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(NotAllowed, match=r"allergy recorded: .* dosing is blocked until a physician"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    with pytest.raises(NotAllowed):
        record_override(db, nurse, row.id, "allergy", "patient says it was mild", PROTOCOL, allergies)
    # An override of another rule (here, the screen) does not carry the allergy with it.
    record_override(db, doctor, row.id, "contraindication", "Liver tests normal last week", PROTOCOL)
    with pytest.raises(NotAllowed, match="until a physician overrides the allergy"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    record_override(db, doctor, row.id, "allergy", "Rash only, 2019; premedicated", PROTOCOL, allergies)
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


def test_an_allergy_to_something_else_does_not_block(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    _patient_changed(
        db,
        nurse,
        row.patient_id,
        allergies="ketorolac; latex; пенициллин; Brisket; aminoglycosides; Socket, amino acids; Vitamin K",
    )
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


def test_no_esketamine_dose_without_the_rems_enrolment_recorded(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method="nasal_spray")
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(NotAllowed, match="REMS enrolment"):
        charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
    rems_enrolled(db, nurse, row.id)
    charting.record_dose(db, nurse, row.id, nasal_dose_data(db))


def test_a_later_reading_below_the_hold_lifts_it(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    at_minutes_ago(db, 10, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=182)))
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=150))
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))


# ----- dose range and weight -----------------------------------------------------------------------
def _dose(**changes: object) -> DoseIn:
    data = {
        "route": "intravenous",
        "drug": "ketamine",
        "dose_mg": 35,
        "rate_mg_per_kg_h": 0.5,
        "planned_duration_min": 60,
        "administered_at": "2026-11-26T15:00:00Z",
        "lot_number": "K1",
        "concentration_mg_per_ml": 10,
        "drawn_mg": 40,
        "wasted_mg": 5,
        "witness": "marcus",
    }
    return DoseIn.model_validate(data | changes)


@given(st.floats(0.01, 10, allow_nan=False))
def test_an_iv_rate_is_refused_exactly_when_outside_the_protocol_range(rate: float) -> None:
    refusal = dose_rules.out_of_range(_dose(rate_mg_per_kg_h=rate), PROTOCOL)
    inside = PROTOCOL.iv.rate_min_mg_per_kg_h <= rate <= PROTOCOL.iv.rate_max_mg_per_kg_h
    assert (refusal is None) == inside
    if refusal is not None:
        assert refusal.field == "rate_mg_per_kg_h" and "physician override" in str(refusal)


@given(st.floats(0.1, 1000, allow_nan=False))
def test_an_iv_total_is_refused_exactly_above_the_protocol_maximum(total: float) -> None:
    refusal = dose_rules.out_of_range(_dose(dose_mg=total, drawn_mg=total + 5), PROTOCOL)
    assert (refusal is None) == (total <= PROTOCOL.iv.max_total_mg)


@given(st.integers(1, 3))
def test_nasal_doses_are_the_protocol_list(devices: int) -> None:
    dose = _dose(
        route="nasal",
        drug="esketamine",
        dose_mg=28 * devices,
        device_count=devices,
        drawn_mg=28 * devices,
        wasted_mg=0,
        rate_mg_per_kg_h=None,
        planned_duration_min=None,
    )
    assert (dose_rules.out_of_range(dose, PROTOCOL) is None) == (28 * devices in (56, 84))


def test_an_out_of_range_dose_needs_a_physician_override(db: Database, staff: dict[str, Actor]) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    fast = iv_dose_data(db, rate_mg_per_kg_h=2.5, dose_mg=175, drawn_mg=180, wasted_mg=5)
    with pytest.raises(
        InvalidInput, match=r"Rate: 2.5 mg/kg/h is outside the protocol's 0.5-2 mg/kg/h"
    ) as refused:
        charting.record_dose(db, nurse, row.id, fast)
    assert refused.value.field == "rate_mg_per_kg_h"
    record_override(db, doctor, row.id, "dose_range", "Tolerated 2.5 mg/kg/h in the last series", PROTOCOL)
    assert charting.record_dose(db, nurse, row.id, fast).rate_mg_per_kg_h == 2.5


@pytest.mark.parametrize(
    "method, changes, field, said",
    [
        (
            "iv_infusion",
            {"dose_mg": 40, "wasted_mg": 10},
            "dose_mg",
            "Dose: 40 mg is not rate x weight x time (0.5",
        ),
        ("iv_infusion", {"planned_duration_min": 90}, "dose_mg", "x 70 kg x 90 min = 52.5 mg)"),
        ("nasal_spray", {"device_count": 3}, "dose_mg", "Dose: 56 mg is not 3 device(s) of 28 mg (84 mg)."),
        (
            "iv_infusion",
            {"drug": "esketamine"},
            "drug",
            "Drug: intravenous is ketamine here (got esketamine).",
        ),
        ("nasal_spray", {"drug": "ketamine"}, "drug", "Drug: nasal is esketamine here (got ketamine)."),
        ("nasal_spray", {"rate_mg_per_kg_h": 10}, "rate_mg_per_kg_h", "Rate: a nasal dose has no rate"),
        ("iv_infusion", {"device_count": 2}, "device_count", "Devices: only a nasal dose has devices."),
    ],
)
def test_a_dose_is_what_its_own_figures_give_whatever_a_screen_sends(
    db: Database, staff: dict[str, Actor], method: str, changes: dict[str, Any], field: str, said: str
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method=method)
    if method == "nasal_spray":
        rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    data = (iv_dose_data if method == "iv_infusion" else nasal_dose_data)(db, **changes)
    with pytest.raises(InvalidInput, match=re.escape(said)) as refused:
        charting.record_dose(db, nurse, row.id, data)
    assert refused.value.field == field


def two_hours(rate: float) -> dict[str, Any]:
    return {"rate_mg_per_kg_h": rate, "planned_duration_min": 120}


def _redose(db: Database, dose_mg: float, **changes: object) -> dict[str, Any]:
    """A second dose of the session, an hour later, drawn whole."""
    return iv_dose_data(db, dose_mg=dose_mg, drawn_mg=dose_mg, wasted_mg=0, **changes)


def test_the_caps_are_on_the_sessions_total_a_re_dose_counts(db: Database, staff: dict[str, Actor]) -> None:
    """385 mg then 35 mg: each under the 400 mg cap alone, 420 mg together."""
    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse, minutes_ago=120)
    big = {"rate_mg_per_kg_h": 2, "planned_duration_min": 165}
    at_minutes_ago(db, 110, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db)))
    at_minutes_ago(db, 100, lambda: charting.record_dose(db, nurse, row.id, _redose(db, 385, **big)))
    said = (
        "Dose: 35 mg with the 385 mg given before in this session makes 420 mg, above the protocol's 400 mg"
    )
    with pytest.raises(InvalidInput, match=re.escape(said)) as refused:
        charting.record_dose(db, nurse, row.id, _redose(db, 35))
    assert refused.value.field == "dose_mg"
    record_override(db, doctor, row.id, "dose_range", "Pain still 8/10; 420 mg in total agreed", PROTOCOL)
    charting.record_dose(db, nurse, row.id, _redose(db, 35))


def test_the_session_total_is_capped_in_mg_per_kg_of_the_weight_used(
    db: Database, staff: dict[str, Actor]
) -> None:
    """70 kg: 8 mg/kg is 560 mg; a protocol capping at 400 mg does not reach it, one at 1000 mg does."""
    nurse = staff["nina"]
    protocol = Protocol(version="trial-1", iv={"max_total_mg": 1000})
    set_protocol(db, staff["office"], protocol)
    row = checked_in_session(db, nurse, protocol=protocol)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(
        db, nurse, row.id, _redose(db, 350, rate_mg_per_kg_h=2, planned_duration_min=150), protocol
    )
    with pytest.raises(
        InvalidInput, match=re.escape("makes 8.50 mg/kg, above the protocol's 8 mg/kg for a session")
    ):
        charting.record_dose(db, nurse, row.id, _redose(db, 245, **two_hours(1.75)), protocol)
    charting.record_dose(db, nurse, row.id, _redose(db, 210, **two_hours(1.5)), protocol)  # 8 mg/kg exactly


@pytest.mark.parametrize(("minutes", "refused"), [(29, True), (30, False), (240, False), (241, True)])
def test_an_infusion_shorter_or_longer_than_the_protocol_needs_an_override(
    db: Database, staff: dict[str, Actor], minutes: int, refused: bool
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    given = round(35 * minutes / 60, 1)  # 0.5 mg/kg/h for 70 kg
    dose = iv_dose_data(db, planned_duration_min=minutes, dose_mg=given, drawn_mg=given, wasted_mg=0)
    if refused:
        with pytest.raises(
            InvalidInput, match=f"Duration: {minutes} min is outside the protocol's 30-240 min"
        ):
            charting.record_dose(db, nurse, row.id, dose)
    else:
        assert charting.record_dose(db, nurse, row.id, dose).planned_duration_min == minutes


def test_a_second_esketamine_dose_past_the_largest_allowed_is_refused(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method="nasal_spray")
    rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
    with pytest.raises(
        InvalidInput,
        match=re.escape("Devices: 56 mg with the 56 mg given before in this session makes 112 mg, above"),
    ):
        charting.record_dose(db, nurse, row.id, nasal_dose_data(db))


def test_esketamine_starts_at_56_mg_and_changes_by_one_device_a_session(
    db: Database, staff: dict[str, Actor]
) -> None:
    """The label: 56 mg on the first day (28 mg from 65 where the protocol allows it), then changes
    of 28 mg from one session to the next; anything else waits for a physician's override."""
    nurse, protocol = staff["nina"], Protocol(version="with-28-1", nasal={"allowed_doses_mg": [28, 56, 84]})
    set_protocol(db, staff["office"], protocol)
    born = db.clock.now().date().replace(year=db.clock.now().year - 70)
    patients.create_patient(db, nurse, patient_data(mrn="MRN-7001", date_of_birth=born))

    def nasal_session(mg: int, at: str) -> tuple[int, dict[str, Any]]:
        row = checked_in_session(db, nurse, method="nasal_spray", mrn="MRN-7001", protocol=protocol, at=at)
        rems_enrolled(db, nurse, row.id)
        charting.record_vitals(db, nurse, row.id, vitals_data(db))
        return row.id, nasal_dose_data(db, dose_mg=mg, device_count=mg // 28, drawn_mg=mg)

    first, dose = nasal_session(84, "08:00")
    with pytest.raises(
        InvalidInput, match=re.escape("84 mg to start esketamine; the label starts at 56 mg or 28 mg")
    ):
        charting.record_dose(db, nurse, first, dose, protocol)
    charting.record_dose(
        db, nurse, first, dose | {"dose_mg": 28, "device_count": 1, "drawn_mg": 28}, protocol
    )
    second, dose = nasal_session(84, "11:00")
    with pytest.raises(
        InvalidInput, match=re.escape("84 mg after 28 mg last session; the label changes the dose by 28 mg")
    ):
        charting.record_dose(db, nurse, second, dose, protocol)
    record_override(db, staff["priya"], second, "dose_range", "Tolerated 28 mg well, per plan", protocol)
    assert charting.record_dose(db, nurse, second, dose, protocol).dose_mg == 84


def test_a_patient_under_65_starts_esketamine_at_56_mg(db: Database, staff: dict[str, Actor]) -> None:
    nurse, protocol = staff["nina"], Protocol(version="with-28-1", nasal={"allowed_doses_mg": [28, 56, 84]})
    set_protocol(db, staff["office"], protocol)
    row = checked_in_session(db, nurse, method="nasal_spray", protocol=protocol)
    rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(
        InvalidInput, match=re.escape("28 mg to start esketamine; the label starts at 56 mg;")
    ):
        charting.record_dose(
            db, nurse, row.id, nasal_dose_data(db, dose_mg=28, device_count=1, drawn_mg=28), protocol
        )
    assert charting.record_dose(db, nurse, row.id, nasal_dose_data(db), protocol).dose_mg == 56


def test_the_first_dose_waits_for_the_pre_infusion_items_the_protocol_requires(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.chair import checklists

    nurse, lists = staff["nina"], PROTOCOL.checklists
    fasting, pregnancy = lists.pre_infusion_required
    row = checked_in_session(db, nurse, checklist_ticked=False)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(
        NotAllowed, match=re.escape(f"pre-infusion checklist not ticked: {fasting}; {pregnancy} (pre")
    ):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    checklists.tick(db, nurse, row.id, "pre_infusion", [fasting], lists)
    with pytest.raises(NotAllowed, match=re.escape(f"pre-infusion checklist not ticked: {pregnancy} (pre")):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    checklists.tick(db, nurse, row.id, "pre_infusion", [pregnancy], lists)
    assert charting.record_dose(db, nurse, row.id, iv_dose_data(db)).dose_mg > 0


def test_a_nasal_first_dose_waits_for_the_labels_fasting_items_not_an_infusions(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Esketamine label: no food for 2 hours and no drink for 30 minutes before; no IV cannula."""
    from console.chair import checklists

    nurse, lists = staff["nina"], PROTOCOL.checklists
    food, drink, pregnancy = lists.required_before_dose("nasal_spray")
    row = checked_in_session(db, nurse, method="nasal_spray", checklist_ticked=False)
    rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(InvalidInput, match="Pre-dose checklist: 'IV site and cannula gauge checked' is not"):
        checklists.tick(db, nurse, row.id, "pre_infusion", ["IV site and cannula gauge checked"], lists)
    with pytest.raises(InvalidInput, match="is not an item"):  # an infusion's fasting is not the label's
        checklists.tick(db, nurse, row.id, "pre_infusion", [lists.pre_infusion[0]], lists)
    checklists.tick(db, nurse, row.id, "pre_infusion", [food, pregnancy], lists)
    with pytest.raises(NotAllowed, match=re.escape(f"pre-dose checklist not ticked: {drink} (pre")):
        charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
    checklists.tick(db, nurse, row.id, "pre_infusion", [drink], lists)
    assert charting.record_dose(db, nurse, row.id, nasal_dose_data(db)).dose_mg == 56


def test_a_physicians_override_lets_a_dose_go_without_a_required_item(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, checklist_ticked=False)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    record_override(
        db, staff["priya"], row.id, "contraindication", "Screen reviewed with the patient", PROTOCOL
    )
    with pytest.raises(NotAllowed, match="or a physician overrides the checklist"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))  # another rule's override is not this
    record_override(
        db, staff["priya"], row.id, "checklist", "Ate 4 h ago: low risk, per anaesthesia", PROTOCOL
    )
    assert charting.record_dose(db, nurse, row.id, iv_dose_data(db)).dose_mg > 0


def test_mg_per_kg_needs_a_weight_the_protocol_still_trusts(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    patient = patients.find_by_mrn(db, "MRN-1001")
    assert patient is not None
    old = db.clock.now().date() - timedelta(days=31)
    with db.write() as session:
        stored = session.get(type(patient), patient.id)
        assert stored is not None
        stored.weight_measured_on = old
        session.add(stored)
    with pytest.raises(InvalidInput, match="Weight: measured 31 days ago"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    patient = patients.find_by_mrn(db, "MRN-1001")
    assert patient is not None
    patients.record_weight(db, nurse, patient.id, patient.version, 71)
    dose = iv_dose_data(db, dose_mg=35.5, wasted_mg=14.5)  # 0.5 mg/kg/h for an hour at 71 kg
    assert charting.record_dose(db, nurse, row.id, dose).weight_kg_used == 71


def test_a_weight_far_from_the_last_one_is_stored_only_when_confirmed(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    patient = patients.find_by_mrn(db, "MRN-1001") or patients.create_patient(db, nurse, patient_data())
    with pytest.raises(NeedsConfirmation, match=r"7 kg is 90% below the last \(70 kg on") as refused:
        patients.record_weight(db, nurse, patient.id, patient.version, "7", PROTOCOL)  # 70 with a digit lost
    assert refused.value.field == "weight_kg"
    unchanged = patients.find_by_mrn(db, "MRN-1001")
    assert unchanged is not None
    assert unchanged.weight_kg == 70  # nothing stored
    patient = patients.record_weight(db, nurse, patient.id, patient.version, "76", PROTOCOL)  # within 10%
    assert patient.weight_kg == 76
    lenient = Protocol(weight_change_confirm_percent=50)
    with pytest.raises(NeedsConfirmation, match="53% above"):
        patients.record_weight(db, nurse, patient.id, patient.version, "116", lenient)
    patient = patients.record_weight(db, nurse, patient.id, patient.version, "116", lenient, confirmed=True)
    assert patient.weight_kg == 116
    with db.read() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "patient")).all()
    assert actions[-2:] == ["patient.weight", "patient.weight.confirmed"]


@given(last=st.floats(2, 400), new=st.floats(2, 400), percent=st.floats(1, 100))
def test_the_weight_change_needs_confirming_exactly_past_the_protocol_percent(
    last: float, new: float, percent: float
) -> None:
    patient = Patient(**patient_data(weight_kg=last, weight_measured_on=date(2026, 11, 1)))
    protocol = Protocol(weight_change_confirm_percent=percent)
    beyond = abs(new - last) / last * 100 > percent
    try:
        patients.weight_change(patient, new, protocol)
        assert not beyond
    except NeedsConfirmation:
        assert beyond


# ----- discharge gate ------------------------------------------------------------------------------
def _nasal_session_dosed(db: Database, nurse: Actor) -> TreatmentSession:
    row = checked_in_session(db, nurse, method="nasal_spray", minutes_ago=10)
    rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    row = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "before", "score": 6, "scored_at": db.clock.now()}, row.version
    )
    nasal = {
        "drug": "esketamine",
        "dose_mg": 56,
        "device_count": 2,
        "administered_at": db.clock.now(),
        "lot_number": "ESK-1",
        "concentration_mg_per_ml": 140,
        "drawn_mg": 56,
    }
    charting.record_dose(db, nurse, row.id, nasal)
    return sessions.get_session(db, row.id)


def test_nasal_discharge_is_refused_at_119_minutes_and_allowed_at_120(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = _nasal_session_dosed(db, nurse)
    dosed_at = db.clock.now()
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=40)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, moaas=4))
    row = sessions.end_treatment(db, nurse, row.id, sessions.get_session(db, row.id).version)
    db.clock.at = dosed_at + timedelta(minutes=115)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    rems_monitored(db, nurse, row.id, ready_to_leave_min=115)
    row = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 2, "scored_at": db.clock.now()}, row.version
    )
    discharge_checked(db, nurse, row.id)
    db.clock.at = dosed_at + timedelta(minutes=119)
    with pytest.raises(NotAllowed, match=r"observation time not reached \(120 min; 1 min to go\)"):
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    db.clock.at = dosed_at + timedelta(minutes=120)
    assert (
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version).status == "discharged"
    )


def test_the_refusal_lists_everything_missing(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, minutes_ago=60)
    row = sessions.record_pre_assessment(
        db, nurse, row.id, row.version, escort_confirmed=False, contraindications=[]
    )
    at_minutes_ago(
        db, 55, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db, moaas=4, spo2=90))
    )
    at_minutes_ago(db, 50, lambda: charting.record_dose(db, nurse, row.id, iv_dose_data(db)))
    with pytest.raises(NotAllowed) as refused:
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    message = str(refused.value)
    for missing in (
        "observation time not reached (30 min; 30 min to go)",
        "latest vital signs are 56 min old",
        "SpO2 90% below 92%",
        "MOAA/S is 4 (needs 5)",
        "pain after not recorded",
        "escort / driver not confirmed",
    ):
        assert missing in message, missing


@pytest.mark.parametrize(("method", "needed"), [("iv_infusion", False), ("nasal_spray", True)])
def test_esketamine_needs_an_escort_at_discharge_whatever_the_protocol_says(
    db: Database, staff: dict[str, Actor], method: str, needed: bool
) -> None:
    """A protocol may let an IV patient leave alone; esketamine's label never does."""
    from console.chair.discharge_gate import missing_for_discharge

    protocol = Protocol(version="no-escort-1", discharge={"require_escort": False})
    row = checked_in_session(db, staff["nina"], method=method)
    row = sessions.record_pre_assessment(
        db, staff["nina"], row.id, row.version, escort_confirmed=False, contraindications=[]
    )
    missing = missing_for_discharge(row, [], [], protocol, db.clock.now(), ticked=[])
    assert ("escort / driver not confirmed" in missing) is needed


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ({"thresholds": {"systolic_hold": 210}}, "thresholds.systolic_hold"),
        ({"thresholds": {"diastolic_hold": 125}}, "thresholds.diastolic_hold"),
        ({"iv": {"vitals_interval_min": 20}}, "iv.vitals_interval_min"),
        ({"nasal": {"device_mg": 56}}, "nasal.device_mg"),
        ({"nasal": {"allowed_doses_mg": [56, 112]}}, "the label's doses are 56 and 84 mg"),
        ({"nasal": {"vitals_at_min": [60]}}, "about 40 minutes"),
        ({"nasal": {"vitals_at_min": [40, 300]}}, "within the observation"),
        ({"reconciliation_tolerance_mg": 5}, "reconciliation_tolerance_mg"),  # 5 mg could go unrecorded
        ({"discharge": {"latest_vitals_max_age_min": 120}}, "discharge.latest_vitals_max_age_min"),
    ],
)
def test_a_protocol_that_would_switch_a_safety_rule_off_is_refused(
    content: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)):
        Protocol.model_validate({"version": "unsafe-1"} | content)


@pytest.mark.parametrize(
    ("latest", "refused"),
    [
        ({"resp_rate": 9}, "respiratory rate 9 below 10/min"),
        ({"spo2": 91}, "SpO2 91% below 92%"),
        ({"heart_rate": 121}, "heart rate 121 above 120/min"),
        ({"heart_rate": 49}, "heart rate 49 below 50/min"),
        ({"systolic": 181}, "BP 181/82 at or above 180/110"),
        ({"moaas": 4}, "MOAA/S is 4 (needs 5)"),
        ({"systolic": 170, "diastolic": 90}, "systolic +42 mmHg from the session's first reading"),
    ],
)
def test_discharge_waits_for_a_latest_reading_inside_every_limit(
    db: Database, staff: dict[str, Actor], latest: dict[str, int], refused: str
) -> None:
    from tests.factories import ready_for_discharge

    nurse = staff["nina"]
    row = ready_for_discharge(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, **latest))
    with pytest.raises(NotAllowed, match=re.escape(refused)):
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))  # a reading inside every limit
    assert (
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version).status == "discharged"
    )


def test_a_physician_override_discharges_but_never_past_a_controlled_substance_mismatch(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse, minutes_ago=60)
    at_minutes_ago(db, 50, lambda: charting.record_dose(db, nurse, row.id, iv_dose_data(db)))
    with db.engine.begin() as connection:  # as stored before the service refused a mismatch
        connection.execute(text("UPDATE dose_administration SET wasted_mg = 10"))
    with pytest.raises(NotAllowed, match="discharge refused"):
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    record_override(db, doctor, row.id, "discharge", "Leaving against advice; escort present", PROTOCOL)
    with pytest.raises(
        NotAllowed, match=r"lot KET-2026-41 drawn 50 mg ≠ given 35 \+ wasted 10 mg"
    ) as refused:
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    assert "observation" not in str(refused.value)  # the override set the criteria aside
    with db.read() as session:  # the waste is corrected with its witness, then discharge goes through
        given = session.exec(select(DoseAdministration)).one()
    charting.correct_dose(
        db, nurse, given.id, given.version, iv_dose_data(db, administered_at=given.administered_at)
    )
    assert (
        sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version).status == "discharged"
    )


# ----- overdue readings --------------------------------------------------------------------------
def _late_session(db: Database, nurse: Actor) -> TreatmentSession:
    """An IV session whose last reading was 40 minutes ago: due 15 minutes after it, now 25 minutes late."""
    row = checked_in_session(db, nurse, minutes_ago=60)
    at_minutes_ago(db, 55, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db)))
    at_minutes_ago(db, 50, lambda: charting.record_dose(db, nurse, row.id, iv_dose_data(db)))
    at_minutes_ago(db, 40, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db)))
    return row


def test_an_overdue_reading_raises_one_alert_that_the_next_reading_closes(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.chair.board import day_sessions

    nurse = staff["nina"]
    row = _late_session(db, nurse)
    late = overdue(day_sessions(db, db.clock.now().date()), PROTOCOL, db.clock.now())
    assert late == {row.id: db.clock.now() - timedelta(minutes=26)}  # 15 min after the last reading
    assert flag_overdue(db, late, PROTOCOL, ZONE) == [row.id]
    assert flag_overdue(db, late, PROTOCOL, ZONE) == []  # one alert, however often the board looks
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.rule == AlertRule.VITALS_OVERDUE)).one()
    assert alert.acknowledged_at is None and "vital signs overdue" in alert.message
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.rule == AlertRule.VITALS_OVERDUE)).one()
    assert alert.acknowledged_by == nurse.user_id and alert.acknowledgement == "closed by the next reading"


def test_a_board_that_read_before_the_reading_landed_raises_no_alert_after_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    """A second workstation's board found the reading late; the reading is stored before it flags."""
    from console.chair.board import day_sessions

    nurse = staff["nina"]
    row = _late_session(db, nurse)
    late = overdue(day_sessions(db, db.clock.now().date()), PROTOCOL, db.clock.now())
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    assert flag_overdue(db, late, PROTOCOL, ZONE) == []
    with db.read() as session:
        assert session.exec(select(Alert).where(Alert.rule == AlertRule.VITALS_OVERDUE)).all() == []
    assert overdue(day_sessions(db, db.clock.now().date()), PROTOCOL, db.clock.now()) == {}


def test_a_reading_a_little_late_is_not_yet_overdue(db: Database, staff: dict[str, Actor]) -> None:
    from console.chair.board import day_sessions

    nurse = staff["nina"]
    row = checked_in_session(db, nurse, minutes_ago=40)
    at_minutes_ago(db, 35, lambda: charting.record_dose(db, nurse, row.id, iv_dose_data(db)))
    at_minutes_ago(db, 19, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db)))
    assert overdue(day_sessions(db, db.clock.now().date()), PROTOCOL, db.clock.now()) == {}


def test_the_protocol_version_is_stored_at_check_in(db: Database, staff: dict[str, Actor]) -> None:
    row = scheduled_session(db, staff["nina"])
    checked = sessions.check_in(
        db, staff["nina"], row.id, row.version, protocol=Protocol(version="lakeside-7")
    )
    assert checked.protocol_version == "lakeside-7"


def test_a_correction_is_held_to_the_dose_range_too(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    dose = charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    fast = iv_dose_data(db, rate_mg_per_kg_h=3, dose_mg=210, drawn_mg=210, wasted_mg=0, witness=None)
    with pytest.raises(InvalidInput, match="Rate: 3 mg/kg/h is outside"):
        charting.correct_dose(db, nurse, dose.id, dose.version, fast)


def test_a_correction_cannot_move_a_dose_before_the_check_in(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    dose = charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    earlier = iv_dose_data(db, administered_at=db.clock.now() - timedelta(hours=2))
    with pytest.raises(InvalidInput, match="Given at: cannot be before the patient checked in"):
        charting.correct_dose(db, nurse, dose.id, dose.version, earlier)


def test_an_overdue_reading_is_stored_by_whoever_looks_first_with_no_board_open(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Opening the session alone raises the overdue alert; the board then finds it open, not twice."""
    from console.chair.overdue import board_for, session_view_for

    nurse = staff["nina"]
    row = _late_session(db, nurse)
    view = session_view_for(db, row.id, PROTOCOL, ZONE)
    assert [alert.rule for alert in view.alerts] == [AlertRule.VITALS_OVERDUE]
    board = board_for(db, db.clock.now().date(), PROTOCOL, ZONE)
    assert board.newly_overdue == []
    assert next(r for r in board.rows if r.session_id == row.id).open_alerts == 1


def test_the_board_stores_the_overdue_alert_and_counts_it_in_the_same_look(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.chair.overdue import board_for

    nurse = staff["nina"]
    row = _late_session(db, nurse)
    board = board_for(db, db.clock.now().date(), PROTOCOL, ZONE)
    assert board.newly_overdue == [row.id]
    assert next(r for r in board.rows if r.session_id == row.id).open_alerts == 1
