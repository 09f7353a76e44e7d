"""PEG, PHQ-9 and GAD-7 at the chair: recorded with their answers item by item, on the protocol's
schedule, and a PHQ-9 item 9 above 0 raised as an alert only a physician can acknowledge.

Schedule: PEG at every pre-assessment; PHQ-9 and GAD-7 at a series' first and last session (an
esketamine series: every other session too), and in maintenance once `mood_every_weeks` have
passed since the patient's last PHQ-9.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from console.chair.exposure import series_started_on
from console.domain.actors import Actor, require_clinical
from console.domain.alert_rules import AlertRule
from console.domain.errors import Conflict, NotAllowed
from console.domain.inputs import QuestionnaireIn, parse
from console.domain.protocol import Questionnaires
from console.domain.questionnaires import SELF_HARM_ITEM, self_harm_answer
from console.domain.vocab import Instrument, Method, SessionStatus
from console.store.database import Database
from console.store.models import Alert, Questionnaire, TreatmentSession
from console.store.rows import insert, update_versioned
from console.store.session_lock import open_for_change

MOOD = (Instrument.PHQ9, Instrument.GAD7)


def record(
    db: Database,
    actor: Actor,
    session_id: int,
    instrument: Instrument | str,
    items: tuple[int, ...],
    expected_version: int | None = None,
) -> Questionnaire:
    """Store the answers; with `expected_version`, correct those stored. A PHQ-9 item 9 above 0
    raises the self-harm alert in the same transaction (once: an open one stays as it is)."""
    user_id = require_clinical(actor)
    answers = parse(QuestionnaireIn, {"instrument": instrument, "items": items})
    now = db.clock.now()
    values: dict[str, object] = {f"item_{n}": None for n in range(1, 10)} | {
        f"item_{n}": item for n, item in enumerate(answers.items, 1)
    }
    values |= {"answered_at": now, "recorded_by": user_id}
    with db.write() as session:
        treatment = open_for_change(session, session_id)
        if treatment.status in (SessionStatus.SCHEDULED, SessionStatus.NO_SHOW, SessionStatus.CANCELLED):
            raise NotAllowed(f"{answers.instrument.label} is asked once the patient is checked in")
        row = answered(session, session_id, answers.instrument)
        if row is None and expected_version is None:
            made = Questionnaire.model_validate(
                values | {"session_id": session_id, "instrument": answers.instrument}
            )
            row = insert(session, made, actor=actor, action="questionnaire.record", at=now)
        elif row is None or expected_version is None:
            raise Conflict(
                f"{answers.instrument.label} was recorded or changed at another workstation: "
                "look again before saving"
            )
        else:
            row = update_versioned(
                session,
                row,
                expected_version=expected_version,
                values=values,
                actor=actor,
                action="questionnaire.correct",
                at=now,
            )
        thoughts = self_harm_answer(answers.instrument, answers.items)
        if thoughts and not _open_self_harm_alert(session, session_id):
            alert = Alert(
                session_id=session_id,
                rule=AlertRule.PHQ9_SELF_HARM,
                value=f"item {SELF_HARM_ITEM} = {thoughts}",
                message=f"PHQ-9 item {SELF_HARM_ITEM} answered {thoughts} (thoughts of self-harm): "
                "a physician must see the patient before discharge",
                raised_at=now,
            )
            insert(session, alert, actor=actor, action="alert.raise", at=now)
        return row


def answered(session: Session, session_id: int, instrument: Instrument) -> Questionnaire | None:
    return session.exec(
        select(Questionnaire).where(
            Questionnaire.session_id == session_id, Questionnaire.instrument == instrument
        )
    ).one_or_none()


def _open_self_harm_alert(session: Session, session_id: int) -> bool:
    found = session.exec(
        select(Alert.id).where(
            Alert.session_id == session_id,
            Alert.rule == AlertRule.PHQ9_SELF_HARM,
            col(Alert.acknowledged_at).is_(None),
        )
    ).first()
    return found is not None


@dataclass(frozen=True)
class MoodDue:
    """Whether PHQ-9 and GAD-7 are due at a session, and why ("" when not due)."""

    reason: str

    def __bool__(self) -> bool:
        return bool(self.reason)


def mood_due(
    day: date,
    series_number: int | None,
    series_length: int | None,
    last_mood_on: date | None,
    rules: Questionnaires,
    method: str,
) -> MoodDue:
    """Due at a series' first and last session, and in an esketamine series every
    `nasal_series_every` sessions from its first; in maintenance (no series), when the patient's
    last PHQ-9 before `day` is `mood_every_weeks` old, or there is none."""
    if series_number == 1:
        return MoodDue("series start")
    if series_length and series_number == series_length:
        return MoodDue("series end")
    if series_length:
        every = rules.nasal_series_every
        if method == Method.NASAL and series_number and (series_number - 1) % every == 0:
            return MoodDue(f"esketamine series, every {'other ' if every == 2 else ''}session")
        return MoodDue("")
    if last_mood_on is None:
        return MoodDue("maintenance, none yet")
    if day - last_mood_on >= timedelta(weeks=rules.mood_every_weeks):
        return MoodDue(f"maintenance, every {rules.mood_every_weeks} weeks")
    return MoodDue("")


def mood_due_at(session: TreatmentSession, last_mood_on: date | None, rules: Questionnaires) -> MoodDue:
    return mood_due(
        session.clinic_date, session.series_number, session.series_length, last_mood_on, rules, session.method
    )


def series_baselines(session: Session, row: TreatmentSession) -> dict[Instrument, tuple[int, ...]]:
    """Each instrument's first answers of the patient's current series, from other sessions than
    this one: the series began at the latest first session on or before this session's day; without
    one, the patient's earliest answers count."""
    started = series_started_on(session, row)
    answers = session.exec(
        select(Questionnaire)
        .join(TreatmentSession, col(TreatmentSession.id) == Questionnaire.session_id)
        .where(
            TreatmentSession.patient_id == row.patient_id,
            TreatmentSession.id != row.id,
            TreatmentSession.clinic_date >= (started if started is not None else date.min),
            TreatmentSession.clinic_date <= row.clinic_date,
        )
        .order_by(col(TreatmentSession.clinic_date), col(Questionnaire.answered_at))
    ).all()
    found: dict[Instrument, tuple[int, ...]] = {}
    for answer in answers:
        found.setdefault(Instrument(answer.instrument), answer.items)
    return found


def last_mood_dates(session: Session, patient_ids: list[int], before: date) -> dict[int, date]:
    """Each patient's latest day with a PHQ-9, before `before`."""
    if not patient_ids:
        return {}
    rows = session.exec(
        select(TreatmentSession.patient_id, func.max(TreatmentSession.clinic_date))
        .join(Questionnaire, col(Questionnaire.session_id) == TreatmentSession.id)
        .where(
            col(TreatmentSession.patient_id).in_(patient_ids),
            TreatmentSession.clinic_date < before,
            Questionnaire.instrument == Instrument.PHQ9,
        )
        .group_by(col(TreatmentSession.patient_id))
    )
    return dict(rows.all())
