"""The end-of-day export from the board: the days, the folder, Enter; a progress bar while it runs."""

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, ProgressBar, Static

from console.domain.errors import ChairsideError
from console.domain.inputs import QueueDatesIn, parse
from console.export.files import export
from console.export.modes import Mode
from console.export.request import ExportRequest
from widgets.context import Clinic
from widgets.tick import TickBox
from widgets.ui_thread import on_screen


def default_folder(day: date) -> Path:
    return Path.home() / "chairside-exports" / day.isoformat()


class ExportDialog(ModalScreen[Path | None]):
    """Returns the folder written, or None when closed without exporting."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    #export-box {
        width: 84; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface;
    }
    #export-box Input { width: 100%; }
    #export-box Checkbox { border: none; height: 1; padding: 0; }  /* three options fit a 24-line terminal */
    #export-result { height: auto; min-height: 1; }
    #export-progress { display: none; }
    #export-progress.running { display: block; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="export.close", tooltip="Close")]

    def __init__(self, clinic: Clinic, day: date) -> None:
        super().__init__()
        self.clinic = clinic
        self.day = day
        self.written: Path | None = None
        self.files: list[str] = []  # the files of the export running

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label("First day (YYYY-MM-DD)")
            yield Input(self.day.isoformat(), id="export-from", max_length=10)
            yield Label("Last day (YYYY-MM-DD)")
            yield Input(self.day.isoformat(), id="export-to", max_length=10)
            yield Label("Folder, Enter to export")
            yield Input(str(default_folder(self.day)), id="export-out")
            yield TickBox("FHIR R4B bundle instead of the CSV files", id="export-fhir")
            yield TickBox(
                "De-identified, HIPAA Safe Harbor (no names, MRNs, free text or dates; CSV only)",
                id="export-deidentify",
            )
            yield TickBox("Overwrite an export already in the folder", id="export-force")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-result", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#export-out", Input))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "export-out":
            fields = list(self.query(Input))
            self.set_focus(fields[fields.index(event.input) + 1])
            return
        try:
            days = parse(
                QueueDatesIn,
                {  # an empty day means the board's day
                    "date_from": self.query_one("#export-from", Input).value or None,
                    "date_to": self.query_one("#export-to", Input).value or None,
                },
            )
        except ChairsideError as refused:
            self.query_one("#export-result", Static).update(f"⚠ {refused}")
            return
        settings = self.clinic.settings
        request = ExportRequest(
            date_from=days.date_from or self.day,
            date_to=days.date_to or days.date_from or self.day,
            out=Path(event.value.strip()).expanduser(),
            format="fhir" if self.query_one("#export-fhir", Checkbox).value else "csv",
            mode=Mode.SAFE_HARBOR
            if self.query_one("#export-deidentify", Checkbox).value
            else Mode.IDENTIFIED,
            force=self.query_one("#export-force", Checkbox).value,
            tolerance_mg=settings.protocol.reconciliation_tolerance_mg,
            billing=settings.protocol.billing,
        )
        self.files = request.files
        self.query_one("#export-progress", ProgressBar).add_class("running")
        self.query_one("#export-result", Static).update("Exporting…")
        self._export(request)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, request: ExportRequest) -> None:
        clinic = self.clinic

        def progress(name: str, rows: int) -> None:
            on_screen(self, self._progress, name, rows)

        try:
            manifest = export(
                clinic.db, clinic.actor.username, request, clinic.zone, progress, clinic.settings.anchor_file
            )
        except ChairsideError as refused:
            on_screen(self, self._done, f"⚠ {refused}", None)
            return
        counts = ", ".join(f"{name} {rows}" for name, rows in manifest.rows.items())
        on_screen(self, self._done, f"✓ Exported to {request.out}: {counts}. Esc closes.", request.out)

    def _progress(self, name: str, rows: int) -> None:
        """One step per file: how many rows a file will have is known only once it is written."""
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=len(self.files), progress=self.files.index(name))
        self.query_one("#export-result", Static).update(f"Exporting {name}: {rows:,} written…")

    def _done(self, text: str, written: Path | None) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=len(self.files), progress=len(self.files) if written else 0)
        self.query_one("#export-result", Static).update(text)
        self.written = written or self.written  # a refused retry does not undo the export before it

    def action_close(self) -> None:
        self.dismiss(self.written)
