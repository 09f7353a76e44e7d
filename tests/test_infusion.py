"""A running IV infusion: pause, resume, rate change, stop, and the amount actually given."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from console.chair import charting
from console.chair.infusion import infusion_state, record_infusion_event
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import InvalidInput, NotAllowed
from console.store.database import Database
from console.store.models import DoseAdministration, InfusionEvent
from tests.factories import checked_in_session, iv_dose_data, nasal_dose_data, rems_enrolled


def _running_dose(db: Database, staff: dict[str, Actor]) -> tuple[DoseAdministration, datetime]:
    row = checked_in_session(db, staff["nina"])
    start = db.clock.now()
    dose = charting.record_dose(db, staff["nina"], row.id, iv_dose_data(db, administered_at=start))
    return dose, start


def _event(
    db: Database,
    staff: dict[str, Actor],
    dose: DoseAdministration,
    kind: str,
    minutes: float,
    rate: float | None = None,
) -> InfusionEvent:
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=minutes)
    return record_infusion_event(
        db, staff["nina"], dose.id, {"kind": kind, "at": db.clock.now(), "rate_mg_per_kg_h": rate}
    )


def test_given_amount_follows_pauses_and_rate_changes(db: Database, staff: dict[str, Actor]) -> None:
    dose, _ = _running_dose(db, staff)  # 0.5 mg/kg/h, 70 kg = 35 mg/h
    _event(db, staff, dose, "pause", 30)  # 17.5 mg
    _event(db, staff, dose, "resume", 10)  # nothing while paused
    _event(db, staff, dose, "rate_change", 12, rate=1.0)  # 0.2 h x 35 = 7 mg
    _event(db, staff, dose, "stop", 30)  # 0.5 h x 70 = 35 mg
    with db.read() as session:
        stored = session.get(DoseAdministration, dose.id)
        events = list(session.exec(select(InfusionEvent).where(InfusionEvent.dose_id == dose.id)))
    assert stored is not None
    state = infusion_state(stored, events, db.clock.now() + timedelta(hours=1))
    assert state.state == "stopped" and state.given_mg == pytest.approx(59.5)
    assert stored.stopped_at == db.clock.now() and [e.kind for e in events] == [
        "pause",
        "resume",
        "rate_change",
        "stop",
    ]


def test_a_new_rate_is_held_to_the_protocols_range_until_a_physician_sets_it_aside(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.chair.overrides import record_override
    from console.domain.protocol import Protocol

    dose, _ = _running_dose(db, staff)
    for rate in (0.4, 2.5):
        with pytest.raises(
            InvalidInput, match=f"New rate: {rate:g} mg/kg/h is outside the protocol's 0.5-2"
        ) as no:
            _event(db, staff, dose, "rate_change", 5, rate=rate)
        assert no.value.field == "rate_mg_per_kg_h"
    assert _event(db, staff, dose, "rate_change", 1, rate=2).rate_mg_per_kg_h == 2  # the range's edge
    record_override(
        db, staff["priya"], dose.session_id, "dose_range", "Pain 9/10 at 2 mg/kg/h; 2.5 agreed", Protocol()
    )
    assert _event(db, staff, dose, "rate_change", 5, rate=2.5).rate_mg_per_kg_h == 2.5


def test_events_out_of_order_are_refused(db: Database, staff: dict[str, Actor]) -> None:
    dose, _ = _running_dose(db, staff)
    with pytest.raises(NotAllowed, match="cannot resume an infusion that is running"):
        _event(db, staff, dose, "resume", 5)
    with pytest.raises(InvalidInput) as refused:
        _event(db, staff, dose, "rate_change", 5)
    assert refused.value.field == "rate_mg_per_kg_h"
    with pytest.raises(InvalidInput):
        _event(db, staff, dose, "rate_change", 0, rate=11)
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=60)
    _event(db, staff, dose, "stop", 5)  # the planned dose given: a stop like any other
    with pytest.raises(NotAllowed, match="stopped"):
        _event(db, staff, dose, "pause", 5)
    with pytest.raises(InvalidInput, match="future"):
        record_infusion_event(
            db, staff["nina"], dose.id, {"kind": "pause", "at": db.clock.now() + timedelta(hours=1)}
        )


def test_a_nasal_dose_has_no_infusion(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"], method="nasal_spray")
    rems_enrolled(db, staff["nina"], row.id)
    dose = charting.record_dose(db, staff["nina"], row.id, nasal_dose_data(db))
    with pytest.raises(NotAllowed, match="only an IV infusion"):
        _event(db, staff, dose, "pause", 1)


def test_an_infusion_stopped_early_keeps_its_plan_records_what_was_given_and_wastes_the_rest(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Stopped at minute 4 of 60, the only way through was to rewrite the plan to 4 minutes, and the
    witness stayed on a waste he never saw."""
    from console.chair.discharge_gate import given_mg, unreconciled
    from console.domain.protocol import Protocol

    dose, _ = _running_dose(db, staff)  # 35 mg planned over 60 min; drawn 50, 15 wasted before marcus
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=4)  # 35 mg/h for 4 min: 2.3 mg given
    stop = {"kind": "stop", "at": db.clock.now()}
    with pytest.raises(InvalidInput, match=r"2\.3 of 35 mg planned was given; say why") as refused:
        record_infusion_event(db, staff["nina"], dose.id, stop)
    assert refused.value.field == "stop_reason"
    stop |= {"stop_reason": "Patient asked to stop: dysphoria"}
    with pytest.raises(InvalidInput, match="confirms with their password or PIN"):
        record_infusion_event(db, staff["nina"], dose.id, stop | {"witness": "marcus"})
    event = record_infusion_event(
        db, staff["nina"], dose.id, stop | {"witness": "marcus", "witness_secret": "long enough pw"}
    )
    assert (event.stop_reason, event.wasted_mg, event.witness_id) == (
        "Patient asked to stop: dysphoria",
        32.7,  # drawn 50 - given 2.3 - wasted 15 at drawing
        staff["marcus"].user_id,
    )
    with db.read() as session:
        stored = session.get(DoseAdministration, dose.id)
        events = list(session.exec(select(InfusionEvent).where(InfusionEvent.dose_id == dose.id)))
    assert stored is not None
    # The plan and the waste witnessed at drawing stay as they were; what was given is worked out.
    assert (stored.dose_mg, stored.planned_duration_min, stored.wasted_mg, stored.version) == (35, 60, 15, 1)
    assert given_mg(stored, events) == pytest.approx(2.3)
    assert unreconciled([stored], events, Protocol()) == []


def test_an_infusion_that_ran_its_course_stops_without_questions(
    db: Database, staff: dict[str, Actor]
) -> None:
    dose, _ = _running_dose(db, staff)
    event = _event(db, staff, dose, "stop", 60)
    assert (event.stop_reason, event.wasted_mg, event.witness_id) == (None, None, None)


def test_the_database_refuses_stop_details_that_cannot_be_true(db: Database, staff: dict[str, Actor]) -> None:
    """A waste at the stop without a witness, or stop details on a pause, are refused by CHECKs."""
    from sqlalchemy import text

    dose, _ = _running_dose(db, staff)
    nina = staff["nina"].user_id
    for kind, wasted, witness in (("stop", 5, None), ("pause", None, staff["marcus"].user_id)):
        with pytest.raises(InvalidInput, match="database refused"), db.write() as session:
            session.execute(
                text(
                    "INSERT INTO infusion_event (dose_id, kind, at, recorded_by, recorded_at, wasted_mg,"
                    " witness_id) VALUES (:dose, :kind, :at, :by, :at, :wasted, :witness)"
                ),
                {
                    "dose": dose.id,
                    "kind": kind,
                    "at": db.clock.now(),
                    "by": nina,
                    "wasted": wasted,
                    "witness": witness,
                },
            )
