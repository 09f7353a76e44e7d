"""Sign-in: username, then password, Enter to go on; refusals shown under the fields."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from console.errors import ChairsideError
from console.users import authenticate


class NextFieldInput(Input):
    """Enter moves on at once, so fast typing (or a badge scanner) lands in the next field, not this one."""

    async def action_submit(self) -> None:
        self.screen.focus_next()


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
    BINDINGS = [Binding("escape", "clear", "Clear", id="login.clear", tooltip="Clear both fields")]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(self.app.settings.clinic_name, id="clinic")
            yield Label("Username")
            yield NextFieldInput(id="username", placeholder="e.g. nurse", max_length=32)
            yield Label("Password")
            yield Input(id="password", password=True, max_length=128)
            yield Static("", id="login-error")
            yield Button("Sign in", id="sign-in", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#username", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#sign-in")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value
        password = self.query_one("#password", Input).value
        if not username.strip():
            self._refuse("Username: type your sign-in name.")
            self.query_one("#username", Input).focus()
            return
        self.query_one("#sign-in", Button).disabled = True
        self._authenticate(username, password)

    @work(thread=True, exclusive=True, group="login")
    def _authenticate(self, username: str, password: str) -> None:
        try:
            actor = authenticate(self.app.db, username, password)
        except ChairsideError as exc:
            self.app.call_from_thread(self._refuse, str(exc))
            return
        self.app.call_from_thread(self.app.signed_in, actor)

    def _refuse(self, message: str) -> None:
        self.query_one("#login-error", Static).update(message)
        self.query_one("#sign-in", Button).disabled = False
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()

    def action_clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        self.query_one("#login-error", Static).update("")
        self.query_one("#username", Input).focus()
