"""What the dose form starts from: the patient's last dose and today's lot, and the total it computes."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from console.domain.protocol import Protocol
from console.domain.vocab import Drug, Method
from console.store.database import Database
from console.store.models import DoseAdministration, TreatmentSession


@dataclass(frozen=True)
class DosePlan:
    drug: Drug
    rate_mg_per_kg_h: float | None
    planned_duration_min: int | None
    device_count: int | None
    lot_number: str
    concentration_mg_per_ml: float | None


def suggested_dose(db: Database, session: TreatmentSession) -> DosePlan:
    """Series patients usually get what they had last time; the lot is the one in use today."""
    iv = session.method == Method.IV
    drug = Drug.KETAMINE if iv else Drug.ESKETAMINE

    def latest(
        s: Session, condition: ColumnElement[bool], newest_first: Mapped[datetime]
    ) -> DoseAdministration | None:
        return s.exec(
            select(DoseAdministration)
            .join(TreatmentSession, col(TreatmentSession.id) == DoseAdministration.session_id)
            .where(condition, DoseAdministration.drug == drug)
            .order_by(newest_first.desc())
            .limit(1)
        ).first()

    with db.read() as s:
        last = latest(
            s, col(TreatmentSession.patient_id) == session.patient_id, col(DoseAdministration.administered_at)
        )
        lot = latest(
            s, col(TreatmentSession.clinic_date) == session.clinic_date, col(DoseAdministration.recorded_at)
        )
    strength = lot or last  # today's lot's concentration, else the patient's last
    return DosePlan(
        drug=drug,
        rate_mg_per_kg_h=last.rate_mg_per_kg_h if last and iv else None,
        planned_duration_min=last.planned_duration_min if last and iv else None,
        device_count=last.device_count if last and not iv else None,
        lot_number=lot.lot_number if lot else "",
        concentration_mg_per_ml=strength.concentration_mg_per_ml if strength else None,
    )


def total_mg(
    method: Method,
    weight_kg: float,
    protocol: Protocol,
    *,
    rate: float | None = None,
    minutes: int | None = None,
    devices: int | None = None,
) -> float | None:
    """The dose the nurse is about to confirm: rate x weight x hours for IV, devices x strength for nasal."""
    if method == Method.IV:
        if rate is None or minutes is None:
            return None
        return round(rate * weight_kg * minutes / 60, 1)
    return None if devices is None else devices * protocol.nasal.device_mg
