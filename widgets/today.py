"""The Today board: the day's sessions in time order, refreshed from the database every 2 seconds.

About 400 lines: the board, the scan box that must accept a scanner's keys and no others, day
navigation and booking and export are the one screen a nurse lives in; each is small.
"""

from datetime import date, datetime, timedelta
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from console.chair.board import BoardRow, session_to_open
from console.chair.overdue import board_for
from console.chair.vitals_due import describe_due
from console.clinic.patients import normalise_mrn
from console.domain.errors import ChairsideError
from console.domain.vocab import Method, SessionStatus
from console.review.returns import ReturnedSession, returned_sessions
from widgets.context import Clinic
from widgets.footer import KeysFooter
from widgets.login import SignOut
from widgets.plain import plain_cells
from widgets.session import SessionScreen
from widgets.ui_thread import on_screen

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
# Most urgent first, so an 80-column terminal shows who, where, what state and what is due.
COLUMNS = (
    ("Time", 5),
    ("Chair", 5),
    ("Patient", 20),
    ("Status", 14),
    ("Alerts", 7),
    ("Next vitals", 15),
    ("Method", 6),
    ("Age", 3),
    ("In chair", 8),
    ("Pain", 5),
    ("Mood", 4),  # PHQ-9 and GAD-7 due (or done) on the protocol's schedule
    ("Tests", 7),  # monitoring tests overdue: the first, and how many more
    ("MRN", 20),  # the longest MRN there is: two patients never show the same cut-off number
)


class ScanInput(Input):
    """The scan / search box: takes every key a wristband MRN or a name can contain, and no more."""

    # Left to the board: day navigation, which no MRN or name needs.
    PASSED_ON = frozenset("[]")

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character not in self.PASSED_ON and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.character in self.PASSED_ON:
            event.prevent_default()  # let it bubble to the board's binding instead of typing it


class TodayScreen(Screen):
    """Home screen after sign-in."""

    DEFAULT_CSS = """
    TodayScreen { layout: vertical; }
    #board-title { height: 1; padding: 0 1; background: $primary; color: $text; text-style: bold; }
    #scan { border: none; height: 1; padding: 0 1; background: $boost; }
    #scan:focus { background: $accent 30%; }
    #board { height: 1fr; }
    #board-message { height: auto; padding: 0 1; color: $warning; }
    #board-returned { height: auto; padding: 0 1; background: $warning 20%; display: none; }
    #board-returned.shown { display: block; }
    #board-empty { height: auto; padding: 1 2; display: none; }
    #board-empty.shown { display: block; }
    """
    BINDINGS = [
        Binding("down", "cursor(1)", "Down", id="board.down", show=False),
        Binding("up", "cursor(-1)", "Up", id="board.up", show=False),
        Binding(
            "left_square_bracket",
            "previous_day",
            "Prev day",
            id="board.previous_day",
            tooltip="Show the day before",
        ),
        Binding(
            "right_square_bracket",
            "next_day",
            "Next day",
            id="board.next_day",
            tooltip="Show the day after",
        ),
        Binding("ctrl+t", "today", "Today", id="board.today", tooltip="Back to today"),
        Binding("f2", "book", "Book", id="board.book", tooltip="Book an appointment or a walk-in"),
        Binding("f6", "cycle('status')", "Status", id="board.filter_status", tooltip="Filter by status"),
        Binding("f7", "cycle('chair')", "Chair", id="board.filter_chair", tooltip="Filter by chair"),
        Binding("f8", "cycle('method')", "Method", id="board.filter_method", tooltip="Filter by method"),
        Binding(
            "f9", "import_schedule", "Import", id="board.import", tooltip="Import the day's schedule (CSV)"
        ),
        Binding("f5", "refresh", "Refresh", id="board.refresh", tooltip="Reload the board now"),
        Binding(
            "f12",
            "set_pin",
            "My PIN",
            id="board.pin",
            tooltip="Set your PIN (to witness a waste, or to sign)",
            show=False,
        ),
        Binding("ctrl+o", "sign_out", "Sign out", id="board.sign_out", tooltip="Sign out of Chairside"),
        Binding(
            "f10",
            "open_returned",
            "Returned",
            id="board.returned",
            tooltip="Open a session returned for correction",
        ),
        Binding("f4", "export", "Export", id="board.export", tooltip="Export the records: CSV or FHIR"),
        Binding("escape", "back", "Queue", id="board.back", tooltip="Back to the review queue"),
    ]

    day: reactive[date] = reactive(date.min, init=False)

    def __init__(self, clinic: Clinic, over_review_queue: bool = False) -> None:
        """`over_review_queue`: a physician opened the board from the queue, and Esc goes back to it."""
        super().__init__()
        self.clinic = clinic
        self.over_review_queue = over_review_queue
        self._shown: list[BoardRow] | None = None
        self._all_rows: list[BoardRow] | None = None
        self._loading = False  # one load at a time, so that an older result never replaces a newer one
        self._reload_wanted = False
        self._outage = False  # the last load failed: its warning is shown until a load succeeds
        self._scan_waiting: str | None = None  # scanned before the day's sessions were read
        self.returned: list[ReturnedSession] = []
        self.filters: dict[str, str | None] = {"status": None, "chair": None, "method": None}

    def compose(self) -> ComposeResult:
        yield Static("", id="board-title", markup=False)
        yield ScanInput(
            id="scan",
            classes="takes-codes",
            placeholder="Scan a wristband or type MRN / name, then Enter to open",
        )
        yield Static("", id="board-message", markup=False)
        yield Static("", id="board-returned", markup=False)
        table: DataTable[Text] = DataTable(id="board", cursor_type="row", zebra_stripes=True)
        table.loading = True
        yield table
        yield Static("No sessions on this day.", id="board-empty")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#board", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)
        self.day = self.clinic.today()
        self.set_interval(REFRESH_SECONDS, self._tick)
        self.set_focus(self.query_one("#scan", Input))

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def watch_day(self) -> None:
        self._shown = None
        self._all_rows = None  # the rows of the day before are not this day's
        self._update_title()
        self.query_one("#board", DataTable).loading = True
        self.action_refresh()

    def _update_title(self) -> None:
        clinic = self.clinic
        marker = "" if self.day == clinic.today() else "  (not today)"
        active = [f"{name} {value}" for name, value in self.filters.items() if value is not None]
        shown = f" · showing {', '.join(active)}" if active else ""
        self.query_one("#board-title", Static).update(
            f"{clinic.settings.clinic_name} · {self.day:%A %d %B %Y}{marker} · "
            f"{clinic.actor.display_name}{shown}"
        )

    def action_refresh(self) -> None:
        """Load the board; while a load runs, another follows it (loads never overlap)."""
        if self._loading:
            self._reload_wanted = True
            return
        self._loading = True
        self._load(self.day)

    def _tick(self) -> None:
        """The 2-second refresh; skipped while a load is still running, so loads never pile up."""
        if not self._loading:
            self.action_refresh()

    @work(thread=True, group="board")
    def _load(self, day: date) -> None:
        try:
            clinic = self.clinic
            board = board_for(clinic.db, day, clinic.protocol, clinic.zone)
            returned = returned_sessions(clinic.db)
        except ChairsideError as error:
            on_screen(self, self._load_failed, f"⚠ {error}")
            return
        if board.newly_overdue and clinic.protocol.overdue_bell:
            on_screen(self, self.app.bell)
        on_screen(self, self._loaded, day, board.rows, returned)

    def _loaded(self, day: date, rows: list[BoardRow], returned: list[ReturnedSession]) -> None:
        if self._outage:  # the records answer again: the warning goes, and says so once
            self._outage = False
            self._report("✓ The clinic's records answer again; the board is current.")
        self._show_returned(returned)
        self._show(day, rows)
        self._load_done()

    def _load_failed(self, error: str) -> None:
        self._outage = True
        self._report(f"{error}. The board shows what was last read; it retries every {REFRESH_SECONDS} s.")
        self._load_done()

    def _load_done(self) -> None:
        self._loading = False
        if self._reload_wanted:
            self._reload_wanted = False
            self.action_refresh()

    def _show_returned(self, returned: list[ReturnedSession]) -> None:
        """Sessions a physician sent back stay here, whatever their day, until they are resubmitted."""
        self.returned = returned
        banner = self.query_one("#board-returned", Static)
        banner.set_class(bool(returned), "shown")
        lines = [f"↩ {len(returned)} session(s) returned for correction (F10 opens the first):"]
        lines += [
            f"  {r.clinic_date:%a %d %b} · {r.patient_name} ({r.mrn}) · {r.returned_by}: {r.comment}"
            for r in returned[:3]
        ]
        banner.update("\n".join(lines) if returned else "")

    def action_open_returned(self) -> None:
        if self.returned:
            self._open(self.returned[0].session_id)
        else:
            self.query_one("#board-message", Static).update("No session is waiting for a correction.")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "back":
            return self.over_review_queue
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def _report(self, message: str) -> None:
        self.query_one("#board-message", Static).update(message)

    def _show(self, day: date, rows: list[BoardRow]) -> None:
        if day != self.day:
            return  # the user moved on to another day while this one loaded
        self._all_rows = rows
        if self._scan_waiting is not None:
            text, self._scan_waiting = self._scan_waiting, None
            self.call_later(self._find, text)
        rows = self._filtered(rows)
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
                table.add_row(*plain_cells(*self._cells(row)), key=str(row.session_id))
        self._shown = rows
        if cursor_key is not None and cursor_key in {str(r.session_id) for r in rows}:
            table.move_cursor(row=table.get_row_index(cursor_key))

    def _refresh_clock_columns(self, table: DataTable, rows: list[BoardRow]) -> None:
        for row in rows:
            table.update_cell(str(row.session_id), "In chair", Text(self._in_chair(row)))
            table.update_cell(str(row.session_id), "Next vitals", Text(self._next_vitals(row)))

    def _filtered(self, rows: list[BoardRow]) -> list[BoardRow]:
        text = self.query_one("#scan", Input).value.strip().lower()
        wanted = {name: value for name, value in self.filters.items() if value is not None}
        return [
            r
            for r in rows
            if (not text or text in r.patient_name.lower() or text in r.mrn.lower())
            and all(_facet(r, name) == value for name, value in wanted.items())
        ]

    def action_cycle(self, facet: str) -> None:
        """Step a filter through the values present today, then back to all."""
        values = sorted({_facet(r, facet) for r in self._all_rows or []})
        current = self.filters[facet]
        following = values[values.index(current) + 1 :] if current in values else values
        self.filters[facet] = following[0] if following else None
        self._update_title()
        self._shown = None
        if self._all_rows is not None:
            self._show(self.day, self._all_rows)

    def action_book(self) -> None:
        from widgets.booking import BookingDialog

        def booked(session_id: int | None) -> None:
            if session_id is not None:
                self.query_one("#board-message", Static).update("✓ Booked.")
                self.action_refresh()

        self.app.push_screen(
            BookingDialog(self.clinic, self.day, self.clinic.now().astimezone(self.clinic.zone)), booked
        )

    def action_export(self) -> None:
        from widgets.export_dialog import ExportDialog

        def exported(folder: Path | None) -> None:
            if folder is not None:
                self.query_one("#board-message", Static).update(f"✓ Exported to {folder}")

        self.app.push_screen(ExportDialog(self.clinic, self.day), exported)

    def action_import_schedule(self) -> None:
        from widgets.schedule_import import ImportDialog

        self.app.push_screen(ImportDialog(self.clinic), lambda imported: self.action_refresh())

    @on(Input.Changed, "#scan")
    def _search(self) -> None:
        self.query_one("#board-message", Static).update("")
        if self._all_rows is not None:
            self._shown = None
            self._show(self.day, self._all_rows)

    @on(Input.Submitted, "#scan")
    def _scanned(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.action_open()
        elif self._all_rows is None:  # a scan as the board opens waits for the day's sessions
            self._scan_waiting = text
            self._report(f"Looking for {text!r} as soon as the day's sessions are read…")
        else:
            self._find(text)

    def _find(self, text: str) -> None:
        """Open the session a scanned MRN or a typed name points to, or say there is none."""
        rows = self._all_rows or []
        wanted = normalise_mrn(text)
        matches = [r for r in rows if r.mrn == wanted] or self._filtered(rows)
        chosen = session_to_open(matches)
        if chosen is None:
            self._report(f"⚠ No session on this day for {text!r}.")
            self.app.bell()
            return
        self._report("")
        self.query_one("#scan", Input).value = ""
        self._open(chosen.session_id)

    @on(DataTable.RowSelected, "#board")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:  # every row is added with its session id as key
            self._open(int(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one("#board", DataTable)
        key = self._cursor_key(table)
        if key is not None:
            self._open(int(key))

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#board", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def _open(self, session_id: int) -> None:
        self.app.push_screen(SessionScreen(self.clinic, session_id))

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
            STATUS_TEXT[row.status],
            " ".join(
                part
                for part in (
                    f"⚠ {row.open_alerts}" if row.open_alerts else "",
                    f"⚑ {row.overrides}" if row.overrides else "",
                )
                if part
            ),
            self._next_vitals(row),
            "IV" if row.method is Method.IV else "Nasal",
            str(row.age_on(self.day)),
            self._in_chair(row),
            self._pain(row),
            row.mood(self.clinic.protocol, self.day),
            self._tests(row),
            row.mrn,
        )

    def _tests(self, row: BoardRow) -> str:
        """`liver`, or `urine+1` when two tests are overdue."""
        due = row.labs_due(self.clinic.protocol, self.day)
        return "" if not due else due[0].short + (f"+{len(due) - 1}" if len(due) > 1 else "")

    def _next_vitals(self, row: BoardRow) -> str:
        due = row.vitals_due(self.clinic.protocol)
        if due is None:
            return self._local(row.last_vitals_at) and f"last {self._local(row.last_vitals_at)}"
        return describe_due(due, self.clinic.now(), self.clinic.protocol)

    def _in_chair(self, row: BoardRow) -> str:
        if row.checked_in_at is None:
            return ""
        until = row.discharged_at or self.clinic.now()
        minutes = max(0, int((until - row.checked_in_at).total_seconds() // 60))
        return f"{minutes // 60}h{minutes % 60:02d}"

    def _local(self, at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(self.clinic.zone):%H:%M}"

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
        self.day = self.clinic.today()

    def action_set_pin(self) -> None:
        from widgets.pin_dialog import SetPinDialog

        def done(changed: bool | None) -> None:
            if changed:
                self.notify("✓ PIN set.")

        self.app.push_screen(SetPinDialog(self.clinic), done)

    def action_sign_out(self) -> None:
        self.post_message(SignOut())


def _facet(row: BoardRow, facet: str) -> str:
    """The words a filter shows and compares: a status, a chair or a method."""
    if facet == "status":
        return row.status.label.lower()
    if facet == "chair":
        return f"chair {row.chair}"
    return "IV" if row.method is Method.IV else "nasal"
