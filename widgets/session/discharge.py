"""After dosing: pain after, the change it makes, discharge, and notes signed with name and time."""

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, Static

from console.chair import sessions
from console.chair.session_guide import Step, notes_with, pain_change_line
from console.chair.session_view import SessionView
from widgets.number_input import NumberInput
from widgets.session.recorder import StepForm


class DischargeStep(StepForm):
    STEP = Step.POST
    NEXT_FIELD = {"pain-after": "#discharge", "note": "#note"}
    ONE_SHOT = frozenset({"note"})

    def compose(self) -> ComposeResult:
        yield Label("Pain after (NRS 0-10)")
        yield NumberInput("Pain after", whole=True, id="pain-after")
        yield Static("", id="pain-change", markup=False)
        yield Button("Discharge", id="discharge", variant="primary")
        yield Label("Add a note (Enter adds it, signed with your name and the time)")
        yield Input(id="note", max_length=500)
        yield Static("", id="notes", markup=False)

    def first_field(self, view: SessionView) -> str:
        return "#pain-after"

    def show(self, view: SessionView) -> None:
        self.query_one("#pain-change", Static).update(pain_change_line(view))
        self.query_one("#notes", Static).update(view.session.notes)

    def field_done(self, field: Input) -> None:
        if field.id == "pain-after":
            self.record_pain("after", field)
        elif field.id == "note":
            self._add_note(field)

    def _add_note(self, field: Input) -> None:
        text = field.value.strip()
        if not text:
            return
        clinic, recorder, now = self.clinic, self.recorder, self.clinic.now()

        def add(version: int) -> None:
            notes = recorder.view.session.notes if recorder.view else ""
            stamped = notes_with(notes, text, clinic.actor.display_name, clinic.zone, now)
            sessions.update_notes(clinic.db, clinic.actor, recorder.session_id, version, stamped)

        recorder.save(add, field)

    @on(Button.Pressed, "#discharge")
    def discharge(self) -> None:
        clinic, session_id = self.clinic, self.recorder.session_id
        self.recorder.save(
            lambda version: sessions.discharge(
                clinic.db, clinic.actor, session_id, version, protocol=clinic.protocol
            )
        )
