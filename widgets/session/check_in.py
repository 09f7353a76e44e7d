"""Check-in: the patient has arrived."""

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Label

from console.chair import sessions
from console.chair.session_guide import Step
from console.chair.session_view import SessionView
from widgets.session.recorder import StepForm


class CheckInStep(StepForm):
    STEP = Step.CHECK_IN

    def compose(self) -> ComposeResult:
        yield Label("The patient is not checked in yet.")
        yield Button("Check in  (F2)", id="check-in", variant="primary")

    def first_field(self, view: SessionView) -> str:
        return "#check-in"

    @on(Button.Pressed, "#check-in")
    def check_in(self) -> None:
        if self.recorder.view is None:
            return
        clinic, session_id = self.clinic, self.recorder.session_id
        self.recorder.save(
            lambda version: sessions.check_in(
                clinic.db, clinic.actor, session_id, version, protocol=clinic.protocol
            ),
            then="next",
            form=self,
        )
