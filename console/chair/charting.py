"""Recording what happens at the chair: doses, vital signs, side effects and pain scores.

Every confirmed entry is its own committed transaction with its audit event, so nothing
a nurse confirmed is lost if the workstation dies a moment later.
"""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import EllipsisType
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from console.chair import checklists, dose_rules
from console.chair.alerts import call_for_serious_effect, follow_correction, raise_alerts
from console.chair.exposure import week_with
from console.chair.lab_monitoring import latest_results
from console.chair.overdue import close_overdue
from console.chair.overrides import overridden
from console.chair.reading import Reading
from console.chair.witness import UNPROVEN, proven_witness, same_amount, witness_id
from console.domain.actors import Actor, require_clinical
from console.domain.age import age_on
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.inputs import DoseIn, PainIn, SideEffectIn, VitalsIn, given_values, parse
from console.domain.protocol import AlertThresholds, Protocol
from console.domain.quick_vitals import SessionWindow
from console.domain.vocab import Checklist, LabKind, Method, OverrideRule, PainKind, Route
from console.domain.vocab import SessionStatus as S
from console.store.database import Database
from console.store.models import (
    DoseAdministration,
    PainScore,
    Patient,
    RemsCheck,
    SideEffect,
    TreatmentSession,
    VitalSigns,
)
from console.store.rows import get_or_refuse, insert, require_version, update_versioned
from console.store.session_lock import open_for_change

# A clock a few minutes fast on one workstation must not block a genuine entry.
FUTURE_TOLERANCE = timedelta(minutes=5)
UTC_ZONE = ZoneInfo("UTC")  # services name times in UTC; screens refuse first, in the clinic's zone
RECORDABLE = {S.CHECKED_IN, S.IN_TREATMENT, S.OBSERVATION, S.DISCHARGED}


def _open_session(session: Session, session_id: int) -> TreatmentSession:
    row = open_for_change(session, session_id)
    if row.status not in RECORDABLE:
        raise NotAllowed(f"this session is {S(row.status).label.lower()}: check the patient in first")
    return row


def _within_session(treatment: TreatmentSession, when: datetime, now: datetime) -> None:
    """A reading belongs to its session's time in the chair, whatever a screen sent."""
    window = SessionWindow.of(treatment.clinic_date, treatment.checked_in_at, treatment.discharged_at, now)
    window.refuse_outside(when, UTC_ZONE, "measured_at", "Measured at")


def _not_future(db: Database, when: datetime, field: str, label: str) -> None:
    if when > db.clock.now() + FUTURE_TOLERANCE:
        raise InvalidInput(field, f"{label}: cannot be in the future.")


def record_vitals(
    db: Database,
    actor: Actor,
    session_id: int,
    data: VitalsIn | Mapping[str, object],
    limits: AlertThresholds | None = None,
) -> VitalSigns:
    """Store one reading, and an alert for each protocol threshold it is past (`limits`).

    `measured_at` is when the reading was taken, `recorded_at` when it was typed.
    """
    user_id = require_clinical(actor)
    vitals_in = parse(VitalsIn, data)
    _not_future(db, vitals_in.measured_at, "measured_at", "Measured at")
    now = db.clock.now()
    with db.write() as session:
        treatment = _open_session(session, session_id)
        _within_session(treatment, vitals_in.measured_at, now)
        row = VitalSigns.model_validate(
            vitals_in.model_dump() | {"session_id": session_id, "taken_by": user_id, "recorded_at": now}
        )
        insert(session, row, actor=actor, action="vitals.record", at=now)
        close_overdue(session, actor, user_id, session_id, now)
        before_dose = treatment.started_at is None
        raise_alerts(session, actor, row, limits or AlertThresholds(), before_dose, now)
        return row


def get_reading(db: Database, reading_id: int) -> Reading:
    """The reading as stored now, as a screen shows it (to correct it again)."""
    with db.read() as session:
        return Reading.of(get_or_refuse(session, VitalSigns, reading_id, "Reading"))


def correct_vitals(
    db: Database,
    actor: Actor,
    reading_id: int,
    expected_version: int,
    data: VitalsIn | Mapping[str, object],
    limits: AlertThresholds | None = None,
) -> VitalSigns:
    """Correct a reading typed wrongly; the audit trail keeps the old values next to the new.

    The corrected reading meets the protocol's thresholds (`limits`) as a new one would: alerts are
    raised for what it is past now, and open ones it is no longer past are closed.
    """
    require_clinical(actor)
    vitals_in = parse(VitalsIn, data)
    _not_future(db, vitals_in.measured_at, "measured_at", "Measured at")
    now = db.clock.now()
    with db.write() as session:
        reading = get_or_refuse(session, VitalSigns, reading_id, "Record")
        treatment = _open_session(session, reading.session_id)
        _within_session(treatment, vitals_in.measured_at, now)
        corrected = update_versioned(
            session,
            reading,
            expected_version=expected_version,
            values=vitals_in.model_dump(),
            actor=actor,
            action="vitals.correct",
            at=now,
        )
        started = treatment.started_at
        before_dose = started is None or corrected.measured_at < started
        follow_correction(session, actor, corrected, limits or AlertThresholds(), before_dose, now)
        return corrected


# The rows corrected through `_correct`: each belongs to a session.
Corrected = TypeVar("Corrected", SideEffect, DoseAdministration)


def _correct(
    db: Database,
    actor: Actor,
    model: type[Corrected],
    row_id: int,
    expected_version: int,
    action: str,
    values_for: Callable[[Session, Corrected], dict[str, object]],
    then: Callable[[Session, Corrected], object] | None = None,
) -> Corrected:
    """The shared half of every correction: the row's session must be open and its version current.

    `values_for(session, row)` gives the corrected columns; the audit event keeps the old ones;
    `then(session, row)` runs after, in the same transaction.
    """
    with db.write() as session:
        row = get_or_refuse(session, model, row_id, "Record")
        _open_session(session, row.session_id)
        row = update_versioned(
            session,
            row,
            expected_version=expected_version,
            values=values_for(session, row),
            actor=actor,
            action=action,
            at=db.clock.now(),
        )
        if then is not None:
            then(session, row)
        return row


def record_side_effect(
    db: Database, actor: Actor, session_id: int, data: SideEffectIn | Mapping[str, object]
) -> SideEffect:
    user_id = require_clinical(actor)
    effect_in = parse(SideEffectIn, data)
    _not_future(db, effect_in.onset_at, "onset_at", "Onset")
    if effect_in.resolved_at:
        _not_future(db, effect_in.resolved_at, "resolved_at", "Resolved at")
    now = db.clock.now()
    with db.write() as session:
        _open_session(session, session_id)
        row = SideEffect.model_validate(
            effect_in.model_dump() | {"session_id": session_id, "recorded_by": user_id, "recorded_at": now}
        )
        row = insert(session, row, actor=actor, action="side_effect.record", at=now)
        call_for_serious_effect(session, actor, row, now)
        return row


def correct_side_effect(
    db: Database,
    actor: Actor,
    side_effect_id: int,
    expected_version: int,
    data: SideEffectIn | Mapping[str, object],
) -> SideEffect:
    """Correct a side effect typed wrongly (type, grade, times, action); the audit trail keeps the old."""
    require_clinical(actor)
    effect_in = parse(SideEffectIn, data)
    _not_future(db, effect_in.onset_at, "onset_at", "Onset")
    return _correct(
        db,
        actor,
        SideEffect,
        side_effect_id,
        expected_version,
        "side_effect.correct",
        lambda *_: effect_in.model_dump(),
        then=lambda session, row: call_for_serious_effect(session, actor, row, db.clock.now()),
    )


def resolve_side_effect(
    db: Database,
    actor: Actor,
    side_effect_id: int,
    expected_version: int,
    resolved_at: datetime,
    action_taken: str,
) -> SideEffect:
    require_clinical(actor)
    with db.read() as session:
        current = get_or_refuse(session, SideEffect, side_effect_id, "Side effect")
    effect_in = parse(
        SideEffectIn,
        {
            "effect": current.effect,
            "other_text": current.other_text,
            "grade": current.grade,
            "onset_at": current.onset_at,
            "action_taken": action_taken,
            "resolved_at": resolved_at,
        },
    )
    _not_future(db, resolved_at, "resolved_at", "Resolved at")
    now = db.clock.now()
    with db.write() as session:
        row = get_or_refuse(session, SideEffect, side_effect_id, "Side effect")
        _open_session(session, row.session_id)
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values={"resolved_at": effect_in.resolved_at, "action_taken": effect_in.action_taken},
            actor=actor,
            action="side_effect.resolve",
            at=now,
        )


def record_pain(
    db: Database,
    actor: Actor,
    session_id: int,
    data: PainIn | Mapping[str, object],
    expected_version: int | None = None,
    replacing: int | EllipsisType | None = ...,
) -> PainScore:
    """Store an NRS score; before/after also set the session's headline scores (version-checked).

    `replacing`: the headline score the nurse saw when she began typing (None: none yet). When
    another workstation stored a different one since, nothing is stored: a Conflict names it.
    """
    user_id = require_clinical(actor)
    pain_in = parse(PainIn, data)
    _not_future(db, pain_in.scored_at, "scored_at", "Scored at")
    now = db.clock.now()
    with db.write() as session:
        treatment = _open_session(session, session_id)
        if pain_in.kind is not PainKind.EXTRA and replacing is not ...:
            stored = getattr(treatment, f"pain_{pain_in.kind.value}")
            if stored != replacing and stored != pain_in.score:
                shown = "none" if replacing is None else str(replacing)
                raise Conflict(
                    f"Pain {pain_in.kind.value}: {stored} was stored at another workstation while "
                    f"this screen showed {shown}; nothing was saved. Enter yours again if it stands"
                )
        if pain_in.kind is not PainKind.EXTRA and expected_version is not None:
            same = _same_headline_score(session, treatment, pain_in.kind, pain_in.score)
            if same is not None:  # Enter pressed again on the same score: nothing new happened
                require_version(treatment, expected_version)
                return same
        row = PainScore.model_validate(
            pain_in.model_dump() | {"session_id": session_id, "recorded_by": user_id, "recorded_at": now}
        )
        insert(session, row, actor=actor, action="pain.record", at=now)
        if pain_in.kind is not PainKind.EXTRA:
            if expected_version is None:
                raise InvalidInput(
                    "expected_version", "the session's version is needed to change its pain score"
                )
            update_versioned(
                session,
                treatment,
                expected_version=expected_version,
                values={f"pain_{pain_in.kind.value}": pain_in.score, "updated_at": now},
                actor=actor,
                action=f"session.pain_{pain_in.kind.value}",
                at=now,
            )
        return row


def _same_headline_score(
    session: Session, treatment: TreatmentSession, kind: PainKind, score: int
) -> PainScore | None:
    """The stored score of this kind when it is already `score` (so storing it again would add nothing)."""
    if getattr(treatment, f"pain_{kind.value}") != score:
        return None
    return session.exec(
        select(PainScore)
        .where(PainScore.session_id == treatment.id, PainScore.kind == kind)
        .order_by(col(PainScore.id).desc())
    ).first()


def record_dose(
    db: Database,
    actor: Actor,
    session_id: int,
    data: DoseIn | Mapping[str, object],
    protocol: Protocol | None = None,
    doses_seen: int | None = None,
) -> DoseAdministration:
    """Record a dose with its controlled-substance fields; mg/kg comes from the recorded weight.

    The protocol's checks come first (screen, contraindications, pre-dose hold, weight age, dose
    range; see console.chair.dose_rules). A dose on a checked-in session starts the treatment.
    `doses_seen`: how many doses the nurse's screen showed; when another workstation recorded one
    since, nothing is stored (a Conflict says so), so one dose given is never recorded twice.
    """
    protocol = protocol or Protocol()
    user_id = require_clinical(actor)
    with db.read() as session:  # a stale screen hears so before the witness's PIN is checked
        _as_seen(_doses_of(session, session_id), doses_seen)
    given = given_values(data)  # validated below, with the session's route whatever was given
    proven = proven_witness(db, given.get("witness"), given.get("witness_secret"), user_id)
    now = db.clock.now()
    with db.write() as session:
        treatment = _open_session(session, session_id)
        route = Route.INTRAVENOUS if treatment.method == Method.IV else Route.NASAL
        dose_in = parse(DoseIn, given | {"route": route})
        _not_future(db, dose_in.administered_at, "administered_at", "Given at")
        _not_before_check_in(treatment, dose_in)
        set_aside = overridden(session, session_id)
        recorded = _doses_of(session, session_id)
        _as_seen(recorded, doses_seen)
        if not recorded:
            readings = session.exec(
                select(VitalSigns).where(
                    VitalSigns.session_id == session_id, VitalSigns.measured_at <= dose_in.administered_at
                )
            ).all()
            ticks = checklists.ticked(session, session_id, Checklist.PRE_INFUSION)
            dose_rules.before_first_dose(treatment, list(readings), set_aside, protocol, ticks)
        patient = get_or_refuse(session, Patient, treatment.patient_id, "Patient")
        enrolled = session.exec(select(RemsCheck.id).where(RemsCheck.session_id == session_id)).first()
        dose_rules.for_this_patient(treatment, patient, enrolled is not None, set_aside, protocol)
        tests = latest_results(session, patient.id, treatment.clinic_date)
        dose_rules.not_pregnant(tests.get(LabKind.PREGNANCY), set_aside, protocol)
        weight = dose_rules.weight_recent(patient, now.date(), protocol)
        dose_rules.amount_as_prescribed(dose_in, weight, protocol)
        dose_rules.reconciled(dose_in, protocol)
        earlier = sum(dose.dose_mg for dose in recorded)
        course = _nasal_course(session, treatment, patient)
        week = week_with(session, treatment, dose_in.dose_mg)
        refusal = dose_rules.out_of_range(dose_in, protocol, earlier, weight, course, week)
        if refusal is not None and OverrideRule.DOSE_RANGE not in set_aside:
            raise refusal
        named = witness_id(session, dose_in.witness, user_id)
        if named != proven:
            raise InvalidInput("witness", UNPROVEN)
        row = DoseAdministration.model_validate(
            dose_in.model_dump(exclude={"witness"})
            | {
                "session_id": session_id,
                "mg_per_kg": dose_in.dose_mg / weight,
                "weight_kg_used": weight,
                "witness_id": named,
                "administered_by": user_id,
                "recorded_at": now,
            }
        )
        insert(session, row, actor=actor, action="dose.record", at=now)
        if treatment.status == S.CHECKED_IN:
            update_versioned(
                session,
                treatment,
                expected_version=treatment.version,
                values={"status": S.IN_TREATMENT, "started_at": dose_in.administered_at, "updated_at": now},
                actor=actor,
                action="session.start",
                at=now,
            )
        return row


def _not_before_check_in(treatment: TreatmentSession, dose_in: DoseIn) -> None:
    if treatment.checked_in_at and dose_in.administered_at < treatment.checked_in_at:
        raise InvalidInput("administered_at", "Given at: cannot be before the patient checked in.")


def _doses_of(session: Session, session_id: int) -> list[DoseAdministration]:
    query = select(DoseAdministration).where(DoseAdministration.session_id == session_id)
    return list(session.exec(query.order_by(col(DoseAdministration.id))))


def _nasal_course(
    session: Session, treatment: TreatmentSession, patient: Patient
) -> dose_rules.NasalCourse | None:
    """For an esketamine session, the patient's last earlier nasal dose and their age; else None."""
    if treatment.method != Method.NASAL:
        return None
    day, sid = col(TreatmentSession.clinic_date), col(TreatmentSession.id)
    last = session.exec(
        select(TreatmentSession.id)
        .join(DoseAdministration, col(DoseAdministration.session_id) == sid)
        .where(
            TreatmentSession.patient_id == treatment.patient_id,
            TreatmentSession.method == Method.NASAL,
            or_(day < treatment.clinic_date, and_(day == treatment.clinic_date, sid < treatment.id)),
        )
        .order_by(day.desc(), sid.desc())
    ).first()
    previous = None if last is None else sum(d.dose_mg for d in _doses_of(session, last))
    return dose_rules.NasalCourse(previous, age_on(patient.date_of_birth, treatment.clinic_date))


def _as_seen(recorded: list[DoseAdministration], doses_seen: int | None) -> None:
    """Refuse a dose from a screen that showed fewer doses than are recorded now."""
    if doses_seen is not None and len(recorded) != doses_seen:
        said = f" ({recorded[-1].dose_mg:g} mg)" if recorded else ""
        raise Conflict(
            f"Dose: another workstation recorded a dose{said} while this screen showed "
            f"{doses_seen or 'none'}; nothing was saved"
        )


def correct_dose(
    db: Database,
    actor: Actor,
    dose_id: int,
    expected_version: int,
    data: DoseIn | Mapping[str, object],
    protocol: Protocol | None = None,
) -> DoseAdministration:
    """Correct a dose typed wrongly (amounts, lot, witness); mg/kg follows, the audit trail keeps the old.

    A correction is held to the protocol's dose range like the dose itself.
    """
    protocol = protocol or Protocol()
    user_id = require_clinical(actor)
    with db.read() as session:
        stored = get_or_refuse(session, DoseAdministration, dose_id, "Dose")
    given = given_values(data)  # validated below, with the dose's route whatever was given
    kept = stored.witness_id if same_amount(given.get("wasted_mg"), stored.wasted_mg) else None
    proven = proven_witness(
        db, given.get("witness"), given.get("witness_secret"), stored.administered_by, already_proven=kept
    )

    def values_for(session: Session, row: DoseAdministration) -> dict[str, object]:
        dose_in = parse(DoseIn, given | {"route": row.route})
        _not_future(db, dose_in.administered_at, "administered_at", "Given at")
        _not_before_check_in(get_or_refuse(session, TreatmentSession, row.session_id, "Session"), dose_in)
        dose_rules.amount_as_prescribed(dose_in, row.weight_kg_used, protocol)
        dose_rules.reconciled(dose_in, protocol)
        others = [d for d in _doses_of(session, row.session_id) if d.id != row.id]
        earlier = sum(d.dose_mg for d in others)
        treatment = get_or_refuse(session, TreatmentSession, row.session_id, "Session")
        patient = get_or_refuse(session, Patient, treatment.patient_id, "Patient")
        course = _nasal_course(session, treatment, patient)
        week = week_with(session, treatment, dose_in.dose_mg, leave_out_dose=row.id)
        refusal = dose_rules.out_of_range(dose_in, protocol, earlier, row.weight_kg_used, course, week)
        if refusal is not None and OverrideRule.DOSE_RANGE not in overridden(session, row.session_id):
            raise refusal
        named = witness_id(session, dose_in.witness, row.administered_by)
        if user_id != row.administered_by and named == user_id:
            raise InvalidInput("witness", "Waste witness: the person correcting cannot also be the witness.")
        if named != proven:
            raise InvalidInput("witness", UNPROVEN)
        return dose_in.model_dump(exclude={"witness", "route"}) | {
            "mg_per_kg": dose_in.dose_mg / row.weight_kg_used,
            "witness_id": named,
        }

    return _correct(db, actor, DoseAdministration, dose_id, expected_version, "dose.correct", values_for)
