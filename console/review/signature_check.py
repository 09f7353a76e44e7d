"""Proof that signed records are unchanged: every signature and addendum hash recomputed.

The whole clinic is walked in one pass, each table streamed in session order, so checking five
years of signed sessions never holds more than a batch of rows in memory.
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from console.review.signing import SESSION_CHILDREN, addendum_hash, record_hash
from console.store import audit
from console.store.models import (
    Addendum,
    AuditEvent,
    DoseAdministration,
    InfusionEvent,
    SessionSignature,
    TreatmentSession,
    table_of,
)

# The audit action that records a range of signatures imported at once (the demo's signed history).
BULK_ACTION = "signature.bulk"


@dataclass(frozen=True)
class SignatureReport:
    signatures: int
    addenda: int
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


class _Grouped:
    """Rows streamed in session order, handed out one session at a time."""

    def __init__(self, rows: Iterator, key: str) -> None:
        self.rows, self.key = rows, key
        self.next = next(self.rows, None)

    def take(self, session_id: int) -> list[dict]:
        taken = []
        while self.next is not None and self.next[self.key] <= session_id:
            if self.next[self.key] == session_id:
                taken.append(dict(self.next))
            self.next = next(self.rows, None)
        return taken


def _stream(session: Session, query, batch: int) -> Iterator:
    return iter(session.execute(query.execution_options(yield_per=batch)).mappings())


def signature_digest(signatures: Sequence[SessionSignature]) -> str:
    """One SHA-256 over many signatures in id order, for a signed history imported in bulk."""
    digest = hashlib.sha256()
    for signature in signatures:
        digest.update(audit.canonical_json(audit.snapshot(signature)).encode())
    return digest.hexdigest()


def _signature_events(session: Session, batch: int) -> str:
    """Each signature must equal what its hash-chained audit event recorded (signer, time, meaning)."""
    recorded: dict[str, str] = {}
    bulk = []
    events = sa.select(col(AuditEvent.entity_id), col(AuditEvent.action), col(AuditEvent.after_json)).where(
        col(AuditEvent.entity) == table_of(SessionSignature).name
    )
    for entity_id, action, after in session.execute(events.execution_options(yield_per=batch)):
        if action == BULK_ACTION:
            bulk.append(json.loads(after))
        else:
            recorded[entity_id] = hashlib.sha256(after.encode()).hexdigest()
    covered: set[int] = set()
    for event in bulk:
        rows = session.exec(
            select(SessionSignature)
            .where(col(SessionSignature.id).between(event["from_id"], event["to_id"]))
            .order_by(col(SessionSignature.id))
        ).all()
        if len(rows) != event["count"] or signature_digest(rows) != event["sha256"]:
            return f"signatures {event['from_id']} to {event['to_id']} no longer match their audit event"
        covered.update(range(event["from_id"], event["to_id"] + 1))
    for row in session.execute(
        sa.select(table_of(SessionSignature)).execution_options(yield_per=batch)
    ).mappings():
        if row["id"] in covered:
            continue
        snapshot = audit.canonical_json(audit.snapshot(SessionSignature.model_validate(dict(row))))
        if recorded.get(str(row["id"])) != hashlib.sha256(snapshot.encode()).hexdigest():
            return f"signature {row['id']} (session {row['session_id']}): it differs from its audit event"
    return ""


def verify_signatures(session: Session, batch: int = 2000) -> SignatureReport:
    problem = _signature_events(session, batch)
    if problem:
        return SignatureReport(0, 0, problem)
    signed_ids = sa.select(col(SessionSignature.session_id))
    signatures = _stream(
        session, sa.select(table_of(SessionSignature)).order_by(col(SessionSignature.session_id)), batch
    )
    sessions = _Grouped(
        _stream(
            session,
            sa.select(table_of(TreatmentSession))
            .where(col(TreatmentSession.id).in_(signed_ids))
            .order_by(col(TreatmentSession.id)),
            batch,
        ),
        "id",
    )
    children = {
        name: _Grouped(
            _stream(
                session,
                sa.select(table)
                .where(table.c.session_id.in_(signed_ids))
                .order_by(table.c.session_id, table.c.id),
                batch,
            ),
            "session_id",
        )
        for name, table in ((name, table_of(model)) for name, model in SESSION_CHILDREN.items())
    }
    children["infusion_events"] = _Grouped(
        _stream(
            session,
            sa.select(table_of(InfusionEvent), col(DoseAdministration.session_id).label("owner_session_id"))
            .join(DoseAdministration, col(DoseAdministration.id) == InfusionEvent.dose_id)
            .where(col(DoseAdministration.session_id).in_(signed_ids))
            .order_by(col(DoseAdministration.session_id), col(InfusionEvent.id)),
            batch,
        ),
        "owner_session_id",
    )
    count = 0
    for signature in signatures:
        count += 1
        sid = signature["session_id"]
        rows = sessions.take(sid)
        found = (
            record_hash(rows[0], {name: group.take(sid) for name, group in children.items()}) if rows else ""
        )
        if found != signature["record_hash"]:
            return SignatureReport(
                count,
                0,
                f"signature {signature['id']} (session {sid}): the record no longer matches what was signed",
            )
    addenda = 0
    for row in _stream(session, sa.select(table_of(Addendum)).order_by(col(Addendum.id)), batch):
        addenda += 1
        if addendum_hash(dict(row)) != row["content_hash"]:
            return SignatureReport(
                count,
                addenda,
                f"addendum {row['id']} (session {row['session_id']}): its text or details were altered",
            )
    return SignatureReport(count, addenda)
