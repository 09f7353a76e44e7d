"""The C-SSRS screener a physician asks after a PHQ-9 item 9 above 0, on both backends: typed at the
chair, refused where it cannot be true, stored with the acknowledgement and its triage, and a rule
of the stored record."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from console.chair import alerts, questionnaires
from console.chair.session_view import load_session_view
from console.domain import cssrs
from console.domain.actors import Actor
from console.domain.errors import InvalidInput
from console.domain.protocol import Protocol
from console.review.record_rules import broken_rules
from console.store.database import Database
from console.store.models import SuicideScreen
from tests.factories import checked_in_session


@pytest.mark.parametrize(
    ("typed", "risk"),
    [
        ("nnnnnn", "none"),
        ("ynnnnn", "low"),
        ("y y n n n n", "low"),
        ("111000", "moderate"),
        ("yynynn", "high"),
        ("nnnnny", "high"),  # something done or prepared in the past 3 months
    ],
)
def test_the_screeners_answers_give_its_triage(typed: str, risk: str) -> None:
    assert cssrs.risk(cssrs.parse_answers(typed)) == risk


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("ynnnn", "5 answers; it has 6"),
        ("ynnnnnn", "7 answers"),
        ("ynnxnn", "'x' is not y or n"),
        ("nnynnn", "asked only after a yes to question 2"),
        ("", "0 answers"),
    ],
)
def test_a_screener_that_cannot_be_true_is_refused_by_name(typed: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said) as refused:
        cssrs.parse_answers(typed)
    assert refused.value.field == "cssrs"


def _self_harm_alert(db: Database, staff: dict[str, Actor]) -> tuple[int, int, int]:
    row = checked_in_session(db, staff["nina"])
    questionnaires.record(db, staff["nina"], row.id, "phq9", (1, 1, 1, 1, 1, 1, 1, 1, 1))
    [alert] = load_session_view(db, row.id).alerts
    return row.id, alert.id, alert.version


def test_the_physician_acknowledges_item_9_with_the_screener_and_its_triage_is_kept(
    db: Database, staff: dict[str, Actor]
) -> None:
    session_id, alert_id, version = _self_harm_alert(db, staff)
    doctor = staff["priya"]
    with pytest.raises(InvalidInput) as refused:
        alerts.acknowledge(db, doctor, alert_id, version, "Seen: no plan, safety plan made")
    assert refused.value.field == "cssrs"
    with pytest.raises(InvalidInput, match="asked only after a yes to question 2"):
        alerts.acknowledge(db, doctor, alert_id, version, "Seen", (False, False, True, False, False, False))
    screener = (True, True, True, False, False, False)
    done = alerts.acknowledge(db, doctor, alert_id, version, "Seen: no intent, safety plan made", screener)
    assert (
        done.acknowledgement
        == "Seen: no intent, safety plan made · C-SSRS screener: moderate risk (yes to 1, 2, 3)"
    )
    with db.read() as session:
        stored = session.exec(select(SuicideScreen).where(SuicideScreen.session_id == session_id)).one()
    assert stored.answers == screener and stored.asked_by == doctor.user_id


def test_an_acknowledgement_too_long_for_the_triage_is_refused_and_nothing_is_stored(
    db: Database, staff: dict[str, Actor]
) -> None:
    _, alert_id, version = _self_harm_alert(db, staff)
    with pytest.raises(InvalidInput, match="characters here, as the C-SSRS triage is added"):
        alerts.acknowledge(
            db, staff["priya"], alert_id, version, "Seen and safety plan. " * 13, (True,) + (False,) * 5
        )
    with db.read() as session:
        assert session.exec(select(SuicideScreen)).first() is None


def test_the_database_refuses_plan_questions_without_thoughts_whatever_a_service_sends(
    db: Database, staff: dict[str, Actor]
) -> None:
    session_id, alert_id, version = _self_harm_alert(db, staff)
    alerts.acknowledge(
        db, staff["priya"], alert_id, version, "Seen: safety plan made", (True,) + (False,) * 5
    )
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE suicide_screen SET q4 = TRUE WHERE session_id = :id"), {"id": session_id}
        )


@pytest.mark.breaks_rules
def test_item_9_acknowledged_without_a_physicians_screener_is_found(
    db: Database, staff: dict[str, Actor]
) -> None:
    session_id, alert_id, version = _self_harm_alert(db, staff)
    alerts.acknowledge(
        db, staff["priya"], alert_id, version, "Seen: safety plan made", (True,) + (False,) * 5
    )
    assert broken_rules(db, Protocol()) == []
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE suicide_screen SET asked_by = :nurse WHERE session_id = :id"),
            {"nurse": staff["nina"].user_id, "id": session_id},
        )
    found = [(b.session_id, b.rule) for b in broken_rules(db, Protocol())]
    assert found == [(session_id, "self-harm answer acknowledged without the C-SSRS screener")]
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM suicide_screen WHERE session_id = :id"), {"id": session_id})
    assert [b.rule for b in broken_rules(db, Protocol())] == [
        "self-harm answer acknowledged without the C-SSRS screener"
    ]
