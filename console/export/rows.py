"""The rows of each export file, streamed from the database, each value named by its dictionary column.

Rows are the typed named tuples of `records.py`: the writer picks each column by name, and a query
read straight into a row has its columns labelled and ordered by the dictionary (`labelled`), so a
value can never land under another column's name. Never ORM objects or
dicts: a five-year export stays small and fast. Values are raw (numbers, dates, UTC datetimes,
booleans); the file writer formats and neutralises them. Timestamps come as stored (`raw_time`):
UTC, without an offset on SQLite; the writer adds it.
"""

import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import cache
from itertools import groupby
from operator import attrgetter
from typing import Any, TypeVar, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    DateTime,
    Dialect,
    Executable,
    Label,
    Select,
    String,
    Subquery,
    TypeCoerce,
    case,
    cast,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Mapped, aliased
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Session, SQLModel, col

from console.chair.alerts import breaches
from console.chair.discharge_gate import given_mg
from console.chair.rems import RemsFacts, first_device_at, identified_pressures, missing_from
from console.chair.session_guide import note_lines
from console.domain.billing import billed
from console.domain.pain import PainChange
from console.domain.protocol import AlertThresholds, BillingCodes
from console.domain.questionnaires import LOINC, band, change, score
from console.domain.vitals_fields import VITALS_FIELDS
from console.domain.vocab import InfusionEventKind, Instrument, Method
from console.export.dictionary import ADDENDA, ALERTS, RETURNS, SIDE_EFFECTS, VITALS, Column
from console.export.records import (
    AddendumRow,
    AlertRow,
    BillingRow,
    ControlledRow,
    NoteRow,
    QuestionnaireRow,
    RemsRow,
    ReturnRow,
    SessionRow,
    SideEffectRow,
    VitalsRow,
)
from console.store.codes import Code
from console.store.models import (
    Addendum,
    Alert,
    DoseAdministration,
    InfusionEvent,
    Override,
    Patient,
    PatientPseudonym,
    Questionnaire,
    RemsCheck,
    ReviewReturn,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    UserAccount,
    VitalSigns,
    table_of,
)
from console.store.timestamps import UTCDateTime

BATCH = 2000
PROGRESS_EVERY = BATCH  # rows (or bundle entries) between two progress reports
Progress = Callable[[str, int], None]  # (file name, how many written so far)


def labelled(file: list[Column], expressions: Mapping[str, Any]) -> list[Any]:
    """A query's columns labelled with the dictionary's names, in its order; every column exactly once."""
    names = [column.name for column in file]
    if set(expressions) != set(names):
        raise ValueError(f"query columns {sorted(expressions)} are not the dictionary's {names}")
    return [expressions[name].label(name) for name in names]


def in_range(first: date, last: date) -> ColumnElement[bool]:
    return col(TreatmentSession.clinic_date).between(first, last)


def plan_for_every_row(session: Session) -> None:
    """PostgreSQL plans a streamed (cursor) query for its first rows, as for a screen that stops
    reading early; an export reads every row, so let it plan for all of them (the fast-start plan,
    nested loops over the per-session totals, made sessions.csv ten times slower)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))


def stream(session: Session, query: Executable) -> CursorResult[*tuple[Any, ...]]:
    """Core rows in batches: no ORM bookkeeping per row."""
    return session.connection().execution_options(yield_per=BATCH).execute(query)


R = TypeVar("R")
Columns = TypeVarTuple("Columns")


def read_as(record: type[R], rows: Iterable) -> Iterator[R]:
    """A file's rows as its records, uncopied: `labelled` gave the query the dictionary's names in
    its order, which are the record's fields (a test holds them equal), so each row reads like one
    (a copy per row was a tenth of a five-year vitals file's time)."""
    return typing.cast(Iterator[R], iter(rows))


# A column as the helpers below take it: a model's attribute (which SQLModel types as its value) or
# a table's column.
AColumn = object


def raw_time(column: AColumn) -> TypeCoerce[datetime]:
    """A timestamp without the column type's per-value conversion (a third of a CSV export's time)."""
    return type_coerce(column, DateTime(timezone=True))


class _StoredTime(TypeDecorator[datetime | str]):
    """SQLite's stored UTC text ('2026-11-26 15:04:05.000000') as it is; elsewhere a datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String() if dialect.name == "sqlite" else DateTime(timezone=True))


def stored_time(column: AColumn) -> TypeCoerce[datetime | str]:
    """A timestamp a file only writes, as the driver hands it over: never parsed on SQLite (a
    five-year vitals file has two million of them). Writers read it with `local_time`."""
    return type_coerce(column, _StoredTime())


def raw_code(column: AColumn) -> TypeCoerce[str]:
    """A code as its stored text: the file holds the text, so no enum is made per value."""
    return type_coerce(column, String)


@cache  # 11 x 11 possible pairs: computed once each
def _pain_columns(before: int | None, after: int | None) -> tuple:
    if before is None or after is None:
        return None, None, None
    change = PainChange(before, after)
    return change.change, change.percent, change.klass.value


def _per_session(model: type[SQLModel], *values: ColumnElement[Any]) -> Subquery:
    session_id = table_of(model).c.session_id
    return select(session_id, *values).group_by(session_id).subquery()


def _joined_text(session: Session, value: ColumnElement[str]) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "sqlite":
        return func.group_concat(value, "; ")
    return func.string_agg(value, literal("; "))


def sessions(session: Session, first: date, last: date, pseudonymous: bool = False) -> Iterator[SessionRow]:
    """One row per session with its doses, side effects, counts and signature summarised."""
    nurse = aliased(UserAccount)
    label = SideEffect.effect + literal(" (grade ") + cast(SideEffect.grade, String) + literal(")")
    doses = _per_session(
        DoseAdministration,
        func.min(raw_code(DoseAdministration.drug)).label("drug"),
        func.sum(DoseAdministration.dose_mg).label("dose_mg"),
        func.sum(DoseAdministration.mg_per_kg).label("mg_per_kg"),
        func.max(DoseAdministration.weight_kg_used).label("weight_kg"),
        func.max(DoseAdministration.rate_mg_per_kg_h).label("rate"),
    )
    effects = _per_session(
        SideEffect, _joined_text(session, label).label("summary"), func.max(SideEffect.grade).label("grade")
    )
    alerts = _per_session(Alert, func.count().label("n"))
    overrides = _per_session(Override, func.count().label("n"))
    addenda = _per_session(Addendum, func.count().label("n"))
    s = TreatmentSession
    query = (
        select(
            col(s.clinic_date),
            col(s.id),
            col(s.chair),
            col(Patient.mrn),
            (Patient.family_name + literal(", ") + Patient.given_name).label("patient"),
            col(PatientPseudonym.code),
            col(Patient.date_of_birth),
            raw_code(s.method),
            doses.c.drug,
            doses.c.dose_mg,
            doses.c.mg_per_kg,
            doses.c.weight_kg,
            doses.c.rate,
            raw_time(s.checked_in_at),
            raw_time(s.discharged_at),
            col(s.pain_before),
            col(s.pain_after),
            effects.c.summary,
            effects.c.grade,
            func.coalesce(alerts.c.n, 0),
            func.coalesce(overrides.c.n, 0),
            raw_code(s.status),
            col(nurse.display_name),
            col(SessionSignature.signer_name),  # the name as signed: a later rename changes no signature
            stored_time(SessionSignature.signed_at),
            raw_code(SessionSignature.meaning),
            func.coalesce(addenda.c.n, 0),
        )
        .join(Patient, col(Patient.id) == s.patient_id)
        .outerjoin(PatientPseudonym, col(PatientPseudonym.patient_id) == s.patient_id)
        .outerjoin(nurse, col(nurse.id) == s.nurse_id)
        .outerjoin(SessionSignature, col(SessionSignature.session_id) == s.id)
        .outerjoin(doses, doses.c.session_id == s.id)
        .outerjoin(effects, effects.c.session_id == s.id)
        .outerjoin(alerts, alerts.c.session_id == s.id)
        .outerjoin(overrides, overrides.c.session_id == s.id)
        .outerjoin(addenda, addenda.c.session_id == s.id)
        .where(in_range(first, last))
        .order_by(col(s.clinic_date), col(s.scheduled_time), col(s.id))
    )
    # Unpacked into names: reading a Row's attributes instead makes sessions.csv a third slower.
    for (
        day,
        session_id,
        chair,
        mrn,
        patient,
        code,
        born,
        method,
        drug,
        dose_mg,
        mg_per_kg,
        weight_kg,
        rate,
        start,
        end,
        before,
        after,
        effects_text,
        grade,
        alert_count,
        override_count,
        status,
        nurse_name,
        signer_name,
        signed_at,
        meaning,
        addenda_count,
    ) in stream(session, query):
        change, percent, klass = _pain_columns(before, after)
        yield SessionRow(
            date=day,
            session_id=session_id,
            chair=chair,
            mrn=mrn,
            patient=patient,
            pseudonym=code if pseudonymous else None,
            birth_year=born.year,
            method=method,
            drug=drug,
            dose_mg=dose_mg,
            mg_per_kg=None if mg_per_kg is None else round(mg_per_kg, 3),
            weight_kg=weight_kg,
            rate_mg_per_kg_h=rate,
            start=start,
            end=end,
            duration_min=_minutes(start, end),
            pain_before=before,
            pain_after=after,
            pain_change=change,
            percent_change=percent,
            immpact_class=klass,
            side_effects=effects_text,
            highest_grade=grade,
            alerts=alert_count,
            overrides=override_count,
            status=status,
            nurse=nurse_name,
            signed_by=signer_name,
            signed_at=signed_at,
            signature_meaning=meaning,
            addenda=addenda_count,
        )


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    return None if start is None or end is None else int((end - start).total_seconds() // 60)


def vitals(session: Session, first: date, last: date) -> Iterator[VitalsRow]:
    """One row per reading, with whether it raised an alert."""
    alerted = select(col(Alert.vitals_id)).where(col(Alert.vitals_id).is_not(None)).distinct().subquery()
    v = VitalSigns
    columns = {
        "session_id": col(v.session_id),
        "measured_at": stored_time(v.measured_at),
        "recorded_at": stored_time(v.recorded_at),
        **{field.name: col(getattr(v, field.name)) for field in VITALS_FIELDS},
        "taken_by": col(UserAccount.display_name),
        "alert_raised": alerted.c.vitals_id.is_not(None),
        "corrected": col(v.version) > 1,
    }
    query = (
        select(*labelled(VITALS, columns))
        .join(TreatmentSession, col(TreatmentSession.id) == v.session_id)
        .join(UserAccount, col(UserAccount.id) == v.taken_by)
        .outerjoin(alerted, alerted.c.vitals_id == v.id)
        .where(in_range(first, last))
        .order_by(col(TreatmentSession.clinic_date), col(v.session_id), col(v.measured_at), col(v.id))
    )
    return read_as(VitalsRow, stream(session, query))


def side_effects(session: Session, first: date, last: date) -> Iterator[SideEffectRow]:
    """One row per side effect."""
    e = SideEffect
    columns = {
        "session_id": col(e.session_id),
        "effect": raw_code(e.effect),
        "other_text": col(e.other_text),
        "grade": col(e.grade),
        "onset_at": stored_time(e.onset_at),
        "resolved_at": stored_time(e.resolved_at),
        "action_taken": col(e.action_taken),
        "recorded_by": col(UserAccount.display_name),
    }
    query = (
        select(*labelled(SIDE_EFFECTS, columns))
        .join(TreatmentSession, col(TreatmentSession.id) == e.session_id)
        .join(UserAccount, col(UserAccount.id) == e.recorded_by)
        .where(in_range(first, last))
        .order_by(col(TreatmentSession.clinic_date), col(e.session_id), col(e.onset_at), col(e.id))
    )
    return read_as(SideEffectRow, stream(session, query))


def _as_read(model: type[SQLModel], *names: str) -> list[Label[Any]]:
    """A table's columns for a Core row that given_mg can read like the model: codes as their text
    (no enum made per value), times as stored (all alike, so they compare and subtract)."""
    columns: list[Label[Any]] = []
    for name in names:
        column = getattr(model, name)
        if isinstance(column.type, UTCDateTime):
            columns.append(raw_time(column).label(name))
        elif isinstance(column.type, Code):
            columns.append(raw_code(column).label(name))
        else:
            columns.append(col(column).label(name))
    return columns


def _dose_columns() -> list:
    return _as_read(
        DoseAdministration,
        "id",
        "session_id",
        "drug",
        "route",
        "dose_mg",
        "weight_kg_used",
        "rate_mg_per_kg_h",
        "administered_at",
        "stopped_at",
        "lot_number",
        "concentration_mg_per_ml",
        "drawn_mg",
        "wasted_mg",
    )


def _event_columns() -> list:
    return _as_read(
        InfusionEvent,
        "id",
        "dose_id",
        "kind",
        "at",
        "rate_mg_per_kg_h",
        "recorded_by",
        "stop_reason",
        "wasted_mg",
        "witness_id",
    )


_LOT_ORDER = [
    col(TreatmentSession.clinic_date),
    col(DoseAdministration.lot_number),
    col(DoseAdministration.id),
]
_SESSION_ORDER = [
    col(TreatmentSession.clinic_date),
    col(TreatmentSession.scheduled_time),
    col(TreatmentSession.id),
    col(DoseAdministration.id),
]


def controlled_substances(
    session: Session, first: date, last: date, tolerance_mg: float
) -> Iterator[ControlledRow]:
    """One row per administration, then per lot and day the totals, any mismatch marked."""
    witness, giver = aliased(UserAccount), aliased(UserAccount)
    query = (
        select(
            *_dose_columns(),
            col(TreatmentSession.clinic_date),
            col(witness.display_name).label("witness_name"),
            col(giver.display_name).label("giver_name"),
        )
        .join(TreatmentSession, col(TreatmentSession.id) == DoseAdministration.session_id)
        .outerjoin(witness, col(witness.id) == DoseAdministration.witness_id)
        .join(giver, col(giver.id) == DoseAdministration.administered_by)
        .where(in_range(first, last))
        .order_by(*_LOT_ORDER)
    )
    totals: dict[tuple[date, str, str], list[float]] = {}
    people = dict(session.execute(select(col(UserAccount.id), col(UserAccount.display_name))).all())
    stopped = _stopped_infusions_events(session, first, last, _LOT_ORDER)
    waiting = next(stopped, None)
    for dose in stream(session, query):
        day, witness_name, giver_name = dose.clinic_date, dose.witness_name, dose.giver_name
        events: list = []
        if dose.stopped_at is not None and waiting is not None and waiting[0] == dose.id:
            events, waiting = waiting[1], next(stopped, None)
        stop = next((e for e in events if e.kind == InfusionEventKind.STOP), None)
        given = round(given_mg(typing.cast(DoseAdministration, dose), events), 1)  # read like one
        at_stop = (stop.wasted_mg or 0.0) if stop is not None else 0.0
        total = totals.setdefault((day, dose.lot_number, dose.drug), [0.0, 0.0, 0.0])
        total[0] += dose.drawn_mg
        total[1] += given
        total[2] += dose.wasted_mg + at_stop
        yield ControlledRow(
            row_type="administration",
            date=day,
            session_id=dose.session_id,
            drug=dose.drug,
            lot_number=dose.lot_number,
            concentration_mg_per_ml=dose.concentration_mg_per_ml,
            drawn_mg=dose.drawn_mg,
            given_mg=given,
            wasted_mg=dose.wasted_mg,
            witness=witness_name,
            administered_by=giver_name,
            mismatch=abs(dose.drawn_mg - given - dose.wasted_mg - at_stop) > tolerance_mg,
            stop_reason=stop.stop_reason if stop is not None else None,
        )
        if at_stop:
            yield ControlledRow(
                row_type="waste_at_stop",
                date=day,
                session_id=dose.session_id,
                drug=dose.drug,
                lot_number=dose.lot_number,
                concentration_mg_per_ml=None,
                drawn_mg=None,
                given_mg=None,
                wasted_mg=at_stop,
                witness=people.get(stop.witness_id) if stop is not None else None,
                administered_by=people.get(stop.recorded_by) if stop is not None else None,
                mismatch=False,
                stop_reason=None,
            )
    for (day, lot, drug), (drawn, given, wasted) in sorted(totals.items()):
        yield ControlledRow(
            row_type="lot_day_total",
            date=day,
            session_id=None,
            drug=drug,
            lot_number=lot,
            concentration_mg_per_ml=None,
            drawn_mg=round(drawn, 1),
            given_mg=round(given, 1),
            wasted_mg=round(wasted, 1),
            witness=None,
            administered_by=None,
            mismatch=abs(drawn - given - wasted) > tolerance_mg,
            stop_reason=None,
        )


def _stopped_infusions_events(
    session: Session, first: date, last: date, doses_order: list
) -> Iterator[tuple[int, list]]:
    """(dose id, its events) of each infusion stopped in the range, in the order the doses are read
    (`doses_order`): one streamed query beside the doses', never one query per dose."""
    d = DoseAdministration
    query = (
        select(*_event_columns())
        .join(d, col(d.id) == InfusionEvent.dose_id)
        .join(TreatmentSession, col(TreatmentSession.id) == d.session_id)
        .where(in_range(first, last), col(d.stopped_at).is_not(None))
        .order_by(*doses_order, col(InfusionEvent.id))
    )
    for dose_id, own in groupby(stream(session, query), key=attrgetter("dose_id")):
        yield dose_id, list(own)


def _in_session_order(query: Select[*Columns], session_id: Mapped[int]) -> Select[*Columns]:
    """Rows of sessions of the range, in the sessions' order."""
    t = TreatmentSession
    return query.join(t, col(t.id) == session_id).order_by(
        col(t.clinic_date), col(t.scheduled_time), col(t.id)
    )


def notes(session: Session, first: date, last: date, zone: ZoneInfo) -> Iterator[NoteRow]:
    """One row per line of each session's notes, with the time and author it was stamped with."""
    t = TreatmentSession
    query = (
        select(col(t.id), col(t.notes))
        .where(in_range(first, last), col(t.notes) != "")
        .order_by(col(t.clinic_date), col(t.scheduled_time), col(t.id))
    )
    for session_id, written in stream(session, query):
        for written_at, author, line in note_lines(written, zone):
            yield NoteRow(session_id, written_at, author, line)


def alerts(session: Session, first: date, last: date) -> Iterator[AlertRow]:
    """One row per protocol alert, with its acknowledgement."""
    a = Alert
    columns = {
        "session_id": col(a.session_id),
        "rule": col(a.rule),
        "value": col(a.value),
        "message": col(a.message),
        "raised_at": stored_time(a.raised_at),
        "acknowledged_at": stored_time(a.acknowledged_at),
        "acknowledged_by": col(UserAccount.display_name),
        "acknowledgement": col(a.acknowledgement),
    }
    query = _in_session_order(
        select(*labelled(ALERTS, columns)).outerjoin(UserAccount, col(UserAccount.id) == a.acknowledged_by),
        col(a.session_id),
    ).where(in_range(first, last))
    return read_as(AlertRow, stream(session, query.order_by(col(a.raised_at), col(a.id))))


def returns(session: Session, first: date, last: date) -> Iterator[ReturnRow]:
    """One row per return of a session for correction, with its resubmission."""
    r, physician, nurse = ReviewReturn, aliased(UserAccount), aliased(UserAccount)
    columns = {
        "session_id": col(r.session_id),
        "returned_at": stored_time(r.returned_at),
        "returned_by": col(physician.display_name),
        "comment": col(r.comment),
        "resubmitted_at": stored_time(r.resubmitted_at),
        "resubmitted_by": col(nurse.display_name),
        "response": col(r.response),
    }
    query = _in_session_order(
        select(*labelled(RETURNS, columns))
        .join(physician, col(physician.id) == r.returned_by)
        .outerjoin(nurse, col(nurse.id) == r.resubmitted_by),
        col(r.session_id),
    ).where(in_range(first, last))
    return read_as(ReturnRow, stream(session, query.order_by(col(r.returned_at), col(r.id))))


def addenda(session: Session, first: date, last: date) -> Iterator[AddendumRow]:
    """One row per addendum, its author named as stored with it."""
    d = Addendum
    columns = {
        "session_id": col(d.session_id),
        "written_at": stored_time(d.written_at),
        "author": col(d.author_name),
        "author_role": raw_code(d.author_role),
        "reason": col(d.reason),
        "text": col(d.text),
    }
    query = _in_session_order(select(*labelled(ADDENDA, columns)), col(d.session_id)).where(
        in_range(first, last)
    )
    return read_as(AddendumRow, stream(session, query.order_by(col(d.written_at), col(d.id))))


def questionnaires(session: Session, first: date, last: date) -> Iterator[QuestionnaireRow]:
    """One row per questionnaire answered, scored, with its change since the patient's series began.

    The series began at the patient's latest session numbered 1 on or before the day (before any,
    the patient's earliest answers count), as the session screen reads it; it may have begun before
    the range, so the range's patients' answers are read from their first, in the sessions' order,
    and only the range's are written. Each instrument's first answer in a series comes first in
    that order, so one pass finds it, keeping only each patient's current series.
    """
    q, t = Questionnaire, TreatmentSession
    record = (
        select(
            col(t.id),
            col(t.patient_id),
            col(t.clinic_date),
            col(t.scheduled_time),
            func.max(case((col(t.series_number) == 1, col(t.clinic_date))))
            .over(partition_by=col(t.patient_id), order_by=col(t.clinic_date))
            .label("series_began"),
        )
        .where(
            col(t.patient_id).in_(select(col(t.patient_id)).where(in_range(first, last))),
            col(t.clinic_date) <= last,
        )
        .subquery()
    )
    query = (
        select(
            record.c.clinic_date,
            record.c.patient_id,
            record.c.series_began,
            col(q.session_id),
            raw_code(q.instrument),
            stored_time(q.answered_at),
            col(UserAccount.display_name),
            *[col(getattr(q, f"item_{n}")) for n in range(1, 10)],
        )
        .join(record, record.c.id == q.session_id)
        .join(UserAccount, col(UserAccount.id) == q.recorded_by)
        .order_by(record.c.clinic_date, record.c.scheduled_time, record.c.id, col(q.answered_at), col(q.id))
    )
    current: dict[int, tuple[date | None, dict[Instrument, tuple[int, float]]]] = {}  # by patient
    for day, patient, began, session_id, code, answered_at, asked_by, *items in stream(session, query):
        instrument = Instrument(code)
        value = score(instrument, tuple(item for item in items if item is not None))
        series = current.get(patient)
        if series is None or series[0] != began:
            series = current[patient] = (began, {})
        opened_in, first_score = series[1].setdefault(instrument, (session_id, value))
        if day < first:
            continue  # read only to find where a series in the range began
        start = None if opened_in == session_id else first_score  # none yet where the series began
        moved = None if start is None else change(instrument, start, value)
        yield QuestionnaireRow._make(
            [
                session_id,
                instrument.value,
                LOINC.get(instrument),
                answered_at,
                asked_by,
                *items,
                value,
                band(instrument, value) or None,
                start,
                None if moved is None else moved.percent,
                None if moved is None else moved.name or None,
            ]
        )


def billing(session: Session, first: date, last: date, codes: BillingCodes) -> Iterator[BillingRow]:
    """One row per session with a dose: what was given, for how long, and the codes it bills."""
    nurse, t = aliased(UserAccount), TreatmentSession
    query = (
        select(
            *_dose_columns(),
            col(t.clinic_date),
            raw_time(t.ended_at).label("ended_at"),
            raw_time(t.discharged_at).label("discharged_at"),
            col(Patient.mrn),
            (Patient.family_name + literal(", ") + Patient.given_name).label("patient"),
            col(Patient.diagnosis_code),
            col(nurse.display_name).label("nurse_name"),
            col(SessionSignature.signer_name),
        )
        .join(t, col(t.id) == DoseAdministration.session_id)
        .join(Patient, col(Patient.id) == t.patient_id)
        .outerjoin(nurse, col(nurse.id) == t.nurse_id)
        .outerjoin(SessionSignature, col(SessionSignature.session_id) == t.id)
        .where(in_range(first, last))
        .order_by(*_SESSION_ORDER)
    )
    stopped = _stopped_infusions_events(session, first, last, _SESSION_ORDER)
    waiting = next(stopped, None)
    for _, rows in groupby(stream(session, query), key=attrgetter("session_id")):
        given, lots = 0.0, []
        for dose in (taken := list(rows)):
            events: list = []
            if dose.stopped_at is not None and waiting is not None and waiting[0] == dose.id:
                events, waiting = waiting[1], next(stopped, None)
            given += given_mg(typing.cast(DoseAdministration, dose), events)  # read like one
            lots.append(dose.lot_number)
        first_dose = taken[0]
        start = min(dose.administered_at for dose in taken)
        if first_dose.drug == "ketamine":
            stops = [dose.stopped_at or first_dose.ended_at for dose in taken]
            stop = None if None in stops else max(s for s in stops if s is not None)
        else:
            stop = first_dose.discharged_at
        minutes = _minutes(start, stop)
        yield BillingRow(
            date=first_dose.clinic_date,
            session_id=first_dose.session_id,
            mrn=first_dose.mrn,
            patient=first_dose.patient,
            diagnosis=first_dose.diagnosis_code,
            drug=first_dose.drug,
            given_mg=round(given, 1),
            lot_numbers="; ".join(dict.fromkeys(lots)),
            **billed(first_dose.drug, given, minutes, codes)._asdict(),  # the codes, units and NDC
            start=start,
            stop=stop,
            minutes=minutes,
            rendering_nurse=first_dose.nurse_name,
            supervising_physician=first_dose.signer_name,
        )


# What the form reads of the session and the patient: the rest of their many columns is never parsed.
SESSION_ON_FORM = ("id", "patient_id", "clinic_date", "discharged_at")
PATIENT_ON_FORM = ("mrn", "family_name", "given_name", "date_of_birth", "sex")
# What the form reads of a reading: its time, the pressure and what says whether it was acceptable.
READINGS_ON_FORM = (
    "session_id",
    "measured_at",
    "systolic",
    "diastolic",
    "heart_rate",
    "spo2",
    "resp_rate",
    "moaas",
)


def rems_monitoring(
    session: Session, first: date, last: date, limits: AlertThresholds, zone: ZoneInfo
) -> Iterator[RemsRow]:
    """One row per nasal esketamine session: its REMS monitoring form (console.chair.rems), the
    sessions read a batch at a time with their patients, answers, doses and readings: never a query
    per row, and plain rows that read like the models, never an ORM object each."""
    nurse, t, people = aliased(UserAccount), table_of(TreatmentSession), table_of(Patient)
    query = (
        select(
            *(t.c[name] for name in SESSION_ON_FORM),
            *(people.c[name] for name in PATIENT_ON_FORM),
            col(PatientPseudonym.code).label("pseudonym"),
            col(nurse.display_name).label("nurse_name"),
        )
        .join(people, people.c.id == t.c.patient_id)
        .outerjoin(PatientPseudonym, col(PatientPseudonym.patient_id) == t.c.patient_id)
        .outerjoin(nurse, col(nurse.id) == t.c.nurse_id)
        .where(in_range(first, last), t.c.method == Method.NASAL.value)
        .order_by(t.c.clinic_date, t.c.scheduled_time, t.c.id)
    )
    for batch in stream(session, query).partitions():
        ids = [visit.id for visit in batch]
        checks = {c.session_id: c for c in _rows_of(session, RemsCheck, ids, order=("id",))}
        doses = _by_session(_rows_of(session, DoseAdministration, ids, order=("id",)))
        readings = _by_session(
            _rows_of(session, VitalSigns, ids, order=("measured_at", "id"), only=READINGS_ON_FORM)
        )
        for visit in batch:
            # The row reads like the session and like its patient: their columns' names do not meet.
            as_session, as_patient = typing.cast(TreatmentSession, visit), typing.cast(Patient, visit)
            facts = RemsFacts(
                as_session,
                as_patient,
                checks.get(visit.id),
                doses[visit.id],
                readings[visit.id],
                visit.nurse_name,
            )
            yield _rems_row(facts, visit.pseudonym, limits, zone)


# The tables whose rows a batch of REMS forms reads as plain rows.
OnForm = TypeVar("OnForm", RemsCheck, DoseAdministration, VitalSigns)


def _rows_of(
    session: Session,
    model: type[OnForm],
    ids: list[int],
    order: tuple[str, ...],
    only: tuple[str, ...] = (),
) -> list[OnForm]:
    """A batch of sessions' rows of one table as plain rows: they read like the model (the same
    names, times as aware UTC), without an ORM object each (two thirds of the file's time); `only`
    these columns when given (a nasal series has ten readings a session, each read and converted)."""
    table = table_of(model)
    columns = [table.c[name] for name in only] if only else [table]
    query = select(*columns).where(table.c.session_id.in_(ids)).order_by(*(table.c[name] for name in order))
    return typing.cast(list[OnForm], list(session.execute(query)))  # plain rows, read as the model


def _by_session(rows: Iterable[OnForm]) -> dict[int, list[OnForm]]:
    found: dict[int, list[OnForm]] = defaultdict(list)
    for row in rows:
        found[row.session_id].append(row)
    return found


# The form's fields the chair's REMS check holds as answered; _rems_row works out the others.
ANSWERED_AT_THE_CHAIR = (
    "enrolment_id",
    *("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids"),
    *("device_1_at", "device_2_at", "device_3_at", "ready_to_leave_min"),
    *("sedation", "sedation_at", "sedation_resolved_at"),
    *("dissociation", "dissociation_at", "dissociation_resolved_at"),
    *("respiratory_depression", "respiratory_depression_at", "respiratory_depression_resolved_at"),
)


def _rems_row(facts: RemsFacts, code: str | None, limits: AlertThresholds, zone: ZoneInfo) -> RemsRow:
    visit, patient, check = facts.session, facts.patient, facts.check
    before, forty, leaving = identified_pressures(facts)
    first = first_device_at(facts)
    missing = missing_from(facts, zone)

    total = None
    if first is not None and visit.discharged_at is not None:
        total = int((visit.discharged_at - first).total_seconds() // 60)
    values: dict[str, Any] = {
        "date": visit.clinic_date,
        "session_id": visit.id,
        "mrn": patient.mrn,
        "patient": f"{patient.family_name}, {patient.given_name}",
        "pseudonym": code,
        "birth_year": patient.date_of_birth.year,
        "date_of_birth": patient.date_of_birth,
        "sex": str(patient.sex),
        "monitoring_clinician": facts.nurse,
        "dose_mg": round(sum(d.dose_mg for d in facts.doses), 1) if facts.doses else None,
        "lot_numbers": "; ".join(dict.fromkeys(d.lot_number for d in facts.doses)) or None,
        "total_minutes": total,
        "vitals_acceptable_before": None
        if before is None
        else not breaches(before, limits, before_dose=True),
        "vitals_acceptable_leaving": None
        if leaving is None
        else not breaches(leaving, limits, False, None if leaving is before else before),
        "form_complete": not missing,
        "missing": "; ".join(missing),
    }
    for name, reading in (("bp_before", before), ("bp_40_min", forty), ("bp_leaving", leaving)):
        values |= {
            f"{name}_systolic": reading.systolic if reading else None,
            f"{name}_diastolic": reading.diastolic if reading else None,
            f"{name}_at": reading.measured_at if reading else None,
        }
    for name in ANSWERED_AT_THE_CHAIR:
        values[name] = None if check is None else getattr(check, name)
    return RemsRow(**values)
