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

from pydantic import Field, ValidationError, field_validator
from sqlmodel import select

from console.chair.sessions import add_session, booked
from console.clinic.patients import add_patient, normalise_mrn, validated_patient
from console.domain.actors import Actor, require_scheduler
from console.domain.errors import InvalidInput
from console.domain.inputs import Input, SessionIn, refusal
from console.domain.vocab import Method
from console.store.database import Database
from console.store.models import Patient

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
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InvalidInput(
            "file", f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}."
        )
    reader.fieldnames = header
    rows = []
    for record in reader:
        if None in record:
            raise InvalidInput("file", f"line {reader.line_num}: more cells than columns.")
        if any((value or "").strip() for value in record.values()):
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in record.items() if k in COLUMNS}))
    return rows


def import_schedule(db: Database, actor: Actor, rows: list[tuple[int, dict]]) -> ImportResult:
    """Check every row, then store them all in one transaction, or refuse the whole file."""
    require_scheduler(actor)
    result = ImportResult()
    checked = []
    for line, data in rows:
        try:
            row = ScheduleRow.model_validate(data)
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
            checked.append((line, row, patient_in))
        except ValidationError as exc:
            result.problems.append(f"line {line}: {refusal(ScheduleRow, exc)}")
        except InvalidInput as exc:
            result.problems.append(f"line {line}: {exc}")
    if result.problems:
        return result
    try:
        _store(db, actor, checked, result)
    except _FileRefused:
        result.sessions_created = result.patients_created = result.already_booked = 0
    return result


class _FileRefused(Exception):
    """Raised inside the transaction so that nothing of the file is kept."""


def _store(db: Database, actor: Actor, checked, result: ImportResult) -> None:
    with db.write() as session:
        for line, row, patient_in in checked:
            patient = session.exec(select(Patient).where(Patient.mrn == normalise_mrn(row.mrn))).first()
            if patient is None:
                patient = add_patient(session, db, actor, patient_in)
                result.patients_created += 1
            elif patient.date_of_birth != row.date_of_birth:
                result.problems.append(
                    f"line {line}: MRN {patient.mrn} belongs to {patient.display_name}, born "
                    f"{patient.date_of_birth}, not {row.date_of_birth}: check the wristband and the schedule."
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
