"""The Spravato REMS Patient Monitoring Form of a nasal esketamine session: its facts captured where
they happen, and the form put together from them and the session's own record.

Captured here (table `rems_check`): the enrolment and the concomitant-medication questions at
pre-assessment, the time of each device, sedation / dissociation / respiratory depression seen
(with when), and the minutes until the patient would have been ready to leave. Everything else
the form asks is already in the record: the patient, the monitoring nurse, the date, the dose and
lot, the blood pressures (identified here: before dosing, at about 40 minutes, before leaving) and
whether the vital signs were acceptable, and the minutes from the first device to discharge.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from console.chair.alerts import breaches, call_for_rems_respiratory_depression
from console.chair.reading import AnyReading
from console.chair.session_view import SessionView
from console.clinic.patient_shown import PatientShown
from console.domain.actors import Actor, require_clinical
from console.domain.errors import Conflict, InvalidInput, NotAllowed
from console.domain.inputs import RemsDevicesIn, RemsObservationsIn, RemsQuestionsIn, parse
from console.domain.protocol import AlertThresholds
from console.domain.quick_vitals import latest_clock_time
from console.domain.vocab import Method
from console.store.database import Database
from console.store.models import (
    DoseAdministration,
    Patient,
    RemsCheck,
    TreatmentSession,
    UserAccount,
    VitalSigns,
)
from console.store.rows import insert, update_versioned
from console.store.session_lock import open_for_change

# The form's blood pressure "at about 40 minutes": the reading nearest 40 minutes after the first
# device, taken between 30 and 50 minutes after it.
FORTY_MINUTES = timedelta(minutes=40)
FORTY_MINUTES_WINDOW = (timedelta(minutes=30), timedelta(minutes=50))
FUTURE_TOLERANCE = timedelta(minutes=5)  # as at the chair: a clock a little fast blocks nothing
RANGE_MARK = re.compile(r"\s*[-\u2013\u2014]\s*")  # began-resolved: a hyphen or a dash, spaced or not
DISCHARGE_ITEM = "discharge:"  # what the form needs of the discharge itself, which discharging gives
OBSERVED = ("sedation", "dissociation", "respiratory_depression")  # what the form asks was seen
MEDICATIONS = {
    "benzodiazepines": "benzodiazepines",
    "sedative_hypnotics": "sedative-hypnotics (non-benzo)",
    "psychostimulants": "psychostimulants",
    "maois": "MAOIs",
    "opioids": "opioids",
}


def _nasal_session(session: Session, session_id: int) -> TreatmentSession:
    treatment = open_for_change(session, session_id)
    if treatment.method != Method.NASAL:
        raise NotAllowed("the REMS monitoring form is for nasal esketamine sessions only")
    if treatment.checked_in_at is None:
        raise NotAllowed("check the patient in first")
    return treatment


def check_of(session: Session, session_id: int) -> RemsCheck | None:
    return session.exec(select(RemsCheck).where(RemsCheck.session_id == session_id)).one_or_none()


def _within_session(
    treatment: TreatmentSession, when: datetime, now: datetime, field: str, title: str
) -> None:
    """A time of the form belongs to the patient's time in the chair."""
    if when > now + FUTURE_TOLERANCE:
        raise InvalidInput(field, f"{title}: cannot be in the future.")
    if treatment.checked_in_at is not None and when < treatment.checked_in_at:
        raise InvalidInput(field, f"{title}: not before the patient checked in.")
    if treatment.discharged_at is not None and when > treatment.discharged_at:
        raise InvalidInput(field, f"{title}: not after the patient left.")


def ask_questions(
    db: Database,
    actor: Actor,
    session_id: int,
    data: RemsQuestionsIn | Mapping[str, object],
    expected_version: int | None = None,
) -> RemsCheck:
    """Record the enrolment and medication answers; with `expected_version`, correct them."""
    user_id = require_clinical(actor)
    answers = parse(RemsQuestionsIn, data)
    now = db.clock.now()
    values = answers.model_dump() | {"asked_by": user_id, "asked_at": now}
    with db.write() as session:
        _nasal_session(session, session_id)
        row = check_of(session, session_id)
        if row is None and expected_version is None:
            made = RemsCheck.model_validate(values | {"session_id": session_id})
            return insert(session, made, actor=actor, action="rems.questions", at=now)
        if row is None or expected_version is None:
            raise Conflict("the REMS answers changed at another workstation: look again before saving")
        return update_versioned(
            session,
            row,
            expected_version=expected_version,
            values=values,
            actor=actor,
            action="rems.questions",
            at=now,
        )


def record_devices(
    db: Database,
    actor: Actor,
    session_id: int,
    expected_version: int,
    data: RemsDevicesIn | Mapping[str, object],
) -> RemsCheck:
    """The time of each device, as many as the nasal dose recorded used."""
    require_clinical(actor)
    devices = parse(RemsDevicesIn, data)

    def check(session: Session, treatment: TreatmentSession, now: datetime) -> None:
        counts = session.exec(
            select(col(DoseAdministration.device_count)).where(DoseAdministration.session_id == session_id)
        ).all()
        if not counts:
            raise NotAllowed("record the nasal dose first: the form gives each of its devices' times")
        used, given = sum(count or 0 for count in counts), len(devices.times)
        if given != used:
            field = f"device_{min(given + 1, 3)}_at"
            raise InvalidInput(
                field, f"Devices: the dose recorded used {used}; give the time of each (got {given})."
            )
        for number, at in enumerate(devices.times, 1):
            _within_session(treatment, at, now, f"device_{number}_at", f"Device {number}")
        dosed = _dosed_at(session, session_id)
        if dosed is not None and devices.times[0] < dosed:
            raise InvalidInput(
                "device_1_at", "Device 1: not before the dose was given (its time is the dose's)."
            )

    return _change(db, actor, session_id, expected_version, "rems.devices", devices.model_dump(), check)


def record_observations(
    db: Database,
    actor: Actor,
    session_id: int,
    expected_version: int,
    data: RemsObservationsIn | Mapping[str, object],
) -> RemsCheck:
    """Sedation, dissociation and respiratory depression seen or not; the minutes to ready to leave."""
    require_clinical(actor)
    seen = parse(RemsObservationsIn, data)

    def check(session: Session, treatment: TreatmentSession, now: datetime) -> None:
        if treatment.discharged_at is not None:
            _still_complete_after_leaving(seen)
        for name in OBSERVED:
            for field in (f"{name}_at", f"{name}_resolved_at"):
                at = getattr(seen, field)
                if at is not None:
                    _within_session(
                        treatment, at, now, field, RemsObservationsIn.model_fields[field].title or field
                    )
        _ready_after_resolved(session, session_id, seen)
        if seen.respiratory_depression and seen.respiratory_depression_at is not None:
            call_for_rems_respiratory_depression(
                session, actor, session_id, seen.respiratory_depression_at, now
            )

    return _change(db, actor, session_id, expected_version, "rems.observations", seen.model_dump(), check)


def device_times(check: RemsCheck) -> int:
    """How many devices' times the form holds."""
    return sum(at is not None for at in (check.device_1_at, check.device_2_at, check.device_3_at))


def _still_complete_after_leaving(seen: RemsObservationsIn) -> None:
    """Once the patient has left, a correction keeps what let them go: each effect seen resolved,
    and the minutes to ready to leave."""
    for name in OBSERVED:
        if getattr(seen, name) and getattr(seen, f"{name}_resolved_at") is None:
            title = RemsObservationsIn.model_fields[f"{name}_resolved_at"].title or name
            raise InvalidInput(
                f"{name}_resolved_at", f"{title}: the patient has left; give when it resolved."
            )
    if seen.ready_to_leave_min is None:
        raise InvalidInput("ready_to_leave_min", "Ready to leave: the patient has left; give the minutes.")


def _dosed_at(session: Session, session_id: int) -> datetime | None:
    """When the session's first dose was given (None before any)."""
    return session.exec(
        select(func.min(DoseAdministration.administered_at)).where(
            DoseAdministration.session_id == session_id
        )
    ).one()


def _ready_after_resolved(session: Session, session_id: int, seen: RemsObservationsIn) -> None:
    """The patient is not ready to leave before what was seen has resolved."""
    row = check_of(session, session_id)
    first = row.device_1_at if row is not None else None
    if first is None:
        first = _dosed_at(session, session_id)
    if first is None or seen.ready_to_leave_min is None:
        return
    for name in OBSERVED:
        resolved = getattr(seen, f"{name}_resolved_at")
        if resolved is None:
            continue
        after = math.ceil((resolved - first).total_seconds() / 60)
        if seen.ready_to_leave_min < after:
            title = (RemsObservationsIn.model_fields[name].title or name).lower()
            raise InvalidInput(
                "ready_to_leave_min",
                f"Ready to leave: at least {after} min ({title} resolved then, from the first device).",
            )


def _change(
    db: Database,
    actor: Actor,
    session_id: int,
    expected_version: int,
    action: str,
    values: dict,
    check: Callable[[Session, TreatmentSession, datetime], None],
) -> RemsCheck:
    """The shared half of each later answer: a nasal session, its questions asked, `check` passed
    in the same transaction, and the answers as the screen read them (the version)."""
    now = db.clock.now()
    with db.write() as session:
        treatment = _nasal_session(session, session_id)
        row = check_of(session, session_id)
        if row is None:
            raise NotAllowed("ask the REMS questions at pre-assessment first")
        check(session, treatment, now)
        return update_versioned(
            session, row, expected_version=expected_version, values=values, actor=actor, action=action, at=now
        )


@dataclass(frozen=True)
class RemsFacts:
    """All one session's form needs, read together (one session, or a batch of them for an export)."""

    session: TreatmentSession
    patient: Patient | PatientShown
    check: RemsCheck | None
    doses: list[DoseAdministration]
    readings: Sequence[AnyReading]
    nurse: str | None  # the monitoring nurse's name

    # Worked out once per facts: the form, what it misses and the export each read them.
    @cached_property
    def first_device(self) -> datetime | None:
        if self.check is not None and self.check.device_1_at is not None:
            return self.check.device_1_at
        return min((dose.administered_at for dose in self.doses), default=None)

    @cached_property
    def pressures(self) -> tuple[AnyReading | None, AnyReading | None, AnyReading | None]:
        first = self.first_device
        if first is None:
            return None, None, self.readings[-1] if self.readings else None
        before = [r for r in self.readings if r.measured_at <= first]
        low, high = FORTY_MINUTES_WINDOW
        around_forty = [r for r in self.readings if low <= r.measured_at - first <= high]
        forty = min(around_forty, key=lambda r: abs(r.measured_at - first - FORTY_MINUTES), default=None)
        after = [r for r in self.readings if r.measured_at > first]
        leaving = after[-1] if after and self.session.discharged_at is not None else None
        return (before[-1] if before else None), forty, leaving


@dataclass(frozen=True)
class FormLine:
    field: str  # the column name in rems_monitoring.csv
    label: str  # as the form asks it
    value: str  # "" when not known yet


@dataclass(frozen=True)
class RemsForm:
    lines: list[FormLine]
    missing: list[str]  # what the form still needs, in words; empty when it can be submitted

    @property
    def complete(self) -> bool:
        return not self.missing

    def value(self, field: str) -> str:
        return next(line.value for line in self.lines if line.field == field)


def facts_of(db: Database, session_id: int) -> RemsFacts:
    with db.read() as session:
        treatment = session.get(TreatmentSession, session_id)
        if treatment is None:
            raise NotAllowed(f"no session {session_id}")
        return facts_in(session, treatment)


def facts_in(session: Session, treatment: TreatmentSession) -> RemsFacts:
    """The form's facts as `session` reads them (inside a write, the rows it is about to change)."""
    patient = session.get(Patient, treatment.patient_id)
    assert patient is not None  # a foreign key
    nurse = session.get(UserAccount, treatment.nurse_id) if treatment.nurse_id else None
    doses = session.exec(
        select(DoseAdministration)
        .where(DoseAdministration.session_id == treatment.id)
        .order_by(col(DoseAdministration.id))
    ).all()
    readings = session.exec(
        select(VitalSigns)
        .where(VitalSigns.session_id == treatment.id)
        .order_by(col(VitalSigns.measured_at), col(VitalSigns.id))
    ).all()
    return RemsFacts(
        treatment,
        patient,
        check_of(session, treatment.id),
        list(doses),
        list(readings),
        nurse.display_name if nurse else None,
    )


def facts_from_view(view: SessionView) -> RemsFacts:
    """The form's facts as the session screen already holds them: nothing read again."""
    nurse = view.staff_name(view.session.nurse_id) or None
    return RemsFacts(view.session, view.patient, view.rems, list(view.doses), list(view.vitals), nurse)


def identified_pressures(facts: RemsFacts) -> tuple[AnyReading | None, AnyReading | None, AnyReading | None]:
    """The readings the form's three blood pressures are: before dosing, at about 40 minutes,
    before leaving."""
    return facts.pressures


def first_device_at(facts: RemsFacts) -> datetime | None:
    """The first device's time as recorded, else the dose's."""
    return facts.first_device


def rems_form(facts: RemsFacts, clinic: str, limits: AlertThresholds, zone: ZoneInfo) -> RemsForm:
    """The form's fields in its order, each as text, and what is still missing."""
    check, session, patient = facts.check, facts.session, facts.patient

    def clock(at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(zone):%H:%M}"

    def answer(value: bool | None) -> str:
        return "" if value is None else "yes" if value else "no"

    def pressure(reading: AnyReading | None) -> str:
        return (
            ""
            if reading is None
            else f"{reading.systolic}/{reading.diastolic} at {clock(reading.measured_at)}"
        )

    before, forty, leaving = identified_pressures(facts)

    def acceptable(reading: AnyReading | None, before_dose: bool) -> str:
        baseline = None if before_dose or reading is before else before
        return "" if reading is None else answer(not breaches(reading, limits, before_dose, baseline))

    first = first_device_at(facts)
    devices = [check.device_1_at, check.device_2_at, check.device_3_at] if check else [None, None, None]
    total = None
    if first is not None and session.discharged_at is not None:
        total = int((session.discharged_at - first).total_seconds() // 60)
    lines = [
        FormLine("patient", "Patient", f"{patient.family_name}, {patient.given_name}"),
        FormLine("date_of_birth", "Date of birth", patient.date_of_birth.isoformat()),
        FormLine("sex", "Sex", str(patient.sex)),
        FormLine("enrolment_id", "REMS patient enrolment", check.enrolment_id if check else ""),
        *(
            FormLine(field, f"Taking {label}", answer(getattr(check, field)) if check else "")
            for field, label in MEDICATIONS.items()
        ),
        FormLine("monitoring_clinician", "Monitoring clinician", facts.nurse or ""),
        FormLine("setting", "Healthcare setting", clinic),
        FormLine("date", "Date of treatment", session.clinic_date.isoformat()),
        FormLine("dose_mg", "Dose (mg)", f"{sum(d.dose_mg for d in facts.doses):g}" if facts.doses else ""),
        FormLine("lot_numbers", "Lot number", "; ".join(dict.fromkeys(d.lot_number for d in facts.doses))),
        *(FormLine(f"device_{n}_at", f"Device {n} used at", clock(at)) for n, at in enumerate(devices, 1)),
        FormLine(
            "total_minutes",
            "Minutes from first device to discharge",
            "" if total is None else str(total),
        ),
        FormLine(
            "ready_to_leave_min",
            "Minutes until ready to leave",
            "" if check is None or check.ready_to_leave_min is None else str(check.ready_to_leave_min),
        ),
        FormLine(
            "vitals_acceptable_before", "Vital signs acceptable before dosing", acceptable(before, True)
        ),
        FormLine(
            "vitals_acceptable_leaving", "Vital signs acceptable before leaving", acceptable(leaving, False)
        ),
        FormLine("bp_before", "Blood pressure before dosing", pressure(before)),
        FormLine("bp_40_min", "Blood pressure at about 40 minutes", pressure(forty)),
        FormLine("bp_leaving", "Blood pressure before leaving", pressure(leaving)),
        FormLine("sedation", "Sedation", answer(check.sedation) if check else ""),
        FormLine("sedation_at", "Sedation seen at", clock(check.sedation_at) if check else ""),
        FormLine("dissociation", "Dissociation", answer(check.dissociation) if check else ""),
        FormLine("dissociation_at", "Dissociation seen at", clock(check.dissociation_at) if check else ""),
        FormLine(
            "respiratory_depression",
            "Respiratory depression",
            answer(check.respiratory_depression) if check else "",
        ),
        FormLine(
            "respiratory_depression_at",
            "Respiratory depression seen at",
            clock(check.respiratory_depression_at) if check else "",
        ),
        *(
            FormLine(
                f"{name}_resolved_at",
                RemsObservationsIn.model_fields[f"{name}_resolved_at"].title or name,
                clock(getattr(check, f"{name}_resolved_at")) if check else "",
            )
            for name in OBSERVED
        ),
    ]
    return RemsForm(lines, missing_from(facts, zone))


def missing_from(facts: RemsFacts, zone: ZoneInfo) -> list[str]:
    """What the form still needs, in words, in the order the session gives it; empty when complete."""
    check, missing = facts.check, []
    before, forty, _ = identified_pressures(facts)
    first = first_device_at(facts)
    if check is None:
        missing.append("the REMS enrolment and medication questions (pre-assessment)")
    if not facts.doses:
        missing.append("the dose")
    elif check is not None and device_times(check) != sum(dose.device_count or 0 for dose in facts.doses):
        missing.append("each device's time")  # none yet, or the dose was corrected since
    if before is None:
        missing.append("a blood pressure before dosing")
    if forty is None:
        due = "" if first is None else f", due at {first.astimezone(zone) + FORTY_MINUTES:%H:%M}"
        missing.append(f"a blood pressure 30 to 50 minutes after the first device{due}")
    if facts.session.discharged_at is None:
        missing.append(f"{DISCHARGE_ITEM} a blood pressure before leaving and the minutes monitored")
    if check is not None and None in (check.sedation, check.dissociation, check.respiratory_depression):
        missing.append("sedation, dissociation and respiratory depression: seen or not")
    if check is not None:
        unresolved = [
            name.replace("_", " ")
            for name in OBSERVED
            if getattr(check, name) and getattr(check, f"{name}_resolved_at") is None
        ]
        if unresolved:
            missing.append(f"the time {' and '.join(unresolved)} resolved (observed until it resolves)")
    if check is not None and check.ready_to_leave_min is None:
        missing.append("the minutes until the patient would have been ready to leave")
    return missing


def needed_before_leaving(facts: RemsFacts, zone: ZoneInfo) -> list[str]:
    """What the form still needs that the chair must give before an esketamine patient leaves (the
    REMS: observed until sedation, dissociation and respiratory depression resolve); nothing when no
    dose was given, as there is no form to make."""
    if facts.session.method != Method.NASAL or not facts.doses:
        return []
    return [item for item in missing_from(facts, zone) if not item.startswith(DISCHARGE_ITEM)]


def form_holds_discharge(facts: RemsFacts, zone: ZoneInfo) -> list[str]:
    """What the discharge gate says of the form: one criterion naming everything it still needs."""
    needed = needed_before_leaving(facts, zone)
    return [f"REMS form not complete ({'; '.join(needed)})"] if needed else []


def typed_devices(text: str, now: datetime, zone: ZoneInfo) -> dict | None:
    """'10:02 10:07' typed at the chair: each device's time, its latest moment not after now in the
    clinic's zone (a session may run past midnight); blank is None."""
    parts = text.replace(",", " ").split()
    if not parts:
        return None
    if len(parts) > 3:
        raise InvalidInput("device_1_at", f"Devices: at most 3 times, HH:MM each (got {len(parts)}).")
    return {
        f"device_{n}_at": latest_clock_time(part, now, zone, f"device_{n}_at", f"Device {n}")
        for n, part in enumerate(parts, 1)
    }


def typed_observations(seen: dict[str, str], ready: str, now: datetime, zone: ZoneInfo) -> dict | None:
    """Each observation typed as 'no', the HH:MM it began, or 'HH:MM-HH:MM' when it began and when
    it resolved; and the ready-to-leave minutes. None while any observation is still blank."""
    values: dict = {}
    for name, text in seen.items():
        answer = text.strip().lower()
        title = RemsObservationsIn.model_fields[name].title or name
        if not answer:
            return None
        if answer in {"no", "n"}:
            values |= {name: False, f"{name}_at": None, f"{name}_resolved_at": None}
            continue
        times = RANGE_MARK.split(answer) if RANGE_MARK.search(answer) else answer.split()
        times = [part.strip() for part in times]
        if not 1 <= len(times) <= 2 or "" in times:
            raise InvalidInput(f"{name}_at", f"{title}: no, HH:MM it began, or HH:MM-HH:MM (began-resolved).")
        at = latest_clock_time(times[0], now, zone, f"{name}_at", f"{title} (no, or the time it began)")
        resolved = (
            latest_clock_time(times[1], now, zone, f"{name}_resolved_at", f"{title} (the time it resolved)")
            if len(times) == 2
            else None
        )
        values |= {name: True, f"{name}_at": at, f"{name}_resolved_at": resolved}
    return values | {"ready_to_leave_min": ready.strip() or None}


def shown_observation(check: RemsCheck | None, name: str, zone: ZoneInfo) -> str:
    """An observation as the nurse types it: blank, 'no', the HH:MM it began, or began-resolved."""
    seen = None if check is None else getattr(check, name)
    if seen is None or check is None:
        return ""
    at, resolved = getattr(check, f"{name}_at"), getattr(check, f"{name}_resolved_at")
    if not seen or at is None:
        return "no"
    began = f"{at.astimezone(zone):%H:%M}"
    return f"{began}-{resolved.astimezone(zone):%H:%M}" if resolved else began
