"""Stored UTC timestamps written as the clinic's local time with its offset, quickly.

A five-year export writes millions of timestamps; converting each through the zone's rules was a
third of the CSV set's time. A zone's offset only changes on an hour boundary (for zones whose
offset is whole hours), so each UTC hour is converted once and its minutes and seconds copied (the
last thousand hours are kept: rows come in the order of their days).
A time may come as SQLite stores it, the UTC text '2026-11-26 15:04:05.000000', never parsed.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
HOURS_KEPT = 1024  # rows come in the order of their days, so the last few hundred hours serve them


def _keep_few(hours: dict) -> None:
    """Forget the hours learned so far when there are many: a five-year export meets 40,000 of them."""
    if len(hours) >= HOURS_KEPT:
        hours.clear()


def as_utc(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime: from SQLite's text, a naive (UTC) or an aware value."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class LocalTimes:
    """`times(value)` is `as_utc(value).astimezone(zone).isoformat(timespec="seconds")`."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._hours: dict[tuple[int, int, int, int], tuple[str, str] | None] = {}
        self._texts: dict[str, tuple[str, str] | None] = {}  # by the stored text's date and hour

    def __call__(self, value: datetime | str) -> str:
        if isinstance(value, str):
            return self._of_text(value)
        if value.tzinfo is not None and value.utcoffset():
            value = value.astimezone(UTC)  # as PostgreSQL may hand it over: in the session's zone
        key = (value.year, value.month, value.day, value.hour)
        try:
            hour = self._hours[key]
        except KeyError:
            _keep_few(self._hours)
            hour = self._hours[key] = self._hour(value)
        if hour is None:  # an offset of part of an hour, or one that changes within this hour
            return value.replace(tzinfo=UTC).astimezone(self.zone).isoformat(timespec="seconds")
        prefix, offset = hour
        return f"{prefix}:{value.minute:02d}:{value.second:02d}{offset}"

    def column(self, values: Iterable[datetime | str | None]) -> list[str | None]:
        """A column of times, each as `self(value)` writes it; None stays an empty cell. The common
        case, SQLite's text in an hour already converted, is inlined: a vitals file has millions."""
        hours: dict[str, tuple[str, str] | None] = self._texts
        written: list[str | None] = []
        for value in values:
            if isinstance(value, str) and (hour := hours.get(value[:13])) is not None and value[13:14] == ":":
                written.append(hour[0] + value[13:19] + hour[1])
            else:
                written.append(None if value is None else self(value))
        return written

    def _of_text(self, value: str) -> str:
        try:
            hour = self._texts[value[:13]]
        except KeyError:
            _keep_few(self._texts)
            hour = self._texts[value[:13]] = self._hour(as_utc(value))
        if hour is None or value[13:14] != ":":
            return as_utc(value).astimezone(self.zone).isoformat(timespec="seconds")
        prefix, offset = hour
        return prefix + value[13:19] + offset

    def _hour(self, value: datetime) -> tuple[str, str] | None:
        """The local date and hour ('2026-11-26T09') and offset ('-06:00') of this UTC hour."""
        start = value.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
        first = start.astimezone(self.zone)
        last = (start + HOUR - timedelta(microseconds=1)).astimezone(self.zone)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset % HOUR:
            return None
        text = first.isoformat(timespec="seconds")  # 2026-11-26T09:00:00-06:00
        return text[:13], text[19:]
