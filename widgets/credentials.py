"""The proof of identity a signature asks for: username and password first, then the PIN in a sitting."""

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from console.review.signing import Proof, SigningSitting


class Credentials(Vertical):
    """Username and password when the signing sitting is new or has ended; otherwise the PIN."""

    DEFAULT_CSS = """
    Credentials { height: auto; }
    Credentials Input { width: 100%; }
    """

    def __init__(self, sitting: SigningSitting, needs_password: bool) -> None:
        super().__init__()
        self.sitting = sitting
        self.needs_password = needs_password

    def compose(self) -> ComposeResult:
        if self.needs_password:
            yield Label("Username (a new signing sitting needs username and password)")
            yield Input(id="cred-username", max_length=32, classes="credential")  # never asked to keep
            yield Label("Password")
            yield Input(id="cred-password", password=True, max_length=128)
        else:
            yield Label("Signing PIN (the sitting is open; the password is asked again after idle time)")
            yield Input(id="cred-pin", password=True, max_length=8)

    @property
    def first(self) -> Input:
        return self.query_one("#cred-username" if self.needs_password else "#cred-pin", Input)

    @property
    def last(self) -> Input:
        return self.query_one("#cred-password" if self.needs_password else "#cred-pin", Input)

    def proof(self) -> Proof:
        if self.needs_password:
            return Proof(
                username=self.query_one("#cred-username", Input).value,
                password=self.query_one("#cred-password", Input).value,
            )
        return Proof(pin=self.query_one("#cred-pin", Input).value)

    def clear_secret(self) -> None:
        self.last.value = ""
