"""A realistic, deterministic demo clinic: staff, patients in series, years of history, today's board.

History is written in bulk (a five-year clinic is over a million rows) inside one transaction,
guarded by the same CHECK constraints as every other row, and recorded as one audit event.
Today's sessions go through the service layer, so they carry a full audit trail like real work.

Longer than most modules, on purpose: the history, today's board and the review examples draw from
one seeded random stream in a fixed order (the same seed builds the same clinic), and splitting them
apart would hand that stream and the bulk buffers from module to module.
"""

import math
import random
import time as timer
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, insert, text
from sqlmodel import Session, col, select

from console.chair import alerts, charting, checklists, questionnaires, rems, sessions
from console.chair.alerts import serious_effect_value
from console.chair.lab_monitoring import asked_of
from console.chair.questionnaires import mood_due
from console.chair.reading import Reading
from console.clinic import patients, users
from console.clinic.demo_mark import DEMO_ACTION
from console.clinic.patients import weight_is_stale
from console.demo.words import (
    ALLERGIES,
    CONTRAINDICATION_NOTES,
    DIAGNOSES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    MEDICATIONS,
    RELEVANT_HISTORY,
    SIDE_EFFECTS,
    STAFF,
)
from console.domain import cssrs
from console.domain.actors import Actor
from console.domain.alert_rules import AlertRule
from console.domain.clock import FixedClock
from console.domain.errors import ConfigurationError
from console.domain.protocol import LabMonitoring, Protocol
from console.domain.serious_effects import described, is_serious
from console.domain.vocab import (
    CLINICAL_ROLES,
    Checklist,
    InductionDecision,
    LabFinding,
    LabKind,
    Method,
    Role,
    SessionStatus,
)
from console.review import returns, signing
from console.store import audit
from console.store.audit_key import attach_key
from console.store.database import Database
from console.store.models import (
    Alert,
    ChecklistTick,
    DoseAdministration,
    InductionReview,
    LabResult,
    PainScore,
    Patient,
    Questionnaire,
    RemsCheck,
    SessionSignature,
    SideEffect,
    SuicideScreen,
    TreatmentSession,
    VitalSigns,
    table_of,
)
from console.store.schema import ensure_schema
from console.store.trail_check import HISTORY_ACTION, bulk_digest

NEW_PATIENTS_PER_DAY = 3.9  # sized so five years hold more than 100,000 sessions
CHAIRS = 8
BATCH = 20_000
IV_DURATIONS = ((60, 15), (120, 35), (180, 30), (240, 20))  # (minutes, share)
KETAMINE_MG_PER_ML = 10.0
NASAL_DEVICE_MG = 28
UNSIGNED_FROM = time(14, 0)  # the last clinic day's afternoon still awaits the physician's review
DEMO_PIN = "2468"

# The tables the history is written into at once, parents first so foreign keys hold at every flush.
HISTORY_TABLES = (
    Patient,
    LabResult,
    TreatmentSession,
    InductionReview,
    DoseAdministration,
    VitalSigns,
    PainScore,
    SideEffect,
    RemsCheck,  # before the signatures: a signed session's rows are locked
    Questionnaire,
    Alert,
    SuicideScreen,
    ChecklistTick,
    SessionSignature,
)

V = TypeVar("V")


@dataclass
class DemoSummary:
    patients: int = 0
    sessions: int = 0
    vitals: int = 0
    doses: int = 0
    side_effects: int = 0
    today_sessions: int = 0
    seconds: float = 0.0


@dataclass
class _Buffers:
    tables: dict[type, list[dict]] = field(default_factory=dict)

    def add(self, model: type, row: dict) -> None:
        self.tables.setdefault(model, []).append(row)

    def flush(self, session: Session, force: bool = False) -> None:
        if not force and max((len(rows) for rows in self.tables.values()), default=0) < BATCH:
            return
        for model in HISTORY_TABLES:
            rows = self.tables.get(model)
            if rows:
                session.execute(insert(table_of(model)), rows)
                rows.clear()


def build_demo(
    url: str,
    *,
    today: date,
    years: float = 0.5,
    seed: int = 7,
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
    unsigned_days: int = 0,
    key_file: Path | None = None,
) -> DemoSummary:
    """Create the demo clinic in an empty database at `url`.

    `key_file`: the clinic key its audit trail is keyed with (made if missing); None: not keyed.

    `unsigned_days`: the physician is that many days behind, so the sessions of those days await
    signature (a long review backlog); by default only the last day's afternoon does.
    """
    if not 0 < years <= 10:
        raise ConfigurationError("--years must be more than 0 and at most 10")
    if unsigned_days < 0:
        raise ConfigurationError("--unsigned-days must be 0 or more")
    started = timer.perf_counter()
    zone = zone or ZoneInfo("UTC")
    anchor = now or datetime.combine(today, time(11, 30), tzinfo=zone)
    clock = FixedClock(anchor)
    db = Database(url, clock)
    try:
        ensure_schema(db)
        with db.read() as session:
            if session.exec(select(func.count()).select_from(Patient)).one():
                raise ConfigurationError(
                    "this database already holds a clinic: choose a new file for the demo"
                )
        if key_file is not None:
            attach_key(db, key_file)
        rng = random.Random(seed)
        clock.at = anchor - timedelta(days=int(years * 365) + 2)
        staff = _create_staff(db, clock)
        summary = _History(rng, zone, staff, today, years, unsigned_days).write(db)
        _review_examples(db, clock, staff, today)
        summary.today_sessions = _Today(db, clock, rng, zone, staff, today, anchor).build()
        summary.seconds = round(timer.perf_counter() - started, 2)
        return summary
    finally:
        db.dispose()


def _known(value: V | None) -> V:
    """A value the demo's own history always writes (a treated session has its times, a patient a weight)."""
    if value is None:
        raise ValueError("the demo history is missing a value it always writes")
    return value


def _create_staff(db: Database, clock: FixedClock) -> dict[str, Actor]:
    system = Actor.system("demo")
    staff = {}
    for username, name, role, password in STAFF:
        user = users.create_user(
            db, system, {"username": username, "display_name": name, "role": role, "password": password}
        )
        staff[username] = Actor(username=username, role=Role(user.role), user_id=user.id, display_name=name)
        if Role(user.role) in CLINICAL_ROLES:  # physicians sign with it; nurses witness waste with it
            users.set_signing_pin(db, staff[username], password, DEMO_PIN)
    return staff


def _review_examples(db: Database, clock: FixedClock, staff: dict[str, Actor], today: date) -> None:
    """The last day's evening: two sessions flagged, one returned, and an addendum to a signed one.

    Recorded through the service layer at the times they happened, so the audit trail stays in order.
    """
    doctor, nurse = staff["doctor"], staff["nurse"]
    nurse_password = next(password for name, *_, password in STAFF if name == "nurse")
    signed = select(SessionSignature.id).where(SessionSignature.session_id == TreatmentSession.id).exists()
    with db.read() as session:
        waiting = session.exec(
            select(TreatmentSession)
            .where(
                TreatmentSession.status == SessionStatus.DISCHARGED,
                TreatmentSession.clinic_date < today,
                ~signed,
            )
            .order_by(col(TreatmentSession.clinic_date), col(TreatmentSession.scheduled_time))
        ).all()
    if len(waiting) < 3:
        return
    _flag_examples(db, clock, nurse, waiting[1], waiting[2])
    clock.at = max(_known(row.discharged_at) for row in waiting) + timedelta(minutes=30)
    returns.return_for_correction(
        db,
        doctor,
        waiting[0].id,
        "The lot number on the dose does not match the pharmacy log: please check it.",
    )
    clock.advance(minutes=5)
    with db.read() as session:
        latest_signed = session.exec(
            select(SessionSignature.session_id)
            .where(SessionSignature.signed_at <= clock.now())
            .order_by(col(SessionSignature.signed_at).desc())
        ).first()
    if latest_signed is None:
        return
    signing.add_addendum(
        db,
        nurse,
        latest_signed,
        {"reason": "Follow-up call", "text": "Called this evening: home safely, mild headache only."},
        signing.Proof(nurse.username, nurse_password),
        signing.SigningSitting(nurse.username, timedelta(minutes=10)),
    )


Choice = TypeVar("Choice", bound=tuple[Any, ...])


def _weighted(rng: random.Random, table: Sequence[Choice], share: int = -1) -> Choice:
    """A random row of `table`, chosen in proportion to the number at index `share`."""
    return rng.choices(table, weights=[row[share] for row in table])[0]


def _medications(patient_id: int) -> dict:
    """A patient's medications and relevant history, from a generator of their own (seeded by the
    patient), so the rest of the demo is the same with or without them."""
    rng = random.Random(f"meds-{patient_id}")
    taken = rng.sample(MEDICATIONS, rng.choice((0, 1, 2, 2, 3, 4)))
    return {"medications": "; ".join(taken), "relevant_history": _weighted(rng, RELEVANT_HISTORY)[0]}


class _People:
    """Invents patients; every one gets a unique MRN and a plausible record."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def new(self, first_visit: date) -> dict:
        rng = self.rng
        self.count += 1
        code, label, _ = _weighted(rng, DIAGNOSES)
        sex = rng.choice(("female", "female", "male", "male", "female", "other"))
        weight = round(rng.uniform(48, 125), 1)
        return {
            "id": self.count,
            "mrn": f"MRN{100000 + self.count:06d}",
            "family_name": rng.choice(FAMILY_NAMES),
            "given_name": rng.choice(GIVEN_NAMES),
            "date_of_birth": date(rng.randint(1944, 2002), rng.randint(1, 12), rng.randint(1, 28)),
            "sex": sex,
            "weight_kg": weight,
            "weight_measured_on": first_visit,
            "allergies": _weighted(rng, ALLERGIES)[0],
            "diagnosis_code": code,
            "diagnosis_label": label,
            "contraindication_notes": _weighted(rng, CONTRAINDICATION_NOTES)[0],
            **_medications(self.count),
            "active": True,
            "version": 1,
            "created_at": datetime.combine(first_visit, time(7, 0), tzinfo=UTC),
        }


@dataclass
class _Course:
    """One patient's treatment: an initial series, then (for responders) maintenance sessions."""

    patient: dict
    method: Method
    series_length: int
    dates: list[date]
    baseline_pain: int
    response: float  # 0 = no benefit, 0.6 = pain falls by up to 60% over the series
    last_mood: date | None = None  # the day of the patient's last PHQ-9 and GAD-7
    dosed: bool = False  # a dose was given: the label's first-day dose is behind them
    doses: int = 0  # sessions with a dose so far
    last_lab: dict[LabKind, date] = field(default_factory=dict)  # each monitoring test's latest day
    first_pain: int | None = None  # pain before at the series' first treated session
    phq9: list[int] = field(default_factory=list)  # PHQ-9 totals over the series, in order


class _History:
    def __init__(
        self,
        rng: random.Random,
        zone: ZoneInfo,
        staff: dict[str, Actor],
        today: date,
        years: float,
        unsigned_days: int,
    ):
        self.rng, self.zone, self.today = rng, zone, today
        self.start = today - timedelta(days=int(years * 365))
        self.nurses = [_known(staff[name].user_id) for name in ("nurse", "nurse2", "nurse3")]
        self.doctor = staff["doctor"]
        self.last_day = today - timedelta(days=2 if today.weekday() == 0 else 1)  # Sundays are closed
        self.signed_before = self.last_day - timedelta(days=unsigned_days)  # signed up to this day
        self.people = _People(rng)
        self.summary = DemoSummary()
        self.session_id = self.dose_id = self.side_effect_id = self.vitals_id = 0

    def courses(self) -> Iterator[_Course]:
        rng = self.rng
        day = self.start - timedelta(days=60)  # courses already under way when the history begins
        while day < self.today:
            for _ in range(_poisson(rng, NEW_PATIENTS_PER_DAY)):
                yield self._course(day)
            day += timedelta(days=1)

    def _course(self, first: date) -> _Course:
        rng = self.rng
        method = Method.IV if rng.random() < 0.75 else Method.NASAL
        length, gaps = (6, (2, 3)) if method is Method.IV else (8, (3, 4))
        dates, day = [], first
        for _ in range(length):
            dates.append(day)
            day += timedelta(days=rng.choice(gaps))
        response = rng.uniform(0.25, 0.6) if rng.random() < 0.65 else rng.uniform(0.0, 0.2)
        if response > 0.2:
            for _ in range(rng.randint(2, 30)):
                gap = rng.randint(21, 42)
                if method is Method.NASAL:  # the esketamine label: weekly or every two weeks after induction
                    gap = 7 * (1 + gap % 2)
                day += timedelta(days=gap)
                dates.append(day)
        dates = [_open_day(d) for d in dates]
        return _Course(self.people.new(first), method, length, dates, rng.randint(5, 9), response)

    def write(self, db: Database) -> DemoSummary:
        buffers = _Buffers()
        with db.write() as session:
            for course in self.courses():
                kept = [d for d in course.dates if self.start <= d < self.today]
                if not kept:
                    continue
                buffers.add(Patient, course.patient)
                self.summary.patients += 1
                for index, day in enumerate(course.dates):
                    if self.start <= day < self.today:
                        self._session(buffers, course, index, day)
                buffers.flush(session)
            buffers.flush(session, force=True)
            _advance_sequences(session)
            _record_history(session, db.clock.now())
            audit.record(
                session,
                at=db.clock.now(),
                actor="demo",
                action=DEMO_ACTION,
                entity="clinic",
                entity_id=self.start.isoformat(),
                after={
                    "today": self.today.isoformat(),
                    "from": self.start.isoformat(),
                    "to": (self.today - timedelta(days=1)).isoformat(),
                    "patients": self.summary.patients,
                    "sessions": self.summary.sessions,
                    "vitals": self.summary.vitals,
                    "side_effects": self.summary.side_effects,
                },
            )
        return self.summary

    def _local(self, day: date, at: time, minutes: float = 0) -> datetime:
        return (datetime.combine(day, at, tzinfo=self.zone) + timedelta(minutes=minutes)).astimezone(UTC)

    def _session(self, buffers: _Buffers, course: _Course, index: int, day: date) -> None:
        rng, summary = self.rng, self.summary
        self.session_id += 1
        summary.sessions += 1
        sid, nurse = self.session_id, rng.choice(self.nurses)
        slot = time(7 + rng.randint(0, 10), rng.choice((0, 30)))
        in_series = index < course.series_length
        row = {
            "id": sid,
            "patient_id": course.patient["id"],
            "clinic_date": day,
            "scheduled_time": slot,
            "chair": str(rng.randint(1, CHAIRS)),
            "method": course.method,
            "nurse_id": nurse,
            "series_number": index + 1 if in_series else None,
            "series_length": course.series_length if in_series else None,
            "notes": "",
            "version": 1,
            "checked_in_at": None,
            "started_at": None,
            "ended_at": None,
            "discharged_at": None,
            "pain_before": None,
            "pain_after": None,
            "escort_confirmed": False,
            "contraindications_screened_at": None,
            "contraindications_found": "",
            "created_at": self._local(day, slot, -60 * 24 * 7),
            "updated_at": self._local(day, slot),
        }
        fate = rng.random()
        if fate < 0.03 or fate > 0.985:
            row["status"] = SessionStatus.NO_SHOW if fate < 0.03 else SessionStatus.CANCELLED
            row["nurse_id"] = None
            buffers.add(TreatmentSession, row)
            return
        check_in = self._local(day, slot, rng.randint(-10, 10))
        start = check_in + timedelta(minutes=rng.randint(10, 25))
        if course.method is Method.IV:
            duration = _weighted(rng, IV_DURATIONS)[0]
            end = start + timedelta(minutes=duration)
            leave = end + timedelta(minutes=rng.randint(30, 50))
        else:
            duration = 0
            end = start + timedelta(minutes=rng.randint(5, 12))
            leave = start + timedelta(minutes=120 + rng.randint(0, 30))
        progress = min(index, 6) / 6
        pre = _clamp(
            round(course.baseline_pain * (1 - course.response * progress) + rng.uniform(-1, 1)), 0, 10
        )
        relief = (
            rng.uniform(0.2, 0.6) if course.response > 0.2 else rng.uniform(-0.2, 0.25)
        )  # worse, at times
        post = _clamp(round(pre * (1 - relief)), 0, 10)
        row.update(
            status=SessionStatus.DISCHARGED,
            checked_in_at=check_in,
            started_at=start,
            ended_at=end,
            discharged_at=leave,
            pain_before=pre,
            pain_after=post,
            escort_confirmed=True,
            contraindications_screened_at=check_in + timedelta(minutes=6),  # as the dose rules require
            contraindications_found="",
            updated_at=leave,
        )
        buffers.add(TreatmentSession, row)
        marks = {name: len(buffers.tables.get(model, ())) for name, model in signing.SESSION_CHILDREN.items()}
        for kind, score, at in (("before", pre, check_in + timedelta(minutes=5)), ("after", post, leave)):
            buffers.add(
                PainScore,
                {
                    "session_id": sid,
                    "kind": kind,
                    "score": score,
                    "scored_at": at,
                    "recorded_by": nurse,
                    "recorded_at": at,
                },
            )
        _lab_tests(buffers, course, day, nurse, check_in + timedelta(minutes=3))
        devices = self._dose(buffers, course, sid, nurse, start, duration, first=not course.dosed)
        course.dosed = True
        course.doses += 1
        if devices:
            _rems_form(buffers, course, sid, nurse, check_in, start, leave, devices)
        _questionnaires(buffers, course, row, nurse, check_in + timedelta(minutes=4), progress, self.doctor)
        if course.first_pain is None:
            course.first_pain = pre
        if index == course.series_length - 1:
            _induction_review(buffers, course, sid, pre, self.doctor, leave + timedelta(hours=2))
        _checklists(
            buffers, sid, nurse, course.method, check_in + timedelta(minutes=7), leave - timedelta(minutes=2)
        )
        self._vitals(buffers, course.method, sid, nurse, check_in, start, end, leave)
        if rng.random() < 0.25:
            self._side_effect(buffers, sid, nurse, start, end, leave)
        if day < self.signed_before or (self.signed_before == self.last_day and slot < UNSIGNED_FROM):
            children = {
                name: buffers.tables.get(model, [])[marks[name] :]
                for name, model in signing.SESSION_CHILDREN.items()
            }
            buffers.add(
                SessionSignature,
                {
                    "session_id": sid,
                    "signer_id": self.doctor.user_id,
                    "signer_name": self.doctor.display_name,
                    "meaning": "approved",
                    "signed_at": leave + timedelta(hours=2),  # signed the same evening
                    "record_hash": signing.record_hash(row, children),
                },
            )

    def _dose(
        self,
        buffers: _Buffers,
        course: _Course,
        sid: int,
        nurse: int,
        start: datetime,
        duration: int,
        first: bool,
    ) -> int | None:
        """The session's dose, within the protocol's caps (a series' first nasal dose is 56 mg, as the
        label starts); the number of nasal devices it used (None for an infusion)."""
        rng, weight = self.rng, course.patient["weight_kg"]
        witness = rng.choice([n for n in self.nurses if n != nurse])
        devices: int | None = None
        if course.method is Method.IV:
            cap = min(PROTOCOL.iv.max_total_mg, PROTOCOL.iv.max_total_mg_per_kg * weight)
            rate = rng.choice((0.5, 0.5, 0.75, 1.0))
            while rate > 0.5 and rate * weight * duration / 60 > cap:  # drawn first: the demo stays as it was
                rate -= 0.25
            dose = round(rate * weight * duration / 60, 1)
            drawn = math.ceil(dose / 10) * 10 + 10
            extra = {
                "drug": "ketamine",
                "route": "intravenous",
                "rate_mg_per_kg_h": rate,
                "planned_duration_min": duration,
                "device_count": None,
                "stopped_at": start + timedelta(minutes=duration),
                "concentration_mg_per_ml": KETAMINE_MG_PER_ML,
            }
        else:
            devices = rng.choice((2, 3, 3))
            devices = 2 if first else devices  # drawn all the same: the rest of the demo stays as it was
            dose = drawn = float(devices * NASAL_DEVICE_MG)
            extra = {
                "drug": "esketamine",
                "route": "nasal",
                "rate_mg_per_kg_h": None,
                "planned_duration_min": None,
                "device_count": devices,
                "stopped_at": None,
                "concentration_mg_per_ml": 140.0,
            }
        wasted = round(drawn - dose, 1)
        buffers.add(
            DoseAdministration,
            extra
            | {
                "session_id": sid,
                "dose_mg": dose,
                "mg_per_kg": round(dose / weight, 4),
                "weight_kg_used": weight,
                "administered_at": start,
                "lot_number": f"LOT{start.year}{(start.month - 1) // 3 + 1}{rng.randint(1, 4)}",
                "drawn_mg": drawn,
                "wasted_mg": wasted,
                "witness_id": witness if wasted else None,
                "administered_by": nurse,
                "recorded_at": start,
            },
        )
        self.summary.doses += 1
        return devices

    def _vitals(
        self,
        buffers: _Buffers,
        method: Method,
        sid: int,
        nurse: int,
        check_in: datetime,
        start: datetime,
        end: datetime,
        leave: datetime,
    ) -> None:
        rng = self.rng
        sbp, hr = rng.gauss(128, 12), rng.gauss(76, 9)
        if method is Method.IV:
            times = [check_in + timedelta(minutes=3)]
            at = start + timedelta(minutes=15)
            while at <= leave:
                times.append(at)
                at += timedelta(minutes=15)
        else:
            times = [start - timedelta(minutes=5)] + [start + timedelta(minutes=m) for m in (40, 80, 120)]
        readings: list[dict[str, Any]] = []
        for at in times:
            during = start <= at <= end + timedelta(minutes=20)
            s = _clamp(round(sbp + (rng.gauss(8, 6) if during else rng.gauss(0, 5))), 90, 210)
            readings.append(
                {
                    "session_id": sid,
                    "measured_at": at,
                    "systolic": s,
                    "diastolic": _clamp(round(s * 0.63 + rng.gauss(0, 4)), 50, s - 25),
                    "heart_rate": _clamp(round(hr + rng.gauss(4 if during else 0, 5)), 45, 140),
                    "spo2": _clamp(round(rng.gauss(97.5, 1.2)), 91, 100),
                    "resp_rate": rng.randint(12, 18),
                    "temperature_c": round(rng.uniform(36.3, 37.2), 1) if at == times[0] else None,
                    "moaas": rng.choice((4, 4, 5, 3)) if during and method is Method.IV else 5,
                    "taken_by": nurse,
                    "recorded_at": at + timedelta(seconds=rng.randint(20, 240)),
                }
            )
        if _breaches(readings[0], before_dose=True, first=None):  # a hold would have stopped the dose
            readings[0] = _below_the_hold(readings[0])
        if not _may_leave_on(readings[-1], readings[0]):  # the clinic waited for a settled reading
            readings[-1] = _settled(readings[0], readings[-1])
        last = readings[-1]  # the reading the patient left on was taken and typed before the discharge
        last["measured_at"] = min(last["measured_at"], leave - timedelta(minutes=2))
        last["recorded_at"] = min(last["recorded_at"], leave - timedelta(minutes=1))
        for reading in readings:
            self.vitals_id += 1
            buffers.add(VitalSigns, reading | {"id": self.vitals_id})
            self.summary.vitals += 1
            first = None if reading is readings[0] else readings[0]
            for breach in _breaches(reading, before_dose=reading["measured_at"] < start, first=first):
                buffers.add(Alert, _acknowledged_alert(reading, self.vitals_id, breach))

    def _side_effect(
        self, buffers: _Buffers, sid: int, nurse: int, start: datetime, end: datetime, leave: datetime
    ) -> None:
        """One side effect, resolved before the patient left; a serious one called the physician, who
        acknowledged it at the chair (as the services would have asked)."""
        rng = self.rng
        effect, _, action = _weighted(rng, SIDE_EFFECTS, share=1)
        onset = start + timedelta(minutes=rng.randint(5, max(6, int((end - start).total_seconds() // 60))))
        grade = rng.choices((1, 2, 3), weights=(80, 18, 2))[0]
        recorded = onset + timedelta(minutes=2)
        lasted = onset + timedelta(minutes=rng.randint(5, 60))
        resolved = max(onset, min(lasted, leave - timedelta(minutes=3)))
        self.side_effect_id += 1
        buffers.add(
            SideEffect,
            {
                "id": self.side_effect_id,
                "session_id": sid,
                "effect": effect,
                "other_text": "",
                "version": 1,
                "grade": grade,
                "onset_at": onset,
                "action_taken": action,
                "resolved_at": resolved,
                "recorded_by": nurse,
                "recorded_at": recorded,
            },
        )
        self.summary.side_effects += 1
        if is_serious(effect, grade):
            buffers.add(
                Alert,
                {
                    "session_id": sid,
                    "vitals_id": None,
                    "rule": AlertRule.SERIOUS_SIDE_EFFECT,
                    "value": serious_effect_value(self.side_effect_id),
                    "message": f"{described(effect, grade)}: call the physician; the patient stays until a "
                    "physician has acknowledged it",
                    "raised_at": recorded,
                    # Not drawn from rng: the rest of the demo stays as it was before these calls.
                    "acknowledged_at": recorded + timedelta(minutes=4 + self.side_effect_id % 9),
                    "acknowledged_by": self.doctor.user_id,
                    "acknowledgement": f"Seen at the chair: {action.lower()}; settled before leaving",
                    "version": 1,
                },
            )


class _Today:
    """Today's board in mixed states, recorded through the service layer at plausible times."""

    def __init__(
        self,
        db: Database,
        clock: FixedClock,
        rng: random.Random,
        zone: ZoneInfo,
        staff: dict[str, Actor],
        today: date,
        anchor: datetime,
    ) -> None:
        self.db, self.clock, self.rng, self.zone, self.today, self.anchor = (
            db,
            clock,
            rng,
            zone,
            today,
            anchor,
        )
        self.nurses = [staff["nurse"], staff["nurse2"], staff["nurse3"]]

    def build(self) -> int:
        rng = self.rng
        count = rng.randint(8, 14)
        stopped = (
            select(TreatmentSession.patient_id)
            .join(InductionReview, col(InductionReview.session_id) == TreatmentSession.id)
            .where(InductionReview.decision == InductionDecision.STOP)
        )
        with self.db.read() as session:
            recent = session.exec(
                select(Patient.id)
                .join(TreatmentSession, col(TreatmentSession.patient_id) == Patient.id)
                .where(
                    TreatmentSession.clinic_date >= self.today - timedelta(days=10),
                    col(Patient.id).not_in(stopped),  # the physician ended their treatment
                )
                .distinct()
                .order_by(col(Patient.id))
            ).all()
        chosen = rng.sample(recent, min(count - 2, len(recent))) if recent else []
        new_patients = count - len(chosen)
        anchor_local = self.anchor.astimezone(self.zone)
        first_slot = datetime.combine(self.today, time(8, 0), tzinfo=self.zone)
        # Opened early in the morning, the day starts earlier, so the board still shows every state.
        early = (anchor_local - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
        first_slot = max(min(first_slot, early), datetime.combine(self.today, time(0, 0), tzinfo=self.zone))
        span_min = max(60, int((anchor_local - first_slot).total_seconds() // 60) + 180)
        slots = (
            sorted(rng.sample(range(0, span_min, 30), count))
            if span_min // 30 >= count
            else [30 * i for i in range(count)]
        )
        patient_ids = chosen + [self._walk_in(i) for i in range(new_patients)]
        for chair_index, (patient_id, offset) in enumerate(zip(patient_ids, slots, strict=True)):
            self._session(patient_id, first_slot + timedelta(minutes=offset), str(chair_index % 6 + 1))
        self.clock.at = self.anchor
        return count

    def _walk_in(self, index: int) -> int:
        self.clock.at = self.anchor - timedelta(hours=4)
        nurse = self.nurses[0]
        patient = patients.create_patient(
            self.db,
            nurse,
            {
                "mrn": f"MRN9{self.today:%y%m%d}{index}",
                "family_name": self.rng.choice(FAMILY_NAMES),
                "given_name": self.rng.choice(GIVEN_NAMES),
                "date_of_birth": date(1971 + index, 3, 14),
                "sex": "female",
                "weight_kg": 72.5,
                "weight_measured_on": self.today,
                "allergies": "No known drug allergies",
                "diagnosis_code": "G89.4",
                "diagnosis_label": "Chronic pain syndrome",
            },
        )
        return patient.id

    def _series_position(self, patient_id: int, method: str) -> tuple[int | None, int | None]:
        with self.db.read() as session:
            done = session.exec(
                select(func.count())
                .select_from(TreatmentSession)
                .where(
                    TreatmentSession.patient_id == patient_id,
                    col(TreatmentSession.series_number).is_not(None),
                )
            ).one()
        length = 6 if method == Method.IV else 8
        return (done + 1, length) if done < length else (None, None)

    def _session(self, patient_id: int, scheduled: datetime, chair: str) -> None:
        rng, db, clock = self.rng, self.db, self.clock
        nurse = rng.choice(self.nurses)
        with db.read() as session:
            previous = session.exec(
                select(TreatmentSession.method)
                .where(TreatmentSession.patient_id == patient_id)
                .order_by(col(TreatmentSession.clinic_date).desc())
            ).first()
        method = previous or rng.choice((Method.IV, Method.NASAL))
        number, length = self._series_position(patient_id, method)
        clock.at = min(self.anchor, scheduled) - timedelta(hours=3)
        row = sessions.schedule_session(
            db,
            nurse,
            {
                "patient_id": patient_id,
                "clinic_date": self.today,
                "scheduled_time": scheduled.time(),
                "chair": chair,
                "method": method,
                "series_number": number,
                "series_length": length,
            },
        )
        minutes_ago = (self.anchor - scheduled).total_seconds() / 60
        if minutes_ago < 0:
            return  # later today: still scheduled
        if minutes_ago > 30 and rng.random() < 0.08:
            clock.at = scheduled + timedelta(minutes=30)
            sessions.mark_no_show(db, nurse, row.id, row.version)
            return
        self._advance(nurse, row, method, scheduled, minutes_ago)

    def _questionnaires(self, nurse: Actor, row: TreatmentSession) -> None:
        """PEG, and PHQ-9 and GAD-7 when due, as the nurse asks them at pre-assessment (their own
        generator: the rest of the day is the same with or without them)."""
        rng, db = random.Random(f"mood-today-{row.id}"), self.db
        pain = row.pain_before or 5
        questionnaires.record(
            db, nurse, row.id, "peg", tuple(_clamp(pain + rng.randint(-1, 2), 0, 10) for _ in range(3))
        )
        with db.read() as session:
            last = questionnaires.last_mood_dates(session, [row.patient_id], self.today).get(row.patient_id)
        if questionnaires.mood_due_at(row, last, MOOD_EVERY):
            questionnaires.record(
                db, nurse, row.id, "phq9", (*(rng.choice((0, 1, 1, 2)) for _ in range(8)), 0)
            )
            questionnaires.record(
                db, nurse, row.id, "gad7", tuple(rng.choice((0, 1, 1, 2)) for _ in range(7))
            )

    def _advance(
        self, nurse: Actor, row: TreatmentSession, method: str, scheduled: datetime, minutes_ago: float
    ) -> None:
        db, clock, rng = self.db, self.clock, self.rng
        clock.at = scheduled + timedelta(minutes=min(minutes_ago, 5))
        row = sessions.check_in(db, nurse, row.id, row.version)
        vitals = {
            "systolic": rng.randint(112, 138),
            "diastolic": rng.randint(68, 86),
            "heart_rate": rng.randint(62, 88),
            "spo2": rng.randint(96, 100),
            "resp_rate": rng.randint(12, 16),
            "moaas": 5,
        }
        charting.record_vitals(db, nurse, row.id, vitals | {"measured_at": clock.now()})
        row = sessions.get_session(db, row.id)
        charting.record_pain(
            db,
            nurse,
            row.id,
            {"kind": "before", "score": rng.randint(5, 8), "scored_at": clock.now()},
            row.version,
        )
        row = sessions.get_session(db, row.id)
        sessions.record_pre_assessment(
            db, nurse, row.id, row.version, escort_confirmed=True, contraindications=[]
        )
        if method != Method.IV:  # the REMS questions come before esketamine, as at the chair
            mrn = patients.get_patient(db, row.patient_id).mrn
            answers: dict[str, object] = {"enrolment_id": f"REMS-{mrn[-6:]}"}
            answers |= dict.fromkeys(
                ("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids"), False
            )
            rems.ask_questions(db, nurse, row.id, answers)
        self._questionnaires(nurse, row)
        checklists.tick(
            db, nurse, row.id, Checklist.PRE_INFUSION, PROTOCOL_CHECKS.before_dose(method), PROTOCOL_CHECKS
        )
        if minutes_ago < 20:
            return  # checked in, pre-assessment done
        start = scheduled + timedelta(minutes=15)
        patient = patients.get_patient(db, row.patient_id)
        if weight_is_stale(patient, self.today, PROTOCOL):
            clock.at = start - timedelta(minutes=5)  # weighed again: the protocol wants a recent weight
            patient = patients.record_weight(db, nurse, patient.id, patient.version, patient.weight_kg)
        clock.at = start
        weight = _known(patient.weight_kg)
        if method == Method.IV:
            dose = round(0.5 * weight, 1)
            charting.record_dose(
                db,
                nurse,
                row.id,
                {
                    "drug": "ketamine",
                    "dose_mg": dose,
                    "rate_mg_per_kg_h": 0.5,
                    "planned_duration_min": 60,
                    "administered_at": start,
                    "lot_number": f"LOT{self.today:%Y}41",
                    "concentration_mg_per_ml": 10,
                    "drawn_mg": math.ceil(dose / 10) * 10,
                    "wasted_mg": round(math.ceil(dose / 10) * 10 - dose, 1),
                    "witness": self.nurses[0].username
                    if nurse is not self.nurses[0]
                    else self.nurses[1].username,
                    "witness_secret": DEMO_PIN,  # typed by the witness at the chair
                },
            )
            treatment_min = 60
        else:
            charting.record_dose(
                db,
                nurse,
                row.id,
                {
                    "drug": "esketamine",
                    "dose_mg": 56,
                    "device_count": 2,
                    "administered_at": start,
                    "lot_number": f"ESK{self.today:%Y}7",
                    "concentration_mg_per_ml": 140,
                    "drawn_mg": 56,
                },
            )
            treatment_min = 10
        elapsed = minutes_ago - 15
        for minute in range(15, int(min(elapsed, treatment_min + 45)) + 1, 15):
            clock.at = start + timedelta(minutes=minute)
            charting.record_vitals(
                db,
                nurse,
                row.id,
                vitals | {"measured_at": clock.now(), "moaas": 4 if minute <= treatment_min else 5},
            )
        if elapsed > treatment_min:
            clock.at = start + timedelta(minutes=treatment_min)
            row = sessions.get_session(db, row.id)
            row = sessions.end_treatment(db, nurse, row.id, row.version)
        discharge_after = treatment_min + (45 if method == Method.IV else 120)
        if elapsed > discharge_after:
            clock.at = start + timedelta(minutes=discharge_after - 2)
            charting.record_vitals(db, nurse, row.id, vitals | {"measured_at": clock.now(), "moaas": 5})
            clock.at = start + timedelta(minutes=discharge_after)
            row = sessions.get_session(db, row.id)
            charting.record_pain(
                db,
                nurse,
                row.id,
                {"kind": "after", "score": rng.randint(1, 4), "scored_at": clock.now()},
                row.version,
            )
            row = sessions.get_session(db, row.id)
            checklists.tick(
                db, nurse, row.id, Checklist.DISCHARGE, PROTOCOL_CHECKS.discharge, PROTOCOL_CHECKS
            )
            if method != Method.IV:  # the REMS form's monitoring, complete before the patient leaves
                _rems_monitored(db, nurse, row.id, start, discharge_after)
            sessions.discharge(db, nurse, row.id, row.version)


def _rems_monitored(db: Database, nurse: Actor, session_id: int, start: datetime, minutes: int) -> None:
    """A nasal session's two devices five minutes apart, nothing seen, ready to leave on time."""
    check = rems.facts_of(db, session_id).check
    assert check is not None  # asked at pre-assessment
    devices = {"device_1_at": start, "device_2_at": start + timedelta(minutes=5)}
    check = rems.record_devices(db, nurse, session_id, check.version, devices)
    seen = dict.fromkeys(("sedation", "dissociation", "respiratory_depression"), False)
    rems.record_observations(db, nurse, session_id, check.version, seen | {"ready_to_leave_min": minutes})


def _flag_examples(
    db: Database, clock: FixedClock, nurse: Actor, effect_on: TreatmentSession, alert_on: TreatmentSession
) -> None:
    """A grade 2 side effect and an acknowledged low-SpO2 alert: the physician's queue lists them first."""
    onset = _known(effect_on.started_at) + timedelta(minutes=25)
    clock.at = onset + timedelta(minutes=30)
    charting.record_side_effect(
        db,
        nurse,
        effect_on.id,
        {
            "effect": "vomiting",
            "grade": 2,
            "onset_at": onset,
            "action_taken": "Ondansetron 4 mg IV, infusion paused 10 min",
            "resolved_at": onset + timedelta(minutes=25),
        },
    )
    measured = _known(alert_on.started_at) + timedelta(minutes=20)
    clock.at = measured + timedelta(minutes=1)
    reading = {
        "measured_at": measured,
        "systolic": 134,
        "diastolic": 84,
        "heart_rate": 88,
        "spo2": 90,
        "resp_rate": 10,
        "moaas": 3,
    }
    stored = charting.record_vitals(db, nurse, alert_on.id, reading)
    with db.read() as session:
        alert = _known(session.exec(select(Alert).where(Alert.vitals_id == stored.id)).first())
    clock.advance(minutes=5)
    alerts.acknowledge(db, nurse, alert.id, alert.version, "Chin lift, O2 2 L/min; SpO2 97% at 5 min")


def _record_history(session: Session, at: datetime) -> None:
    """One audit event per table holds the digest of the rows the history was written with."""
    for model in HISTORY_TABLES:
        table = table_of(model)
        first, last = session.execute(sa.select(func.min(table.c.id), func.max(table.c.id))).one()
        if first is None:
            continue
        count, sha256 = bulk_digest(session, table, BATCH)
        audit.record(
            session,
            at=at,
            actor="demo",
            action=HISTORY_ACTION,
            entity=table.name,
            entity_id=f"{first}-{last}",
            after={"from_id": first, "to_id": last, "count": count, "sha256": sha256},
        )


def _advance_sequences(session: Session) -> None:
    """PostgreSQL's id sequences do not see explicitly numbered rows: move them past the history."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("patient", "treatment_session", "side_effect", "vital_signs"):
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        session.execute(text(f"SELECT setval({sequence}, (SELECT COALESCE(max(id), 1) FROM {table}))"))


# What the nurse did about each alert a history reading raised: the action, never a bare "ok".
ACTIONS = {
    AlertRule.BP_HOLD: "Rechecked manually; physician informed, dosing held until it came down",
    AlertRule.BP_PREDOSE: "Rechecked after ten minutes' rest; physician informed before the dose",
    AlertRule.BP_RISE: "Rechecked; physician informed, rate kept, next reading in 5 min",
    AlertRule.SPO2_LOW: "Deep breaths encouraged, O2 2 L/min; SpO2 back above 94%",
    AlertRule.HEART_RATE_LOW: "Rechecked, patient well; physician informed",
    AlertRule.HEART_RATE_HIGH: "Rechecked at rest; physician informed",
    AlertRule.RESP_RATE_LOW: "Patient roused and encouraged to breathe; rate back to 12",
    AlertRule.RESP_RATE_HOLD: "Patient stimulated, O2 started; physician called, dosing held",
    AlertRule.MOAAS_LOW: "Patient roused; infusion slowed with the physician",
}


def _as_reading(row: dict[str, Any]) -> Reading:
    """A history row as the rules read a reading (a plain copy: a table row costs ten times more)."""
    values = {name: row[name] for name in READING_VALUES}
    return Reading(id=row.get("id", 0), version=1, **values)


READING_VALUES = tuple(f.name for f in dataclass_fields(Reading) if f.name not in ("id", "version"))


def _breaches(row: dict[str, Any], before_dose: bool, first: dict[str, Any] | None) -> list[alerts.Breach]:
    """The protocol's alerts a history reading raises, as the services would have raised them."""
    baseline = None if first is None else _as_reading(first)
    return alerts.breaches(_as_reading(row), PROTOCOL.thresholds, before_dose, baseline)


def _may_leave_on(last: dict[str, Any], first: dict[str, Any]) -> bool:
    """Whether the discharge gate lets the patient go on `last` (recent enough is the caller's)."""
    return not _breaches(last, before_dose=False, first=first) and last["moaas"] >= PROTOCOL.discharge.moaas


def _below_the_hold(first: dict[str, Any]) -> dict[str, Any]:
    """The pre-dose reading a patient who was dosed had: under the protocol's holds."""
    limits = PROTOCOL.thresholds
    systolic = min(first["systolic"], limits.systolic_hold - 10)
    diastolic = min(first["diastolic"], limits.diastolic_hold - 10, systolic - 25)
    return first | {"systolic": systolic, "diastolic": diastolic, "resp_rate": max(first["resp_rate"], 12)}


def _settled(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    """The last reading, within every limit and at or below the session's first pressure: what the
    clinic waited for before the patient left."""
    systolic = min(first["systolic"], 150)
    return last | {
        "systolic": systolic,
        "diastolic": min(first["diastolic"], 90, systolic - 25),
        "heart_rate": _clamp(first["heart_rate"], 60, 100),
        "spo2": 98,
        "resp_rate": 14,
        "moaas": 5,
    }


def _acknowledged_alert(row: dict[str, Any], vitals_id: int, breach: alerts.Breach) -> dict[str, Any]:
    raised = row["recorded_at"]
    return {
        "session_id": row["session_id"],
        "vitals_id": vitals_id,
        "rule": breach.rule,
        "value": breach.value,
        "message": breach.message,
        "raised_at": raised,
        # Not drawn from rng: the rest of the demo stays as it was before these alerts.
        "acknowledged_at": raised + timedelta(minutes=2 + vitals_id % 5),
        "acknowledged_by": row["taken_by"],
        "acknowledgement": ACTIONS.get(breach.rule, "Rechecked; physician informed"),
        "version": 1,
    }


def _open_day(day: date) -> date:
    """The clinic is closed on Sundays: such a visit moves to Monday."""
    return day + timedelta(days=1) if day.weekday() == 6 else day


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


PROTOCOL = Protocol()  # the demo clinic runs the default protocol
MOOD_EVERY = PROTOCOL.questionnaires
PROTOCOL_CHECKS = PROTOCOL.checklists


def _questionnaires(
    buffers: _Buffers, course: _Course, row: dict, nurse: int, at: datetime, progress: float, doctor: Actor
) -> None:
    """PEG at the pre-assessment, PHQ-9 and GAD-7 when the schedule has them due; now and then a
    PHQ-9 item 9 above 0, acknowledged by the physician. Drawn from a generator of their own, seeded
    by the session, so the rest of the demo is the same with or without them."""
    sid, pre = row["id"], row["pain_before"]
    rng = random.Random(f"mood-{sid}")

    def items(*values: int) -> dict:
        return {f"item_{n}": value for n, value in enumerate(values, 1)} | {
            f"item_{n}": None for n in range(len(values) + 1, 10)
        }

    def answered(instrument: str, values: tuple[int, ...]) -> None:
        buffers.add(
            Questionnaire,
            {
                "session_id": sid,
                "instrument": instrument,
                "answered_at": at,
                "recorded_by": nurse,
                "version": 1,
            }
            | items(*values),
        )

    answered("peg", tuple(_clamp(pre + rng.randint(-1, 2), 0, 10) for _ in range(3)))
    due = mood_due(
        row["clinic_date"],
        row["series_number"],
        row["series_length"],
        course.last_mood,
        MOOD_EVERY,
        row["method"],
    )
    if not due:
        return
    course.last_mood = row["clinic_date"]
    lift = course.response * progress * 1.4  # mood follows the relief, a little more steeply
    patient_rng = random.Random(f"mood-{course.patient['id']}")
    for instrument, count, start in (
        ("phq9", 9, patient_rng.randint(8, 20)),
        ("gad7", 7, patient_rng.randint(6, 15)),
    ):
        asked = count - (instrument == "phq9")  # item 9 is drawn on its own, below
        total = _clamp(round(start * (1 - lift) + rng.uniform(-2, 2)), 0, 3 * asked)
        values = [0] * count
        for _ in range(total):
            values[rng.choice([n for n in range(asked) if values[n] < 3])] += 1
        if instrument == "phq9" and total >= 10 and rng.random() < 0.04:
            values[8] = 1  # thoughts of self-harm: the physician sees the patient the same day
            screener = (True, False, False, False, False, False)  # wished to be dead, no thoughts of suicide
            buffers.add(
                SuicideScreen,
                {
                    "session_id": sid,
                    **{f"q{n}": answer for n, answer in enumerate(screener, 1)},
                    "asked_by": doctor.user_id,
                    "asked_at": at + timedelta(minutes=20),
                    "version": 1,
                },
            )
            buffers.add(
                Alert,
                {
                    "session_id": sid,
                    "vitals_id": None,
                    "rule": AlertRule.PHQ9_SELF_HARM,
                    "value": "item 9 = 1",
                    "message": "PHQ-9 item 9 answered 1 (thoughts of self-harm): a physician must see the "
                    "patient before discharge",
                    "raised_at": at,
                    "acknowledged_at": at + timedelta(minutes=25),
                    "acknowledged_by": doctor.user_id,
                    "acknowledgement": "Seen at the chair: passive thoughts, no plan or intent; safety plan "
                    f"reviewed, psychiatry follow-up booked · {cssrs.summary(screener)}",
                    "version": 1,
                },
            )
        answered(instrument, tuple(values))
        if instrument == "phq9":
            course.phq9.append(sum(values))


def _induction_review(
    buffers: _Buffers, course: _Course, sid: int, pain: int, doctor: Actor, at: datetime
) -> None:
    """The physician's end-of-induction review at the series' last session: maintenance for a
    patient who responded (the demo's courses with maintenance dates), stop for one who did not."""
    mood = f" · PHQ-9 {course.phq9[0]} → {course.phq9[-1]}" if len(course.phq9) > 1 else ""
    responded = course.response > 0.2
    buffers.add(
        InductionReview,
        {
            "session_id": sid,
            "decision": InductionDecision.MAINTENANCE if responded else InductionDecision.STOP,
            "response": f"Series of {course.series_length}: pain before {course.first_pain} → {pain}{mood}",
            "note": "Relief sustained between sessions; maintenance as planned"
            if responded
            else "No sustained relief; other options discussed",
            "reviewed_by": doctor.user_id,
            "reviewed_at": at,
            "version": 1,
        },
    )


def _lab_tests(buffers: _Buffers, course: _Course, day: date, nurse: int, at: datetime) -> None:
    """The monitoring tests a frequent patient is due (the protocol's defaults), taken at the
    session: mostly on time, now and then left a visit late; a few abnormal."""
    rules = LabMonitoring()
    if course.doses < rules.from_doses:
        return
    rng = random.Random(f"labs-{course.patient['id']}-{day}")
    patient = course.patient
    for kind in LabKind:
        last = course.last_lab.get(kind)
        asked = asked_of(kind, patient["sex"], patient["date_of_birth"], day, rules)
        if not asked or (last is not None and (day - last).days < rules.every_days(kind) - 10):
            continue
        if rng.random() < 0.1:
            continue  # forgotten this time: the board shows it due
        course.last_lab[kind] = day
        row: dict[str, Any] = {
            "patient_id": patient["id"],
            "kind": kind,
            "taken_on": day,
            "alt_u_l": None,
            "ast_u_l": None,
            "alp_u_l": None,
            "bilirubin_mg_dl": None,
            "finding": None,
            "recorded_by": nurse,
            "recorded_at": at,
            "version": 1,
        }
        if kind == LabKind.LIVER:
            raised = rng.random() < 0.04
            row |= {
                "alt_u_l": rng.randint(45, 95) if raised else rng.randint(10, 38),
                "ast_u_l": rng.randint(42, 80) if raised else rng.randint(12, 36),
                "alp_u_l": rng.randint(45, 115),
                "bilirubin_mg_dl": round(rng.uniform(0.3, 1.1), 1),
            }
        elif kind == LabKind.URINARY:
            row["finding"] = LabFinding.SYMPTOMS if rng.random() < 0.04 else LabFinding.NO_SYMPTOMS
        else:
            row["finding"] = LabFinding.NEGATIVE
        buffers.add(LabResult, row)


def _checklists(
    buffers: _Buffers, sid: int, nurse: int, method: Method, before_dose: datetime, before_leaving: datetime
) -> None:
    """Every item of the default checklists (before the dose: the method's), ticked before the dose
    and before the patient left."""
    for checklist, items, at in (
        (Checklist.PRE_INFUSION, PROTOCOL_CHECKS.before_dose(method), before_dose),
        (Checklist.DISCHARGE, PROTOCOL_CHECKS.discharge, before_leaving),
    ):
        for item in items:
            buffers.add(
                ChecklistTick,
                {
                    "session_id": sid,
                    "checklist": checklist,
                    "item": item,
                    "ticked_by": nurse,
                    "ticked_at": at,
                },
            )


def _rems_form(
    buffers: _Buffers,
    course: _Course,
    sid: int,
    nurse: int,
    check_in: datetime,
    start: datetime,
    leave: datetime,
    devices: int,
) -> None:
    """A finished nasal session's REMS monitoring form answers. Drawn from a generator of its own,
    seeded by the session, so the rest of the demo is the same with or without them."""
    rng = random.Random(sid)
    seen = {name: rng.random() < share for name, share in (("sedation", 0.5), ("dissociation", 0.6))}
    answers: dict[str, Any] = {
        "session_id": sid,
        "enrolment_id": f"REMS-{course.patient['mrn'][-6:]}",
        "benzodiazepines": rng.random() < 0.1,
        "sedative_hypnotics": rng.random() < 0.05,
        "psychostimulants": rng.random() < 0.08,
        "maois": False,
        "opioids": rng.random() < 0.15,
        "asked_by": nurse,
        "asked_at": check_in + timedelta(minutes=6),
        **{
            f"device_{n}_at": start + timedelta(minutes=5 * (n - 1)) if n <= devices else None
            for n in (1, 2, 3)
        },
        **{name: seen[name] for name in seen},
        **{
            f"{name}_at": start + timedelta(minutes=rng.randint(10, 40)) if seen[name] else None
            for name in seen
        },
        "respiratory_depression": False,
        "respiratory_depression_at": None,
        "ready_to_leave_min": int((leave - start).total_seconds() // 60) - rng.randint(0, 10),
        "version": 1,
    }
    ready = start + timedelta(minutes=answers["ready_to_leave_min"])
    for name in ("sedation", "dissociation", "respiratory_depression"):
        began = answers[f"{name}_at"]  # each seen effect resolved before the patient was ready to leave
        answers[f"{name}_resolved_at"] = (
            None if began is None else min(began + timedelta(minutes=rng.randint(15, 45)), ready)
        )
    buffers.add(RemsCheck, answers)
