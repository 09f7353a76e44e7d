"""What the session screen decides before it draws: the step, the weight to ask for, the lines it shows.

Pure functions of a `SessionView`, the protocol and the time, so each decision is tested without a
screen and without pressing keys.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from console.chair.alerts import awaiting_physician
from console.chair.discharge_gate import missing_for_discharge, observed_until
from console.chair.infusion import InfusionState, infusion_state
from console.chair.lab_monitoring import is_flagged, labs_due, result_text
from console.chair.questionnaires import mood_due_at
from console.chair.rems import (
    FORTY_MINUTES,
    FORTY_MINUTES_WINDOW,
    facts_from_view,
    first_device_at,
    form_holds_discharge,
    identified_pressures,
)
from console.chair.session_view import PreviousSession, SessionView
from console.chair.vitals_due import describe_due
from console.clinic.patient_shown import PatientShown
from console.clinic.patients import weight_is_stale
from console.domain.age import age_on
from console.domain.medications import REMS_CLASSES, answered_warnings, listed, warnings
from console.domain.pain import PainChange
from console.domain.protocol import Protocol
from console.domain.vocab import (
    Checklist,
    Contraindication,
    Instrument,
    Method,
    Route,
    SessionStatus,
    SideEffectType,
)
from console.store.models import DoseAdministration, TreatmentSession


class Step(StrEnum):
    """The steps of a chair visit, in order."""

    CHECK_IN = "checkin"
    PRE = "pre"
    DOSE = "dose"
    MONITOR = "monitor"
    POST = "post"


class PreStart(StrEnum):
    """Where the pre-assessment begins: the first thing still missing."""

    WEIGHT = "weight"
    PAIN = "pain"
    VITALS = "vitals"


def current_step(view: SessionView) -> Step:
    """Where the nurse most likely goes next; every step stays reachable by its key."""
    s = view.session
    if s.status == SessionStatus.SCHEDULED:
        return Step.CHECK_IN
    if s.status == SessionStatus.CHECKED_IN and (
        s.pain_before is None or not view.vitals or s.contraindications_screened_at is None
    ):
        return Step.PRE
    if not view.doses:
        return Step.DOSE
    return Step.MONITOR if s.status == SessionStatus.IN_TREATMENT else Step.POST


def weight_needed(view: SessionView, today: date, protocol: Protocol) -> bool:
    """Dosing needs a recent weight: with none, the pre-assessment asks for it first."""
    return weight_is_stale(view.patient, today, protocol)


def pre_assessment_start(view: SessionView, today: date, protocol: Protocol) -> PreStart:
    if weight_needed(view, today, protocol):
        return PreStart.WEIGHT
    return PreStart.VITALS if view.session.pain_before is not None else PreStart.PAIN


def weight_prompt(view: SessionView, today: date, protocol: Protocol) -> str:
    if weight_needed(view, today, protocol) and view.patient.weight_kg:
        return (
            f"Weight today (kg): the last is over {protocol.weight_max_age_days} days old;"
            " weigh the patient, Enter"
        )
    return "Weight today (kg): Enter to record; Tab skips"


def weight_to_show(view: SessionView, today: date, protocol: Protocol) -> str:
    """The weight field's value: an old weight is measured again, so it is not offered."""
    p = view.patient
    return "" if weight_needed(view, today, protocol) else f"{p.weight_kg:g}"


@dataclass(frozen=True)
class Header:
    name: str
    details: str  # the rest of the first line and the two lines under it


def series_position(method: Method, number: int | None, length: int | None) -> str:
    """Where a session is in the plan: `infusion 4 of 6`, `nasal session 2 of 8` or `maintenance`."""
    if not length:
        return "maintenance"
    return f"{'infusion' if method == Method.IV else 'nasal session'} {number} of {length}"


def series_text(session: TreatmentSession) -> str:
    """`IV infusion 4 of 6`, `Nasal spray 2 of 8` or `IV infusion, maintenance`."""
    method = Method(session.method).label
    if session.series_length:
        return f"{method} {session.series_number} of {session.series_length}"
    return f"{method}, maintenance"


def header(view: SessionView, protocol: Protocol) -> Header:
    """The patient at a glance: who, allergies, diagnosis, where in the series, mood questionnaires
    due, the last three sessions' doses and response, the drug given in 7 and 30 days and this
    series, current medications with those that matter at the chair flagged, and the relevant
    history."""
    p, s = view.patient, view.session
    weight = f"{p.weight_kg:g} kg ({p.weight_measured_on:%d %b %Y})" if p.weight_kg else "weight not recorded"
    series = series_text(s)
    due = mood_due_at(s, view.last_mood_on, protocol.questionnaires)
    if due and view.answered(Instrument.PHQ9) is None:
        series += f" · PHQ-9 and GAD-7 due ({due.reason})"
    last = ", ".join(_visit_text(visit) for visit in view.recent)
    from_list = warnings(p.medications)
    flagged = [f"⚠ {w.medicine.split()[0]} ({w.kind})" for w in from_list]
    answered = {name: bool(getattr(view.rems, name)) for name in REMS_CLASSES} if view.rems else {}
    flagged += [
        f"⚠ {w.kind} ({w.medicine})" for w in answered_warnings(answered, {w.kind for w in from_list})
    ]
    flagged += [f"⚠ {code.label.lower()}" for code in relevant_history(p)]
    listed_count = len(listed(p.medications))
    medicines = (
        f"{listed_count} medicine{'s' if listed_count != 1 else ''}" if listed_count else "none recorded"
    )
    lines = [
        f"  {age_on(p.date_of_birth, s.clinic_date)} y · {p.sex} · {weight} · MRN {p.mrn}",
        f"Allergies: {p.allergies or 'none recorded'} · {p.diagnosis_code} {p.diagnosis_label}",
        f"{series} · " + (f"last {last}" if last else "first session"),
        *([view.exposure.text()] if view.exposure else []),
        *([tests] if (tests := tests_line(view, protocol)) else []),
        f"Medications: {medicines}" + (" · " + " ".join(flagged) if flagged else "") + " (Ctrl+O)",
    ]
    return Header(p.display_name, "\n".join(lines))


def tests_line(view: SessionView, protocol: Protocol) -> str:
    """`Tests: liver tests due (last 02 Sep 2026) · urinary screen 01 Dec 2026: symptoms⚠`: the
    monitoring tests overdue, and the latest result of each that is out of range or positive;
    empty when there is nothing to say (Ctrl+T records a test)."""
    p, rules = view.patient, protocol.lab_monitoring
    due = labs_due(p.sex, p.date_of_birth, view.lab_history, view.session.clinic_date, rules)
    flagged = [
        result_text(result, rules) for result in view.lab_results.values() if is_flagged(result, rules)
    ]
    parts = [d.text() for d in due] + flagged
    return f"Tests: {' · '.join(parts)} (Ctrl+T)" if parts else ""


def relevant_history(patient: PatientShown) -> list[Contraindication]:
    return [Contraindication(code) for code in patient.relevant_history.split(",") if code]


def _visit_text(visit: PreviousSession) -> str:
    """`23 Nov 35 mg 7→3 nausea`: the day, the dose given, pain before and after, side effects."""
    given = f"{sum(mg for _, mg in visit.doses):g} mg" if visit.doses else "no dose"
    before, after = visit.pain_before, visit.pain_after
    pain = "" if before is None else f" {before}→{after}" if after is not None else f" pain {before}"
    effects = "".join(f" {SideEffectType(e).label.lower()}" for e in visit.side_effects)
    return f"{visit.clinic_date:%d %b} {given}{pain}{effects}"


def status_line(view: SessionView, protocol: Protocol, zone: ZoneInfo, now: datetime) -> str:
    s = view.session

    def at(value: datetime | None) -> str:
        return f"{value.astimezone(zone):%H:%M}" if value else "—"

    due = describe_due(view.vitals_due(protocol), now, protocol)
    return (
        f"Status: {SessionStatus(s.status).label} · chair {s.chair} · checked in {at(s.checked_in_at)}"
        f" · started {at(s.started_at)} · ended {at(s.ended_at)} · next vitals: {due}"
    )


def running_infusion(view: SessionView, now: datetime) -> tuple[DoseAdministration, InfusionState] | None:
    """The session's latest IV dose and its state now, or None when no infusion was started."""
    ivs = [dose for dose in view.doses if dose.route == Route.INTRAVENOUS]
    if not ivs:
        return None
    dose = ivs[-1]
    events = [e for e in view.infusion_events if e.dose_id == dose.id]
    return dose, infusion_state(dose, events, now)


def infusion_line(view: SessionView, zone: ZoneInfo, now: datetime) -> str:
    infusion = running_infusion(view, now)
    if infusion is None:
        return ""
    dose, state = infusion
    return (
        f"Infusion {state.state} since {state.last_change.astimezone(zone):%H:%M} at "
        f"{state.rate_mg_per_kg_h:g} mg/kg/h · given so far {state.given_mg:g} of {dose.dose_mg:g} mg planned"
    )


def rems_pressure_line(view: SessionView, zone: ZoneInfo, now: datetime) -> str:
    """Nasal esketamine: the REMS form's blood pressure at about 40 minutes, prompted until taken."""
    if view.session.method != Method.NASAL or not view.doses:
        return ""
    facts = facts_from_view(view)
    forty = identified_pressures(facts)[1]
    if forty is not None:
        taken = f"{forty.systolic}/{forty.diastolic} at {forty.measured_at.astimezone(zone):%H:%M}"
        return f"REMS: 40-minute blood pressure {taken} ✓"
    first = first_device_at(facts)
    if first is None:
        return ""
    due, closes = first + FORTY_MINUTES, first + FORTY_MINUTES_WINDOW[1]
    at = f"{due.astimezone(zone):%H:%M}"
    if now > closes:
        return f"⚠ REMS: no blood pressure was taken 30 to 50 minutes after the first device ({at})"
    minutes = int((due - now).total_seconds() // 60)
    when = f"in {minutes} min" if minutes > 0 else "now"
    return f"REMS: blood pressure due at {at} ({when}; taken from 30 to 50 min after the first device)"


def pain_change_line(view: SessionView) -> str:
    s = view.session
    if s.pain_before is not None and s.pain_after is not None:
        return f"Pain {PainChange(s.pain_before, s.pain_after).describe()}"
    if s.pain_before is not None:
        return f"Pain before: {s.pain_before}"
    return ""


def discharge_outlook(view: SessionView, protocol: Protocol, now: datetime, zone: ZoneInfo) -> str:
    """What the discharge step says before the nurse tries: when discharge becomes possible and what
    is still needed, or that everything holds."""
    s = view.session
    if s.status == SessionStatus.DISCHARGED:
        return ""
    missing = awaiting_physician(view.alerts) + missing_for_discharge(
        s, view.doses, view.vitals, protocol, now, view.ticked(Checklist.DISCHARGE), zone
    )
    # Esketamine: the REMS form's monitoring holds discharge up, as the service does.
    missing += form_holds_discharge(facts_from_view(view), zone)
    ready_at = observed_until(s, view.doses, protocol, now)
    opens = f"Discharge possible from {ready_at.astimezone(zone):%H:%M}" if ready_at else "Discharge"
    said = (
        f"{opens}: every criterion holds."
        if not missing
        else f"{opens}; still needed: " + "; ".join(missing) + "."
    )
    return said


def dose_heading(view: SessionView) -> str:
    if view.doses:
        dose = view.doses[-1]
        return (
            f"Given: {dose.drug} {dose.dose_mg:g} mg ({dose.mg_per_kg:.2f} mg/kg), "
            f"lot {dose.lot_number}, drawn {dose.drawn_mg:g}, wasted {dose.wasted_mg:g} mg"
        )
    drug = "ketamine IV infusion" if view.session.method == Method.IV else "esketamine nasal spray"
    return f"Dose: {drug} · weight {view.patient.weight_kg or '?'} kg"


NOTE_STAMP = "%d %b %Y %H:%M"
_STAMPED = re.compile(r"^(\d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}) (.+?): (.*)$")


def note_lines(notes: str, zone: ZoneInfo) -> list[tuple[datetime | None, str | None, str]]:
    """Each line of a session's notes as (when, author, text): what `notes_with` stamped it with;
    a line written before notes were stamped has neither. The stamp is the clinic's wall time: in
    the hour a clock goes back, it is read as the first of the two."""
    found: list[tuple[datetime | None, str | None, str]] = []
    for line in notes.split("\n"):  # as `notes_with` joins them: a note may hold other line marks
        stamped = _STAMPED.match(line)
        if stamped is None:
            if line.strip():
                found.append((None, None, line))
            continue
        when = datetime.strptime(stamped.group(1), NOTE_STAMP).replace(tzinfo=zone)
        found.append((when, stamped.group(2), stamped.group(3)))
    return found


def notes_with(notes: str, text: str, author: str, zone: ZoneInfo, now: datetime) -> str:
    """The session's notes with one more line, stamped with the date, the time and its author.

    The date is there because a note may be written on a later day than the session's.
    """
    line = f"{now.astimezone(zone):{NOTE_STAMP}} {author}: {text}"
    return f"{notes}\n{line}" if notes else line
