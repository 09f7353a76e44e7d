"""The physician's end-of-induction review: the series' response, then maintenance or stop, and a note."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from console.domain.errors import ChairsideError
from widgets.context import Clinic
from widgets.dialog import StoreDialog
from widgets.ui_thread import on_screen

CHOICES = {"m": "maintenance", "maintenance": "maintenance", "s": "stop", "stop": "stop"}


class InductionDialog(StoreDialog[str]):
    """Enter on the decision goes to the note; Enter on the note stores both through `store`."""

    DEFAULT_CSS = """
    #induction-box { width: 96; border: round $accent; }
    #induction-title { text-style: bold; }
    """

    def __init__(self, heading: str, response: str, store: Callable[[str, str], None]) -> None:
        super().__init__()
        self.heading, self.response, self.store = heading, response, store

    def compose(self) -> ComposeResult:
        with self.body("induction-box"):
            yield Static(self.heading, id="induction-title", markup=False)
            yield Static(self.response, id="induction-response", markup=False)
            yield Label("Decision: m (go on to maintenance) or s (stop treatment)")
            yield Input(id="induction-decision", max_length=12)
            yield Label("Note (optional): what the decision rests on")
            yield Input(id="induction-note", max_length=500)
            yield self.refusal("induction-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#induction-decision", Input))

    @on(Input.Submitted, "#induction-decision")
    def _to_note(self) -> None:
        self.set_focus(self.query_one("#induction-note", Input))

    @on(Input.Submitted, "#induction-note")
    def _done(self) -> None:
        typed = self.query_one("#induction-decision", Input).value.strip().casefold()
        decision, note = CHOICES.get(typed, typed), self.query_one("#induction-note", Input).value
        self.save(lambda: self.store(decision, note), decision)


def ask_induction_review(
    screen: Screen,
    clinic: Clinic,
    session_id: int,
    heading: str,
    refuse: Callable[[str], object],
    done: Callable[[str | None], None],
) -> None:
    """Read the series' response off the UI thread, then ask the physician for the decision in the
    dialog (closed with the decision, or None); `refuse` says why the review cannot be made yet."""
    from console.review.induction_review import record_induction_review, response_at

    def store(decision: str, note: str) -> None:
        record_induction_review(clinic.db, clinic.actor, session_id, decision, note)

    def read() -> None:
        try:
            response = response_at(clinic.db, session_id)
        except ChairsideError as error:
            on_screen(screen, refuse, str(error))
            return
        on_screen(
            screen, lambda: screen.app.push_screen(InductionDialog(heading, response.text, store), done)
        )

    screen.run_worker(read, thread=True, group="induction", exclusive=True)
