"""Tampering by whoever can open the database: every change made behind the services' back is named.

Each case works on its own copy of the demo clinic (history written in bulk, a day recorded
through the services, a signed session, an addendum), on SQLite and on PostgreSQL, with every
trigger dropped first: what is tested is what `audit verify` finds, not what the triggers stop.
"""

import itertools
import os
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from console.demo.builder import build_demo
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.vocab import Role
from console.review.integrity import verify_record
from console.review.signing import Proof, SigningSitting
from console.store.database import Database, sqlite_url
from tests.conftest import BACKENDS
from tests.factories import sign_as_shown

NOW = datetime(2026, 11, 26, 11, 30, tzinfo=ZoneInfo("America/Chicago"))
_copies = itertools.count()
DOCTOR = Actor(username="doctor", role=Role.PHYSICIAN, user_id=4, display_name="Dr. Priya Raman")


@pytest.fixture(scope="module", params=BACKENDS)
def signed_clinic(request, tmp_path_factory) -> tuple[str, str]:
    """A small demo clinic (two weeks of history written in bulk, a day through the services, an
    addendum) with one more session signed through the services; built once per backend."""
    backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("tamper") / "clinic.sqlite3"
        url = sqlite_url(path)
    else:
        server = request.getfixturevalue("postgres")
        name = f"tamper_{os.getpid()}"
        url = server.create_database(name)
    build_demo(url, today=NOW.date(), years=0.04, seed=5, zone=NOW.tzinfo)
    db = Database(url, FixedClock(NOW))
    with db.read() as session:
        waiting = session.execute(
            text(
                "SELECT id FROM treatment_session WHERE status = 'discharged' AND id NOT IN "
                "(SELECT session_id FROM session_signature) AND id NOT IN "
                "(SELECT session_id FROM review_return) AND id NOT IN "
                "(SELECT session_id FROM alert WHERE acknowledged_at IS NULL) ORDER BY id"
            )
        ).scalar()
    sitting = SigningSitting("doctor", idle=timedelta(hours=1))
    sign_as_shown(db, DOCTOR, waiting, "approved", Proof("doctor", "demo-doctor-pass"), sitting)
    assert verify_record(db).intact
    db.dispose()
    return backend, str(path) if backend == "sqlite" else name


@pytest.fixture
def clinic(signed_clinic, tmp_path, request):
    """A copy of the signed clinic for one case, every trigger dropped."""
    backend, source = signed_clinic
    if backend == "sqlite":
        copy = tmp_path / "clinic.sqlite3"
        shutil.copy(source, copy)
        url = sqlite_url(copy)
    else:
        url = request.getfixturevalue("postgres").create_database(
            f"tamper_{os.getpid()}_{next(_copies)}", source
        )
    db = Database(url, FixedClock(NOW))
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
        "disabled user re-enabled",
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


@pytest.mark.parametrize(
    ("target", "tamper", "named"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_a_change_behind_the_services_back_is_named(clinic, target, tamper, named):
    row = _one(clinic, target)
    with clinic.engine.begin() as connection:
        for statement in tamper.split("; "):
            connection.execute(text(statement), {"id": row})
    report = verify_record(clinic)
    assert not report.intact
    assert any(named.format(id=row) in line for line in report.problems()), report.problems()
