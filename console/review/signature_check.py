"""Proof that signed records are unchanged: every signature and addendum hash recomputed.

The whole clinic is walked in one pass, each table streamed in session order, so checking five
years of signed sessions never holds more than a batch of rows in memory.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from console.review.signing import SESSION_CHILDREN, addendum_hash, record_hash
from console.store.models import (
    Addendum,
    DoseAdministration,
    InfusionEvent,
    SessionSignature,
    TreatmentSession,
    table_of,
)
from console.store.plain_rows import read_plain


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


def _stream(session: Session, query: sa.Executable, batch: int) -> Iterator[sa.RowMapping]:
    return iter(session.connection().execute(query.execution_options(yield_per=batch)).mappings())


def verify_signatures(session: Session, batch: int = 2000) -> SignatureReport:
    signed_ids = sa.select(col(SessionSignature.session_id))
    signatures = _stream(
        session, sa.select(table_of(SessionSignature)).order_by(col(SessionSignature.session_id)), batch
    )
    sessions_table = table_of(TreatmentSession)
    sessions = _Grouped(
        read_plain(session, sessions_table, batch, where=sessions_table.c.id.in_(signed_ids)), "id"
    )
    children = {
        name: _Grouped(
            read_plain(
                session,
                table,
                batch,
                where=table.c.session_id.in_(signed_ids),
                order_by=(table.c.session_id, table.c.id),
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
