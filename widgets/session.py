"""The session screen: one patient's chair visit, from check-in to discharge.

Each step has its own small form; focus lands where the next value goes, and every confirmed
entry is stored at once by the service layer (there is no Save to forget). A refusal appears
under the field being typed in. If another workstation changed the session, the save is refused
as a conflict and the screen reloads.
"""

import threading
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    DataTable,
    Footer,
    Input,
    Label,
    SelectionList,
    Sparkline,
    Static,
)

from console.chair import alerts, charting, sessions
from console.chair.dose_plan import suggested_dose, total_mg
from console.chair.infusion import infusion_state, record_infusion_event
from console.chair.overdue import session_view_for
from console.chair.session_view import SessionView
from console.chair.vitals_due import describe_due
from console.clinic.patients import record_weight
from console.domain.errors import ChairsideError, Conflict, NeedsConfirmation
from console.domain.inputs import VitalsIn, parse
from console.domain.pain import PainChange
from console.domain.quick_vitals import FORMAT_HINT, parse_quick_vitals
from console.domain.vocab import Contraindication, Method, OverrideRule, SessionStatus, SideEffectType
from console.review import record_text
from console.store.models import Alert, SideEffect
from widgets.acknowledge import AcknowledgeDialog
from widgets.context import Clinic
from widgets.correction import CorrectionDialog
from widgets.plain import plain_cells
from widgets.side_effect import ResolveDialog, SideEffectDialog


class ConfirmBox(Checkbox):
    """Space ticks it; Enter goes on (saves the step) instead of ticking it again."""

    BINDINGS = [Binding("enter", "done", "Save", show=False)]

    class Done(Message):
        """Enter was pressed on the box."""

    def action_done(self) -> None:
        self.post_message(self.Done())


class SessionScreen(Screen):
    """Records one session; Esc goes back to the board."""

    DEFAULT_CSS = """
    SessionScreen { layout: vertical; }
    #patient-header { height: auto; padding: 0 1; background: $primary; color: $text; }
    #status-line { height: auto; padding: 0 1; background: $boost; }
    #record-state { height: auto; padding: 0 1; background: $warning 20%; display: none; }
    #record-state.shown { display: block; }
    #body { height: 1fr; }
    #entry-column { width: 46; height: 1fr; }
    #entry { height: 1fr; padding: 0 1; }
    #chart { width: 1fr; height: 1fr; }
    SessionScreen.narrow #body { layout: vertical; }
    SessionScreen.narrow #entry-column { width: 1fr; height: 60%; }
    /* under the fields, outside their scrolling: a refusal is always in view */
    #entry-error { color: $error; height: auto; max-height: 4; padding: 0 1; }
    #entry Input { width: 100%; }
    #entry Label { width: 100%; }
    #flowsheet { height: 1fr; min-height: 4; }
    .spark-row { height: 1; }
    .spark-row Label { width: 10; }
    .spark-row Sparkline { width: 1fr; }
    #effects { height: auto; max-height: 7; }
    #alerts { height: auto; max-height: 6; color: $warning; text-style: bold; }
    ContentSwitcher { height: auto; }
    #contraindications { height: 8; }
    .rate-change { display: none; }
    SessionScreen.changing-rate .rate-change { display: block; }
    """
    BINDINGS = [
        Binding("escape", "back", "Board", id="session.back", tooltip="Back to the Today board"),
        Binding("f2", "check_in", "Check in", id="session.check_in", tooltip="The patient has arrived"),
        Binding(
            "f3",
            "step('step-pre')",
            "Pre",
            id="session.pre",
            tooltip="Pre-assessment: pain, baseline, screen",
        ),
        Binding("f4", "step('step-dose')", "Dose", id="session.dose", tooltip="Record the dose"),
        Binding("f5", "step('step-monitor')", "Vitals", id="session.vitals", tooltip="Record vital signs"),
        Binding("f6", "side_effect", "Side effect", id="session.side_effect", tooltip="Record a side effect"),
        Binding(
            "f7", "step('step-post')", "Post/discharge", id="session.post", tooltip="Post pain, discharge"
        ),
        Binding(
            "f8",
            "end_treatment",
            "End dosing",
            id="session.end",
            tooltip="Dosing is over: observation starts",
        ),
        Binding(
            "f9",
            "pause_resume",
            "Pause/resume",
            id="session.pause",
            tooltip="Pause or resume the IV infusion",
        ),
        Binding("f10", "change_rate", "Rate", id="session.rate", tooltip="Change the IV infusion rate"),
        Binding(
            "f12", "acknowledge", "Acknowledge", id="session.acknowledge", tooltip="Acknowledge an alert"
        ),
        Binding(
            "f11",
            "resolve_side_effect",
            "Resolved",
            id="session.resolve",
            tooltip="A side effect has resolved",
        ),
        Binding(
            "ctrl+g", "trajectory", "Trajectory", id="session.trajectory", tooltip="The patient's course"
        ),
        Binding("ctrl+l", "audit", "Audit trail", id="session.audit", tooltip="Who did what and when"),
        Binding(
            "ctrl+r",
            "resubmit",
            "Resubmit",
            id="session.resubmit",
            tooltip="Corrected: back to the physician",
        ),
        Binding("ctrl+n", "addendum", "Addendum", id="session.addendum", tooltip="Add a signed addendum"),
        Binding(
            "ctrl+y",
            "override",
            "Override",
            id="session.override",
            tooltip="Set a protocol rule aside, with a reason",
        ),
        Binding("enter", "enter", "Enter", id="session.enter", priority=True, show=False),
    ]

    # Where focus goes when Enter is pressed in a typed field (None: stay, the entry completes the step).
    NEXT_FIELD = {
        "weight": "#pain-before",
        "pain-before": "#baseline-vitals",
        "baseline-vitals": "#contraindications",
        "quick-vitals": "#quick-vitals",
        "pain-after": "#discharge",
        "dose-rate": "#dose-duration",
        "dose-duration": "#dose-lot",
        "dose-devices": "#dose-lot",
        "dose-lot": "#dose-concentration",
        "dose-concentration": "#dose-drawn",
        "dose-drawn": "#dose-witness",
        "dose-wasted": "#dose-witness",
        "dose-witness": None,
        "new-rate": "#quick-vitals",
        "pain-extra": "#quick-vitals",
        "note": "#note",
    }

    class FieldDone(Message):
        """Enter in a typed field, queued behind every key typed into it before Enter."""

        def __init__(self, field: Input) -> None:
            super().__init__()
            self.field = field

    def __init__(self, clinic: Clinic, session_id: int) -> None:
        super().__init__()
        self.clinic = clinic
        self.session_id = session_id
        self.view: SessionView | None = None
        self._last_job = threading.Event()
        self._last_job.set()
        self._weight_to_confirm: str | None = None  # a weight refused as unusual, stored if entered again

    # ----- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="patient-header")
        yield Static("", id="status-line", markup=False)
        yield Static("", id="record-state", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="entry-column"):
                with VerticalScroll(id="entry"), ContentSwitcher(id="steps", initial="step-checkin"):
                    with Vertical(id="step-checkin"):
                        yield Label("The patient is not checked in yet.")
                        yield Button("Check in  (F2)", id="check-in", variant="primary")
                    with Vertical(id="step-pre"):
                        yield Label("Weight today (kg): Enter to record; Tab skips", id="weight-label")
                        yield Input(id="weight", type="number", max_length=6)
                        yield Label("Pain before (NRS 0-10)")
                        yield Input(id="pain-before", type="integer", max_length=2)
                        yield Label(f"Baseline vitals: {FORMAT_HINT}")
                        yield Input(id="baseline-vitals", placeholder="128/82 76 98 14 5")
                        yield Label("Contraindications found (space to tick; none = leave empty)")
                        yield SelectionList[str](
                            *[(c.label, c.value) for c in Contraindication], id="contraindications"
                        )
                        yield ConfirmBox("Escort / driver confirmed (space), Enter to save", id="escort")
                        yield Button("Save pre-assessment", id="save-pre", variant="primary")
                    with Vertical(id="step-dose"):
                        yield Static("", id="dose-heading", markup=False)
                        yield Label("Rate (mg/kg/h)", classes="iv")
                        yield Input(id="dose-rate", type="number", classes="iv")
                        yield Label("Planned duration (min)", classes="iv")
                        yield Input(id="dose-duration", type="integer", classes="iv")
                        yield Label("Nasal devices (1-3)", classes="nasal")
                        yield Input(id="dose-devices", type="integer", classes="nasal")
                        yield Static("", id="dose-total")
                        yield Label("Lot number")
                        yield Input(id="dose-lot")
                        yield Label("Concentration (mg/mL)")
                        yield Input(id="dose-concentration", type="number")
                        yield Label("Amount drawn (mg)")
                        yield Input(id="dose-drawn", type="number")
                        yield Label("Amount wasted (mg)")
                        yield Input(id="dose-wasted", type="number")
                        yield Label("Waste witness (username)")
                        yield Input(id="dose-witness")
                        yield Button("Confirm dose", id="confirm-dose", variant="primary")
                    with Vertical(id="step-monitor"):
                        yield Label(f"Vitals: {FORMAT_HINT}; @HH:MM first for an earlier time")
                        yield Input(id="quick-vitals", placeholder="128/82 76 98 14 5")
                        yield Label("Extra pain score (0-10), any time")
                        yield Input(id="pain-extra", type="integer", max_length=2)
                        yield Static("", id="infusion-state", markup=False)
                        yield Label(
                            "New rate (mg/kg/h), Enter to change", id="rate-label", classes="rate-change"
                        )
                        yield Input(id="new-rate", type="number", classes="rate-change")
                        yield Button("End treatment (dosing over)  F8", id="end-treatment")
                    with Vertical(id="step-post"):
                        yield Label("Pain after (NRS 0-10)")
                        yield Input(id="pain-after", type="integer", max_length=2)
                        yield Static("", id="pain-change", markup=False)
                        yield Button("Discharge", id="discharge", variant="primary")
                        yield Label("Add a note (Enter adds it, signed with your name and the time)")
                        yield Input(id="note", max_length=500)
                        yield Static("", id="notes", markup=False)
                yield Static("", id="entry-error", markup=False)
            with Vertical(id="chart"):
                yield DataTable(id="flowsheet", cursor_type="row", zebra_stripes=True)
                with Horizontal(classes="spark-row"):
                    yield Label("SBP trend")
                    yield Sparkline([], id="spark-sbp")
                with Horizontal(classes="spark-row"):
                    yield Label("HR trend")
                    yield Sparkline([], id="spark-hr")
                yield Static("", id="alerts", markup=False)
                yield DataTable(id="effects", cursor_type="row", show_header=True)
        yield Footer()

    def on_mount(self) -> None:
        effects = self.query_one("#effects", DataTable)
        for label, width in (
            ("Side effect", 22),
            ("Grade", 5),
            ("Onset", 5),
            ("Resolved", 8),
            ("Action", 24),
        ):
            effects.add_column(label, width=width)
        table = self.query_one("#flowsheet", DataTable)
        for label, width in (
            ("Time", 5),
            ("BP", 7),
            ("HR", 3),
            ("SpO2", 4),
            ("RR", 3),
            ("MOAA/S", 6),
            ("Temp", 4),
            ("By", 12),
        ):
            table.add_column(label, width=width)
        self._fit(self.app.size.width)  # before any data arrives, so the layout never shifts under it
        self.set_interval(15, self._refresh_status)
        self.reload(focus_next=True)

    def on_resize(self) -> None:
        self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        """Side by side on a wide terminal, stacked on a narrow one."""
        self.set_class(width < 110, "narrow")

    # ----- loading ----------------------------------------------------------------------------
    def reload(self, focus_next: bool = False) -> None:
        """Read the record again through the writer queue, so it never overtakes a pending save."""
        self._save(lambda _version: None, None, "next" if focus_next else None)

    def _show(self, view: SessionView, plan, focus_next: bool) -> None:
        self.view = view
        self._show_header(view)
        self._refresh_status()
        self._show_record_state(view)
        self._show_flowsheet(view)
        self._show_effects(view)
        self._show_alerts(view)
        if plan is not None:
            self._prefill_dose(plan)
        self._show_dose_heading(view)
        self._show_pain_change(view)
        self.query_one("#notes", Static).update(view.session.notes)
        if focus_next:
            self.action_step(self._current_step(view))

    def _show_header(self, view: SessionView) -> None:
        p, s = view.patient, view.session
        today = s.clinic_date
        age = (
            today.year
            - p.date_of_birth.year
            - ((today.month, today.day) < (p.date_of_birth.month, p.date_of_birth.day))
        )
        weight = (
            f"{p.weight_kg:g} kg ({p.weight_measured_on:%d %b %Y})" if p.weight_kg else "weight not recorded"
        )
        weight_field = self.query_one("#weight", Input)
        stale = self._weight_needed()
        if not weight_field.has_focus:
            weight_field.value = "" if stale else f"{p.weight_kg:g}"  # an old weight is measured again
        self.query_one("#weight-label", Label).update(
            f"Weight today (kg): the last is over {self.clinic.protocol.weight_max_age_days} days old;"
            " weigh the patient, Enter"
            if stale and p.weight_kg
            else "Weight today (kg): Enter to record; Tab skips"
        )
        series = f"session {s.series_number} of {s.series_length}" if s.series_length else "maintenance"
        last = "first session"
        if view.previous:
            prev = view.previous
            pain = (
                f"pain {prev.pain_before}→{prev.pain_after}"
                if prev.pain_before is not None
                else "no pain score"
            )
            effects = (
                ", ".join(SideEffectType(e).label.lower() for e in prev.side_effects) or "no side effects"
            )
            last = f"last {prev.clinic_date:%d %b}: {pain}, {effects}"
        self.query_one("#patient-header", Static).update(
            Text.assemble(
                (p.display_name, "bold"),
                f"  {age} y · {p.sex} · {weight} · MRN {p.mrn}\n"
                f"Allergies: {p.allergies or 'none recorded'} · {p.diagnosis_code} {p.diagnosis_label}\n"
                f"{Method(s.method).label}, {series} · {last}",
            )
        )

    def _show_record_state(self, view: SessionView) -> None:
        """Signed (locked, addenda only) or returned by the physician: said before anything else."""
        zone = self.clinic.zone
        lines = []
        if view.signature is not None:
            lines.append(
                f"{record_text.signature_text(view.signature, zone)} · locked: Ctrl+N adds an addendum"
            )
            lines += [record_text.addendum_text(a, n, zone) for n, a in enumerate(view.addenda, start=1)]
        elif view.open_return is not None:
            lines.append(f"{record_text.return_text(view.open_return, view, zone)}")
            lines.append("Correct the record, then Ctrl+R to resubmit it to the physician.")
        state = self.query_one("#record-state", Static)
        state.update("\n".join(lines))
        state.set_class(bool(lines), "shown")
        self.refresh_bindings()

    def _refresh_status(self) -> None:
        if self.view is None:
            return
        s = self.view.session
        zone, now = self.clinic.zone, self.clinic.now()

        def at(value: datetime | None) -> str:
            return f"{value.astimezone(zone):%H:%M}" if value else "—"

        due = self.view.vitals_due(self.clinic.protocol)
        self.query_one("#infusion-state", Static).update(self._infusion_text())
        self.query_one("#status-line", Static).update(
            f"Status: {SessionStatus(s.status).label} · chair {s.chair} · checked in {at(s.checked_in_at)}"
            f" · started {at(s.started_at)} · ended {at(s.ended_at)} · next vitals: {describe_due(due, now)}"
        )

    def _infusion(self):
        """The running IV dose and its state now, or None."""
        view = self.view
        ivs = [dose for dose in view.doses if dose.route == "intravenous"] if view else []
        if not ivs:
            return None, None
        dose = ivs[-1]
        events = [e for e in view.infusion_events if e.dose_id == dose.id]
        return dose, infusion_state(dose, events, self.clinic.now())

    def _infusion_text(self) -> str:
        dose, state = self._infusion()
        if dose is None:
            return ""
        zone = self.clinic.zone
        since = f"{state.last_change.astimezone(zone):%H:%M}"
        return (
            f"Infusion {state.state} since {since} at {state.rate_mg_per_kg_h:g} mg/kg/h · "
            f"given so far {state.given_mg:g} of {dose.dose_mg:g} mg planned"
        )

    def _infusion_event(self, kind: str, rate: str | None = None, field: Input | None = None) -> None:
        dose, _ = self._infusion()
        if dose is None:
            self._refuse("No IV infusion has been started in this session.")
            return
        db, actor, now = self.clinic.db, self.clinic.actor, self.clinic.now()
        data = {"kind": kind, "at": now, "rate_mg_per_kg_h": rate}
        self._save(lambda _version: record_infusion_event(db, actor, dose.id, data), field)

    def action_pause_resume(self) -> None:
        _, state = self._infusion()
        self._infusion_event("resume" if state is not None and state.state == "paused" else "pause")

    def action_change_rate(self) -> None:
        self.add_class("changing-rate")
        self.action_step("step-monitor")
        self.set_focus(self.query_one("#new-rate", Input))

    def _new_rate(self, field: Input) -> None:
        self.remove_class("changing-rate")
        self._infusion_event("rate_change", field.value or None, field)
        field.value = ""

    def _show_flowsheet(self, view: SessionView) -> None:
        table = self.query_one("#flowsheet", DataTable)
        zone = self.clinic.zone
        table.clear()
        for reading in reversed(view.vitals):  # newest first: the latest reading is always in view
            table.add_row(
                *plain_cells(*record_text.vitals_cells(reading, view, zone)),
                key=str(reading.id),
            )
        self.query_one("#spark-sbp", Sparkline).data = [r.systolic for r in view.vitals]
        self.query_one("#spark-hr", Sparkline).data = [r.heart_rate for r in view.vitals]

    def _show_alerts(self, view: SessionView) -> None:
        zone = self.clinic.zone
        lines = [
            f"⚠ ALERT {alert.raised_at.astimezone(zone):%H:%M}: {alert.message} (F12 to acknowledge)"
            for alert in view.alerts
            if alert.acknowledged_at is None
        ]
        lines += record_text.override_lines(view, zone)
        self.query_one("#alerts", Static).update("\n".join(lines))

    def _show_effects(self, view: SessionView) -> None:
        """Side effects as a table: Enter on one corrects it (type, grade, times, action)."""
        zone = self.clinic.zone
        table = self.query_one("#effects", DataTable)
        table.clear()
        for effect in view.side_effects:
            name = (
                effect.other_text
                if effect.effect == SideEffectType.OTHER
                else SideEffectType(effect.effect).label
            )
            resolved = f"{effect.resolved_at.astimezone(zone):%H:%M}" if effect.resolved_at else "open"
            table.add_row(
                *plain_cells(
                    name,
                    str(effect.grade),
                    f"{effect.onset_at.astimezone(zone):%H:%M}",
                    resolved,
                    effect.action_taken,
                ),
                key=str(effect.id),
            )

    @on(DataTable.RowSelected, "#effects")
    def _correct_effect(self, event: DataTable.RowSelected) -> None:
        effect = next(e for e in self.view.side_effects if str(e.id) == event.row_key.value)

        db, actor = self.clinic.db, self.clinic.actor

        def correct(data: dict[str, Any]) -> None:
            charting.correct_side_effect(db, actor, effect.id, effect.version, data)

        dialog = SideEffectDialog(self.clinic.now(), self.clinic.zone, correct, existing=effect)
        self.app.push_screen(dialog, self._stored_by_dialog)

    def _show_dose_heading(self, view: SessionView) -> None:
        iv = view.session.method == Method.IV
        for widget in self.query(".iv"):
            widget.display = iv
        for widget in self.query(".nasal"):
            widget.display = not iv
        self.query_one("#confirm-dose", Button).label = "Correct dose" if view.doses else "Confirm dose"
        if view.doses:
            dose = view.doses[-1]
            self._fill_dose_form(dose, view)
            text = (
                f"Given: {dose.drug} {dose.dose_mg:g} mg ({dose.mg_per_kg:.2f} mg/kg), "
                f"lot {dose.lot_number}, drawn {dose.drawn_mg:g}, wasted {dose.wasted_mg:g} mg"
            )
        else:
            drug = "ketamine IV infusion" if iv else "esketamine nasal spray"
            text = f"Dose: {drug} · weight {view.patient.weight_kg or '?'} kg"
        self.query_one("#dose-heading", Static).update(text)
        self._update_total()

    def _fill_dose_form(self, dose, view: SessionView) -> None:
        """A recorded dose comes back into the form, to be corrected if it was typed wrongly."""
        values = {
            "#dose-rate": dose.rate_mg_per_kg_h,
            "#dose-duration": dose.planned_duration_min,
            "#dose-devices": dose.device_count,
            "#dose-lot": dose.lot_number,
            "#dose-concentration": dose.concentration_mg_per_ml,
            "#dose-drawn": dose.drawn_mg,
            "#dose-wasted": dose.wasted_mg,
            "#dose-witness": view.staff_name(dose.witness_id),
        }
        for selector, value in values.items():
            field = self.query_one(selector, Input)
            if not field.has_focus:
                field.value = (
                    "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
                )

    def _prefill_dose(self, plan) -> None:
        values = {
            "#dose-rate": plan.rate_mg_per_kg_h,
            "#dose-duration": plan.planned_duration_min,
            "#dose-devices": plan.device_count,
            "#dose-lot": plan.lot_number,
            "#dose-concentration": plan.concentration_mg_per_ml,
        }
        for selector, value in values.items():
            field = self.query_one(selector, Input)
            if not field.value and value not in (None, ""):
                field.value = f"{value:g}" if isinstance(value, float) else str(value)

    def _show_pain_change(self, view: SessionView) -> None:
        s = view.session
        text = ""
        if s.pain_before is not None and s.pain_after is not None:
            text = f"Pain {PainChange(s.pain_before, s.pain_after).describe()}"
        elif s.pain_before is not None:
            text = f"Pain before: {s.pain_before}"
        self.query_one("#pain-change", Static).update(text)

    @staticmethod
    def _current_step(view: SessionView) -> str:
        """Where the nurse most likely goes next; every step stays reachable by its key."""
        s = view.session
        if s.status == SessionStatus.SCHEDULED:
            return "step-checkin"
        if s.status == SessionStatus.CHECKED_IN and (
            s.pain_before is None or not view.vitals or s.contraindications_screened_at is None
        ):
            return "step-pre"
        if not view.doses:
            return "step-dose"
        return "step-monitor" if s.status == SessionStatus.IN_TREATMENT else "step-post"

    # ----- navigation -------------------------------------------------------------------------
    def action_step(self, step: str) -> None:
        self.query_one("#steps", ContentSwitcher).current = step
        first = {
            "step-checkin": "#check-in",
            "step-pre": "#pain-before",
            "step-dose": "#dose-rate",
            "step-monitor": "#quick-vitals",
            "step-post": "#pain-after",
        }[step]
        if step == "step-dose" and self.view and self.view.session.method != Method.IV:
            first = "#dose-devices"
        if step == "step-pre" and self.view and self._weight_needed():
            first = "#weight"  # dosing needs a recent weight: ask for it first when there is none
        elif step == "step-pre" and self.view and self.view.session.pain_before is not None:
            first = "#baseline-vitals"
        self.set_focus(self.query_one(first))

    def _weight_needed(self) -> bool:
        """No weight, or one older than the protocol accepts for mg/kg."""
        p = self.view.patient
        if not p.weight_kg:
            return True
        age = (self.clinic.today() - p.weight_measured_on).days
        return age > self.clinic.protocol.weight_max_age_days

    def action_back(self) -> None:
        self.app.pop_screen()

    def _refuse(self, message: str, field: Input | None = None) -> None:
        if "override" in message:
            message += " (Ctrl+Y records an override)"
        self.query_one("#entry-error", Static).update(f"⚠ {message}")
        self.app.bell()
        if field is not None:
            self.set_focus(field)  # back to where the wrong value is, to correct it

    def _clear_refusal(self) -> None:
        self.query_one("#entry-error", Static).update("")

    # ----- saving -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "resubmit":
            return self.view is not None and self.view.open_return is not None
        if action == "addendum":
            return self.view is not None and self.view.signature is not None
        # Enter is ours only in typed fields; buttons, lists and boxes keep their own Enter.
        return action != "enter" or isinstance(self.focused, Input)

    def action_override(self) -> None:
        from console.chair.overrides import record_override
        from widgets.override_dialog import OverrideDialog

        app, clinic, session_id = self.app, self.clinic, self.session_id

        def store(rule: OverrideRule, reason: str) -> None:
            record_override(clinic.db, clinic.actor, session_id, rule, reason, clinic.protocol)

        def done(recorded: OverrideRule | None) -> None:
            if recorded:
                self.query_one("#entry-error", Static).update(
                    "✓ Override recorded: the step can be done now."
                )
                self.reload()

        heading = f"Override for {self.view.patient.display_name} (recorded as {clinic.actor.display_name})"
        app.push_screen(OverrideDialog(heading, store), done)

    def action_trajectory(self) -> None:
        from widgets.trajectory import TrajectoryScreen

        if self.view is not None:
            self.app.push_screen(TrajectoryScreen(self.clinic, self.view.patient.id))

    def action_audit(self) -> None:
        from console.review.audit_trail import session_trail
        from widgets.audit_trail import AuditTrailScreen

        if self.view is not None:
            title = (
                f"Audit trail: {self.view.patient.display_name} · {self.view.session.clinic_date:%d %b %Y}"
            )
            self.app.push_screen(
                AuditTrailScreen(self.clinic, title, lambda db: session_trail(db, self.session_id))
            )

    def action_resubmit(self) -> None:
        from console.review.returns import resubmit
        from widgets.note_dialog import NoteDialog

        app, clinic, session_id, returned = self.app, self.clinic, self.session_id, self.view.open_return

        def store(response: str) -> None:
            resubmit(clinic.db, clinic.actor, session_id, response)

        dialog = NoteDialog(
            "Resubmit to the physician",
            "What did you correct? Enter resubmits.",
            store,
            context=f"Physician's comment: {returned.comment}",
        )
        app.push_screen(dialog, lambda sent: self.reload() if sent else None)

    def action_addendum(self) -> None:
        from console.review.signing import add_addendum
        from widgets.sign_dialog import AddendumDialog

        app, clinic, session_id, sitting = self.app, self.clinic, self.session_id, self.clinic.sitting

        def add(data: dict, proof) -> None:
            add_addendum(clinic.db, clinic.actor, session_id, data, proof, sitting)

        heading = f"Addendum: {self.view.patient.display_name} · {self.view.session.clinic_date:%d %b %Y}"
        dialog = AddendumDialog(heading, sitting.needs_password(clinic.now()), sitting, add)
        app.push_screen(dialog, lambda added: self.reload() if added else None)

    def action_enter(self) -> None:
        """Move focus now, so the next keys land in the next field; handle the value once it is complete."""
        field = self.focused
        target = self.NEXT_FIELD.get(field.id)
        if target:
            self.set_focus(self.query_one(target))
        field.post_message(self.FieldDone(field))

    @on(FieldDone)
    def _field_done(self, message: FieldDone) -> None:
        handlers = {
            "weight": self._weight,
            "pain-before": lambda f: self._pain("before", f),
            "pain-after": lambda f: self._pain("after", f),
            "baseline-vitals": self._vitals,
            "quick-vitals": self._vitals,
            "dose-drawn": self._drawn_done,
            "dose-witness": lambda f: self._confirm_dose(),
            "new-rate": self._new_rate,
            "pain-extra": lambda f: self._pain("extra", f),
            "note": self._add_note,
        }
        handler = handlers.get(message.field.id)
        if handler:
            handler(message.field)

    def _save(self, store, field: Input | None = None, step: str | None = None) -> None:
        """Run one service call off the UI thread, after every call confirmed before it."""
        previous, done = self._last_job, threading.Event()
        self._last_job = done
        self._run_job(store, field, step, previous, done)

    @work(thread=True, group="saves")
    def _run_job(self, store, field: Input | None, step: str | None, previous, done) -> None:
        """One job of the chain: each sees the record as the job before it left it."""
        try:
            previous.wait()
            try:
                store(self.view.session.version if self.view else 0)
            except Conflict as exc:
                self.app.call_from_thread(self._refuse, f"{exc}. The screen was reloaded.", field)
                self._reload_now()
                return
            except ChairsideError as exc:
                self.app.call_from_thread(self._refuse, str(exc), field)
                return
            if field is not None or step is not None:
                self.app.call_from_thread(self._saved, field)
            self._reload_now(focus_next=step == "next")
            if step not in (None, "next"):
                self.app.call_from_thread(self.action_step, step)
        finally:
            done.set()

    def _reload_now(self, focus_next: bool = False) -> None:
        try:
            view = session_view_for(self.clinic.db, self.session_id, self.clinic.protocol, self.clinic.zone)
            plan = suggested_dose(self.clinic.db, view.session) if not view.doses else None
        except ChairsideError as exc:  # the database went away: say so, keep what is on screen
            self.app.call_from_thread(self._refuse, f"{exc}. What was confirmed before is stored.")
            return
        self.view = view  # the next queued job reads its version from here
        self.app.call_from_thread(self._show, view, plan, focus_next)

    def _saved(self, field: Input | None) -> None:
        self._clear_refusal()
        if field is not None and field.id in ("baseline-vitals", "quick-vitals", "pain-extra", "note"):
            field.value = ""

    def action_check_in(self) -> None:
        if self.view is None:
            return
        db, actor = self.clinic.db, self.clinic.actor
        protocol = self.clinic.protocol
        self._save(
            lambda version: sessions.check_in(db, actor, self.session_id, version, protocol=protocol),
            step="next",
        )

    @on(Button.Pressed, "#check-in")
    def _check_in_pressed(self) -> None:
        self.action_check_in()

    def _pain(self, kind: str, field: Input) -> None:
        db, actor, now = self.clinic.db, self.clinic.actor, self.clinic.now()
        data = {"kind": kind, "score": field.value.strip() or None, "scored_at": now}
        self._save(lambda version: charting.record_pain(db, actor, self.session_id, data, version), field)

    def _add_note(self, field: Input) -> None:
        text = field.value.strip()
        if not text:
            return
        db, actor, now = self.clinic.db, self.clinic.actor, self.clinic.now()
        stamp = f"{now.astimezone(self.clinic.zone):%H:%M} {actor.display_name}: {text}"

        def add(version: int) -> None:
            notes = self.view.session.notes
            sessions.update_notes(
                db, actor, self.session_id, version, f"{notes}\n{stamp}" if notes else stamp
            )

        self._save(add, field)

    def _weight(self, field: Input) -> None:
        """A weight far from the last one is stored when the nurse enters the same value again."""
        db, actor, patient, protocol = (
            self.clinic.db,
            self.clinic.actor,
            self.view.patient,
            self.clinic.protocol,
        )
        typed = field.value.strip()
        confirmed = bool(typed) and typed == self._weight_to_confirm

        def store(_version: int) -> None:
            try:
                record_weight(db, actor, patient.id, patient.version, typed or None, protocol, confirmed)
            except NeedsConfirmation:
                self._weight_to_confirm = typed
                raise
            self._weight_to_confirm = None

        self._save(store, field)

    def _vitals(self, field: Input) -> None:
        db, actor = self.clinic.db, self.clinic.actor
        try:
            values = parse_quick_vitals(field.value, self.clinic.now(), self.clinic.zone)
            parse(VitalsIn, values)  # refuse here, where the nurse is typing, before any round trip
        except ChairsideError as exc:
            self._refuse(str(exc), field)
            return
        limits = self.clinic.protocol.thresholds
        self._save(lambda _version: charting.record_vitals(db, actor, self.session_id, values, limits), field)

    @on(Input.Changed, "#dose-rate")
    @on(Input.Changed, "#dose-duration")
    @on(Input.Changed, "#dose-devices")
    @on(Input.Changed, "#dose-drawn")
    def _update_total(self) -> None:
        if self.view is None:
            return
        method, weight = Method(self.view.session.method), self.view.patient.weight_kg or 0
        if self.view.doses:
            weight = self.view.doses[-1].weight_kg_used
        total = total_mg(
            method,
            weight,
            self.clinic.protocol,
            rate=_number(self, "#dose-rate"),
            minutes=_integer(self, "#dose-duration"),
            devices=_integer(self, "#dose-devices"),
        )
        self.query_one("#dose-total", Static).update(
            "Total: —" if total is None else f"Total to give: [b]{total:g} mg[/b] ({weight:g} kg)"
        )
        drawn = _number(self, "#dose-drawn")
        if total is not None and drawn is not None and drawn >= total:
            # Drawn = given + wasted: the waste follows unless the nurse typed another figure.
            self.query_one("#dose-wasted", Input).value = f"{round(drawn - total, 2):g}"

    def _drawn_done(self, field: Input) -> None:
        """The waste is computed from drawn and given (Shift+Tab reaches it); only waste needs a witness."""
        if (_number(self, "#dose-wasted") or 0) == 0:
            self._confirm_dose()

    @on(Button.Pressed, "#confirm-dose")
    def _confirm_dose(self) -> None:
        if self.view is None:
            return
        method = Method(self.view.session.method)
        protocol = self.clinic.protocol
        weight = self.view.patient.weight_kg or 0
        rate, minutes, devices = (
            _number(self, "#dose-rate"),
            _integer(self, "#dose-duration"),
            _integer(self, "#dose-devices"),
        )
        given = self.view.doses[-1] if self.view.doses else None
        if given is not None:
            weight = given.weight_kg_used  # a correction keeps the weight the dose was worked out from
        total = total_mg(method, weight, protocol, rate=rate, minutes=minutes, devices=devices)
        data = {
            "drug": "ketamine" if method == Method.IV else "esketamine",
            "dose_mg": total,
            "rate_mg_per_kg_h": rate if method == Method.IV else None,
            "planned_duration_min": minutes if method == Method.IV else None,
            "device_count": devices if method != Method.IV else None,
            "administered_at": given.administered_at if given else self.clinic.now(),
            "lot_number": self.query_one("#dose-lot", Input).value,
            "concentration_mg_per_ml": self.query_one("#dose-concentration", Input).value or None,
            "drawn_mg": self.query_one("#dose-drawn", Input).value or None,
            "wasted_mg": self.query_one("#dose-wasted", Input).value or 0,
            "witness": self.query_one("#dose-witness", Input).value or None,
        }
        db, actor = self.clinic.db, self.clinic.actor
        if given is not None:
            self._save(
                lambda _version: charting.correct_dose(db, actor, given.id, given.version, data, protocol)
            )
            return
        self._save(
            lambda _version: charting.record_dose(db, actor, self.session_id, data, protocol),
            step="step-monitor",
        )

    @on(Button.Pressed, "#save-pre")
    @on(ConfirmBox.Done)
    def _save_pre(self) -> None:
        found = list(self.query_one("#contraindications", SelectionList).selected)
        escort = self.query_one("#escort", Checkbox).value
        db, actor = self.clinic.db, self.clinic.actor
        self._save(
            lambda version: sessions.record_pre_assessment(
                db, actor, self.session_id, version, escort_confirmed=escort, contraindications=found
            ),
            step="next",
        )

    @on(Button.Pressed, "#end-treatment")
    def action_end_treatment(self) -> None:
        db, actor = self.clinic.db, self.clinic.actor
        dose, state = self._infusion()
        if dose is not None and state.state != "stopped":
            self._infusion_event("stop")  # the infusion stops when dosing is over
        self._save(
            lambda version: sessions.end_treatment(db, actor, self.session_id, version), step="step-post"
        )

    @on(Button.Pressed, "#discharge")
    def _discharge(self) -> None:
        db, actor = self.clinic.db, self.clinic.actor
        protocol = self.clinic.protocol
        self._save(lambda version: sessions.discharge(db, actor, self.session_id, version, protocol=protocol))

    def action_side_effect(self) -> None:
        if self.view is None:
            return

        db, actor, session_id = self.clinic.db, self.clinic.actor, self.session_id

        def record(data: dict[str, Any]) -> None:
            charting.record_side_effect(db, actor, session_id, data)

        dialog = SideEffectDialog(self.clinic.now(), self.clinic.zone, record)
        self.app.push_screen(dialog, self._stored_by_dialog)

    @on(DataTable.RowSelected, "#flowsheet")
    def _correct_reading(self, event: DataTable.RowSelected) -> None:
        reading = next(r for r in self.view.vitals if str(r.id) == event.row_key.value)

        db, actor = self.clinic.db, self.clinic.actor

        def correct(values: dict[str, Any]) -> None:
            charting.correct_vitals(db, actor, reading.id, reading.version, values)

        dialog = CorrectionDialog(reading, self.clinic.now(), self.clinic.zone, correct)
        self.app.push_screen(dialog, self._stored_by_dialog)

    def action_acknowledge(self) -> None:
        open_alerts = [a for a in self.view.alerts if a.acknowledged_at is None] if self.view else []
        if not open_alerts:
            self._refuse("No open alert in this session.")
            return

        db, actor = self.clinic.db, self.clinic.actor

        def acknowledge(alert: Alert, note: str) -> None:
            alerts.acknowledge(db, actor, alert.id, alert.version, note)

        self.app.push_screen(AcknowledgeDialog(open_alerts, acknowledge), self._stored_by_dialog)

    def action_resolve_side_effect(self) -> None:
        open_effects = [e for e in self.view.side_effects if e.resolved_at is None] if self.view else []
        if not open_effects:
            self._refuse("No side effect of this session is waiting to be resolved.")
            return

        db, actor = self.clinic.db, self.clinic.actor

        def resolve(effect: SideEffect, at: datetime, action_taken: str) -> None:
            charting.resolve_side_effect(db, actor, effect.id, effect.version, at, action_taken)

        dialog = ResolveDialog(open_effects, self.clinic.now(), self.clinic.zone, resolve)
        self.app.push_screen(dialog, self._stored_by_dialog)

    def _stored_by_dialog(self, stored: object | None) -> None:
        """A dialog stored its entry (None: closed without storing): show the record as it is now."""
        if stored is not None:
            self._clear_refusal()
            self.reload()


def _number(screen: Screen, selector: str) -> float | None:
    try:
        return float(screen.query_one(selector, Input).value)
    except ValueError:
        return None


def _integer(screen: Screen, selector: str) -> int | None:
    try:
        return int(screen.query_one(selector, Input).value)
    except ValueError:
        return None
