"""When the next vital-signs reading is due, from the clinic protocol (nothing clinical hard-coded)."""

from datetime import datetime, timedelta

from console.domain.protocol import Protocol
from console.domain.vocab import Method, SessionStatus

# A reading taken a little before the scheduled moment still counts for it.
EARLY_TOLERANCE = timedelta(minutes=5)
MONITORED = {SessionStatus.CHECKED_IN, SessionStatus.IN_TREATMENT, SessionStatus.OBSERVATION}


def next_vitals_due(
    *,
    method: Method,
    status: SessionStatus,
    checked_in_at: datetime | None,
    started_at: datetime | None,
    last_reading_at: datetime | None,
    protocol: Protocol,
) -> datetime | None:
    """The moment the next reading is due, or None when none is expected."""
    if status not in MONITORED or checked_in_at is None:
        return None
    if started_at is None:  # before dosing: one baseline reading
        return checked_in_at if last_reading_at is None or last_reading_at < checked_in_at else None
    if method == Method.IV:
        interval = timedelta(minutes=protocol.iv.vitals_interval_min)
        return max(started_at, last_reading_at or started_at) + interval
    points = [started_at + timedelta(minutes=m) for m in sorted(protocol.nasal.vitals_at_min)]
    points.append(started_at + timedelta(minutes=protocol.nasal.observation_min))  # before leaving
    for point in points:
        if last_reading_at is None or last_reading_at < point - EARLY_TOLERANCE:
            return point
    return None


def describe_due(due: datetime | None, now: datetime) -> str:
    """Words and a symbol, never colour alone: '⚠ OVERDUE 7 min', 'in 4 min', 'now'."""
    if due is None:
        return "—"
    minutes = int((due - now).total_seconds() // 60)
    if minutes < 0:
        return f"⚠ OVERDUE {-minutes} min"
    if minutes == 0:
        return "due now"
    return f"in {minutes} min"
