"""The drug a patient has had lately: mg in 7 and 30 days and this series, in the session header,
and the protocol's 7-day cap held by the dose service and by `audit rules`, on both backends."""

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from console.chair import charting
from console.chair.exposure import Exposure
from console.chair.overrides import record_override
from console.chair.session_guide import header
from console.chair.session_view import load_session_view
from console.clinic.clinic_protocol import set_protocol
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import InvalidInput
from console.domain.protocol import Protocol
from console.review.record_rules import broken_rules
from console.store.database import Database
from tests.factories import checked_in_session, iv_dose_data, nasal_dose_data, rems_enrolled, vitals_data

CAPPED = Protocol(version="week-cap-1", nasal={"max_mg_7_days": 112})


def _nasal_session(db: Database, nurse: Actor, at: str, protocol: Protocol) -> int:
    row = checked_in_session(db, nurse, method="nasal_spray", protocol=protocol, at=at)
    rems_enrolled(db, nurse, row.id)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    return row.id


def _devices(db: Database, mg: int) -> dict[str, object]:
    return nasal_dose_data(db, dose_mg=mg, device_count=mg // 28, drawn_mg=mg)


def _given_56_then_booked_again(db: Database, staff: dict[str, Actor]) -> tuple[int, int]:
    """Under the capped protocol (112 mg in 7 days): a nasal session given 56 mg at 08:00, and the
    patient's second session of the day at 12:00, ready for its dose."""
    set_protocol(db, staff["office"], CAPPED)
    first = _nasal_session(db, staff["nina"], "08:00", CAPPED)
    charting.record_dose(db, staff["nina"], first, _devices(db, 56), CAPPED)
    return first, _nasal_session(db, staff["nina"], "12:00", CAPPED)


def test_the_header_says_what_was_given_in_7_and_30_days_and_this_series(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    first = _nasal_session(db, nurse, "08:00", Protocol())
    charting.record_dose(db, nurse, first, _devices(db, 56))
    second = _nasal_session(db, nurse, "12:00", Protocol())
    charting.record_dose(db, nurse, second, _devices(db, 84))
    view = load_session_view(db, second)
    assert view.exposure == Exposure("esketamine", 140, 140, 140)
    assert (
        "Esketamine given: 140 mg in 7 days · 140 mg in 30 days · 140 mg this series"
        in header(view, Protocol()).details
    )


def test_a_dose_past_the_protocols_7_day_cap_waits_for_a_physicians_override(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    _, second = _given_56_then_booked_again(db, staff)
    with pytest.raises(
        InvalidInput,
        match=re.escape(
            "Devices: 84 mg makes 140 mg in the 7 days ending 26 Nov 2026, above the protocol's "
            "112 mg in 7 days; a physician override with a reason is needed to give it."
        ),
    ) as refused:
        charting.record_dose(db, nurse, second, _devices(db, 84), CAPPED)
    assert refused.value.field == "device_count"
    assert charting.record_dose(db, nurse, second, _devices(db, 56), CAPPED).dose_mg == 56  # 112: at the cap


def test_the_override_lets_the_dose_go_and_audit_rules_accepts_it(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    _, second = _given_56_then_booked_again(db, staff)
    record_override(
        db, staff["priya"], second, "dose_range", "Acute suicidal ideation: 84 mg per plan", CAPPED
    )
    assert charting.record_dose(db, nurse, second, _devices(db, 84), CAPPED).dose_mg == 84
    assert [b for b in broken_rules(db, CAPPED) if b.rule == "dose outside the protocol's range"] == []


@pytest.mark.breaks_rules
def test_a_dose_past_the_7_day_cap_written_behind_the_services_is_found(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    first, second = _given_56_then_booked_again(db, staff)
    charting.record_dose(db, nurse, second, _devices(db, 56), CAPPED)
    with db.engine.begin() as connection:  # a third device added by hand to the second session's dose
        connection.execute(
            text(
                "UPDATE dose_administration SET dose_mg = 84, drawn_mg = 84, device_count = 3"
                " WHERE session_id = :sid"
            ),
            {"sid": second},
        )
    found = {
        (b.session_id, b.detail)
        for b in broken_rules(db, CAPPED)
        if b.rule == "dose outside the protocol's range"
    }
    week = "140 mg in the 7 days ending 26 Nov 2026, above the protocol's 112 mg in 7 days"
    assert found == {(first, f"Devices: 56 mg makes {week}"), (second, f"Devices: 84 mg makes {week}")}


@pytest.mark.parametrize("section, value", [("nasal", 196), ("nasal", -1), ("iv", 5001)])
def test_a_7_day_cap_beyond_the_label_or_below_zero_is_refused(section: str, value: float) -> None:
    with pytest.raises(ValidationError, match="max_mg_7_days"):
        Protocol.model_validate({section: {"max_mg_7_days": value}})


CAPPED_IV = Protocol(version="week-cap-iv", iv={"max_mg_7_days": 60})


def _iv_session(db: Database, nurse: Actor, days_ago: int = 0, at: str = "09:00") -> int:
    """An IV session checked in on a day `days_ago`, with its baseline reading."""
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(days=-days_ago)
    try:
        row = checked_in_session(db, nurse, protocol=CAPPED_IV, at=at)
        charting.record_vitals(db, nurse, row.id, vitals_data(db))
        return row.id
    finally:
        db.clock.advance(days=days_ago)


def test_a_dose_to_an_earlier_booking_the_same_day_counts_the_later_bookings_dose(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    set_protocol(db, staff["office"], CAPPED_IV)
    early, late = _iv_session(db, nurse, at="08:00"), _iv_session(db, nurse, at="13:00")
    charting.record_dose(db, nurse, late, iv_dose_data(db), CAPPED_IV)  # 35 mg, given first
    with pytest.raises(InvalidInput, match=re.escape("makes 70 mg in the 7 days ending 26 Nov 2026")):
        charting.record_dose(db, nurse, early, iv_dose_data(db), CAPPED_IV)


def test_a_dose_entered_late_for_yesterday_counts_in_todays_week(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    set_protocol(db, staff["office"], CAPPED_IV)
    yesterday, today = _iv_session(db, nurse, days_ago=1), _iv_session(db, nurse)
    charting.record_dose(db, nurse, today, iv_dose_data(db), CAPPED_IV)
    given_then = db.clock.now() - timedelta(days=1)
    with pytest.raises(InvalidInput, match=re.escape("makes 70 mg in the 7 days ending 26 Nov 2026")):
        charting.record_dose(db, nurse, yesterday, iv_dose_data(db, administered_at=given_then), CAPPED_IV)


def test_a_week_is_7_days_a_dose_8_days_before_is_outside_it(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    set_protocol(db, staff["office"], CAPPED_IV)
    before, today = _iv_session(db, nurse, days_ago=7), _iv_session(db, nurse)
    given_then = db.clock.now() - timedelta(days=7)
    charting.record_dose(db, nurse, before, iv_dose_data(db, administered_at=given_then), CAPPED_IV)
    assert charting.record_dose(db, nurse, today, iv_dose_data(db), CAPPED_IV).dose_mg == 35
    assert load_session_view(db, today).exposure == Exposure("ketamine", 35, 70, 70)
