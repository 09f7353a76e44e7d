"""Booking from the board, without the board: a registered patient by MRN, or a new one registered first."""

import pytest

from console.chair.booking import Booking, NewPatient, book
from console.clinic.patients import find_by_mrn
from console.domain.actors import Actor
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.protocol import SeriesPlan
from console.store.database import Database
from tests.factories import scheduled_session

NOBODY = NewPatient("", "", "", "unknown", "")
PLAN = SeriesPlan()


def booking(db: Database, mrn: str, new: NewPatient = NOBODY, time: str = "13:15") -> Booking:
    return Booking(
        mrn=mrn, day=db.clock.now().date(), time=time, chair="4", method="nasal_spray", new_patient=new
    )


def test_a_registered_patient_is_booked_by_mrn_and_the_new_patient_fields_are_ignored(
    db: Database, staff: dict[str, Actor]
) -> None:
    known = scheduled_session(db, staff["nina"], mrn="MRN-1001")
    row = book(
        db,
        staff["nina"],
        booking(db, "mrn-1001", NewPatient("Other", "Person", "1990-01-01", "male", "90")),
        PLAN,
    )
    assert row.patient_id == known.patient_id and row.chair == "4" and row.method == "nasal_spray"


def test_a_new_mrn_registers_the_patient_weighed_today_then_books(
    db: Database, staff: dict[str, Actor]
) -> None:
    new = NewPatient("Okafor", "Ada", "1979-04-02", "female", "64.5")
    row = book(db, staff["nina"], booking(db, "MRN-7001", new), PLAN)
    patient = find_by_mrn(db, "MRN-7001")
    assert patient is not None and row.patient_id == patient.id
    assert patient.weight_kg == 64.5 and patient.weight_measured_on == db.clock.now().date()


def test_a_refused_booking_names_the_field_and_a_retry_finds_the_patient_registered(
    db: Database, staff: dict[str, Actor]
) -> None:
    new = NewPatient("Okafor", "Ada", "1979-04-02", "female", "")
    with pytest.raises(InvalidInput, match=r"(?i)time"):
        book(db, staff["nina"], booking(db, "MRN-7002", new, time="25:99"), PLAN)
    booked = book(db, staff["nina"], booking(db, "MRN-7002", NOBODY), PLAN)
    registered = find_by_mrn(db, "MRN-7002")
    assert registered is not None
    assert booked.patient_id == registered.id


def test_a_first_booking_starts_a_series_and_later_ones_follow_it_then_maintenance_waits_for_the_review(
    db: Database, staff: dict[str, Actor]
) -> None:
    """After the series' last booking, maintenance waits for the physician's end-of-induction review
    (booked once it says maintenance: tests/test_induction_review.py)."""
    from datetime import timedelta

    nurse, plan = staff["nina"], SeriesPlan(nasal_series_sessions=2)
    new = NewPatient("Okafor", "Ada", "1979-04-02", "female", "64.5")
    first = book(db, nurse, booking(db, "MRN-7001", new), plan)
    assert (first.series_number, first.series_length) == (1, 2)
    later = Booking("MRN-7001", first.clinic_date + timedelta(days=3), "13:15", "4", "nasal_spray", NOBODY)
    second = book(db, nurse, later, plan)
    assert (second.series_number, second.series_length) == (2, 2)
    after = Booking("MRN-7001", first.clinic_date + timedelta(days=6), "13:15", "4", "nasal_spray", NOBODY)
    with pytest.raises(NotAllowed, match="maintenance waits for the physician's end-of-induction review"):
        book(db, nurse, after, plan)  # the series of two is booked to its end: no review yet
    other = Booking("MRN-7001", first.clinic_date + timedelta(days=7), "13:15", "4", "iv_infusion", NOBODY)
    assert book(db, nurse, other, plan).series_number == 1  # another method starts its own series
