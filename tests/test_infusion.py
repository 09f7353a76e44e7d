"""A running IV infusion: pause, resume, rate change, stop, and the amount actually given."""

from datetime import timedelta

import pytest
from sqlmodel import select

from console.chair import charting
from console.chair.infusion import infusion_state, record_infusion_event
from console.domain.errors import InvalidInput, NotAllowed
from console.store.models import DoseAdministration, InfusionEvent
from tests.factories import checked_in_session, iv_dose_data, nasal_dose_data


def _running_dose(db, staff):
    row = checked_in_session(db, staff["nina"])
    start = db.clock.now()
    dose = charting.record_dose(db, staff["nina"], row.id, iv_dose_data(db, administered_at=start))
    return dose, start


def _event(db, staff, dose, kind, minutes, rate=None):
    db.clock.advance(minutes=minutes)
    return record_infusion_event(
        db, staff["nina"], dose.id, {"kind": kind, "at": db.clock.now(), "rate_mg_per_kg_h": rate}
    )


def test_given_amount_follows_pauses_and_rate_changes(db, staff):
    dose, _ = _running_dose(db, staff)  # 0.5 mg/kg/h, 70 kg = 35 mg/h
    _event(db, staff, dose, "pause", 30)  # 17.5 mg
    _event(db, staff, dose, "resume", 10)  # nothing while paused
    _event(db, staff, dose, "rate_change", 12, rate=1.0)  # 0.2 h x 35 = 7 mg
    _event(db, staff, dose, "stop", 30)  # 0.5 h x 70 = 35 mg
    with db.read() as session:
        stored = session.get(DoseAdministration, dose.id)
        events = list(session.exec(select(InfusionEvent).where(InfusionEvent.dose_id == dose.id)))
    state = infusion_state(stored, events, db.clock.now() + timedelta(hours=1))
    assert state.state == "stopped" and state.given_mg == pytest.approx(59.5)
    assert stored.stopped_at == db.clock.now() and [e.kind for e in events] == [
        "pause",
        "resume",
        "rate_change",
        "stop",
    ]


def test_events_out_of_order_are_refused(db, staff):
    dose, _ = _running_dose(db, staff)
    with pytest.raises(NotAllowed, match="cannot resume an infusion that is running"):
        _event(db, staff, dose, "resume", 5)
    with pytest.raises(InvalidInput) as refused:
        _event(db, staff, dose, "rate_change", 5)
    assert refused.value.field == "rate_mg_per_kg_h"
    with pytest.raises(InvalidInput):
        _event(db, staff, dose, "rate_change", 0, rate=11)
    _event(db, staff, dose, "stop", 5)
    with pytest.raises(NotAllowed, match="stopped"):
        _event(db, staff, dose, "pause", 5)
    with pytest.raises(InvalidInput, match="future"):
        record_infusion_event(
            db, staff["nina"], dose.id, {"kind": "pause", "at": db.clock.now() + timedelta(hours=1)}
        )


def test_a_nasal_dose_has_no_infusion(db, staff):
    row = checked_in_session(db, staff["nina"], method="nasal_spray")
    dose = charting.record_dose(db, staff["nina"], row.id, nasal_dose_data(db))
    with pytest.raises(NotAllowed, match="only an IV infusion"):
        _event(db, staff, dose, "pause", 1)
