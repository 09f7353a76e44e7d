"""Chair-side logic without the UI: quick vitals lines, pain change classes, when vitals are due."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.chair.vitals_due import describe_due, next_vitals_due
from console.domain.errors import InvalidInput
from console.domain.inputs import VitalsIn, parse
from console.domain.pain import PainChange, PainChangeClass
from console.domain.protocol import Protocol
from console.domain.quick_vitals import parse_quick_vitals
from console.domain.vocab import Method, SessionStatus

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/Chicago")


def test_quick_line_becomes_a_reading() -> None:
    values = parse(VitalsIn, parse_quick_vitals("128/82 76 98 14 5", NOW, ZONE))
    assert (
        values.systolic,
        values.diastolic,
        values.heart_rate,
        values.spo2,
        values.resp_rate,
        values.moaas,
    ) == (128, 82, 76, 98, 14, 5)
    assert values.measured_at == NOW and values.temperature_c is None


def test_quick_line_with_time_and_temperature() -> None:
    values = parse(VitalsIn, parse_quick_vitals("@9:45 130/85 80 97 16 4 36.9", NOW, ZONE))
    assert values.measured_at == datetime(2026, 11, 26, 9, 45, tzinfo=ZONE) and values.temperature_c == 36.9


@pytest.mark.parametrize(
    "line, field, says",
    [
        ("", "quick_vitals", "blood pressure is missing"),
        ("128/82 76 98", "quick_vitals", "respiratory rate"),
        ("12882 76 98 14 5", "systolic", "systolic/diastolic"),
        ("128/82 7x 98 14 5", "heart_rate", "Heart rate"),
        ("1o", "systolic", "got '1o'"),  # a typed part is checked before the line is called short
        ("128/82 7o", "heart_rate", "got '7o'"),
        ("128/82 76 98 14 5 36 9", "quick_vitals", "too many"),
        ("@25:00 128/82 76 98 14 5", "measured_at", "@HH:MM"),
        ("@11:00 128/82 76 98 14 5", "measured_at", "later than now"),
    ],
)
def test_quick_line_refusals_name_the_part(line: str, field: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_quick_vitals(line, NOW, ZONE)
    assert refused.value.field == field and says in str(refused.value)


def test_out_of_range_part_is_refused_by_the_input_model() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(VitalsIn, parse_quick_vitals("128/82 76 101 14 5", NOW, ZONE))
    assert refused.value.field == "spo2" and "50 to 100" in str(refused.value)


@given(st.text(max_size=60))
def test_any_line_is_a_reading_or_a_clear_refusal(line: str) -> None:
    try:
        parse(VitalsIn, parse_quick_vitals(line, NOW, ZONE))
    except InvalidInput as refused:
        assert refused.field and str(refused)


@pytest.mark.parametrize(
    "before, after, klass",
    [
        (8, 4, PainChangeClass.SUBSTANTIAL),
        (10, 7, PainChangeClass.MODERATE),
        (10, 8, PainChangeClass.MINIMAL),
        (6, 6, PainChangeClass.NONE),
        (5, 7, PainChangeClass.WORSE),
        (0, 0, PainChangeClass.NONE),
        (0, 2, PainChangeClass.WORSE),
        (7, 5, PainChangeClass.MINIMAL),
        (6, 3, PainChangeClass.SUBSTANTIAL),
    ],
)
def test_immpact_classes(before: int, after: int, klass: PainChangeClass) -> None:
    assert PainChange(before, after).klass is klass


def test_pain_change_wording() -> None:
    assert PainChange(8, 4).describe() == "8 → 4 (-4, +50% relief): substantial"


def _due(
    method: Method,
    status: SessionStatus,
    started_offset: int | None,
    last_offset: int | None,
    protocol: Protocol | None = None,
    alerted: bool = False,
) -> datetime | None:
    checked_in = NOW - timedelta(minutes=90)
    started = None if started_offset is None else NOW + timedelta(minutes=started_offset)
    last = None if last_offset is None else NOW + timedelta(minutes=last_offset)
    return next_vitals_due(
        method=method,
        status=status,
        checked_in_at=checked_in,
        started_at=started,
        last_reading_at=last,
        protocol=protocol or Protocol(),
        last_reading_alerted=alerted,
    )


def test_iv_vitals_every_interval_after_the_last_reading() -> None:
    assert _due(Method.IV, SessionStatus.IN_TREATMENT, -30, -10) == NOW + timedelta(minutes=5)
    assert _due(Method.IV, SessionStatus.IN_TREATMENT, -3, -20) == NOW + timedelta(minutes=12)
    assert (
        _due(Method.IV, SessionStatus.IN_TREATMENT, -30, -10, Protocol(iv={"vitals_interval_min": 10})) == NOW
    )


def test_baseline_due_at_check_in_then_nothing_until_dosing() -> None:
    assert _due(Method.IV, SessionStatus.CHECKED_IN, None, None) == NOW - timedelta(minutes=90)
    assert _due(Method.NASAL, SessionStatus.CHECKED_IN, None, -5) is None


def test_nasal_schedule_follows_the_protocol() -> None:
    assert _due(Method.NASAL, SessionStatus.IN_TREATMENT, -10, -12) == NOW + timedelta(minutes=30)  # 40 min
    assert _due(Method.NASAL, SessionStatus.OBSERVATION, -50, -11) == NOW + timedelta(
        minutes=70
    )  # before leaving
    assert _due(Method.NASAL, SessionStatus.OBSERVATION, -125, -1) is None


def test_no_vitals_due_when_not_in_the_chair() -> None:
    for status in (SessionStatus.SCHEDULED, SessionStatus.DISCHARGED, SessionStatus.NO_SHOW):
        assert _due(Method.IV, status, -30, -10) is None


def test_due_is_described_in_words() -> None:
    protocol = Protocol()
    assert describe_due(NOW - timedelta(minutes=7), NOW, protocol) == "⚠ OVERDUE 7 min"
    assert describe_due(NOW + timedelta(minutes=4, seconds=30), NOW, protocol) == "in 4 min"
    assert describe_due(None, NOW, protocol) == "—"


def test_a_reading_is_not_called_overdue_before_the_protocol_says_so() -> None:
    """Right after check-in the board said '⚠ OVERDUE 1 min' though the protocol allows 5."""
    protocol = Protocol()
    assert describe_due(NOW - timedelta(minutes=1), NOW, protocol) == "due 1 min ago"
    assert describe_due(NOW - timedelta(minutes=5), NOW, protocol) == "due 5 min ago"
    assert describe_due(NOW - timedelta(minutes=6), NOW, protocol) == "⚠ OVERDUE 6 min"
    assert describe_due(NOW - timedelta(minutes=1), NOW, Protocol(overdue_after_min=0)) == "⚠ OVERDUE 1 min"


def test_a_reading_past_a_threshold_brings_the_next_one_forward() -> None:
    """After a hold-level BP (182/112) the next reading was still due in 7 minutes."""
    iv = Protocol(iv={"vitals_interval_min": 15})
    assert _due(Method.IV, SessionStatus.IN_TREATMENT, -30, -8, iv) == NOW + timedelta(minutes=7)
    assert _due(Method.IV, SessionStatus.IN_TREATMENT, -30, -8, iv, alerted=True) == NOW - timedelta(
        minutes=3
    )
    sooner = Protocol(recheck_after_alert_min=10)
    assert _due(Method.IV, SessionStatus.IN_TREATMENT, -30, -8, sooner, alerted=True) == NOW + timedelta(
        minutes=2
    )
    # before dosing: a baseline past a threshold is rechecked, one within them asks for nothing more
    assert _due(Method.IV, SessionStatus.CHECKED_IN, None, -8, alerted=True) == NOW - timedelta(minutes=3)
    assert _due(Method.IV, SessionStatus.CHECKED_IN, None, -8) is None
    # nasal: the recheck comes before the next fixed point
    assert _due(Method.NASAL, SessionStatus.IN_TREATMENT, -10, -8, alerted=True) == NOW - timedelta(minutes=3)


def test_a_time_typed_for_an_earlier_days_session_is_that_sessions_time() -> None:
    """`@10:45` on a 28 Nov session stored 30 Nov 10:45; `@18:45` was refused as later than now."""
    from console.domain.quick_vitals import SessionWindow

    now = datetime(2026, 11, 30, 14, 0, tzinfo=ZONE)
    window = SessionWindow.of(
        date(2026, 11, 28),
        datetime(2026, 11, 28, 9, 55, tzinfo=ZONE),
        datetime(2026, 11, 28, 19, 10, tzinfo=ZONE),
        now,
    )
    at = parse_quick_vitals("@10:45 128/82 76 98 14 5", now, ZONE, window)["measured_at"]
    assert at == datetime(2026, 11, 28, 10, 45, tzinfo=ZONE)
    late = parse_quick_vitals("@18:45 128/82 76 98 14 5", now, ZONE, window)["measured_at"]
    assert late == datetime(2026, 11, 28, 18, 45, tzinfo=ZONE)
    dated = parse_quick_vitals("@2026-11-28 11:05 128/82 76 98 14 5", now, ZONE, window)["measured_at"]
    assert dated == datetime(2026, 11, 28, 11, 5, tzinfo=ZONE)
    for outside in ("@08:00 128/82 76 98 14 5", "@2026-11-29 10:00 128/82 76 98 14 5", "128/82 76 98 14 5"):
        with pytest.raises(
            InvalidInput, match=r"outside this session \(28 Nov 09:40 CST to 28 Nov 19:10 CST\)"
        ):
            parse_quick_vitals(outside, now, ZONE, window)
    with pytest.raises(InvalidInput, match="@YYYY-MM-DD HH:MM"):
        parse_quick_vitals("@2026-13-28 10:00 128/82 76 98 14 5", now, ZONE, window)


@given(minutes=st.integers(0, 600))
def test_iv_hours_follow_the_tables_time_rules(minutes: int) -> None:
    from console.domain.billing import iv_hours
    from console.domain.protocol import BillingCodes

    first, additional = iv_hours(minutes, BillingCodes())
    assert first == (1 if minutes >= 16 else 0)
    beyond = minutes - 60
    assert additional == (0 if beyond <= 30 else beyond // 60 + (1 if beyond % 60 > 30 else 0))


@pytest.mark.parametrize(
    "minutes, units",
    [(15, (0, 0)), (16, (1, 0)), (60, (1, 0)), (90, (1, 0)), (91, (1, 1)), (150, (1, 1)), (151, (1, 2))],
)
def test_iv_hours_at_the_edges(minutes: int, units: tuple[int, int]) -> None:
    from console.domain.billing import iv_hours
    from console.domain.protocol import BillingCodes

    assert iv_hours(minutes, BillingCodes()) == units


def test_a_series_change_compares_pain_before_with_pain_before_never_with_after() -> None:
    """IMMPACT: 8 before the first session and 6 before the latest is the sustained change (25 %);
    the latest session's 6 -> 2 is its immediate relief. Before, 8 -> 2 was called substantial."""
    from console.review.trajectory import Series, Visit

    def visit(number: int, before: int, after: int) -> Visit:
        return Visit(
            number,
            date(2026, 11, number),
            Method.IV,
            SessionStatus.DISCHARGED,
            number,
            6,
            before,
            after,
            (),
            None,
            True,
        )

    series = Series((visit(1, 8, 4), visit(2, 7, 3), visit(3, 6, 2)))
    assert series.change_from_baseline == PainChange(8, 6)
    assert series.latest_session == PainChange(6, 2)
    described = series.describe(1)
    assert (
        "sustained (pain before): 8 → 6 (+25% relief)" in described and "latest session: 6 → 2" in described
    )
    assert Series((visit(1, 8, 4),)).change_from_baseline is None  # one session has no sustained change yet


def test_a_reading_typed_after_midnight_for_a_session_that_began_before_it_is_the_nights() -> None:
    from console.domain.quick_vitals import SessionWindow

    now = datetime(2026, 12, 8, 0, 30, tzinfo=ZONE)
    window = SessionWindow.of(date(2026, 12, 7), datetime(2026, 12, 7, 23, 20, tzinfo=ZONE), None, now)
    late = parse_quick_vitals("@00:20 128/82 76 98 14 5", now, ZONE, window)["measured_at"]
    assert late == datetime(2026, 12, 8, 0, 20, tzinfo=ZONE)
    evening = parse_quick_vitals("@23:45 128/82 76 98 14 5", now, ZONE, window)["measured_at"]
    assert evening == datetime(2026, 12, 7, 23, 45, tzinfo=ZONE)
    with pytest.raises(InvalidInput, match="outside this session"):
        parse_quick_vitals("@22:00 128/82 76 98 14 5", now, ZONE, window)
