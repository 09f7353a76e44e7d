"""A patient's course: every session by series, pain before and after, change from the series baseline,
function (PEG) and mood (PHQ-9, GAD-7) over the series, and each session's dose (mg, mg/kg, rate,
minutes) and blood pressure."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from console.chair.discharge_gate import given_mg
from console.domain.pain import PainChange
from console.domain.questionnaires import change, score
from console.domain.vocab import Instrument, Method, SessionStatus, SideEffectType
from console.store.database import Database
from console.store.models import (
    DoseAdministration,
    InfusionEvent,
    Patient,
    Questionnaire,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    VitalSigns,
)
from console.store.rows import get_or_refuse


@dataclass(frozen=True)
class Dosing:
    """What one session gave: the drug received (a stopped infusion counts what ran), per kg of the
    weight used, the highest IV rate run and the IV minutes from start to stop."""

    given_mg: float
    mg_per_kg: float
    top_rate_mg_per_kg_h: float | None  # IV only
    minutes: int | None  # IV only: from the first dose's start to the last stop

    def amount(self) -> str:
        return f"{self.given_mg:g} mg {self.mg_per_kg:.2f}/kg"

    def infusion(self) -> str:
        """The highest rate and the minutes run ("0.5/kg/h 60 min"); blank for a nasal dose."""
        if self.top_rate_mg_per_kg_h is None:
            return ""
        minutes = "" if self.minutes is None else f" {self.minutes} min"
        return f"{self.top_rate_mg_per_kg_h:g}/kg/h{minutes}"


@dataclass(frozen=True)
class Pressure:
    """A session's blood pressure: its first reading (the baseline) and its highest systolic."""

    first: tuple[int, int]
    highest: tuple[int, int]

    def describe(self) -> str:
        first = f"{self.first[0]}/{self.first[1]}"
        return first if self.highest == self.first else f"{first} ↑{self.highest[0]}/{self.highest[1]}"


@dataclass(frozen=True)
class Visit:
    session_id: int
    clinic_date: date
    method: Method
    status: SessionStatus
    series_number: int | None
    series_length: int | None
    pain_before: int | None
    pain_after: int | None
    side_effects: tuple[str, ...]  # "Nausea (grade 1)", in onset order
    highest_grade: int | None
    signed: bool
    answers: dict[Instrument, tuple[int, ...]] = field(default_factory=dict)  # PEG, PHQ-9, GAD-7
    dosing: Dosing | None = None  # None: no dose given
    pressure: Pressure | None = None  # None: no reading

    def score(self, instrument: Instrument) -> float | None:
        items = self.answers.get(instrument)
        return None if items is None else score(instrument, items)

    @property
    def treated(self) -> bool:
        return self.status == SessionStatus.DISCHARGED

    @property
    def mg_per_kg(self) -> float | None:
        return None if self.dosing is None else self.dosing.mg_per_kg

    @property
    def top_systolic(self) -> int | None:
        return None if self.pressure is None else self.pressure.highest[0]


@dataclass(frozen=True)
class Series:
    """A planned course (series_number 1..length) and the maintenance sessions that follow it."""

    visits: tuple[Visit, ...]

    @property
    def method(self) -> Method:
        return self.visits[0].method

    @property
    def length(self) -> int | None:
        return self.visits[0].series_length

    @property
    def treated(self) -> list[Visit]:
        return [v for v in self.visits if v.treated and v.pain_before is not None]

    @property
    def done(self) -> int:
        return sum(1 for v in self.visits if v.treated and v.series_number is not None)

    @property
    def to_go(self) -> int | None:
        return None if self.length is None else max(0, self.length - self.done)

    @property
    def baseline(self) -> int | None:
        """Pain before the first treated session of the series."""
        treated = self.treated
        return treated[0].pain_before if treated else None

    @property
    def change_from_baseline(self) -> PainChange | None:
        """The sustained change: pain before the series' first session against pain before its
        latest (IMMPACT compares like with like: a before with a before, never with an after)."""
        treated = self.treated
        if len(treated) < 2 or self.baseline is None or treated[-1].pain_before is None:
            return None
        return PainChange(self.baseline, treated[-1].pain_before)

    @property
    def latest_session(self) -> PainChange | None:
        """The immediate change: pain before and after the latest session that has both."""
        both = [(v.pain_before, v.pain_after) for v in self.treated if v.pain_after is not None]
        before, after = both[-1] if both else (None, None)
        return None if before is None or after is None else PainChange(before, after)

    def scores(self, instrument: Instrument) -> list[float]:
        """The instrument's scores over the series, in session order."""
        return [value for v in self.visits if (value := v.score(instrument)) is not None]

    def measures(self) -> str:
        """Function and mood over the series: each instrument's first and latest score, change, class."""
        parts = []
        for instrument in Instrument:
            values = self.scores(instrument)
            if not values:
                continue
            first, latest = values[0], values[-1]
            if len(values) == 1:
                parts.append(f"{instrument.label} {first:g} (once)")
                continue
            moved = change(instrument, first, latest)
            percent = "" if moved.percent is None else f" ({moved.percent:+.0f} %)"
            named = f": {moved.name}" if moved.name else ""
            parts.append(f"{instrument.label} {first:g} → {latest:g}{percent}{named}")
        return " · ".join(parts) or "no PEG, PHQ-9 or GAD-7 yet"

    def describe(self, number: int) -> str:
        """Two lines: progress, the sustained change with its IMMPACT class and the latest session's
        immediate one; then function and mood."""
        first = self.visits[0].clinic_date
        progress = (
            f"{self.done} of {self.length} done, {self.to_go} to go" if self.length else "maintenance only"
        )
        extra = len(self.visits) - (self.length or 0)
        if self.length and extra > 0:
            progress += f" + {extra} maintenance"
        change, latest = self.change_from_baseline, self.latest_session
        if change is None:
            relief = "sustained: not until a second session" if self.treated else "no pain scores yet"
        else:
            percent = "" if change.percent is None else f" ({change.percent:+.0f}% relief)"
            relief = (
                f"sustained (pain before): {change.before} → {change.after}{percent}: {change.klass.value}"
            )
        if latest is not None:
            relief += f" · latest session: {latest.before} → {latest.after}"
        return (
            f"Series {number} · {self.method.label} from {first:%d %b %Y} · {progress} · {relief}\n"
            f"  Function and mood: {self.measures()}"
        )


@dataclass(frozen=True)
class Trajectory:
    patient: Patient
    series: tuple[Series, ...]  # oldest first; the last is the current series

    @property
    def visits(self) -> list[Visit]:
        return [visit for series in self.series for visit in series.visits]


def patient_trajectory(db: Database, patient_id: int) -> Trajectory:
    with db.read() as session:
        patient = get_or_refuse(session, Patient, patient_id, "Patient")
        rows = session.exec(
            select(TreatmentSession)
            .where(TreatmentSession.patient_id == patient_id)
            .order_by(col(TreatmentSession.clinic_date), col(TreatmentSession.scheduled_time))
        ).all()
        ids = [row.id for row in rows]
        effects: dict[int, list[str]] = {}
        grades: dict[int, int] = {}
        for sid, effect, other, grade in session.exec(
            select(
                col(SideEffect.session_id),
                col(SideEffect.effect),
                col(SideEffect.other_text),
                col(SideEffect.grade),
            )
            .where(col(SideEffect.session_id).in_(ids))
            .order_by(col(SideEffect.onset_at))
        ):
            name = other if effect == SideEffectType.OTHER else SideEffectType(effect).label
            effects.setdefault(sid, []).append(f"{name} (grade {grade})")
            grades[sid] = max(grade, grades.get(sid, 0))
        signed = set(
            session.exec(
                select(SessionSignature.session_id).where(col(SessionSignature.session_id).in_(ids))
            ).all()
        )
        answers: dict[int, dict[Instrument, tuple[int, ...]]] = {}
        for answer in session.exec(select(Questionnaire).where(col(Questionnaire.session_id).in_(ids))):
            answers.setdefault(answer.session_id, {})[Instrument(answer.instrument)] = answer.items
        dosing = _dosing(session, {row.id: row for row in rows})
        pressure = _pressures(session, ids)
    visits = [
        Visit(
            session_id=row.id,
            clinic_date=row.clinic_date,
            method=Method(row.method),
            status=SessionStatus(row.status),
            series_number=row.series_number,
            series_length=row.series_length,
            pain_before=row.pain_before,
            pain_after=row.pain_after,
            side_effects=tuple(effects.get(row.id, ())),
            highest_grade=grades.get(row.id),
            signed=row.id in signed,
            answers=answers.get(row.id, {}),
            dosing=dosing.get(row.id),
            pressure=pressure.get(row.id),
        )
        for row in rows
    ]
    return Trajectory(patient, tuple(_series(visits)))


def _dosing(session: Session, rows: dict[int, TreatmentSession]) -> dict[int, Dosing]:
    doses: dict[int, list[DoseAdministration]] = defaultdict(list)
    for dose in session.exec(
        select(DoseAdministration)
        .where(col(DoseAdministration.session_id).in_(list(rows)))
        .order_by(col(DoseAdministration.administered_at), col(DoseAdministration.id))
    ):
        doses[dose.session_id].append(dose)
    events: dict[int, list[InfusionEvent]] = defaultdict(list)
    dose_ids = [dose.id for found in doses.values() for dose in found]
    for event in session.exec(select(InfusionEvent).where(col(InfusionEvent.dose_id).in_(dose_ids))):
        events[event.dose_id].append(event)
    found = {}
    for session_id, given in doses.items():
        mg = sum(given_mg(dose, events[dose.id]) for dose in given)
        weight = given[0].weight_kg_used
        rates = [d.rate_mg_per_kg_h for d in given if d.rate_mg_per_kg_h is not None]
        rates += [e.rate_mg_per_kg_h for d in given for e in events[d.id] if e.rate_mg_per_kg_h is not None]
        minutes = None
        if rates:
            stops = [dose.stopped_at or rows[session_id].ended_at for dose in given]
            if None not in stops:
                last = max(stop for stop in stops if stop is not None)
                minutes = round((last - given[0].administered_at).total_seconds() / 60)
        found[session_id] = Dosing(round(mg, 1), mg / weight, max(rates, default=None), minutes)
    return found


def _pressures(session: Session, ids: list[int]) -> dict[int, Pressure]:
    readings: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for session_id, systolic, diastolic in session.exec(
        select(col(VitalSigns.session_id), col(VitalSigns.systolic), col(VitalSigns.diastolic))
        .where(col(VitalSigns.session_id).in_(ids))
        .order_by(col(VitalSigns.measured_at), col(VitalSigns.id))
    ):
        readings[session_id].append((systolic, diastolic))
    return {sid: Pressure(read[0], max(read, key=lambda bp: bp[0])) for sid, read in readings.items()}


def _series(visits: list[Visit]) -> list[Series]:
    """A series starts at session 1 of a course (or a change of method); other sessions join the last."""
    groups: list[list[Visit]] = []
    for visit in visits:
        starts = not groups or visit.series_number == 1 or visit.method != groups[-1][0].method
        if starts:
            groups.append([visit])
        else:
            groups[-1].append(visit)
    return [Series(tuple(group)) for group in groups]
