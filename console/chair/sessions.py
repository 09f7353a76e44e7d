"""Treatment sessions: scheduling and the status flow from check-in to discharge."""

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from types import EllipsisType
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from console.chair import discharge_gate, rems
from console.chair.alerts import awaiting_physician
from console.chair.checklists import ticked
from console.chair.maintenance_gate import maintenance_waits
from console.chair.session_guide import notes_with
from console.domain.actors import Actor, require_clinical
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.inputs import SessionIn, parse
from console.domain.protocol import Protocol
from console.domain.serious_effects import described
from console.domain.vocab import Checklist, Contraindication, OverrideRule
from console.domain.vocab import SessionStatus as S
from console.store import audit
from console.store.database import Database
from console.store.models import (
    Alert,
    DoseAdministration,
    InfusionEvent,
    Override,
    Patient,
    SideEffect,
    TreatmentSession,
    VitalSigns,
)
from console.store.rows import get_or_refuse, insert, update_versioned
from console.store.session_lock import open_for_change

# Which statuses each step may start from; anything else is refused with the reason.
ALLOWED_FROM: dict[str, set[S]] = {
    "check_in": {S.SCHEDULED},
    "start": {S.CHECKED_IN},
    "end_treatment": {S.IN_TREATMENT},
    "discharge": {S.IN_TREATMENT, S.OBSERVATION},
    "no_show": {S.SCHEDULED},
    "cancel": {S.SCHEDULED, S.CHECKED_IN},
}


def schedule_session(db: Database, actor: Actor, data: SessionIn | Mapping[str, object]) -> TreatmentSession:
    """Book a chair for a patient (an appointment or a walk-in)."""
    require_clinical(actor)
    session_in = parse(SessionIn, data)
    with db.write() as session:
        return add_session(session, db, actor, session_in)


SESSION_SCHEDULE = "session.schedule"


def booked(session: Session, session_in: SessionIn) -> bool:
    """Whether the patient already has a session at that date and time."""
    return (
        session.exec(
            select(TreatmentSession.id).where(
                TreatmentSession.patient_id == session_in.patient_id,
                TreatmentSession.clinic_date == session_in.clinic_date,
                TreatmentSession.scheduled_time == session_in.scheduled_time,
            )
        ).first()
        is not None
    )


def add_session(session: Session, db: Database, actor: Actor, session_in: SessionIn) -> TreatmentSession:
    """Insert a validated booking in the caller's transaction."""
    now = db.clock.now()
    patient = get_or_refuse(session, Patient, session_in.patient_id, "Patient")
    if not patient.active:
        raise InvalidInput("patient_id", f"Patient: {patient.display_name} is inactive.")
    if booked(session, session_in):
        raise InvalidInput("scheduled_time", "Time: this patient already has a session at that time.")
    if session_in.series_number is None:
        waiting = maintenance_waits(session, patient.id, session_in.method, session_in.clinic_date)
        if waiting:
            raise NotAllowed(f"a maintenance session for {patient.display_name}: {waiting}")
    return insert(session, new_session_row(session_in, now), actor=actor, action=SESSION_SCHEDULE, at=now)


def new_session_row(session_in: SessionIn, now: datetime) -> TreatmentSession:
    """A booking as first stored: scheduled."""
    return TreatmentSession.model_validate(
        session_in.model_dump() | {"status": S.SCHEDULED, "created_at": now, "updated_at": now}
    )


def get_session(db: Database, session_id: int) -> TreatmentSession:
    with db.read() as session:
        return get_or_refuse(session, TreatmentSession, session_id, "Session")


StepValues = dict[str, Any] | Callable[[TreatmentSession, datetime], dict[str, Any]]


def _step(
    db: Database, actor: Actor, session_id: int, expected_version: int, step: str, values: StepValues
) -> TreatmentSession:
    user_id = require_clinical(actor)
    now = db.clock.now()
    with db.write() as session:
        row = open_for_change(session, session_id)
        if row.status not in ALLOWED_FROM[step]:
            allowed = " or ".join(sorted(status.label.lower() for status in ALLOWED_FROM[step]))
            current = S(row.status).label.lower()
            raise NotAllowed(
                f"cannot {step.replace('_', ' ')} a session that is {current} (it must be {allowed})"
            )
        changes = dict(values(row, now) if callable(values) else values)
        if step == "check_in":
            changes["nurse_id"] = user_id
        changes["updated_at"] = now
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values=changes,
            actor=actor,
            action=f"session.{step}",
            at=now,
        )


def _at(now: datetime, at: datetime | None, field: str, not_before: datetime | None, label: str) -> datetime:
    when = at or now
    if when.tzinfo is None:
        raise InvalidInput(field, f"{label}: a date and time with its time zone.")
    if when > now:
        raise InvalidInput(field, f"{label}: cannot be in the future.")
    if not_before is not None and when < not_before:
        raise InvalidInput(field, f"{label}: cannot be before {not_before:%H:%M} UTC.")
    return when


def check_in(
    db: Database,
    actor: Actor,
    session_id: int,
    expected_version: int,
    at: datetime | None = None,
    protocol: Protocol | None = None,
) -> TreatmentSession:
    """The patient has arrived; the checking-in nurse becomes the responsible nurse.

    The version of the protocol in force is stored with the session from now on.
    """
    version = (protocol or Protocol()).version
    return _step(
        db,
        actor,
        session_id,
        expected_version,
        "check_in",
        lambda row, now: {
            "status": S.CHECKED_IN,
            "checked_in_at": _at(now, at, "checked_in_at", None, "Checked in at"),
            "protocol_version": version,
        },
    )


def start_treatment(
    db: Database, actor: Actor, session_id: int, expected_version: int, at: datetime | None = None
) -> TreatmentSession:
    return _step(
        db,
        actor,
        session_id,
        expected_version,
        "start",
        lambda row, now: {
            "status": S.IN_TREATMENT,
            "started_at": _at(now, at, "started_at", row.checked_in_at, "Started at"),
        },
    )


def end_treatment(
    db: Database, actor: Actor, session_id: int, expected_version: int, at: datetime | None = None
) -> TreatmentSession:
    """Dosing is over; the patient is observed until discharge."""
    return _step(
        db,
        actor,
        session_id,
        expected_version,
        "end_treatment",
        lambda row, now: {
            "status": S.OBSERVATION,
            "ended_at": _at(now, at, "ended_at", row.started_at, "Ended at"),
        },
    )


def discharge(
    db: Database,
    actor: Actor,
    session_id: int,
    expected_version: int,
    at: datetime | None = None,
    protocol: Protocol | None = None,
    continuing: Collection[int] = (),
    zone: ZoneInfo | None = None,
) -> TreatmentSession:
    """The patient leaves: refused, with everything still missing, until the protocol's criteria hold
    (for esketamine, the REMS form's monitoring too; `zone` says its times as the clinic's clock).

    A discharge override (by the protocol's role, with a reason) sets the criteria aside; a
    controlled-substance mismatch is never set aside: the dose record must be corrected. Each side
    effect still open is resolved first, or its id is in `continuing`: confirmed as continuing at
    discharge by the one discharging, which the audit trail keeps.
    """
    protocol = protocol or Protocol()

    def values(row: TreatmentSession, now: datetime) -> dict:
        when = _at(now, at, "discharged_at", row.ended_at or row.started_at, "Discharged at")
        still_open = _discharge_gate(row, when, protocol, continuing, zone or ZoneInfo("UTC"))
        session = cast(Session, object_session(row))
        for effect in still_open:
            audit.record(
                session,
                at=now,
                actor=actor.username,
                action="side_effect.continues_at_discharge",
                entity="side_effect",
                entity_id=effect.id,
                after={"effect": effect.effect, "grade": effect.grade},
            )
        return {"status": S.DISCHARGED, "discharged_at": when, "ended_at": row.ended_at or when}

    return _step(db, actor, session_id, expected_version, "discharge", values)


def _discharge_gate(
    row: TreatmentSession, when: datetime, protocol: Protocol, continuing: Collection[int], zone: ZoneInfo
) -> list[SideEffect]:
    """Refuse, listing everything missing; otherwise the side effects confirmed as continuing."""
    session = cast(Session, object_session(row))  # a row given to a step is in its write session
    doses = list(session.exec(select(DoseAdministration).where(DoseAdministration.session_id == row.id)))
    events = list(
        session.exec(select(InfusionEvent).where(col(InfusionEvent.dose_id).in_([d.id for d in doses])))
    )
    readings = list(session.exec(select(VitalSigns).where(VitalSigns.session_id == row.id)))
    blocking = discharge_gate.unreconciled(doses, events, protocol)
    blocking += awaiting_physician(session.exec(select(Alert).where(Alert.session_id == row.id)).all())
    let_go = _discharge_overrides(session, row.id)
    if not let_go:
        done = ticked(session, row.id, Checklist.DISCHARGE)
        blocking += discharge_gate.missing_for_discharge(row, doses, readings, protocol, when, done)
    # The REMS monitoring is set aside only by a physician who decided once the drug was given.
    first_dose = min((dose.administered_at for dose in doses), default=None)
    if first_dose is None or not any(override.at >= first_dose for override in let_go):
        blocking += rems.form_holds_discharge(rems.facts_in(session, row), zone)
    still_open = list(
        session.exec(
            select(SideEffect)
            .where(SideEffect.session_id == row.id, col(SideEffect.resolved_at).is_(None))
            .order_by(col(SideEffect.onset_at), col(SideEffect.id))
        )
    )
    serious = discharge_gate.serious_effects_not_let_go(still_open, let_go)
    if serious:
        listed = ", ".join(described(e.effect, e.grade, e.other_text) for e in serious)
        blocking.append(
            f"serious side effect still open ({listed}): resolve it, or a physician lets the patient go "
            "with it open (Ctrl+Y: override of the discharge rule, with a reason)"
        )
    unconfirmed = [effect for effect in still_open if effect.id not in continuing and effect not in serious]
    if unconfirmed:
        listed = ", ".join(described(e.effect, e.grade, e.other_text) for e in unconfirmed)
        blocking.append(
            f"side effects still open ({listed}): resolve each, or confirm it continues at discharge"
        )
    if blocking:
        raise NotAllowed("discharge refused: " + "; ".join(blocking))
    return still_open


def _discharge_overrides(session: Session, session_id: int) -> list[Override]:
    rule = col(Override.rule) == OverrideRule.DISCHARGE
    return list(session.exec(select(Override).where(Override.session_id == session_id, rule)))


def mark_no_show(db: Database, actor: Actor, session_id: int, expected_version: int) -> TreatmentSession:
    return _step(db, actor, session_id, expected_version, "no_show", {"status": S.NO_SHOW})


def cancel(
    db: Database, actor: Actor, session_id: int, expected_version: int, reason: str
) -> TreatmentSession:
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise InvalidInput("reason", "Reason: say why the session is cancelled (3 to 500 characters).")

    def values(row: TreatmentSession, now: datetime) -> dict:
        note = f"Cancelled: {reason}"
        return {"status": S.CANCELLED, "notes": f"{row.notes}\n{note}" if row.notes else note}

    return _step(db, actor, session_id, expected_version, "cancel", values)


NOTES_LIMIT = 2000  # the column's size


def update_notes(
    db: Database, actor: Actor, session_id: int, expected_version: int, notes: str
) -> TreatmentSession:
    if len(notes) > NOTES_LIMIT or any(ord(ch) < 32 and ch not in "\n\t" for ch in notes):
        raise InvalidInput("notes", "Notes: up to 2000 characters of printable text.")
    require_clinical(actor)
    now = db.clock.now()
    with db.write() as session:
        row = open_for_change(session, session_id)
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values={"notes": notes, "updated_at": now},
            actor=actor,
            action="session.notes",
            at=now,
        )


def add_note(db: Database, actor: Actor, session_id: int, text: str, zone: ZoneInfo) -> TreatmentSession:
    """Append one note, stamped with date, time and author: notes only grow, so two workstations'
    notes are both kept and neither needs to have seen the other's."""
    text = text.strip()
    if not text or any(ord(ch) < 32 for ch in text):
        raise InvalidInput("note", "Note: one line of printable text.")
    require_clinical(actor)
    now = db.clock.now()
    with db.write() as session:
        row = open_for_change(session, session_id)
        notes = notes_with(row.notes, text, actor.display_name, zone, now)
        if len(notes) > NOTES_LIMIT:
            raise InvalidInput("note", f"Note: the session's notes are full ({NOTES_LIMIT} characters).")
        return update_versioned(
            session,
            row,
            expected_version=row.version,  # under the row lock: nobody can have changed it
            values={"notes": notes, "updated_at": now},
            actor=actor,
            action="session.notes",
            at=now,
        )


def record_pre_assessment(
    db: Database,
    actor: Actor,
    session_id: int,
    expected_version: int,
    *,
    escort_confirmed: bool,
    contraindications: list[str],
    screened_seen: datetime | EllipsisType | None = ...,
) -> TreatmentSession:
    """Record the contraindication screen (the items found, or none) and the escort confirmation.

    `screened_seen`: when the screen the nurse answered showed it last recorded (None: never). A
    screen recorded at another workstation since is not overwritten: a Conflict says so.
    """
    require_clinical(actor)
    found = []
    for item in contraindications:
        try:
            found.append(Contraindication(item))
        except ValueError:
            accepted = ", ".join(c.value for c in Contraindication)
            raise InvalidInput(
                "contraindications", f"Contraindications: one of {accepted} (got {item!r})."
            ) from None
    now = db.clock.now()
    with db.write() as session:
        row = open_for_change(session, session_id)
        if row.status in {S.SCHEDULED, S.NO_SHOW, S.CANCELLED}:
            raise NotAllowed(f"this session is {S(row.status).label.lower()}: check the patient in first")
        if screened_seen is not ... and row.contraindications_screened_at != screened_seen:
            raise Conflict(
                "Pre-assessment: another workstation recorded the screen while this one showed "
                f"{'none' if screened_seen is None else 'an earlier one'}; nothing was saved"
            )
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values={
                "escort_confirmed": bool(escort_confirmed),
                "contraindications_found": ",".join(sorted(set(found))),
                "contraindications_screened_at": now,
                "updated_at": now,
            },
            actor=actor,
            action="session.pre_assessment",
            at=now,
        )
