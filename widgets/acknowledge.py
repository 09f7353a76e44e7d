"""Acknowledge a safety alert: pick it, say what was seen or done, Enter."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from console.chair.alert_shown import AlertShown
from widgets.dialog import StoreDialog


class AcknowledgeDialog(StoreDialog[AlertShown]):
    """`store(alert, note)` records the acknowledgement; closes with the alert, or shows the refusal."""

    DEFAULT_CSS = """
    #ack-box { width: 76; border: round $warning; }
    #ack-list { height: auto; max-height: 8; }
    """

    def __init__(self, open_alerts: list[AlertShown], store: Callable[[AlertShown, str], None]) -> None:
        super().__init__()
        self.open_alerts, self.store = open_alerts, store

    def compose(self) -> ComposeResult:
        with self.body("ack-box"):
            yield Label("Open alert (arrows, Enter)")
            yield OptionList(*[Option(a.message, id=str(a.id)) for a in self.open_alerts], id="ack-list")
            yield Label("What was seen or done (e.g. 'rechecked, physician informed'), Enter to acknowledge")
            yield Input(id="ack-note", max_length=300)
            yield self.refusal("ack-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#ack-list", OptionList))

    @on(OptionList.OptionSelected, "#ack-list")
    def _picked(self) -> None:
        self.set_focus(self.query_one("#ack-note", Input))

    @on(Input.Submitted, "#ack-note")
    def _done(self, event: Input.Submitted) -> None:
        highlighted = self.query_one("#ack-list", OptionList).highlighted
        if highlighted is None:
            self.refuse("Pick the alert to acknowledge.")
            return
        if len(event.value.strip()) < 2:
            self.refuse("Say what was seen or done (2 to 300 characters).")
            return
        alert, note = self.open_alerts[highlighted], event.value
        self.save(lambda: self.store(alert, note), alert)
