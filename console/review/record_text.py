"""The signed record in words: the lines the review screen, the session screen and exports print."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from console.chair.infusion import infusion_state
from console.chair.reading import Reading
from console.chair.rems import facts_from_view, rems_form
from console.chair.session_view import SessionView
from console.domain.alert_rules import AlertRule
from console.domain.pain import PainChange
from console.domain.protocol import AlertThresholds
from console.domain.questionnaires import SELF_HARM_ITEM, self_harm_answer, with_change
from console.domain.vitals_fields import VITALS_FIELDS, headings, shown, vitals_field
from console.domain.vocab import (
    Checklist,
    Contraindication,
    Drug,
    Instrument,
    Method,
    OverrideRule,
    Route,
    SideEffectType,
    SignatureMeaning,
)
from console.store.models import Addendum, ReviewReturn, SessionSignature


def when(at: datetime | None, zone: ZoneInfo, fmt: str = "%d %b %Y %H:%M %Z") -> str:
    return "—" if at is None else at.astimezone(zone).strftime(fmt)


def signature_text(signature: SessionSignature, zone: ZoneInfo) -> str:
    """Printed name, date and time, meaning: shown wherever the record is shown."""
    meaning = SignatureMeaning(signature.meaning).label
    return f"✓ Signed by {signature.signer_name} · {when(signature.signed_at, zone)} · {meaning}"


def addendum_text(addendum: Addendum, number: int, zone: ZoneInfo) -> str:
    return (
        f"Addendum {number} · {when(addendum.written_at, zone)} · signed by {addendum.author_name}"
        f" ({addendum.author_role})\nReason: {addendum.reason}\n{addendum.text}"
    )


def return_text(returned: ReviewReturn, view: SessionView, zone: ZoneInfo) -> str:
    text = (
        f"↩ Returned for correction {when(returned.returned_at, zone)} by "
        f"{view.staff_name(returned.returned_by)}: {returned.comment}"
    )
    if returned.resubmitted_at is not None:
        text += (
            f"\n  Resubmitted {when(returned.resubmitted_at, zone)} by "
            f"{view.staff_name(returned.resubmitted_by)}: {returned.response}"
        )
    return text


def times_text(view: SessionView, zone: ZoneInfo) -> str:
    s = view.session
    minutes = None
    if s.checked_in_at and s.discharged_at:
        minutes = int((s.discharged_at - s.checked_in_at).total_seconds() // 60)
    in_chair = "" if minutes is None else f" · in chair {minutes // 60}h{minutes % 60:02d}"
    steps = (
        ("Checked in", s.checked_in_at),
        ("started", s.started_at),
        ("dosing ended", s.ended_at),
        ("discharged", s.discharged_at),
    )
    times = " · ".join(f"{label} {when(at, zone, '%H:%M')}" for label, at in steps)
    return f"{times}{in_chair} · nurse {view.staff_name(s.nurse_id) or '—'}"


def pain_text(view: SessionView) -> str:
    s = view.session
    if s.pain_before is None:
        return "Pain: not recorded"
    if s.pain_after is None:
        return f"Pain before {s.pain_before}; after: not recorded"
    return f"Pain {PainChange(s.pain_before, s.pain_after).describe()}"


def questionnaire_lines(view: SessionView, zone: ZoneInfo) -> list[str]:
    """Each questionnaire answered: its score (band, change since the series start), every answer,
    when and by whom; PHQ-9 item 9 named when above 0."""
    lines = []
    for answer in sorted(view.questionnaires, key=lambda q: list(Instrument).index(q.instrument)):
        instrument, items = Instrument(answer.instrument), answer.items
        thoughts = self_harm_answer(instrument, items)
        flagged = f" · ⚠ item {SELF_HARM_ITEM} (self-harm) = {thoughts}" if thoughts else ""
        lines.append(
            f"{with_change(instrument, items, view.baselines.get(instrument))} · answers "
            f"{' '.join(map(str, items))}{flagged} · {when(answer.answered_at, zone, '%H:%M')} "
            f"{view.staff_name(answer.recorded_by)}"
        )
    return lines


def checklist_lines(view: SessionView, zone: ZoneInfo) -> list[str]:
    """Each checklist's ticks as stored: the items ticked together, when and by whom."""
    lines = []
    for checklist in Checklist:
        ticks = [t for t in view.checklist_ticks if t.checklist == checklist]
        groups: dict[tuple, list[str]] = {}
        for tick in ticks:
            groups.setdefault((tick.ticked_at, tick.ticked_by), []).append(tick.item)
        for (at, by), items in groups.items():
            lines.append(
                f"{checklist.label}, {when(at, zone, '%H:%M')} {view.staff_name(by)}: " + "; ".join(items)
            )
    return lines


def pre_assessment_text(view: SessionView, zone: ZoneInfo) -> str:
    """The weight mg/kg is worked from, and the screen done before dosing."""
    p, s = view.patient, view.session
    weight = f"Weight {p.weight_kg:g} kg ({p.weight_measured_on:%d %b %Y})" if p.weight_kg else "Weight: none"
    if s.contraindications_screened_at is None:
        return f"{weight} · contraindication screen: not done"
    found = ", ".join(Contraindication(code).label for code in s.contraindications_found.split(",") if code)
    escort = "escort confirmed" if s.escort_confirmed else "escort NOT confirmed"
    return (
        f"{weight} · screened {when(s.contraindications_screened_at, zone, '%H:%M')}: "
        f"{found or 'no contraindication found'} · {escort}"
    )


def dose_lines(view: SessionView, zone: ZoneInfo) -> list[str]:
    """Each dose with its controlled-substance record, and what happened to an IV infusion."""
    lines = []
    for dose in view.doses:
        drug = Drug(dose.drug).value.capitalize()
        given = ""
        if dose.route == Route.INTRAVENOUS:
            how = (
                f"IV {dose.dose_mg:g} mg planned ({dose.mg_per_kg:.2f} mg/kg at {dose.weight_kg_used:g} kg),"
                f" {dose.rate_mg_per_kg_h:g} mg/kg/h for {dose.planned_duration_min} min"
            )
            if dose.stopped_at:
                events = [e for e in view.infusion_events if e.dose_id == dose.id]
                given = f" · given {infusion_state(dose, events, dose.stopped_at).given_mg:.1f} mg"
        else:
            how = f"nasal {dose.dose_mg:g} mg, {dose.device_count} device(s) ({dose.mg_per_kg:.2f} mg/kg)"
        lines.append(
            f"{drug} {how} · started {when(dose.administered_at, zone, '%H:%M')}"
            f"{' · stopped ' + when(dose.stopped_at, zone, '%H:%M') if dose.stopped_at else ''}{given}"
        )
        witness = view.staff_name(dose.witness_id) or "—"
        giver = view.staff_name(dose.administered_by)
        lines.append(
            f"  Lot {dose.lot_number} · {dose.concentration_mg_per_ml:g} mg/mL · drawn {dose.drawn_mg:g} mg"
            f" · wasted {dose.wasted_mg:g} mg · witness {witness} · given by {giver}"
        )
    for event in view.infusion_events:
        rate = f" to {event.rate_mg_per_kg_h:g} mg/kg/h" if event.rate_mg_per_kg_h else ""
        why = f": {event.stop_reason}" if event.stop_reason else ""
        waste = (
            f" · left over {event.wasted_mg:g} mg wasted, witness {view.staff_name(event.witness_id)}"
            if event.wasted_mg
            else ""
        )
        lines.append(
            f"  {when(event.at, zone, '%H:%M')} infusion {event.kind.replace('_', ' ')}{rate}"
            f" ({view.staff_name(event.recorded_by)}){why}{waste}"
        )
    return lines or ["No dose recorded."]


def override_lines(view: SessionView, zone: ZoneInfo) -> list[str]:
    """Each rule set aside: which, by whom and in what role, when, and why."""
    lines = []
    for o in view.overrides:
        what = OverrideRule(o.rule).label.lower() + (f" ({o.details})" if o.details else "")
        by = f"{view.staff_name(o.overridden_by)} ({o.role})"
        lines.append(f"⚑ OVERRIDE {when(o.at, zone, '%H:%M')} {what} by {by}: {o.reason}")
    return lines


# A reading typed this long after it was taken is a late entry, labelled with both times.
LATE_ENTRY = timedelta(minutes=15)
CORRECTED_MARK, LATE_MARK = "✎", "↧"


def reading_marks(reading: Reading) -> str:
    """✎ when the reading was corrected, ↧ when it was entered late: beside its time, never colour."""
    corrected = CORRECTED_MARK if reading.version > 1 else ""
    late = LATE_MARK if reading.recorded_at - reading.measured_at > LATE_ENTRY else ""
    return corrected + late


def reading_remarks(view: SessionView, zone: ZoneInfo) -> list[str]:
    """A line for each reading corrected or entered late: both times, and where the original is."""
    lines = []
    for r in view.vitals:
        taken = f"{r.measured_at.astimezone(zone):%H:%M}"
        if r.version > 1:
            lines.append(f"{CORRECTED_MARK} {taken} reading corrected; its original values are kept")
        if r.recorded_at - r.measured_at > LATE_ENTRY:
            entered = when(r.recorded_at, zone)
            lines.append(f"{LATE_MARK} {taken} reading taken {when(r.measured_at, zone)}, entered {entered}")
    return lines


def vitals_cells(reading: Reading, view: SessionView, zone: ZoneInfo) -> tuple[str, ...]:
    """One flowsheet row: time (marked when corrected or late), a cell per vitals heading (BP, HR,
    SpO2, RR, MOAA/S, temp: console.domain.vitals_fields), who."""
    values: dict[str, list[str]] = {heading: [] for heading in headings()}
    for field in VITALS_FIELDS:
        values[field.heading].append(shown(getattr(reading, field.name)))
    return (
        f"{reading.measured_at.astimezone(zone):%H:%M}{reading_marks(reading)}",
        *("/".join(parts) for parts in values.values()),
        view.staff_name(reading.taken_by),
    )


def flagged_cells(reading: Reading, view: SessionView) -> set[int]:
    """The cells (of vitals_cells) of a reading past a threshold: those its stored alerts' rules mark
    (as the protocol was then); a rule this version does not know marks none."""
    columns = headings()
    flagged = set()
    for alert in view.alerts:
        rule = AlertRule.of(alert.rule) if alert.vitals_id == reading.id else None
        for name in rule.marks if rule else ():
            flagged.add(1 + columns.index(vitals_field(name).heading))  # after the time
    return flagged


def side_effect_lines(view: SessionView, zone: ZoneInfo) -> list[str]:
    lines = []
    for effect in view.side_effects:
        name = (
            effect.other_text
            if effect.effect == SideEffectType.OTHER
            else SideEffectType(effect.effect).label
        )
        resolved = (
            f"resolved {when(effect.resolved_at, zone, '%H:%M')}" if effect.resolved_at else "not resolved"
        )
        action = f" · {effect.action_taken}" if effect.action_taken else ""
        onset = when(effect.onset_at, zone, "%H:%M")
        lines.append(f"{name} · grade {effect.grade} · onset {onset} · {resolved}{action}")
    return lines or ["No side effects."]


def alert_lines(view: SessionView, zone: ZoneInfo) -> list[str]:
    """Every alert with what was done about it (who, when, the note)."""
    lines = []
    for alert in view.alerts:
        if alert.acknowledged_at is None:
            outcome = "OPEN: not acknowledged"
        else:
            outcome = (
                f"acknowledged {when(alert.acknowledged_at, zone, '%H:%M')} by "
                f"{view.staff_name(alert.acknowledged_by)}: {alert.acknowledgement}"
            )
        lines.append(f"⚠ {when(alert.raised_at, zone, '%H:%M')} {alert.message} · {outcome}")
    return lines or ["No alerts."]


# The REMS form's lines the review shows: the patient, the date and the setting are in its heading.
REMS_HEADING_FIELDS = frozenset({"patient", "date_of_birth", "sex", "setting", "date"})


def rems_lines(view: SessionView, zone: ZoneInfo, limits: AlertThresholds) -> list[str]:
    """A nasal esketamine session's REMS monitoring form as the physician signs it; none for IV."""
    if view.session.method != Method.NASAL:
        return []
    form = rems_form(facts_from_view(view), "", limits, zone)
    lines = [
        f"{line.label}: {line.value or '-'}" for line in form.lines if line.field not in REMS_HEADING_FIELDS
    ]
    return lines + ([f"Still needs: {'; '.join(form.missing)}"] if form.missing else ["Complete."])
