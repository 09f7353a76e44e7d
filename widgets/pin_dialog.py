"""Set your own signing PIN: the password proves who you are, the PIN is typed twice."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from console.clinic.users import set_signing_pin
from console.domain.errors import ChairsideError
from widgets.context import Clinic


class SetPinDialog(ModalScreen[bool]):
    DEFAULT_CSS = """
    SetPinDialog { align: center middle; }
    #pin-box { width: 64; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #pin-box Input { width: 100%; }
    #pin-error { color: $error; height: auto; min-height: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="pin.cancel", tooltip="Close; the PIN is not changed")
    ]

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Label("Your password")
            yield Input(id="pin-password", password=True, max_length=128)
            yield Label("New signing PIN (4 to 8 digits)")
            yield Input(id="pin-new", password=True, max_length=8)
            yield Label("The PIN again")
            yield Input(id="pin-again", password=True, max_length=8)
            yield Static("", id="pin-error", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#pin-password", Input))

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        if event.input is not fields[-1]:
            self.set_focus(fields[fields.index(event.input) + 1])
            return
        new, again = (self.query_one(f"#pin-{name}", Input).value for name in ("new", "again"))
        if new != again:
            self._refused("Signing PIN: the two PINs differ; type it again.")
            return
        self._store(self.query_one("#pin-password", Input).value, new)

    @work(thread=True, group="pin")
    def _store(self, password: str, pin: str) -> None:
        try:
            set_signing_pin(self.clinic.db, self.clinic.actor, password, pin)
        except ChairsideError as refused:
            self.app.call_from_thread(self._refused, str(refused))
            return
        self.app.call_from_thread(self.dismiss, True)

    def _refused(self, message: str) -> None:
        self.query_one("#pin-error", Static).update(f"⚠ {message}")
        for field in self.query(Input):
            field.value = ""
        self.set_focus(self.query_one("#pin-password", Input))

    def action_cancel(self) -> None:
        self.dismiss(False)
