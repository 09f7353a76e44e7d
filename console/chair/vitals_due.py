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
    last_reading_alerted: bool = False,
) -> datetime | None:
    """The moment the next reading is due, or None when none is expected.

    A last reading past a hold or warning threshold (`last_reading_alerted`) brings the next one
    forward to the protocol's recheck time, before dosing as during it.
    """
    if status not in MONITORED or checked_in_at is None:
        return None
    recheck = None
    if last_reading_alerted and last_reading_at is not None:
        recheck = last_reading_at + timedelta(minutes=protocol.recheck_after_alert_min)
    if started_at is None:  # before dosing: one baseline reading, rechecked while it alerts
        if last_reading_at is None or last_reading_at < checked_in_at:
            return checked_in_at
        return recheck
    scheduled = _scheduled(method, started_at, last_reading_at, protocol)
    if recheck is None:
        return scheduled
    return recheck if scheduled is None else min(recheck, scheduled)


def _scheduled(
    method: Method, started_at: datetime, last_reading_at: datetime | None, protocol: Protocol
) -> datetime | None:
    if method == Method.IV:
        interval = timedelta(minutes=protocol.iv.vitals_interval_min)
        return max(started_at, last_reading_at or started_at) + interval
    points = [started_at + timedelta(minutes=m) for m in sorted(protocol.nasal.vitals_at_min)]
    points.append(started_at + timedelta(minutes=protocol.nasal.observation_min))  # before leaving
    for point in points:
        if last_reading_at is None or last_reading_at < point - EARLY_TOLERANCE:
            return point
    return None


def is_late(due: datetime | None, protocol: Protocol, now: datetime) -> bool:
    """A reading is overdue once it is more than the protocol's delay past its due time."""
    return due is not None and now > due + timedelta(minutes=protocol.overdue_after_min)


def describe_due(due: datetime | None, now: datetime, protocol: Protocol) -> str:
    """Words and a symbol, never colour alone: '⚠ OVERDUE 7 min', 'due 2 min ago', 'in 4 min'.

    Overdue only once the protocol's delay has passed, as the overdue alert is raised then too.
    """
    if due is None:
        return "—"
    minutes = int((due - now).total_seconds() // 60)
    if is_late(due, protocol, now):
        return f"⚠ OVERDUE {-minutes} min"
    if minutes < 0:
        return f"due {-minutes} min ago"
    if minutes == 0:
        return "due now"
    return f"in {minutes} min"
