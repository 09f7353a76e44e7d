"""A clinic is created on purpose, by `chairside init`: a mistyped path is an error, never a new clinic.

Run as the real `chairside` command, from a fresh home folder.
"""

import subprocess
from pathlib import Path

import pytest

from console.clinic import users
from console.domain.errors import AuthenticationFailed
from console.store.database import Database
from tests.conftest import ADMIN_PASSWORD as ADMIN
from tests.pg_server import PgServer
from tests.test_cli import CHAIRSIDE


def chairside(home: Path, *argv: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(home), "CHAIRSIDE_CONFIG": str(home / "none.toml")}
    return subprocess.run(
        [CHAIRSIDE, *argv], input=stdin, capture_output=True, text=True, env=environment | env, timeout=120
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    error = result.stderr.strip()
    assert result.returncode == 1 and "\n" not in error and error.startswith("chairside: error: "), result
    return error


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "verify"],
        ["export", "--date", "2026-11-26", "--out", "EXPORT"],
        ["user", "unlock", "nurse", "--admin", "admin"],
        ["schedule", "import", "schedule.csv"],
        ["db", "upgrade"],
    ],
    ids=["audit verify", "export", "user unlock", "schedule import", "db upgrade"],
)
def test_a_mistyped_path_is_an_error_and_creates_nothing(tmp_path: Path, argv: list[str]) -> None:
    given = tmp_path / "given"  # what a command reads is there; nothing else may appear
    given.mkdir()
    (given / "schedule.csv").write_text("date,time,chair,mrn,name,date_of_birth,method\n")
    places = {"EXPORT": str(tmp_path / "export"), "schedule.csv": str(given / "schedule.csv")}
    argv = [places.get(part, part) for part in argv]
    result = chairside(given, "--db", str(tmp_path / "no" / "such" / "clinic.db"), *argv)
    assert "there is no clinic at" in _one_line(result) and "chairside init" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["given"]
    assert sorted(p.name for p in given.iterdir()) == ["schedule.csv"]


def test_an_empty_file_is_not_a_clinic(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    result = chairside(tmp_path, "--db", str(tmp_path / "empty.db"), "audit", "verify")
    assert "is an empty file, not a clinic" in _one_line(result)
    assert (tmp_path / "empty.db").stat().st_size == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "url, says",
    [("", "database_url (CHAIRSIDE_DATABASE_URL) is empty"), ("sqlite://", "an in-memory database")],
    ids=["empty URL", "in memory"],
)
def test_an_empty_or_in_memory_url_is_refused(tmp_path: Path, url: str, says: str) -> None:
    result = chairside(tmp_path, "audit", "verify", CHAIRSIDE_DATABASE_URL=url)
    assert says in _one_line(result)


@pytest.mark.slow
def test_a_new_account_has_no_clinic_until_init_makes_one(tmp_path: Path) -> None:
    result = chairside(tmp_path, "audit", "verify")
    assert "there is no clinic at" in _one_line(result) and "chairside.sqlite3" in result.stderr
    made = chairside(
        tmp_path, "init", "--name", "Office Administrator", "--password-stdin", stdin="admin password 1\n"
    )
    assert made.returncode == 0 and "its administrator is admin" in made.stdout, made.stderr
    assert "made the clinic's audit key" in made.stderr
    again = chairside(tmp_path, "init", "--name", "Someone", "--password-stdin", stdin="admin password 1\n")
    assert "already exists" in _one_line(again)
    verified = chairside(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout, verified.stderr


def test_init_checks_the_administrator_before_creating_anything(tmp_path: Path) -> None:
    result = chairside(
        tmp_path, "--db", str(tmp_path / "c.db"), "init", "--name", "A", "--password-stdin", stdin="short\n"
    )
    assert "Password: 10 to 128 characters" in _one_line(result) and not (tmp_path / "c.db").exists()


def test_signing_in_to_a_clinic_with_no_users_says_so(db: Database) -> None:
    with pytest.raises(AuthenticationFailed, match="no users yet"):
        users.authenticate(db, "nurse", "a password")


def test_consoles_never_migrate_a_shared_database_only_db_upgrade_does(
    postgres: PgServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    from alembic import command

    from console.cli import run
    from console.store import schema
    from console.store.database import Database

    url = postgres.create_database(f"upgrade_{os.getpid()}", template=postgres.template)
    older = Database(url)
    with older.write() as session:
        command.downgrade(schema.alembic_config(session.connection()), "0009")
    older.dispose()
    monkeypatch.setenv("CHAIRSIDE_DATABASE_URL", url)
    assert run(None, ["audit", "verify"]) == 1
    refused = capsys.readouterr().err
    assert "older than this Chairside" in refused and "run `chairside db upgrade`" in refused
    assert schema.current_revision(Database(url)) == "0009"
    assert run(None, ["db", "upgrade"]) == 0
    assert schema.current_revision(Database(url)) == schema.SCHEMA_HEAD


@pytest.mark.slow
@pytest.mark.parametrize(
    "content, says",
    [
        ('\ufeffclinic_name = "Lakeside"\n'.encode(), "there is no clinic at"),  # a BOM is read past
        ('clinic_name = "Lakesid\xe9"\n'.encode("latin-1"), "not UTF-8 text (byte 23); save it as UTF-8"),
    ],
    ids=["with a byte-order mark", "not UTF-8"],
)
def test_a_settings_file_with_a_bom_is_read_and_one_not_utf8_is_named(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / "chairside.toml").write_bytes(content)
    result = chairside(
        tmp_path,
        "--config",
        str(tmp_path / "chairside.toml"),
        "--db",
        str(tmp_path / "x.db"),
        "audit",
        "verify",
    )
    assert says in _one_line(result)


@pytest.mark.parametrize(
    "content, says",
    [
        ('\ufeffversion = "lakeside-1"\n'.encode(), 'version = "lakeside-1"'),
        ('version = "lakesid\xe9"\n'.encode("latin-1"), "not UTF-8 text"),
    ],
    ids=["with a byte-order mark", "not UTF-8"],
)
def test_a_protocol_file_with_a_bom_is_read_and_one_not_utf8_is_named(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / "protocol.toml").write_bytes(content)
    result = chairside(tmp_path, "protocol", "check", str(tmp_path / "protocol.toml"))
    assert says in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_sqlite_clinic_is_copied_before_its_schema_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import stat

    from console.cli import run
    from console.clinic.settings import load_settings
    from console.store import schema
    from console.store.audit_key import attach_key
    from console.store.database import Database, sqlite_url

    path = tmp_path / "clinic.sqlite3"
    older = Database(sqlite_url(path))
    schema.upgrade(older, "0009")  # a clinic made by a Chairside of schema 0009
    attach_key(older, load_settings().key_file)
    older.dispose()
    assert run(None, ["--db", str(path), "audit", "verify"]) == 0
    copy = tmp_path / f"clinic.before-schema-{schema.SCHEMA_HEAD}-from-0009.sqlite3"
    assert schema.current_revision(Database(sqlite_url(copy))) == "0009"
    assert schema.current_revision(Database(sqlite_url(path))) == schema.SCHEMA_HEAD
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


@pytest.mark.slow
def test_a_backup_is_checked_verified_and_restores_the_clinic(tmp_path: Path) -> None:
    import json
    import shutil
    import stat

    made = chairside(
        tmp_path, "init", "--name", "Office Administrator", "--password-stdin", stdin="admin password 1\n"
    )
    assert made.returncode == 0, made.stderr
    backed = chairside(tmp_path, "backup", f"{tmp_path / 'backups'}/")
    assert backed.returncode == 0 and "verified" in backed.stdout, backed.stderr
    [copy] = (tmp_path / "backups").glob("*.sqlite3")
    manifest = json.loads(copy.with_suffix(".json").read_text())
    assert manifest["audit_verify"] == "intact" and manifest["bytes"] == copy.stat().st_size
    assert (
        stat.S_IMODE(copy.stat().st_mode) == 0o600
        and stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700
    )
    again = chairside(tmp_path, "backup", str(copy))
    assert "already exists" in _one_line(again)

    added = chairside(
        tmp_path,
        "user",
        "add",
        "amy",
        "--name",
        "Amy",
        "--role",
        "nurse",
        "--admin",
        "admin",
        "--password-stdin",
        stdin="admin password 1\na long password\n",
    )
    assert added.returncode == 0, added.stderr
    clinic = tmp_path / ".local" / "share" / "chairside" / "chairside.sqlite3"
    for leftover in (clinic.with_name(clinic.name + "-wal"), clinic.with_name(clinic.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(copy, clinic)  # the restore: every console stopped, the backup put in the clinic's place
    verified = chairside(tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    listed = chairside(
        tmp_path, "user", "list", "--admin", "admin", "--password-stdin", stdin="admin password 1\n"
    )
    assert "admin" in listed.stdout and "amy" not in listed.stdout


def test_config_show_says_where_each_setting_comes_from(tmp_path: Path) -> None:
    system = tmp_path / "etc-xdg" / "chairside" / "chairside.toml"
    system.parent.mkdir(parents=True)
    system.write_text('clinic_name = "Workstation default"\nidle_lock_minutes = 7\n')
    (tmp_path / "none.toml").write_text('clinic_name = "Lakeside Pain Clinic"\n')
    shown = chairside(
        tmp_path,
        "config",
        "show",
        XDG_CONFIG_DIRS=str(tmp_path / "etc-xdg"),
        CHAIRSIDE_TIMEZONE="America/Chicago",
    )
    assert shown.returncode == 0, shown.stderr
    lines = {line.split(" = ")[0]: line for line in shown.stdout.splitlines()}
    assert (
        "Lakeside Pain Clinic" in lines["clinic_name"]
        and f"user file {tmp_path / 'none.toml'}" in lines["clinic_name"]
    )
    assert "7" in lines["idle_lock_minutes"] and f"system file {system}" in lines["idle_lock_minutes"]
    assert "America/Chicago" in lines["timezone"] and "environment CHAIRSIDE_TIMEZONE" in lines["timezone"]
    assert "# default" in lines["signing_idle_minutes"]
    system.write_text('pseudonym_key = "a secret of the clinic"\n')  # read by earlier versions only
    retired = chairside(tmp_path, "config", "show", XDG_CONFIG_DIRS=str(tmp_path / "etc-xdg"))
    assert f"setting pseudonym_key (in system file {system}) is no longer used" in _one_line(retired)


@pytest.mark.slow
@pytest.mark.parametrize(
    "toml, says",
    [
        ('version = "x-1"\n[thresholds]\nspo2_low = 70\n', "thresholds.spo2_low"),
        ('version = "x-1"\n[thresholds]\nmoaas_low = 0\n', "thresholds.moaas_low"),
        ('version = "x-1"\n[thresholds]\nheart_rate_low = 20\n', "thresholds.heart_rate_low"),
        ('version = "x-1"\n[thresholds]\nheart_rate_high = 250\n', "thresholds.heart_rate_high"),
        (
            'version = "x-1"\n[thresholds]\nsystolic_hold = 130\n',
            "systolic_hold must be above systolic_predose_warn",
        ),
        ('version = "x-1"\n[discharge]\nmoaas = 0\n', "discharge.moaas"),
        ('version = "x-1"\n[nasal]\nobservation_min = 30\n', "nasal.observation_min"),
        ("[iv]\nmax_total_mg = 350\n", "the clinic's own values need the clinic's own version"),
    ],
    ids=[
        "SpO2 70",
        "MOAA/S 0",
        "HR 20",
        "HR 250",
        "hold below warning",
        "discharge at MOAA/S 0",
        "nasal watched 30 min",
        "own values, default version",
    ],
)
def test_a_protocol_outside_safe_bounds_is_refused_naming_the_rule(
    tmp_path: Path, toml: str, says: str
) -> None:
    (tmp_path / "protocol.toml").write_text(toml)
    result = chairside(tmp_path, "protocol", "check", str(tmp_path / "protocol.toml"))
    assert says in _one_line(result)


@pytest.mark.slow
def test_the_clinics_protocol_is_set_once_for_every_workstation(tmp_path: Path) -> None:
    """init stores the clinic's protocol; `protocol set` (an administrator, audited) changes it for all;
    a workstation's own file is refused on a real clinic instead of silently applied."""
    first = tmp_path / "lakeside-7.toml"
    first.write_text('version = "lakeside-7"\n[iv]\nmax_total_mg = 350\n')
    made = chairside(
        tmp_path, "--protocol", str(first), "init", "--name", "Office", "--password-stdin", stdin=f"{ADMIN}\n"
    )
    assert made.returncode == 0 and "with protocol lakeside-7" in made.stdout, made.stderr
    shown = chairside(tmp_path, "protocol", "show")
    assert "# set by admin" in shown.stdout and "max_total_mg = 350" in shown.stdout, shown.stderr

    second = tmp_path / "lakeside-8.toml"
    second.write_text('version = "lakeside-8"\n[iv]\nmax_total_mg = 300\n')
    refused = chairside(
        tmp_path, "protocol", "set", str(second), "--admin", "admin", "--password-stdin", stdin="wrong pass\n"
    )
    assert "wrong username or password" in _one_line(refused).lower()
    changed = chairside(
        tmp_path, "protocol", "set", str(second), "--admin", "admin", "--password-stdin", stdin=f"{ADMIN}\n"
    )
    assert "now lakeside-8" in changed.stdout and "next sign-in" in changed.stdout, changed.stderr
    same = chairside(
        tmp_path, "protocol", "set", str(second), "--admin", "admin", "--password-stdin", stdin=f"{ADMIN}\n"
    )
    assert "already lakeside-8" in same.stdout, same.stderr
    history = chairside(tmp_path, "protocol", "show", "--history").stdout.splitlines()
    assert [line.split()[3] for line in history] == ["lakeside-7", "lakeside-8"], history

    out = str(tmp_path / "export")
    tried = chairside(tmp_path, "--protocol", str(first), "export", "--date", "2026-11-26", "--out", out)
    assert "(lakeside-7) is not this clinic's protocol (lakeside-8)" in _one_line(tried)
    verified = chairside(tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
