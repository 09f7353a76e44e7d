"""A physician at the nurse's console sets a rule aside with their username and signing PIN: the
override and its audit event name the physician; a nurse's own secret, a wrong PIN or a blank name
records nothing (a wrong PIN counts towards the physician's lockout), on both backends."""

import pytest
from sqlmodel import col, select

from console.chair.overrides import record_override_at_chair
from console.clinic import users
from console.domain.actors import Actor
from console.domain.errors import AuthenticationFailed, InvalidInput, NotAllowed
from console.domain.protocol import Protocol
from console.store.database import Database
from console.store.models import AuditEvent, Override, UserAccount
from tests.factories import checked_in_session

PROTOCOL = Protocol()
REASON = "Liver tests normal last week"


def _overrides(db: Database) -> list[Override]:
    with db.read() as session:
        return list(session.exec(select(Override)))


def test_the_physicians_pin_records_the_override_in_their_name(db: Database, staff: dict[str, Actor]) -> None:
    users.set_signing_pin(db, staff["priya"], "long enough pw", "2468")
    row = checked_in_session(db, staff["nina"])
    stored = record_override_at_chair(db, row.id, "contraindication", REASON, PROTOCOL, "Priya ", "2468")
    assert (stored.overridden_by, stored.role, stored.reason) == (staff["priya"].user_id, "physician", REASON)
    with db.read() as session:
        actions = [(e.actor, e.action) for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
    assert actions[-2:] == [("priya", "override.authorise"), ("priya", "override.record")]


def test_a_nurses_own_password_in_the_physicians_place_is_refused(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(NotAllowed, match="the protocol needs a physician"):
        record_override_at_chair(db, row.id, "contraindication", REASON, PROTOCOL, "nina", "long enough pw")
    assert _overrides(db) == []


def test_a_wrong_pin_records_nothing_and_counts_towards_the_lockout(
    db: Database, staff: dict[str, Actor]
) -> None:
    users.set_signing_pin(db, staff["priya"], "long enough pw", "2468")
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(AuthenticationFailed):
        record_override_at_chair(db, row.id, "contraindication", REASON, PROTOCOL, "priya", "1357")
    with pytest.raises(InvalidInput, match="type the physician's username") as blank:
        record_override_at_chair(db, row.id, "contraindication", REASON, PROTOCOL, " ", "2468")
    assert blank.value.field == "username"
    assert _overrides(db) == []
    with db.read() as session:
        priya = session.get(UserAccount, staff["priya"].user_id)
    assert priya is not None and priya.failed_attempts == 1


def test_a_witness_typing_their_name_with_a_capital_is_checked_against_their_pin(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Sign-in takes "Marcus " as marcus; the PIN at the chair did not (it was checked as a password)."""
    users.set_signing_pin(db, staff["marcus"], "long enough pw", "1357")
    assert users.verify_witness(db, " Marcus", "1357").username == "marcus"
