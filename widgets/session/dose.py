"""The dose: rate and duration (IV) or devices (nasal), lot, drawn, wasted and the waste witness."""

from textual import events, on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, Static

from console.chair import charting
from console.chair.dose_form import (
    DoseForm,
    dose_to_record,
    dose_weight,
    form_total,
    needs_witness,
    waste_after_drawing,
)
from console.chair.dose_plan import DosePlan
from console.chair.session_guide import Step, dose_heading
from console.chair.session_view import SessionView
from console.domain.vocab import Method
from widgets.number_input import NumberInput
from widgets.session.recorder import Recorder, StepForm

# The form's fields, by the DoseForm value each one holds.
FIELDS = {
    "rate": "#dose-rate",
    "minutes": "#dose-duration",
    "devices": "#dose-devices",
    "lot": "#dose-lot",
    "concentration": "#dose-concentration",
    "drawn": "#dose-drawn",
    "wasted": "#dose-wasted",
    "witness": "#dose-witness",
    "witness_secret": "#dose-witness-secret",
}

# The record's names for what a refusal is about, by the form's field that holds it.
RECORD_FIELDS = {
    "rate_mg_per_kg_h": "rate",
    "planned_duration_min": "minutes",
    "device_count": "devices",
    "lot_number": "lot",
    "concentration_mg_per_ml": "concentration",
    "drawn_mg": "drawn",
    "wasted_mg": "wasted",
    "witness": "witness",
}


def _shown(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


class DoseStep(StepForm):
    STEP = Step.DOSE
    NEXT_FIELD = {
        "dose-rate": "#dose-duration",
        "dose-duration": "#dose-lot",
        "dose-devices": "#dose-lot",
        "dose-lot": "#dose-concentration",
        "dose-concentration": "#dose-drawn",
        "dose-drawn": "#dose-witness",
        "dose-wasted": "#dose-witness",
        "dose-witness": "#dose-witness-secret",
        "dose-witness-secret": None,
    }

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self._waste_typed = False  # the nurse went to the waste field: her figure is the one recorded
        self._doses_seen = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="dose-heading", markup=False)
        yield Label("Rate (mg/kg/h)", classes="iv")
        yield NumberInput("Rate", id="dose-rate", classes="iv")
        yield Label("Planned duration (min)", classes="iv")
        yield NumberInput("Planned duration", whole=True, id="dose-duration", classes="iv")
        yield Label("Nasal devices (1-3)", classes="nasal")
        yield NumberInput("Nasal devices", whole=True, id="dose-devices", classes="nasal")
        yield Static("", id="dose-total")
        yield Label("Lot number")
        yield Input(id="dose-lot", classes="takes-codes")  # a vial's barcode may be scanned into it
        yield Label("Concentration (mg/mL)")
        yield NumberInput("Concentration", id="dose-concentration")
        yield Label("Amount drawn (mg)")
        yield NumberInput("Amount drawn", id="dose-drawn")
        yield Label("Amount wasted (mg)")
        yield NumberInput("Amount wasted", id="dose-wasted")
        yield Label("Waste witness (username)")
        yield Input(id="dose-witness")
        yield Label("Witness's PIN or password (typed by the witness)")
        yield Input(id="dose-witness-secret", password=True, classes="credential")
        yield Button("Confirm dose", id="confirm-dose", variant="primary")

    def first_field(self, view: SessionView) -> str:
        return "#dose-rate" if view.session.method == Method.IV else "#dose-devices"

    def field_named(self, name: str) -> Input | None:
        view = self.recorder.view
        if (
            name == "dose_mg" and view is not None
        ):  # a total past a cap: what sets it is the rate, or the devices
            name = "rate_mg_per_kg_h" if view.session.method == Method.IV else "device_count"
        held_in = RECORD_FIELDS.get(name)
        return self.query_one(FIELDS[held_in], Input) if held_in else None

    def form(self) -> DoseForm:
        """The fields as they are now, the waste worked out from them unless the nurse typed her own.

        Read when a value is confirmed, not when the screen last redrew: keys typed at scanner speed
        reach Enter before the form's own updates do.
        """
        typed = {name: self.query_one(selector, Input).value for name, selector in FIELDS.items()}
        view = self.recorder.view
        if view is not None and not self._waste_typed:
            waste = waste_after_drawing(
                form_total(view, self.clinic.protocol, DoseForm(**typed)), typed["drawn"]
            )
            if waste is not None:
                typed["wasted"] = f"{waste:g}"
        return DoseForm(**typed)

    @on(events.DescendantFocus)
    def _waste_field_visited(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "dose-wasted":
            self._waste_typed = True

    def show(self, view: SessionView) -> None:
        if len(view.doses) != self._doses_seen:  # a dose was stored: the next form starts afresh
            self._doses_seen, self._waste_typed = len(view.doses), False
        iv = view.session.method == Method.IV
        for widget in self.query(".iv"):
            widget.display = iv
        for widget in self.query(".nasal"):
            widget.display = not iv
        self.query_one("#confirm-dose", Button).label = "Correct dose" if view.doses else "Confirm dose"
        if view.doses:
            self._fill(view)
        self.query_one("#dose-heading", Static).update(dose_heading(view))
        self._update_total()

    def _fill(self, view: SessionView) -> None:
        """A recorded dose comes back into the form, to be corrected if it was typed wrongly."""
        dose = view.doses[-1]
        values = {
            "rate": dose.rate_mg_per_kg_h,
            "minutes": dose.planned_duration_min,
            "devices": dose.device_count,
            "lot": dose.lot_number,
            "concentration": dose.concentration_mg_per_ml,
            "drawn": dose.drawn_mg,
            "wasted": dose.wasted_mg,
            "witness": view.staff_name(dose.witness_id),
        }
        for name, value in values.items():
            field = self.query_one(FIELDS[name], Input)
            if not self.recorder.is_being_typed(field):
                field.value = _shown(value)

    def prefill(self, plan: DosePlan) -> None:
        """Empty fields start from the patient's last dose and today's lot."""
        values = {
            "rate": plan.rate_mg_per_kg_h,
            "minutes": plan.planned_duration_min,
            "devices": plan.device_count,
            "lot": plan.lot_number,
            "concentration": plan.concentration_mg_per_ml,
        }
        for name, value in values.items():
            field = self.query_one(FIELDS[name], Input)
            if not field.value and value not in (None, ""):
                field.value = _shown(value)

    @on(Input.Changed, "#dose-rate")
    @on(Input.Changed, "#dose-duration")
    @on(Input.Changed, "#dose-devices")
    @on(Input.Changed, "#dose-drawn")
    def _update_total(self) -> None:
        view = self.recorder.view
        if view is None:
            return
        form = self.form()
        total = form_total(view, self.clinic.protocol, form)
        weight = dose_weight(view)
        self.query_one("#dose-total", Static).update(
            "Total: —" if total is None else f"Total to give: [b]{total:g} mg[/b] ({weight:g} kg)"
        )
        waste = waste_after_drawing(total, form.drawn)
        if waste is not None:  # the waste follows unless the nurse typed another figure after drawn
            self.query_one("#dose-wasted", Input).value = f"{waste:g}"

    def field_done(self, field: Input) -> None:
        if field.id == "dose-drawn":
            form = self.form()
            self.query_one("#dose-wasted", Input).value = form.wasted  # shown before the witness is asked
            if not needs_witness(form):
                self.confirm()  # no waste: no witness needed (Shift+Tab reaches the waste)
        elif field.id == "dose-witness-secret":
            self.confirm()

    @on(Button.Pressed, "#confirm-dose")
    def confirm(self) -> None:
        view, seen = self.recorder.view, self.recorder.seen_in(self)
        if view is None or seen is None:
            return
        clinic, session_id = self.clinic, self.recorder.session_id
        data = dose_to_record(view, clinic.protocol, self.form(), clinic.now())
        self.query_one("#dose-witness-secret", Input).value = ""  # checked once, never kept on screen
        if seen.doses:  # the dose she saw and changed: a correction of it, if nobody changed it since
            given = seen.doses[-1]
            self.recorder.save(
                lambda _version: charting.correct_dose(
                    clinic.db, clinic.actor, given.id, given.version, data, clinic.protocol
                ),
                form=self,
            )
            return
        self.recorder.save(
            lambda _version: charting.record_dose(
                clinic.db, clinic.actor, session_id, data, clinic.protocol, doses_seen=len(seen.doses)
            ),
            then=Step.MONITOR,
            form=self,
        )
