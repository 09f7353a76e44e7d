"""One protocol for the whole clinic, in its database: set by an administrator, audited, used everywhere."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from app import ChairsideApp
from console.clinic.clinic_protocol import (
    clinic_protocol,
    protocol_history,
    protocol_in_force,
    set_protocol,
)
from console.domain.actors import Actor
from console.domain.errors import ChairsideError, ConfigurationError, InvalidInput, NotAllowed
from console.domain.protocol import DEFAULT_VERSION, AlertThresholds, IVRules, Protocol, content_sha256
from console.store.audit import verify_chain
from console.store.database import Database
from console.store.trail_check import verify_rows

from .conftest import ADMIN_PASSWORD, new_clinic_file
from .test_app import sign_in
from .ui import workers_done

if TYPE_CHECKING:
    from console.cli import Context

LAKESIDE = Protocol(version="lakeside-7", iv=IVRules(max_total_mg=350))


def test_a_clinic_without_a_stored_protocol_applies_the_defaults(db: Database) -> None:
    assert clinic_protocol(db) == Protocol()
    assert protocol_history(db) == []


def test_an_administrator_sets_the_protocol_every_workstation_reads(
    db: Database, staff: dict[str, Actor]
) -> None:
    assert set_protocol(db, staff["office"], LAKESIDE) is True
    assert clinic_protocol(db) == LAKESIDE  # what any other workstation opening the database reads
    (stored,) = protocol_history(db)
    assert (stored.version, stored.set_by) == ("lakeside-7", "office")
    assert stored.sha256 == content_sha256(LAKESIDE)
    with db.read() as session:
        assert verify_chain(session, db.audit_key).intact and verify_rows(session).intact
        actions = session.execute(text("SELECT action, entity FROM audit_event ORDER BY id DESC")).first()
    assert actions is not None
    assert tuple(actions) == ("protocol.set", "clinic_protocol")


def test_setting_the_same_protocol_again_stores_nothing(db: Database, staff: dict[str, Actor]) -> None:
    set_protocol(db, staff["office"], LAKESIDE)
    assert set_protocol(db, staff["office"], Protocol.model_validate(LAKESIDE.model_dump())) is False
    assert len(protocol_history(db)) == 1


def test_going_back_to_an_earlier_protocol_is_a_new_entry(db: Database, staff: dict[str, Actor]) -> None:
    later = Protocol(version="lakeside-8", iv=IVRules(max_total_mg=300))
    for protocol in (LAKESIDE, later, LAKESIDE):
        set_protocol(db, staff["office"], protocol)
    assert [stored.version for stored in protocol_history(db)] == ["lakeside-7", "lakeside-8", "lakeside-7"]
    assert clinic_protocol(db) == LAKESIDE


def test_one_version_name_never_stands_for_two_protocols(db: Database, staff: dict[str, Actor]) -> None:
    set_protocol(db, staff["office"], LAKESIDE)
    changed = Protocol(version="lakeside-7", iv=IVRules(max_total_mg=300))
    with pytest.raises(InvalidInput, match="lakeside-7 already names other values"):
        set_protocol(db, staff["office"], changed)
    with pytest.raises(InvalidInput, match=f"not {DEFAULT_VERSION}"):
        set_protocol(db, staff["office"], Protocol(iv=IVRules(max_total_mg=300)))
    assert clinic_protocol(db) == LAKESIDE


@pytest.mark.parametrize("who", ["nina", "priya"])
def test_only_an_administrator_sets_the_protocol(db: Database, staff: dict[str, Actor], who: str) -> None:
    with pytest.raises(NotAllowed, match="only an administrator"):
        set_protocol(db, staff[who], LAKESIDE)
    assert protocol_history(db) == []


def test_a_stored_protocol_cannot_be_changed_or_removed(db: Database, staff: dict[str, Actor]) -> None:
    set_protocol(db, staff["office"], LAKESIDE)
    for statement in ("UPDATE clinic_protocol SET version = 'other'", "DELETE FROM clinic_protocol"):
        with pytest.raises(Exception, match="append-only"), db.write() as session:
            session.execute(text(statement))
    assert clinic_protocol(db) == LAKESIDE


def test_a_stored_protocol_a_newer_version_finds_unsafe_is_refused_by_name(
    db: Database, staff: dict[str, Actor]
) -> None:
    set_protocol(db, staff["office"], LAKESIDE)
    unsafe = LAKESIDE.model_dump(mode="json") | {"version": "lakeside-9"}
    unsafe["thresholds"]["spo2_low"] = 70  # as if written by a Chairside without the safe bounds
    with db.write() as session:
        session.execute(
            text(
                "INSERT INTO clinic_protocol (version, content_sha256, body, set_by, set_at) "
                "VALUES ('lakeside-9', :sha, :body, :by, '2026-11-30 12:00:00')"
            ),
            {"sha": "0" * 64, "body": json.dumps(unsafe), "by": staff["office"].user_id},
        )
    with pytest.raises(ConfigurationError, match=r"lakeside-9 no longer passes .*thresholds.spo2_low"):
        clinic_protocol(db)


def test_a_file_being_tried_applies_to_the_demo_only(db: Database, staff: dict[str, Actor]) -> None:
    set_protocol(db, staff["office"], LAKESIDE)
    assert protocol_in_force(db, None) == (LAKESIDE, False)
    assert protocol_in_force(db, LAKESIDE) == (LAKESIDE, False)  # the clinic's own file: nothing tried
    other = Protocol(version="trial-1", thresholds=AlertThresholds(spo2_low=94))
    with pytest.raises(ChairsideError, match=r"\(trial-1\) is not this clinic's protocol \(lakeside-7\)"):
        protocol_in_force(db, other)


def test_the_demo_clinic_can_try_a_protocol_file(demo_app: ChairsideApp) -> None:
    db = demo_app.db
    assert db is not None
    other = Protocol(version="trial-1", thresholds=AlertThresholds(spo2_low=94))
    assert protocol_in_force(db, other) == (other, True)


def _real_clinic(tmp_path: Path, protocol_file: Path | None = None) -> tuple[Database, "Context"]:
    """A clinic made by `init`, a nurse, and the command line's view of it (as `chairside` opens it)."""
    from console.cli import Context
    from console.clinic.users import create_user
    from console.domain.actors import Actor

    path = tmp_path / "clinic.sqlite3"
    new_clinic_file(path)
    db = Context(path, None, False, None).database()
    nurse = {"username": "nurse", "display_name": "Nina", "role": "nurse", "password": "nurse password 1"}
    create_user(db, Actor.system("test"), nurse)
    return db, Context(path, None, False, None, protocol_file)


@pytest.mark.slow
async def test_a_console_applies_the_clinics_protocol_and_a_change_from_its_next_sign_in(
    tmp_path: Path,
) -> None:
    """The issue's case: a console started without a protocol file used 400 mg, not the clinic's 350."""
    from app import ChairsideApp, _clinic_opened
    from console.clinic.users import prove_admin

    office, context = _real_clinic(tmp_path)
    set_protocol(office, prove_admin(office, "admin", ADMIN_PASSWORD), LAKESIDE)
    app = ChairsideApp(connect=lambda: _clinic_opened(context))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "nurse", "nurse password 1")
        assert app.clinic is not None and app.clinic.protocol.iv.max_total_mg == 350
        later = Protocol(version="lakeside-8", iv=IVRules(max_total_mg=300))
        set_protocol(office, prove_admin(office, "admin", ADMIN_PASSWORD), later)  # at the office's desk
        app.sign_out()
        await pilot.pause()
        await sign_in(pilot, "nurse", "nurse password 1")
        assert app.clinic is not None and app.clinic.protocol == later
    office.dispose()


async def test_a_console_given_another_protocol_file_refuses_to_open_a_real_clinic(tmp_path: Path) -> None:
    from app import ChairsideApp, _clinic_opened

    trial = tmp_path / "trial.toml"
    trial.write_text('version = "trial-1"\n[iv]\nmax_total_mg = 500\n')
    office, context = _real_clinic(tmp_path, trial)
    app = ChairsideApp(connect=lambda: _clinic_opened(context))
    async with app.run_test(size=(100, 30)) as pilot:
        await workers_done(app)
        await pilot.pause()
    assert app.return_code == 1 and "(trial-1) is not this clinic's protocol" in str(app.startup_error)
    office.dispose()
