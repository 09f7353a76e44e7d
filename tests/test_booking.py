"""Booking from the board, without the board: a registered patient by MRN, or a new one registered first."""

import pytest

from console.chair.booking import Booking, NewPatient, book
from console.clinic.patients import find_by_mrn
from console.domain.errors import InvalidInput
from tests.factories import scheduled_session

NOBODY = NewPatient("", "", "", "unknown", "")


def booking(db, mrn: str, new: NewPatient = NOBODY, time: str = "13:15") -> Booking:
    return Booking(
        mrn=mrn, day=db.clock.now().date(), time=time, chair="4", method="nasal_spray", new_patient=new
    )


def test_a_registered_patient_is_booked_by_mrn_and_the_new_patient_fields_are_ignored(db, staff):
    known = scheduled_session(db, staff["nina"], mrn="MRN-1001")
    row = book(
        db, staff["nina"], booking(db, "mrn-1001", NewPatient("Other", "Person", "1990-01-01", "male", "90"))
    )
    assert row.patient_id == known.patient_id and row.chair == "4" and row.method == "nasal_spray"


def test_a_new_mrn_registers_the_patient_weighed_today_then_books(db, staff):
    new = NewPatient("Okafor", "Ada", "1979-04-02", "female", "64.5")
    row = book(db, staff["nina"], booking(db, "MRN-7001", new))
    patient = find_by_mrn(db, "MRN-7001")
    assert patient is not None and row.patient_id == patient.id
    assert patient.weight_kg == 64.5 and patient.weight_measured_on == db.clock.now().date()


def test_a_refused_booking_names_the_field_and_a_retry_finds_the_patient_registered(db, staff):
    new = NewPatient("Okafor", "Ada", "1979-04-02", "female", "")
    with pytest.raises(InvalidInput, match=r"(?i)time"):
        book(db, staff["nina"], booking(db, "MRN-7002", new, time="25:99"))
    assert (
        book(db, staff["nina"], booking(db, "MRN-7002", NOBODY)).patient_id == find_by_mrn(db, "MRN-7002").id
    )
