"""One-line vitals entry as nurses say them: `128/82 76 98 14 5` (BP, HR, SpO2, RR, MOAA/S).

An optional sixth part is the temperature (`36.8`), and an optional leading `@HH:MM` gives the
time the reading was taken when it is typed later. Each part is checked on its own, so a
refusal names exactly the part that is wrong.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from console.domain.errors import InvalidInput
from console.domain.inputs import VitalsIn

PARTS = ("blood pressure", "heart rate", "SpO2", "respiratory rate", "MOAA/S")
# The fields typed after the blood pressure, in the line's order; the temperature may follow them.
AFTER_PRESSURE = ("heart_rate", "spo2", "resp_rate", "moaas")
FORMAT_HINT = "type BP HR SpO2 RR MOAA/S, e.g. 128/82 76 98 14 5"
_BP = re.compile(r"^(\d{2,3})/(\d{2,3})$")
_AT = re.compile(r"^@(\d{1,2}):?(\d{2})$")
_AT_DAY = re.compile(r"^@(\d{4}-\d{2}-\d{2})$")
_CLOCK = re.compile(r"^(\d{1,2}):?(\d{2})$")
# Baseline readings are often taken at the desk a few minutes before check-in is pressed.
BEFORE_CHECK_IN = timedelta(minutes=15)


@dataclass(frozen=True)
class SessionWindow:
    """When a session's readings can have been taken: its day, from check-in until discharge (or now)."""

    day: date
    start: datetime | None
    end: datetime

    @classmethod
    def of(
        cls, day: date, checked_in_at: datetime | None, discharged_at: datetime | None, now: datetime
    ) -> "SessionWindow":
        start = None if checked_in_at is None else checked_in_at - BEFORE_CHECK_IN
        return cls(day, start, discharged_at or now)

    def refuse_outside(self, at: datetime, zone: ZoneInfo, field: str, label: str) -> None:
        """InvalidInput naming the window when `at` is not within it."""
        if (self.start is None or at >= self.start) and at <= self.end + timedelta(minutes=5):
            return

        def shown(moment: datetime) -> str:
            return f"{moment.astimezone(zone):%d %b %H:%M %Z}"

        since = shown(self.start) if self.start is not None else "check-in"
        raise InvalidInput(
            field, f"{label}: {shown(at)} is outside this session ({since} to {shown(self.end)})."
        )


def parse_quick_vitals(line: str, now: datetime, zone: ZoneInfo, window: SessionWindow | None = None) -> dict:
    """Turn a typed line into VitalsIn fields, or raise InvalidInput naming the bad part.

    `@HH:MM` is a time on the session's day (`window.day`, today without one), `@YYYY-MM-DD HH:MM`
    a time on another day; with a `window`, a time outside the session is refused, naming it.
    """
    parts = line.replace(",", " ").split()
    measured_at = now
    if parts and _AT_DAY.match(parts[0]):
        day_part = parts.pop(0)
        clock = parts.pop(0) if parts else ""
        measured_at = _time_on(_day(day_part), f"@{clock}", now, zone)
    elif parts and parts[0].startswith("@"):
        measured_at = _time_on(window.day if window else None, parts.pop(0), now, zone)
        if window is not None and window.start is not None and measured_at < window.start:
            after_midnight = measured_at + timedelta(days=1)  # a session that ran past midnight
            if after_midnight <= now + timedelta(minutes=5):
                measured_at = after_midnight
    if window is not None:
        window.refuse_outside(measured_at, zone, "measured_at", "Measured at")
    if len(parts) > len(PARTS) + 1:
        raise InvalidInput(
            "quick_vitals", f"Vitals: too many parts; {FORMAT_HINT} (and optionally a temperature)."
        )
    # The parts typed are checked first: `1o` is a wrong blood pressure before it is a short line.
    values: dict = {"measured_at": measured_at}
    if parts:
        bp = _BP.match(parts[0])
        if not bp:
            raise InvalidInput(
                "systolic", f"Blood pressure: type systolic/diastolic, e.g. 128/82 (got {parts[0]!r})."
            )
        values |= {"systolic": bp[1], "diastolic": bp[2]}
    for name, text in zip(AFTER_PRESSURE, parts[1:5], strict=False):
        if not text.isdigit():
            field = VitalsIn.model_fields[name]
            raise InvalidInput(name, f"{field.title}: {field.description} (got {text!r}).")
        values[name] = text
    if len(parts) < len(PARTS):
        raise InvalidInput("quick_vitals", f"Vitals: {PARTS[len(parts)]} is missing; {FORMAT_HINT}.")
    if len(parts) == 6:
        values["temperature_c"] = parts[5]
    return values


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text[1:])
    except ValueError:
        raise InvalidInput(
            "measured_at", f"Measured at: type @YYYY-MM-DD HH:MM, e.g. @2026-11-28 10:45 (got {text!r})."
        ) from None


def _time_on(day: date | None, text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """`@HH:MM` on `day` (today when None) in the clinic's zone; never later than now."""
    match = _AT.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput("measured_at", f"Measured at: type @HH:MM, e.g. @10:45 (got {text!r}).")
    return _not_later_than_now(day, match, now, zone, "measured_at", "Measured at", shown=None)


def _not_later_than_now(
    day: date | None,
    match: re.Match,
    now: datetime,
    zone: ZoneInfo,
    field: str,
    label: str,
    shown: str | None,
) -> datetime:
    """The matched HH:MM on `day` (today when None) in the clinic's zone, refused when later than now."""
    local_now = now.astimezone(zone)
    at = datetime.combine(day or local_now.date(), time(int(match[1]), int(match[2])), tzinfo=zone)
    if at > local_now + timedelta(minutes=5):
        raise InvalidInput(field, f"{label}: {shown or f'{at:%d %b %H:%M}'} is later than now.")
    return at


def latest_clock_time(
    text: str, now: datetime, zone: ZoneInfo, field: str = "time", label: str = "Time"
) -> datetime | None:
    """`HH:MM` typed at the chair as its latest moment not after now: `23:40` typed at 00:15 is
    yesterday's, for a session that runs past midnight (the caller holds it to the session); blank
    is None."""
    match = _clock(text, field, label)
    if match is None:
        return None
    local_now = now.astimezone(zone)
    at = datetime.combine(local_now.date(), time(int(match[1]), int(match[2])), tzinfo=zone)
    return at - timedelta(days=1) if at > local_now + timedelta(minutes=5) else at


def clock_time_today(
    text: str, now: datetime, zone: ZoneInfo, field: str = "time", label: str = "Time"
) -> datetime | None:
    """`HH:MM` typed at the chair as a moment of today in the clinic's zone; blank is None."""
    match = _clock(text, field, label)
    return (
        None if match is None else _not_later_than_now(None, match, now, zone, field, label, shown=match[0])
    )


def _clock(text: str, field: str, label: str) -> re.Match | None:
    """`HH:MM` as typed (blank: None), or InvalidInput naming the field."""
    text = text.strip()
    if not text:
        return None
    match = _CLOCK.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(field, f"{label}: type HH:MM, e.g. 10:45 (got {text!r}).")
    return match
