"""Return for correction: before signing, a physician sends a session back to the nurse with a comment."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select

from console.domain.actors import Actor, require_clinical
from console.domain.errors import NotAllowed
from console.domain.inputs import ResubmitIn, ReturnIn, parse
from console.domain.vocab import SessionStatus as S
from console.review.signing import open_return, require_physician
from console.store.database import Database
from console.store.models import Patient, ReviewReturn, TreatmentSession, UserAccount
from console.store.rows import insert, update_versioned
from console.store.session_lock import open_for_change


def return_for_correction(db: Database, actor: Actor, session_id: int, comment: str) -> ReviewReturn:
    """Send a discharged, unsigned session back; it stays on the nurses' board until resubmitted."""
    physician_id = require_physician(actor)
    return_in = parse(ReturnIn, {"comment": comment})
    now = db.clock.now()
    with db.write() as session:
        row = open_for_change(session, session_id)
        if row.status != S.DISCHARGED:
            raise NotAllowed(
                f"this session is {S(row.status).label.lower()}: only discharged sessions are reviewed"
            )
        if open_return(session, session_id) is not None:
            raise NotAllowed("this session is already back with the nurse for correction")
        returned = ReviewReturn(
            session_id=session_id, returned_by=physician_id, returned_at=now, comment=return_in.comment
        )
        return insert(session, returned, actor=actor, action="session.return", at=now)


def resubmit(db: Database, actor: Actor, session_id: int, response: str) -> ReviewReturn:
    """The nurse has corrected the session: it goes back to the physician's queue."""
    user_id = require_clinical(actor)
    resubmit_in = parse(ResubmitIn, {"response": response})
    now = db.clock.now()
    with db.write() as session:
        open_for_change(session, session_id)
        returned = open_return(session, session_id)
        if returned is None:
            raise NotAllowed("this session is not waiting for a correction")
        return update_versioned(
            session,
            returned,
            expected_version=returned.version,
            values={"resubmitted_at": now, "resubmitted_by": user_id, "response": resubmit_in.response},
            actor=actor,
            action="session.resubmit",
            at=now,
        )


@dataclass(frozen=True)
class ReturnedSession:
    session_id: int
    clinic_date: date
    patient_name: str
    mrn: str
    returned_by: str
    returned_at: datetime
    comment: str


def returned_sessions(db: Database) -> list[ReturnedSession]:
    """Every session waiting for a nurse's correction, oldest first, whatever its date."""
    query = (
        select(ReviewReturn, col(TreatmentSession.clinic_date), Patient, col(UserAccount.display_name))
        .join(TreatmentSession, col(TreatmentSession.id) == ReviewReturn.session_id)
        .join(Patient, col(Patient.id) == TreatmentSession.patient_id)
        .join(UserAccount, col(UserAccount.id) == ReviewReturn.returned_by)
        .where(col(ReviewReturn.resubmitted_at).is_(None))
        .order_by(col(ReviewReturn.returned_at))
    )
    with db.read() as session:
        return [
            ReturnedSession(r.session_id, day, p.display_name, p.mrn, by, r.returned_at, r.comment)
            for r, day, p, by in session.exec(query)
        ]
