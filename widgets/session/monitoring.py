"""Monitoring: vitals as they are taken, extra pain scores, and the running IV infusion."""

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, Static

from console.chair import sessions
from console.chair.infusion import record_infusion_event, stop_preview
from console.chair.session_guide import Step, infusion_line, rems_pressure_line, running_infusion
from console.chair.session_view import SessionView
from console.domain.quick_vitals import FORMAT_HINT
from console.domain.vocab import InfusionEventKind
from widgets.number_input import NumberInput
from widgets.session.recorder import StepForm
from widgets.stop_dialog import StopDialog


class MonitoringStep(StepForm):
    STEP = Step.MONITOR
    NEXT_FIELD = {"quick-vitals": "#quick-vitals", "new-rate": "#quick-vitals", "pain-extra": "#quick-vitals"}
    ONE_SHOT = frozenset({"quick-vitals", "pain-extra", "new-rate"})
    DEFAULT_CSS = """
    MonitoringStep .rate-change { display: none; }
    MonitoringStep.changing-rate .rate-change { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield Label(f"Vitals: {FORMAT_HINT}; @HH:MM first for an earlier time")
        yield Input(id="quick-vitals", placeholder="128/82 76 98 14 5")
        yield Label("Extra pain score (0-10), any time")
        yield NumberInput("Pain score", whole=True, id="pain-extra")
        yield Static("", id="infusion-state", markup=False)
        yield Label("New rate (mg/kg/h), Enter to change", id="rate-label", classes="rate-change")
        yield NumberInput("New rate", id="new-rate", classes="rate-change")
        yield Button("End treatment (dosing over)  F8", id="end-treatment")

    def first_field(self, view: SessionView) -> str:
        return "#quick-vitals"

    def show(self, view: SessionView) -> None:
        self.show_infusion()

    def show_infusion(self) -> None:
        """The infusion's state and amount given so far, or a nasal session's 40-minute blood
        pressure for the REMS form: both change by the minute."""
        view = self.recorder.view
        zone, now = self.clinic.zone, self.clinic.now()
        text = (infusion_line(view, zone, now) or rems_pressure_line(view, zone, now)) if view else ""
        self.query_one("#infusion-state", Static).update(text)

    def field_done(self, field: Input) -> None:
        if field.id == "quick-vitals":
            self.record_vitals(field)
        elif field.id == "pain-extra":
            self.record_pain("extra", field)
        elif field.id == "new-rate":  # shown, with the rate typed, until the change is stored
            self._infusion_event(InfusionEventKind.RATE_CHANGE, field.value or None, field)

    def after_stored(self, field: Input) -> None:
        if field.id == "new-rate":
            self.remove_class("changing-rate")

    def change_rate(self) -> None:
        """Show the rate field; Enter in it records the change."""
        self.add_class("changing-rate")

    def pause_resume(self) -> None:
        view = self.recorder.view
        infusion = running_infusion(view, self.clinic.now()) if view else None
        paused = infusion is not None and infusion[1].state == "paused"
        self._infusion_event(InfusionEventKind.RESUME if paused else InfusionEventKind.PAUSE)

    def _infusion_event(
        self, kind: InfusionEventKind, rate: str | None = None, field: Input | None = None
    ) -> None:
        view = self.recorder.view
        infusion = running_infusion(view, self.clinic.now()) if view else None
        if infusion is None:
            self.recorder.refuse("No IV infusion has been started in this session.")
            return
        dose_id, clinic = infusion[0].id, self.clinic
        data = {"kind": kind, "at": clinic.now(), "rate_mg_per_kg_h": rate}
        self.recorder.save(
            lambda _version: record_infusion_event(clinic.db, clinic.actor, dose_id, data, clinic.protocol),
            field,
        )

    @on(Button.Pressed, "#end-treatment")
    def end_treatment(self) -> None:
        """Dosing is over: a running infusion stops and observation starts. Stopped before its
        planned dose, it asks why, and the drug left over is wasted before a witness."""
        view, clinic, now = self.recorder.view, self.clinic, self.clinic.now()
        infusion = running_infusion(view, now) if view else None
        if infusion is not None and infusion[1].state != "stopped":
            dose, state = infusion
            preview = stop_preview(dose, state, now, clinic.protocol.reconciliation_tolerance_mg)
            if preview.needs_asking:

                def store(reason: str, witness: str, secret: str) -> None:
                    data = {"kind": InfusionEventKind.STOP, "at": now, "stop_reason": reason or None}
                    data |= {"witness": witness or None, "witness_secret": secret or None}
                    record_infusion_event(clinic.db, clinic.actor, dose.id, data, clinic.protocol)

                self.app.push_screen(StopDialog(preview, store), self._stopped)
                return
            self._infusion_event(InfusionEventKind.STOP)
        self._end_dosing()

    def _stopped(self, stored: bool | None) -> None:
        if stored:
            self._end_dosing()

    def _end_dosing(self) -> None:
        clinic, session_id = self.clinic, self.recorder.session_id
        self.recorder.save(
            lambda version: sessions.end_treatment(clinic.db, clinic.actor, session_id, version),
            then=Step.POST,
            form=self,
        )
