"""Correct a vital-signs reading typed wrongly: the line comes back for editing, Enter saves."""

from datetime import datetime
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from console.domain.errors import ChairsideError
from console.domain.inputs import VitalsIn, parse
from console.domain.quick_vitals import FORMAT_HINT, parse_quick_vitals


def quick_line(reading, zone: ZoneInfo) -> str:
    """A stored reading as the one-line entry it came from."""
    line = (
        f"@{reading.measured_at.astimezone(zone):%H:%M} {reading.systolic}/{reading.diastolic} "
        f"{reading.heart_rate} {reading.spo2} {reading.resp_rate} {reading.moaas}"
    )
    return line if reading.temperature_c is None else f"{line} {reading.temperature_c:g}"


class CorrectionDialog(ModalScreen[dict | None]):
    """Returns the corrected reading's fields, already validated, or None when cancelled."""

    DEFAULT_CSS = """
    CorrectionDialog { align: center middle; }
    #correction-box { width: 70; height: auto; border: round $warning; padding: 0 1; background: $surface; }
    #correction-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="correction.cancel", tooltip="Keep the reading as it is")
    ]

    def __init__(self, reading, now: datetime, zone: ZoneInfo) -> None:
        super().__init__()
        self.reading, self.now, self.zone = reading, now, zone

    def compose(self) -> ComposeResult:
        with Vertical(id="correction-box"):
            yield Label(f"Correct this reading ({FORMAT_HINT}); the original stays in the audit trail.")
            yield Input(quick_line(self.reading, self.zone), id="correction-line")
            yield Static("", id="correction-error", markup=False)

    @on(Input.Submitted, "#correction-line")
    def _save(self, event: Input.Submitted) -> None:
        try:
            values = parse_quick_vitals(event.value, self.now, self.zone)
            parse(VitalsIn, values)
        except ChairsideError as exc:
            self.query_one("#correction-error", Static).update(f"⚠ {exc}")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
