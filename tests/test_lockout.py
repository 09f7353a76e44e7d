"""The lockout holds under parallel guesses: on both backends the account locks at the fifth."""

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import col, select

from console.clinic import users
from console.domain.actors import Actor
from console.domain.errors import AuthenticationFailed
from console.store.database import Database
from console.store.models import AuditEvent

GUESSES = 20


def _burst(attempt: Callable[[int], object]) -> list[str]:
    """Run GUESSES attempts at once (a barrier lines them up); what each one answered."""
    start = threading.Barrier(GUESSES)

    def one(index: int) -> str:
        start.wait()
        try:
            attempt(index)
        except AuthenticationFailed as refused:
            return str(refused)
        return "signed in"

    with ThreadPoolExecutor(GUESSES) as pool:
        return list(pool.map(one, range(GUESSES)))


def _secrets_checked(db: Database, username: str) -> list[str]:
    """The reasons of the audited failures whose secret was actually compared."""
    with db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.actor == username)).all()
    reasons = [_reason(e) for e in events if e.action.endswith(".failed")]
    return [reason for reason in reasons if reason.startswith("wrong")]


def _reason(event: AuditEvent) -> str:
    assert event.after_json is not None  # a failure is audited with its reason
    return json.loads(event.after_json)["reason"]


def test_parallel_wrong_passwords_lock_the_account_at_five(db: Database, staff: dict[str, Actor]) -> None:
    answers = _burst(lambda _: users.authenticate(db, "nina", "wrong guess"))
    nina = users.find_user(db, "nina")
    assert nina is not None
    assert nina.failed_attempts == users.MAX_FAILED_ATTEMPTS
    assert len(_secrets_checked(db, "nina")) == users.MAX_FAILED_ATTEMPTS
    assert sum("locked" in answer for answer in answers) >= GUESSES - users.MAX_FAILED_ATTEMPTS
    with pytest.raises(AuthenticationFailed, match="locked"):
        users.authenticate(db, "nina", "long enough pw")


def test_the_right_password_in_a_burst_of_wrong_ones_gains_no_extra_guesses(
    db: Database, staff: dict[str, Actor]
) -> None:
    def attempt(index: int) -> None:
        users.authenticate(db, "nina", "long enough pw" if index == 10 else f"guess {index}")

    answers = _burst(attempt)
    assert answers.count("signed in") <= 1
    # A right password resets the count, so at most twice the limit were ever compared, never all 19.
    assert len(_secrets_checked(db, "nina")) <= 2 * users.MAX_FAILED_ATTEMPTS
    if "signed in" not in answers:
        nina = users.find_user(db, "nina")
        assert nina is not None
        assert nina.failed_attempts == users.MAX_FAILED_ATTEMPTS


def test_parallel_wrong_pins_lock_the_account_at_five(db: Database, staff: dict[str, Actor]) -> None:
    users.set_signing_pin(db, staff["priya"], "long enough pw", "2468")
    answers = _burst(
        lambda index: users.verify_secret(db, "priya", f"{index:04d}", kind="pin", action="signature")
    )
    priya = users.find_user(db, "priya")
    assert priya is not None
    assert priya.failed_attempts == users.MAX_FAILED_ATTEMPTS
    assert len(_secrets_checked(db, "priya")) == users.MAX_FAILED_ATTEMPTS
    assert sum("locked" in answer for answer in answers) >= GUESSES - users.MAX_FAILED_ATTEMPTS


def test_a_name_no_account_has_is_audited_as_unknown_never_as_typed(
    db: Database, staff: dict[str, Actor]
) -> None:
    with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
        users.authenticate(db, "long enough pw", "nina")  # the password typed into the name field
    with db.read() as session:
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert event is not None
    assert event.action == "login.failed" and event.actor == users.UNKNOWN_USER
    assert "long enough" not in (event.after_json or "") + event.entity_id
