"""Schedule import: a good file books everything; a bad row refuses the whole file, by line number."""

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from console.chair.board import day_sessions
from console.chair.schedule_import import import_schedule, read_schedule
from console.cli import run
from console.domain.actors import Actor
from console.domain.errors import InvalidInput, NotAllowed
from console.store.models import Patient, TreatmentSession
from tests.conftest import new_clinic_file
from tests.factories import patient_data

GOOD = """date,time,chair,mrn,name,date_of_birth,method
2026-11-27,08:30,1,MRN-1001,"Doe, Jane",1970-05-17,IV
2026-11-27,9:00,2,NEW-2001,"Okoro, Ada",1982-02-03,nasal
2026-11-27,10:15,3,new-2002,Liam Byrne,1990-12-24,iv_infusion
"""


def _file(tmp_path, text: str, name="schedule.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(db, model) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_good_file_books_sessions_and_registers_new_patients(db, staff, tmp_path):
    from console.clinic import patients

    patients.create_patient(db, staff["nina"], patient_data())
    result = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, GOOD)))
    assert (result.sessions_created, result.patients_created, result.problems) == (3, 2, [])
    rows = day_sessions(db, date(2026, 11, 27))
    assert [(f"{r.scheduled_time:%H:%M}", r.mrn, r.method.value) for r in rows] == [
        ("08:30", "MRN-1001", "iv_infusion"),
        ("09:00", "NEW-2001", "nasal_spray"),
        ("10:15", "NEW-2002", "iv_infusion"),
    ]
    assert rows[2].patient_name == "Byrne, Liam"
    again = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, GOOD)))
    assert (again.sessions_created, again.already_booked) == (0, 3)  # importing twice books nothing twice


@pytest.mark.parametrize(
    "bad_line, says",
    [
        ('2026-11-27,25:00,4,MRN-9,"Roe, Ann",1960-01-01,IV', "line 3: time"),
        ('2026-11-27,11:00,4,MRN-9,"Roe, Ann",1960-01-01,oral', "line 3: method: IV or nasal"),
        ('2026-11-27,11:00,,MRN-9,"Roe, Ann",1960-01-01,IV', "line 3: chair"),
        ('2026-11-27,11:00,4,M,"Roe, Ann",1960-01-01,IV', "line 3: mrn"),
        ("2026-11-27,11:00,4,MRN-9,Roe,1960-01-01,IV", 'line 3: name: "Family, Given"'),
        ('2026-11-27,11:00,4,MRN-9,"Roe, Ann",2099-01-01,IV', "line 3: Date of birth"),
    ],
)
def test_one_bad_row_refuses_the_whole_file(db, staff, tmp_path, bad_line, says):
    text = GOOD.splitlines()[0] + "\n" + GOOD.splitlines()[2] + "\n" + bad_line + "\n"
    result = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, text)))
    assert any(problem.startswith(says) for problem in result.problems), result.problems
    assert result.sessions_created == 0 and _count(db, TreatmentSession) == 0 and _count(db, Patient) == 0


def test_mrn_of_another_patient_is_caught_and_nothing_is_kept(db, staff, tmp_path):
    from console.clinic import patients

    patients.create_patient(db, staff["nina"], patient_data(date_of_birth="1971-01-01"))
    result = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, GOOD)))
    assert result.problems == [
        "line 2: MRN MRN-1001 belongs to Doe, Jane, born 1971-01-01, not 1970-05-17: check the wristband "
        "and the schedule."
    ]
    assert _count(db, TreatmentSession) == 0 and _count(db, Patient) == 1


@pytest.mark.parametrize(
    "content, says",
    [
        (b"date,time\n2026-11-27,08:30\n", r"missing column\(s\) chair, mrn, name, date_of_birth, method"),
        (b"\xff\xfe\x00d\x00a", "not UTF-8"),
        (GOOD.encode() + b'2026-11-27,11:00,4,X-1,"A, B",1960-01-01,IV,extra\n', "more cells than columns"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, content, says):
    path = tmp_path / "s.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=says):
        read_schedule(path)


def test_admin_cannot_book(db, staff, tmp_path):
    with pytest.raises(NotAllowed):
        import_schedule(db, staff["office"], read_schedule(_file(tmp_path, GOOD)))
    assert (
        import_schedule(db, Actor.system("cli"), read_schedule(_file(tmp_path, GOOD))).sessions_created == 3
    )


def test_command_line_import(capsys, tmp_path):
    db_path = new_clinic_file(tmp_path / "c.sqlite3")
    assert run(None, ["--db", db_path, "schedule", "import", str(_file(tmp_path, GOOD))]) == 0
    assert "Imported 3 session(s)" in capsys.readouterr().out
    bad = _file(tmp_path, GOOD.replace("IV\n", "oral\n", 1), "bad.csv")
    assert run(None, ["--db", db_path, "schedule", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s); nothing was imported" in err and "line 2: method" in err and "Traceback" not in err
    assert run(None, ["--db", db_path, "schedule", "import", str(tmp_path / "absent.csv")]) == 1
    assert "cannot be read" in capsys.readouterr().err
