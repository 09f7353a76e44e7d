"""Sign-in: username, then password, Enter to go on; refusals shown under the fields.

Nurses type fast and badge scanners faster. Enter is a priority binding, handled by the app in
the order keys arrive: the focus moves before the next key is routed, and submission waits in
the password field's queue behind every character typed before it, so no keystroke lands in
the wrong field or is left out.
"""

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from console.domain.actors import Actor
from console.domain.errors import ChairsideError
from widgets.footer import KeysFooter
from widgets.ui_thread import on_screen

if TYPE_CHECKING:  # the database layer loads in a worker while the sign-in screen is drawn
    from console.clinic.handle import Database


class SignOut(Message):
    """Asked from any screen (Ctrl+O): the application closes the user's screens and asks for sign-in."""


class LoginScreen(Screen):
    """The first screen: nothing of the clinic is shown before a user signs in."""

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    #login-box { width: 56; height: auto; border: round $primary; padding: 1 2; }
    #clinic { text-style: bold; content-align: center middle; width: 100%; margin-bottom: 1; }
    #login-box Input { margin-bottom: 1; }
    #login-error { color: $error; min-height: 1; }
    #sign-in { width: 100%; }
    """
    BINDINGS = [
        Binding("enter", "enter", "Next / sign in", id="login.enter", priority=True, show=False),
        Binding("escape", "clear", "Clear", id="login.clear", tooltip="Clear both fields"),
    ]

    class SubmitRequested(Message):
        """Sent through the password field's queue, so it arrives after every key typed before Enter."""

    class SignedIn(Message):
        """Who signed in; the application opens their first screen."""

        def __init__(self, actor: Actor, password_change_due: bool = False) -> None:
            super().__init__()
            self.actor = actor
            self.password_change_due = password_change_due

    def __init__(self, db: "Database | None" = None, clinic_name: str = "Chairside") -> None:
        """`db` is None while the clinic's records are still opening (see `connected`)."""
        super().__init__()
        self._db = db
        self._clinic_name = clinic_name
        self._waiting = False  # Enter was pressed before the records were open

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):  # the screen centres it
            yield Static(self._clinic_name, id="clinic", markup=False)
            yield Label("Username")
            yield Input(id="username", placeholder="e.g. nurse", max_length=32)
            yield Label("Password")
            yield Input(id="password", password=True, max_length=128)
            yield Static("", id="login-error", markup=False)
            yield Button("Sign in", id="sign-in", variant="primary")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#username", Input))
        if self._db is None:
            self.query_one("#login-error", Static).update("Opening the clinic's records…")
        else:  # on a busy machine the records can open before this screen is mounted
            self.query_one("#clinic", Static).update(self._clinic_name)

    def connected(self, db: "Database", clinic_name: str) -> None:
        """The database is open: show the clinic's name, and sign in if Enter was already pressed."""
        self._db, self._clinic_name = db, clinic_name
        if not self.is_mounted:
            return  # on_mount shows the clinic's name
        self.query_one("#clinic", Static).update(clinic_name)
        self.query_one("#login-error", Static).update("")
        if self._waiting:
            self._waiting = False
            self._submit()

    def action_enter(self) -> None:
        if self.focused is self.query_one("#username", Input):
            self.set_focus(self.query_one("#password", Input))  # synchronous: the next key goes there
        else:
            (self.focused or self).post_message(self.SubmitRequested())

    @on(SubmitRequested)
    @on(Button.Pressed, "#sign-in")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value
        password = self.query_one("#password", Input).value
        if not username.strip():
            self._refuse("Username: type your sign-in name.")
            self.set_focus(self.query_one("#username", Input))
            return
        if self._db is None:
            self._waiting = True  # signs in as soon as the records are open
            return
        self.query_one("#sign-in", Button).disabled = True
        self._authenticate(self._db, username, password)

    @work(thread=True, exclusive=True, group="login")
    def _authenticate(self, db: "Database", username: str, password: str) -> None:
        from console.clinic.users import authenticate, password_change_due

        try:
            actor = authenticate(db, username, password)
            change_due = password_change_due(db, actor.username)
        except ChairsideError as exc:
            on_screen(self, self._refuse, str(exc))
            return
        self.post_message(self.SignedIn(actor, change_due))

    def _refuse(self, message: str) -> None:
        self.query_one("#login-error", Static).update(message)
        self.query_one("#sign-in", Button).disabled = False
        password = self.query_one("#password", Input)
        password.value = ""
        self.set_focus(password)

    def action_clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        self.query_one("#login-error", Static).update("")
        self.set_focus(self.query_one("#username", Input))
