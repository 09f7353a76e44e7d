"""The series plan on both backends: the next appointment proposed at discharge, and booked with
one key (service here; the key in test_session_screen)."""

from datetime import date, time, timedelta

import pytest

from console.chair import maintenance_gate, series_plan
from console.chair.series_plan import NextSession, NoProposal
from console.chair.session_view import load_session_view
from console.domain.actors import Actor
from console.domain.errors import Conflict
from console.domain.protocol import SeriesPlan
from console.domain.vocab import Method
from console.store.database import Database
from console.store.models import TreatmentSession
from tests.factories import discharged_session

PLAN = SeriesPlan()


def _at(number: int | None, length: int | None, day: date = date(2026, 11, 26)) -> TreatmentSession:
    return TreatmentSession(
        patient_id=1, clinic_date=day, scheduled_time=time(9, 30), chair="3", method=Method.IV,
        series_number=number, series_length=length,
    )  # fmt: skip


def test_in_a_series_the_next_session_follows_after_the_series_gap() -> None:
    proposal = _proposed(_at(4, 6), PLAN)
    assert (proposal.clinic_date, proposal.scheduled_time, proposal.chair) == (
        date(2026, 11, 30),
        time(9, 30),
        "3",
    )
    assert (proposal.series_number, proposal.series_length) == (5, 6)
    assert proposal.describe() == "Next (infusion 5 of 6) proposed: Mon 30 Nov 09:30, chair 3"


def _proposed(row: TreatmentSession, plan: SeriesPlan, decision: str | None = None) -> NextSession:
    proposal = series_plan.proposed_next(row, plan, decision)
    assert isinstance(proposal, NextSession), proposal.describe()
    return proposal


def test_after_the_last_of_a_series_reviewed_for_maintenance_or_in_maintenance_the_next_is_maintenance() -> (
    None
):
    for done, decision in ((_at(6, 6), "maintenance"), (_at(None, None), None)):
        proposal = _proposed(done, PLAN, decision)
        assert proposal.clinic_date == date(2026, 12, 24) and proposal.series_number is None
        assert proposal.describe().startswith("Next (maintenance) proposed: Thu 24 Dec")


def test_after_the_last_of_a_series_maintenance_waits_for_the_physicians_review() -> None:
    waiting = series_plan.proposed_next(_at(6, 6), PLAN)
    assert waiting == NoProposal(maintenance_gate.AWAITING_REVIEW)
    assert waiting.describe() == (
        "Next: maintenance waits for the physician's end-of-induction review (a physician: Ctrl+B here, "
        "or F10 on the review)"
    )
    stopped = series_plan.proposed_next(_at(6, 6), PLAN, "stop")
    assert (
        stopped.describe() == "Next: none proposed: the physician stopped treatment at the end of induction"
    )


def test_an_esketamine_course_is_proposed_by_its_label_twice_weekly_then_weekly() -> None:
    """Induction twice a week (every 3 days by default), then weekly; never the infusion's 4 weeks."""
    nasal = _at(3, 8).model_copy(update={"method": Method.NASAL})  # a Thursday
    assert _proposed(nasal, PLAN).clinic_date == date(2026, 11, 30)  # Sunday: Monday
    ended = _at(8, 8).model_copy(update={"method": Method.NASAL})
    assert _proposed(ended, PLAN, "maintenance").clinic_date == date(2026, 12, 3)
    every_two = SeriesPlan(nasal_maintenance_every_weeks=2)
    assert _proposed(ended, every_two, "maintenance").clinic_date == date(2026, 12, 10)
    for outside_the_label in ({"nasal_maintenance_every_weeks": 4}, {"nasal_series_every_days": 7}):
        with pytest.raises(ValueError, match="less than or equal to"):
            SeriesPlan.model_validate(outside_the_label)


def test_a_proposal_never_falls_on_a_sunday() -> None:
    friday = date(2026, 11, 27)
    assert _proposed(_at(2, 6, friday), SeriesPlan(series_every_days=2)).clinic_date == date(2026, 11, 30)


def test_the_position_is_said_as_the_plan_counts_it() -> None:
    from console.chair.session_guide import series_position

    assert series_position(Method.IV, 4, 6) == "infusion 4 of 6"
    assert series_position(Method.NASAL, 2, 8) == "nasal session 2 of 8"
    assert series_position(Method.IV, None, None) == "maintenance"


def test_booking_the_proposal_is_one_call_and_a_second_is_refused_naming_the_booked_one(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = discharged_session(db, nurse)  # session 2 of 6
    view = load_session_view(db, row.id)
    proposal = series_plan.next_from_view(view, PLAN)
    assert isinstance(proposal, NextSession)
    assert proposal.booked_id is None and proposal.series_number == 3
    booked = series_plan.book_next(db, nurse, row.id, PLAN)
    assert (booked.clinic_date, booked.series_number, booked.series_length, booked.chair) == (
        row.clinic_date
        + timedelta(days=3)
        + timedelta(days=(row.clinic_date + timedelta(days=3)).weekday() == 6),
        3,
        6,
        row.chair,
    )
    now = series_plan.next_from_view(load_session_view(db, row.id), PLAN)
    assert now.booked_id == booked.id and now.describe().startswith("Next: infusion 3 of 6, booked ")
    with pytest.raises(Conflict, match="already booked"):
        series_plan.book_next(db, nurse, row.id, PLAN)
