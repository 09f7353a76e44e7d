"""The audit viewer: every event of a session or a patient, who and when, and the old and new values."""

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.clinic.handle import Database
from console.domain.errors import ChairsideError
from console.review.audit_trail import TrailEntry
from widgets.context import Clinic
from widgets.footer import KeysFooter
from widgets.plain import plain_cells
from widgets.ui_thread import on_screen

COLUMNS = (("When", 17), ("Who", 10), ("What", 22), ("Record", 22), ("Changes", 60))


class AuditTrailScreen(Screen):
    DEFAULT_CSS = """
    AuditTrailScreen { layout: vertical; }
    #trail-title { height: auto; padding: 0 1; background: $primary; color: $text; text-style: bold; }
    #trail { height: 1fr; }
    #trail-detail { height: auto; max-height: 12; padding: 0 1; background: $boost; }
    """
    BINDINGS = [Binding("escape", "back", "Back", id="trail.back", tooltip="Back")]

    def __init__(self, clinic: Clinic, title: str, load: Callable[[Database], list[TrailEntry]]) -> None:
        super().__init__()
        self.clinic = clinic
        self.heading, self.load = title, load
        self.entries: list[TrailEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(self.heading, id="trail-title", markup=False)
        yield DataTable(id="trail", cursor_type="row", zebra_stripes=True)
        yield Static("", id="trail-detail", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#trail", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        table.loading = True
        self._load()

    @work(thread=True, group="trail")
    def _load(self) -> None:
        try:
            entries = self.load(self.clinic.db)
        except ChairsideError as error:
            on_screen(self, self.query_one("#trail-detail", Static).update, f"⚠ {error}")
            return
        on_screen(self, self._show, entries)

    def _show(self, entries: list[TrailEntry]) -> None:
        self.entries = entries
        zone = self.clinic.zone
        table = self.query_one("#trail", DataTable)
        table.loading = False
        for entry in entries:
            table.add_row(
                *plain_cells(
                    f"{entry.at.astimezone(zone):%Y-%m-%d %H:%M}",
                    entry.actor,
                    entry.action,
                    f"{entry.entity.replace('_', ' ')} {entry.entity_id}",
                    entry.summary(),
                ),
                key=str(entry.event_id),
            )
        self.set_focus(table)
        if not entries:
            self.query_one("#trail-detail", Static).update("No events.")

    @on(DataTable.RowHighlighted, "#trail")
    def _detail(self, event: DataTable.RowHighlighted) -> None:
        entry = next((e for e in self.entries if str(e.event_id) == event.row_key.value), None)
        if entry is None:
            return
        zone = self.clinic.zone
        lines = [f"Event {entry.event_id} · {entry.at.astimezone(zone):%Y-%m-%d %H:%M:%S %Z} · {entry.actor}"]
        lines += [f"  {c.field}: {c.old if c.old is not None else '—'} → {c.new}" for c in entry.changes]
        self.query_one("#trail-detail", Static).update("\n".join(lines))

    def action_back(self) -> None:
        self.app.pop_screen()
