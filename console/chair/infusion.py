"""A running IV infusion: pause, resume, rate change and stop, and how much has been given."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from console.chair.overrides import overridden
from console.chair.witness import UNPROVEN, proven_witness, witness_id
from console.domain.actors import Actor, require_clinical
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.inputs import InfusionEventIn, parse
from console.domain.protocol import Protocol
from console.domain.vocab import InfusionEventKind as Kind
from console.domain.vocab import OverrideRule, Route
from console.store.audit import record as audit_record
from console.store.database import Database
from console.store.models import DoseAdministration, InfusionEvent
from console.store.rows import get_or_refuse, insert
from console.store.session_lock import open_for_change
from console.store.timestamps import iso_utc

# Which events may follow the infusion's current state.
ALLOWED = {
    "running": {Kind.PAUSE, Kind.RATE_CHANGE, Kind.STOP},
    "paused": {Kind.RESUME, Kind.RATE_CHANGE, Kind.STOP},
}


@dataclass(frozen=True)
class InfusionState:
    state: str  # running, paused or stopped
    rate_mg_per_kg_h: float
    given_mg: float
    last_change: datetime


def infusion_state(dose: DoseAdministration, events: list[InfusionEvent], until: datetime) -> InfusionState:
    """Replay the events: the amount given is rate x weight x running time, interval by interval."""
    rate, state, since, given = dose.rate_mg_per_kg_h or 0.0, "running", dose.administered_at, 0.0
    for event in sorted(events, key=lambda e: (e.at, e.id or 0)):
        if state == "running":
            given += rate * dose.weight_kg_used * (event.at - since).total_seconds() / 3600
        if event.kind == Kind.PAUSE:
            state = "paused"
        elif event.kind == Kind.RESUME:
            state = "running"
        elif event.kind == Kind.RATE_CHANGE:
            rate = event.rate_mg_per_kg_h if event.rate_mg_per_kg_h is not None else rate
        else:
            state = "stopped"
        since = event.at
    if state == "running":
        given += rate * dose.weight_kg_used * max(0.0, (until - since).total_seconds()) / 3600
    return InfusionState(state, rate, round(given, 1), since)


@dataclass(frozen=True)
class StopPreview:
    """What stopping the infusion now means: whether it is early, what was given, what is left over."""

    early: bool  # less than the planned dose was given: the stop needs a reason
    given_mg: float
    planned_mg: float
    left_over_mg: float  # wasted at the stop, before a witness
    minutes_run: int
    minutes_planned: int

    @property
    def needs_asking(self) -> bool:
        return self.early or self.left_over_mg > 0

    def describe(self) -> str:
        return (
            f"Stopping after {self.minutes_run} of {self.minutes_planned} min: {self.given_mg:g} of "
            f"{self.planned_mg:g} mg planned was given (the plan stays as planned). "
            + (
                f"{self.left_over_mg:g} mg is left over, to be wasted now before a witness."
                if self.left_over_mg
                else "Nothing is left over."
            )
        )


def stop_preview(
    dose: DoseAdministration, state: InfusionState, at: datetime, tolerance: float
) -> StopPreview:
    left_over = left_over_mg(dose, state.given_mg)
    return StopPreview(
        early=state.given_mg < dose.dose_mg - tolerance,
        given_mg=min(state.given_mg, dose.dose_mg),
        planned_mg=dose.dose_mg,
        left_over_mg=left_over if left_over > tolerance else 0.0,
        minutes_run=int((at - dose.administered_at).total_seconds() // 60),
        minutes_planned=dose.planned_duration_min or 0,
    )


def left_over_mg(dose: DoseAdministration, given_mg: float) -> float:
    """The drug drawn for this dose and neither given nor already wasted: wasted when it stops."""
    return max(0.0, round(dose.drawn_mg - min(given_mg, dose.dose_mg) - dose.wasted_mg, 2))


def record_infusion_event(
    db: Database,
    actor: Actor,
    dose_id: int,
    data: InfusionEventIn | Mapping[str, object],
    protocol: Protocol | None = None,
) -> InfusionEvent:
    """Record a pause, resume, rate change or stop; a stop also closes the dose (stopped_at).

    A stop before the planned dose was given needs a reason. The plan stays as planned; what was
    given is rate x weight x running time, and the drug left over (drawn - given - wasted already)
    is wasted at the stop, before a witness who proves who they are.
    """
    tolerance = (protocol or Protocol()).reconciliation_tolerance_mg
    user_id = require_clinical(actor)
    event_in = parse(InfusionEventIn, data)
    now = db.clock.now()
    if event_in.at > now:
        raise InvalidInput("at", "At: cannot be in the future.")
    proven = None
    if event_in.kind is Kind.STOP:
        with db.read() as session:
            dose = get_or_refuse(session, DoseAdministration, dose_id, "Dose")
            events = list(session.exec(select(InfusionEvent).where(InfusionEvent.dose_id == dose_id)))
        before = infusion_state(dose, events, event_in.at)
        if before.state != "stopped":  # else the write below says it cannot stop twice
            preview = stop_preview(dose, before, event_in.at, tolerance)
            _stop_is_explained(preview, event_in)
            if preview.left_over_mg:  # proven first: the check is its own transaction
                proven = proven_witness(db, event_in.witness, event_in.witness_secret, user_id)
    with db.write() as session:
        dose = get_or_refuse(session, DoseAdministration, dose_id, "Dose")
        open_for_change(session, dose.session_id)
        if dose.route != Route.INTRAVENOUS:
            raise NotAllowed("only an IV infusion can be paused, changed or stopped")
        events = list(session.exec(select(InfusionEvent).where(InfusionEvent.dose_id == dose_id)))
        current = infusion_state(dose, events, event_in.at)
        if event_in.kind not in ALLOWED.get(current.state, set()):
            raise NotAllowed(
                f"cannot {event_in.kind.value.replace('_', ' ')} an infusion that is {current.state}"
            )
        if event_in.at < current.last_change:
            raise InvalidInput(
                "at", f"At: cannot be before the last change ({current.last_change:%H:%M} UTC)."
            )
        if event_in.kind is Kind.RATE_CHANGE:
            _rate_in_range(session, dose.session_id, event_in.rate_mg_per_kg_h, protocol or Protocol())
        stop = {}
        if event_in.kind is Kind.STOP:
            preview = stop_preview(dose, current, event_in.at, tolerance)
            _stop_is_explained(preview, event_in)
            if preview.left_over_mg:
                if proven is None or witness_id(session, event_in.witness, user_id) != proven:
                    raise InvalidInput("witness", UNPROVEN)
                stop = {"wasted_mg": preview.left_over_mg, "witness_id": proven}
        row = InfusionEvent.model_validate(
            event_in.model_dump(exclude={"witness"})
            | stop
            | {"dose_id": dose_id, "recorded_by": user_id, "recorded_at": now}
        )
        insert(session, row, actor=actor, action=f"infusion.{event_in.kind.value}", at=now)
        if event_in.kind is Kind.STOP:
            dose.stopped_at = event_in.at
            session.add(dose)
            audit_record(
                session,
                at=now,
                actor=actor.username,
                action="dose.stop",
                entity="dose_administration",
                entity_id=dose.id,
                before={"stopped_at": None},
                after={"stopped_at": iso_utc(event_in.at), "given_mg": current.given_mg} | stop,
            )
        return row


def _rate_in_range(session: Session, session_id: int, rate: float | None, protocol: Protocol) -> None:
    """A new rate is held to the protocol's range as the first one was; a physician's override of
    the dose range sets it aside."""
    iv = protocol.iv
    if rate is None or iv.rate_min_mg_per_kg_h <= rate <= iv.rate_max_mg_per_kg_h:
        return
    if OverrideRule.DOSE_RANGE in overridden(session, session_id):
        return
    raise InvalidInput(
        "rate_mg_per_kg_h",
        f"New rate: {rate:g} mg/kg/h is outside the protocol's {iv.rate_min_mg_per_kg_h:g}-"
        f"{iv.rate_max_mg_per_kg_h:g} mg/kg/h; a {protocol.override_roles.dose_range} override with a "
        "reason is needed to run it.",
    )


def _stop_is_explained(preview: StopPreview, event_in: InfusionEventIn) -> None:
    """A stop before the planned dose was given says why."""
    if preview.early and not event_in.stop_reason:
        raise InvalidInput(
            "stop_reason",
            f"Reason for stopping: {preview.given_mg:g} of {preview.planned_mg:g} mg planned was given; "
            "say why it stops early (up to 200 characters).",
        )
