"""Electronic signatures: the canonical session record, signing sittings, signing and addenda.

A signature stores the SHA-256 of the canonical session record: the session row and every row
that belongs to it, each column normalised by its type and each list in a fixed order, so the
same record always gives the same hash on SQLite and PostgreSQL. `console.verify` recomputes it.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from console.chair.session_view import SessionView, read_session_view
from console.clinic.users import verify_secret
from console.domain.actors import Actor, require_clinical
from console.domain.errors import AuthenticationFailed, Conflict, NotAllowed
from console.domain.inputs import AddendumIn, SignatureIn, parse
from console.domain.vocab import Role
from console.domain.vocab import SessionStatus as S
from console.store import audit
from console.store.database import Database
from console.store.models import (
    Addendum,
    Alert,
    ChecklistTick,
    DoseAdministration,
    InfusionEvent,
    Override,
    PainScore,
    Questionnaire,
    RemsCheck,
    ReviewReturn,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    VitalSigns,
    table_of,
)
from console.store.rows import get_or_refuse, insert
from console.store.session_lock import is_signed
from console.store.timestamps import iso_utc

# The rows of a session record, by the name they carry in the canonical form.
SESSION_CHILDREN: dict[str, type[SQLModel]] = {
    "doses": DoseAdministration,
    "vitals": VitalSigns,
    "side_effects": SideEffect,
    "pain_scores": PainScore,
    "alerts": Alert,
    "overrides": Override,
    "rems": RemsCheck,
    "questionnaires": Questionnaire,
    "checklists": ChecklistTick,
}
# Lists added to the record after sessions were signed: written only when they hold rows, so a
# record signed before has the same canonical text, and its signature still checks.
ADDED_LATER = frozenset({"rems", "questionnaires", "checklists"})


def _text_or(canonical: Callable[[Any], str]) -> Callable[[Any], str]:
    """Text is already canonical (rows read by `plain_rows.read_plain`); a value is made so."""
    return lambda value: value if isinstance(value, str) else canonical(value)


# How a value of each column type becomes canonical; other values (int, text, bool) stay as they are.
_CANONICAL: dict[type, Callable[..., Any]] = {
    float: float,
    datetime: _text_or(iso_utc),
    date: _text_or(date.isoformat),
    time: _text_or(time.isoformat),
}


def _python_type(column: sa.Column) -> type:
    """The column's Python type; a TypeDecorator (UTC timestamps) answers for the type it wraps."""
    return getattr(column.type, "impl_instance", column.type).python_type


@cache
def _columns(
    model: type[SQLModel], keep_id: bool, leave_out: frozenset
) -> tuple[tuple[str, Callable | None, Any], ...]:
    """(name, canonical form, default) of each column hashed, looked up once per model."""
    return tuple(
        (column.name, _CANONICAL.get(_python_type(column)), model.model_fields[column.name].default)
        for column in table_of(model).columns
        if (column.name != "id" or keep_id) and column.name not in leave_out
    )


def plain_row(
    model: type[SQLModel], values: dict[str, Any], keep_id: bool = False, leave_out: frozenset = frozenset()
) -> dict[str, Any]:
    """A row's columns as JSON-able values normalised by column type (a REAL 28 is 28.0 everywhere).

    Missing columns take the model's default, so a row about to be inserted hashes like the row
    read back. Child rows leave out their own id: the record is its content, not its numbering.
    Empty (NULL) columns are left out, so a nullable column added later keeps old hashes valid.
    """
    out = {}
    for name, canonical, default in _columns(model, keep_id, leave_out):
        value = values.get(name, default)
        if value is not None:
            out[name] = value if canonical is None else canonical(value)
    return out


def record_json(session_row: dict[str, Any], children: dict[str, list[dict[str, Any]]]) -> str:
    """The canonical session record: every list sorted by its rows' canonical text, keys sorted.

    Written out by hand so each row is serialised once; the text equals `canonical_json` of the
    same nested dict (a test keeps it so).
    """
    parts = {"session": audit.canonical_json(plain_row(TreatmentSession, session_row, keep_id=True))}
    for name, model in (SESSION_CHILDREN | {"infusion_events": InfusionEvent}).items():
        rows = sorted(audit.canonical_json(plain_row(model, row)) for row in children.get(name, ()))
        if rows or name not in ADDED_LATER:
            parts[name] = "[" + ",".join(rows) + "]"
    return "{" + ",".join(f'"{name}":{parts[name]}' for name in sorted(parts)) + "}"


def sha256_of(data: Any) -> str:
    return hashlib.sha256(audit.canonical_json(data).encode()).hexdigest()


def record_hash(session_row: dict[str, Any], children: dict[str, list[dict[str, Any]]]) -> str:
    return hashlib.sha256(record_json(session_row, children).encode()).hexdigest()


def load_record(session: Session, session_id: int) -> tuple[dict, dict[str, list[dict]]]:
    """The session row and its children as plain mappings, read in the caller's transaction."""
    table = table_of(TreatmentSession)
    row = session.execute(sa.select(table).where(table.c.id == session_id)).mappings().one()
    children = {
        name: [dict(r) for r in session.execute(sa.select(t).where(t.c.session_id == session_id)).mappings()]
        for name, t in ((name, table_of(m)) for name, m in SESSION_CHILDREN.items())
    }
    events = session.execute(
        sa.select(table_of(InfusionEvent))
        .join(DoseAdministration, col(DoseAdministration.id) == InfusionEvent.dose_id)
        .where(col(DoseAdministration.session_id) == session_id)
    ).mappings()
    children["infusion_events"] = [dict(r) for r in events]
    return dict(row), children


def addendum_hash(values: dict[str, Any]) -> str:
    return sha256_of(plain_row(Addendum, values, leave_out=frozenset({"content_hash"})))


@dataclass
class SigningSitting:
    """One user's run of signatures: a password opens it, the PIN continues it until it is idle too long."""

    username: str
    idle: timedelta
    last_active: datetime | None = None

    def needs_password(self, now: datetime) -> bool:
        return self.last_active is None or now - self.last_active > self.idle


@dataclass(frozen=True)
class Proof:
    """What the signer typed: username and password to open a sitting, or the PIN within one."""

    username: str = ""
    password: str = ""
    pin: str = ""


def authorise(db: Database, actor: Actor, sitting: SigningSitting, proof: Proof) -> None:
    """Check the signer's proof; failures count towards the lockout and are audited."""
    if sitting.username != actor.username:
        raise NotAllowed("this signing sitting belongs to another user")
    now = db.clock.now()
    if sitting.needs_password(now):
        if not proof.password:
            raise AuthenticationFailed(
                "Signing needs your username and password (the sitting is new or ended)."
            )
        typed = proof.username.strip().lower()
        if typed != actor.username:
            # A different name is refused without a check: one signs only as the signed-in user.
            with db.write() as session:
                audit.record(
                    session,
                    at=now,
                    actor=actor.username,
                    action="signature.authorise.failed",
                    entity="user_account",
                    entity_id=actor.user_id,
                    after={"reason": "username is not the signed-in user"},
                )
            raise AuthenticationFailed(f"Username: sign as yourself ({actor.username}).")
        verify_secret(db, actor.username, proof.password, kind="password", action="signature.authorise")
    else:
        verify_secret(db, actor.username, proof.pin, kind="pin", action="signature.authorise")
    sitting.last_active = now


def require_physician(actor: Actor) -> int:
    if actor.role is not Role.PHYSICIAN or actor.user_id is None:
        raise NotAllowed(f"{actor.username} cannot sign sessions: only a physician can")
    return actor.user_id


def ready_to_sign(session: Session, row: TreatmentSession) -> None:
    """Refuse a signature on a session that is not finished, already signed, returned, or alerting."""
    if row.status != S.DISCHARGED:
        raise NotAllowed(
            f"this session is {S(row.status).label.lower()}: only discharged sessions are signed"
        )
    if is_signed(session, row.id):
        raise NotAllowed("this session is already signed: add an addendum instead")
    if open_return(session, row.id) is not None:
        raise NotAllowed("this session is back with the nurse for correction: wait until it is resubmitted")
    open_alerts = session.exec(
        select(Alert.id).where(Alert.session_id == row.id, col(Alert.acknowledged_at).is_(None))
    ).all()
    if open_alerts:
        raise NotAllowed(
            f"{len(open_alerts)} alert(s) on this session are not acknowledged: acknowledge first"
        )


def open_return(session: Session, session_id: int) -> ReviewReturn | None:
    return session.exec(
        select(ReviewReturn).where(
            ReviewReturn.session_id == session_id, col(ReviewReturn.resubmitted_at).is_(None)
        )
    ).first()


@dataclass(frozen=True)
class Shown:
    """A session's record as put in front of the physician, and the hash a signature of it will carry."""

    view: SessionView
    record_hash: str


def load_for_review(db: Database, session_id: int) -> Shown:
    """The record and its hash, read at one moment (Database.read): what is shown is exactly what
    is hashed, even when a nurse commits a correction between the reads."""
    with db.read() as session:
        return Shown(read_session_view(session, session_id), record_hash(*load_record(session, session_id)))


def unchanged_since_shown(session: Session, session_id: int, shown_hash: str) -> str:
    """The record's hash now; refused when it is not the one the physician was shown."""
    now = record_hash(*load_record(session, session_id))
    if now != shown_hash:
        raise Conflict(
            "the record changed since it was shown to you; nothing was signed. It has been read "
            "again with the changes marked: review them, then sign"
        )
    return now


def sign_session(
    db: Database,
    actor: Actor,
    session_id: int,
    meaning: str,
    proof: Proof,
    sitting: SigningSitting,
    shown_hash: str,
) -> SessionSignature:
    """Sign a discharged session exactly as it was shown (`shown_hash`); from then on only addenda."""
    signer_id = require_physician(actor)
    meaning_in = parse(SignatureIn, {"meaning": meaning})
    with db.read() as session:
        row = get_or_refuse(session, TreatmentSession, session_id, "Session")
        unchanged_since_shown(session, session_id, shown_hash)  # first: what changed may be why it can't be
        ready_to_sign(session, row)  # both before the PIN, so a refused try costs no attempt
    authorise(db, actor, sitting, proof)
    now = db.clock.now()
    with db.write() as session:
        # FOR UPDATE: a change in flight finishes first, and none can start until this commits.
        row = session.exec(
            select(TreatmentSession).where(TreatmentSession.id == session_id).with_for_update()
        ).one()
        shown = unchanged_since_shown(session, session_id, shown_hash)
        ready_to_sign(session, row)
        signature = SessionSignature(
            session_id=session_id,
            signer_id=signer_id,
            signer_name=actor.display_name or actor.username,
            meaning=meaning_in.meaning,
            signed_at=now,
            record_hash=shown,
        )
        return insert(session, signature, actor=actor, action="session.sign", at=now)


def add_addendum(
    db: Database,
    actor: Actor,
    session_id: int,
    data: AddendumIn | Mapping[str, object],
    proof: Proof,
    sitting: SigningSitting,
) -> Addendum:
    """Add a signed addendum to a signed session; the original record stays as it was."""
    author_id = require_clinical(actor)
    addendum_in = parse(AddendumIn, data)
    with db.read() as session:
        get_or_refuse(session, TreatmentSession, session_id, "Session")
        if not is_signed(session, session_id):
            raise NotAllowed("this session is not signed yet: correct it or add to its notes instead")
    authorise(db, actor, sitting, proof)
    now = db.clock.now()
    values = {
        "session_id": session_id,
        "author_id": author_id,
        "author_name": actor.display_name or actor.username,
        "author_role": str(actor.role),  # a clinical role: require_clinical checked it
        "written_at": now,
        "reason": addendum_in.reason,
        "text": addendum_in.text,
    }
    with db.write() as session:
        row = Addendum.model_validate(values | {"content_hash": addendum_hash(values)})
        return insert(session, row, actor=actor, action="addendum.add", at=now)
