"""The gate every change to a session passes: a signed session is locked (addenda only)."""

from sqlmodel import Session, select

from console.domain.errors import NotAllowed, NotFound
from console.store.models import SessionSignature, TreatmentSession


def is_signed(session: Session, session_id: int) -> bool:
    return (
        session.exec(select(SessionSignature.id).where(SessionSignature.session_id == session_id)).first()
        is not None
    )


def open_for_change(session: Session, session_id: int) -> TreatmentSession:
    """The session, locked until commit and refused if signed.

    Signing takes the same row lock, so on PostgreSQL a change and a signature cannot interleave:
    either the change lands before the record is hashed, or it sees the signature. The lock is
    exclusive (FOR UPDATE) because most changes go on to update this row: two shared locks
    upgrading at once would deadlock.
    """
    row = session.exec(
        select(TreatmentSession).where(TreatmentSession.id == session_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"Session {session_id} does not exist")
    if is_signed(session, session_id):
        raise NotAllowed(f"session {session_id} is signed and locked: add an addendum instead")
    return row
