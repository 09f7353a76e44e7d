"""Set a protocol rule aside for this session: pick the rule, say why, Enter. The protocol names who may."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.domain.vocab import OverrideRule
from widgets.dialog import StoreDialog


class OverrideDialog(StoreDialog[OverrideRule]):
    """`store(rule, reason)` records it; closes with the rule, or shows the refusal (role, reason)."""

    DEFAULT_CSS = """
    #override-box { width: 84; border: round $error; }
    #override-rules { height: auto; }
    """

    def __init__(
        self, heading: str, store: Callable[[OverrideRule, str], None], suggested: OverrideRule | None = None
    ):
        super().__init__()
        self.heading, self.store, self.suggested = heading, store, suggested

    def compose(self) -> ComposeResult:
        with self.body("override-box"):
            yield Static(self.heading, markup=False)
            yield Label("Rule to set aside for this session (arrows, Enter)")
            yield OptionList(
                *[Option(rule.label, id=rule.value) for rule in OverrideRule], id="override-rules"
            )
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
    def _done(self, event: Input.Submitted) -> None:
        rules = self.query_one("#override-rules", OptionList)
        rule, reason = list(OverrideRule)[rules.highlighted or 0], event.value
        self.save(lambda: self.store(rule, reason), rule)
