"""The clinical rules stated once more, as checks over the stored record: each finds every session
that breaks its rule, whoever wrote the rows (the services, an import, a hand at the database).

The services refuse what would break a rule as it is typed; these checks read the record as it is,
so a clinic can check its own days and an auditor a restored copy (`chairside audit rules`), and the
tests check the record after every test that writes.
"""

import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, select

from console.chair.alerts import (
    breaches,
    first_reading,
    rems_respiratory_depression_value,
    serious_effect_value,
)
from console.chair.discharge_gate import observed_until, unreconciled
from console.chair.dose_rules import (
    HOLD_RULES,
    NasalCourse,
    amount_as_prescribed,
    out_of_range,
    unticked_required,
)
from console.chair.exposure import WEEK_DAYS, Week, given_to
from console.chair.rems import OBSERVED, RemsFacts, needed_before_leaving
from console.clinic.clinic_protocol import stored_protocols
from console.domain.age import age_on
from console.domain.alert_rules import AlertRule, physician_only
from console.domain.ctcae import grade_scale, highest_grade, listed_as
from console.domain.errors import InvalidInput
from console.domain.protocol import Protocol
from console.domain.serious_effects import described, is_serious
from console.domain.vocab import (
    Checklist,
    Drug,
    LabFinding,
    LabKind,
    Method,
    OverrideRule,
    Role,
    Route,
    SessionStatus,
    SideEffectType,
)
from console.store.database import Database
from console.store.models import (
    Alert,
    ChecklistTick,
    DoseAdministration,
    InfusionEvent,
    LabResult,
    Override,
    Patient,
    RemsCheck,
    SessionSignature,
    SideEffect,
    SuicideScreen,
    TreatmentSession,
    UserAccount,
    VitalSigns,
)


@dataclass(frozen=True)
class Broken:
    """One session that breaks one rule, and how."""

    session_id: int
    clinic_date: date
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"session {self.session_id} ({self.clinic_date}): {self.rule}: {self.detail}"


@dataclass
class _Record:
    """One session's rows that the rules read."""

    session: TreatmentSession
    patient: Patient
    readings: list[VitalSigns]
    rems: RemsCheck | None  # a nasal session's REMS form answers, once the questions are asked
    screen: SuicideScreen | None  # the C-SSRS screener, once a physician asked it
    doses: list[DoseAdministration]
    events: list[InfusionEvent]
    effects: list[SideEffect]
    alerts: list[Alert]
    overrides: list[Override]
    signed_at: datetime | None
    physicians: frozenset[int]  # the users who are physicians
    ticks: list[ChecklistTick]
    course: NasalCourse | None  # esketamine: the patient's last earlier dose and age, for the label's steps
    week: Week | None  # the 7 days ending on its day, by its method; None: a physician set the range aside
    pregnancy_tests: list[LabResult]  # the patient's, in the order they were taken

    def let_go_between(self, start: datetime, end: datetime) -> bool:
        """A physician set the discharge rule aside between `start` and `end` (inclusive): an
        override row naming anyone else lets no one go, whatever role it claims."""
        return self.set_aside(OverrideRule.DISCHARGE, start, end)

    def set_aside(self, rule: OverrideRule, start: datetime, end: datetime) -> bool:
        """A physician's account set `rule` aside between `start` and `end` (inclusive)."""
        return any(
            o.rule == rule and o.overridden_by in self.physicians and start <= o.at <= end
            for o in self.overrides
        )

    def first_dose(self) -> DoseAdministration | None:
        return min(self.doses, key=lambda d: (d.administered_at, d.id or 0), default=None)


@dataclass(frozen=True)
class Rule:
    """A rule: its name, where it comes from, and the check that lists how a session breaks it."""

    name: str
    source: str
    check: Callable[[_Record, Protocol], Iterator[str]]


def _serious_effect_open_at_discharge(record: _Record, _protocol: Protocol) -> Iterator[str]:
    left = record.session.discharged_at
    if left is None:
        return
    for effect in record.effects:
        still_open = effect.resolved_at is None or effect.resolved_at > left
        let_go = record.let_go_between(effect.recorded_at, left)
        if is_serious(effect.effect, effect.grade) and still_open and not let_go:
            yield f"{described(effect.effect, effect.grade, effect.other_text)} open at discharge"


def _graded_beyond_its_term(record: _Record, _protocol: Protocol) -> Iterator[str]:
    for effect in record.effects:
        # An "Other" that names a listed term ("nausea") is graded as that term is.
        term = (
            listed_as(effect.other_text) if effect.effect == SideEffectType.OTHER else None
        ) or effect.effect
        if effect.grade > highest_grade(term):
            name = described(effect.effect, effect.grade, effect.other_text)
            yield f"{name}: its CTCAE term has grades {grade_scale(term)}"


def _discharged_without_a_time(record: _Record, _protocol: Protocol) -> Iterator[str]:
    row = record.session
    if row.status == SessionStatus.DISCHARGED and row.discharged_at is None:
        yield "marked discharged with no discharge time: no rule about the discharge can be checked"


def _serious_effect_without_physician_call(record: _Record, _protocol: Protocol) -> Iterator[str]:
    called = {alert.value for alert in record.alerts if alert.rule == AlertRule.SERIOUS_SIDE_EFFECT}
    for effect in record.effects:
        if is_serious(effect.effect, effect.grade) and serious_effect_value(effect.id) not in called:
            name = described(effect.effect, effect.grade, effect.other_text)
            yield f"{name} raised no call to the physician"


def _rems_respiratory_depression_without_physician_call(
    record: _Record, _protocol: Protocol
) -> Iterator[str]:
    called = {alert.value for alert in record.alerts if alert.rule == AlertRule.SERIOUS_SIDE_EFFECT}
    rems = record.rems
    if rems is None or not rems.respiratory_depression or rems.respiratory_depression_at is None:
        return
    if rems_respiratory_depression_value(rems.respiratory_depression_at) not in called:
        yield "respiratory depression on the REMS form raised no call to the physician"


def _dosed_after_a_positive_pregnancy_test(record: _Record, _protocol: Protocol) -> Iterator[str]:
    for dose in record.doses:
        known = [
            t
            for t in record.pregnancy_tests
            if t.taken_on <= record.session.clinic_date and t.recorded_at <= dose.administered_at
        ]
        latest = known[-1] if known else None
        if latest is None or latest.finding != LabFinding.POSITIVE:
            continue
        start = record.session.checked_in_at or dose.administered_at
        if not record.set_aside(OverrideRule.CONTRAINDICATION, start, dose.administered_at):
            yield f"dose given with a positive pregnancy test on record (taken {latest.taken_on:%d %b %Y})"


def _left_before_a_physician_saw_the_alert(record: _Record, _protocol: Protocol) -> Iterator[str]:
    left = record.session.discharged_at
    if left is None:
        return
    for alert in record.alerts:
        unseen = alert.acknowledged_at is None or alert.acknowledged_at > left
        if physician_only(alert.rule) and alert.raised_at <= left and unseen:
            yield alert.message


def _signed_with_an_alert_open(record: _Record, _protocol: Protocol) -> Iterator[str]:
    signed = record.signed_at
    if signed is None:
        return
    for alert in record.alerts:
        if alert.raised_at <= signed and (alert.acknowledged_at is None or alert.acknowledged_at > signed):
            yield alert.message


def _left_before_observation_ended(record: _Record, protocol: Protocol) -> Iterator[str]:
    row, left = record.session, record.session.discharged_at
    if left is None or not record.doses:
        return
    ready = observed_until(row, record.doses, protocol, left)
    if ready is not None and left < ready and not record.let_go_between(row.started_at or left, left):
        yield f"discharged {int((ready - left).total_seconds() // 60)} min before observation ended"


def _controlled_substance_unreconciled(record: _Record, protocol: Protocol) -> Iterator[str]:
    if record.session.discharged_at is not None:
        yield from unreconciled(record.doses, record.events, protocol)


def _waste_unwitnessed(record: _Record, _protocol: Protocol) -> Iterator[str]:
    for dose in record.doses:
        if dose.wasted_mg > 0 and (dose.witness_id is None or dose.witness_id == dose.administered_by):
            yield f"lot {dose.lot_number}: {dose.wasted_mg:g} mg wasted without a second person as witness"


def _reading_without_its_alert(record: _Record, protocol: Protocol) -> Iterator[str]:
    """Each threshold a reading is past has its alert. Only what a reading raises before dosing and
    after it alike is asked for (a pre-dose warning or a rise from the first reading depends on when
    the reading was typed, which the record does not keep)."""
    raised = {(alert.vitals_id, alert.rule) for alert in record.alerts}
    first = first_reading(record.readings)
    for reading in record.readings:
        baseline = None if reading is first else first
        before = {b.rule: b for b in breaches(reading, protocol.thresholds, True, baseline)}
        after = {b.rule for b in breaches(reading, protocol.thresholds, False, baseline)}
        for rule in sorted(set(before) & after):
            if (reading.id, rule) not in raised:
                yield f"reading at {reading.measured_at:%H:%M} UTC: {before[rule].message}, and no alert"


def _left_on_a_reading_outside_the_limits(record: _Record, protocol: Protocol) -> Iterator[str]:
    row, left = record.session, record.session.discharged_at
    if left is None or record.let_go_between(row.checked_in_at or left, left):
        return
    # As the discharge gate saw it: the readings typed before it (one typed later is a late entry).
    yield from _both_ways(
        [r for r in record.readings if r.measured_at <= left and r.recorded_at < left],
        [r for r in record.readings if r.measured_at <= left and r.recorded_at <= left],
        lambda taken: _unfit_to_leave(taken, left, protocol),
    )


def _unfit_to_leave(taken: list[VitalSigns], left: datetime, protocol: Protocol) -> list[str]:
    latest = max(taken, key=lambda r: (r.measured_at, r.id or 0), default=None)
    if latest is None:
        return ["discharged with no vital signs recorded"]
    found, first = [], first_reading(taken)
    age = (left - latest.measured_at).total_seconds() / 60
    if age > protocol.discharge.latest_vitals_max_age_min:
        found.append(f"the latest reading was {int(age)} min old at discharge")
    for breach in breaches(latest, protocol.thresholds, False, None if latest is first else first):
        found.append(f"the latest reading was outside the limits: {breach.message}")
    if latest.moaas < protocol.discharge.moaas:
        found.append(
            f"the latest reading's MOAA/S was {latest.moaas} (discharge needs {protocol.discharge.moaas})"
        )
    return found


Typed = TypeVar("Typed")


def _both_ways(
    before: list[Typed], with_ties: list[Typed], problems: Callable[[list[Typed]], list[str]]
) -> list[str]:
    """A row typed at the very instant of the step (only a stopped test clock gives one) may have
    come before it or after: the rule is broken only when it is broken either way."""
    found = problems(before)
    return found if found and problems(with_ties) else []


def _dosed_over_a_pre_dose_hold(record: _Record, protocol: Protocol) -> Iterator[str]:
    dose = record.first_dose()
    if dose is None:
        return
    start = record.session.checked_in_at or dose.administered_at
    if record.set_aside(OverrideRule.PREDOSE_HOLD, start, dose.administered_at):
        return

    def holds(before: list[VitalSigns]) -> list[str]:
        latest = max(before, key=lambda r: (r.measured_at, r.id or 0), default=None)
        if latest is None:
            return []
        found = breaches(latest, protocol.thresholds, True)
        return [f"first dose given on a hold: {b.message}" for b in found if b.rule in HOLD_RULES]

    # As the dose rules saw it: the readings typed before the dose, taken before it.
    taken = [r for r in record.readings if r.measured_at <= dose.administered_at]
    yield from _both_ways(
        [r for r in taken if r.recorded_at < dose.recorded_at],
        [r for r in taken if r.recorded_at <= dose.recorded_at],
        holds,
    )


def _dosed_outside_the_protocols_range(record: _Record, protocol: Protocol) -> Iterator[str]:
    """Rate (the first and every change), duration, an allowed nasal dose, and the session's total
    (re-doses with it) in mg and mg/kg, as the dose service checks them; any physician's override of
    the range in the session
    counts (one recorded after the dose still documents the decision)."""
    if any(
        o.rule == OverrideRule.DOSE_RANGE and o.overridden_by in record.physicians for o in record.overrides
    ):
        return
    found: dict[str, None] = {}  # each problem once: a total past a cap is past it with every dose
    for dose in record.doses:
        others = sum(other.dose_mg for other in record.doses if other is not dose)
        refusal = out_of_range(dose, protocol, others, dose.weight_kg_used, record.course, record.week)
        if refusal is not None:
            found[str(refusal).rsplit("; ", 1)[0]] = None  # without "an override is needed": it is the rule
    iv = protocol.iv
    for event in record.events:
        rate = event.rate_mg_per_kg_h
        if rate is not None and not iv.rate_min_mg_per_kg_h <= rate <= iv.rate_max_mg_per_kg_h:
            found[
                f"New rate: {rate:g} mg/kg/h is outside the protocol's {iv.rate_min_mg_per_kg_h:g}-"
                f"{iv.rate_max_mg_per_kg_h:g} mg/kg/h"
            ] = None
    yield from found


def _discharged_without_an_escort(record: _Record, protocol: Protocol) -> Iterator[str]:
    row, left = record.session, record.session.discharged_at
    needed = protocol.discharge.require_escort or row.method == Method.NASAL
    if left is None or row.escort_confirmed or not needed:
        return
    if not record.let_go_between(row.checked_in_at or left, left):
        yield "discharged with no escort or driver confirmed"


def _dosed_before_the_required_checklist(record: _Record, protocol: Protocol) -> Iterator[str]:
    dose = record.first_dose()
    if dose is None:
        return
    start = record.session.checked_in_at or dose.administered_at
    # Before the checklist had an override of its own, a contraindication override set it aside.
    if any(
        record.set_aside(rule, start, dose.recorded_at)
        for rule in (OverrideRule.CHECKLIST, OverrideRule.CONTRAINDICATION)
    ):
        return

    def unticked(ticks: list[ChecklistTick]) -> list[str]:
        missing = unticked_required(protocol, record.session.method, {tick.item for tick in ticks})
        return [f"first dose given with {item!r} not ticked" for item in missing]

    pre = [tick for tick in record.ticks if tick.checklist == Checklist.PRE_INFUSION]
    yield from _both_ways(
        [t for t in pre if t.ticked_at < dose.recorded_at],
        [t for t in pre if t.ticked_at <= dose.recorded_at],
        unticked,
    )


def _dosed_outside_what_the_patient_allows(record: _Record, protocol: Protocol) -> Iterator[str]:
    """Age and REMS enrolment; an allergy is not checked here, as one recorded after the dose (a
    reaction found then) was not on the record when the services let the dose through."""
    dose, row, patient = record.first_dose(), record.session, record.patient
    if dose is None:
        return
    nasal = row.method == Method.NASAL
    youngest = protocol.nasal.min_age_years if nasal else protocol.iv.min_age_years
    age = age_on(patient.date_of_birth, row.clinic_date)
    if age < youngest:
        yield f"dosed at {age} years of age (the protocol's youngest: {youngest})"
    if nasal and record.rems is None:
        yield "esketamine given with no REMS enrolment recorded"


def _self_harm_acknowledged_without_the_screener(record: _Record, _protocol: Protocol) -> Iterator[str]:
    screen = record.screen
    for alert in record.alerts:
        if alert.rule != AlertRule.PHQ9_SELF_HARM or alert.acknowledged_at is None:
            continue
        if (
            screen is None
            or screen.asked_by not in record.physicians
            or screen.asked_at > alert.acknowledged_at
        ):
            yield "PHQ-9 item 9 acknowledged with no C-SSRS screener asked by a physician first"


def _dose_not_as_prescribed(record: _Record, protocol: Protocol) -> Iterator[str]:
    for dose in record.doses:
        try:
            amount_as_prescribed(dose, dose.weight_kg_used, protocol)
        except InvalidInput as refused:
            yield str(refused)
        if abs(dose.mg_per_kg - dose.dose_mg / dose.weight_kg_used) > MG_PER_KG_ROUNDING:
            yield f"mg/kg {dose.mg_per_kg:g} is not {dose.dose_mg:g} mg / {dose.weight_kg_used:g} kg"
        iv = dose.route == Route.INTRAVENOUS
        expected = (Method.IV, Drug.KETAMINE) if iv else (Method.NASAL, Drug.ESKETAMINE)
        if (record.session.method, dose.drug) != expected:
            yield f"{dose.drug} by the {dose.route} route in a {record.session.method} session"
        if (dose.device_count is not None) == iv or (dose.rate_mg_per_kg_h is not None) != iv:
            yield f"a {dose.route} dose with the other route's figures (rate or devices)"


MG_PER_KG_ROUNDING = 0.0005


def _left_before_the_rems_monitoring_was_complete(record: _Record, _protocol: Protocol) -> Iterator[str]:
    row, first = record.session, record.first_dose()
    if row.method != Method.NASAL or row.discharged_at is None or first is None:
        return
    if record.let_go_between(first.administered_at, row.discharged_at):
        return
    facts = RemsFacts(row, record.patient, record.rems, record.doses, _in_order(record.readings), None)
    for item in needed_before_leaving(facts, ZoneInfo("UTC")):
        yield f"REMS form: {item}"


def _rems_times_that_cannot_be_true(record: _Record, _protocol: Protocol) -> Iterator[str]:
    form, first_dose, left = record.rems, record.first_dose(), record.session.discharged_at
    if form is None:
        return
    first = form.device_1_at or (first_dose.administered_at if first_dose else None)
    if (
        form.device_1_at is not None
        and first_dose is not None
        and form.device_1_at < first_dose.administered_at
    ):
        yield "the first device is timed before the dose was given"
    for name in OBSERVED:
        began, resolved = getattr(form, f"{name}_at"), getattr(form, f"{name}_resolved_at")
        said = name.replace("_", " ")
        if resolved is None:
            continue
        if began is None or resolved < began:
            yield f"{said} resolved before it began"
        if left is not None and resolved > left:
            yield f"{said} resolved after the patient left"
        ready = form.ready_to_leave_min
        if first is not None and ready is not None and first + timedelta(minutes=ready) < resolved:
            yield f"ready to leave {ready} min after the first device, before {said} resolved"


def _in_order(readings: list[VitalSigns]) -> list[VitalSigns]:
    return sorted(readings, key=lambda r: (r.measured_at, r.id or 0))


RULES = (
    Rule(
        "discharged without a discharge time",
        "a discharge is recorded with its time; every discharge rule reads it",
        _discharged_without_a_time,
    ),
    Rule(
        "serious side effect open at discharge",
        "CTCAE v5 grade 3+ or respiratory depression / emergence reaction; ASRA/AAPM/ASA 2018, "
        "Spravato REMS (observed until resolved); only a physician's override lets the patient go",
        _serious_effect_open_at_discharge,
    ),
    Rule(
        "serious side effect without a call to the physician",
        "the clinic's escalation: a serious effect raises an alert only a physician acknowledges",
        _serious_effect_without_physician_call,
    ),
    Rule(
        "REMS respiratory depression without a call to the physician",
        "Spravato REMS monitoring form; respiratory depression at any grade is serious (clinical rules)",
        _rems_respiratory_depression_without_physician_call,
    ),
    Rule(
        "dosed after a positive pregnancy test",
        "pregnancy is a contraindication (ASRA/AAPM/ASA 2018; esketamine label: embryo-fetal toxicity); "
        "only a physician's contraindication override lets a dose be given",
        _dosed_after_a_positive_pregnancy_test,
    ),
    Rule(
        "discharged before a physician acknowledged",
        "physician-only alerts (serious side effect, PHQ-9 item 9) hold discharge",
        _left_before_a_physician_saw_the_alert,
    ),
    Rule(
        "signed with an alert open",
        "every alert is acknowledged before the physician signs",
        _signed_with_an_alert_open,
    ),
    Rule(
        "discharged before the observation time",
        "protocol observation minutes (REMS: at least 2 hours after nasal esketamine)",
        _left_before_observation_ended,
    ),
    Rule(
        "controlled substance not reconciled",
        "DEA recordkeeping: drawn = given + wasted",
        _controlled_substance_unreconciled,
    ),
    Rule(
        "reading past a threshold without its alert",
        "protocol [thresholds]: a reading past one raises an alert to acknowledge",
        _reading_without_its_alert,
    ),
    Rule(
        "discharged on a reading outside the limits",
        "protocol [discharge]: the latest reading is recent, within every threshold and at the MOAA/S "
        "asked (REMS: observed until blood pressure and sedation resolve); else a physician's override",
        _left_on_a_reading_outside_the_limits,
    ),
    Rule(
        "first dose given on a pre-dose hold",
        "protocol [thresholds] holds: dosing waits for a physician's override",
        _dosed_over_a_pre_dose_hold,
    ),
    Rule(
        "first dose before the required checklist",
        "protocol pre_infusion_required / pre_nasal_required (fasting; a pregnancy test where it applies: "
        "ASRA/AAPM/ASA 2018 lists pregnancy as a contraindication; esketamine label: no food for 2 h, no "
        "drink for 30 min); else a physician's checklist override (before 0019, a contraindication override)",
        _dosed_before_the_required_checklist,
    ),
    Rule(
        "dose the patient's record did not allow",
        "protocol min_age_years (esketamine label: adults only); Spravato REMS enrolment",
        _dosed_outside_what_the_patient_allows,
    ),
    Rule(
        "dose outside the protocol's range",
        "protocol [iv] rate, duration and session caps (ASRA/AAPM/ASA 2018: 0.5-2 mg/kg/h), [nasal] "
        "allowed doses (Spravato label: 56 or 84 mg); else a physician's override",
        _dosed_outside_the_protocols_range,
    ),
    Rule(
        "discharged before the REMS monitoring was complete",
        "Spravato REMS Patient Monitoring Form: blood pressure before dosing and at about 40 minutes, each "
        "device's time, sedation / dissociation / respiratory depression answered and, when seen, "
        "resolved before the patient leaves; else a physician's discharge override",
        _left_before_the_rems_monitoring_was_complete,
    ),
    Rule(
        "REMS form times that cannot be true",
        "Spravato REMS Patient Monitoring Form: the devices from the dose on, each effect resolved after "
        "it began and before the patient left, ready to leave only once it resolved",
        _rems_times_that_cannot_be_true,
    ),
    Rule(
        "self-harm answer acknowledged without the C-SSRS screener",
        "PHQ-9 item 9 above 0: the physician asks the Columbia-Suicide Severity Rating Scale screener "
        "(Posner 2011) before acknowledging; its triage is in the acknowledgement",
        _self_harm_acknowledged_without_the_screener,
    ),
    Rule(
        "dose not what its own figures give",
        "the prescription: an infusion's dose is rate x weight x time, a nasal dose its devices x 28 mg "
        "(the figures the nurse confirmed and the amount the controlled-substance log carries agree)",
        _dose_not_as_prescribed,
    ),
    Rule(
        "discharged without an escort",
        "protocol require_escort; Spravato label: no driving until the next day after a restful sleep",
        _discharged_without_an_escort,
    ),
    Rule(
        "side effect graded beyond its term",
        "NCI CTCAE v5.0: each term has its own grades (nausea 1-3, dysgeusia 1-2)",
        _graded_beyond_its_term,
    ),
    Rule(
        "waste not witnessed",
        "controlled-substance waste is witnessed by a second person",
        _waste_unwitnessed,
    ),
)


@dataclass(frozen=True)
class RulesReport:
    checked: int  # sessions read
    broken: list[Broken]


UNREADABLE = "unreadable record"


def check_record(
    db: Database, protocol: Protocol, first: date | None = None, last: date | None = None
) -> RulesReport:
    """Every (session, rule) the record breaks, for clinic days `first` to `last` (all, if not
    given), each session under the protocol it ran under (`protocol` when it names none stored).
    A session whose rows hold a value its column cannot (a hand at the file) is reported as
    unreadable, by its id, and the others are still checked."""
    found: list[Broken] = []
    with db.read() as session:
        protocols = stored_protocols(session)
        ids = _session_ids(session, first, last)
        for start in range(0, len(ids), CHUNK):
            for record in _readable(session, ids[start : start + CHUNK], found):
                row = record.session
                # The protocol the session ran under (named at check-in), else the one given.
                own = protocols.get(row.protocol_version or "", protocol)
                try:
                    broken = [(rule.name, detail) for rule in RULES for detail in rule.check(record, own)]
                except (ValueError, TypeError, ArithmeticError) as exc:
                    broken = [(UNREADABLE, f"a stored value cannot be used ({exc})")]
                found.extend(Broken(row.id, row.clinic_date, name, detail) for name, detail in broken)
    return RulesReport(len(ids), found)


def broken_rules(
    db: Database, protocol: Protocol, first: date | None = None, last: date | None = None
) -> list[Broken]:
    """Every (session, rule) the record breaks, for clinic days `first` to `last` (all, if not given)."""
    return check_record(db, protocol, first, last).broken


CHUNK = 500  # sessions read at a time: a year's record never sits in memory at once


def _session_ids(session: Session, first: date | None, last: date | None) -> list[int]:
    query = select(TreatmentSession.id).order_by(col(TreatmentSession.clinic_date), col(TreatmentSession.id))
    if first is not None:
        query = query.where(TreatmentSession.clinic_date >= first)
    if last is not None:
        query = query.where(TreatmentSession.clinic_date <= last)
    return list(session.exec(query))


def _readable(session: Session, ids: list[int], found: list[Broken]) -> list[_Record]:
    """The sessions `ids` read whole; when a value cannot be read, each is read alone, and one that
    still cannot is reported as unreadable."""
    try:
        return _chunk(session, ids)
    except (ValueError, TypeError, ArithmeticError, StatementError) as exc:
        session.rollback()
        if len(ids) > 1:
            return [record for one in ids for record in _readable(session, [one], found)]
        said = f"a stored value cannot be read ({exc})"
        found.append(Broken(ids[0], _clinic_date(session, ids[0]), UNREADABLE, said))
        return []


def _clinic_date(session: Session, session_id: int) -> date:
    day = session.execute(
        text("SELECT clinic_date FROM treatment_session WHERE id = :id"), {"id": session_id}
    )
    value = day.scalar()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _chunk(session: Session, ids: list[int]) -> list[_Record]:
    rows = list(session.exec(select(TreatmentSession).where(col(TreatmentSession.id).in_(ids))))
    people = {row.patient_id for row in rows}
    patients = {p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(people)))}
    readings = _by_session(session.exec(select(VitalSigns).where(col(VitalSigns.session_id).in_(ids))))
    forms = {
        c.session_id: c for c in session.exec(select(RemsCheck).where(col(RemsCheck.session_id).in_(ids)))
    }
    screened = select(SuicideScreen).where(col(SuicideScreen.session_id).in_(ids))
    screens = {c.session_id: c for c in session.exec(screened)}
    doses = _by_session(
        session.exec(select(DoseAdministration).where(col(DoseAdministration.session_id).in_(ids)))
    )
    dose_ids = [dose.id for found in doses.values() for dose in found]
    events_by_dose: dict[int, list[InfusionEvent]] = defaultdict(list)
    for event in session.exec(select(InfusionEvent).where(col(InfusionEvent.dose_id).in_(dose_ids))):
        events_by_dose[event.dose_id].append(event)
    effects = _by_session(session.exec(select(SideEffect).where(col(SideEffect.session_id).in_(ids))))
    alerts = _by_session(session.exec(select(Alert).where(col(Alert.session_id).in_(ids))))
    ticks = _by_session(session.exec(select(ChecklistTick).where(col(ChecklistTick.session_id).in_(ids))))
    overrides = _by_session(session.exec(select(Override).where(col(Override.session_id).in_(ids))))
    signed = {
        sig.session_id: sig.signed_at
        for sig in session.exec(select(SessionSignature).where(col(SessionSignature.session_id).in_(ids)))
    }
    physicians = frozenset(
        session.exec(select(UserAccount.id).where(UserAccount.role == Role.PHYSICIAN)).all()
    )
    previous = _previous_nasal_totals(session, {row.patient_id for row in rows if row.method == Method.NASAL})
    weeks = _weeks(session, rows, physicians)
    tests: dict[int, list[LabResult]] = defaultdict(list)
    for test in session.exec(
        select(LabResult)
        .where(col(LabResult.patient_id).in_(people), LabResult.kind == LabKind.PREGNANCY)
        .order_by(col(LabResult.taken_on), col(LabResult.id))
    ):
        tests[test.patient_id].append(test)
    records = []
    order = {session_id: n for n, session_id in enumerate(ids)}
    for row in sorted(rows, key=lambda r: order[r.id]):
        own_doses = doses.get(row.id, [])
        record = _Record(
            session=row,
            patient=patients[row.patient_id],
            readings=readings.get(row.id, []),
            rems=forms.get(row.id),
            screen=screens.get(row.id),
            doses=own_doses,
            events=[event for dose in own_doses for event in events_by_dose.get(dose.id, [])],
            effects=effects.get(row.id, []),
            alerts=alerts.get(row.id, []),
            overrides=overrides.get(row.id, []),
            signed_at=signed.get(row.id),
            physicians=physicians,
            ticks=ticks.get(row.id, []),
            course=(
                NasalCourse(
                    previous.get(row.id), age_on(patients[row.patient_id].date_of_birth, row.clinic_date)
                )
                if row.method == Method.NASAL
                else None
            ),
            week=weeks.get(row.id),
            pregnancy_tests=tests.get(row.patient_id, []),
        )
        records.append(record)
    return records


def _weeks(
    session: Session, rows: list[TreatmentSession], physicians: frozenset[int]
) -> dict[int, Week | None]:
    """For each session of `rows`, what every session of the patient by its method gave in the 7 days
    ending on its day; None when a physician set the dose range aside in one of them (the decision
    that took the week past a cap is on record, in whichever session it was given)."""
    if not rows:
        return {}
    span = timedelta(days=WEEK_DAYS - 1)
    first, last = min(row.clinic_date for row in rows) - span, max(row.clinic_date for row in rows)
    weeks: dict[int, Week | None] = {}
    for method in {row.method for row in rows}:
        of_method = [row for row in rows if row.method == method]
        given = given_to(session, {row.patient_id for row in of_method}, method, first, last)
        dosed = [g.session_id for found in given.values() for g in found]
        set_aside = set(
            session.exec(
                select(Override.session_id).where(
                    col(Override.session_id).in_(dosed),
                    Override.rule == OverrideRule.DOSE_RANGE,
                    col(Override.overridden_by).in_(physicians),
                )
            )
        )
        for row in of_method:
            week = [
                g
                for g in given.get(row.patient_id, [])
                if row.clinic_date - span <= g.clinic_date <= row.clinic_date
            ]
            overridden = any(g.session_id in set_aside for g in week)
            weeks[row.id] = None if overridden else Week(sum(g.mg for g in week), row.clinic_date)
    return weeks


def _previous_nasal_totals(session: Session, patients: set[int]) -> dict[int, float]:
    """For each nasal session of `patients` with a dose, the total of the patient's last earlier one
    (by clinic day, then booking): what the label's dose steps compare with."""
    doses = session.exec(
        select(
            col(TreatmentSession.id),
            col(TreatmentSession.patient_id),
            col(TreatmentSession.clinic_date),
            col(DoseAdministration.dose_mg),
        )
        .join(DoseAdministration, col(DoseAdministration.session_id) == TreatmentSession.id)
        .where(col(TreatmentSession.patient_id).in_(patients), TreatmentSession.method == Method.NASAL)
    )
    totals: dict[tuple[int, date, int], float] = defaultdict(float)
    for sid, patient_id, day, mg in doses:
        totals[(patient_id, day, sid)] += mg
    previous: dict[int, float] = {}
    last: dict[int, float] = {}
    for patient_id, _day, sid in sorted(totals):
        if patient_id in last:
            previous[sid] = last[patient_id]
        last[patient_id] = totals[(patient_id, _day, sid)]
    return previous


class _OfSession(typing.Protocol):
    session_id: int


Row = TypeVar("Row", bound=_OfSession)


def _by_session(rows: Iterable[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.session_id].append(row)
    return grouped
