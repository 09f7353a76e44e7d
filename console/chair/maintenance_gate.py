"""Maintenance after an initial series waits for the physician's end-of-induction review: no
maintenance session is proposed or booked for a patient whose latest session by the method ended a
series, until the review says maintenance (console.review.induction_review)."""

from datetime import date

from sqlmodel import Session, col, select

from console.domain.vocab import InductionDecision, SessionStatus
from console.store.models import InductionReview, TreatmentSession

AWAITING_REVIEW = "maintenance waits for the physician's end-of-induction review"
STOPPED = "none proposed: the physician stopped treatment at the end of induction"
NOT_HELD = (SessionStatus.NO_SHOW, SessionStatus.CANCELLED)


def maintenance_refused(decision: str | None) -> str | None:
    """Why maintenance cannot follow a series' last session with this review decision, or None."""
    if decision == InductionDecision.MAINTENANCE:
        return None
    return AWAITING_REVIEW if decision is None else STOPPED


def maintenance_waits(session: Session, patient_id: int, method: str, day: date) -> str | None:
    """Why a maintenance booking on `day` is refused: the patient's latest session by `method` up to
    that day (held or booked) ended a series without a maintenance decision; None when it may."""
    latest = session.exec(
        select(TreatmentSession)
        .where(
            TreatmentSession.patient_id == patient_id,
            TreatmentSession.method == method,
            TreatmentSession.clinic_date <= day,
            col(TreatmentSession.status).not_in(NOT_HELD),
        )
        .order_by(col(TreatmentSession.clinic_date).desc(), col(TreatmentSession.scheduled_time).desc())
        .limit(1)
    ).first()
    if latest is None or not latest.series_length or latest.series_number != latest.series_length:
        return None
    decision = session.exec(
        select(InductionReview.decision).where(InductionReview.session_id == latest.id)
    ).first()
    return maintenance_refused(decision)
