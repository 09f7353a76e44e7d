"""Acknowledge a safety alert: pick it, say what was seen or done, Enter. A PHQ-9 item 9 answer is
acknowledged by the physician with the C-SSRS screener's six answers."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.chair.alert_shown import AlertShown
from console.domain import cssrs
from console.domain.alert_rules import AlertRule
from console.domain.errors import InvalidInput
from widgets.dialog import StoreDialog

# store(alert, note, screener): the screener's answers for a PHQ-9 item 9 alert, else None
StoreAcknowledgement = Callable[[AlertShown, str, tuple[bool, ...] | None], None]


class AcknowledgeDialog(StoreDialog[AlertShown]):
    """`store(...)` records the acknowledgement; closes with the alert, or shows the refusal."""

    DEFAULT_CSS = """
    #ack-box { width: 76; border: round $warning; }
    #ack-list { height: auto; max-height: 8; }
    #cssrs-box { height: auto; display: none; }
    #cssrs-questions { height: auto; max-height: 9; }
    """

    def __init__(self, open_alerts: list[AlertShown], store: StoreAcknowledgement, physician: bool) -> None:
        """`physician`: the one acknowledging asks the screener (to anyone else, the service says
        who must)."""
        super().__init__()
        self.open_alerts, self.store, self.physician = open_alerts, store, physician

    def compose(self) -> ComposeResult:
        with self.body("ack-box"):
            yield Label("Open alert (arrows, Enter)")
            yield OptionList(*[Option(a.message, id=str(a.id)) for a in self.open_alerts], id="ack-list")
            with Vertical(id="cssrs-box"):
                yield Label("C-SSRS screener: ask each question; y or n in order (e.g. ynnnnn), Enter")
                with VerticalScroll(id="cssrs-questions"):
                    yield Static(
                        "\n".join(f"{n}. {q}" for n, q in enumerate(cssrs.QUESTIONS, 1)), markup=False
                    )
                yield Input(id="cssrs", max_length=20)
            yield Label("What was seen or done (e.g. 'rechecked, physician informed'), Enter to acknowledge")
            yield Input(id="ack-note", max_length=300)
            yield self.refusal("ack-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#ack-list", OptionList))
        self._screen_if_self_harm()

    def _picked_alert(self) -> AlertShown | None:
        highlighted = self.query_one("#ack-list", OptionList).highlighted
        return None if highlighted is None else self.open_alerts[highlighted]

    def _asks_screener(self) -> bool:
        alert = self._picked_alert()
        return self.physician and alert is not None and alert.rule == AlertRule.PHQ9_SELF_HARM

    @on(OptionList.OptionHighlighted, "#ack-list")
    def _screen_if_self_harm(self) -> None:
        self.query_one("#cssrs-box").display = self._asks_screener()

    @on(OptionList.OptionSelected, "#ack-list")
    def _picked(self) -> None:
        self.set_focus(self.query_one("#cssrs" if self._asks_screener() else "#ack-note", Input))

    @on(Input.Submitted, "#cssrs")
    def _screened(self, event: Input.Submitted) -> None:
        try:
            cssrs.parse_answers(event.value)
        except InvalidInput as refused:
            self.refuse(str(refused))
            return
        self.refuse("")
        self.set_focus(self.query_one("#ack-note", Input))

    @on(Input.Submitted, "#ack-note")
    def _done(self, event: Input.Submitted) -> None:
        alert = self._picked_alert()
        if alert is None:
            self.refuse("Pick the alert to acknowledge.")
            return
        if len(event.value.strip()) < 2:
            self.refuse("Say what was seen or done (2 to 300 characters).")
            return
        screener, typed = None, self.query_one("#cssrs", Input).value
        if self._asks_screener():
            try:
                screener = cssrs.parse_answers(typed)
            except InvalidInput as refused:
                self.refuse(str(refused))
                self.set_focus(self.query_one("#cssrs", Input))
                return
        note = event.value
        self.save(lambda: self.store(alert, note, screener), alert)
