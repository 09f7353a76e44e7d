"""The day's sessions as the Today board shows them: one query, plain rows."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from sqlalchemy import func, type_coerce
from sqlmodel import Session, col, select

from console.chair.alerts import open_alert_counts
from console.chair.lab_monitoring import LabDue, LabHistory, lab_histories, labs_due
from console.chair.questionnaires import last_mood_dates, mood_due
from console.chair.vitals_due import next_vitals_due
from console.domain.age import age_on
from console.domain.protocol import Protocol
from console.domain.vocab import Instrument, Method, SessionStatus
from console.store.database import Database
from console.store.models import Alert, Override, Patient, Questionnaire, TreatmentSession, VitalSigns
from console.store.timestamps import UTCDateTime

# Sessions that are over: a scan opens one of these only when the patient has no other that day.
CLOSED = frozenset({SessionStatus.DISCHARGED, SessionStatus.NO_SHOW, SessionStatus.CANCELLED})


@dataclass(frozen=True)
class BoardRow:
    session_id: int
    version: int
    scheduled_time: time
    chair: str
    patient_id: int
    patient_name: str
    mrn: str
    date_of_birth: date
    method: Method
    status: SessionStatus
    checked_in_at: datetime | None
    started_at: datetime | None
    discharged_at: datetime | None
    pain_before: int | None
    pain_after: int | None
    last_vitals_at: datetime | None
    open_alerts: int = 0
    overrides: int = 0
    last_reading_alerted: bool = False  # past a threshold: the next reading comes sooner
    series_number: int | None = None
    series_length: int | None = None
    last_mood_on: date | None = None  # the patient's latest PHQ-9 before this day
    mood_answered: bool = False  # PHQ-9 answered at this session
    sex: str = ""
    lab_history: LabHistory = field(default_factory=LabHistory)  # doses so far, latest tests

    def mood(self, protocol: Protocol, day: date) -> str:
        """`due` when PHQ-9 and GAD-7 are due and not answered yet, `done` once answered, else ""."""
        if self.mood_answered:
            return "done"
        if self.status in CLOSED:
            return ""
        due = mood_due(
            day,
            self.series_number,
            self.series_length,
            self.last_mood_on,
            protocol.questionnaires,
            self.method,
        )
        return "due" if due else ""

    def labs_due(self, protocol: Protocol, day: date) -> list[LabDue]:
        """The monitoring tests overdue for the patient (none once the session is over)."""
        if self.status in CLOSED:
            return []
        return labs_due(self.sex, self.date_of_birth, self.lab_history, day, protocol.lab_monitoring)

    def vitals_due(self, protocol: Protocol) -> datetime | None:
        """When this session's next reading is due under `protocol` (None: none expected)."""
        return next_vitals_due(
            method=self.method,
            status=self.status,
            checked_in_at=self.checked_in_at,
            started_at=self.started_at,
            last_reading_at=self.last_vitals_at,
            protocol=protocol,
            last_reading_alerted=self.last_reading_alerted,
        )

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)


def day_sessions(db: Database, day: date) -> list[BoardRow]:
    """Every session of `day` in time order, then by chair."""
    last_vitals = (
        # type_coerce keeps the UTC decoding that an aggregate would otherwise drop (SQLite gives text).
        select(
            col(VitalSigns.session_id),
            type_coerce(func.max(VitalSigns.measured_at), UTCDateTime).label("last_at"),
        )
        .join(TreatmentSession, col(TreatmentSession.id) == VitalSigns.session_id)
        .where(TreatmentSession.clinic_date == day)
        .group_by(col(VitalSigns.session_id))
        .subquery()
    )
    query = (
        select(TreatmentSession, Patient, last_vitals.c.last_at)
        .join(Patient, col(Patient.id) == TreatmentSession.patient_id)
        .outerjoin(last_vitals, last_vitals.c.session_id == TreatmentSession.id)
        .where(TreatmentSession.clinic_date == day)
        .order_by(col(TreatmentSession.scheduled_time), col(TreatmentSession.chair))
    )
    latest_readings = select(col(VitalSigns.id)).join(
        last_vitals,
        (last_vitals.c.session_id == VitalSigns.session_id)
        & (last_vitals.c.last_at == VitalSigns.measured_at),
    )
    with db.read() as session:
        rows = session.exec(query).all()
        ids = [s.id for s, _, _ in rows]
        alerts = open_alert_counts(session, ids)
        overrides = override_counts(session, ids)
        patient_ids = sorted({p.id for _, p, _ in rows})
        last_mood = last_mood_dates(session, patient_ids, day)
        labs = lab_histories(session, patient_ids, day)
        mood_answered = set(
            session.exec(
                select(Questionnaire.session_id).where(
                    col(Questionnaire.session_id).in_(ids), Questionnaire.instrument == Instrument.PHQ9
                )
            )
        )
        alerted = set(
            session.exec(select(Alert.session_id).where(col(Alert.vitals_id).in_(latest_readings)).distinct())
        )
        return [
            replace(
                _row(s, p, last_at, alerts.get(s.id, 0), overrides.get(s.id, 0), s.id in alerted),
                last_mood_on=last_mood.get(p.id),
                mood_answered=s.id in mood_answered,
                sex=p.sex,
                lab_history=labs[p.id],
            )
            for s, p, last_at in rows
        ]


def override_counts(session: Session, session_ids: list[int]) -> dict[int, int]:
    """Protocol rules set aside, per treatment session."""
    if not session_ids:
        return {}
    rows = session.exec(
        select(col(Override.session_id), func.count())
        .where(col(Override.session_id).in_(session_ids))
        .group_by(col(Override.session_id))
    )
    return dict(rows.all())


def _row(
    s: TreatmentSession,
    p: Patient,
    last_at: datetime | None,
    open_alerts: int,
    overrides: int,
    alerted: bool,
) -> BoardRow:
    return BoardRow(
        session_id=s.id,
        version=s.version,
        scheduled_time=s.scheduled_time,
        chair=s.chair,
        patient_id=p.id,
        patient_name=p.display_name,
        mrn=p.mrn,
        date_of_birth=p.date_of_birth,
        method=Method(s.method),
        status=SessionStatus(s.status),
        checked_in_at=s.checked_in_at,
        started_at=s.started_at,
        discharged_at=s.discharged_at,
        pain_before=s.pain_before,
        pain_after=s.pain_after,
        last_vitals_at=last_at,
        open_alerts=open_alerts,
        overrides=overrides,
        last_reading_alerted=alerted,
        series_number=s.series_number,
        series_length=s.series_length,
    )


def session_to_open(rows: list[BoardRow]) -> BoardRow | None:
    """Of one patient's sessions on a day, the one a scan opens: the first still open, else the first."""
    return next((r for r in rows if r.status not in CLOSED), rows[0] if rows else None)
