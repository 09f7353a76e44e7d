"""The command line: every user error is one readable line and a non-zero exit, never a traceback."""

import json
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import text

from console.cli import run
from console.store.database import Database, sqlite_url
from console.store.schema import SCHEMA_HEAD
from tests.conftest import new_clinic_file

CHAIRSIDE = str(Path(sys.executable).with_name("chairside"))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("chairside: error: "), err
    return err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(None, ["--version"]) == 0
    assert capsys.readouterr().out.startswith("chairside 0.")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--bogus"], "No such option"),
        (["demo"], "Missing option '--db'"),
        (["demo", "--db", "x.db", "--years", "50"], "--years"),
        (["user", "add", "amy"], "Missing option"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    assert run(None, argv) == 2
    assert says in one_line_error(capsys)


@pytest.mark.parametrize(
    "url, says",
    [
        ("not a url", "not valid"),
        ("mysql://u@h/x", "driver"),
        ("postgresql+psycopg://u@/x?host=/nonexistent-socket-dir&port=5432", "unavailable"),
    ],
)
def test_bad_database_urls(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("CHAIRSIDE_DATABASE_URL", url)
    assert run(None, ["db", "upgrade"]) == 1
    assert says in one_line_error(capsys)


def test_a_clinic_cannot_be_created_where_nothing_can_be_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("admin password 1\n"))
    assert run(None, ["--db", "/proc/no/such/place.sqlite3", "init", "--name", "A", "--password-stdin"]) == 1
    assert "cannot create the folder /proc/no/such" in one_line_error(capsys)


def test_bad_setting(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('timezone = "Nowhere/Special"\n')
    assert run(None, ["--config", str(config), "--db", str(tmp_path / "x.db"), "db", "upgrade"]) == 1
    assert "timezone" in one_line_error(capsys)


@pytest.mark.slow
def test_demo_builds_once_and_audit_verify_finds_tampering(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db_path = tmp_path / "demo.sqlite3"
    assert run(None, ["demo", "--db", str(db_path), "--date", "2026-11-26", "--years", "0.1"]) == 0
    assert "sessions today" in capsys.readouterr().out
    assert run(None, ["demo", "--db", str(db_path)]) == 1
    assert "already exists" in one_line_error(capsys)
    assert run(None, ["--db", str(db_path), "audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    db = Database(sqlite_url(db_path))
    with db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = 7"))
    assert run(None, ["--db", str(db_path), "audit", "verify"]) == 1
    assert "audit chain broken at event 7" in capsys.readouterr().err


@pytest.mark.slow
def test_audit_verify_names_a_signed_record_changed_behind_the_triggers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db_path = tmp_path / "demo.sqlite3"
    assert run(None, ["demo", "--db", str(db_path), "--date", "2026-11-26", "--years", "0.05"]) == 0
    assert run(None, ["--db", str(db_path), "audit", "verify"]) == 0
    assert "signed records intact" in capsys.readouterr().out
    db = Database(sqlite_url(db_path))
    with db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER vital_signs_locked_update"))
        session_id = connection.execute(text("SELECT min(session_id) FROM session_signature")).scalar()
        connection.execute(text("UPDATE vital_signs SET spo2 = 99 WHERE session_id = :s"), {"s": session_id})
    assert run(None, ["--db", str(db_path), "audit", "verify"]) == 1
    assert f"(session {session_id}): the record no longer matches what was signed" in capsys.readouterr().err


def test_db_upgrade_reports_the_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(None, ["--db", new_clinic_file(tmp_path / "u.sqlite3"), "db", "upgrade"]) == 0
    assert f"schema {SCHEMA_HEAD}" in capsys.readouterr().out


@pytest.mark.slow
def test_the_installed_command_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHAIRSIDE_DATABASE_URL": "bogus://"}
    result = subprocess.run(
        [CHAIRSIDE, "audit", "verify"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "chairside: error:" in result.stderr
    version = subprocess.run([CHAIRSIDE, "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("chairside ")


def test_protocol_check_prints_the_effective_protocol_or_names_the_bad_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "protocol.toml"
    good.write_text('version = "lakeside-7"\n[nasal]\nobservation_min = 150\n')
    assert run(None, ["protocol", "check", str(good)]) == 0
    out = capsys.readouterr().out
    assert 'version = "lakeside-7"' in out and "observation_min = 150" in out and "spo2_low = 92" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[iv]\nrate_max_mg_per_kg_h = -1\n")
    assert run(None, ["protocol", "check", str(bad)]) == 1
    assert "iv.rate_max_mg_per_kg_h" in one_line_error(capsys)
    clinic = tmp_path / "c.sqlite3"
    assert run(None, ["--db", str(clinic), "--protocol", str(bad), "init", "--password-stdin"]) == 1
    assert "iv.rate_max_mg_per_kg_h" in one_line_error(capsys)  # a bad protocol stops a clinic being made
    assert not clinic.exists()


@pytest.mark.slow
def test_export_writes_the_csv_set_or_a_fhir_bundle_once_and_refuses_to_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db_path = tmp_path / "demo.sqlite3"
    assert run(None, ["demo", "--db", str(db_path), "--date", "2026-11-26", "--years", "0.05"]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    args = ["--db", str(db_path), "export", "--date", "2026-11-20", "--to", "2026-11-25", "--out", str(out)]
    assert run(None, args) == 0
    assert "Exported to" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "addenda.csv",
        "alerts.csv",
        "billing.csv",
        "controlled_substances.csv",
        "datapackage.json",
        "manifest.json",
        "notes.csv",
        "questionnaires.csv",
        "rems_monitoring.csv",
        "returns.csv",
        "sessions.csv",
        "side_effects.csv",
        "vitals.csv",
    ]
    one_process = (out / "sessions.csv").read_bytes()
    assert run(None, args) == 1
    assert "already holds an export" in one_line_error(capsys)
    assert run(None, [*args, "--force", "--jobs", "2"]) == 0  # two worker processes: the same files
    assert (out / "sessions.csv").read_bytes() == one_process and "Exported to" in capsys.readouterr().out
    assert run(None, [*args, "--force", "--jobs", "0"]) == 2
    assert "Invalid value for '--jobs'" in one_line_error(capsys)
    assert run(None, [*args, "--force", "--deidentify", "--limited-data-set"]) == 2
    assert "Choose one of --deidentify and --limited-data-set" in one_line_error(capsys)
    assert run(None, [*args, "--force", "--deidentify", "--format", "fhir"]) == 1
    assert "cannot meet Safe Harbor" in one_line_error(capsys)
    assert run(None, [*args, "--force", "--format", "xml"]) == 2
    assert "'xml' is not one of 'csv', 'fhir', 'xlsx'" in one_line_error(capsys)
    fhir = tmp_path / "fhir"
    assert run(None, [*args[:-1], str(fhir), "--format", "fhir"]) == 0
    assert "bundle.json" in capsys.readouterr().out
    assert sorted(p.name for p in fhir.iterdir()) == ["bundle.json", "manifest.json"]
    manifest = json.loads((fhir / "manifest.json").read_text())
    assert manifest["format"] == "fhir" and manifest["files"]["bundle.json"]["rows"] > 100


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--db", "{db}", "audit", "verify"],
        ["--db", "{db}", "export", "--date", "2026-11-01", "--to", "2026-11-30", "--out", "{out}"],
        [
            "--db",
            "{db}",
            "export",
            "--date",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--out",
            "{out}",
            "--jobs",
            "2",
        ],
    ],
    ids=["version", "audit-verify", "export", "export-in-processes"],
)
def test_commands_that_show_no_screen_import_no_textual(tmp_path: Path, argv: list[str]) -> None:
    """Only opening the console loads the user interface: scripts and exports start fast."""
    db_path = tmp_path / "clinic.sqlite3"
    assert run(None, ["demo", "--db", str(db_path), "--date", "2026-11-26", "--years", "0.02"]) == 0
    filled = [a.format(db=db_path, out=tmp_path / "export") for a in argv]
    result = subprocess.run(  # the installed command, as a script or a cron job runs it
        [sys.executable, "-X", "importtime", CHAIRSIDE, *filled], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert "click" in imported and not imported & {"textual", "app", "widgets"}


def test_the_installed_console_is_found_by_its_entry_point() -> None:
    from console.cli import installed_console

    opener = installed_console()
    assert opener is not None and opener.__module__ == "app" and opener.__name__ == "open_console"


def test_an_unexpected_error_is_one_line_here_and_its_traceback_in_the_log_without_typed_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import console.cli
    from console.clinic.logs import log_folder

    def broken(*_args: object) -> NoReturn:
        raise RuntimeError("validation failed: input_value='hunter2-password'")

    monkeypatch.setattr(console.cli, "installed_console", lambda: broken)
    assert run(None, ["--db", str(tmp_path / "x.sqlite3")]) == 70
    line = capsys.readouterr().err
    assert line.count("\n") == 1 and "hunter2" not in line
    assert (
        line.startswith("chairside: internal error (RuntimeError)")
        and f"details in {log_folder() / 'chairside.log'}" in line
    )
    logged = (log_folder() / "chairside.log").read_text()
    assert "Traceback" in logged and "raise RuntimeError" in logged
    assert "hunter2" not in logged and "input_value=<hidden>" in logged
    assert (log_folder() / "chairside.log").stat().st_mode & 0o077 == 0  # this user's only
    assert run(None, ["log", "--lines", "400"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"# {log_folder() / 'chairside.log'}") and "raise RuntimeError" in shown
    assert "hunter2" not in shown


def test_the_log_command_says_where_the_log_would_be_when_nothing_went_wrong(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from console.clinic.logs import log_folder

    assert run(None, ["log"]) == 0
    assert (
        f"No error has been logged by this account (its log would be {log_folder()}"
        in capsys.readouterr().out
    )


def test_a_console_stopped_by_an_unexpected_error_makes_the_command_exit_non_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import app as application
    from console.domain.errors import Stopped

    def run_and_stop(self: application.ChairsideApp, *args: object, **kwargs: object) -> None:
        self.stopped = Stopped("the console stopped after an unexpected error (KeyError); Details: LOG")

    monkeypatch.setattr(application.ChairsideApp, "run", run_and_stop)
    assert run(application.open_console, ["--db", str(tmp_path / "x.sqlite3")]) == 1
    assert "the console stopped after an unexpected error" in one_line_error(capsys)
