"""Patients' codes in de-identified exports: random, kept in the clinic's database, made when first needed.

A code is drawn from the operating system's random source; it is derived from nothing about the
patient, so it reveals nothing, and it is the same in every export because it is stored. Whoever
holds the database can link a code back to its patient, as HIPAA allows the covered entity to.
"""

import secrets
from datetime import date

from sqlmodel import col, select

from console.domain.actors import Actor
from console.store.database import Database
from console.store.models import PatientPseudonym, TreatmentSession
from console.store.rows import insert_many

CODE_BYTES = 6  # 12 hexadecimal characters: 2^48 codes
PSEUDONYM_CREATE = "pseudonym.create"


def ensure_pseudonyms(db: Database, who: str, first: date, last: date) -> int:
    """Give a code to every patient with a session in the range who has none yet; how many were made."""
    with db.write() as session:
        patients = select(TreatmentSession.patient_id).where(
            col(TreatmentSession.clinic_date).between(first, last)
        )
        coded = select(PatientPseudonym.patient_id)
        missing = session.exec(
            patients.where(col(TreatmentSession.patient_id).not_in(coded)).distinct()
        ).all()
        if not missing:
            return 0
        taken = set(session.exec(select(PatientPseudonym.code)))
        now = db.clock.now()
        rows = []
        for patient_id in sorted(missing):
            code = secrets.token_hex(CODE_BYTES)
            while code in taken:  # never in practice; a unique constraint holds it anyway
                code = secrets.token_hex(CODE_BYTES)
            taken.add(code)
            rows.append(PatientPseudonym(patient_id=patient_id, code=code, created_at=now))
        insert_many(session, rows, actor=Actor.system(who[:32]), action=PSEUDONYM_CREATE, at=now)
        return len(rows)
