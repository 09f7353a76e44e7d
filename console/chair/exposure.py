"""How much of the drug a patient has had lately: mg in the 7 and the 30 days ending on a session's
day and in the current series, of the drug the session gives (ketamine by infusion, esketamine by
nasal spray). Frequent dosing is what ketamine uropathy and liver injury follow, and a protocol may
cap the 7 days (`max_mg_7_days`); the header shows all three at the chair."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from console.domain.vocab import Method
from console.store.models import DoseAdministration, TreatmentSession

WEEK_DAYS, MONTH_DAYS = 7, 30


@dataclass(frozen=True)
class GivenOn:
    """One session's total of the drug, on its clinic day."""

    session_id: int
    clinic_date: date
    mg: float


def given_within(given: list[GivenOn], day: date, days: int) -> float:
    """mg given in the sessions of the `days` days ending on `day`."""
    first = day - timedelta(days=days - 1)
    return sum(g.mg for g in given if first <= g.clinic_date <= day)


def given_before(given: list[GivenOn], row: TreatmentSession, days: int = WEEK_DAYS) -> float:
    """mg given in the `days` days ending on the session's day by the sessions before it (earlier
    days, or the same day and booked first): what it added to when its dose was given."""
    first = row.clinic_date - timedelta(days=days - 1)
    return sum(
        g.mg
        for g in given
        if first <= g.clinic_date and (g.clinic_date, g.session_id) < (row.clinic_date, row.id)
    )


def given_to(
    session: Session, patient_ids: set[int], method: str, first: date, last: date
) -> dict[int, list[GivenOn]]:
    """Each patient's sessions by `method` from `first` to `last` that gave a dose, with their totals."""
    day = col(TreatmentSession.clinic_date)
    found = session.exec(
        select(
            col(TreatmentSession.patient_id),
            col(TreatmentSession.id),
            day,
            func.sum(DoseAdministration.dose_mg),
        )
        .join(DoseAdministration, col(DoseAdministration.session_id) == TreatmentSession.id)
        .where(
            col(TreatmentSession.patient_id).in_(patient_ids),
            TreatmentSession.method == method,
            day >= first,
            day <= last,
        )
        .group_by(col(TreatmentSession.patient_id), col(TreatmentSession.id), day)
    )
    given: dict[int, list[GivenOn]] = {}
    for patient_id, session_id, clinic_date, mg in found:
        given.setdefault(patient_id, []).append(GivenOn(session_id, clinic_date, float(mg)))
    return given


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


def week_before(session: Session, row: TreatmentSession) -> float:
    """mg the patient's sessions by this session's method before it gave in the 7 days ending on its day."""
    day = row.clinic_date
    given = given_to(session, {row.patient_id}, row.method, day - timedelta(days=WEEK_DAYS - 1), day)
    return given_before(given.get(row.patient_id, []), row)


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
