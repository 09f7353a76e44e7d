"""Safety alerts from the protocol's thresholds: raised with the reading, open until acknowledged."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from console.chair import alerts, charting
from console.chair.board import day_sessions
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.protocol import AlertThresholds
from console.store.database import Database
from console.store.models import Alert, AuditEvent, VitalSigns
from tests.factories import checked_in_session, iv_dose_data, vitals_data

LIMITS = AlertThresholds()

readings = st.builds(
    lambda s, d, hr, spo2, rr, moaas: VitalSigns(
        session_id=1,
        systolic=s,
        diastolic=min(d, s - 1),
        heart_rate=hr,
        spo2=spo2,
        resp_rate=rr,
        moaas=moaas,
        taken_by=1,
    ),
    st.integers(50, 260),
    st.integers(20, 160),
    st.integers(20, 250),
    st.integers(50, 100),
    st.integers(4, 60),
    st.integers(0, 5),
)


@given(readings, st.booleans())
def test_a_reading_alerts_exactly_when_it_is_past_a_threshold(reading: VitalSigns, before_dose: bool) -> None:
    rules = {b.rule for b in alerts.breaches(reading, LIMITS, before_dose)}
    hold = reading.systolic >= LIMITS.systolic_hold or reading.diastolic >= LIMITS.diastolic_hold
    assert ("bp_hold" in rules) == hold
    predose = (
        reading.systolic > LIMITS.systolic_predose_warn or reading.diastolic > LIMITS.diastolic_predose_warn
    )
    assert ("bp_predose" in rules) == (before_dose and predose and not hold)
    assert ("spo2_low" in rules) == (reading.spo2 < LIMITS.spo2_low)
    assert ("heart_rate_low" in rules) == (reading.heart_rate < LIMITS.heart_rate_low)
    assert ("heart_rate_high" in rules) == (reading.heart_rate > LIMITS.heart_rate_high)
    assert ("moaas_low" in rules) == (reading.moaas <= LIMITS.moaas_low)
    assert ("resp_rate_hold" in rules) == (reading.resp_rate < LIMITS.resp_rate_hold)
    assert ("resp_rate_low" in rules) == (LIMITS.resp_rate_hold <= reading.resp_rate < LIMITS.resp_rate_low)


def test_thresholds_come_from_the_protocol() -> None:
    reading = VitalSigns(
        session_id=1, systolic=120, diastolic=80, heart_rate=70, spo2=93, resp_rate=14, moaas=5, taken_by=1
    )
    assert alerts.breaches(reading, LIMITS, False) == []
    assert [b.rule for b in alerts.breaches(reading, AlertThresholds(spo2_low=95), False)] == ["spo2_low"]


def test_alert_is_stored_with_the_reading_shown_on_the_board_and_acknowledged(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=150, diastolic=95))  # before the dose
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    charting.record_vitals(db, nurse, row.id, vitals_data(db, spo2=88, moaas=2))
    with db.read() as session:
        stored = session.exec(select(Alert).order_by(col(Alert.id))).all()
        raised = session.exec(select(AuditEvent).where(AuditEvent.action == "alert.raise")).all()
    assert [a.rule for a in stored] == ["bp_predose", "spo2_low", "moaas_low"] and len(raised) == 3
    assert day_sessions(db, db.clock.now().date())[0].open_alerts == 3
    with pytest.raises(InvalidInput):
        alerts.acknowledge(db, nurse, stored[1].id, stored[1].version, " ")
    done = alerts.acknowledge(
        db, staff["priya"], stored[1].id, stored[1].version, "Oxygen 2 L, SpO2 back to 96"
    )
    assert done.acknowledged_by == staff["priya"].user_id and done.acknowledged_at == db.clock.now()
    with pytest.raises(NotAllowed):
        alerts.acknowledge(db, nurse, stored[1].id, done.version, "again")
    with pytest.raises(Conflict):
        alerts.acknowledge(db, nurse, stored[2].id, stored[2].version + 5, "stale")
    assert day_sessions(db, db.clock.now().date())[0].open_alerts == 2


def test_a_slow_breathing_rate_raises_its_alert_with_the_reading(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=15)  # the next readings come after the dose
    slow = charting.record_vitals(db, nurse, row.id, vitals_data(db, resp_rate=9), LIMITS)
    assert _open_rules(db, slow.id) == {"resp_rate_low"}
    slower = charting.record_vitals(db, nurse, row.id, vitals_data(db, resp_rate=6), LIMITS)
    assert _open_rules(db, slower.id) == {"resp_rate_hold"}  # the hold says it all: one alert, not two
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.vitals_id == slower.id)).one()
    assert alert.message == "respiratory rate 6 below 8/min: hold dosing and call the physician"


@given(st.integers(60, 200), st.integers(-20, 80), st.booleans())
def test_a_rise_from_the_first_reading_warns_exactly_past_the_protocol_limits(
    first: int, rise: int, before_dose: bool
) -> None:
    def reading(systolic: int) -> VitalSigns:
        return VitalSigns(
            session_id=1,
            systolic=systolic,
            diastolic=40,
            heart_rate=70,
            spo2=98,
            resp_rate=14,
            moaas=5,
            taken_by=1,
        )

    later = reading(min(first + rise, 260))
    rules = {b.rule for b in alerts.breaches(later, LIMITS, before_dose, baseline=reading(first))}
    risen = later.systolic - first
    past = risen >= LIMITS.systolic_rise_mmhg or (
        risen > 0 and risen * 100 >= LIMITS.systolic_rise_percent * first
    )
    held = later.systolic >= LIMITS.systolic_hold
    assert ("bp_rise" in rules) == (past and not before_dose and not held)


def test_a_rise_from_the_sessions_first_reading_raises_its_alert_after_dosing(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=110, diastolic=70))
    charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    charting.record_vitals(
        db, nurse, row.id, vitals_data(db, systolic=142, diastolic=80)
    )  # +29 %: below 30 %
    risen = charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=143, diastolic=80))
    assert _open_rules(db, risen.id) == {"bp_rise"}
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.vitals_id == risen.id)).one()
    assert alert.message.startswith("BP 143/80: systolic +33 mmHg from the session's first reading (110/70)")
    fixed = charting.correct_vitals(db, nurse, risen.id, risen.version, vitals_data(db, systolic=123))
    assert _open_rules(db, fixed.id) == set()  # a typo corrected closes the alert it no longer earns


@pytest.mark.parametrize(
    ("note", "taken"),
    [
        ("ok", False),
        ("seen", False),
        ("ok, seen, noted", False),
        ("Seen ok", False),
        ("acknowledged by nurse", False),
        ("not done yet", False),
        ("no action taken", False),
        ("will do later", False),
        ("1 2 3", False),
        ("x y z", False),
        ("physician called, dosing held", True),
        ("Physician called", True),
        ("MD paged", True),
        ("O2 applied", True),
        ("BP rechecked", True),
        ("Rechecked manually 150/90", True),
        ("Assessed: safety plan, no intent, follow up Fri", True),  # "no" here is a finding
        ("Rechecked: 150/90", True),
        ("150/90", False),
    ],
)
def test_a_hold_is_acknowledged_by_naming_the_action_taken_never_a_bare_ok(
    db: Database, staff: dict[str, Actor], note: str, taken: bool
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    reading = charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=186, diastolic=104))
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.vitals_id == reading.id)).one()
    if not taken:
        with pytest.raises(InvalidInput, match="needs the action taken"):
            alerts.acknowledge(db, nurse, alert.id, alert.version, note)
        assert _open_rules(db, reading.id) == {"bp_hold"}
    else:
        assert alerts.acknowledge(db, nurse, alert.id, alert.version, note).acknowledgement == note


def test_a_warning_may_still_be_acknowledged_in_a_word(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    reading = charting.record_vitals(db, nurse, row.id, vitals_data(db, spo2=91))
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.vitals_id == reading.id)).one()
    assert alerts.acknowledge(db, nurse, alert.id, alert.version, "seen").acknowledged_by == nurse.user_id


def test_a_reading_within_limits_raises_nothing(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    charting.record_vitals(db, staff["nina"], row.id, vitals_data(db))
    with db.read() as session:
        assert session.exec(select(Alert)).all() == []


def _open_rules(db: Database, reading_id: int) -> set[str]:
    with db.read() as session:
        rows = session.exec(select(Alert).where(Alert.vitals_id == reading_id)).all()
    return {a.rule for a in rows if a.acknowledged_at is None}


def test_a_corrected_reading_raises_the_alerts_a_new_one_would(db: Database, staff: dict[str, Actor]) -> None:
    """Corrected to 230/140, SpO2 80, HR 30, MOAA/S 1 gave 0 alerts; the same values new gave 4."""
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    reading = charting.record_vitals(db, nurse, row.id, vitals_data(db), LIMITS)
    assert _open_rules(db, reading.id) == set()
    worse = vitals_data(db, systolic=230, diastolic=140, spo2=80, heart_rate=30, moaas=1)
    charting.correct_vitals(db, nurse, reading.id, reading.version, worse, LIMITS)
    assert _open_rules(db, reading.id) == {"bp_hold", "spo2_low", "heart_rate_low", "moaas_low"}
    with db.read() as session:
        raised = session.exec(select(AuditEvent).where(AuditEvent.action == "alert.raise")).all()
    assert len(raised) == 4


def test_a_correction_back_within_limits_closes_the_alerts_it_no_longer_earns(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    typo = vitals_data(db, systolic=230, diastolic=82)  # 230 typed for 130
    reading = charting.record_vitals(db, nurse, row.id, typo, LIMITS)
    assert _open_rules(db, reading.id) == {"bp_hold"}
    fixed = charting.correct_vitals(
        db, nurse, reading.id, reading.version, vitals_data(db, systolic=130), LIMITS
    )
    assert _open_rules(db, reading.id) == set()
    with db.read() as session:
        closed = session.exec(select(Alert).where(Alert.vitals_id == reading.id)).one()
    assert "reading was corrected" in closed.acknowledgement and closed.acknowledged_by == nurse.user_id
    worse_again = vitals_data(db, systolic=230, diastolic=82, spo2=85)
    charting.correct_vitals(db, nurse, reading.id, fixed.version, worse_again, LIMITS)
    assert _open_rules(db, reading.id) == {"bp_hold", "spo2_low"}  # raised again, once each


def test_a_correction_that_changes_nothing_stores_nothing(db: Database, staff: dict[str, Actor]) -> None:
    """A dose correction with no change still wrote a dose.correct event."""
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    data = vitals_data(db)
    reading = charting.record_vitals(db, nurse, row.id, data, LIMITS)
    with db.read() as session:
        events = len(session.exec(select(AuditEvent)).all())
    same = charting.correct_vitals(db, nurse, reading.id, reading.version, data, LIMITS)
    assert same.version == reading.version
    with db.read() as session:
        assert len(session.exec(select(AuditEvent)).all()) == events
    changed = charting.correct_vitals(
        db, nurse, reading.id, reading.version, data | {"heart_rate": 77}, LIMITS
    )
    with pytest.raises(Conflict):  # a stale screen is still told, even when it would change nothing
        charting.correct_vitals(db, nurse, reading.id, reading.version, data | {"heart_rate": 77}, LIMITS)
    assert changed.version == reading.version + 1


def test_the_board_and_the_session_bring_the_next_reading_forward_after_one_past_a_threshold(
    db: Database, staff: dict[str, Actor]
) -> None:
    from datetime import timedelta

    from console.chair.session_view import load_session_view
    from console.domain.protocol import Protocol

    nurse = staff["nina"]
    protocol = Protocol()
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db), LIMITS)
    (board_row,) = day_sessions(db, row.clinic_date)
    assert not board_row.last_reading_alerted and board_row.vitals_due(protocol) is None  # baseline taken
    high = charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=182, diastolic=112), LIMITS)
    recheck = high.measured_at + timedelta(minutes=protocol.recheck_after_alert_min)
    (board_row,) = day_sessions(db, row.clinic_date)
    assert board_row.last_reading_alerted and board_row.vitals_due(protocol) == recheck
    assert load_session_view(db, row.id).vitals_due(protocol) == recheck


def test_an_alert_of_a_rule_this_version_does_not_know_is_shown_and_exported_as_stored(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    """A later version's rule read from the database: shown by its message, marking no cell,
    acknowledged by a nurse, exported with its stored name."""
    import json
    from zoneinfo import ZoneInfo

    from console.chair.session_view import load_session_view
    from console.export.files import export
    from console.export.request import ExportRequest
    from console.review import record_text
    from console.store.rows import insert

    nurse, zone = staff["nina"], ZoneInfo("America/Chicago")
    row = checked_in_session(db, nurse)
    reading = charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with db.write() as session:
        later = Alert(
            session_id=row.id,
            vitals_id=reading.id,
            rule="etco2_high",
            value="52",
            message="end-tidal CO2 52 mmHg above 50",
            raised_at=db.clock.now(),
        )
        insert(session, later, actor=nurse, action="alert.raise", at=db.clock.now())
    view = load_session_view(db, row.id)
    assert record_text.flagged_cells(view.vitals[0], view) == set()
    assert "end-tidal CO2 52 mmHg above 50" in record_text.alert_lines(view, zone)[0]
    assert alerts.awaiting_physician(view.alerts) == []
    alerts.acknowledge(db, nurse, view.alerts[0].id, view.alerts[0].version, "seen, counted again")
    day = db.clock.now().astimezone(zone).date()
    export(db, "office", ExportRequest(day, day, tmp_path / "csv"), zone)
    assert ",etco2_high,52," in (tmp_path / "csv" / "alerts.csv").read_text(encoding="utf-8")
    export(db, "office", ExportRequest(day, day, tmp_path / "fhir", format="fhir"), zone)
    bundle = json.loads((tmp_path / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    issues = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"]
    assert issues[0]["code"]["text"] == "etco2_high"
