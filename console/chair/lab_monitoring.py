"""Monitoring tests of patients who dose often: recorded as the clinic receives them, and due again
at the protocol's interval once a patient has had `from_doses` doses (console.domain.protocol
.LabMonitoring). Overdue tests are shown on the board and in the session header; they inform the
chair and the physician and do not hold a dose (a positive pregnancy test does:
console.chair.dose_rules.not_pregnant)."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from console.domain.actors import Actor, require_clinical
from console.domain.age import age_on
from console.domain.errors import InvalidInput
from console.domain.inputs import LabResultIn, parse
from console.domain.protocol import LabMonitoring
from console.domain.vocab import LabFinding, LabKind, Sex
from console.store.database import Database
from console.store.models import DoseAdministration, LabResult, Patient, TreatmentSession
from console.store.rows import get_or_refuse, insert_many

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class LabHistory:
    """What decides a patient's tests due on a day: doses so far and each test's latest day."""

    doses: int = 0
    last_on: Mapping[LabKind, date] = field(default_factory=dict)


@dataclass(frozen=True)
class LabDue:
    kind: LabKind
    last_on: date | None

    def text(self) -> str:
        """`liver tests due (last 02 Sep 2026)` or `urinary symptom screen due (none on record)`."""
        last = f"last {self.last_on:%d %b %Y}" if self.last_on else "none on record"
        return f"{self.kind.label} due ({last})"

    @property
    def short(self) -> str:
        return {LabKind.LIVER: "liver", LabKind.URINARY: "urine", LabKind.PREGNANCY: "preg"}[self.kind]


def asked_of(kind: LabKind, sex: str, date_of_birth: date, day: date, rules: LabMonitoring) -> bool:
    """Whether the protocol asks this patient for `kind` at all (a pregnancy test: female patients
    of the protocol's ages)."""
    if not rules.every_days(kind):
        return False
    if kind != LabKind.PREGNANCY:
        return True
    low, high = rules.pregnancy_test_ages
    return sex == Sex.FEMALE and low <= age_on(date_of_birth, day) <= high


def labs_due(
    sex: str, date_of_birth: date, history: LabHistory, day: date, rules: LabMonitoring
) -> list[LabDue]:
    """The tests overdue on `day`: asked of the patient, the patient a frequent user by then, and the
    latest older than the interval (or none on record)."""
    if history.doses < rules.from_doses:
        return []
    due = []
    for kind in LabKind:
        if not asked_of(kind, sex, date_of_birth, day, rules):
            continue
        last = history.last_on.get(kind)
        if last is None or (day - last).days > rules.every_days(kind):
            due.append(LabDue(kind, last))
    return due


def lab_histories(session: Session, patient_ids: list[int], day: date) -> dict[int, LabHistory]:
    """Each patient's doses before `day` (sessions with a dose: a dose given today does not make the
    tests due mid-session) and latest test of each kind taken by `day`."""
    if not patient_ids:
        return {}
    doses = dict(
        session.exec(
            select(col(TreatmentSession.patient_id), func.count(func.distinct(col(TreatmentSession.id))))
            .join(DoseAdministration, col(DoseAdministration.session_id) == TreatmentSession.id)
            .where(col(TreatmentSession.patient_id).in_(patient_ids), TreatmentSession.clinic_date < day)
            .group_by(col(TreatmentSession.patient_id))
        ).all()
    )
    last: dict[int, dict[LabKind, date]] = defaultdict(dict)
    for patient_id, kind, taken_on in session.exec(
        select(col(LabResult.patient_id), col(LabResult.kind), func.max(col(LabResult.taken_on)))
        .where(col(LabResult.patient_id).in_(patient_ids), LabResult.taken_on <= day)
        .group_by(col(LabResult.patient_id), col(LabResult.kind))
    ).all():
        # An aggregate loses the column's type on SQLite: the day comes back as its text.
        last[patient_id][LabKind(kind)] = (
            taken_on if isinstance(taken_on, date) else date.fromisoformat(taken_on)
        )
    return {pid: LabHistory(doses.get(pid, 0), last.get(pid, {})) for pid in patient_ids}


def latest_results(session: Session, patient_id: int, day: date) -> dict[LabKind, LabResult]:
    """The patient's latest test of each kind taken on or before `day`."""
    found: dict[LabKind, LabResult] = {}
    for row in session.exec(
        select(LabResult)
        .where(LabResult.patient_id == patient_id, LabResult.taken_on <= day)
        .order_by(col(LabResult.taken_on).desc(), col(LabResult.id).desc())
    ):
        found.setdefault(LabKind(row.kind), row)
    return found


def _liver_values(result: LabResult, rules: LabMonitoring) -> list[tuple[str, float, float]]:
    """Each liver value with its name and the protocol's upper limit."""
    return [
        ("ALT", result.alt_u_l or 0, rules.alt_upper_u_l),
        ("AST", result.ast_u_l or 0, rules.ast_upper_u_l),
        ("ALP", result.alp_u_l or 0, rules.alp_upper_u_l),
        ("bilirubin", result.bilirubin_mg_dl or 0, rules.bilirubin_upper_mg_dl),
    ]


def is_flagged(result: LabResult, rules: LabMonitoring) -> bool:
    """A liver value above its upper limit, urinary symptoms, or a positive pregnancy test."""
    if result.kind == LabKind.LIVER:
        return any(value > upper for _, value, upper in _liver_values(result, rules))
    return result.finding in (LabFinding.SYMPTOMS, LabFinding.POSITIVE)


def result_text(result: LabResult, rules: LabMonitoring) -> str:
    """`liver 02 Sep: ALT 52↑ AST 28 ALP 90 bilirubin 0.8` (↑ above the protocol's upper limit),
    `urinary screen 02 Sep: symptoms⚠`, `pregnancy test 02 Sep: negative`."""
    day = f"{result.taken_on:%d %b %Y}"
    if result.kind == LabKind.LIVER:
        values = _liver_values(result, rules)
        shown = " ".join(f"{name} {value:g}{'↑' if value > upper else ''}" for name, value, upper in values)
        return f"liver {day}: {shown}"
    finding = str(result.finding).replace("_", " ") + ("⚠" if is_flagged(result, rules) else "")
    name = "urinary screen" if result.kind == LabKind.URINARY else "pregnancy test"
    return f"{name} {day}: {finding}"


def record_lab_results(
    db: Database,
    actor: Actor,
    patient_id: int,
    results: Sequence[LabResultIn | Mapping[str, object]],
    zone: ZoneInfo = UTC,
) -> list[LabResult]:
    """Record monitoring tests as received, all or none: each sample's day is not in the future (the
    clinic's day) nor before the patient was born; one result per test and day."""
    user_id = require_clinical(actor)
    given = [parse(LabResultIn, data) for data in results]
    if not given:
        raise InvalidInput("results", "Tests: type at least one result.")
    if len({(test.kind, test.taken_on) for test in given}) < len(given):
        raise InvalidInput("taken_on", "Taken on: one result per test and day.")
    now = db.clock.now()
    today = now.astimezone(zone).date()
    with db.write() as session:
        patient = get_or_refuse(session, Patient, patient_id, "Patient")
        rows = []
        for test in given:
            _check_day(session, patient, test, today)
            rows.append(
                LabResult(**test.model_dump(), patient_id=patient_id, recorded_by=user_id, recorded_at=now)
            )
        return insert_many(session, rows, actor=actor, action="lab_result.record", at=now)


def _check_day(session: Session, patient: Patient, test: LabResultIn, today: date) -> None:
    if test.taken_on > today:
        raise InvalidInput(
            "taken_on", f"Taken on: {test.taken_on:%d %b %Y} is in the future; the day of the sample."
        )
    if test.taken_on < patient.date_of_birth:
        raise InvalidInput("taken_on", "Taken on: before the patient was born; the day of the sample.")
    same_day = select(LabResult.id).where(
        LabResult.patient_id == patient.id, LabResult.kind == test.kind, LabResult.taken_on == test.taken_on
    )
    if session.exec(same_day).first() is not None:
        raise InvalidInput(
            "taken_on",
            f"Taken on: {test.kind.label} of {test.taken_on:%d %b %Y} already on record (one a day).",
        )
