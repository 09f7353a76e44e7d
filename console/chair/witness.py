"""The waste witness: named by the first letters of a username or name, proven by their PIN or password."""

from pydantic import SecretStr
from sqlmodel import Session, select

from console.clinic.users import verify_witness
from console.domain.errors import AuthenticationFailed, InvalidInput
from console.domain.vocab import CLINICAL_ROLES, Role
from console.store.database import Database
from console.store.models import UserAccount
from console.store.rows import get_or_refuse

# The witness resolved inside the write is not the one who proved it (renamed or changed meanwhile).
UNPROVEN = "Waste witness: the witness must confirm with their password or PIN."


def proven_witness(
    db: Database, typed: object, secret: object, giver: int, already_proven: int | None = None
) -> int | None:
    """The witness named by `typed`, once they have proved who they are with `secret` (their PIN
    or password), as BCMA asks for a high-risk drug's waste; `already_proven`: the witness who
    proved it for this same amount before (a correction that keeps both needs no new proof).
    Run before the record's own write: the check is its own counted, audited transaction.
    """
    if not typed:
        return None
    with db.read() as session:
        named = witness_id(session, str(typed), giver)
        witness = get_or_refuse(session, UserAccount, named or 0, "Witness")
    if named == already_proven:
        return named
    typed_secret = secret.get_secret_value() if isinstance(secret, SecretStr) else str(secret or "")
    if not typed_secret:
        raise InvalidInput(
            "witness_secret", f"Waste witness: {witness.display_name} confirms with their password or PIN."
        )
    try:
        verify_witness(db, witness.username, typed_secret)
    except AuthenticationFailed as refused:
        said = "wrong password or PIN." if str(refused).startswith("Wrong") else str(refused)
        raise InvalidInput("witness_secret", f"Waste witness {witness.display_name}: {said}") from None
    return named


def same_amount(typed: object, stored_mg: float) -> bool:
    """`typed` (as a form or a file gives it) is the amount already stored."""
    try:
        return abs(float(str(typed or 0)) - stored_mg) < 0.005
    except (TypeError, ValueError):
        return False  # not a number: the record's own validation names it


def witness_id(session: Session, typed: str | None, administered_by: int) -> int | None:
    """The witness by username, or by the unique start of a username or a word of a name ("m": Marcus)."""
    if not typed:
        return None
    wanted = typed.strip().lower()
    candidates = [
        user
        for user in session.exec(select(UserAccount).where(UserAccount.active))
        if Role(user.role) in CLINICAL_ROLES and user.id != administered_by
    ]
    exact = [user for user in candidates if wanted in (user.username, user.display_name.lower())]
    matches = exact or [
        user
        for user in candidates
        if user.username.startswith(wanted)
        or any(word.startswith(wanted) for word in user.display_name.lower().replace(".", " ").split())
    ]
    if len(matches) == 1:
        return matches[0].id
    giver = session.get(UserAccount, administered_by)
    if not exact and giver is not None and giver.username == wanted:
        raise InvalidInput("witness", "Waste witness: must be a different user from the one giving the dose.")
    if not matches:
        raise InvalidInput("witness", f"Waste witness: {typed!r} is not another active nurse or physician.")
    names = ", ".join(sorted(user.username for user in matches))
    raise InvalidInput("witness", f"Waste witness: {typed!r} could be {names}; type more letters.")
