"""The Today board: the day's sessions in time order, refreshed from the database every 2 seconds."""

from datetime import date, datetime, timedelta

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from console.board import BoardRow, day_sessions
from console.vocab import Method, SessionStatus

REFRESH_SECONDS = 2.0

# A symbol and a word for every status, so nothing depends on colour.
STATUS_TEXT = {
    SessionStatus.SCHEDULED: "○ Scheduled",
    SessionStatus.CHECKED_IN: "● Checked in",
    SessionStatus.IN_TREATMENT: "▶ In treatment",
    SessionStatus.OBSERVATION: "◐ Observation",
    SessionStatus.DISCHARGED: "✓ Discharged",
    SessionStatus.NO_SHOW: "✗ No-show",
    SessionStatus.CANCELLED: "⊘ Cancelled",
}
COLUMNS = (
    ("Time", 5),
    ("Chair", 5),
    ("Patient", 22),
    ("Age", 3),
    ("Method", 6),
    ("Status", 14),
    ("In chair", 8),
    ("Vitals", 6),
    ("Pain", 7),
)


class TodayScreen(Screen):
    """Home screen after sign-in."""

    DEFAULT_CSS = """
    TodayScreen { layout: vertical; }
    #board-title { height: 1; padding: 0 1; background: $primary; color: $text; text-style: bold; }
    #board { height: 1fr; }
    #board-empty { height: auto; padding: 1 2; display: none; }
    #board-empty.shown { display: block; }
    """
    BINDINGS = [
        Binding(
            "left_square_bracket",
            "previous_day",
            "Prev day",
            id="board.previous_day",
            tooltip="Show the day before",
        ),
        Binding(
            "right_square_bracket", "next_day", "Next day", id="board.next_day", tooltip="Show the day after"
        ),
        Binding("ctrl+t", "today", "Today", id="board.today", tooltip="Back to today"),
        Binding("f5", "refresh", "Refresh", id="board.refresh", tooltip="Reload the board now"),
        Binding("ctrl+o", "sign_out", "Sign out", id="board.sign_out", tooltip="Sign out of Chairside"),
    ]

    day: reactive[date] = reactive(date.min, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[BoardRow] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="board-title")
        table = DataTable(id="board", cursor_type="row", zebra_stripes=True)
        table.loading = True
        yield table
        yield Static("No sessions on this day.", id="board-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#board", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)
        self.day = self.app.today()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def watch_day(self) -> None:
        self._shown = None
        self._update_title()
        self.query_one("#board", DataTable).loading = True
        self.action_refresh()

    def _update_title(self) -> None:
        app = self.app
        marker = "" if self.day == app.today() else "  (not today)"
        self.query_one("#board-title", Static).update(
            f"{app.settings.clinic_name} · {self.day:%A %d %B %Y}{marker} · {app.actor.display_name}"
        )

    def action_refresh(self) -> None:
        self._load(self.day)

    @work(thread=True, exclusive=True, group="board")
    def _load(self, day: date) -> None:
        rows = day_sessions(self.app.db, day)
        self.app.call_from_thread(self._show, day, rows)

    def _show(self, day: date, rows: list[BoardRow]) -> None:
        if day != self.day:
            return  # the user moved on to another day while this one loaded
        table = self.query_one("#board", DataTable)
        table.loading = False
        self.query_one("#board-empty").set_class(not rows, "shown")
        if rows == self._shown:
            self._refresh_clock_columns(table, rows)
            return
        cursor_key = self._cursor_key(table)
        with self.app.batch_update():
            table.clear()
            for row in rows:
                table.add_row(*self._cells(row), key=str(row.session_id))
        self._shown = rows
        if cursor_key is not None and cursor_key in {str(r.session_id) for r in rows}:
            table.move_cursor(row=table.get_row_index(cursor_key))

    def _refresh_clock_columns(self, table: DataTable, rows: list[BoardRow]) -> None:
        for row in rows:
            table.update_cell(str(row.session_id), "In chair", self._in_chair(row))

    @staticmethod
    def _cursor_key(table: DataTable) -> str | None:
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _cells(self, row: BoardRow) -> tuple[str, ...]:
        return (
            f"{row.scheduled_time:%H:%M}",
            row.chair,
            row.patient_name,
            str(row.age_on(self.day)),
            "IV" if row.method is Method.IV else "Nasal",
            STATUS_TEXT[row.status],
            self._in_chair(row),
            self._local(row.last_vitals_at),
            self._pain(row),
        )

    def _in_chair(self, row: BoardRow) -> str:
        if row.checked_in_at is None:
            return ""
        until = row.discharged_at or self.app.clock.now()
        minutes = max(0, int((until - row.checked_in_at).total_seconds() // 60))
        return f"{minutes // 60}h{minutes % 60:02d}"

    def _local(self, at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(self.app.settings.zone):%H:%M}"

    @staticmethod
    def _pain(row: BoardRow) -> str:
        if row.pain_before is None:
            return ""
        after = "" if row.pain_after is None else str(row.pain_after)
        return f"{row.pain_before}→{after}"

    def action_previous_day(self) -> None:
        self.day -= timedelta(days=1)

    def action_next_day(self) -> None:
        self.day += timedelta(days=1)

    def action_today(self) -> None:
        self.day = self.app.today()

    def action_sign_out(self) -> None:
        self.app.sign_out()
