"""The physician's review queue: discharged sessions awaiting a signature, flagged ones first."""

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import func
from sqlmodel import col, select

from console.domain.vocab import Method, Role, SessionStatus
from console.store.database import Database
from console.store.models import (
    Alert,
    Override,
    Patient,
    ReviewReturn,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    UserAccount,
)

# A side effect of this CTCAE grade or higher flags the session for the physician.
FLAG_GRADE = 2


@dataclass(frozen=True)
class QueueFilter:
    date_from: date | None = None
    date_to: date | None = None
    nurse_id: int | None = None
    method: Method | None = None


@dataclass(frozen=True)
class QueueRow:
    session_id: int
    clinic_date: date
    scheduled_time: time
    patient_name: str
    mrn: str
    method: Method
    nurse: str
    pain_before: int | None
    pain_after: int | None
    alerts: int
    highest_grade: int | None
    resubmitted: bool
    overrides: int = 0

    @property
    def flags(self) -> list[str]:
        found = []
        if self.alerts:
            found.append(f"{self.alerts} alert{'s' if self.alerts > 1 else ''}")
        if self.overrides:
            found.append(f"{self.overrides} override{'s' if self.overrides > 1 else ''}")
        if self.highest_grade is not None and self.highest_grade >= FLAG_GRADE:
            found.append(f"grade {self.highest_grade} side effect")
        return found

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    returned: int  # back with the nurses, not in `rows`

    @property
    def flagged(self) -> int:
        return sum(row.flagged for row in self.rows)


def _awaiting(filters: QueueFilter):
    signed = select(SessionSignature.id).where(SessionSignature.session_id == TreatmentSession.id)
    conditions = [TreatmentSession.status == SessionStatus.DISCHARGED, ~signed.exists()]
    if filters.date_from:
        conditions.append(TreatmentSession.clinic_date >= filters.date_from)
    if filters.date_to:
        conditions.append(TreatmentSession.clinic_date <= filters.date_to)
    if filters.nurse_id:
        conditions.append(TreatmentSession.nurse_id == filters.nurse_id)
    if filters.method:
        conditions.append(TreatmentSession.method == filters.method)
    return conditions


def review_queue(db: Database, filters: QueueFilter = QueueFilter()) -> Queue:
    """Sessions to sign: flagged first, then oldest first; returned ones are counted apart."""
    open_return = (
        select(ReviewReturn.id)
        .where(ReviewReturn.session_id == TreatmentSession.id, col(ReviewReturn.resubmitted_at).is_(None))
        .exists()
    )
    conditions = _awaiting(filters)
    query = (
        select(TreatmentSession, Patient, col(UserAccount.display_name))
        .join(Patient, col(Patient.id) == TreatmentSession.patient_id)
        .outerjoin(UserAccount, col(UserAccount.id) == TreatmentSession.nurse_id)
        .where(*conditions, ~open_return)
    )
    with db.read() as session:
        found = session.exec(query).all()
        ids = [s.id for s, _, _ in found]
        alerts = _per_session(session, select(col(Alert.session_id), func.count()), Alert, ids)
        grades = _per_session(
            session, select(col(SideEffect.session_id), func.max(SideEffect.grade)), SideEffect, ids
        )
        overrides = _per_session(session, select(col(Override.session_id), func.count()), Override, ids)
        resubmitted = set(
            session.exec(select(ReviewReturn.session_id).where(col(ReviewReturn.session_id).in_(ids))).all()
        )
        returned = session.exec(
            select(func.count()).select_from(TreatmentSession).where(*conditions, open_return)
        ).one()
    rows = [
        QueueRow(
            session_id=s.id,
            clinic_date=s.clinic_date,
            scheduled_time=s.scheduled_time,
            patient_name=p.display_name,
            mrn=p.mrn,
            method=Method(s.method),
            nurse=nurse or "",
            pain_before=s.pain_before,
            pain_after=s.pain_after,
            alerts=alerts.get(s.id, 0),
            highest_grade=grades.get(s.id),
            resubmitted=s.id in resubmitted,
            overrides=overrides.get(s.id, 0),
        )
        for s, p, nurse in found
    ]
    rows.sort(key=lambda r: (not r.flagged, r.clinic_date, r.scheduled_time, r.session_id))
    return Queue(rows, returned)


def _per_session(session, query, model, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(session.exec(query.where(model.session_id.in_(ids)).group_by(model.session_id)).all())


def clinical_staff(db: Database) -> list[tuple[int, str]]:
    """(id, name) of every nurse, for the queue's nurse filter."""
    with db.read() as session:
        users = session.exec(
            select(UserAccount).where(UserAccount.role == Role.NURSE).order_by(col(UserAccount.display_name))
        )
        return [(user.id, user.display_name) for user in users]
