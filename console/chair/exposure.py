"""How much of the drug a patient has had lately: mg given in the 7 and the 30 days ending on a
session's day and in the current series, of the drug the session gives (ketamine by infusion,
esketamine by nasal spray; a stopped infusion counts what it gave). Frequent dosing is what
ketamine uropathy and liver injury follow, and a protocol may cap any 7 days (`max_mg_7_days`);
the header shows all three at the chair."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from console.chair.discharge_gate import given_mg
from console.domain.vocab import Method
from console.store.models import DoseAdministration, InfusionEvent, TreatmentSession

WEEK_DAYS, MONTH_DAYS = 7, 30


@dataclass(frozen=True)
class GivenOn:
    """One session's total of the drug, on its clinic day."""

    session_id: int
    clinic_date: date
    mg: float


@dataclass(frozen=True)
class Week:
    """The mg given in the 7 days ending on `ending`."""

    mg: float
    ending: date


def given_within(given: list[GivenOn], day: date, days: int) -> float:
    """mg given in the sessions of the `days` days ending on `day`."""
    first = day - timedelta(days=days - 1)
    return sum(g.mg for g in given if first <= g.clinic_date <= day)


def heaviest_week(given: list[GivenOn], day: date, adding_mg: float) -> Week:
    """Of the 7-day spans that hold `day` (ending on it or up to 6 days later), the one with the
    most mg once `adding_mg` more is given on `day`: a dose entered late or corrected counts in
    every week it belongs to."""
    ends = [day + timedelta(days=k) for k in range(WEEK_DAYS)]
    return max(
        (Week(given_within(given, end, WEEK_DAYS) + adding_mg, end) for end in ends), key=lambda w: w.mg
    )


def given_to(
    session: Session,
    patient_ids: set[int],
    method: str,
    first: date,
    last: date,
    leave_out_dose: int | None = None,
) -> dict[int, list[GivenOn]]:
    """Each patient's sessions by `method` from `first` to `last` that gave a dose, with what they gave
    (the dose `leave_out_dose` not counted: the one being corrected)."""
    day = col(TreatmentSession.clinic_date)
    found = session.exec(
        select(col(TreatmentSession.patient_id), col(TreatmentSession.id), day, DoseAdministration)
        .join(DoseAdministration, col(DoseAdministration.session_id) == TreatmentSession.id)
        .where(
            col(TreatmentSession.patient_id).in_(patient_ids),
            TreatmentSession.method == method,
            day >= first,
            day <= last,
        )
    ).all()
    stopped = [dose.id for *_, dose in found if dose.stopped_at is not None]
    events: dict[int, list[InfusionEvent]] = defaultdict(list)
    for event in session.exec(select(InfusionEvent).where(col(InfusionEvent.dose_id).in_(stopped))):
        events[event.dose_id].append(event)
    totals: dict[tuple[int, int, date], float] = defaultdict(float)
    for patient_id, session_id, clinic_date, dose in found:
        if dose.id != leave_out_dose:
            totals[(patient_id, session_id, clinic_date)] += given_mg(dose, events[dose.id])
    given: dict[int, list[GivenOn]] = {}
    for (patient_id, session_id, clinic_date), mg in totals.items():
        given.setdefault(patient_id, []).append(GivenOn(session_id, clinic_date, mg))
    return given


def week_with(
    session: Session, row: TreatmentSession, adding_mg: float, leave_out_dose: int | None = None
) -> Week:
    """The heaviest 7 days a dose of `adding_mg` in this session falls in, with every other dose of
    the patient by its method (the session's own included; `leave_out_dose`: one being corrected)."""
    day, span = row.clinic_date, timedelta(days=WEEK_DAYS - 1)
    given = given_to(session, {row.patient_id}, row.method, day - span, day + span, leave_out_dose)
    return heaviest_week(given.get(row.patient_id, []), day, adding_mg)


def series_started_on(session: Session, row: TreatmentSession) -> date | None:
    """The day of the latest first session of a series on or before this session's day."""
    return session.exec(
        select(col(TreatmentSession.clinic_date))
        .where(
            TreatmentSession.patient_id == row.patient_id,
            TreatmentSession.series_number == 1,
            TreatmentSession.clinic_date <= row.clinic_date,
        )
        .order_by(col(TreatmentSession.clinic_date).desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Exposure:
    drug: str  # "ketamine" or "esketamine"
    week_mg: float  # the 7 days ending on the session's day, its own doses included
    month_mg: float  # the 30 days
    series_mg: float | None  # since the current series began; None in maintenance

    def text(self) -> str:
        """`Ketamine given: 70 mg in 7 days · 210 mg in 30 days · 280 mg this series`."""
        series = f" · {self.series_mg:g} mg this series" if self.series_mg is not None else ""
        return (
            f"{self.drug.capitalize()} given: {self.week_mg:g} mg in 7 days · "
            f"{self.month_mg:g} mg in 30 days{series}"
        )


def exposure_of(session: Session, row: TreatmentSession) -> Exposure:
    day = row.clinic_date
    # In a series whose first session is not on record, what is on record counts.
    started = (series_started_on(session, row) or date.min) if row.series_length else None
    first = min(day - timedelta(days=MONTH_DAYS - 1), started or day)
    given = given_to(session, {row.patient_id}, row.method, first, day).get(row.patient_id, [])
    series = None if started is None else sum(g.mg for g in given if g.clinic_date >= started)
    drug = "esketamine" if row.method == Method.NASAL else "ketamine"
    return Exposure(drug, given_within(given, day, WEEK_DAYS), given_within(given, day, MONTH_DAYS), series)
