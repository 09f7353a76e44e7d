"""Where a patient is in the protocol's plan, and the next appointment it proposes at discharge.

An initial series (the protocol's number of sessions, every so many days) is followed by
maintenance sessions every so many weeks. At discharge the console proposes the next one on the
same chair and at the same time of day, moved off a Sunday; booking it is one key.
"""

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import Session, col, select

from console.chair.maintenance_gate import AWAITING_REVIEW, maintenance_refused
from console.chair.session_guide import series_position
from console.chair.session_view import SessionView, induction_review_of, upcoming_session
from console.chair.sessions import add_session
from console.domain.actors import Actor, require_clinical
from console.domain.errors import Conflict, NotAllowed
from console.domain.inputs import SessionIn, parse
from console.domain.protocol import SeriesPlan
from console.domain.vocab import Method, SessionStatus
from console.store.database import Database
from console.store.models import InductionReview, TreatmentSession
from console.store.rows import get_or_refuse

CLOSED_DAY = 6  # Sunday: the clinic is closed


@dataclass(frozen=True)
class NextSession:
    """An appointment the plan proposes, or one already booked (`booked_id`)."""

    clinic_date: date
    scheduled_time: time
    chair: str
    method: Method
    series_number: int | None
    series_length: int | None
    booked_id: int | None = None

    def describe(self) -> str:
        what = series_position(self.method, self.series_number, self.series_length)
        when = f"{self.clinic_date:%a %d %b} {self.scheduled_time:%H:%M}, chair {self.chair}"
        return f"Next: {what}, booked {when}" if self.booked_id else f"Next ({what}) proposed: {when}"


@dataclass(frozen=True)
class NoProposal:
    """No appointment proposed after an initial series, and why."""

    reason: str
    booked_id: None = None

    def describe(self) -> str:
        where = " (a physician: Ctrl+B here, or F10 on the review)" if self.reason == AWAITING_REVIEW else ""
        return f"Next: {self.reason}{where}"


def series_length(method: Method, plan: SeriesPlan) -> int:
    return plan.iv_series_sessions if method == Method.IV else plan.nasal_series_sessions


def position_for_booking(
    session: Session, patient_id: int, method: Method, day: date, plan: SeriesPlan
) -> tuple[int | None, int | None]:
    """Where a new booking falls in the plan: the first of a series when the patient has had no
    session of this method, the next of an unfinished series, else maintenance (None, None)."""
    last = session.exec(
        select(TreatmentSession)
        .where(
            TreatmentSession.patient_id == patient_id,
            TreatmentSession.method == method,
            TreatmentSession.clinic_date <= day,
            col(TreatmentSession.status).not_in([SessionStatus.NO_SHOW, SessionStatus.CANCELLED]),
        )
        .order_by(col(TreatmentSession.clinic_date).desc(), col(TreatmentSession.scheduled_time).desc())
        .limit(1)
    ).first()
    if last is None:
        return 1, series_length(method, plan)
    if last.series_length and last.series_number and last.series_number < last.series_length:
        return last.series_number + 1, last.series_length
    return None, None


def proposed_next(
    session: TreatmentSession, plan: SeriesPlan, decision: str | None = None
) -> NextSession | NoProposal:
    """The plan's next appointment after `session`: the series' next session after the series gap,
    else maintenance after the maintenance gap; never on a Sunday. After a series' last session,
    maintenance only once the physician's end-of-induction `decision` is maintenance."""
    ends_series = bool(session.series_length) and session.series_number == session.series_length
    refused = maintenance_refused(decision) if ends_series else None
    if refused:
        return NoProposal(refused)
    in_series = bool(
        session.series_length and session.series_number and session.series_number < session.series_length
    )
    gap = _gap(Method(session.method), in_series, plan)
    day = session.clinic_date + gap
    if day.weekday() == CLOSED_DAY:
        day += timedelta(days=1)
    number = session.series_number + 1 if in_series and session.series_number else None
    return NextSession(
        day,
        session.scheduled_time,
        session.chair,
        Method(session.method),
        number,
        session.series_length if in_series else None,
    )


def _gap(method: Method, in_series: bool, plan: SeriesPlan) -> timedelta:
    """The plan's days to the next session: esketamine's by its label, an infusion's by the clinic."""
    if method == Method.NASAL:
        if in_series:
            return timedelta(days=plan.nasal_series_every_days)
        return timedelta(weeks=plan.nasal_maintenance_every_weeks)
    return (
        timedelta(days=plan.series_every_days) if in_series else timedelta(weeks=plan.maintenance_every_weeks)
    )


def next_session(
    row: TreatmentSession,
    booked: TreatmentSession | None,
    plan: SeriesPlan,
    review: InductionReview | None = None,
) -> NextSession | NoProposal:
    """The patient's next appointment (`booked`) if there is one, else the plan's proposal."""
    if booked is None:
        return proposed_next(row, plan, None if review is None else review.decision)
    return NextSession(
        booked.clinic_date,
        booked.scheduled_time,
        booked.chair,
        Method(booked.method),
        booked.series_number,
        booked.series_length,
        booked.id,
    )


def next_from_view(view: SessionView, plan: SeriesPlan) -> NextSession | NoProposal:
    return next_session(view.session, view.upcoming, plan, view.induction_review)


def book_next(db: Database, actor: Actor, session_id: int, plan: SeriesPlan) -> TreatmentSession:
    """Book the plan's proposal after `session_id`, unless the patient has a later one booked."""
    require_clinical(actor)
    with db.write() as session:
        row = get_or_refuse(session, TreatmentSession, session_id, "Session")
        coming = next_session(row, upcoming_session(session, row), plan, induction_review_of(session, row))
        if isinstance(coming, NoProposal):
            raise NotAllowed(coming.reason)
        if coming.booked_id is not None:
            raise Conflict(f"the next appointment is already booked: {coming.describe()}")
        booking = parse(
            SessionIn,
            {
                "patient_id": row.patient_id,
                "clinic_date": coming.clinic_date,
                "scheduled_time": coming.scheduled_time,
                "chair": coming.chair,
                "method": coming.method,
                "series_number": coming.series_number,
                "series_length": coming.series_length,
            },
        )
        return add_session(session, db, actor, booking)
