"""One-line vitals entry as nurses say them: `128/82 76 98 14 5` (BP, HR, SpO2, RR, MOAA/S).

An optional sixth part is the temperature (`36.8`), and an optional leading `@HH:MM` gives the
time the reading was taken when it is typed later. Each part is checked on its own, so a
refusal names exactly the part that is wrong.
"""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from console.domain.errors import InvalidInput
from console.domain.inputs import VitalsIn

PARTS = ("blood pressure", "heart rate", "SpO2", "respiratory rate", "MOAA/S")
FORMAT_HINT = "type BP HR SpO2 RR MOAA/S, e.g. 128/82 76 98 14 5"
_BP = re.compile(r"^(\d{2,3})/(\d{2,3})$")
_AT = re.compile(r"^@(\d{1,2}):?(\d{2})$")
_CLOCK = re.compile(r"^(\d{1,2}):?(\d{2})$")


def parse_quick_vitals(line: str, now: datetime, zone: ZoneInfo) -> dict:
    """Turn a typed line into VitalsIn fields, or raise InvalidInput naming the bad part."""
    parts = line.replace(",", " ").split()
    measured_at = now
    if parts and parts[0].startswith("@"):
        measured_at = _time_today(parts.pop(0), now, zone)
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
    for name, text in zip(("heart_rate", "spo2", "resp_rate", "moaas"), parts[1:5], strict=False):
        if not text.isdigit():
            field = VitalsIn.model_fields[name]
            raise InvalidInput(name, f"{field.title}: {field.description} (got {text!r}).")
        values[name] = text
    if len(parts) < len(PARTS):
        raise InvalidInput("quick_vitals", f"Vitals: {PARTS[len(parts)]} is missing; {FORMAT_HINT}.")
    if len(parts) == 6:
        values["temperature_c"] = parts[5]
    return values


def _time_today(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    if not _AT.match(text):
        raise InvalidInput("measured_at", f"Measured at: type @HH:MM, e.g. @10:45 (got {text!r}).")
    try:
        at = clock_time_today(text[1:], now, zone, field="measured_at", label="Measured at")
    except InvalidInput as refused:
        if "later than now" in str(refused):
            raise
        raise InvalidInput("measured_at", f"Measured at: type @HH:MM, e.g. @10:45 (got {text!r}).") from None
    if at is None:  # not after _AT matched digits; refused all the same rather than assumed
        raise InvalidInput("measured_at", f"Measured at: type @HH:MM, e.g. @10:45 (got {text!r}).")
    return at


def clock_time_today(
    text: str, now: datetime, zone: ZoneInfo, field: str = "time", label: str = "Time"
) -> datetime | None:
    """`HH:MM` typed at the chair as a moment of today in the clinic's zone; blank is None."""
    text = text.strip()
    if not text:
        return None
    match = _CLOCK.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(field, f"{label}: type HH:MM, e.g. 10:45 (got {text!r}).")
    local_now = now.astimezone(zone)
    at = datetime.combine(local_now.date(), time(int(match[1]), int(match[2])), tzinfo=zone)
    if at > local_now + timedelta(minutes=5):
        raise InvalidInput(field, f"{label}: {text} is later than now.")
    return at
