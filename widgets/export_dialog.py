"""The end-of-day export from the board: the days, the folder, Enter; a progress bar while it runs."""

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, ProgressBar, RadioSet, Static

from console.domain.errors import ChairsideError
from console.domain.inputs import QueueDatesIn, parse
from console.export.files import export
from console.export.modes import Mode
from console.export.request import ExportRequest, Format
from widgets.context import Clinic
from widgets.tick import Choice, TickBox
from widgets.ui_thread import on_screen


def default_folder(day: date) -> Path:
    return Path.home() / "chairside-exports" / day.isoformat()


FORMATS: dict[Format, str] = {"csv": "CSV files", "xlsx": "Spreadsheet (.xlsx)", "fhir": "FHIR R4B bundle"}
MODES = {
    Mode.IDENTIFIED: "Identified",
    Mode.LIMITED: "Limited data set",
    Mode.SAFE_HARBOR: "Safe Harbor",
}
MODE_SAYS = {  # what each kind of export leaves out, said where it is chosen
    Mode.IDENTIFIED: "Names, MRNs, notes and dates as recorded: for the clinic and its own staff.",
    Mode.LIMITED: "No names, MRNs or free text; dates kept. Only under a data use agreement.",
    Mode.SAFE_HARBOR: "De-identified: no names, MRNs, free text, dates or record keys. CSV or xlsx.",
}


class ExportDialog(ModalScreen[Path | None]):
    """Returns the folder written, or None when closed without exporting."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    #export-box {
        width: 84; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface;
    }
    #export-box Input { width: 100%; }
    #export-box Checkbox { border: none; height: 1; padding: 0; }
    /* each choice on one line, so the whole dialog fits a 24-line terminal */
    #export-box RadioSet { layout: horizontal; border: none; height: 1; width: 1fr; padding: 0; }
    #export-box RadioButton { border: none; height: 1; width: auto; padding: 0 2 0 0; }
    .choice-row { height: 1; }
    .choice-row Label { width: 10; }
    #export-mode-says { color: $text-muted; height: 1; }
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
        self.steps: list[str] = []  # the steps of the export running, as its progress names them

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label("First day (YYYY-MM-DD)")
            yield Input(self.day.isoformat(), id="export-from", max_length=10)
            yield Label("Last day (YYYY-MM-DD)")
            yield Input(self.day.isoformat(), id="export-to", max_length=10)
            yield Label("Folder, Enter to export")
            yield Input(str(default_folder(self.day)), id="export-out")
            with Horizontal(classes="choice-row"):
                yield Label("Format")
                with RadioSet(id="export-format"):
                    for key, label in FORMATS.items():
                        yield Choice(label, value=key == "csv", id=f"format-{key}")
            with Horizontal(classes="choice-row"):
                yield Label("Patients")
                with RadioSet(id="export-mode"):
                    for mode, label in MODES.items():
                        yield Choice(label, value=mode is Mode.IDENTIFIED, id=f"mode-{mode.value}")
            yield Static(MODE_SAYS[Mode.IDENTIFIED], id="export-mode-says", markup=False)
            yield TickBox("Overwrite an export already in the folder", id="export-force")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-result", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#export-out", Input))

    @on(RadioSet.Changed, "#export-mode")
    def _mode_chosen(self) -> None:
        self.query_one("#export-mode-says", Static).update(MODE_SAYS[self._mode()])

    def _chosen(self, radio_set: str, prefix: str) -> str:
        pressed = self.query_one(radio_set, RadioSet).pressed_button
        return (pressed.id or "").removeprefix(prefix) if pressed else ""

    def _format(self) -> Format:
        chosen = self._chosen("#export-format", "format-")
        return next((key for key in FORMATS if key == chosen), "csv")

    def _mode(self) -> Mode:
        return Mode(self._chosen("#export-mode", "mode-") or Mode.IDENTIFIED)

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
            format=self._format(),
            mode=self._mode(),
            force=self.query_one("#export-force", Checkbox).value,
            tolerance_mg=settings.protocol.reconciliation_tolerance_mg,
            billing=settings.protocol.billing,
            thresholds=settings.protocol.thresholds,
        )
        self.steps = request.steps
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
        """One step per file or sheet: how many rows one will have is known only once it is written."""
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=len(self.steps), progress=self.steps.index(name) if name in self.steps else 0)
        self.query_one("#export-result", Static).update(f"Exporting {name}: {rows:,} written…")

    def _done(self, text: str, written: Path | None) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=len(self.steps), progress=len(self.steps) if written else 0)
        self.query_one("#export-result", Static).update(text)
        self.written = written or self.written  # a refused retry does not undo the export before it

    def action_close(self) -> None:
        self.dismiss(self.written)
