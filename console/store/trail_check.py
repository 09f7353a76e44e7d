"""Every row of the record against its audit trail: rows changed, added or deleted behind the services' back.

Each row's trail is replayed backwards from the row as it is now: every update event must match
the values it says it left, its `before` values are then put back, and the create event must
match the row as first written. Rows written in bulk (the demo's history) have no create event:
their first states are digested in id order and compared with the bulk event's SHA-256.

Rows and events are streamed table by table in id order, so memory stays constant however long
the record grows.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy import Table
from sqlmodel import Session, SQLModel, col

from console.store import audit
from console.store.models import AuditEvent, table_of
from console.store.plain_rows import read_plain

# Audit actions that record a range of rows written at once: {from_id, to_id, count, sha256}.
HISTORY_ACTION = "history.bulk"
BULK_ACTIONS = (HISTORY_ACTION, "signature.bulk")  # the second: demo clinics built by earlier versions
# Columns that change without an event of their own: the failed sign-in counter.
UNTRACKED = {"user_account": frozenset({"failed_attempts"})}
# What trails written by earlier versions do not name: checked only from an event that names it on.
NAMED_SINCE = frozenset({"credential"})
# Events that move columns of a row outside a versioned update: the end of an infusion on its dose.
SIDE_UPDATES = {"dose.stop": frozenset({"stopped_at"})}
NAMED_AT_MOST = 20  # problems named one by one; the rest are counted


@dataclass
class TrailReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    unnamed: int = 0  # problems found beyond those named

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        if len(self.problems) < NAMED_AT_MOST:
            self.problems.append(problem)
        else:
            self.unnamed += 1


def bulk_digest(session: Session, table: Table, batch: int = 5000) -> tuple[int, str]:
    """How many rows the table has, and one SHA-256 over their plain forms in id order."""
    digest, count = hashlib.sha256(), 0
    for row in read_plain(session, table, batch):
        digest.update(audit.canonical_json(row).encode())
        count += 1
    return count, digest.hexdigest()


def audited_tables() -> list[Table]:
    """Every table of the record but the trail itself."""
    return [table for table in SQLModel.metadata.sorted_tables if table.name != AuditEvent.__tablename__]


def _defaults(name: str) -> dict[str, Any]:
    """Each column's default, which a migration gave rows that existed before the column did: a create
    event written before then lacks the column, and the row must still hold the default."""
    models = {table_of(mapper.class_).name: mapper.class_ for mapper in SQLModel._sa_registry.mappers}
    fields = models[name].model_fields
    return {
        key: audit.plain(info.default)
        for key, info in fields.items()
        if info.default is not PydanticUndefined
    }


def verify_rows(session: Session, batch: int = 5000, tables: list[str] | None = None) -> TrailReport:
    """Every row of every table (or of `tables`, named) against its trail."""
    report = TrailReport()
    for table in audited_tables():
        if tables is None or table.name in tables:
            _verify_table(session, table, batch, report)
    return report


def merged(reports: list[TrailReport]) -> TrailReport:
    """One report of the rows checked in parts (by table)."""
    whole = TrailReport()
    for report in reports:
        whole.rows += report.rows
        for problem in report.problems:
            whole.add(problem)
        whole.unnamed += report.unnamed
    return whole


@dataclass
class _Bulk:
    from_id: int
    to_id: int
    count: int
    sha256: str
    seen: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def problem(self, table: str) -> str:
        if self.seen != self.count:
            return (
                f"{table} {self.from_id} to {self.to_id}: {self.seen} rows where {self.count} were "
                "written at once (rows were deleted or added)"
            )
        if self.digest.hexdigest() != self.sha256:
            return f"{table} {self.from_id} to {self.to_id}: rows differ from those written at once"
        return ""


def _verify_table(session: Session, table: Table, batch: int, report: TrailReport) -> None:
    name = table.name
    untracked = UNTRACKED.get(name, frozenset())
    defaults = _defaults(name)
    bulks = [_Bulk(**json.loads(after)) for after in session.scalars(_bulk_events(name))]
    trails = _trails(session, name, batch)
    trail = next(trails, None)
    for row in read_plain(session, table, batch):
        report.rows += 1
        row_id = row["id"]
        while trail is not None and trail[0] < row_id:
            _deleted(name, trail, report)
            trail = next(trails, None)
        events = trail[1] if trail is not None and trail[0] == row_id else []
        if events:
            trail = next(trails, None)
        first = _replay(name, row_id, row, events, untracked, defaults, report)
        if first is None:
            continue  # its create event matched, or a problem was named
        bulk = next((b for b in bulks if b.from_id <= row_id <= b.to_id), None)
        if bulk is None:
            report.add(f"{name} {row_id}: not in the audit trail (added behind the services' back)")
        else:
            bulk.seen += 1
            bulk.digest.update(audit.canonical_json(first).encode())
    while trail is not None:
        _deleted(name, trail, report)
        trail = next(trails, None)
    for bulk in bulks:
        if problem := bulk.problem(name):
            report.add(problem)


def _bulk_events(name: str) -> sa.Select[str]:
    query = (
        sa.select(col(AuditEvent.after_json))
        .where(col(AuditEvent.entity) == name, col(AuditEvent.action).in_(BULK_ACTIONS))
        .order_by(col(AuditEvent.id))
    )
    return cast("sa.Select[str]", query)  # a bulk event always holds its range (`record_many`)


def _numeric(column: sa.ColumnElement[str], dialect: str) -> sa.ColumnElement[bool]:
    if dialect == "postgresql":
        return column.op("~", is_comparison=True)("^[0-9]+$")
    glob = column.op("GLOB", is_comparison=True)
    return sa.and_(glob("[0-9]*"), sa.not_(glob("*[^0-9]*")))


_Event = tuple[int, str, dict | None, dict | None]


def _trails(session: Session, name: str, batch: int) -> Iterator[tuple[int, list[_Event]]]:
    """Each row's events (id, action, before, after), rows in id order, events in trail order."""
    entity_id = table_of(AuditEvent).c.entity_id
    query = (
        sa.select(
            sa.cast(entity_id, sa.Integer).label("row_id"),
            col(AuditEvent.id),
            col(AuditEvent.action),
            col(AuditEvent.before_json),
            col(AuditEvent.after_json),
        )
        .where(
            col(AuditEvent.entity) == name,
            col(AuditEvent.action).not_in(BULK_ACTIONS),
            _numeric(entity_id, session.get_bind().dialect.name),
        )
        .order_by(sa.cast(entity_id, sa.Integer), col(AuditEvent.id))
        .execution_options(yield_per=batch)
    )
    current: tuple[int, list[_Event]] | None = None
    for row_id, event_id, action, before, after in session.connection().execute(query):
        event = (event_id, action, _load(before), _load(after))
        if current is not None and current[0] == row_id:
            current[1].append(event)
            continue
        if current is not None:
            yield current
        current = (row_id, [event])
    if current is not None:
        yield current


def _load(text: str | None) -> dict | None:
    data = None if text is None else json.loads(text)
    return data if isinstance(data, dict) else None


def _changed_columns(action: str, before: dict | None, after: dict | None) -> frozenset[str] | None:
    """The columns an event moved, or None when it records no change of state.

    An update names the same columns before and after (keys starting with "_" say who or where,
    not what); a few events move one column beside what they record (SIDE_UPDATES).
    """
    if before is None or after is None:
        return None
    if action in SIDE_UPDATES:
        return SIDE_UPDATES[action] & after.keys()
    columns = frozenset(key for key in after if not key.startswith("_"))
    if columns and columns == {key for key in before if not key.startswith("_")}:
        return columns
    return None


def _replay(
    name: str,
    row_id: int,
    now: dict[str, Any],
    events: list[_Event],
    untracked: frozenset[str],
    defaults: dict[str, Any],
    report: TrailReport,
) -> dict[str, Any] | None:
    """Walk the row's events newest first; the row's first state when no create event holds it."""
    state = now  # a fresh dict per row: replaying changes it in place
    for event_id, action, before, after in reversed(events):
        if before is None and after is not None and after.get("id") == row_id:
            created = {key: value for key, value in defaults.items() if key in state} | after
            unknown = untracked | (NAMED_SINCE - after.keys())
            if problem := _differs({k: v for k, v in state.items() if k not in unknown}, created, unknown):
                report.add(f"{name} {row_id}: {problem} (changed without an audit event)")
            return None
        moved = _changed_columns(action, before, after)
        if moved is None or before is None or after is None:
            continue
        moved = (moved & state.keys()) - untracked
        if problem := _differs({k: state[k] for k in moved}, {k: after.get(k) for k in moved}, untracked):
            report.add(f"{name} {row_id}: {problem} (changed without an audit event after event {event_id})")
            return None
        state.update({k: before.get(k) for k in moved})
    return state


def _differs(found: dict[str, Any], recorded: dict[str, Any], untracked: frozenset[str]) -> str:
    for key in sorted(found.keys() | (recorded.keys() - untracked)):
        if found.get(key) != recorded.get(key):
            return f"{key} is {found.get(key)!r} where its audit trail says {recorded.get(key)!r}"
    return ""


def _is_state(row_id: int, action: str, before: dict | None, after: dict | None) -> bool:
    created = before is None and after is not None and after.get("id") == row_id
    return created or _changed_columns(action, before, after) is not None


def _deleted(name: str, trail: tuple[int, list[_Event]], report: TrailReport) -> None:
    row_id, events = trail
    if any(_is_state(row_id, action, before, after) for _, action, before, after in events):
        report.add(f"{name} {row_id}: deleted (its audit trail records it)")
