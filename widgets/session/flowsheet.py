"""The vitals flowsheet with its trend lines, shown alike at the chair and in the physician's review."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Sparkline

from console.chair.reading import Reading
from console.chair.session_view import SessionView
from console.domain.vitals_fields import VITALS_FIELDS
from console.review import record_text
from widgets.plain import plain_cells

TRENDS: dict[str, tuple[str, Callable[[Reading], int]]] = {
    "sbp": ("SBP", lambda r: r.systolic),
    "hr": ("HR", lambda r: r.heart_rate),
    "spo2": ("SpO2", lambda r: r.spo2),
}
# The time has room for ✎ (corrected) and ↧ (entered late) beside it; each vital sign's column is
# as wide as its table says (console.domain.vitals_fields).
TIME_COLUMN = ("Time", 7)


class Flowsheet(Vertical):
    """One row per reading, keyed by its id, and a sparkline per trend."""

    DEFAULT_CSS = """
    Flowsheet { height: auto; }
    Flowsheet .spark-row { height: 1; }
    Flowsheet .spark-row Label { width: 15; }
    Flowsheet .spark-row Sparkline { width: 1fr; }
    """

    def __init__(
        self,
        table_id: str,
        *,
        trends: tuple[str, ...],
        by_width: int,
        newest_first: bool,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.table_id = table_id
        self.trends = trends
        self.by_width = by_width
        self.newest_first = newest_first  # at the chair the latest reading is always in view

    def compose(self) -> ComposeResult:
        yield DataTable(id=self.table_id, cursor_type="row", zebra_stripes=True)
        for key in self.trends:
            with Horizontal(classes="spark-row"):
                yield Label(TRENDS[key][0], id=f"spark-{key}-range")
                yield Sparkline([], id=f"spark-{key}")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        signs = {field.heading: field.width for field in VITALS_FIELDS}
        for label, width in (TIME_COLUMN, *signs.items(), ("By", self.by_width)):
            table.add_column(label, width=width)

    def show(self, view: SessionView, zone: ZoneInfo) -> None:
        table = self.query_one(DataTable)
        table.clear()
        readings = reversed(view.vitals) if self.newest_first else view.vitals
        for reading in readings:
            cells = plain_cells(*record_text.vitals_cells(reading, view, zone))
            for index in record_text.flagged_cells(reading, view):  # ⚠ and bold: never colour alone
                cells[index].plain = f"⚠{cells[index].plain}"
                cells[index].stylize("bold")
            table.add_row(*cells, key=str(reading.id))
        for key in self.trends:
            name, value = TRENDS[key]
            values = [value(r) for r in view.vitals]
            self.query_one(f"#spark-{key}", Sparkline).data = values
            scale = f" {min(values)} to {max(values)}" if values else ""  # the line's range, low to high
            self.query_one(f"#spark-{key}-range", Label).update(f"{name}{scale}")
