"""The installed `chairside` command in a real terminal, used the way a nurse would."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import col, select

from console.clinic.settings import load_settings
from console.store.audit_key import read_key
from console.store.database import Database, sqlite_url
from console.store.models import AuditEvent, Patient, Questionnaire, TreatmentSession, VitalSigns
from tests.terminal import Terminal

pytestmark = pytest.mark.slow  # every test here takes seconds: `make check` leaves them out

CHAIRSIDE = str(Path(sys.executable).with_name("chairside"))


def test_nurse_opens_a_patient_by_mrn_records_vitals_and_pain_then_quits(
    tmp_path: Path, terminal: Terminal
) -> None:
    db_path = tmp_path / "clinic.sqlite3"
    build = subprocess.run(
        [CHAIRSIDE, "demo", "--db", str(db_path), "--years", "0.05"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    db = Database(sqlite_url(db_path))
    db.audit_key = read_key(load_settings().key_file)  # the clinic key the demo command made
    session_id, mrn = _book_late_session(db)
    env = f"HOME={tmp_path} CHAIRSIDE_CONFIG={tmp_path / 'none.toml'} TERM=xterm-256color"
    command = f"env {env} {shlex.quote(CHAIRSIDE)} --db {shlex.quote(str(db_path))}; echo EXITED $?; sleep 30"
    terminal.open(command, width=100, height=30)
    terminal.wait_for("Username")
    terminal.type("nurse", "Enter", "demo-nurse-pass", "Enter")  # as fast as a badge scanner
    screen = terminal.wait_for("Scheduled")
    assert "Nina Alvarez, RN" in screen and "Next vitals" in screen
    terminal.type(mrn.lower(), "Enter")  # the wristband scanner
    terminal.wait_for(f"MRN {mrn}")
    terminal.type("F2")  # check in
    terminal.wait_for("weigh the patient")  # the last weight is older than the protocol accepts
    with db.read() as session:
        last = session.exec(select(Patient).where(Patient.mrn == mrn)).one().weight_kg
    assert last is not None
    weighed = round(last * 0.8, 1)
    terminal.type(f"{weighed:g}", "Enter")
    terminal.wait_for("enter it again")  # 20% below the last weight: a typo is likelier
    terminal.type("Enter", "6", "Enter", "5 6 6", "Enter")  # pain before, PEG
    # A series begins: PHQ-9 and GAD-7 are due, one line each.
    terminal.wait_for("PHQ-9 (due: series start)")
    # Spaced: the terminal types at once, and nine digits and Enter that fast are a wristband scan.
    terminal.type("1 0 1 1 0 0 1 0 0", "Enter", "1 1 0 1 0 0 0", "Enter", "131/83 77 97 15 4", "Enter")
    # In the flowsheet, in its columns (the entry line shows it with single spaces while typed).
    terminal.wait_for("131/83    77    97", gone="131/83 77 97 15 4")
    terminal.type("Escape")
    terminal.wait_for("Scan a wristband")
    terminal.type("C-q")
    terminal.wait_for("EXITED 0")
    with db.read() as session:
        readings = session.exec(select(VitalSigns).where(VitalSigns.session_id == session_id)).all()
        row = session.get(TreatmentSession, session_id)
        logins = session.exec(select(AuditEvent.actor).where(AuditEvent.action == "login")).all()
    assert [(r.systolic, r.diastolic, r.heart_rate, r.spo2, r.resp_rate, r.moaas) for r in readings][-1] == (
        131,
        83,
        77,
        97,
        15,
        4,
    )
    assert row is not None
    assert row.pain_before == 6 and row.status == "checked_in" and logins == ["nurse"]
    with db.read() as session:
        answers = session.exec(select(Questionnaire).where(Questionnaire.session_id == session_id)).all()
    assert sorted((a.instrument.value, a.items) for a in answers) == [
        ("gad7", (1, 1, 0, 1, 0, 0, 0)),
        ("peg", (5, 6, 6)),
        ("phq9", (1, 0, 1, 1, 0, 0, 1, 0, 0)),
    ]
    with db.read() as session:
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        assert patient.weight_kg == weighed


def _book_late_session(db: Database) -> tuple[int, str]:
    """Today's last appointment for a patient not otherwise booked today: scheduled whatever the hour,
    the first of a new series (so PHQ-9 and GAD-7 are due)."""
    from datetime import date, time

    from console.chair import sessions
    from console.clinic.users import find_user
    from console.domain.actors import Actor
    from console.domain.vocab import Role

    nurse = find_user(db, "nurse2")
    with db.read() as session:
        booked = select(TreatmentSession.patient_id).where(TreatmentSession.clinic_date == date.today())
        patient = session.exec(
            select(Patient).where(col(Patient.id).not_in(booked)).order_by(col(Patient.id))
        ).first()
    assert nurse is not None and patient is not None
    row = sessions.schedule_session(
        db,
        Actor(nurse.username, Role.NURSE, nurse.id, nurse.display_name),
        {
            "patient_id": patient.id,
            "clinic_date": date.today(),
            "scheduled_time": time(23, 45),
            "chair": "4",
            "method": "iv_infusion",
            "series_number": 1,
            "series_length": 6,
        },
    )
    return row.id, patient.mrn


ROOT = Path(__file__).resolve().parent.parent


def _readme_first_command() -> str:
    """The quick start's first command, exactly as the README writes it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```", 2)[1]
    line = next(line for line in block.splitlines() if "demo" in line)
    return line.split("#")[0].strip()


@pytest.mark.parametrize(
    "username, password, shows",
    [("nurse", "demo-nurse-pass", "Scheduled"), ("doctor", "demo-doctor-pass", "awaiting signature")],
)
def test_the_readme_first_command_from_a_fresh_home_builds_then_opens_the_demo(
    tmp_path: Path, terminal: Terminal, username: str, password: str, shows: str
) -> None:
    command = _readme_first_command()
    assert command == "make demo"
    home = tmp_path / "home"
    home.mkdir()
    env = f"HOME={home} TERM=xterm-256color PATH=/usr/bin:/bin"
    for run in ("first", "later"):
        line = f"cd {shlex.quote(str(ROOT))} && env -i {env} {command}; echo EXITED $?; sleep 30"
        terminal.open(line, width=100, height=30)
        if run == "first":
            terminal.wait_for("Username", timeout=180)  # the demo clinic is built on first use
        else:
            screen = terminal.wait_for("Username")
            assert "Building" not in screen
        terminal.type(username, "Enter", password, "Enter")
        terminal.wait_for(shows)
        terminal.type("C-q")
        terminal.wait_for("EXITED 0")
    assert (home / ".local" / "share" / "chairside" / "demo.sqlite3").exists()
