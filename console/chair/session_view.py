"""Everything the session screen shows, read in one transaction.

The patient, the readings, the side effects and the alerts are read models (frozen copies the
screens show and name in a correction); the rest are the stored rows, read by the console's rules.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlmodel import Session, SQLModel, col, select

from console.chair.alert_shown import AlertShown
from console.chair.exposure import Exposure, exposure_of
from console.chair.lab_monitoring import LabHistory, lab_histories, latest_results
from console.chair.questionnaires import last_mood_dates, series_baselines
from console.chair.reading import Reading
from console.chair.side_effect_shown import SideEffectShown
from console.chair.vitals_due import next_vitals_due
from console.clinic.patient_shown import PatientShown
from console.domain.protocol import Protocol
from console.domain.quick_vitals import SessionWindow
from console.domain.vocab import Checklist, Instrument, LabKind, Method, SessionStatus
from console.store.database import Database
from console.store.models import (
    Addendum,
    Alert,
    ChecklistTick,
    DoseAdministration,
    InductionReview,
    InfusionEvent,
    LabResult,
    Override,
    PainScore,
    Patient,
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
from console.store.rows import get_or_refuse

Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class PreviousSession:
    clinic_date: date
    pain_before: int | None
    pain_after: int | None
    side_effects: tuple[str, ...]
    doses: tuple[tuple[str, float], ...] = ()  # (drug, mg) given


@dataclass(frozen=True)
class SessionView:
    session: TreatmentSession
    patient: PatientShown
    doses: list[DoseAdministration]
    infusion_events: list[InfusionEvent]
    alerts: list[AlertShown]
    vitals: list[Reading]
    side_effects: list[SideEffectShown]
    pain_scores: list[PainScore]
    staff: dict[int, str]
    overrides: tuple[Override, ...] = ()
    signature: SessionSignature | None = None
    addenda: tuple[Addendum, ...] = ()
    returns: tuple[ReviewReturn, ...] = ()
    rems: RemsCheck | None = None  # a nasal session's REMS form answers, once asked
    rems_enrolment: str = ""  # the enrolment number the patient's last REMS form gave
    questionnaires: tuple[Questionnaire, ...] = ()  # PEG, PHQ-9 and GAD-7 answered at this session
    last_mood_on: date | None = None  # the patient's latest PHQ-9 before this session's day
    baselines: dict[Instrument, tuple[int, ...]] = field(default_factory=dict)  # at the series start
    upcoming: TreatmentSession | None = None  # the patient's next session booked after this one's day
    recent: tuple[PreviousSession, ...] = ()  # the patient's last three finished sessions, latest first
    checklist_ticks: tuple[ChecklistTick, ...] = ()
    exposure: Exposure | None = None  # the drug given lately: 7 and 30 days, this series
    lab_history: LabHistory = field(default_factory=LabHistory)  # doses so far, latest tests
    lab_results: dict[LabKind, LabResult] = field(default_factory=dict)  # the latest of each test
    induction_review: InductionReview | None = None  # the physician's, at a series' last session

    def ticked(self, checklist: Checklist) -> set[str]:
        """The items of the protocol's `checklist` ticked at this session."""
        return {tick.item for tick in self.checklist_ticks if tick.checklist == checklist}

    def answered(self, instrument: Instrument) -> Questionnaire | None:
        return next((q for q in self.questionnaires if q.instrument == instrument), None)

    @property
    def open_return(self) -> ReviewReturn | None:
        """The physician's request for correction the nurse has not answered yet."""
        return next((r for r in self.returns if r.resubmitted_at is None), None)

    def vitals_due(self, protocol: Protocol) -> datetime | None:
        """When this session's next reading is due under `protocol` (None: none expected)."""
        s = self.session
        return next_vitals_due(
            method=Method(s.method),
            status=SessionStatus(s.status),
            checked_in_at=s.checked_in_at,
            started_at=s.started_at,
            last_reading_at=self.vitals[-1].measured_at if self.vitals else None,
            protocol=protocol,
            last_reading_alerted=bool(self.vitals)
            and any(a.vitals_id == self.vitals[-1].id for a in self.alerts),
        )

    def window(self, now: datetime) -> SessionWindow:
        """When this session's readings can have been taken: its day, check-in to discharge (or now)."""
        s = self.session
        return SessionWindow.of(s.clinic_date, s.checked_in_at, s.discharged_at, now)

    def staff_name(self, user_id: int | None) -> str:
        return self.staff.get(user_id, "") if user_id is not None else ""


def load_session_view(db: Database, session_id: int) -> SessionView:
    with db.read() as session:
        return read_session_view(session, session_id)


def read_session_view(session: Session, session_id: int) -> SessionView:
    """The session's whole record, read in the caller's transaction."""
    row = get_or_refuse(session, TreatmentSession, session_id, "Session")
    patient = get_or_refuse(session, Patient, row.patient_id, "Patient")

    def children(model: type[Row], order: str) -> list[Row]:
        """The session's rows of one table, in the order of the column `order`, then as stored."""
        table = table_of(model)
        query = select(model).where(table.c.session_id == session_id).order_by(table.c[order], table.c.id)
        return list(session.exec(query))

    recent = _recent_sessions(session, row)
    staff = {user.id: user.display_name for user in session.exec(select(UserAccount))}
    doses = children(DoseAdministration, "administered_at")
    events = list(
        session.exec(
            select(InfusionEvent)
            .where(col(InfusionEvent.dose_id).in_([dose.id for dose in doses]))
            .order_by(col(InfusionEvent.at), col(InfusionEvent.id))
        )
    )
    return SessionView(
        session=row,
        patient=PatientShown.of(patient),
        doses=doses,
        infusion_events=events,
        alerts=[AlertShown.of(alert) for alert in children(Alert, "raised_at")],
        vitals=[Reading.of(reading) for reading in children(VitalSigns, "measured_at")],
        side_effects=[SideEffectShown.of(effect) for effect in children(SideEffect, "onset_at")],
        pain_scores=children(PainScore, "scored_at"),
        staff=staff,
        signature=session.exec(
            select(SessionSignature).where(SessionSignature.session_id == session_id)
        ).first(),
        overrides=tuple(children(Override, "at")),
        addenda=tuple(children(Addendum, "written_at")),
        returns=tuple(children(ReviewReturn, "returned_at")),
        rems=session.exec(select(RemsCheck).where(RemsCheck.session_id == session_id)).first(),
        rems_enrolment=_last_enrolment(session, row) if row.method == Method.NASAL else "",
        questionnaires=tuple(children(Questionnaire, "answered_at")),
        last_mood_on=last_mood_dates(session, [row.patient_id], row.clinic_date).get(row.patient_id),
        baselines=series_baselines(session, row),
        upcoming=upcoming_session(session, row),
        recent=recent,
        checklist_ticks=tuple(children(ChecklistTick, "ticked_at")),
        exposure=exposure_of(session, row),
        lab_history=lab_histories(session, [row.patient_id], row.clinic_date)[row.patient_id],
        lab_results=latest_results(session, row.patient_id, row.clinic_date),
        induction_review=induction_review_of(session, row),
    )


def induction_review_of(session: Session, row: TreatmentSession) -> InductionReview | None:
    """The physician's end-of-induction review, at the last session of an initial series."""
    if not row.series_length or row.series_number != row.series_length:
        return None
    return session.exec(select(InductionReview).where(InductionReview.session_id == row.id)).first()


RECENT = 3  # finished sessions shown at a glance


def _recent_sessions(session: Session, row: TreatmentSession) -> tuple[PreviousSession, ...]:
    """The patient's last finished sessions before this one's day, latest first, with the doses
    given and the side effects seen."""
    finished = session.exec(
        select(TreatmentSession)
        .where(
            TreatmentSession.patient_id == row.patient_id,
            TreatmentSession.clinic_date < row.clinic_date,
            TreatmentSession.status == SessionStatus.DISCHARGED,
        )
        .order_by(col(TreatmentSession.clinic_date).desc(), col(TreatmentSession.scheduled_time).desc())
        .limit(RECENT)
    ).all()
    ids = [s.id for s in finished]
    effects: dict[int, list[str]] = {}
    for session_id, effect in session.exec(
        select(SideEffect.session_id, SideEffect.effect).where(col(SideEffect.session_id).in_(ids))
    ):
        effects.setdefault(session_id, []).append(effect)
    doses: dict[int, list[tuple[str, float]]] = {}
    for session_id, drug, mg in session.exec(
        select(DoseAdministration.session_id, DoseAdministration.drug, DoseAdministration.dose_mg)
        .where(col(DoseAdministration.session_id).in_(ids))
        .order_by(col(DoseAdministration.administered_at))
    ):
        doses.setdefault(session_id, []).append((str(drug), mg))
    return tuple(
        PreviousSession(
            s.clinic_date,
            s.pain_before,
            s.pain_after,
            tuple(effects.get(s.id, ())),
            tuple(doses.get(s.id, ())),
        )
        for s in finished
    )


def upcoming_session(session: Session, row: TreatmentSession) -> TreatmentSession | None:
    """The patient's next session booked after this one's day."""
    return session.exec(
        select(TreatmentSession)
        .where(
            TreatmentSession.patient_id == row.patient_id,
            TreatmentSession.clinic_date > row.clinic_date,
            TreatmentSession.status == SessionStatus.SCHEDULED,
        )
        .order_by(col(TreatmentSession.clinic_date), col(TreatmentSession.scheduled_time))
        .limit(1)
    ).first()


def _last_enrolment(session: Session, row: TreatmentSession) -> str:
    """The enrolment number of the patient's latest REMS form before this session: shown to confirm."""
    found = session.exec(
        select(RemsCheck.enrolment_id)
        .join(TreatmentSession, col(TreatmentSession.id) == RemsCheck.session_id)
        .where(TreatmentSession.patient_id == row.patient_id, TreatmentSession.id != row.id)
        .order_by(col(TreatmentSession.clinic_date).desc(), col(TreatmentSession.id).desc())
        .limit(1)
    ).first()
    return found or ""
