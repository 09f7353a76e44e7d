"""Signing dialogs: a session signature (meaning, then proof) and a signed addendum (reason, text, proof)."""

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.domain.errors import ChairsideError, InvalidInput
from console.domain.vocab import SignatureMeaning
from console.review.signing import Proof
from widgets.credentials import Credentials

MEANINGS = {
    SignatureMeaning.APPROVED: "Approved: I have reviewed this session and approve the treatment given",
    SignatureMeaning.REVIEWED: "Reviewed: I have reviewed this session",
}


class SigningDialog(ModalScreen[bool]):
    """A heading, the fields, the proof and one error line; the signature runs off the UI thread."""

    DEFAULT_CSS = """
    SigningDialog { align: center middle; }
    .sign-box { width: 84; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    .sign-box Input { width: 100%; }
    .sign-title { text-style: bold; }
    .sign-error { color: $error; height: auto; min-height: 1; }
    #meaning { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="sign.cancel", tooltip="Close without signing")]

    def __init__(self, heading: str, needs_password: bool, sitting) -> None:
        super().__init__()
        self.heading = heading
        self.credentials = Credentials(sitting, needs_password)
        self._busy = False

    def error(self, message: str) -> None:
        self.query_one(".sign-error", Static).update(f"⚠ {message}")

    def _proof_done(self) -> None:
        if not self._busy:
            self._busy = True
            self.query_one(".sign-error", Static).update("Signing…")
            self._sign(self.credentials.proof())

    @work(thread=True, group="sign")
    def _sign(self, proof: Proof) -> None:
        try:
            self.submit(proof)
        except ChairsideError as refused:
            self.app.call_from_thread(self._refused, refused)
            return
        self.app.call_from_thread(self.dismiss, True)

    def submit(self, proof: Proof) -> None:
        raise NotImplementedError

    def _refused(self, refused: ChairsideError) -> None:
        self._busy = False
        self.error(str(refused))
        if isinstance(refused, InvalidInput) and refused.field in {"reason", "text", "meaning"}:
            self.set_focus(self.query_one(f"#{refused.field}", Input))
            return
        self.credentials.clear_secret()
        self.set_focus(self.credentials.last)

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        position = fields.index(event.input)
        if event.input is self.credentials.last:
            self._proof_done()
        else:
            self.set_focus(fields[position + 1])

    def action_cancel(self) -> None:
        self.dismiss(False)


class SignDialog(SigningDialog):
    """Choose the meaning (arrows, Enter), then prove who you are; Enter signs."""

    def __init__(
        self, heading: str, needs_password: bool, sitting, sign: Callable[[str, Proof], None]
    ) -> None:
        super().__init__(heading, needs_password, sitting)
        self.sign = sign

    def compose(self) -> ComposeResult:
        with Vertical(classes="sign-box"):
            yield Static(self.heading, classes="sign-title", markup=False)
            yield Label("Meaning of this signature (arrows, Enter)")
            yield OptionList(
                *[Option(text, id=meaning.value) for meaning, text in MEANINGS.items()], id="meaning"
            )
            yield self.credentials
            yield Static("", classes="sign-error", markup=False)

    def on_mount(self) -> None:
        meanings = self.query_one("#meaning", OptionList)
        meanings.highlighted = 0
        self.set_focus(meanings)

    @on(OptionList.OptionSelected, "#meaning")
    def _meaning_chosen(self) -> None:
        self.set_focus(self.credentials.first)

    def submit(self, proof: Proof) -> None:
        meanings = self.query_one("#meaning", OptionList)
        meaning = meanings.get_option_at_index(meanings.highlighted or 0).id
        if meaning is not None:  # every option is made with its meaning as id
            self.sign(meaning, proof)


class AddendumDialog(SigningDialog):
    """Reason, text, then proof: the addendum is signed by its author as it is saved."""

    def __init__(
        self, heading: str, needs_password: bool, sitting, add: Callable[[dict, Proof], None]
    ) -> None:
        super().__init__(heading, needs_password, sitting)
        self.add = add

    def compose(self) -> ComposeResult:
        with Vertical(classes="sign-box"):
            yield Static(self.heading, classes="sign-title", markup=False)
            yield Label("Reason (e.g. late entry, clarification, follow-up call)")
            yield Input(id="reason", max_length=200)
            yield Label("Addendum")
            yield Input(id="text", max_length=4000)
            yield self.credentials
            yield Static("", classes="sign-error", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#reason", Input))

    def submit(self, proof: Proof) -> None:
        self.add(
            {"reason": self.query_one("#reason", Input).value, "text": self.query_one("#text", Input).value},
            proof,
        )
