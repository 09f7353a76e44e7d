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
        "INSERT INTO side_effect (session_id, effect, other_text, grade, onset_at, action_taken, "
        "recorded_by, recorded_at, version) "
        "VALUES (:sid, 'respiratory_depression', '', 4, :at, '', :nurse, :at, 1)",
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
    assert f"any of the {len(RULES)} rules" in capsys.readouterr().out
    _raw(db, "UPDATE treatment_session SET discharged_at = ended_at WHERE id = :sid", sid=row.id)
    day = row.clinic_date.isoformat()
    assert run(None, [*clinic, "audit", "rules", "--date", day]) == 1
    said = capsys.readouterr().err
    assert f"session {row.id} ({day}): discharged before the observation time" in said
    assert "1 rule(s) broken in 1 session(s)." in said
    earlier = (row.clinic_date - timedelta(days=3)).isoformat()
    assert run(None, [*clinic, "audit", "rules", "--date", earlier]) == 0
