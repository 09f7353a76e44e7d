"""Correct a vital-signs reading typed wrongly: the line comes back for editing, Enter saves."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label

from console.chair.reading import Reading
from console.domain.errors import ChairsideError, Conflict
from console.domain.inputs import VitalsIn, parse
from console.domain.quick_vitals import AFTER_PRESSURE, FORMAT_HINT, SessionWindow, parse_quick_vitals
from widgets.dialog import StoreDialog


def quick_line(reading: Reading, zone: ZoneInfo) -> str:
    """A stored reading as the one-line entry it came from."""
    after = " ".join(str(getattr(reading, name)) for name in AFTER_PRESSURE)
    line = f"@{reading.measured_at.astimezone(zone):%H:%M} {reading.systolic}/{reading.diastolic} {after}"
    return line if reading.temperature_c is None else f"{line} {reading.temperature_c:g}"


class CorrectionDialog(StoreDialog[Reading]):
    """`store(reading, values)` corrects `reading` as shown; closes with it, or shows the refusal.

    Corrected meanwhile at another workstation: the refusal shows the reading as stored now, the
    line typed stays, and Enter again corrects the reading now shown (`reread` fetches it).
    """

    DEFAULT_CSS = """
    #correction-box { width: 70; border: round $warning; }
    """

    def __init__(
        self,
        reading: Reading,
        now: datetime,
        zone: ZoneInfo,
        store: Callable[[Reading, dict[str, Any]], object],
        reread: Callable[[int], Reading],
        window: SessionWindow | None = None,
    ) -> None:
        """`window`: the session's; `@HH:MM` is then a time on the session's day, not today."""
        super().__init__()
        self.reading, self.now, self.zone, self.window = reading, now, zone, window
        self.store, self.reread = store, reread

    def compose(self) -> ComposeResult:
        with self.body("correction-box"):
            yield Label(f"Correct this reading ({FORMAT_HINT}); the original stays in the audit trail.")
            yield Input(quick_line(self.reading, self.zone), id="correction-line")
            yield self.refusal("correction-error")

    @on(Input.Submitted, "#correction-line")
    def _save(self, event: Input.Submitted) -> None:
        try:
            values = parse_quick_vitals(event.value, self.now, self.zone, self.window)
            parse(VitalsIn, values)  # refused here, where the nurse is typing, before any round trip
        except ChairsideError as exc:
            self.refuse(str(exc))
            return
        shown = self.reading

        def correct() -> Reading:
            try:
                self.store(shown, values)
            except Conflict:
                self.reading = self.reread(shown.id)  # what Enter corrects next: the reading as it is now
                raise Conflict(
                    "Changed at another workstation since it was shown here; nothing was saved. "
                    f"Now stored: {quick_line(self.reading, self.zone)}. Enter stores your line over it"
                ) from None
            return shown

        self.save_returning(correct)
