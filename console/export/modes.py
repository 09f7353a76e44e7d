"""What each kind of export shows of each file: identified, a HIPAA limited data set, or Safe Harbor.

- identified: everything, the patient named by MRN and name;
- limited data set (45 CFR 164.514(e)): no name, MRN or free text; the patient's random code and
  year of birth; dates and times kept, so a data use agreement is needed;
- Safe Harbor (45 CFR 164.514(b)(2)): as the limited data set, and no element of a date but the
  year: each time becomes minutes from the session's check-in, the day the year and the days from
  the patient's first session, the birth year an age with every age over 89 shown as 90, and the
  session's number a code made for this export only (no record keys).

The plan of a file lists, per column shown, where its value comes from and how it is changed; the
CSV, workbook and data package writers all follow it, so they cannot disagree.
"""

import secrets
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session, col

from console.domain.age import age_on
from console.export.catalogue import export_file
from console.export.dictionary import DATE, INTEGER, NOT_DEIDENTIFIED, TEXT, TIME, Column
from console.export.local_time import as_utc
from console.export.records import Record
from console.export.rows import in_range, stream
from console.store.models import Patient, TreatmentSession


class Mode(StrEnum):
    IDENTIFIED = "identified"
    LIMITED = "limited_data_set"
    SAFE_HARBOR = "safe_harbor"


STANDARD = {
    Mode.IDENTIFIED: None,
    Mode.LIMITED: "HIPAA limited data set (45 CFR 164.514(e)): use only under a data use agreement",
    Mode.SAFE_HARBOR: "HIPAA Safe Harbor de-identification (45 CFR 164.514(b)(2))",
}
IDENTIFYING = {"mrn", "patient", "date_of_birth", "enrolment_id"}
PSEUDONYMOUS = {"pseudonym", "birth_year"}
OLDEST_SHOWN = 90  # Safe Harbor: every age over 89 is one group
SESSION_KEY = Column(
    "session_key", "a code for the session, made for this export only (it links the files)", "", TEXT
)
YEAR = Column("year", "year of the clinic day", "", INTEGER)
SAFE_HARBOR_SESSION = [
    Column("age", "age at the session in whole years; 90 stands for 90 or older", "years", INTEGER),
    Column(
        "day_of_series", "days from the patient's first session in the record to this one", "days", INTEGER
    ),
]


class Shown(NamedTuple):
    column: Column  # as the export names and describes it
    source: str  # the row's field its value comes from
    how: str = ""  # "", "key", "year", "minutes", "age" or "day_of_series"


def plan(file: str, mode: Mode) -> list[Shown]:
    """The columns one file has in this kind of export, in order."""
    shown: list[Shown] = []
    for column in export_file(file).columns:
        if mode is Mode.IDENTIFIED:
            if column.name not in PSEUDONYMOUS:
                shown.append(Shown(column, column.name))
            continue
        if column.name in IDENTIFYING or column.meaning.endswith(NOT_DEIDENTIFIED):
            continue  # a nurse may have typed a name or a number into a free text
        if mode is Mode.LIMITED:
            shown.append(Shown(column, column.name))
        elif column.name == "birth_year":
            continue
        elif column.name == "pseudonym":
            shown.append(Shown(column, column.name))
            shown += [Shown(extra, "session_id", extra.name) for extra in SAFE_HARBOR_SESSION]
        elif column.name == "session_id":
            shown.append(Shown(SESSION_KEY, "session_id", "key"))
        elif column.type == DATE:
            shown.append(Shown(YEAR, column.name, "year"))
        elif column.type == TIME:
            meaning = f"{column.meaning}: minutes from the session's check-in"
            minutes = Column(f"{column.name}_min", meaning, "min", INTEGER, column.empty)
            shown.append(Shown(minutes, column.name, "minutes"))
        else:
            shown.append(Shown(column, column.name))
    return shown


def columns(file: str, mode: Mode) -> list[str]:
    return [shown.column.name for shown in plan(file, mode)]


class Facts(NamedTuple):
    """What Safe Harbor's changes need to know of one session."""

    start: datetime | None
    key: str
    age: int
    series_day: int


def session_facts(session: Session, first: date, last: date) -> dict[int, Facts]:
    """Per session of the range: its check-in, a new random code, the patient's age and series day."""
    t = TreatmentSession
    firsts = (
        select(col(t.patient_id), func.min(t.clinic_date).label("first_day"))
        .group_by(col(t.patient_id))
        .subquery()
    )
    query = (
        select(
            col(t.id),
            col(t.checked_in_at),
            col(t.clinic_date),
            col(Patient.date_of_birth),
            firsts.c.first_day,
        )
        .join(Patient, col(Patient.id) == t.patient_id)
        .join(firsts, firsts.c.patient_id == t.patient_id)
        .where(in_range(first, last))
    )
    facts = {}
    for session_id, start, day, born, first_day in stream(session, query):
        age = age_on(born, day)
        key = secrets.token_hex(5)
        checked_in = None if start is None else as_utc(start)
        facts[session_id] = Facts(checked_in, key, min(age, OLDEST_SHOWN), (day - first_day).days)
    return facts


def row_values(file: str, shown: list[Shown], facts: dict[int, Facts]) -> Callable[[Record], list]:
    """The function that turns a row of `file` into the values this plan shows (typed, not yet
    formatted). A row's fields are its file's columns in order (records.py), so they are read by
    position; an identified file shows them all as they are, the row itself."""
    names = [column.name for column in export_file(file).columns]
    positions = [names.index(item.source) for item in shown]
    changes = [(position, item.how) for position, item in enumerate(shown) if item.how]
    if positions == list(range(len(names))) and not changes:
        return list
    pick = itemgetter(*positions)
    read: Callable[[Record], list] = (
        (lambda record: [pick(record)]) if len(positions) == 1 else (lambda record: list(pick(record)))
    )

    def values(record: Record) -> list:
        found = read(record)
        if not changes:
            return found
        fact = facts.get(record.session_id) if record.session_id is not None else None
        for position, how in changes:
            found[position] = _changed(how, found[position], fact)
        return found

    return values


def _changed(how: str, value: Any, fact: Facts | None) -> int | str | None:
    if how == "year":
        return None if value is None else value.year
    if fact is None:
        return None
    if how == "key":
        return fact.key
    if how == "age":
        return fact.age
    if how == "day_of_series":
        return fact.series_day
    if value is None or fact.start is None:
        return None
    return int((as_utc(value) - fact.start).total_seconds() // 60)  # minutes
