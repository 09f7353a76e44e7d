"""Set a protocol rule aside for this session: pick the rule, say why, Enter. The protocol names who
may: at a nurse's console the physician at the chair types their username and signing PIN."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.domain.vocab import OverrideRule
from widgets.dialog import StoreDialog

# store(rule, reason, username, secret): username and secret are the physician's at the chair
# ("" when the signed-in user decides).
StoreOverride = Callable[[OverrideRule, str, str, str], None]


class OverrideDialog(StoreDialog[OverrideRule]):
    """`store(...)` records it; closes with the rule, or shows the refusal (role, reason, PIN).

    `at_chair`: the signed-in user may not decide (a nurse), so the dialog asks for the physician's
    username and signing PIN (or password), typed in a field that never shows it."""

    DEFAULT_CSS = """
    #override-box { width: 84; border: round $error; }
    #override-rules { height: auto; }
    """

    def __init__(
        self,
        heading: str,
        store: StoreOverride,
        suggested: OverrideRule | None = None,
        at_chair: bool = False,
    ):
        super().__init__()
        self.heading, self.store, self.suggested, self.at_chair = heading, store, suggested, at_chair

    def compose(self) -> ComposeResult:
        with self.body("override-box"):
            yield Static(self.heading, markup=False)
            yield Label("Rule to set aside for this session (arrows, Enter)")
            yield OptionList(
                *[Option(rule.label, id=rule.value) for rule in OverrideRule], id="override-rules"
            )
            if self.at_chair:
                yield Label("Reason (kept with the physician's name and the time), Enter")
                yield Input(id="override-reason", max_length=300)
                yield Label("Physician at the chair: username, Enter")
                yield Input(id="override-by", max_length=40)
                yield Label("Their signing PIN (or password), Enter to record")
                yield Input(id="override-secret", password=True, max_length=128)
            else:
                yield Label("Reason (kept with your name and the time), Enter to record")
                yield Input(id="override-reason", max_length=300)
            yield self.refusal("override-error")

    def on_mount(self) -> None:
        rules = self.query_one("#override-rules", OptionList)
        rules.highlighted = list(OverrideRule).index(self.suggested) if self.suggested else 0
        self.set_focus(rules)

    @on(OptionList.OptionSelected, "#override-rules")
    def _picked(self) -> None:
        self.set_focus(self.query_one("#override-reason", Input))

    @on(Input.Submitted, "#override-reason")
    def _reason_given(self) -> None:
        if self.at_chair:
            self.set_focus(self.query_one("#override-by", Input))
        else:
            self._record()

    @on(Input.Submitted, "#override-by")
    def _named(self) -> None:
        self.set_focus(self.query_one("#override-secret", Input))

    @on(Input.Submitted, "#override-secret")
    def _record(self) -> None:
        rules = self.query_one("#override-rules", OptionList)
        rule = list(OverrideRule)[rules.highlighted or 0]
        reason = self.query_one("#override-reason", Input).value
        username, secret = "", ""
        if self.at_chair:
            username = self.query_one("#override-by", Input).value
            secret_field = self.query_one("#override-secret", Input)
            secret, secret_field.value = secret_field.value, ""  # never kept on screen after a try
        self.save(lambda: self.store(rule, reason, username, secret), rule)
