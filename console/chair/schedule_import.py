"""Bring the day's appointments from the clinic's scheduling system (CSV), all or nothing.

Columns (header row required, any order, case-insensitive):
    date, time, chair, mrn, name, date_of_birth, method
`name` is "Family, Given" (or "Given Family"); `method` is IV / iv_infusion / nasal / nasal_spray.
Patients are matched by MRN and registered when new. Every row is checked before anything is
stored; one bad row refuses the whole file, each problem named by its line number.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from sqlmodel import Session, col, select

from console.chair.sessions import add_session, booked
from console.clinic.patients import add_patient, validated_patient
from console.domain.actors import Actor, require_scheduler
from console.domain.errors import InvalidInput
from console.domain.inputs import Input, PatientIn, SessionIn, refusals
from console.domain.vocab import Method, SessionStatus
from console.store.database import Database
from console.store.models import Patient, TreatmentSession

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
MAX_BYTES = 5_000_000


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
    def _pad_hour(cls, value):
        text = str(value).strip()
        return f"0{text}" if len(text) == 4 and text[1] == ":" else text

    @field_validator("method", mode="before")
    @classmethod
    def _method_words(cls, value):
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


@dataclass(frozen=True)
class _Checked:
    line: int
    row: ScheduleRow
    patient_in: PatientIn


def import_schedule(
    db: Database,
    actor: Actor,
    rows: list[tuple[int, dict]],
    horizon_days: int = HORIZON_DAYS,
    zone: ZoneInfo | None = None,
) -> ImportResult:
    """Check every row (each problem of each row, in one pass), then store them all in one
    transaction, or refuse the whole file. `zone`: the clinic's, whose today no row may precede."""
    require_scheduler(actor)
    result = ImportResult()
    today = db.clock.now().astimezone(zone or ZoneInfo("UTC")).date()
    checked = []
    for line, data in rows:
        problems, row = _check_row(db, data, today, horizon_days)
        result.problems += [f"line {line}: {problem}" for problem in problems]
        if row is not None:
            checked.append(_Checked(line, *row))
    result.problems += _conflicts_in_file(checked)
    with db.read() as session:
        result.problems += _against_the_record(session, checked)
    if result.problems:
        result.problems.sort(key=_line_number)
        return result
    try:
        _store(db, actor, checked, result)
    except _FileRefused:
        result.sessions_created = result.patients_created = result.already_booked = 0
    return result


def _line_number(problem: str) -> int:
    return int(problem.split(":", 1)[0].removeprefix("line ").strip() or 0)


def _check_row(
    db: Database, data: dict, today: dt.date, horizon_days: int
) -> tuple[list[str], tuple[ScheduleRow, PatientIn] | None]:
    """Every problem of one row on its own, and the row when it has none."""
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
        patient_in = validated_patient(
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
    return problems, (None if problems else (row, patient_in))


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


def _against_the_record(session: Session, checked: list[_Checked]) -> list[str]:
    """Each row against the registered patients and the bookings already made."""
    problems = []
    mrns = sorted({item.patient_in.mrn for item in checked})
    registered: dict[str, Patient] = {}
    for start in range(0, len(mrns), 500):
        chunk = mrns[start : start + 500]
        registered |= {
            found.mrn: found for found in session.exec(select(Patient).where(col(Patient.mrn).in_(chunk)))
        }
    days = sorted({item.row.date for item in checked})
    bookings = list(
        session.exec(
            select(TreatmentSession).where(
                col(TreatmentSession.clinic_date).in_(days),
                TreatmentSession.status != SessionStatus.CANCELLED,
            )
        )
    )
    by_patient = {(b.patient_id, b.clinic_date, b.scheduled_time): b for b in bookings}
    by_chair = {(b.chair, b.clinic_date, b.scheduled_time): b for b in bookings}
    holders = sorted({b.patient_id for b in bookings})
    names = {
        found.id: found.display_name
        for start in range(0, len(holders), 500)
        for found in session.exec(select(Patient).where(col(Patient.id).in_(holders[start : start + 500])))
    }
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
            mine = by_patient.get((patient.id, row.date, row.time))
            if mine is not None and mine.chair != row.chair:
                name = patient.display_name
                problems.append(
                    f"line {item.line}: {name} is already booked at {when} in chair {mine.chair}."
                )
        held = by_chair.get((row.chair, row.date, row.time))
        if held is not None and (patient is None or held.patient_id != patient.id):
            holder = names.get(held.patient_id) or f"patient {held.patient_id}"
            problems.append(f"line {item.line}: chair {row.chair} at {when} is already taken by {holder}.")
    return problems


def _same_person(patient: Patient, wanted: PatientIn) -> bool:
    def plain(text: str) -> str:
        return " ".join(text.split()).casefold()

    return (
        patient.date_of_birth == wanted.date_of_birth
        and plain(patient.family_name) == plain(wanted.family_name)
        and plain(patient.given_name) == plain(wanted.given_name)
    )


class _FileRefused(Exception):
    """Raised inside the transaction so that nothing of the file is kept."""


def _store(db: Database, actor: Actor, checked: list[_Checked], result: ImportResult) -> None:
    with db.write() as session:
        for item in checked:
            row, patient_in = item.row, item.patient_in
            patient = session.exec(select(Patient).where(Patient.mrn == patient_in.mrn)).first()
            if patient is None:
                patient = add_patient(session, db, actor, patient_in)
                result.patients_created += 1
            elif not _same_person(patient, patient_in):  # changed since the rows were checked
                result.problems.append(
                    f"line {item.line}: MRN {patient.mrn} now belongs to {patient.display_name}."
                )
                continue
            session_in = SessionIn(
                patient_id=patient.id,
                clinic_date=row.date,
                scheduled_time=row.time,
                chair=row.chair,
                method=row.method,
            )
            if booked(session, session_in):
                result.already_booked += 1
                continue
            add_session(session, db, actor, session_in)
            result.sessions_created += 1
        if result.problems:
            raise _FileRefused  # all or nothing
