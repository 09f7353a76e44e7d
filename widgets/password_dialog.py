"""Choose a new password: after an administrator reset it, before anything of the clinic is shown."""

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from console.clinic.users import change_password
from console.domain.actors import Actor
from console.domain.errors import ChairsideError
from widgets.dialog import StoreDialog

if TYPE_CHECKING:
    from console.store.database import Database


class ChangePasswordDialog(StoreDialog[bool]):
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

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#password-current", Input))

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        if event.input is not fields[-1]:
            self.set_focus(fields[fields.index(event.input) + 1])
            return
        current, new, again = (field.value for field in fields)
        if new != again:
            self.refuse("New password: the two passwords differ; type them again.")
            self._start_again()
            return
        db, actor = self.db, self.actor
        self.save(lambda: change_password(db, actor, current, new), True)

    def after_refusal(self, refused: ChairsideError) -> None:
        self._start_again()

    def _start_again(self) -> None:
        """Secrets are never left in a field after a refusal."""
        for field in self.query(Input):
            field.value = ""
        self.set_focus(self.query_one("#password-current", Input))
