"""The clinical rules as checks over the stored record: nothing on the demo clinic, and each rule
found broken when a row is written behind the services' back (an import, a hand at the database)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from console.cli import run
from console.domain.actors import Actor
from console.domain.protocol import Protocol
from console.review.record_rules import RULES, broken_rules
from console.store.database import Database
from console.store.models import TreatmentSession, VitalSigns
from tests.conftest import demo_clinic_url
from tests.factories import a_rems_session, discharged_session

PROTOCOL = Protocol()
# A grade-4 respiratory depression, never resolved, as a hand at the database would add it.
OPEN_BREATHING = (
    "INSERT INTO side_effect (session_id, effect, other_text, grade, onset_at, action_taken, "
    "recorded_by, recorded_at, version) "
    "VALUES (:sid, 'respiratory_depression', '', 4, :at, '', :nurse, :at, 1)"
)


def _raw(db: Database, *statements: str, **values: object) -> None:
    """Rows written straight into the database, as a service never would."""
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), values)


def _left(row: TreatmentSession) -> datetime:
    assert row.discharged_at is not None
    return row.discharged_at


def _rules_broken(db: Database) -> set[tuple[int, str]]:
    return {(broken.session_id, broken.rule) for broken in broken_rules(db, PROTOCOL)}


def test_the_demo_clinic_breaks_no_rule(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    assert broken_rules(Database(demo_clinic_url(backend, tmp_path, request)), PROTOCOL) == []


def test_each_session_is_checked_under_the_protocol_it_ran_under_not_a_later_one(
    db: Database, staff: dict[str, Actor]
) -> None:
    """A clinic that raises its youngest age to 30 later: a 56-year-old's session run under the
    defaults is not reported, and a session that names no stored protocol is held to the one given."""
    row = discharged_session(db, staff["nina"])
    assert row.protocol_version == PROTOCOL.version
    stricter = Protocol(version="lakeside-2027", iv={"min_age_years": 30}, discharge={"moaas": 5})
    born = row.clinic_date.replace(year=row.clinic_date.year - 25)
    _raw(db, "UPDATE patient SET date_of_birth = :born WHERE id = :pid", born=born, pid=row.patient_id)
    assert broken_rules(db, stricter) == []  # run under the defaults: 25 was old enough
    _raw(db, "UPDATE treatment_session SET protocol_version = NULL WHERE id = :sid", sid=row.id)
    assert {b.rule for b in broken_rules(db, stricter)} == {"dose the patient's record did not allow"}


@pytest.mark.breaks_rules
def test_a_serious_side_effect_left_open_at_discharge_is_found_twice(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    assert _rules_broken(db) == set()
    _raw(
        db,
        OPEN_BREATHING,
        sid=row.id,
        at=_left(row) - timedelta(minutes=10),
        nurse=staff["nina"].user_id,
    )
    assert _rules_broken(db) == {
        (row.id, "serious side effect open at discharge"),
        (row.id, "serious side effect without a call to the physician"),
    }


@pytest.mark.breaks_rules
def test_a_discharge_before_a_physician_saw_a_self_harm_answer_is_found(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(
        db,
        "INSERT INTO alert (session_id, rule, value, message, raised_at, acknowledgement, version) "
        "VALUES (:sid, 'phq9_self_harm', 'item 9 = 2', 'PHQ-9 item 9 answered 2', :at, '', 1)",
        sid=row.id,
        at=_left(row) - timedelta(minutes=30),
    )
    assert _rules_broken(db) == {(row.id, "discharged before a physician acknowledged")}


@pytest.mark.breaks_rules
def test_a_discharge_moved_before_the_observation_ended_is_found(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(
        db,
        "UPDATE treatment_session SET discharged_at = ended_at WHERE id = :sid",
        sid=row.id,
    )
    assert _rules_broken(db) == {
        (row.id, "discharged before the observation time"),
        (row.id, "discharged on a reading outside the limits"),  # the last reading before it: 60 min old
    }


def _first_and_last_readings(db: Database, session_id: int) -> tuple[int, int]:
    with db.read() as session:
        ids = session.exec(
            select(VitalSigns.id)
            .where(VitalSigns.session_id == session_id)
            .order_by(col(VitalSigns.measured_at))
        ).all()
    return ids[0], ids[-1]


@pytest.mark.breaks_rules
def test_a_reading_made_past_a_threshold_behind_the_services_is_found_without_its_alert(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    first, _ = _first_and_last_readings(db, row.id)
    _raw(db, "UPDATE vital_signs SET spo2 = 85 WHERE id = :id", id=first)
    assert _rules_broken(db) == {(row.id, "reading past a threshold without its alert")}


@pytest.mark.breaks_rules
@pytest.mark.parametrize("change", ["moaas = 4", "heart_rate = 130", "measured_at = :long_ago"])
def test_a_discharge_on_a_last_reading_outside_the_limits_is_found(
    db: Database, staff: dict[str, Actor], change: str
) -> None:
    row = discharged_session(db, staff["nina"])
    _, last = _first_and_last_readings(db, row.id)
    long_ago = _left(row) - timedelta(minutes=PROTOCOL.discharge.latest_vitals_max_age_min + 1)
    _raw(db, f"UPDATE vital_signs SET {change} WHERE id = :id", id=last, long_ago=long_ago)
    broken = _rules_broken(db)
    assert (row.id, "discharged on a reading outside the limits") in broken
    assert broken <= {
        (row.id, "discharged on a reading outside the limits"),
        (row.id, "reading past a threshold without its alert"),  # HR 130 raised none either
    }


@pytest.mark.breaks_rules
def test_a_first_dose_over_a_pre_dose_hold_is_found(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    first, _ = _first_and_last_readings(db, row.id)
    _raw(db, "UPDATE vital_signs SET systolic = 190, recorded_at = measured_at WHERE id = :id", id=first)
    assert _rules_broken(db) == {
        (row.id, "first dose given on a pre-dose hold"),
        (row.id, "reading past a threshold without its alert"),
    }


@pytest.mark.breaks_rules
def test_a_dose_to_a_patient_younger_than_the_protocol_allows_is_found(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    born = row.clinic_date.replace(year=row.clinic_date.year - 16)
    _raw(db, "UPDATE patient SET date_of_birth = :born WHERE id = :pid", born=born, pid=row.patient_id)
    assert _rules_broken(db) == {(row.id, "dose the patient's record did not allow")}


@pytest.mark.breaks_rules
def test_esketamine_given_without_the_rems_enrolment_is_found(db: Database, staff: dict[str, Actor]) -> None:
    from tests.factories import a_rems_session

    row = a_rems_session(db, staff["nina"])
    assert _rules_broken(db) == set()
    _raw(db, "DELETE FROM rems_check WHERE session_id = :sid", sid=row.id)
    assert _rules_broken(db) == {
        (row.id, "dose the patient's record did not allow"),
        (row.id, "discharged before the REMS monitoring was complete"),
    }


@pytest.mark.breaks_rules
def test_an_esketamine_discharge_with_sedation_never_resolved_is_found_until_a_physician_let_go(
    db: Database, staff: dict[str, Actor]
) -> None:

    row = a_rems_session(db, staff["nina"])
    _raw(db, "UPDATE rems_check SET dissociation_resolved_at = NULL WHERE session_id = :sid", sid=row.id)
    broken = broken_rules(db, PROTOCOL)
    assert [(b.session_id, b.rule) for b in broken] == [
        (row.id, "discharged before the REMS monitoring was complete")
    ]
    assert broken[0].detail == "REMS form: the time dissociation resolved (observed until it resolves)"
    _raw(
        db, "UPDATE rems_check SET device_1_at = NULL, device_2_at = NULL WHERE session_id = :sid", sid=row.id
    )
    _raw(
        db,
        "UPDATE rems_check SET dissociation_resolved_at = dissociation_at WHERE session_id = :sid",
        sid=row.id,
    )
    assert {b.detail for b in broken_rules(db, PROTOCOL)} == {"REMS form: each device's time"}
    # A physician's override of the discharge rule, given while the patient was in the chair, lets them go.
    override = (
        "INSERT INTO override (session_id, rule, details, reason, overridden_by, role, at) "
        "VALUES (:sid, 'discharge', '', 'Transferred to the emergency department', :by, 'physician', :at)"
    )
    _raw(db, override, sid=row.id, by=staff["priya"].user_id, at=_left(row) - timedelta(minutes=1))
    assert _rules_broken(db) == set()


@pytest.mark.breaks_rules
@pytest.mark.parametrize(
    "change, said",
    [
        ("rate_mg_per_kg_h = 3", "Rate: 3 mg/kg/h is outside"),
        ("planned_duration_min = 300", "Duration: 300 min is outside"),
        ("dose_mg = 450, drawn_mg = 450, wasted_mg = 0", "above the protocol's 400 mg for a session"),
    ],
)
def test_a_dose_outside_the_protocols_range_is_found_until_a_physician_set_it_aside(
    db: Database, staff: dict[str, Actor], change: str, said: str
) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(db, f"UPDATE dose_administration SET {change} WHERE session_id = :sid", sid=row.id)
    found = [b for b in broken_rules(db, PROTOCOL) if b.rule == "dose outside the protocol's range"]
    assert [b.session_id for b in found] == [row.id] and said in found[0].detail, found
    override = (
        "INSERT INTO override (session_id, rule, details, reason, overridden_by, role, at) "
        "VALUES (:sid, 'dose_range', '', 'Tolerated well before', :by, 'physician', :at)"
    )
    _raw(db, override, sid=row.id, by=staff["nina"].user_id, at=_left(row))
    assert (row.id, "dose outside the protocol's range") in _rules_broken(db)  # a nurse's row lets nothing go
    _raw(db, override, sid=row.id, by=staff["priya"].user_id, at=_left(row))
    assert (row.id, "dose outside the protocol's range") not in _rules_broken(db)


@pytest.mark.breaks_rules
def test_a_dose_changed_apart_from_its_rate_and_time_is_found(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    changed = "dose_mg = 40, mg_per_kg = 40.0 / 70, wasted_mg = 10"  # mg/kg in step: only the figures differ
    _raw(db, f"UPDATE dose_administration SET {changed} WHERE session_id = :sid", sid=row.id)
    found = [b.detail for b in broken_rules(db, PROTOCOL) if b.rule == "dose not what its own figures give"]
    assert found == ["Dose: 40 mg is not rate x weight x time (0.5 mg/kg/h x 70 kg x 60 min = 35 mg)."]


@pytest.mark.breaks_rules
@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("dissociation_resolved_at = :late", "dissociation resolved after the patient left"),
        (
            "ready_to_leave_min = 0",
            "ready to leave 0 min after the first device, before dissociation resolved",
        ),
        ("device_1_at = :early, device_2_at = :early", "the first device is timed before the dose was given"),
    ],
)
def test_rems_form_times_that_cannot_be_true_are_found(
    db: Database, staff: dict[str, Actor], change: str, said: str
) -> None:
    row = a_rems_session(db, staff["nina"])
    late, early = _left(row) + timedelta(hours=3), _left(row) - timedelta(hours=5)
    _raw(db, f"UPDATE rems_check SET {change} WHERE session_id = :sid", sid=row.id, late=late, early=early)
    found = [b.detail for b in broken_rules(db, PROTOCOL) if b.rule == "REMS form times that cannot be true"]
    assert said in found, found


@pytest.mark.breaks_rules
def test_a_dose_whose_drug_route_or_mg_per_kg_disagree_is_found(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(
        db,
        "UPDATE dose_administration SET drug = 'esketamine', mg_per_kg = 0.1 WHERE session_id = :sid",
        sid=row.id,
    )
    found = [b.detail for b in broken_rules(db, PROTOCOL) if b.rule == "dose not what its own figures give"]
    assert found == [
        "mg/kg 0.1 is not 35 mg / 70 kg",
        "esketamine by the intravenous route in a iv_infusion session",
    ]


@pytest.mark.breaks_rules
def test_a_rate_change_past_the_protocols_range_is_found(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(
        db,
        "INSERT INTO infusion_event (dose_id, kind, at, rate_mg_per_kg_h, recorded_by, recorded_at) "
        "SELECT id, 'rate_change', administered_at, 3, administered_by, administered_at "
        "FROM dose_administration WHERE session_id = :sid",
        sid=row.id,
    )
    found = [b.detail for b in broken_rules(db, PROTOCOL) if b.rule == "dose outside the protocol's range"]
    assert found == ["New rate: 3 mg/kg/h is outside the protocol's 0.5-2 mg/kg/h"]


@pytest.mark.breaks_rules
def test_an_esketamine_course_started_above_56_mg_is_found(db: Database, staff: dict[str, Actor]) -> None:
    from tests.factories import a_rems_session

    row = a_rems_session(db, staff["nina"])
    change = "dose_mg = 84, drawn_mg = 84, device_count = 3"
    _raw(db, f"UPDATE dose_administration SET {change} WHERE session_id = :sid", sid=row.id)
    found = [b for b in broken_rules(db, PROTOCOL) if b.rule == "dose outside the protocol's range"]
    assert [b.detail for b in found] == ["Devices: 84 mg to start esketamine; the label starts at 56 mg"]


@pytest.mark.breaks_rules
@pytest.mark.parametrize("method", ["iv_infusion", "nasal_spray"])
def test_a_discharge_without_an_escort_is_found(db: Database, staff: dict[str, Actor], method: str) -> None:
    """An IV session under the default protocol, and esketamine whatever the protocol says."""
    from tests.factories import a_rems_session

    row = (
        discharged_session(db, staff["nina"])
        if method == "iv_infusion"
        else a_rems_session(db, staff["nina"])
    )
    _raw(db, "UPDATE treatment_session SET escort_confirmed = false WHERE id = :sid", sid=row.id)
    assert _rules_broken(db) == {(row.id, "discharged without an escort")}
    no_escort_needed = Protocol(version="no-escort-1", discharge={"require_escort": False})
    _raw(db, "UPDATE treatment_session SET protocol_version = NULL WHERE id = :sid", sid=row.id)
    found = {(b.session_id, b.rule) for b in broken_rules(db, no_escort_needed)}
    assert found == (set() if method == "iv_infusion" else {(row.id, "discharged without an escort")})


@pytest.mark.breaks_rules
@pytest.mark.parametrize(
    ("made", "item"),
    [
        (discharged_session, "Pregnancy test negative, where it applies"),  # an infusion's list
        (a_rems_session, "No drink for 30 minutes before the dose"),  # a nasal session's own
    ],
)
def test_a_first_dose_before_the_required_checklist_is_found(
    db: Database, staff: dict[str, Actor], made: Callable[[Database, Actor], TreatmentSession], item: str
) -> None:
    row = made(db, staff["nina"])
    _raw(db, "DELETE FROM checklist_tick WHERE session_id = :sid AND item = :item", sid=row.id, item=item)
    found = [b for b in broken_rules(db, PROTOCOL) if b.rule == "first dose before the required checklist"]
    assert [b.detail for b in found] == [f"first dose given with {item!r} not ticked"]


@pytest.mark.breaks_rules
def test_a_drawn_amount_changed_behind_the_services_is_found(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(db, "UPDATE dose_administration SET drawn_mg = drawn_mg + 50 WHERE session_id = :sid", sid=row.id)
    assert _rules_broken(db) == {(row.id, "controlled substance not reconciled")}


@pytest.mark.breaks_rules
def test_waste_without_a_witness_is_found_even_with_the_databases_own_check_gone(
    db: Database, staff: dict[str, Actor], backend: str
) -> None:
    row = discharged_session(db, staff["nina"])
    off = (
        "PRAGMA ignore_check_constraints = 1"
        if backend == "sqlite"
        else "ALTER TABLE dose_administration DROP CONSTRAINT ck_dose_administration_waste_witnessed"
    )
    with db.engine.begin() as connection:
        connection.execute(text(off))
        connection.execute(
            text(
                "UPDATE dose_administration SET wasted_mg = wasted_mg + 10, drawn_mg = drawn_mg + 10, "
                "witness_id = NULL WHERE session_id = :sid"
            ),
            {"sid": row.id},
        )
    assert _rules_broken(db) == {(row.id, "waste not witnessed")}


@pytest.mark.breaks_rules
def test_audit_rules_names_each_session_and_rule_and_exits_1(
    db: Database,
    staff: dict[str, Actor],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
) -> None:
    row = discharged_session(db, staff["nina"])
    if backend == "sqlite":
        clinic = ["--db", str(db.engine.url.database)]
    else:
        monkeypatch.setenv("CHAIRSIDE_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
        clinic = []
    assert run(None, [*clinic, "audit", "rules"]) == 0, capsys.readouterr().err
    assert f"1 session(s) checked: none breaks any of the {len(RULES)} rules." in capsys.readouterr().out
    _raw(db, "UPDATE dose_administration SET drawn_mg = drawn_mg + 50 WHERE session_id = :sid", sid=row.id)
    day = row.clinic_date.isoformat()
    assert run(None, [*clinic, "audit", "rules", "--date", day]) == 1
    said = capsys.readouterr().out  # the report, for `> report.txt`
    assert f"session {row.id} ({day}): controlled substance not reconciled" in said
    assert "1 rule(s) broken in 1 of 1 session(s) checked." in said
    earlier = (row.clinic_date - timedelta(days=3)).isoformat()
    assert run(None, [*clinic, "audit", "rules", "--date", earlier]) == 0


@pytest.mark.breaks_rules
def test_an_override_row_naming_a_nurse_lets_no_serious_effect_go(
    db: Database, staff: dict[str, Actor]
) -> None:
    """A discharge override written by hand for a nurse, claiming the physician's role."""
    row = discharged_session(db, staff["nina"])
    at = _left(row) - timedelta(minutes=10)
    values = {"sid": row.id, "at": at, "nurse": staff["nina"].user_id}
    _raw(
        db,
        OPEN_BREATHING,
        "INSERT INTO override (session_id, rule, details, reason, overridden_by, role, at) "
        "VALUES (:sid, 'discharge', '', 'Let go, all fine', :nurse, 'physician', :at)",
        **values,
    )
    assert (row.id, "serious side effect open at discharge") in _rules_broken(db)


@pytest.mark.breaks_rules
def test_a_session_marked_discharged_without_a_time_is_found(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(db, "UPDATE treatment_session SET discharged_at = NULL WHERE id = :sid", sid=row.id)
    assert _rules_broken(db) == {(row.id, "discharged without a discharge time")}


@pytest.mark.breaks_rules
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL's column types refuse it
def test_a_value_no_column_could_hold_is_named_by_its_session_and_the_rest_still_checked(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    other = discharged_session(db, staff["nina"], mrn="MRN-1002")
    _raw(db, "UPDATE treatment_session SET discharged_at = 'yesterday' WHERE id = :sid", sid=row.id)
    _raw(db, "UPDATE dose_administration SET drawn_mg = drawn_mg + 50 WHERE session_id = :sid", sid=other.id)
    assert _rules_broken(db) == {
        (row.id, "unreadable record"),
        (other.id, "controlled substance not reconciled"),
    }


@pytest.mark.parametrize(
    "options, says",
    [
        (["--to", "2026-11-20"], "--to needs --date"),
        (["--date", "2026-11-20", "--to", "2026-11-01"], "--to is before --date"),
    ],
)
def test_audit_rules_refuses_a_range_that_checks_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], says: str
) -> None:
    assert run(None, ["--db", str(tmp_path / "clinic.sqlite3"), "audit", "rules", *options]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "clinic.sqlite3").exists()
