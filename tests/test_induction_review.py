"""The physician's end-of-induction review on both backends: the response judged from PHQ-9 and pain
before over the series, maintenance or stop, and maintenance proposed only after it."""

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.chair import maintenance_gate, questionnaires, series_plan, sessions
from console.chair.series_plan import NextSession, NoProposal
from console.chair.session_view import load_session_view
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.protocol import SeriesPlan
from console.review.induction_review import record_induction_review, response_at
from console.store.database import Database
from console.store.models import TreatmentSession
from tests.factories import discharged_session, ready_for_discharge

if TYPE_CHECKING:
    from app import ChairsideApp

PLAN = SeriesPlan()
MOOD = (2, 2, 1, 1, 1, 1, 1, 0, 0)  # PHQ-9 9


def _series_ended(db: Database, nurse: Actor, phq9: bool = True, leave: bool = True) -> TreatmentSession:
    """A series of two infusions three days apart (pain before 7 at each); PHQ-9 at the last."""
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(days=-3)
    first = discharged_session(db, nurse, series=(1, 2))
    questionnaires.record(db, nurse, first.id, "phq9", (3, 3, 2, 2, 2, 2, 1, 1, 0))
    db.clock.advance(days=3)
    row = ready_for_discharge(db, nurse, series=(2, 2))
    if phq9:
        questionnaires.record(db, nurse, row.id, "phq9", MOOD)
    if not leave:
        return sessions.get_session(db, row.id)
    return sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)


def test_maintenance_is_proposed_and_booked_only_after_the_physician_decides_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = _series_ended(db, nurse)
    waiting = series_plan.next_from_view(load_session_view(db, row.id), PLAN)
    assert waiting == NoProposal(maintenance_gate.AWAITING_REVIEW)
    with pytest.raises(NotAllowed, match="maintenance waits for the physician's end-of-induction review"):
        series_plan.book_next(db, nurse, row.id, PLAN)
    response = response_at(db, row.id)
    assert "sustained (pain before): 7 → 7" in response.text and "PHQ-9 16 → 9" in response.text
    review = record_induction_review(db, doctor, row.id, "maintenance", "Function better; mood lifted")
    assert (review.decision, review.reviewed_by, review.response) == (
        "maintenance",
        doctor.user_id,
        response.text,
    )
    proposal = series_plan.next_from_view(load_session_view(db, row.id), PLAN)
    assert isinstance(proposal, NextSession) and proposal.series_number is None
    booked = series_plan.book_next(db, nurse, row.id, PLAN)
    assert booked.series_number is None and booked.series_length is None
    with pytest.raises(Conflict, match="already recorded"):
        record_induction_review(db, doctor, row.id, "stop")


def test_a_physician_who_stops_treatment_leaves_nothing_to_book(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = _series_ended(db, staff["nina"])
    record_induction_review(db, staff["priya"], row.id, "stop", "No sustained relief")
    proposal = series_plan.next_from_view(load_session_view(db, row.id), PLAN)
    assert proposal == NoProposal(maintenance_gate.STOPPED)
    with pytest.raises(NotAllowed, match="stopped treatment"):
        series_plan.book_next(db, staff["nina"], row.id, PLAN)


def test_only_a_physician_decides_and_only_from_a_decision_it_knows(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = _series_ended(db, staff["nina"])
    with pytest.raises(NotAllowed, match="only a physician"):
        record_induction_review(db, staff["nina"], row.id, "maintenance")
    with pytest.raises(InvalidInput, match="Decision: maintenance or stop"):
        record_induction_review(db, staff["priya"], row.id, "continue")
    with pytest.raises(InvalidInput, match="Note: at most 500 characters"):
        record_induction_review(db, staff["priya"], row.id, "stop", "x" * 501)


@pytest.mark.parametrize(
    ("phq9", "leave", "said"),
    [
        (False, True, "record PHQ-9 at this session first"),
        (True, False, "waits until the series' last session is complete"),
    ],
)
def test_the_response_is_judged_only_on_a_complete_last_session_with_phq9(
    db: Database, staff: dict[str, Actor], phq9: bool, leave: bool, said: str
) -> None:
    row = _series_ended(db, staff["nina"], phq9=phq9, leave=leave)
    with pytest.raises(NotAllowed, match=said):
        record_induction_review(db, staff["priya"], row.id, "maintenance")


def test_the_review_is_made_at_the_last_session_of_a_series_only(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])  # 2 of 6
    with pytest.raises(NotAllowed, match="at the last session of an initial series"):
        record_induction_review(db, staff["priya"], row.id, "maintenance")


def test_the_database_refuses_a_review_that_cannot_be_whoever_writes_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = _series_ended(db, staff["nina"])
    for decision, response in (("maybe", "x"), ("stop", "")):
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO induction_review (session_id, decision, response, note, reviewed_by, "
                    "reviewed_at, version) VALUES (:sid, :decision, :response, '', :by, :at, 1)"
                ),
                {
                    "sid": row.id,
                    "decision": decision,
                    "response": response,
                    "by": staff["priya"].user_id,
                    "at": db.clock.now(),
                },
            )


def _a_series_end_to_review(db: Database) -> int:
    """A demo session that ended a series, with PHQ-9 there, its review taken back out of the copy."""
    from sqlmodel import col, select

    from console.store.models import InductionReview, Questionnaire

    with db.read() as session:
        review = session.exec(
            select(InductionReview)
            .join(Questionnaire, col(Questionnaire.session_id) == InductionReview.session_id)
            .where(Questionnaire.instrument == "phq9")
            .order_by(col(InductionReview.id).desc())
        ).first()
        assert review is not None
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM induction_review WHERE id = :id"), {"id": review.id})
    return review.session_id


@pytest.mark.slow
async def test_the_physician_records_the_response_with_f10_on_the_review_screen(
    demo_app: "ChairsideApp",
) -> None:
    from sqlmodel import select

    from console.store.models import InductionReview, UserAccount
    from tests.test_review_screens import open_queue, settle, text_of
    from widgets.review import ReviewScreen

    assert demo_app.db is not None
    session_id = _a_series_end_to_review(demo_app.db)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        demo_app.push_screen(ReviewScreen(pilot.app.screen.clinic, session_id))  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert "sustained (pain before)" in text_of(demo_app, "#induction-response")
        await pilot.press("x", "enter", *"ok", "enter")
        await settle(pilot)
        assert "Decision: maintenance or stop" in text_of(demo_app, "#induction-error")
        await pilot.press("shift+tab", "backspace", "m", "enter", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ReviewScreen)
        assert "End-of-induction review recorded: maintenance" in text_of(demo_app, "#review-message")
    with demo_app.db.read() as session:
        stored = session.exec(select(InductionReview).where(InductionReview.session_id == session_id)).one()
        doctor = session.exec(select(UserAccount).where(UserAccount.username == "doctor")).one()
    assert (stored.decision, stored.note, stored.reviewed_by) == ("maintenance", "ok", doctor.id)


def _book_maintenance(db: Database, nurse: Actor, row: TreatmentSession, days: int = 28) -> TreatmentSession:
    from datetime import timedelta

    return sessions.schedule_session(
        db,
        nurse,
        {
            "patient_id": row.patient_id,
            "clinic_date": row.clinic_date + timedelta(days=days),
            "scheduled_time": "09:00",
            "chair": "2",
            "method": row.method,
        },
    )


def test_a_maintenance_session_cannot_be_booked_by_hand_before_the_review_or_after_a_stop(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = _series_ended(db, nurse, leave=False)  # still in the chair: booking ahead is refused too
    with pytest.raises(NotAllowed, match="maintenance waits for the physician's end-of-induction review"):
        _book_maintenance(db, nurse, row)
    row = sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    with pytest.raises(NotAllowed, match="end-of-induction review"):
        _book_maintenance(db, nurse, row)
    record_induction_review(db, staff["priya"], row.id, "stop", "No sustained relief")
    with pytest.raises(NotAllowed, match="stopped treatment"):
        _book_maintenance(db, nurse, row)


def test_a_maintenance_session_is_booked_by_hand_once_the_physician_decided_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = _series_ended(db, nurse)
    record_induction_review(db, staff["priya"], row.id, "maintenance")
    booked = _book_maintenance(db, nurse, row)
    assert booked.series_number is None
    assert _book_maintenance(db, nurse, row, days=56).series_number is None  # and the next after it


@pytest.mark.slow
async def test_a_physician_on_the_session_makes_the_review_with_ctrl_b_then_books_maintenance(
    demo_app: "ChairsideApp",
) -> None:
    from sqlmodel import select

    from console.store.models import InductionReview
    from tests.test_review_screens import open_queue, settle, text_of
    from widgets.session.screen import SessionScreen

    assert demo_app.db is not None
    session_id = _a_series_end_to_review(demo_app.db)
    async with demo_app.run_test(size=(160, 50)) as pilot:
        await open_queue(pilot)
        demo_app.push_screen(SessionScreen(pilot.app.screen.clinic, session_id))  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert "waits for the physician's end-of-induction review" in text_of(demo_app, "#next-appointment")
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert "sustained (pain before)" in text_of(demo_app, "#induction-response")
        await pilot.press("m", "enter", *"relief kept", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, SessionScreen)
        assert "Next (maintenance) proposed" in text_of(demo_app, "#next-appointment")
    with demo_app.db.read() as session:
        stored = session.exec(select(InductionReview).where(InductionReview.session_id == session_id)).one()
    assert (stored.decision, stored.note) == ("maintenance", "relief kept")
