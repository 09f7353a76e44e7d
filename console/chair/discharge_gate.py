"""The discharge gate: what must hold before a patient leaves the chair, from the clinic protocol.

`missing_for_discharge` lists every criterion not met (a physician override may set these aside);
`unreconciled` lists controlled-substance mismatches, which only a corrected record resolves.
"""

import math
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from console.chair.alerts import breaches, first_reading
from console.chair.infusion import infusion_state
from console.chair.reading import AnyReading
from console.domain.protocol import Protocol
from console.domain.serious_effects import is_serious
from console.domain.vocab import Method, Route
from console.store.models import DoseAdministration, InfusionEvent, Override, SideEffect, TreatmentSession


def observed_since(
    session: TreatmentSession, doses: list[DoseAdministration], now: datetime
) -> datetime | None:
    """When observation started: the first nasal device, or the end of IV dosing (now, if it ends now)."""
    if not doses:
        return None
    if session.method == Method.NASAL:
        return min(dose.administered_at for dose in doses)
    return session.ended_at or now


def observed_until(
    session: TreatmentSession, doses: list[DoseAdministration], protocol: Protocol, now: datetime
) -> datetime | None:
    """The earliest time the protocol's observation allows discharge; None before any dose."""
    since = observed_since(session, doses, now)
    if since is None:
        return None
    rules = protocol.nasal if session.method == Method.NASAL else protocol.iv
    return since + timedelta(minutes=rules.observation_min)


def missing_for_discharge(
    session: TreatmentSession,
    doses: list[DoseAdministration],
    readings: Sequence[AnyReading],
    protocol: Protocol,
    now: datetime,
    ticked: Collection[str],
    zone: ZoneInfo | None = None,
) -> list[str]:
    """Every discharge criterion that does not hold yet, in words; empty when the patient may leave.
    `ticked`: the discharge checklist's items ticked. With the clinic's `zone`, the observation's
    end is said as a clock time too."""
    criteria, missing = protocol.discharge, []
    ready_at = observed_until(session, doses, protocol, now)
    if ready_at is not None and now < ready_at:
        rules = protocol.nasal if session.method == Method.NASAL else protocol.iv
        left = math.ceil((ready_at - now).total_seconds() / 60)
        until = f", until {ready_at.astimezone(zone):%H:%M}" if zone else ""
        missing.append(f"observation time not reached ({rules.observation_min} min; {left} min to go{until})")
    latest = max(readings, key=lambda r: (r.measured_at, r.id or 0)) if readings else None
    if latest is None:
        missing.append("no vital signs recorded")
    else:
        age = (now - latest.measured_at).total_seconds() / 60
        if age > criteria.latest_vitals_max_age_min:
            missing.append(
                f"latest vital signs are {int(age)} min old (at most {criteria.latest_vitals_max_age_min})"
            )
        baseline = first_reading(readings)
        past = breaches(latest, protocol.thresholds, False, None if baseline is latest else baseline)
        if past:
            missing.append(f"latest vital signs out of range ({'; '.join(b.message for b in past)})")
        if latest.moaas < criteria.moaas:
            missing.append(f"MOAA/S is {latest.moaas} (needs {criteria.moaas})")
    if criteria.require_post_pain and session.pain_after is None:
        missing.append("pain after not recorded")
    # Esketamine's label: no driving until the next day after a restful sleep, whatever the protocol says.
    if (criteria.require_escort or session.method == Method.NASAL) and not session.escort_confirmed:
        missing.append("escort / driver not confirmed")
    unchecked = [item for item in protocol.checklists.discharge if item not in ticked]
    if unchecked:
        missing.append("discharge checklist not ticked: " + ", ".join(unchecked))
    return missing


def serious_effects_not_let_go(
    open_effects: Sequence[SideEffect], overrides: Sequence[Override]
) -> list[SideEffect]:
    """The serious side effects still open that no physician has let the patient go with: an
    override of the discharge rule counts for the effects recorded before it, which the
    physician could see. Ticking an effect as continuing is never enough for these."""
    latest = max((override.at for override in overrides), default=None)
    return [
        effect
        for effect in open_effects
        if is_serious(effect.effect, effect.grade) and (latest is None or latest < effect.recorded_at)
    ]


def given_mg(dose: DoseAdministration, events: list[InfusionEvent]) -> float:
    """What the patient received: a stopped infusion's running total (at most the dose), else the dose."""
    if dose.route == Route.INTRAVENOUS and dose.stopped_at is not None:
        return min(dose.dose_mg, infusion_state(dose, events, dose.stopped_at).given_mg)
    return dose.dose_mg


def unreconciled(
    doses: list[DoseAdministration], events: list[InfusionEvent], protocol: Protocol
) -> list[str]:
    """Each dose whose drawn amount is not given + wasted (within the protocol's tolerance)."""
    problems = []
    for dose in doses:
        own = [e for e in events if e.dose_id == dose.id]
        given = given_mg(dose, own)
        wasted = dose.wasted_mg + sum(e.wasted_mg or 0 for e in own)  # at drawing, and at an early stop
        if abs(dose.drawn_mg - given - wasted) > protocol.reconciliation_tolerance_mg:
            problems.append(
                f"controlled substance: lot {dose.lot_number} drawn {dose.drawn_mg:g} mg ≠ given {given:g} + "
                f"wasted {wasted:g} mg: correct the dose record (amount wasted, witnessed)"
            )
    return problems
