"""Tampering by whoever can open the database: every change made behind the services' back is named.

Each case works on its own copy of the demo clinic (history written in bulk, a day recorded
through the services, a signed session, an addendum), on SQLite and on PostgreSQL, with every
trigger dropped first: what is tested is what `audit verify` finds, not what the triggers stop.
"""

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, text
from sqlmodel import col, select

from console.demo.builder import build_demo
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.vocab import Role
from console.review.integrity import verify_record
from console.review.signing import Proof, SigningSitting
from console.store import audit
from console.store.audit_key import read_key
from console.store.database import Database, sqlite_url
from console.store.models import AuditEvent, table_of
from tests.conftest import BACKENDS, first_one_builds
from tests.factories import sign_as_shown

NOW = datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("America/Chicago"))
_copies = itertools.count()
DOCTOR = Actor(username="doctor", role=Role.PHYSICIAN, user_id=4, display_name="Dr. Priya Raman")


@pytest.fixture(scope="session", params=BACKENDS)
def signed_clinic(request: pytest.FixtureRequest, run_folder: Path) -> tuple[str, str, Path]:
    """A small demo clinic (two weeks of history written in bulk, a day through the services, an
    addendum) with one more session signed through the services; built once per run and backend."""
    backend = request.param
    key_file = run_folder / f"tamper-{backend}.key"
    source = str(run_folder / "tamper.sqlite3") if backend == "sqlite" else "tamper_template"
    with first_one_builds(run_folder / f"tamper-{backend}.ready") as first:
        if first:
            url = (
                sqlite_url(Path(source))
                if backend == "sqlite"
                else request.getfixturevalue("postgres").create_database(source)
            )
            _build_signed_clinic(url, key_file)
            (run_folder / f"tamper-{backend}.ready").touch()
    return backend, source, key_file


def _build_signed_clinic(url: str, key_file: Path) -> None:
    assert isinstance(NOW.tzinfo, ZoneInfo)
    build_demo(url, today=NOW.date(), years=0.04, seed=5, zone=NOW.tzinfo, key_file=key_file)
    db = Database(url, FixedClock(NOW))
    db.audit_key = read_key(key_file)
    with db.read() as session:
        waiting = session.execute(
            text(
                "SELECT id FROM treatment_session WHERE status = 'discharged' AND id NOT IN "
                "(SELECT session_id FROM session_signature) AND id NOT IN "
                "(SELECT session_id FROM review_return) AND id NOT IN "
                "(SELECT session_id FROM alert WHERE acknowledged_at IS NULL) ORDER BY id"
            )
        ).scalar()
    assert waiting is not None
    sitting = SigningSitting("doctor", idle=timedelta(hours=1))
    sign_as_shown(db, DOCTOR, waiting, "approved", Proof("doctor", "demo-doctor-pass"), sitting)
    assert verify_record(db).intact
    db.dispose()


@pytest.fixture
def clinic(
    signed_clinic: tuple[str, str, Path], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A copy of the signed clinic for one case, every trigger dropped."""
    backend, source, key_file = signed_clinic
    if backend == "sqlite":
        copy = tmp_path / "clinic.sqlite3"
        shutil.copyfile(source, copy)
        url = sqlite_url(copy)
    else:
        url = request.getfixturevalue("postgres").create_database(
            f"tamper_{os.getpid()}_{next(_copies)}", source
        )
    db = Database(url, FixedClock(NOW))
    db.audit_key = read_key(key_file)
    _drop_triggers(db)
    yield db
    db.dispose()


def _drop_triggers(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.backend == "sqlite":
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            for name in list(names.scalars()):
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            functions = connection.execute(
                text(
                    "SELECT oid::regprocedure::text FROM pg_proc WHERE prorettype = 'trigger'::regtype "
                    "AND pronamespace = 'public'::regnamespace"
                )
            )
            for function in list(functions.scalars()):
                connection.execute(text(f"DROP FUNCTION {function} CASCADE"))


def _one(db: Database, query: str) -> int:
    with db.read() as session:
        return session.execute(text(query)).scalar_one()


# (what is done, the row it targets, the SQL that does it to :id, what `audit verify` must say)
SIGNED_BY_SERVICE = "SELECT max(id) FROM session_signature"
TODAY_DOSE = "SELECT max(id) FROM dose_administration"
TODAY_VITALS = "SELECT max(id) FROM vital_signs"
HISTORY_VITALS = "SELECT min(id) FROM vital_signs"
CASES = [
    (
        "signature deleted",
        SIGNED_BY_SERVICE,
        "DELETE FROM session_signature WHERE id = :id",
        "session_signature {id}: deleted",
    ),
    (
        "addendum deleted",
        "SELECT max(id) FROM addendum",
        "DELETE FROM addendum WHERE id = :id",
        "addendum {id}: deleted",
    ),
    (
        "signature inserted",
        "SELECT max(id) + 1 FROM session_signature",
        "INSERT INTO session_signature "
        "(id, session_id, signer_id, signer_name, meaning, signed_at, record_hash) "
        "SELECT :id, max(id), 4, 'Dr. Priya Raman', 'approved', max(created_at), "
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' FROM treatment_session",
        "session_signature {id}: not in the audit trail",
    ),
    (
        "signature moved to another signer",
        SIGNED_BY_SERVICE,
        "UPDATE session_signature SET signer_name = 'Dr. Someone Else' WHERE id = :id",
        "session_signature {id}: signer_name is 'Dr. Someone Else'",
    ),
    (
        "history signature deleted",
        "SELECT min(id) FROM session_signature",
        "DELETE FROM session_signature WHERE id = :id",
        "were written at once",
    ),
    (
        "unsigned dose changed",
        TODAY_DOSE,
        "UPDATE dose_administration SET dose_mg = dose_mg + 10 WHERE id = :id",
        "dose_administration {id}: dose_mg is",
    ),
    (
        "unsigned dose lot changed",
        TODAY_DOSE,
        "UPDATE dose_administration SET lot_number = 'X1' WHERE id = :id",
        "dose_administration {id}: lot_number is 'X1'",
    ),
    (
        "unsigned dose deleted",
        TODAY_DOSE,
        "DELETE FROM infusion_event WHERE dose_id = :id; DELETE FROM dose_administration WHERE id = :id",
        "dose_administration {id}: deleted",
    ),
    (
        "vitals changed",
        TODAY_VITALS,
        "UPDATE vital_signs SET spo2 = 51 WHERE id = :id",
        "vital_signs {id}: spo2 is 51",
    ),
    (
        "vitals deleted",
        TODAY_VITALS,
        "DELETE FROM alert WHERE vitals_id = :id; DELETE FROM vital_signs WHERE id = :id",
        "vital_signs {id}: deleted",
    ),
    (
        "vitals inserted",
        "SELECT max(id) + 1 FROM vital_signs",
        "INSERT INTO vital_signs (id, session_id, measured_at, systolic, diastolic, heart_rate, spo2, "
        "resp_rate, moaas, taken_by, recorded_at, version) SELECT :id, session_id, measured_at, "
        "120, 80, 70, 98, 14, 5, taken_by, recorded_at, 1 FROM vital_signs WHERE id = :id - 1",
        "vital_signs {id}: not in the audit trail",
    ),
    (
        "history vitals changed",
        HISTORY_VITALS,
        "UPDATE vital_signs SET heart_rate = 61 WHERE id = :id",
        "differ from those written at once",
    ),
    (
        "history vitals deleted",
        HISTORY_VITALS,
        "DELETE FROM alert WHERE vitals_id = :id; DELETE FROM vital_signs WHERE id = :id",
        "were written at once",
    ),
    (
        "patient birth date changed",
        "SELECT max(id) FROM patient",
        "UPDATE patient SET date_of_birth = '1950-01-01' WHERE id = :id",
        "patient {id}: date_of_birth is",
    ),
    (
        "patient allergies cleared",
        "SELECT max(id) FROM patient",
        "UPDATE patient SET allergies = 'none' WHERE id = :id",
        "patient {id}: allergies is 'none'",
    ),
    (
        "history patient allergies cleared",
        "SELECT min(id) FROM patient",
        "UPDATE patient SET allergies = 'none' WHERE id = :id",
        "rows differ from those written at once",
    ),
    (
        "nurse promoted to physician",
        "SELECT id FROM user_account WHERE username = 'nurse'",
        "UPDATE user_account SET role = 'physician' WHERE id = :id",
        "user_account {id}: role is 'physician'",
    ),
    (
        "user inserted",
        "SELECT max(id) + 1 FROM user_account",
        "INSERT INTO user_account (id, username, display_name, role, password_hash, active, failed_attempts, "
        "created_at) SELECT :id, 'mallory', 'Mallory', 'admin', password_hash, true, 0, created_at "
        "FROM user_account WHERE id = 1",
        "user_account {id}: not in the audit trail",
    ),
    (
        "doctor's password hash swapped for a known one",
        "SELECT id FROM user_account WHERE username = 'doctor'",
        "UPDATE user_account SET password_hash = (SELECT password_hash FROM user_account "
        "WHERE username = 'nurse') WHERE id = :id",
        "user_account {id}: credential is",
    ),
    (
        "doctor's signing PIN removed",
        "SELECT id FROM user_account WHERE username = 'doctor'",
        "UPDATE user_account SET signing_pin_hash = NULL WHERE id = :id",
        "user_account {id}: credential is",
    ),
    (
        "user renamed",
        "SELECT id FROM user_account WHERE username = 'nurse3'",
        "UPDATE user_account SET display_name = 'Someone, RN' WHERE id = :id",
        "user_account {id}: display_name is 'Someone, RN'",
    ),
    (
        "session pain after lowered",
        "SELECT max(id) FROM treatment_session WHERE pain_after IS NOT NULL",
        "UPDATE treatment_session SET pain_after = 0 WHERE id = :id",
        "treatment_session {id}: pain_after is 0",
    ),
    (
        "session status rewound",
        "SELECT max(id) FROM treatment_session WHERE status = 'discharged'",
        "UPDATE treatment_session SET status = 'in_treatment' WHERE id = :id",
        "treatment_session {id}: status is",
    ),
    (
        "alert acknowledgement rewritten",
        "SELECT max(id) FROM alert",
        "UPDATE alert SET acknowledgement = 'nothing seen' WHERE id = :id",
        "alert {id}: acknowledgement is",
    ),
    ("alert deleted", "SELECT max(id) FROM alert", "DELETE FROM alert WHERE id = :id", "alert {id}: deleted"),
    (
        "return for correction deleted",
        "SELECT max(id) FROM review_return",
        "DELETE FROM review_return WHERE id = :id",
        "review_return {id}: deleted",
    ),
    (
        "side effect grade lowered",
        "SELECT max(id) FROM side_effect",
        "UPDATE side_effect SET grade = 1 WHERE id = :id",
        "side_effect {id}: grade is 1",
    ),
    (
        "pain score changed",
        "SELECT max(id) FROM pain_score",
        "UPDATE pain_score SET score = 0 WHERE id = :id",
        "pain_score {id}: score is 0",
    ),
    (
        "audit event edited",
        "SELECT max(id) FROM audit_event WHERE action = 'dose.record'",
        "UPDATE audit_event SET actor = 'mallory' WHERE id = :id",
        "audit chain broken at event {id}",
    ),
    (
        "audit event deleted",
        "SELECT max(id) FROM audit_event WHERE action = 'dose.record'",
        "DELETE FROM audit_event WHERE id = :id",
        "audit chain broken at event",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "tamper", "named"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_a_change_behind_the_services_back_is_named(
    clinic: Database, target: str, tamper: str, named: str
) -> None:
    row = _one(clinic, target)
    with clinic.engine.begin() as connection:
        for statement in tamper.split("; "):
            connection.execute(text(statement), {"id": row})
    report = verify_record(clinic)
    assert not report.intact
    assert any(named.format(id=row) in line for line in report.problems()), report.problems()


def _append_forged(db: Database, key: bytes | None, **fields: Any) -> int:
    """Append an event the way someone holding only the database can: hashed without the clinic key."""
    with db.read() as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert last is not None
    event = AuditEvent(id=last.id + 1, at=last.at, prev_hash=last.hash, hash="", **fields)
    event.hash = audit.chain_hash(event.prev_hash, event, key)
    with db.engine.begin() as connection:
        connection.execute(insert(table_of(AuditEvent)).values(event.model_dump()))
    return event.id


@pytest.mark.slow
@pytest.mark.parametrize("key", [None, b"not the clinic key, but 32 bytes"], ids=["plain hash", "other key"])
def test_a_forged_event_appended_is_named(clinic: Database, key: bytes | None) -> None:
    forged = _append_forged(
        clinic,
        key,
        actor="doctor",
        action="user.role",
        entity="user_account",
        entity_id="1",
        before_json='{"role":"nurse"}',
        after_json='{"role":"physician"}',
    )
    report = verify_record(clinic)
    assert report.chain.broken_at == forged, report.problems()


def test_a_signed_record_rewritten_with_its_signature_and_chain_rehashed_is_named(clinic: Database) -> None:
    """The forger changes a signed dose, recomputes the signature's record hash and every event from
    the dose's own on, as plain SHA-256: without the clinic key the first rewritten event gives it away."""
    from console.review.signing import load_record, record_hash

    with clinic.read() as session:
        dose_event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "dose.record").order_by(col(AuditEvent.id))
        ).first()
        assert dose_event is not None
        dose_id = int(dose_event.entity_id)
        session_id = session.execute(
            text("SELECT session_id FROM dose_administration WHERE id = :id"), {"id": dose_id}
        ).scalar_one()
    with clinic.engine.begin() as connection:
        connection.execute(
            text("UPDATE dose_administration SET lot_number = 'FORGED' WHERE id = :id"), {"id": dose_id}
        )
    with clinic.read() as session:
        rehashed = record_hash(*load_record(session, session_id))
        events = session.exec(
            select(AuditEvent).where(AuditEvent.id >= dose_event.id).order_by(col(AuditEvent.id))
        ).all()
    with clinic.engine.begin() as connection:
        connection.execute(
            text("UPDATE session_signature SET record_hash = :h WHERE session_id = :s"),
            {"h": rehashed, "s": session_id},
        )
        previous = events[0].prev_hash
        for event in events:
            event.prev_hash = previous
            if event.id == dose_event.id:
                assert event.after_json is not None
                event.after_json = event.after_json.replace(
                    f'"lot_number":"{_lot(event)}"', '"lot_number":"FORGED"'
                )
            event.hash = previous = audit.chain_hash(previous, event)
            connection.execute(
                text("UPDATE audit_event SET prev_hash = :p, hash = :h, after_json = :a WHERE id = :id"),
                {"p": event.prev_hash, "h": event.hash, "a": event.after_json, "id": event.id},
            )
    report = verify_record(clinic)
    assert report.chain.broken_at == dose_event.id, report.problems()


def _lot(event: AuditEvent) -> str:
    import json

    assert event.after_json is not None
    return json.loads(event.after_json)["lot_number"]


@pytest.mark.slow
def test_without_the_key_verify_says_what_it_could_not_check(clinic: Database) -> None:
    clinic.audit_key = None
    report = verify_record(clinic)
    assert report.intact and not report.complete
    assert "WITHOUT THE CLINIC KEY" in report.summary()[0]
    forged = _append_forged(
        clinic,
        None,
        actor="doctor",
        action="user.role",
        entity="user_account",
        entity_id="1",
        before_json=None,
        after_json=None,
    )
    report = verify_record(clinic)
    assert report.chain.broken_at == forged  # a plain event after the chain was keyed is named even so


@pytest.mark.slow
def test_the_check_run_in_several_processes_names_the_same_problems(clinic: Database) -> None:
    """`audit verify --jobs N`: the checks in worker processes, each with a connection of its own."""
    nurse = _one(clinic, "SELECT id FROM user_account WHERE username = 'nurse'")
    vitals = _one(clinic, HISTORY_VITALS)
    with clinic.engine.begin() as connection:
        connection.execute(text("UPDATE user_account SET role = 'physician' WHERE id = :id"), {"id": nurse})
        connection.execute(text("UPDATE vital_signs SET heart_rate = 61 WHERE id = :id"), {"id": vitals})
        connection.execute(
            text("DELETE FROM session_signature WHERE id = (SELECT max(id) FROM session_signature)")
        )
    alone, together = verify_record(clinic), verify_record(clinic, jobs=3)
    assert sorted(together.problems()) == sorted(alone.problems()) and len(alone.problems()) >= 3
    assert together.rows.rows == alone.rows.rows and together.chain == alone.chain
