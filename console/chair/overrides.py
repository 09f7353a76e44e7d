"""Overrides: a protocol rule set aside for one session, by the role the protocol names, with a reason."""

from sqlmodel import Session, select

from console.clinic.users import verify_at_chair
from console.domain.actors import Actor, require_clinical
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.inputs import OverrideIn, parse
from console.domain.protocol import Protocol
from console.domain.vocab import OverrideRule, Role
from console.store.database import Database
from console.store.models import Override
from console.store.rows import insert
from console.store.session_lock import open_for_change


def record_override(
    db: Database, actor: Actor, session_id: int, rule: str, reason: str, protocol: Protocol, details: str = ""
) -> Override:
    """Store who set which rule aside, when, why and for what value; it is audited like every write."""
    user_id = require_clinical(actor)
    override_in = parse(OverrideIn, {"rule": rule, "reason": reason, "details": details})
    wanted = override_in.rule
    needed = Role(getattr(protocol.override_roles, wanted.value))
    if actor.role is not needed:
        raise NotAllowed(
            f"{actor.username} cannot override '{wanted.label.lower()}': the protocol needs a {needed}"
        )
    now = db.clock.now()
    with db.write() as session:
        open_for_change(session, session_id)
        row = Override(
            session_id=session_id,
            rule=wanted,
            details=override_in.details,
            reason=override_in.reason,
            overridden_by=user_id,
            role=needed,  # the role the protocol asks for, which the actor was just checked to hold
            at=now,
        )
        return insert(session, row, actor=actor, action="override.record", at=now)


def record_override_at_chair(
    db: Database,
    session_id: int,
    rule: str,
    reason: str,
    protocol: Protocol,
    username: str,
    secret: str,
) -> Override:
    """A physician at the nurse's console sets a rule aside: their username and signing PIN (or
    password) say who decides, so the override and its audit event name them, not the nurse who is
    signed in. A wrong secret counts towards their lockout, as at sign-in."""
    if not username.strip():
        raise InvalidInput(
            "username", "Physician at the chair: type the physician's username and their signing PIN."
        )
    decider = verify_at_chair(db, username, secret, action="override.authorise")
    return record_override(db, decider, session_id, rule, reason, protocol)


def overridden(session: Session, session_id: int) -> set[OverrideRule]:
    """The rules set aside for this session."""
    rules = session.exec(select(Override.rule).where(Override.session_id == session_id)).all()
    return {OverrideRule(rule) for rule in rules}
