"""The patient's monitoring tests: the latest of each and what is due, and new results typed in."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, Static

from console.domain.lab_values import FINDING_HINT, LIVER_HINT
from console.domain.vocab import LabKind
from widgets.dialog import StoreDialog

FIELDS = ("lab-date", "lab-liver", "lab-urinary", "lab-pregnancy")


class LabDialog(StoreDialog[bool]):
    """Enter goes from field to field and stores from the last; Ctrl+S stores from any. The lines
    left empty are not recorded. `store(taken_on, liver, urinary, pregnancy)` validates and stores."""

    DEFAULT_CSS = """
    #lab-box { width: 84; border: round $accent; }
    """
    BINDINGS = [Binding("ctrl+s", "store", "Save", id="labs.save", tooltip="Store the results typed")]

    def __init__(
        self, title: str, summary: list[str], today: str, store: Callable[[str, str, str, str], None]
    ) -> None:
        super().__init__()
        self.title_text, self.summary, self.today, self.store = title, summary, today, store

    def compose(self) -> ComposeResult:
        with self.body("lab-box"):
            yield Static(f"Monitoring tests: {self.title_text}", markup=False)
            yield Static("\n".join(self.summary) or "No test on record.", id="lab-summary", markup=False)
            yield Label("Taken on (YYYY-MM-DD)")
            yield Input(self.today, id="lab-date", max_length=10)
            yield Label(f"Liver tests: {LIVER_HINT}")
            yield Input(id="lab-liver", max_length=40)
            yield Label(
                f"Urinary symptoms (frequency, urgency, pain, blood): {FINDING_HINT[LabKind.URINARY]}"
            )
            yield Input(id="lab-urinary", max_length=10)
            yield Label(f"Pregnancy test: {FINDING_HINT[LabKind.PREGNANCY]}")
            yield Input(id="lab-pregnancy", max_length=10)
            yield self.refusal("lab-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#lab-liver", Input))

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        at = FIELDS.index(event.input.id or "")
        if at + 1 < len(FIELDS):
            self.set_focus(self.query_one(f"#{FIELDS[at + 1]}", Input))
        else:
            self.action_store()

    def action_store(self) -> None:
        taken_on, liver, urinary, pregnancy = (self.query_one(f"#{name}", Input).value for name in FIELDS)
        self.save(lambda: self.store(taken_on, liver, urinary, pregnancy), True)
