"""The clinical rules as checks over the stored record: nothing on the demo clinic, and each rule
found broken when a row is written behind the services' back (an import, a hand at the database)."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cli import run
from console.domain.actors import Actor
from console.domain.protocol import Protocol
from console.review.record_rules import RULES, broken_rules
from console.store.database import Database
from console.store.models import TreatmentSession
from tests.conftest import demo_clinic_url
from tests.factories import discharged_session

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
    assert _rules_broken(db) == {(row.id, "discharged before the observation time")}


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
    _raw(db, "UPDATE treatment_session SET discharged_at = ended_at WHERE id = :sid", sid=row.id)
    day = row.clinic_date.isoformat()
    assert run(None, [*clinic, "audit", "rules", "--date", day]) == 1
    said = capsys.readouterr().out  # the report, for `> report.txt`
    assert f"session {row.id} ({day}): discharged before the observation time" in said
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
    _raw(db, "UPDATE treatment_session SET discharged_at = ended_at WHERE id = :sid", sid=other.id)
    assert _rules_broken(db) == {
        (row.id, "unreadable record"),
        (other.id, "discharged before the observation time"),
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
