"""A patient's course as the trajectory reads it from the record, on both backends: what each
session gave (mg, mg/kg, the highest rate, the minutes run) and its blood pressure."""

import pytest

from console.chair import charting
from console.chair.infusion import record_infusion_event
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.review.trajectory import Dosing, Pressure, patient_trajectory
from console.store.database import Database
from tests.factories import a_rems_session, checked_in_session, iv_dose_data, scheduled_session, vitals_data


def test_each_session_shows_what_it_gave_how_fast_for_how_long_and_its_blood_pressure(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    dose = charting.record_dose(db, nurse, row.id, iv_dose_data(db))  # 35 mg at 0.5 mg/kg/h, 70 kg
    assert isinstance(db.clock, FixedClock)
    for minutes, event in ((20, {"kind": "rate_change", "rate_mg_per_kg_h": 1.0}), (25, {"kind": "stop"})):
        db.clock.advance(minutes=minutes)
        record_infusion_event(db, nurse, dose.id, event | {"at": db.clock.now()})
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=150, diastolic=90))
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=132, diastolic=95))
    visit = patient_trajectory(db, row.patient_id).visits[0]
    # 20 min at 35 mg/h and 25 min at 70 mg/h run past the 35 mg prepared: what was prepared was given.
    assert visit.dosing == Dosing(given_mg=35, mg_per_kg=0.5, top_rate_mg_per_kg_h=1.0, minutes=45)
    assert (visit.dosing.amount(), visit.dosing.infusion()) == ("35 mg 0.50/kg", "1/kg/h 45 min")
    assert visit.pressure == Pressure(first=(128, 82), highest=(150, 90))
    assert visit.pressure.describe() == "128/82 ↑150/90"


def test_a_nasal_session_has_no_rate_and_a_session_without_a_dose_or_a_reading_shows_neither(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    nasal = a_rems_session(db, nurse)
    waiting = scheduled_session(db, nurse, "iv_infusion", "MRN-1001", "15:00")
    visits = {v.session_id: v for v in patient_trajectory(db, nasal.patient_id).visits}
    given = visits[nasal.id].dosing
    assert given is not None and given.given_mg == 56 and given.infusion() == ""
    assert given.mg_per_kg == pytest.approx(56 / 70)
    assert visits[waiting.id].dosing is None and visits[waiting.id].pressure is None
