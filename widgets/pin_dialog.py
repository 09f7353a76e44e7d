"""Set or change the signing PIN: the password proves who sets it, the PIN is typed twice."""

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label

from console.clinic.users import set_signing_pin
from console.domain.errors import ChairsideError
from widgets.context import Clinic
from widgets.dialog import StoreDialog


class SetPinDialog(StoreDialog[bool]):
    """Closes with True once the PIN is stored; a refusal clears the three fields and starts again."""

    DEFAULT_CSS = """
    #pin-box { width: 64; border: round $accent; }
    """

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic

    def compose(self) -> ComposeResult:
        with self.body("pin-box"):
            yield Label("Your password")
            yield Input(id="pin-password", password=True, max_length=128)
            yield Label("New signing PIN (4 to 8 digits)")
            yield Input(id="pin-new", password=True, max_length=8)
            yield Label("The PIN again")
            yield Input(id="pin-again", password=True, max_length=8)
            yield self.refusal("pin-error")

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
            self.refuse("Signing PIN: the two PINs differ; type it again.")
            self._start_again()
            return
        password = self.query_one("#pin-password", Input).value
        db, actor = self.clinic.db, self.clinic.actor
        self.save(lambda: set_signing_pin(db, actor, password, new), True)

    def after_refusal(self, refused: ChairsideError) -> None:
        self._start_again()

    def _start_again(self) -> None:
        """Secrets are never left in a field after a refusal."""
        for field in self.query(Input):
            field.value = ""
        self.set_focus(self.query_one("#pin-password", Input))
