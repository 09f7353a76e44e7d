"""Bring appointments from the clinic's scheduling system (CSV): checked whole, then written in short steps.

Columns (header row required, any order, case-insensitive):
    date, time, chair, mrn, name, date_of_birth, method
`name` is "Family, Given" (or "Given Family"); `method` is IV / iv_infusion / nasal / nasal_spray.
Patients are matched by MRN and registered when new. Every row is checked before anything is
stored; one bad row refuses the whole file, each problem of each row named by its line number.
The rows are then written in batches, each its own short transaction, so a large file never holds
up another workstation for long.
"""

import csv
import datetime as dt
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from sqlmodel import Session, col, select

from console.chair.maintenance_gate import AWAITING_REVIEW, maintenance_waits
from console.chair.series_plan import position_for_booking, series_length
from console.chair.sessions import SESSION_SCHEDULE, new_session_row
from console.clinic.patients import PATIENT_CREATE, new_patient_row, validated_patient
from console.domain.actors import Actor, require_scheduler
from console.domain.errors import InvalidInput
from console.domain.inputs import Input, PatientIn, SessionIn, refusals
from console.domain.protocol import SeriesPlan
from console.domain.vocab import Method, SessionStatus
from console.store.database import Database
from console.store.models import Patient, TreatmentSession
from console.store.rows import insert_many

COLUMNS = ("date", "time", "chair", "mrn", "name", "date_of_birth", "method")
METHOD_WORDS = {
    "iv": Method.IV,
    "iv infusion": Method.IV,
    "iv_infusion": Method.IV,
    "infusion": Method.IV,
    "nasal": Method.NASAL,
    "nasal spray": Method.NASAL,
    "nasal_spray": Method.NASAL,
}
MAX_BYTES = 50_000_000  # a year of a large clinic is a few MB


class ScheduleRow(Input):
    date: dt.date = Field(title="date", description="a date (YYYY-MM-DD)")
    time: dt.time = Field(title="time", description="a time of day (HH:MM)")
    chair: str = Field(title="chair", description="1 to 8 letters or digits", pattern=r"^[A-Za-z0-9]{1,8}$")
    mrn: str = Field(
        title="mrn",
        description="3 to 20 letters, digits or dashes",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,19}$",
    )
    name: str = Field(title="name", description='"Family, Given"', min_length=3, max_length=160)
    date_of_birth: dt.date = Field(title="date_of_birth", description="a date (YYYY-MM-DD)")
    method: Method = Field(title="method", description="IV or nasal")

    @field_validator("time", mode="before")
    @classmethod
    def _pad_hour(cls, value: object) -> str:
        text = str(value).strip()
        return f"0{text}" if len(text) == 4 and text[1] == ":" else text

    @field_validator("method", mode="before")
    @classmethod
    def _method_words(cls, value: object) -> object:
        return METHOD_WORDS.get(str(value).strip().lower(), value)

    def names(self) -> tuple[str, str]:
        if "," in self.name:
            family, given = (part.strip() for part in self.name.split(",", 1))
        else:
            given, _, family = self.name.strip().rpartition(" ")
        if not family or not given:
            raise InvalidInput("name", 'name: "Family, Given" (both parts).')
        return family, given


@dataclass
class ImportResult:
    sessions_created: int = 0
    patients_created: int = 0
    already_booked: int = 0
    problems: list[str] = field(default_factory=list)
    stopped_at_line: int | None = None  # writing stopped there; the lines before it were imported

    def refused(self) -> str:
        """What happened to the file when it has problems."""
        if self.stopped_at_line is None:
            return "nothing was imported"
        return (
            f"lines before {self.stopped_at_line} were imported ({self.sessions_created} session(s)), the "
            "rest were not: import the file again once fixed, rows already booked are skipped"
        )


def read_schedule(path: Path) -> list[tuple[int, dict]]:
    """The file's data rows with their line numbers; a file that cannot be read is one clear error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput("file", f"{path}: cannot be read ({exc.strerror}).") from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput("file", f"{path}: larger than {MAX_BYTES // 1_000_000} MB; is it the right file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file", f"{path}: not UTF-8 text; export the schedule as UTF-8 CSV.") from None
    # A cell as large as the file: an oversized cell is then refused by its column's own rule, by name.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    twice = sorted({name for name in header if header.count(name) > 1 and name})
    if twice:
        raise InvalidInput(
            "file", f"{path}: column(s) {', '.join(twice)} appear more than once; keep one of each."
        )
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InvalidInput(
            "file", f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}."
        )
    reader.fieldnames = header
    rows = []
    try:
        for record in reader:
            if None in record:
                raise InvalidInput("file", f"line {reader.line_num}: more cells than columns.")
            if any((value or "").strip() for value in record.values()):
                rows.append(
                    (reader.line_num, {k: (v or "").strip() for k, v in record.items() if k in COLUMNS})
                )
    except csv.Error as exc:  # a cell past the csv module's limit, a stray quote...
        line = reader.line_num + 1  # the row being read when it failed
        raise InvalidInput(
            "file", f"{path} line {line}: not a CSV row a schedule can have ({exc})."
        ) from None
    return rows


HORIZON_DAYS = 365  # the settings' schedule_horizon_days by default


@dataclass(frozen=True, slots=True)
class _Booking:
    """What a checked row books: its few values, not its validation model (a file may have 100,000)."""

    date: dt.date
    time: dt.time
    chair: str
    method: Method


@dataclass(frozen=True, slots=True)
class _Checked:
    line: int
    row: _Booking
    patient_in: PatientIn  # one, shared by every row of the same patient


def import_schedule(
    db: Database,
    actor: Actor,
    rows: list[tuple[int, dict]],
    horizon_days: int = HORIZON_DAYS,
    zone: ZoneInfo | None = None,
    plan: SeriesPlan | None = None,
) -> ImportResult:
    """Check every row (each problem of each row, in one pass) and refuse the whole file if any has
    one; else store them, a batch per transaction. `zone`: the clinic's, whose today no row may precede."""
    require_scheduler(actor)
    result = ImportResult()
    today = db.clock.now().astimezone(zone or ZoneInfo("UTC")).date()
    checked = []
    patients: dict[tuple, PatientIn] = {}
    for line, data in rows:
        problems, row = _check_row(db, data, today, horizon_days, patients)
        result.problems += [f"line {line}: {problem}" for problem in problems]
        if row is not None:
            checked.append(_Checked(line, *row))
    result.problems += _conflicts_in_file(checked)
    with db.read() as session:
        problems, booked_lines = _against_the_record(session, checked)
        positions, waiting = _series_positions(session, checked, plan or SeriesPlan())
    result.problems += problems + waiting
    if result.problems:
        result.problems.sort(key=_line_number)
        return result
    result.already_booked = len(booked_lines)  # nothing to write for those: an import run twice is quick
    _store(db, actor, [item for item in checked if item.line not in booked_lines], positions, result)
    return result


Position = tuple[int | None, int | None]


def _series_positions(
    session: Session, checked: list[_Checked], plan: SeriesPlan
) -> tuple[dict[int, Position], list[str]]:
    """Where each row falls in the plan, as a booking made by hand would (a new patient's first
    series, the next of an unfinished one, else maintenance), counting the file's earlier rows of the
    patient; and the rows refused as maintenance the physician has not decided (end-of-induction)."""
    groups: dict[tuple[str, Method], list[_Checked]] = {}
    for item in sorted(checked, key=lambda i: (i.row.date, i.row.time)):
        groups.setdefault((item.patient_in.mrn, item.row.method), []).append(item)
    mrns = sorted({mrn for mrn, _ in groups})
    registered = {
        mrn: patient_id
        for start in range(0, len(mrns), 500)  # a year's file may name many patients: in chunks
        for mrn, patient_id in session.exec(
            select(col(Patient.mrn), col(Patient.id)).where(col(Patient.mrn).in_(mrns[start : start + 500]))
        )
    }
    positions: dict[int, Position] = {}
    problems = []
    for (mrn, method), items in groups.items():
        first = items[0].row.date
        patient_id = registered.get(mrn)
        position: Position = (
            position_for_booking(session, patient_id, method, first, plan)
            if patient_id is not None
            else (1, series_length(method, plan))
        )
        for n, item in enumerate(items):
            before, position = position, _after(position) if n else position
            positions[item.line] = position
            if position != (None, None):
                continue
            if n == 0:  # after the record: the latest session's series end, and its review
                waiting = (
                    None if patient_id is None else maintenance_waits(session, patient_id, method, first)
                )
            else:  # after the file's own series end: no review can have been made of it yet
                waiting = None if before == (None, None) else AWAITING_REVIEW
            if waiting:
                problems.append(f"line {item.line}: a maintenance session: {waiting}.")
    return positions, problems


def _after(position: Position) -> Position:
    """The next booking's place after `position`: the series' next, or maintenance after its last."""
    number, length = position
    if number is not None and length is not None and number < length:
        return number + 1, length
    return None, None


def _line_number(problem: str) -> int:
    return int(problem.split(":", 1)[0].removeprefix("line ").strip() or 0)


def _check_row(
    db: Database, data: dict, today: dt.date, horizon_days: int, patients: dict[tuple, PatientIn]
) -> tuple[list[str], tuple[_Booking, PatientIn] | None]:
    """Every problem of one row on its own, and the row when it has none. `patients`: those already
    checked, by what the file says of them."""
    try:
        row = ScheduleRow.model_validate(data)
    except ValidationError as exc:
        return [str(problem) for problem in refusals(ScheduleRow, exc)], None
    problems = []
    if row.date < today:
        problems.append(f"date: {row.date} is in the past; a schedule books today or later.")
    elif row.date > today + dt.timedelta(days=horizon_days):
        problems.append(
            f"date: {row.date} is more than {horizon_days} days ahead (the setting schedule_horizon_days)."
        )
    try:
        family, given = row.names()
        said = (row.mrn, family, given, row.date_of_birth)
        patient_in = patients.get(said) or validated_patient(
            db,
            {
                "mrn": row.mrn,
                "family_name": family,
                "given_name": given,
                "date_of_birth": row.date_of_birth,
                "sex": "unknown",
            },
        )
    except InvalidInput as exc:
        return [*problems, str(exc)], None
    patients[said] = patient_in
    booking = _Booking(row.date, row.time, row.chair, row.method)
    return problems, (None if problems else (booking, patient_in))


def _conflicts_in_file(checked: list[_Checked]) -> list[str]:
    """A patient twice at one time, or two patients in one chair at one time, within the file."""
    problems = []
    patients: dict[tuple, _Checked] = {}
    chairs: dict[tuple, _Checked] = {}
    for item in checked:
        row, mrn = item.row, item.patient_in.mrn
        when = f"{row.date} {row.time:%H:%M}"
        first = patients.setdefault((mrn, row.date, row.time), item)
        if first is not item:
            problems.append(f"line {item.line}: MRN {mrn} is booked at {when} on line {first.line} already.")
        taken = chairs.setdefault((row.chair, row.date, row.time), item)
        if taken is not item and taken.patient_in.mrn != mrn:
            problems.append(
                f"line {item.line}: chair {row.chair} at {when} is taken by MRN {taken.patient_in.mrn} "
                f"(line {taken.line})."
            )
    return problems


def _against_the_record(session: Session, checked: list[_Checked]) -> tuple[list[str], set[int]]:
    """Each row against the registered patients and the bookings already made: the problems, and
    the lines booked already (the same patient, time and chair)."""
    problems = []
    mrns = sorted({item.patient_in.mrn for item in checked})
    registered: dict[str, Patient] = {}
    for start in range(0, len(mrns), 500):
        chunk = mrns[start : start + 500]
        registered |= {
            found.mrn: found for found in session.exec(select(Patient).where(col(Patient.mrn).in_(chunk)))
        }
    days = sorted({item.row.date for item in checked})
    # Columns, not rows: a year's bookings may be many.
    bookings = session.exec(
        select(
            col(TreatmentSession.patient_id),
            col(TreatmentSession.clinic_date),
            col(TreatmentSession.scheduled_time),
            col(TreatmentSession.chair),
        ).where(
            col(TreatmentSession.clinic_date).in_(days),
            TreatmentSession.status != SessionStatus.CANCELLED,
        )
    ).all()
    chair_of = {(patient_id, day, at): chair for patient_id, day, at, chair in bookings}
    holder_of = {(chair, day, at): patient_id for patient_id, day, at, chair in bookings}
    taken: list[tuple[int, str, int]] = []  # (line, what, holder's id): named once all are known
    booked_lines: set[int] = set()
    for item in checked:
        row, wanted = item.row, item.patient_in
        patient = registered.get(wanted.mrn)
        when = f"{row.date} {row.time:%H:%M}"
        if patient is not None:
            if not _same_person(patient, wanted):
                problems.append(
                    f"line {item.line}: MRN {patient.mrn} belongs to {patient.display_name}, born "
                    f"{patient.date_of_birth}, not {wanted.family_name}, {wanted.given_name}, born "
                    f"{wanted.date_of_birth}: check the wristband and the schedule."
                )
                continue
            if not patient.active:
                problems.append(f"line {item.line}: {patient.display_name} (MRN {patient.mrn}) is inactive.")
                continue
            chair = chair_of.get((patient.id, row.date, row.time))
            if chair == row.chair:
                booked_lines.add(item.line)
            elif chair is not None:
                name = patient.display_name
                problems.append(f"line {item.line}: {name} is already booked at {when} in chair {chair}.")
        holder = holder_of.get((row.chair, row.date, row.time))
        if holder is not None and (patient is None or holder != patient.id):
            taken.append((item.line, f"chair {row.chair} at {when}", holder))
    holders = sorted({holder for _, _, holder in taken})
    names = {
        found.id: found.display_name
        for start in range(0, len(holders), 500)
        for found in session.exec(select(Patient).where(col(Patient.id).in_(holders[start : start + 500])))
    }
    problems += [f"line {line}: {what} is already taken by {names[holder]}." for line, what, holder in taken]
    return sorted(problems, key=_line_number), booked_lines


def _same_person(patient: Patient, wanted: PatientIn) -> bool:
    def plain(text: str) -> str:
        return " ".join(text.split()).casefold()

    return (
        patient.date_of_birth == wanted.date_of_birth
        and plain(patient.family_name) == plain(wanted.family_name)
        and plain(patient.given_name) == plain(wanted.given_name)
    )


BATCH_ROWS = 500  # rows written per transaction (a quarter to half a second)
# A pause between batches on SQLite, longer than the 100 ms a waiting writer sleeps between tries:
# back-to-back batches would otherwise take the lock again before another workstation wakes up.
WRITERS_TURN_SECONDS = 0.12


def _store(
    db: Database, actor: Actor, checked: list[_Checked], positions: dict[int, Position], result: ImportResult
) -> None:
    """Write the checked rows in short transactions. Each batch is checked again as it is written:
    should the record have changed since (another workstation booked that chair), the import stops
    there, with every batch before it kept whole; the same file imported again books the rest."""
    for start in range(0, len(checked), BATCH_ROWS):
        if start and db.backend == "sqlite":
            time.sleep(WRITERS_TURN_SECONDS)
        batch = checked[start : start + BATCH_ROWS]
        with db.write() as session:
            stored = _store_batch(session, db, actor, batch, positions)
        if isinstance(stored, str):
            result.problems.append(stored)
            result.stopped_at_line = batch[0].line
            return
        patients, sessions, already = stored
        result.patients_created += patients
        result.sessions_created += sessions
        result.already_booked += already


def _store_batch(
    session: Session, db: Database, actor: Actor, batch: list[_Checked], positions: dict[int, Position]
) -> tuple[int, int, int] | str:
    """(patients, sessions, already booked) written, or the problem that stopped the batch (nothing of
    it written)."""
    now = db.clock.now()
    problems, _ = _against_the_record(session, batch)
    if problems:
        return problems[0].removesuffix(".") + ": changed since the file was checked."
    mrns = {item.patient_in.mrn for item in batch}
    registered = {p.mrn: p for p in session.exec(select(Patient).where(col(Patient.mrn).in_(sorted(mrns))))}
    new: dict[str, Patient] = {}
    for item in batch:
        if item.patient_in.mrn not in registered:
            new.setdefault(item.patient_in.mrn, new_patient_row(item.patient_in, now))
    insert_many(session, list(new.values()), actor=actor, action=PATIENT_CREATE, at=now)
    registered |= new
    ids = {patient.id for patient in registered.values()}
    days = {item.row.date for item in batch}
    existing = {
        (b.patient_id, b.clinic_date, b.scheduled_time)
        for b in session.exec(
            select(TreatmentSession).where(
                col(TreatmentSession.patient_id).in_(sorted(ids)),
                col(TreatmentSession.clinic_date).in_(sorted(days)),
            )
        )
    }
    bookings = []
    for item in batch:
        row, patient = item.row, registered[item.patient_in.mrn]
        if (patient.id, row.date, row.time) in existing:
            continue
        session_in = SessionIn(
            patient_id=patient.id,
            clinic_date=row.date,
            scheduled_time=row.time,
            chair=row.chair,
            method=row.method,
            series_number=positions[item.line][0],
            series_length=positions[item.line][1],
        )
        bookings.append(new_session_row(session_in, now))
    insert_many(session, bookings, actor=actor, action=SESSION_SCHEDULE, at=now)
    return len(new), len(bookings), len(batch) - len(bookings)
