"""Schedule import: a good file books everything; a bad row refuses the whole file, by line number."""

from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, select

from console.chair.board import day_sessions
from console.chair.schedule_import import ImportResult, import_schedule, read_schedule
from console.cli import run
from console.domain.actors import Actor
from console.domain.errors import InvalidInput, NotAllowed
from console.store.database import Database
from console.store.models import Patient, TreatmentSession
from tests.conftest import new_clinic_file
from tests.factories import patient_data

GOOD = """date,time,chair,mrn,name,date_of_birth,method
2026-11-27,08:30,1,MRN-1001,"Doe, Jane",1970-05-17,IV
2026-11-27,9:00,2,NEW-2001,"Okoro, Ada",1982-02-03,nasal
2026-11-27,10:15,3,new-2002,Liam Byrne,1990-12-24,iv_infusion
"""


def _file(tmp_path: Path, text: str, name: str = "schedule.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(db: Database, model: type[SQLModel]) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_good_file_books_sessions_and_registers_new_patients(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
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
def test_one_bad_row_refuses_the_whole_file(
    db: Database, staff: dict[str, Actor], tmp_path: Path, bad_line: str, says: str
) -> None:
    text = GOOD.splitlines()[0] + "\n" + GOOD.splitlines()[2] + "\n" + bad_line + "\n"
    result = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, text)))
    assert any(problem.startswith(says) for problem in result.problems), result.problems
    assert result.sessions_created == 0 and _count(db, TreatmentSession) == 0 and _count(db, Patient) == 0


def test_mrn_of_another_patient_is_caught_and_nothing_is_kept(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.clinic import patients

    patients.create_patient(db, staff["nina"], patient_data(date_of_birth="1971-01-01"))
    result = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, GOOD)))
    assert result.problems == [
        "line 2: MRN MRN-1001 belongs to Doe, Jane, born 1971-01-01, not Doe, Jane, born 1970-05-17: "
        "check the wristband and the schedule."
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
def test_unreadable_files_are_refused(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=says):
        read_schedule(path)


def test_admin_cannot_book(db: Database, staff: dict[str, Actor], tmp_path: Path) -> None:
    with pytest.raises(NotAllowed):
        import_schedule(db, staff["office"], read_schedule(_file(tmp_path, GOOD)))
    assert (
        import_schedule(db, Actor.system("cli"), read_schedule(_file(tmp_path, GOOD))).sessions_created == 3
    )


def test_command_line_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from datetime import date, timedelta

    db_path = new_clinic_file(tmp_path / "c.sqlite3")
    tomorrow = GOOD.replace("2026-11-27", (date.today() + timedelta(days=1)).isoformat())  # the real clock
    assert run(None, ["--db", db_path, "schedule", "import", str(_file(tmp_path, tomorrow))]) == 0
    assert "Imported 3 session(s)" in capsys.readouterr().out
    bad = _file(tmp_path, tomorrow.replace("IV\n", "oral\n", 1), "bad.csv")
    assert run(None, ["--db", db_path, "schedule", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s); nothing was imported" in err and "line 2: method" in err and "Traceback" not in err
    assert run(None, ["--db", db_path, "schedule", "import", str(tmp_path / "absent.csv")]) == 1
    assert "cannot be read" in capsys.readouterr().err


def _import(
    db: Database, staff: dict[str, Actor], tmp_path: Path, text: str, name: str = "s.csv"
) -> ImportResult:
    return import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, text, name)))


HEADER = "date,time,chair,mrn,name,date_of_birth,method\n"


def test_a_registered_mrn_under_another_name_is_refused_naming_both(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.clinic import patients

    patients.create_patient(db, staff["nina"], patient_data(date_of_birth="1970-05-17"))  # Doe, Jane
    result = _import(
        db, staff, tmp_path, HEADER + '2026-11-27,08:30,1,MRN-1001,"Other, Person",1970-05-17,IV\n'
    )
    assert result.problems == [
        "line 2: MRN MRN-1001 belongs to Doe, Jane, born 1970-05-17, not Other, Person, born 1970-05-17: "
        "check the wristband and the schedule."
    ]
    assert _count(db, TreatmentSession) == 0


def test_a_column_twice_in_the_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"column.s. mrn appear more than once"):
        read_schedule(_file(tmp_path, "date,time,chair,mrn,name,date_of_birth,method,mrn\n"))


def test_conflicting_bookings_are_refused_in_the_file_and_against_the_record(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    assert not _import(
        db, staff, tmp_path, GOOD
    ).problems  # Doe at 08:30 in chair 1, Okoro at 09:00 in chair 2
    result = _import(
        db,
        staff,
        tmp_path,
        HEADER
        + '2026-11-27,08:30,4,MRN-1001,"Doe, Jane",1970-05-17,IV\n'  # Doe, already in chair 1 at 08:30
        + '2026-11-27,09:00,2,NEW-3001,"Quinn, Ana",1980-01-01,IV\n'  # chair 2 at 09:00 is Okoro's
        + '2026-11-28,10:00,5,NEW-3002,"Berg, Ola",1981-01-01,IV\n'
        + '2026-11-28,10:00,5,NEW-3003,"Lind, Eva",1982-01-01,IV\n'  # the same chair, the same time
        + '2026-11-28,11:00,6,NEW-3002,"Berg, Ola",1981-01-01,IV\n'
        + '2026-11-28,11:00,7,NEW-3002,"Berg, Ola",1981-01-01,IV\n',  # one patient, two chairs at once
        "conflicts.csv",
    )
    assert result.problems == [
        "line 2: Doe, Jane is already booked at 2026-11-27 08:30 in chair 1.",
        "line 3: chair 2 at 2026-11-27 09:00 is already taken by Okoro, Ada.",
        "line 5: chair 5 at 2026-11-28 10:00 is taken by MRN NEW-3002 (line 4).",
        "line 7: MRN NEW-3002 is booked at 2026-11-28 11:00 on line 6 already.",
    ]
    assert _count(db, TreatmentSession) == 3


def test_a_date_past_the_horizon_or_in_the_past_is_refused(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    result = _import(
        db,
        staff,
        tmp_path,
        HEADER
        + '9999-12-31,08:30,1,NEW-4001,"Far, Away",1970-01-01,IV\n'
        + '2026-11-20,08:30,1,NEW-4002,"Long, Ago",1970-01-01,IV\n',
    )
    assert result.problems == [
        "line 2: date: 9999-12-31 is more than 365 days ahead (the setting schedule_horizon_days).",
        "line 3: date: 2026-11-20 is in the past; a schedule books today or later.",
    ]


def test_every_problem_of_every_row_is_reported_in_one_pass(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.clinic import patients

    patients.create_patient(db, staff["nina"], patient_data(date_of_birth="1971-01-01"))
    result = _import(
        db,
        staff,
        tmp_path,
        HEADER
        + '2026-11-27,25:00,1,NEW-5001,"Bad, Time",1970-01-01,oral\n'
        + '2026-11-27,09:00,2,MRN-1001,"Doe, Jane",1970-05-17,IV\n',  # the wrong birth date, at once
    )
    assert result.problems == [
        "line 2: time: a time of day (HH:MM) (got '25:00').",
        "line 2: method: IV or nasal (got 'oral').",
        "line 3: MRN MRN-1001 belongs to Doe, Jane, born 1971-01-01, not Doe, Jane, born 1970-05-17: "
        "check the wristband and the schedule.",
    ]


@pytest.mark.slow
def test_an_oversized_cell_is_refused_by_its_column_from_the_command(tmp_path: Path) -> None:
    import subprocess

    from tests.test_cli import CHAIRSIDE

    clinic = new_clinic_file(tmp_path / "c.sqlite3")
    _file(tmp_path, HEADER + '2026-12-01,08:30,1,NEW-1,"' + "x" * 131_073 + '",1970-01-01,IV\n', "big.csv")
    result = subprocess.run(
        [CHAIRSIDE, "--db", clinic, "schedule", "import", str(tmp_path / "big.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert 'line 2: name: "Family, Given", at most 160 characters (got 131,073 characters).' in result.stderr


def _many(count: int) -> str:
    """`count` bookings on 2026-11-27, one patient each, in chairs 1 to 10."""
    rows = [
        f'2026-11-27,{8 + i // 10:02d}:00,{1 + i % 10},NEW-{5000 + i},"Patient, Number",1970-01-01,IV\n'
        for i in range(count)
    ]
    return HEADER + "".join(rows)


def test_a_large_file_is_written_in_batches_each_row_with_its_audit_event(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.chair import schedule_import
    from console.store.audit import verify_chain
    from console.store.trail_check import verify_rows

    monkeypatch.setattr(schedule_import, "BATCH_ROWS", 3)
    writes = []
    write = type(db).write

    def counted_write(self: Database) -> AbstractContextManager[Session]:
        writes.append(1)
        return write(self)

    monkeypatch.setattr(type(db), "write", counted_write)
    result = _import(db, staff, tmp_path, _many(8))
    assert (result.sessions_created, result.patients_created, result.problems) == (8, 8, [])
    assert len(writes) == 3  # three short transactions, never one long one
    again = _import(db, staff, tmp_path, _many(8))
    assert (again.sessions_created, again.already_booked, len(writes)) == (0, 8, 3)  # nothing to write
    with db.read() as session:
        assert verify_chain(session, db.audit_key).intact and verify_rows(session).intact


def test_a_change_between_the_check_and_a_batch_stops_there_and_keeps_the_batches_before(
    db: Database, staff: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.chair import schedule_import
    from console.chair.sessions import schedule_session
    from console.clinic import patients

    monkeypatch.setattr(schedule_import, "BATCH_ROWS", 3)
    other = patients.create_patient(db, staff["marcus"], patient_data(mrn="MRN-7777"))
    store_batch = schedule_import._store_batch

    def another_workstation_books_chair_5_first(
        session: Session,
        db_: Database,
        actor: Actor,
        batch: list[schedule_import._Checked],
        positions: dict[int, schedule_import.Position],
    ) -> tuple[int, int, int] | str:
        if batch[0].line == 5:  # the second batch: lines 5 to 7, chair 5 at 08:00 on line 6
            booking = {"patient_id": other.id, "clinic_date": "2026-11-27", "scheduled_time": "08:00"}
            schedule_session(db, staff["marcus"], booking | {"chair": "5", "method": "iv_infusion"})
        return store_batch(session, db_, actor, batch, positions)

    monkeypatch.setattr(schedule_import, "_store_batch", another_workstation_books_chair_5_first)
    result = _import(db, staff, tmp_path, _many(8))
    assert result.problems == [
        "line 6: chair 5 at 2026-11-27 08:00 is already taken by Doe, Jane: "
        "changed since the file was checked."
    ]
    assert (result.stopped_at_line, result.sessions_created) == (5, 3)
    assert result.refused().startswith("lines before 5 were imported (3 session(s))")
    assert _count(db, TreatmentSession) == 4  # the first batch, and the other workstation's booking


def test_an_inactive_patient_is_refused_when_the_file_is_checked(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    from console.clinic import patients

    patients.create_patient(db, staff["nina"], patient_data(date_of_birth="1970-05-17"))
    with db.write() as session:  # no screen makes a patient inactive yet; an older record may hold one
        session.execute(text("UPDATE patient SET active = false"))
    result = _import(db, staff, tmp_path, GOOD)
    assert result.problems == ["line 2: Doe, Jane (MRN MRN-1001) is inactive."]
    assert _count(db, TreatmentSession) == 0


def test_imported_sessions_take_their_place_in_the_plan_as_bookings_by_hand_do(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    """A new patient's rows are the first series in order; a series that ends in the file cannot be
    followed there by maintenance: the physician has not reviewed its end yet."""
    rows = "".join(
        f'2026-12-{day:02d},09:00,1,NEW-3001,"Okoro, Ada",1982-02-03,iv\n' for day in (1, 3, 5, 7, 9, 11)
    )
    result = import_schedule(
        db,
        staff["nina"],
        read_schedule(_file(tmp_path, "date,time,chair,mrn,name,date_of_birth,method\n" + rows)),
    )
    assert result.problems == []
    with db.read() as session:
        booked = session.exec(
            select(TreatmentSession).order_by(TreatmentSession.clinic_date)  # type: ignore[arg-type]
        ).all()
    assert [(b.series_number, b.series_length) for b in booked] == [(n, 6) for n in range(1, 7)]
    # The series booked above ends on 11 Dec: maintenance after it waits for the physician's review.
    header = "date,time,chair,mrn,name,date_of_birth,method\n"
    after = header + '2026-12-18,09:00,1,NEW-3001,"Okoro, Ada",1982-02-03,iv\n'
    refused = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, after, "after.csv")))
    assert refused.problems == [
        "line 2: a maintenance session: maintenance waits for the physician's end-of-induction review."
    ]
    # A new patient's series and a maintenance session after it in one file: the same, on line 8.
    whole = rows.replace("NEW-3001", "NEW-3002").replace(
        '"Okoro, Ada",1982-02-03', '"Byrne, Liam",1990-12-24'
    )
    whole = whole.replace(",1,NEW", ",2,NEW") + '2026-12-18,09:00,2,NEW-3002,"Byrne, Liam",1990-12-24,iv\n'
    refused = import_schedule(db, staff["nina"], read_schedule(_file(tmp_path, header + whole, "w.csv")))
    assert [p.split(":")[0] for p in refused.problems] == ["line 8"]
