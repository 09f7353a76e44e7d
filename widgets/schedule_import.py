"""Import the scheduling system's CSV from the board: type the file's path, Enter."""

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from console.chair.schedule_import import COLUMNS, import_schedule, read_schedule
from console.domain.errors import ChairsideError
from widgets.context import Clinic
from widgets.ui_thread import on_screen


class ImportDialog(ModalScreen[bool]):
    """Returns True when sessions were imported."""

    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    #import-box {
        width: 80; height: auto; max-height: 90%; border: round $accent; background: $surface; padding: 0 1;
    }
    #import-result { height: auto; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="import.close", tooltip="Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Label(f"Schedule file (CSV with columns {', '.join(COLUMNS)}), Enter to import")
            yield Input(id="import-path", placeholder="/path/to/schedule.csv")
            yield Static("", id="import-result", markup=False)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.imported = False  # sessions were imported: the board reloads when the dialog closes

    @on(Input.Submitted, "#import-path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one("#import-result", Static).update("Importing…")
        self._import(event.value.strip())

    @work(thread=True, exclusive=True, group="import")
    def _import(self, path: str) -> None:
        try:
            clinic = self.clinic
            rows = read_schedule(Path(path).expanduser())
            horizon = clinic.settings.schedule_horizon_days
            plan = clinic.protocol.series
            result = import_schedule(clinic.db, clinic.actor, rows, horizon, clinic.zone, plan)
        except ChairsideError as exc:
            on_screen(self, self._show, f"⚠ {exc}", False)
            return
        if result.problems:
            lines = "\n".join(result.problems[:15])
            more = f"\n… and {len(result.problems) - 15} more" if len(result.problems) > 15 else ""
            refused = result.refused()
            imported = result.sessions_created > 0
            on_screen(self, self._show, f"⚠ {refused[0].upper()}{refused[1:]}:\n{lines}{more}", imported)
            return
        text = (
            f"✓ Imported {result.sessions_created} session(s), {result.patients_created} new patient(s), "
            f"{result.already_booked} already booked. Esc returns to the board."
        )
        on_screen(self, self._show, text, result.sessions_created > 0)

    def _show(self, text: str, imported: bool) -> None:
        self.query_one("#import-result", Static).update(text)
        self.imported = self.imported or imported  # a refused retry does not undo the import before it

    def action_close(self) -> None:
        self.dismiss(self.imported)
