"""A running IV infusion: pause, resume, rate change and stop, and how much has been given."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from console.domain.actors import Actor, require_clinical
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.inputs import InfusionEventIn, parse
from console.domain.vocab import InfusionEventKind as Kind
from console.domain.vocab import Route
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


def record_infusion_event(db: Database, actor: Actor, dose_id: int, data: dict) -> InfusionEvent:
    """Record a pause, resume, rate change or stop; a stop also closes the dose (stopped_at)."""
    user_id = require_clinical(actor)
    event_in = parse(InfusionEventIn, data)
    now = db.clock.now()
    if event_in.at > now:
        raise InvalidInput("at", "At: cannot be in the future.")
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
        row = InfusionEvent.model_validate(
            event_in.model_dump() | {"dose_id": dose_id, "recorded_by": user_id, "recorded_at": now}
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
                after={"stopped_at": iso_utc(event_in.at), "given_mg": current.given_mg},
            )
        return row
