"""Set or change the signing PIN: the password proves who sets it, the PIN is typed twice."""

from textual.app import ComposeResult
from textual.widgets import Input, Label

from console.clinic.users import set_signing_pin
from widgets.context import Clinic
from widgets.secrets_dialog import SecretsDialog


class SetPinDialog(SecretsDialog):
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

    def confirm(self, typed: list[str]) -> None:
        password, new, again = typed
        if self.twice_the_same(new, again, "Signing PIN"):
            db, actor = self.clinic.db, self.clinic.actor
            self.save(lambda: set_signing_pin(db, actor, password, new), True)
