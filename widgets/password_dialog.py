"""Choose a new password: after an administrator reset it, before anything of the clinic is shown."""

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from console.clinic.users import change_password
from console.domain.actors import Actor
from widgets.secrets_dialog import SecretsDialog

if TYPE_CHECKING:
    from console.clinic.handle import Database


class ChangePasswordDialog(SecretsDialog):
    """Closes with True once the new password is stored; Esc returns to the sign-in screen."""

    DEFAULT_CSS = """
    #password-box { width: 64; border: round $accent; }
    """

    def __init__(self, db: "Database", actor: Actor) -> None:
        super().__init__()
        self.db, self.actor = db, actor

    def compose(self) -> ComposeResult:
        with self.body("password-box"):
            yield Static(
                "Your password was reset by an administrator: choose your own to go on.", markup=False
            )
            yield Label("Temporary password")
            yield Input(id="password-current", password=True, max_length=128)
            yield Label("New password (10 characters or more)")
            yield Input(id="password-new", password=True, max_length=128)
            yield Label("The new password again")
            yield Input(id="password-again", password=True, max_length=128)
            yield self.refusal("password-error")

    def confirm(self, typed: list[str]) -> None:
        current, new, again = typed
        if self.twice_the_same(new, again, "New password"):
            db, actor = self.db, self.actor
            self.save(lambda: change_password(db, actor, current, new), True)
