"""Overdue vital signs: a stored alert when a reading is late, closed by the next reading.

Whoever looks first raises it: loading the day's board (`board_for`) or one session
(`session_view_for`) stores the alert, so it exists whether or not a board is open anywhere. Late
readings are found from what is loaded anyway; only a session without an open overdue alert costs
a write, so the 2-second refresh stays a read.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from console.chair.alerts import close_alert
from console.chair.board import BoardRow, day_sessions
from console.chair.session_view import SessionView, load_session_view, read_session_view
from console.chair.vitals_due import is_late
from console.domain.actors import Actor
from console.domain.alert_rules import AlertRule
from console.domain.protocol import Protocol
from console.store.database import Database
from console.store.models import Alert
from console.store.rows import insert
from console.store.session_lock import open_for_change

SYSTEM = Actor.system("chairside")


def overdue(rows: list[BoardRow], protocol: Protocol, now: datetime) -> dict[int, datetime]:
    """Session id → when its reading was due, for every reading later than the protocol allows."""
    found: dict[int, datetime] = {}
    for row in rows:
        due = row.vitals_due(protocol)
        if due is not None and is_late(due, protocol, now):
            found[row.session_id] = due
    return found


def _open_overdue(session: Session, session_ids: Iterable[int]) -> set[int]:
    query = select(Alert.session_id).where(
        col(Alert.session_id).in_(list(session_ids)),
        Alert.rule == AlertRule.VITALS_OVERDUE,
        col(Alert.acknowledged_at).is_(None),
    )
    return set(session.exec(query).all())


def flag_overdue(db: Database, late_sessions: Iterable[int], protocol: Protocol, zone: ZoneInfo) -> list[int]:
    """Store an overdue alert for each late session that has none open; the sessions newly flagged.

    `late_sessions` were found late from rows read earlier; each session is looked at again under
    its lock, so a reading stored meanwhile (here or at another workstation) raises nothing.
    """
    candidates = set(late_sessions)
    if not candidates:
        return []
    with db.read() as session:
        missing = candidates - _open_overdue(session, candidates)
    flagged = []
    for session_id in sorted(missing):
        with db.write() as session:
            open_for_change(session, session_id)  # one workstation flags it; the others see it open
            if _open_overdue(session, [session_id]):
                continue
            now = db.clock.now()
            due = read_session_view(session, session_id).vitals_due(protocol)
            if due is None or not is_late(due, protocol, now):
                continue
            alert = Alert(
                session_id=session_id,
                rule=AlertRule.VITALS_OVERDUE,
                value=f"due {due.astimezone(zone):%H:%M}",
                message=f"vital signs overdue: due at {due.astimezone(zone):%H:%M}, none recorded since",
                raised_at=now,
            )
            insert(session, alert, actor=SYSTEM, action="alert.raise", at=now)
            flagged.append(session_id)
    return flagged


def close_overdue(session: Session, actor: Actor, user_id: int, session_id: int, at: datetime) -> None:
    """A reading was recorded: the session's overdue alert is closed by it, in the same transaction."""
    for alert in session.exec(
        select(Alert).where(
            Alert.session_id == session_id,
            Alert.rule == AlertRule.VITALS_OVERDUE,
            col(Alert.acknowledged_at).is_(None),
        )
    ).all():
        close_alert(session, actor, user_id, alert, "closed by the next reading", at)


@dataclass(frozen=True)
class Board:
    """The day's rows, counting the alerts this look raised, and the sessions it newly flagged."""

    rows: list[BoardRow]
    newly_overdue: list[int]


def board_for(db: Database, day: date, protocol: Protocol, zone: ZoneInfo) -> Board:
    """The day's board, after storing an overdue alert for every reading later than the protocol allows."""
    rows = day_sessions(db, day)
    flagged = flag_overdue(db, overdue(rows, protocol, db.clock.now()), protocol, zone)
    if flagged:
        rows = day_sessions(db, day)  # with the new alerts counted
    return Board(rows, flagged)


def session_view_for(db: Database, session_id: int, protocol: Protocol, zone: ZoneInfo) -> SessionView:
    """One session as its screen shows it, after storing its overdue alert if its reading is late."""
    view = load_session_view(db, session_id)
    due = view.vitals_due(protocol)
    if due is None or not is_late(due, protocol, db.clock.now()):
        return view
    # Already flagged is the common case while a screen reloads: no query for it.
    if any(a.rule == AlertRule.VITALS_OVERDUE and a.acknowledged_at is None for a in view.alerts):
        return view
    if flag_overdue(db, [session_id], protocol, zone):
        view = load_session_view(db, session_id)  # with the new alert
    return view
