"""The clinic key: a chain keyed from a point on, kept outside the database, checked at every start."""

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cli import run
from console.clinic import users
from console.domain.actors import Actor
from console.domain.errors import ConfigurationError
from console.domain.vocab import Role
from console.review.integrity import verify_record
from console.store import audit
from console.store.audit_key import KEY_ACTION, attach_key, key_id
from console.store.database import Database
from console.store.models import AuditEvent
from tests.factories import checked_in_session

GOLDEN = AuditEvent(
    id=1,
    at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    actor="nina",
    action="vitals.record",
    entity="vital_signs",
    entity_id="7",
    before_json=None,
    after_json='{"spo2":97}',
    prev_hash=audit.GENESIS,
    hash="",
)


def test_the_hash_of_an_event_is_the_same_as_ever_and_keyed_from_the_key_on() -> None:
    """Golden values: chains written by earlier versions keep verifying, byte for byte."""
    assert audit.chain_hash(GOLDEN.prev_hash, GOLDEN) == (
        "65b1018ca063f8cd3a322cc2d4b95a0ddc1b7ea70d4703657aee904dac4c66f4"
    )
    assert audit.chain_hash(GOLDEN.prev_hash, GOLDEN, bytes(range(32))) == (
        "0a0f10452896aa926a11b39fdfffb0a3f2157d0a10ddb19ac68f0297b90e08c8"
    )


@pytest.fixture
def legacy(db: Database) -> Actor:
    """A clinic written before it had a key (plain SHA-256 events): its nurse."""
    db.audit_key = None
    user = users.create_user(
        db,
        Actor.system("test"),
        {"username": "nina", "display_name": "Nina", "role": "nurse", "password": "long enough pw"},
    )
    nurse = Actor(username="nina", role=Role.NURSE, user_id=user.id, display_name="Nina")
    checked_in_session(db, nurse)
    return nurse


def test_a_chain_written_before_the_key_goes_on_keyed_and_verifies_whole(
    db: Database, legacy: Actor, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "audit.key"
    assert attach_key(db, key_file) is True
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    checked_in_session(db, legacy, mrn="MRN-2002")
    report = verify_record(db)
    assert report.problems() == [] and report.complete
    with db.read() as session:
        events = session.execute(text("SELECT action FROM audit_event ORDER BY id")).scalars().all()
    keyed = len(events) - events.index(KEY_ACTION)
    db.audit_key = None
    report = verify_record(db)
    assert report.intact and report.chain.unchecked == keyed  # the legacy part is still checked in full
    assert attach_key(db, key_file) is False  # the same key again: nothing made, nothing recorded


def test_a_legacy_event_changed_is_named_with_or_without_the_key(
    db: Database, legacy: Actor, tmp_path: Path
) -> None:
    attach_key(db, tmp_path / "audit.key")
    with db.engine.begin() as connection:
        if db.backend == "sqlite":
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        connection.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = 2"))
    assert verify_record(db).chain.broken_at == 2
    db.audit_key = None
    assert verify_record(db).chain.broken_at == 2


def test_a_keyed_chain_refuses_to_go_on_without_its_key_or_with_another(
    db: Database, legacy: Actor, tmp_path: Path
) -> None:
    attach_key(db, tmp_path / "audit.key")
    with pytest.raises(ConfigurationError, match=r"key file .* is missing"):
        attach_key(db, tmp_path / "elsewhere.key")
    (tmp_path / "other.key").write_text("ab" * 32)
    with pytest.raises(ConfigurationError, match="is not the key of this clinic"):
        attach_key(db, tmp_path / "other.key")
    (tmp_path / "garbage.key").write_text("not a key")
    with pytest.raises(ConfigurationError, match="is not a Chairside audit key"):
        attach_key(db, tmp_path / "garbage.key")


def test_the_key_id_names_the_key_without_revealing_it() -> None:
    key = bytes(range(32))
    assert key_id(key) == key_id(bytes(range(32))) != key_id(bytes(32)) and key.hex()[:16] != key_id(key)


@pytest.mark.slow
def test_the_command_line_keys_a_clinic_and_verify_says_when_it_has_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAIRSIDE_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    clinic = str(tmp_path / "clinic.sqlite3")
    assert run(argv=["--db", clinic, "demo", "--db", clinic, "--years", "0.02", "--date", "2026-11-26"]) == 0
    assert "made the clinic's audit key" in capsys.readouterr().err
    assert run(argv=["--db", clinic, "audit", "verify"]) == 0
    (tmp_path / "audit.key").rename(tmp_path / "away.key")
    assert run(argv=["--db", clinic, "audit", "verify"]) == 2
    assert "WITHOUT THE CLINIC KEY" in capsys.readouterr().out
    assert run(argv=["--db", clinic, "db", "upgrade"]) == 1
    assert "its key file" in capsys.readouterr().err
