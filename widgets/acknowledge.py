"""Acknowledge a safety alert: pick it, say what was seen or done, Enter."""

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class AcknowledgeDialog(ModalScreen[dict | None]):
    """Returns the alert's id, version and the acknowledgement, or None when cancelled."""

    DEFAULT_CSS = """
    AcknowledgeDialog { align: center middle; }
    #ack-box { width: 76; height: auto; border: round $warning; padding: 0 1; background: $surface; }
    #ack-list { height: auto; max-height: 8; }
    #ack-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ack.cancel", tooltip="Close; the alert stays open")]

    def __init__(self, open_alerts: list) -> None:
        super().__init__()
        self.open_alerts = open_alerts

    def compose(self) -> ComposeResult:
        with Vertical(id="ack-box"):
            yield Label("Open alert (arrows, Enter)")
            yield OptionList(*[Option(a.message, id=str(a.id)) for a in self.open_alerts], id="ack-list")
            yield Label("What was seen or done (e.g. 'rechecked, physician informed'), Enter to acknowledge")
            yield Input(id="ack-note", max_length=300)
            yield Static("", id="ack-error", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#ack-list", OptionList))

    @on(OptionList.OptionSelected, "#ack-list")
    def _picked(self) -> None:
        self.set_focus(self.query_one("#ack-note", Input))

    @on(Input.Submitted, "#ack-note")
    def _done(self, event: Input.Submitted) -> None:
        highlighted = self.query_one("#ack-list", OptionList).highlighted
        if highlighted is None:
            self.query_one("#ack-error", Static).update("⚠ Pick the alert to acknowledge.")
            return
        if len(event.value.strip()) < 2:
            self.query_one("#ack-error", Static).update("⚠ Say what was seen or done (2 to 300 characters).")
            return
        alert = self.open_alerts[highlighted]
        self.dismiss({"id": alert.id, "version": alert.version, "note": event.value})

    def action_cancel(self) -> None:
        self.dismiss(None)
