"""Signing dialogs: a session signature (meaning, then proof) and a signed addendum (reason, text, proof)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.domain.errors import ChairsideError, Conflict, InvalidInput
from console.domain.vocab import SignatureMeaning
from console.review.signing import Proof, SigningSitting
from widgets.credentials import Credentials
from widgets.dialog import StoreDialog

Result = TypeVar("Result")


@dataclass(frozen=True)
class AddendumText:
    """What an addendum says, as its author signed it."""

    reason: str
    text: str


MEANINGS = {
    SignatureMeaning.APPROVED: "Approved: I have reviewed this session and approve the treatment given",
    SignatureMeaning.REVIEWED: "Reviewed: I have reviewed this session",
}


class SigningDialog(StoreDialog[Result]):
    """A heading, the fields, the proof and one error line; signed the way every `StoreDialog` saves."""

    DEFAULT_CSS = """
    .sign-box { width: 84; border: round $accent; }
    .sign-title { text-style: bold; }
    #meaning { height: auto; }
    """

    BINDINGS = [Binding("enter", "enter", "Next / sign", id="sign.enter", priority=True, show=False)]

    class SubmitRequested(Message):
        """Sent through the last field's queue: it arrives after every key typed into it before Enter."""

    def __init__(self, heading: str, needs_password: bool, sitting: SigningSitting) -> None:
        super().__init__()
        self.heading = heading
        self.credentials = Credentials(sitting, needs_password)

    def error_line(self) -> Static:
        return self.refusal("sign-error").add_class("sign-error")

    def signing(self, proof: Proof) -> tuple[Callable[[], object], Result]:
        """The service call that signs with `proof`, and what the dialog closes with once it is done."""
        raise NotImplementedError

    def _proof_done(self) -> None:
        store, result = self.signing(self.credentials.proof())  # read here, on the UI thread
        self.save(store, result)
        if self._saving:
            self.refuse("Signing…")

    def refuse(self, message: str) -> None:
        self.query_one(".dialog-error", Static).update(
            message if message in ("", "Signing…") else f"⚠ {message}"
        )

    def after_refusal(self, refused: ChairsideError) -> None:
        if isinstance(refused, Conflict):  # the record changed under the signer: back to it, nothing signed
            self.dismiss(None)
            return
        if isinstance(refused, InvalidInput) and refused.field in {"reason", "text", "meaning"}:
            self.set_focus(self.query_one(f"#{refused.field}", Input))
            return
        self.credentials.clear_secret()
        self.set_focus(self.credentials.last)

    def action_enter(self) -> None:
        """Focus moves at once, so the keys typed next (a PIN typed fast) land in the next field."""
        focused = self.focused
        if isinstance(focused, OptionList):
            self.set_focus(self.credentials.first)  # the highlighted meaning is the one chosen
        elif focused is self.credentials.last:
            focused.post_message(self.SubmitRequested())
        elif isinstance(focused, Input):
            fields = list(self.query(Input))
            self.set_focus(fields[fields.index(focused) + 1])

    @on(SubmitRequested)
    def _submit(self) -> None:
        if not self.credentials.last.value:
            self.refuse("Type your signing PIN (or password): nothing was typed, so nothing was checked.")
            self.set_focus(self.credentials.last)
            return
        self._proof_done()


class SignDialog(SigningDialog[SignatureMeaning]):
    """Choose the meaning (arrows, Enter), then prove who you are; Enter signs; closes with the meaning."""

    def __init__(
        self,
        heading: str,
        needs_password: bool,
        sitting: SigningSitting,
        sign: Callable[[SignatureMeaning, Proof], None],
    ) -> None:
        super().__init__(heading, needs_password, sitting)
        self.sign = sign

    def compose(self) -> ComposeResult:
        with self.body("sign-box").add_class("sign-box"):
            yield Static(self.heading, classes="sign-title", markup=False)
            yield Label("Meaning of this signature (arrows, Enter)")
            yield OptionList(
                *[Option(text, id=meaning.value) for meaning, text in MEANINGS.items()], id="meaning"
            )
            yield self.credentials
            yield self.error_line()

    def on_mount(self) -> None:
        meanings = self.query_one("#meaning", OptionList)
        meanings.highlighted = 0
        self.set_focus(meanings)

    @on(OptionList.OptionSelected, "#meaning")
    def _meaning_chosen(self) -> None:
        self.set_focus(self.credentials.first)

    def signing(self, proof: Proof) -> tuple[Callable[[], object], SignatureMeaning]:
        meanings = self.query_one("#meaning", OptionList)
        meaning = list(MEANINGS)[meanings.highlighted or 0]  # the options are listed in MEANINGS' order
        return lambda: self.sign(meaning, proof), meaning


class AddendumDialog(SigningDialog[AddendumText]):
    """Reason, text, then proof: the addendum is signed by its author as it is saved; closes with it."""

    def __init__(
        self,
        heading: str,
        needs_password: bool,
        sitting: SigningSitting,
        add: Callable[[dict[str, str], Proof], None],
    ) -> None:
        super().__init__(heading, needs_password, sitting)
        self.add = add

    def compose(self) -> ComposeResult:
        with self.body("sign-box").add_class("sign-box"):
            yield Static(self.heading, classes="sign-title", markup=False)
            yield Label("Reason (e.g. late entry, clarification, follow-up call)")
            yield Input(id="reason", max_length=200)
            yield Label("Addendum")
            yield Input(id="text", max_length=4000)
            yield self.credentials
            yield self.error_line()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#reason", Input))

    def signing(self, proof: Proof) -> tuple[Callable[[], object], AddendumText]:
        written = AddendumText(self.query_one("#reason", Input).value, self.query_one("#text", Input).value)
        return lambda: self.add({"reason": written.reason, "text": written.text}, proof), written
