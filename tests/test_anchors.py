"""Anchors outside the database, and signed exports: truncation and rewriting after either are named."""

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cli import run
from console.domain.actors import Actor
from console.export.catalogue import FILES
from console.export.files import export
from console.export.request import ExportRequest
from console.export.signature import verify_export
from console.review.integrity import anchor_now, check_at_start, verify_record
from console.store.database import Database
from tests.conftest import TEST_KEY
from tests.factories import checked_in_session
from tests.test_database_rules import _drop_audit_triggers
from tests.test_export import ZONE


def _remove_events_after(db: Database, event_id: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id > :id"), {"id": event_id})


def _last_event_id(db: Database) -> int:
    with db.read() as session:
        return session.execute(text("SELECT max(id) FROM audit_event")).scalar_one()


def test_a_start_checks_the_chain_since_the_last_anchor_and_anchors_it(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    anchors = tmp_path / "state" / "anchors.jsonl"
    assert check_at_start(db, anchors) == []
    assert stat.S_IMODE(anchors.stat().st_mode) == 0o600
    checked_in_session(db, staff["nina"])
    assert check_at_start(db, anchors) == []
    lines = [json.loads(line) for line in anchors.read_text().splitlines()]
    assert (
        len(lines) == 2
        and lines[1]["event_id"] == _last_event_id(db)
        and lines[1]["events"] > lines[0]["events"]
    )
    report = verify_record(db, anchors)
    assert report.intact and report.anchors_checked == 2


def test_events_removed_after_an_anchor_are_named_and_no_new_anchor_covers_them(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    checked_in_session(db, staff["nina"])
    anchored = anchor_now(db, anchors)
    assert anchored is not None
    truncated_to = anchored.event_id - 3
    _drop_audit_triggers(db)
    _remove_events_after(db, truncated_to)
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == truncated_to
    problems = verify_record(db, anchors).problems()
    assert any(
        f"ending at event {anchored.event_id}) no longer holds: that event is gone" in p for p in problems
    )
    before = anchors.read_text()
    assert check_at_start(db, anchors)  # the start check says so, and anchors nothing over it
    assert anchors.read_text() == before


def test_a_chain_rewritten_from_its_first_event_is_named_by_the_anchors_of_its_database(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from sqlmodel import col, select

    from console.store import audit
    from console.store.models import AuditEvent

    anchors = tmp_path / "anchors.jsonl"
    checked_in_session(db, staff["nina"])
    anchor_now(db, anchors)
    _drop_audit_triggers(db)
    with db.read() as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    with db.engine.begin() as connection:  # every event re-hashed with a key of the forger's own
        previous = audit.GENESIS
        for event in events:
            event.actor = "mallory" if event.id == 1 else event.actor
            event.prev_hash, event.hash = previous, audit.chain_hash(previous, event, b"forger" * 6)
            previous = event.hash
            connection.execute(
                text("UPDATE audit_event SET actor = :a, prev_hash = :p, hash = :h WHERE id = :id"),
                {"a": event.actor, "p": event.prev_hash, "h": event.hash, "id": event.id},
            )
    db.audit_key = None  # even verified without the clinic key, the anchor names the rewrite
    problems = verify_record(db, anchors).problems()
    assert any("no longer holds: that event was rewritten" in p for p in problems), problems


@pytest.fixture
def exported(db: Database, staff: dict[str, Actor], tmp_path: Path) -> Path:
    checked_in_session(db, staff["nina"])
    day = db.clock.now().astimezone(ZONE).date()
    out = tmp_path / "export"
    export(db, "office", ExportRequest(day, day, out), ZONE, anchor_file=tmp_path / "a.jsonl")
    return out


def test_an_export_is_signed_anchored_and_its_digests_are_in_the_trail(
    db: Database, exported: Path, tmp_path: Path
) -> None:
    check = verify_export(exported, TEST_KEY)
    assert check.intact and check.signed and check.files == len(FILES) + 1  # and the data package
    anchored = json.loads((tmp_path / "a.jsonl").read_text().splitlines()[-1])
    assert anchored["event_id"] == _last_event_id(db)
    with db.read() as session:
        last = session.execute(text("SELECT after_json FROM audit_event ORDER BY id DESC")).first()
    assert last is not None
    recorded = json.loads(last[0])
    manifest = json.loads((exported / "manifest.json").read_text())
    assert recorded["sha256"] == {name: entry["sha256"] for name, entry in manifest["files"].items()}


@pytest.mark.parametrize(
    "tamper, named",
    [
        (
            lambda out: (out / "vitals.csv").write_text("edited\n"),
            "vitals.csv: changed since it was exported",
        ),
        (
            lambda out: (out / "side_effects.csv").unlink(),
            "side_effects.csv: listed in the manifest but missing",
        ),
        (lambda out: (out / "extra.csv").write_text("x\n"), "extra.csv: not part of the export"),
        (
            lambda out: (out / "manifest.json").write_text(
                (out / "manifest.json").read_text().replace('"identified"', '"safe_harbor"')
            ),
            "the manifest was changed after it was signed",
        ),
    ],
    ids=["file edited", "file removed", "file added", "manifest edited"],
)
def test_a_received_export_changed_in_any_way_is_named(
    exported: Path, tamper: Callable[[Path], object], named: str
) -> None:
    tamper(exported)
    check = verify_export(exported, TEST_KEY)
    assert any(problem.startswith(named) for problem in check.problems), check.problems


@pytest.mark.parametrize("backend", ["sqlite"])
def test_export_verify_on_the_command_line(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(TEST_KEY.hex())
    monkeypatch.setenv("CHAIRSIDE_AUDIT_KEY_FILE", str(key_file))
    assert run(None, ["export", "verify", str(exported)]) == 0
    assert "signature holds" in capsys.readouterr().out
    key_file.unlink()
    assert run(None, ["export", "verify", str(exported)]) == 2
    (exported / "vitals.csv").write_text("edited\n")
    assert run(None, ["export", "verify", str(exported)]) == 1
    assert "vitals.csv: changed" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_console_opening_on_a_broken_chain_says_so_and_anchors_nothing(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from textual.pilot import Pilot

    from app import ChairsideApp
    from console.clinic.settings import Settings
    from tests.ui import workers_done

    async def opened(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app, ChairsideApp)
        while pilot.app.db is None:  # the records open after the first frame
            await pilot.pause(0.05)
        await workers_done(pilot.app)
        await pilot.pause()

    checked_in_session(db, staff["nina"])
    settings = Settings(audit_anchor_file=tmp_path / "anchors.jsonl")
    async with ChairsideApp(connect=lambda: (db, settings)).run_test() as pilot:
        await opened(pilot)
        assert not pilot.app._notifications  # an intact chain: nothing to say, one anchor written
    assert len((tmp_path / "anchors.jsonl").read_text().splitlines()) == 1
    checked_in_session(db, staff["nina"], mrn="MRN-2002")  # written after the anchor, then altered
    _drop_audit_triggers(db)
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET actor = 'mallory' WHERE id = :id"), {"id": _last_event_id(db)}
        )
    async with ChairsideApp(connect=lambda: (db, settings)).run_test() as pilot:
        await opened(pilot)
        said = " ".join(str(n.message) for n in pilot.app._notifications)
        assert "The audit trail failed its check at start" in said and "audit chain broken" in said
    assert len((tmp_path / "anchors.jsonl").read_text().splitlines()) == 1
