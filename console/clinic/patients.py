"""Patients: registration, correction under a version check, and lookup by wristband MRN."""

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from console.clinic.patient_shown import PatientShown
from console.domain.actors import Actor, require_clinical
from console.domain.errors import InvalidInput, NeedsConfirmation
from console.domain.inputs import MedicationsIn, PatientIn, WeightIn, parse
from console.domain.medications import listed
from console.domain.protocol import Protocol
from console.domain.vocab import Contraindication
from console.store.database import Database
from console.store.models import Patient
from console.store.rows import get_or_refuse, insert, require_version, update_versioned


def normalise_mrn(mrn: str) -> str:
    """Scanners and people type MRNs in either case and with stray spaces."""
    return mrn.strip().upper()


PATIENT_CREATE = "patient.create"


def validated_patient(db: Database, data: PatientIn | Mapping[str, object]) -> PatientIn:
    """The patient's details checked (no birth or weighing in the future), the MRN and diagnosis
    code in their stored form."""
    patient_in = parse(PatientIn, data)
    today = db.clock.now().date()
    if patient_in.date_of_birth > today:
        raise InvalidInput("date_of_birth", "Date of birth: a date from 1900 up to today.")
    if patient_in.weight_measured_on and patient_in.weight_measured_on > today + timedelta(days=1):
        raise InvalidInput("weight_measured_on", "Weight measured on: a date up to today.")
    return patient_in.model_copy(
        update={"mrn": normalise_mrn(patient_in.mrn), "diagnosis_code": patient_in.diagnosis_code.upper()}
    )


def create_patient(db: Database, actor: Actor, data: PatientIn | Mapping[str, object]) -> Patient:
    """Register a patient; refuses an MRN already in use."""
    require_clinical(actor)
    patient_in = validated_patient(db, data)
    with db.write() as session:
        return add_patient(session, db, actor, patient_in)


def add_patient(session: Session, db: Database, actor: Actor, patient_in: PatientIn) -> Patient:
    """Insert a validated patient in the caller's transaction; refuses an MRN already in use."""
    if session.exec(select(Patient.id).where(Patient.mrn == patient_in.mrn)).first():
        raise InvalidInput("mrn", f"MRN: {patient_in.mrn} already belongs to another patient.")
    now = db.clock.now()
    return insert(session, new_patient_row(patient_in, now), actor=actor, action=PATIENT_CREATE, at=now)


def new_patient_row(patient_in: PatientIn, now: datetime) -> Patient:
    return Patient.model_validate(patient_in.model_dump() | {"created_at": now})


def update_patient(
    db: Database, actor: Actor, patient_id: int, expected_version: int, data: PatientIn | Mapping[str, object]
) -> Patient:
    """Correct a patient's details; refused as a Conflict if someone else changed them first."""
    require_clinical(actor)
    patient_in = validated_patient(db, data)
    with db.write() as session:
        row = get_or_refuse(session, Patient, patient_id, "Patient")
        clash = session.exec(
            select(Patient.id).where(Patient.mrn == patient_in.mrn, Patient.id != patient_id)
        ).first()
        if clash:
            raise InvalidInput("mrn", f"MRN: {patient_in.mrn} already belongs to another patient.")
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values=patient_in.model_dump(),
            actor=actor,
            action="patient.update",
            at=db.clock.now(),
        )


def record_medications(
    db: Database,
    actor: Actor,
    patient_id: int,
    expected_version: int,
    data: MedicationsIn | Mapping[str, object],
) -> Patient:
    """The patient's current medications and relevant history, as the nurse or physician confirmed
    them; refused as a Conflict if someone else changed the patient first."""
    require_clinical(actor)
    given = parse(MedicationsIn, data)
    values = {
        "medications": "; ".join(listed(given.medications)),
        "relevant_history": ",".join(
            code.value for code in Contraindication if code in given.relevant_history
        ),
    }
    with db.write() as session:
        row = get_or_refuse(session, Patient, patient_id, "Patient")
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values=values,
            actor=actor,
            action="patient.medications",
            at=db.clock.now(),
        )


def find_by_mrn(db: Database, mrn: str) -> Patient | None:
    with db.read() as session:
        return session.exec(select(Patient).where(Patient.mrn == normalise_mrn(mrn))).first()


def shown_by_mrn(db: Database, mrn: str) -> PatientShown | None:
    """The patient with this MRN as a screen shows them (a booking finds them by their wristband)."""
    patient = find_by_mrn(db, mrn)
    return PatientShown.of(patient) if patient else None


def get_patient(db: Database, patient_id: int) -> Patient:
    with db.read() as session:
        return get_or_refuse(session, Patient, patient_id, "Patient")


def record_weight(
    db: Database,
    actor: Actor,
    patient_id: int,
    expected_version: int,
    weight_kg: float | str | None,  # as typed, or a number: validated here
    protocol: Protocol | None = None,
    confirmed: bool = False,
) -> Patient:
    """Weigh the patient today (mg/kg dosing uses it); refused as a Conflict if the record moved on.

    A weight far from the last one is refused (NeedsConfirmation) unless `confirmed`.
    """
    require_clinical(actor)
    weight = parse(WeightIn, {"weight_kg": weight_kg}).weight_kg
    today = db.clock.now().date()
    with db.write() as session:
        row = get_or_refuse(session, Patient, patient_id, "Patient")
        require_version(row, expected_version)  # a stale screen hears so before anything else
        if not confirmed:
            weight_change(row, weight, protocol or Protocol())
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values={"weight_kg": weight, "weight_measured_on": today},
            actor=actor,
            action="patient.weight.confirmed" if confirmed else "patient.weight",
            at=db.clock.now(),
        )


def weight_change(patient: Patient, weight_kg: float, protocol: Protocol) -> None:
    """A new weight far from the last one is a likely typo (mg/kg follows it): ask to confirm it."""
    if not patient.weight_kg:
        return
    change = 100 * (weight_kg - patient.weight_kg) / patient.weight_kg
    if abs(change) > protocol.weight_change_confirm_percent:
        raise NeedsConfirmation(
            "weight_kg",
            f"Weight: {weight_kg:g} kg is {abs(change):.0f}% {'above' if change > 0 else 'below'} the "
            f"last ({patient.weight_kg:g} kg on {patient.weight_measured_on:%d %b %Y}); "
            "check it and enter it again to confirm.",
        )


def weight_is_stale(patient: Patient | PatientShown, today: date, protocol: Protocol) -> bool:
    """No weight, or one older than the protocol trusts for mg/kg: the patient is weighed again."""
    if not patient.weight_kg or patient.weight_measured_on is None:
        return True
    return patient.weight_measured_on < today - timedelta(days=protocol.weight_max_age_days)
