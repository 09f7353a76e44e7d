"""Overrides: a protocol rule set aside for one session, by the role the protocol names, with a reason."""

from sqlmodel import Session, select

from console.actors import Actor, require_clinical
from console.database import Database
from console.errors import InvalidInput, NotAllowed
from console.models import Override
from console.protocol import Protocol
from console.record_lock import open_for_change
from console.records import insert
from console.vocab import OverrideRule, Role


def record_override(
    db: Database, actor: Actor, session_id: int, rule: str, reason: str, protocol: Protocol, details: str = ""
) -> Override:
    """Store who set which rule aside, when, why and for what value; it is audited like every write."""
    user_id = require_clinical(actor)
    try:
        wanted = OverrideRule(rule)
    except ValueError:
        accepted = ", ".join(r.value for r in OverrideRule)
        raise InvalidInput("rule", f"Rule: one of {accepted} (got {rule!r}).") from None
    needed = Role(getattr(protocol.override_roles, wanted.value))
    if actor.role is not needed:
        raise NotAllowed(
            f"{actor.username} cannot override '{wanted.label.lower()}': the protocol needs a {needed}"
        )
    reason = reason.strip()
    if not 3 <= len(reason) <= 300 or any(ord(ch) < 32 for ch in reason):
        raise InvalidInput("reason", "Reason: say why the rule is set aside (3 to 300 printable characters).")
    now = db.clock.now()
    with db.write() as session:
        open_for_change(session, session_id)
        row = Override(
            session_id=session_id,
            rule=wanted,
            details=details[:200],
            reason=reason,
            overridden_by=user_id,
            role=actor.role.value,
            at=now,
        )
        return insert(session, row, actor=actor, action="override.record", at=now)


def overridden(session: Session, session_id: int) -> set[OverrideRule]:
    """The rules set aside for this session."""
    rules = session.exec(select(Override.rule).where(Override.session_id == session_id)).all()
    return {OverrideRule(rule) for rule in rules}
