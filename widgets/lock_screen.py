"""The idle lock: after `idle_lock_minutes` without input, nothing of the clinic shows until a password.

The signed-in user's password returns to exactly where they were (every screen and what was
typed in it stay underneath, untouched). Another user signing in here ends the first sitting.
"""

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from console.domain.actors import Actor
from console.domain.errors import ChairsideError
from widgets.ui_thread import on_screen

if TYPE_CHECKING:
    from console.clinic.handle import Database


class LockScreen(Screen):
    """Opaque, over every screen of the sitting; only sign-in keys work here."""

    DEFAULT_CSS = """
    LockScreen { align: center middle; background: $background; }
    #lock-box { width: 64; height: auto; border: round $warning; padding: 1 2; }
    #lock-title { text-style: bold; width: 100%; content-align: center middle; margin-bottom: 1; }
    #lock-box Input { margin-bottom: 1; }
    #lock-error { color: $error; min-height: 1; }
    """
    BINDINGS = [Binding("enter", "enter", "Unlock", id="lock.enter", priority=True, show=False)]

    class Unlocked(Message):
        """Who proved who they are at the lock: the same user, or another one taking over."""

        def __init__(self, actor: Actor, password_change_due: bool) -> None:
            super().__init__()
            self.actor = actor
            self.password_change_due = password_change_due

    class SubmitRequested(Message):
        """Sent through the password field's queue, after every key typed before Enter."""

    def __init__(self, db: "Database", sitting: Actor, minutes: int) -> None:
        super().__init__()
        self._db, self.sitting, self._minutes = db, sitting, minutes

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(f"Locked after {self._minutes} minutes without input", id="lock-title", markup=False)
            yield Static(
                f"{self.sitting.display_name}: your password returns you to where you were. "
                "Another user signing in here ends that sitting.",
                markup=False,
            )
            yield Label("Username")
            yield Input(self.sitting.username, id="lock-username", max_length=32)
            yield Label("Password")
            yield Input(id="lock-password", password=True, max_length=128)
            yield Static("", id="lock-error", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#lock-password", Input))

    def action_enter(self) -> None:
        if self.focused is self.query_one("#lock-username", Input):
            self.set_focus(self.query_one("#lock-password", Input))
        else:
            (self.focused or self).post_message(self.SubmitRequested())

    @on(SubmitRequested)
    def _submit(self) -> None:
        username = self.query_one("#lock-username", Input).value
        password = self.query_one("#lock-password", Input).value
        self._unlock(username, password)

    @work(thread=True, exclusive=True, group="unlock")
    def _unlock(self, username: str, password: str) -> None:
        from console.clinic.users import password_change_due, verify_secret

        try:
            actor = verify_secret(self._db, username, password, kind="password", action="unlock")
            due = password_change_due(self._db, actor.username)
        except ChairsideError as refused:
            on_screen(self, self._refuse, str(refused))
            return
        self.post_message(self.Unlocked(actor, due))

    def _refuse(self, message: str) -> None:
        self.query_one("#lock-error", Static).update(message)
        password = self.query_one("#lock-password", Input)
        password.value = ""
        self.set_focus(password)
