"""Safety alerts: a reading past a protocol threshold raises an alert that stays until acknowledged.

The thresholds come from the clinic protocol (settings); nothing clinical is hard-coded here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from console.chair.alert_shown import AlertShown
from console.chair.reading import AnyReading
from console.domain import cssrs
from console.domain.actors import Actor, require_clinical
from console.domain.alert_rules import AlertRule, names_an_action, needs_action, physician_only
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.protocol import AlertThresholds
from console.domain.serious_effects import described, is_serious
from console.domain.vocab import Role
from console.store.database import Database
from console.store.models import (
    Alert,
    Patient,
    SideEffect,
    SuicideScreen,
    TreatmentSession,
    UserAccount,
    VitalSigns,
)
from console.store.rows import get_or_refuse, insert, update_versioned
from console.store.session_lock import open_for_change


@dataclass(frozen=True)
class Breach:
    rule: AlertRule
    value: str
    message: str


def breaches(
    reading: AnyReading, limits: AlertThresholds, before_dose: bool, baseline: AnyReading | None = None
) -> list[Breach]:
    """Every threshold this reading (stored, or as shown) is past; none when it is within all of them.

    `baseline`: the session's first reading, when it is another one; a rise from it is compared after
    dosing has begun.
    """
    bp = f"{reading.systolic}/{reading.diastolic}"
    rise = _systolic_rise(reading, baseline, limits)
    found = []
    if reading.systolic >= limits.systolic_hold or reading.diastolic >= limits.diastolic_hold:
        found.append(
            Breach(
                AlertRule.BP_HOLD,
                bp,
                f"BP {bp} at or above {limits.systolic_hold}/{limits.diastolic_hold}: "
                "hold dosing and call the physician",
            )
        )
    elif before_dose and (
        reading.systolic > limits.systolic_predose_warn or reading.diastolic > limits.diastolic_predose_warn
    ):
        found.append(
            Breach(
                AlertRule.BP_PREDOSE,
                bp,
                f"pre-dose BP {bp} above {limits.systolic_predose_warn}/"
                f"{limits.diastolic_predose_warn}: consider delaying the dose",
            )
        )
    elif not before_dose and rise is not None and baseline is not None:
        found.append(
            Breach(
                AlertRule.BP_RISE,
                bp,
                f"BP {bp}: systolic {rise:+d} mmHg from the session's first reading "
                f"({baseline.systolic}/{baseline.diastolic}); recheck and tell the physician",
            )
        )
    if reading.spo2 < limits.spo2_low:
        found.append(
            Breach(AlertRule.SPO2_LOW, f"{reading.spo2}%", f"SpO2 {reading.spo2}% below {limits.spo2_low}%")
        )
    if reading.heart_rate < limits.heart_rate_low:
        found.append(
            Breach(
                AlertRule.HEART_RATE_LOW,
                str(reading.heart_rate),
                f"heart rate {reading.heart_rate} below {limits.heart_rate_low}/min",
            )
        )
    if reading.heart_rate > limits.heart_rate_high:
        found.append(
            Breach(
                AlertRule.HEART_RATE_HIGH,
                str(reading.heart_rate),
                f"heart rate {reading.heart_rate} above {limits.heart_rate_high}/min",
            )
        )
    if reading.resp_rate < limits.resp_rate_hold:
        found.append(
            Breach(
                AlertRule.RESP_RATE_HOLD,
                str(reading.resp_rate),
                f"respiratory rate {reading.resp_rate} below {limits.resp_rate_hold}/min: "
                "hold dosing and call the physician",
            )
        )
    elif reading.resp_rate < limits.resp_rate_low:
        found.append(
            Breach(
                AlertRule.RESP_RATE_LOW,
                str(reading.resp_rate),
                f"respiratory rate {reading.resp_rate} below {limits.resp_rate_low}/min",
            )
        )
    if reading.moaas <= limits.moaas_low:
        found.append(
            Breach(
                AlertRule.MOAAS_LOW,
                str(reading.moaas),
                f"MOAA/S {reading.moaas}: deep sedation (at or below {limits.moaas_low})",
            )
        )
    return found


def _systolic_rise(reading: AnyReading, baseline: AnyReading | None, limits: AlertThresholds) -> int | None:
    """The systolic rise from `baseline` when it reaches either of the protocol's limits, else None."""
    if baseline is None:
        return None
    rise = reading.systolic - baseline.systolic
    by_percent = rise * 100 >= limits.systolic_rise_percent * baseline.systolic
    return rise if rise >= limits.systolic_rise_mmhg or (rise > 0 and by_percent) else None


def first_reading(readings: Sequence[AnyReading]) -> AnyReading | None:
    """The session's first reading by when it was measured (then as stored): its baseline."""
    return min(readings, key=lambda r: (r.measured_at, r.id or 0), default=None)


def baseline_for(session: Session, reading: VitalSigns) -> VitalSigns | None:
    """The first reading of `reading`'s session, when it is another one: what a rise is measured from."""
    first = session.exec(
        select(VitalSigns)
        .where(VitalSigns.session_id == reading.session_id)
        .order_by(col(VitalSigns.measured_at), col(VitalSigns.id))
    ).first()
    return None if first is None or first.id == reading.id else first


def raise_alerts(
    session: Session,
    actor: Actor,
    reading: VitalSigns,
    limits: AlertThresholds,
    before_dose: bool,
    at: datetime,
) -> list[Alert]:
    """Store an alert per breach in the caller's transaction: the reading and its alerts commit together."""
    baseline = baseline_for(session, reading)
    return [
        raise_alert(session, actor, reading, b, at) for b in breaches(reading, limits, before_dose, baseline)
    ]


def raise_alert(
    session: Session, actor: Actor, reading: VitalSigns, breach: Breach, at: datetime, note: str = ""
) -> Alert:
    """One alert for one breach of `reading`, in the caller's transaction; `note` is added to its message."""
    message = f"{breach.message} ({note})" if note else breach.message
    alert = Alert(
        session_id=reading.session_id,
        vitals_id=reading.id,
        rule=breach.rule,
        value=breach.value,
        message=message,
        raised_at=at,
    )
    return insert(session, alert, actor=actor, action="alert.raise", at=at)


def call_for_serious_effect(session: Session, actor: Actor, effect: SideEffect, at: datetime) -> Alert | None:
    """A serious side effect (recorded, or corrected to one) calls the physician, once per effect, in
    the caller's transaction: the effect and its alert commit together."""
    if not is_serious(effect.effect, effect.grade):
        return None
    message = (
        f"{described(effect.effect, effect.grade, effect.other_text)}: call the physician; "
        "the patient stays until a physician has acknowledged it"
    )
    return _call_physician(session, actor, effect.session_id, serious_effect_value(effect.id), message, at)


def _call_physician(
    session: Session, actor: Actor, session_id: int, value: str, message: str, at: datetime
) -> Alert | None:
    """A serious-effect alert about `value` (what it is about), unless one was raised for it already."""
    called = session.exec(
        select(Alert.id).where(
            Alert.session_id == session_id,
            Alert.rule == AlertRule.SERIOUS_SIDE_EFFECT,
            Alert.value == value,
        )
    ).first()
    if called is not None:
        return None
    alert = Alert(
        session_id=session_id, rule=AlertRule.SERIOUS_SIDE_EFFECT, value=value, message=message, raised_at=at
    )
    return insert(session, alert, actor=actor, action="alert.raise", at=at)


def serious_effect_value(effect_id: int) -> str:
    """How a serious side effect's alert names the effect it is about."""
    return f"side effect {effect_id}"


def rems_respiratory_depression_value(began: datetime) -> str:
    """How the alert names the episode it is about: the form's respiratory depression, by when it began."""
    return f"REMS resp. depression {began.astimezone(UTC):%Y-%m-%dT%H:%MZ}"  # within 40 characters


def call_for_rems_respiratory_depression(
    session: Session, actor: Actor, session_id: int, began: datetime, at: datetime
) -> Alert | None:
    """Respiratory depression answered `yes` on the REMS monitoring form calls the physician, once per
    episode (by when it began), as the same effect charted as a side effect would (any grade is
    serious): a second episode after the first was acknowledged calls again."""
    message = (
        "Respiratory depression seen (REMS monitoring form): call the physician; "
        "the patient stays until a physician has acknowledged it"
    )
    return _call_physician(session, actor, session_id, rems_respiratory_depression_value(began), message, at)


def close_alert(session: Session, actor: Actor, user_id: int, alert: Alert, why: str, at: datetime) -> Alert:
    """Close an open alert that no longer applies, saying why, as the one whose entry closed it."""
    return update_versioned(
        session,
        alert,
        expected_version=alert.version,
        values={"acknowledged_at": at, "acknowledged_by": user_id, "acknowledgement": why},
        actor=actor,
        action="alert.close",
        at=at,
    )


CLOSED_BY_CORRECTION = "Closed: the reading was corrected and is no longer past this threshold."


def follow_correction(
    session: Session,
    actor: Actor,
    reading: VitalSigns,
    limits: AlertThresholds,
    before_dose: bool,
    at: datetime,
) -> None:
    """A corrected reading meets the same rules as a new one, in the correction's transaction.

    A threshold it is past now raises its alert (once: an open alert of that rule stays as it is);
    an open alert it is no longer past is closed, saying so, by the one who corrected it.
    """
    user_id = require_clinical(actor)
    now_past = {b.rule: b for b in breaches(reading, limits, before_dose, baseline_for(session, reading))}
    open_alerts = session.exec(
        select(Alert).where(Alert.vitals_id == reading.id, col(Alert.acknowledged_at).is_(None))
    ).all()
    for alert in open_alerts:
        if alert.rule not in now_past:
            close_alert(session, actor, user_id, alert, CLOSED_BY_CORRECTION, at)
    still_open = {alert.rule for alert in open_alerts}
    for rule, breach in now_past.items():
        if rule not in still_open:
            raise_alert(session, actor, reading, breach, at, note="corrected reading")


def acknowledge(
    db: Database,
    actor: Actor,
    alert_id: int,
    expected_version: int,
    note: str,
    screener: tuple[bool, ...] | None = None,
) -> Alert:
    """A nurse or physician has seen the alert; what they did is recorded with it. A PHQ-9 item 9
    answer is acknowledged by the physician with the C-SSRS screener's answers (`screener`), unless
    the session's screener is already recorded; its triage is said in the acknowledgement."""
    user_id = require_clinical(actor)
    note = note.strip()
    if not 2 <= len(note) <= NOTE_LIMIT:
        raise InvalidInput(
            "acknowledgement", "Acknowledgement: say what was seen or done (2 to 300 characters)."
        )
    if screener is not None:
        cssrs.check_answers(screener)
    now = db.clock.now()
    with db.write() as session:
        alert = get_or_refuse(session, Alert, alert_id, "Alert")
        open_for_change(session, alert.session_id)
        if physician_only(alert.rule) and actor.role != Role.PHYSICIAN:
            raise NotAllowed(
                f"only a physician can acknowledge this alert ({alert.message}); call the physician"
            )
        if alert.acknowledged_at is not None:
            by = session.get(UserAccount, alert.acknowledged_by)
            raise NotAllowed(
                f"this alert was already acknowledged by {by.display_name if by else 'someone'} "
                f"(perhaps at another workstation): {alert.acknowledgement}; nothing was saved"
            )
        if needs_action(alert.rule) and not names_an_action(note):
            raise InvalidInput(
                "acknowledgement",
                "Acknowledgement: this alert needs the action taken, in a few words "
                "(e.g. 'physician called, dosing held'), not only that it was seen.",
            )
        if alert.rule == AlertRule.PHQ9_SELF_HARM:
            answers = _screened(session, actor, user_id, alert.session_id, screener, now)
            note = f"{note} · {cssrs.summary(answers)}"
            if len(note) > NOTE_LIMIT:
                raise InvalidInput(
                    "acknowledgement",
                    f"Acknowledgement: at most {NOTE_LIMIT - len(cssrs.summary(answers)) - 3} characters "
                    "here, as the C-SSRS triage is added to it.",
                )
        return update_versioned(
            session,
            alert,
            expected_version=expected_version,
            actor=actor,
            action="alert.acknowledge",
            at=now,
            values={"acknowledged_at": now, "acknowledged_by": user_id, "acknowledgement": note},
        )


NOTE_LIMIT = 300  # the acknowledgement's column


def _screened(
    session: Session,
    actor: Actor,
    user_id: int,
    session_id: int,
    screener: tuple[bool, ...] | None,
    now: datetime,
) -> tuple[bool, ...]:
    """The session's C-SSRS screener: the one recorded, else `screener` recorded now."""
    recorded = session.exec(select(SuicideScreen).where(SuicideScreen.session_id == session_id)).one_or_none()
    if recorded is not None:
        return recorded.answers
    if screener is None:
        raise InvalidInput(
            "cssrs",
            "C-SSRS: a PHQ-9 item 9 above 0 is acknowledged with the C-SSRS screener; ask its six "
            f"questions ({cssrs.HINT}).",
        )
    made = SuicideScreen(
        session_id=session_id,
        **{f"q{n}": answer for n, answer in enumerate(screener, 1)},
        asked_by=user_id,
        asked_at=now,
    )
    insert(session, made, actor=actor, action="cssrs.record", at=now)
    return screener


def awaiting_physician(alerts: Sequence[Alert | AlertShown]) -> list[str]:
    """What blocks discharge until a physician acknowledges it (no override sets it aside), in words."""
    return [
        f"a physician must acknowledge: {alert.message}"
        for alert in alerts
        if physician_only(alert.rule) and alert.acknowledged_at is None
    ]


@dataclass(frozen=True)
class PhysicianCall:
    """An open alert only a physician can acknowledge, where the patient is."""

    session_id: int
    chair: str
    patient: str
    message: str
    raised_at: datetime


def physician_calls(db: Database, day: date) -> list[PhysicianCall]:
    """The day's open alerts waiting for a physician, oldest first."""
    with db.read() as session:
        rows = session.exec(
            select(Alert, TreatmentSession.chair, Patient)
            .join(TreatmentSession, col(TreatmentSession.id) == Alert.session_id)
            .join(Patient, col(Patient.id) == TreatmentSession.patient_id)
            .where(
                TreatmentSession.clinic_date == day,
                col(Alert.rule).in_([rule.value for rule in AlertRule if rule.physician_only]),
                col(Alert.acknowledged_at).is_(None),
            )
            .order_by(col(Alert.raised_at), col(Alert.id))
        ).all()
        return [
            PhysicianCall(alert.session_id, chair, patient.display_name, alert.message, alert.raised_at)
            for alert, chair, patient in rows
        ]


def open_alert_counts(session: Session, session_ids: list[int]) -> dict[int, int]:
    """Unacknowledged alerts per treatment session."""
    if not session_ids:
        return {}
    rows = session.exec(
        select(col(Alert.session_id), func.count())
        .where(col(Alert.session_id).in_(session_ids), col(Alert.acknowledged_at).is_(None))
        .group_by(col(Alert.session_id))
    )
    return dict(rows.all())
