"""The physician's judgement at the end of an initial series (induction): the response, PHQ-9 and
pain before (IMMPACT: like with like) from the series' start to its last session, and the decision
to go on to maintenance or to stop. Maintenance is proposed or booked only once it says so
(console.chair.maintenance_gate); the esketamine label asks for this evaluation at the end of
induction."""

from dataclasses import dataclass

from sqlmodel import select

from console.domain.actors import Actor, require_clinical
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.vocab import InductionDecision, Instrument, Role, SessionStatus
from console.review.trajectory import Series, patient_trajectory
from console.store.database import Database
from console.store.models import InductionReview, TreatmentSession
from console.store.rows import get_or_refuse, insert

NOTE_LONGEST = 500


@dataclass(frozen=True)
class InductionResponse:
    """What the physician judges from: the series' pain and mood, as the trajectory shows them."""

    session_id: int
    text: str  # the series' two trajectory lines, as stored with the decision


def response_at(db: Database, session_id: int) -> InductionResponse:
    """The response of the initial series that `session_id` ends; refused unless it is the series'
    last session, discharged, with PHQ-9 answered there and pain before at the start and the end."""
    with db.read() as session:
        row = get_or_refuse(session, TreatmentSession, session_id, "Session")
    if not row.series_length or row.series_number != row.series_length:
        raise NotAllowed("the end-of-induction review is made at the last session of an initial series")
    if row.status != SessionStatus.DISCHARGED:
        raise NotAllowed("the end-of-induction review waits until the series' last session is complete")
    trajectory = patient_trajectory(db, row.patient_id)
    number, series = next(
        (n, s)
        for n, s in enumerate(trajectory.series, 1)
        if any(v.session_id == session_id for v in s.visits)
    )
    series = _ending(series, session_id)
    if Instrument.PHQ9 not in series.visits[-1].answers:
        raise NotAllowed("record PHQ-9 at this session first: the response is judged on mood and pain")
    if series.change_from_baseline is None:
        raise NotAllowed("pain before the series' first and last sessions is needed to judge the response")
    return InductionResponse(session_id, series.describe(number).replace("\n  ", " · "))


def _ending(series: Series, session_id: int) -> Series:
    """The series up to its last planned session (maintenance after it left out)."""
    kept = []
    for visit in series.visits:
        kept.append(visit)
        if visit.session_id == session_id:
            break
    return Series(tuple(kept))


def record_induction_review(
    db: Database, actor: Actor, session_id: int, decision: InductionDecision | str, note: str = ""
) -> InductionReview:
    """Only a physician decides; once per series. The response shown is stored with the decision."""
    user_id = require_clinical(actor)
    if actor.role != Role.PHYSICIAN:
        raise NotAllowed(f"{actor.username} cannot record the end-of-induction review: only a physician can")
    try:
        chosen = InductionDecision(decision)
    except ValueError:
        raise InvalidInput("decision", "Decision: maintenance or stop.") from None
    note = note.strip()
    if len(note) > NOTE_LONGEST:
        raise InvalidInput("note", f"Note: at most {NOTE_LONGEST} characters (got {len(note)}).")
    response = response_at(db, session_id)
    now = db.clock.now()
    with db.write() as session:
        if session.exec(select(InductionReview.id).where(InductionReview.session_id == session_id)).first():
            raise Conflict("the end-of-induction review of this series is already recorded")
        row = InductionReview(
            session_id=session_id,
            decision=chosen,
            response=response.text[:600],
            note=note,
            reviewed_by=user_id,
            reviewed_at=now,
        )
        return insert(session, row, actor=actor, action="induction_review.record", at=now)
