"""Set a protocol rule aside for this session: pick the rule, say why, Enter. The protocol names who may."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.domain.errors import ChairsideError
from console.domain.vocab import OverrideRule


class OverrideDialog(ModalScreen[bool]):
    """`store(rule, reason)` records it; a refusal (wrong role, no reason) shows here and nothing closes."""

    DEFAULT_CSS = """
    OverrideDialog { align: center middle; }
    #override-box { width: 84; height: auto; border: round $error; padding: 0 1; background: $surface; }
    #override-box Input { width: 100%; }
    #override-rules { height: auto; }
    #override-error { color: $error; height: auto; min-height: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="override.cancel", tooltip="Close; nothing is set aside")
    ]

    def __init__(
        self, heading: str, store: Callable[[str, str], None], suggested: OverrideRule | None = None
    ):
        super().__init__()
        self.heading, self.store, self.suggested = heading, store, suggested

    def compose(self) -> ComposeResult:
        with Vertical(id="override-box"):
            yield Static(self.heading, markup=False)
            yield Label("Rule to set aside for this session (arrows, Enter)")
            yield OptionList(
                *[Option(rule.label, id=rule.value) for rule in OverrideRule], id="override-rules"
            )
            yield Label("Reason (kept with your name and the time), Enter to record")
            yield Input(id="override-reason", max_length=300)
            yield Static("", id="override-error", markup=False)

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
        rule = list(OverrideRule)[rules.highlighted or 0]
        try:
            self.store(rule.value, event.value)
        except ChairsideError as refused:
            self.query_one("#override-error", Static).update(f"⚠ {refused}")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
