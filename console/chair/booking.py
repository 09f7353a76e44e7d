"""Booking from the board: a chair for a registered patient found by MRN, or for a new one registered then."""

from dataclasses import dataclass
from datetime import date

from console.chair.series_plan import position_for_booking
from console.chair.sessions import schedule_session
from console.clinic.patients import create_patient, find_by_mrn
from console.domain.actors import Actor
from console.domain.protocol import SeriesPlan
from console.domain.vocab import Method
from console.store.database import Database
from console.store.models import TreatmentSession


@dataclass(frozen=True)
class NewPatient:
    """Who the patient is, as typed, when the MRN is not registered yet."""

    family_name: str
    given_name: str
    date_of_birth: str
    sex: str
    weight_kg: str


@dataclass(frozen=True)
class Booking:
    """The booking form as typed; the services validate every value."""

    mrn: str
    day: date
    time: str
    chair: str
    method: str
    new_patient: NewPatient


def book(db: Database, actor: Actor, booking: Booking, plan: SeriesPlan) -> TreatmentSession:
    """Schedule the session, registering the patient first when the MRN is new (weighed today); where
    it falls in the protocol's `plan` (a series' next session, or maintenance) is worked out from
    the patient's earlier sessions."""
    patient = find_by_mrn(db, booking.mrn)
    if patient is None:
        new = booking.new_patient
        weight = new.weight_kg.strip() or None
        patient = create_patient(
            db,
            actor,
            {
                "mrn": booking.mrn,
                "family_name": new.family_name,
                "given_name": new.given_name,
                "date_of_birth": new.date_of_birth or None,
                "sex": new.sex,
                "weight_kg": weight,
                "weight_measured_on": booking.day if weight else None,
            },
        )
    data = {
        "patient_id": patient.id,
        "clinic_date": booking.day,
        "scheduled_time": booking.time or None,
        "chair": booking.chair,
        "method": booking.method,
    }
    if booking.method in tuple(Method):
        with db.read() as session:
            number, length = position_for_booking(
                session, patient.id, Method(booking.method), booking.day, plan
            )
        data |= {"series_number": number, "series_length": length}
    return schedule_session(db, actor, data)
