"""Export times: the hour-by-hour shortcut writes exactly what the zone's rules give, whatever the zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.export.local_time import LocalTimes, as_utc

# Whole-hour offsets with DST, none, half- and quarter-hour offsets, a half-hour DST shift.
ZONES = ["America/Chicago", "UTC", "Europe/London", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"]
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1))


def expected(moment: datetime, zone: ZoneInfo) -> str:
    return moment.replace(tzinfo=UTC).astimezone(zone).isoformat(timespec="seconds")


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.lists(MOMENTS, min_size=1, max_size=20))
def test_every_form_of_a_stored_time_is_written_as_the_zone_says(
    zone_name: str, moments: list[datetime]
) -> None:
    zone = ZoneInfo(zone_name)
    times = LocalTimes(zone)  # one per file: the hours it learned serve the later values
    for moment in moments:
        stored_text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite holds it
        aware_elsewhere = moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
        for value in (moment, moment.replace(tzinfo=UTC), aware_elsewhere, stored_text):
            assert times(value) == expected(moment, zone), value
        assert as_utc(stored_text) == moment.replace(tzinfo=UTC)


def test_each_minute_around_a_change_of_clocks_is_written_with_its_own_offset() -> None:
    zone, times = ZoneInfo("America/Chicago"), LocalTimes(ZoneInfo("America/Chicago"))
    start = datetime(2026, 11, 1, 5, 0)  # 00:00 CDT; clocks go back at 07:00 UTC
    for minute in range(0, 5 * 60, 7):
        moment = start + timedelta(minutes=minute, seconds=minute % 60)
        assert times(moment) == expected(moment, zone)
        assert times(moment.strftime("%Y-%m-%d %H:%M:%S.%f")) == expected(moment, zone)


@settings(max_examples=200)
@given(st.sampled_from(ZONES), st.lists(st.one_of(st.none(), MOMENTS), max_size=30))
def test_a_column_of_times_is_written_value_by_value_as_one_time_is(
    zone_name: str, moments: list[datetime | None]
) -> None:
    zone = ZoneInfo(zone_name)
    stored = [None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f") for moment in moments]
    aware = [None if moment is None else moment.replace(tzinfo=UTC) for moment in moments]
    written = [None if moment is None else expected(moment, zone) for moment in moments]
    times = LocalTimes(zone)
    assert times.column(stored) == written  # the hours learned here serve the next column too
    assert times.column(aware) == written
    assert times.column(stored) == written


def test_times_are_written_the_same_once_the_hours_learned_are_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.export import local_time

    monkeypatch.setattr(local_time, "HOURS_KEPT", 2)  # forgets after every second new hour
    zone = ZoneInfo("America/Chicago")
    moments = [datetime(2026, 11, 1, 3) + timedelta(minutes=37 * n) for n in range(40)]
    times = LocalTimes(zone)
    stored = [moment.strftime("%Y-%m-%d %H:%M:%S.%f") for moment in moments]
    assert times.column(stored) == [expected(moment, zone) for moment in moments]
    assert [times(moment) for moment in moments] == [expected(moment, zone) for moment in moments]
    assert len(times._texts) <= 2 and len(times._hours) <= 2
