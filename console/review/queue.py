"""The physician's review queue: discharged sessions awaiting a signature, flagged ones first."""

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import case, func, literal, or_, tuple_
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
class QueueCounts:
    awaiting: int  # in the queue
    flagged: int  # of those, flagged
    returned: int  # back with the nurses, not in the queue


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    returned: int  # back with the nurses, not in `rows`

    @property
    def flagged(self) -> int:
        return sum(row.flagged for row in self.rows)


# Rows shown first, and then fetched as the physician scrolls: a long backlog costs one page at a time.
PAGE = 200


def _awaiting(filters: QueueFilter) -> list[Any]:
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


def _open_return() -> Any:
    return (
        select(ReviewReturn.id)
        .where(ReviewReturn.session_id == TreatmentSession.id, col(ReviewReturn.resubmitted_at).is_(None))
        .exists()
    )


def _queued() -> Any:
    """What the queue shows of each session, and the rank that puts flagged sessions first."""
    alerts = func.coalesce(_count(Alert), 0)
    overrides = func.coalesce(_count(Override), 0)
    grade = (
        select(func.max(SideEffect.grade))
        .where(SideEffect.session_id == TreatmentSession.id)
        .scalar_subquery()
    )
    resubmitted = select(ReviewReturn.id).where(ReviewReturn.session_id == TreatmentSession.id).exists()
    flagged = or_(alerts > 0, overrides > 0, func.coalesce(grade, 0) >= FLAG_GRADE)
    return (
        col(TreatmentSession.id).label("session_id"),
        col(TreatmentSession.clinic_date).label("clinic_date"),
        col(TreatmentSession.scheduled_time).label("scheduled_time"),
        (Patient.family_name + literal(", ") + Patient.given_name).label("patient_name"),
        col(Patient.mrn).label("mrn"),
        col(TreatmentSession.method).label("method"),
        func.coalesce(UserAccount.display_name, "").label("nurse"),
        col(TreatmentSession.pain_before).label("pain_before"),
        col(TreatmentSession.pain_after).label("pain_after"),
        alerts.label("alerts"),
        grade.label("highest_grade"),
        resubmitted.label("resubmitted"),
        overrides.label("overrides"),
        case((flagged, 0), else_=1).label("rank"),
    )


def _count(model: Any) -> Any:
    return select(func.count()).where(model.session_id == TreatmentSession.id).scalar_subquery()


def _ordered(filters: QueueFilter) -> Any:
    """The queue as a subquery, in its order's columns: flagged first, then oldest first."""
    return (
        select(*_queued())
        .join(Patient, col(Patient.id) == TreatmentSession.patient_id)
        .outerjoin(UserAccount, col(UserAccount.id) == TreatmentSession.nurse_id)
        .where(*_awaiting(filters), ~_open_return())
        .subquery()
    )


def queue_page(
    db: Database,
    filters: QueueFilter = QueueFilter(),
    after: QueueRow | None = None,
    limit: int | None = PAGE,
) -> list[QueueRow]:
    """The next `limit` sessions of the queue after `after` (None: from the start; limit None: all)."""
    q = _ordered(filters)
    order = (q.c.rank, q.c.clinic_date, q.c.scheduled_time, q.c.session_id)
    query = select(q).order_by(*order)
    if after is not None:
        last = (0 if after.flagged else 1, after.clinic_date, after.scheduled_time, after.session_id)
        query = query.where(tuple_(*order) > tuple_(*last))
    if limit is not None:
        query = query.limit(limit)
    with db.read() as session:
        found = session.execute(query).all()
    return [
        QueueRow(
            session_id=row.session_id,
            clinic_date=row.clinic_date,
            scheduled_time=row.scheduled_time,
            patient_name=row.patient_name,
            mrn=row.mrn,
            method=Method(row.method),
            nurse=row.nurse,
            pain_before=row.pain_before,
            pain_after=row.pain_after,
            alerts=row.alerts,
            highest_grade=row.highest_grade,
            resubmitted=bool(row.resubmitted),
            overrides=row.overrides,
        )
        for row in found
    ]


def queue_order(db: Database, filters: QueueFilter = QueueFilter()) -> list[int]:
    """Every queued session's id in queue order: what the review screen's next and previous follow."""
    q = _ordered(filters)
    query = select(q.c.session_id).order_by(q.c.rank, q.c.clinic_date, q.c.scheduled_time, q.c.session_id)
    with db.read() as session:
        return list(session.execute(query).scalars())


def queue_counts(db: Database, filters: QueueFilter = QueueFilter()) -> QueueCounts:
    q = _ordered(filters)
    returned = select(func.count()).select_from(TreatmentSession).where(*_awaiting(filters), _open_return())
    with db.read() as session:
        awaiting, flagged = session.execute(
            select(func.count(), func.coalesce(func.sum(case((q.c.rank == 0, 1), else_=0)), 0)).select_from(q)
        ).one()
        return QueueCounts(awaiting, flagged, session.execute(returned).scalar_one())


def review_queue(db: Database, filters: QueueFilter = QueueFilter()) -> Queue:
    """The whole queue at once (a report or a test; the screen reads it a page at a time)."""
    return Queue(queue_page(db, filters, limit=None), queue_counts(db, filters).returned)


def clinical_staff(db: Database) -> list[tuple[int, str]]:
    """(id, name) of every nurse, for the queue's nurse filter."""
    with db.read() as session:
        users = session.exec(
            select(UserAccount).where(UserAccount.role == Role.NURSE).order_by(col(UserAccount.display_name))
        )
        return [(user.id, user.display_name) for user in users]
