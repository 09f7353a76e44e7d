"""The physician's home: sessions awaiting signature, flagged first, then oldest first.

A long backlog is read a page at a time: the first rows show at once, the next page is fetched as
the cursor nears the end of what is loaded, and only the ids of the rest are held (for the review
screen's next and previous).
"""

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import get_current_worker

from console.chair.alerts import PhysicianCall, physician_calls
from console.domain.errors import ChairsideError
from console.domain.inputs import QueueDatesIn, parse
from console.domain.vocab import Method
from console.review.queue import (
    PAGE,
    QueueCounts,
    QueueFilter,
    QueueRow,
    clinical_staff,
    queue_counts,
    queue_order,
    queue_page,
)
from widgets.context import Clinic
from widgets.footer import KeysFooter
from widgets.login import SignOut
from widgets.plain import plain_cells
from widgets.ui_thread import on_screen

REFRESH_SECONDS = 5  # the queue is read again this often while it is on screen
COLUMNS = (
    ("Flag", 4),
    ("Date", 10),
    ("Time", 5),
    ("Patient", 22),
    ("Method", 6),
    ("Nurse", 20),
    ("Pain", 5),
    ("Why flagged", 28),
    ("MRN", 12),
)


class ReviewQueueScreen(Screen):
    AUTO_FOCUS = "#queue"  # never a date filter: Enter opens the first session as soon as it is loaded
    DEFAULT_CSS = """
    ReviewQueueScreen { layout: vertical; }
    #queue-title { height: 1; padding: 0 1; background: $primary; color: $text; text-style: bold; }
    #queue-filters { height: 1; background: $boost; }
    #queue-filters Label { padding: 0 1; }
    #queue-filters Input { border: none; height: 1; width: 14; padding: 0 1; background: $surface; }
    #queue-filters Input:focus { background: $accent 30%; }
    #queue-counts { height: 1; padding: 0 1; }
    #queue-message { height: auto; padding: 0 1; color: $warning; }
    #queue { height: 1fr; }
    """
    BINDINGS = [
        Binding("f2", "board", "Today board", id="queue.board", tooltip="The nurses' Today board"),
        Binding("f4", "set_pin", "Signing PIN", id="queue.pin", tooltip="Set your signing PIN"),
        Binding("f5", "refresh", "Refresh", id="queue.refresh", tooltip="Reload the queue"),
        Binding("f7", "cycle_nurse", "Nurse", id="queue.nurse", tooltip="Filter by nurse"),
        Binding("f8", "cycle_method", "Method", id="queue.method", tooltip="Filter by method"),
        Binding("ctrl+o", "sign_out", "Sign out", id="queue.sign_out", tooltip="Sign out of Chairside"),
    ]

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.filters = QueueFilter()
        self.nurses: list[tuple[int, str]] = []
        self.rows: list[QueueRow] = []  # loaded so far, in queue order
        self.more = False  # the queue goes on past the loaded rows
        self.order: list[int] = []  # every queued session's id, read after the first page is shown
        self.counts: QueueCounts | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="queue-title", markup=False)
        with Horizontal(id="queue-filters"):
            yield Label("From")
            yield Input(id="queue-from", placeholder="YYYY-MM-DD", max_length=10)
            yield Label("To")
            yield Input(id="queue-to", placeholder="YYYY-MM-DD", max_length=10)
            yield Static("", id="queue-facets", markup=False)
        yield Static("", id="queue-counts", markup=False)
        yield Static("", id="queue-calls", markup=False)
        yield Static("", id="queue-message", markup=False)
        table: DataTable[str | Text] = DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        table.loading = True
        yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#queue-calls", Static).display = False  # until a patient waits for a physician
        table = self.query_one("#queue", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self.query_one("#queue-title", Static).update(
            f"{self.clinic.settings.clinic_name} · Review queue · {self.clinic.actor.display_name}"
        )
        self._show_facets()
        self.set_interval(REFRESH_SECONDS, self._tick)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def _tick(self) -> None:
        """Sessions discharged or signed elsewhere show up without F5, as on the nurses' board."""
        if self.is_current and not any(w.group == "queue" and w.is_running for w in self.workers):
            self.action_refresh()

    def action_refresh(self) -> None:
        """The same filters again, as far down as the physician had scrolled."""
        self._load(self.filters, max(PAGE, len(self.rows)))

    def _filter(self, filters: QueueFilter) -> None:
        self.filters, self.order = filters, []
        self._show_facets()
        self._load(filters, PAGE)

    @work(thread=True, exclusive=True, group="queue")
    def _load(self, filters: QueueFilter, limit: int) -> None:
        """The first `limit` rows, then the counts, then the order of the whole queue."""
        worker, db = get_current_worker(), self.clinic.db
        try:
            if not self.nurses:
                self.nurses = clinical_staff(db)
            rows = queue_page(db, filters, limit=limit)
            if worker.is_cancelled:  # the filters changed meanwhile: a newer load shows its own
                return
            on_screen(self, self._show, rows, len(rows) == limit)
            counts = queue_counts(db, filters)
            calls = physician_calls(db, self.clinic.today())
            if not worker.is_cancelled:
                on_screen(self, self._show_counts, counts)
                on_screen(self, self._show_calls, calls)
            order = queue_order(db, filters)
        except ChairsideError as error:
            on_screen(self, self.tell, f"⚠ {error}")
            return
        if not worker.is_cancelled:
            self.order = order

    @work(thread=True, exclusive=True, group="queue-more")
    def _load_more(self, filters: QueueFilter, after: QueueRow) -> None:
        try:
            rows = queue_page(self.clinic.db, filters, after=after, limit=PAGE)
        except ChairsideError as error:
            on_screen(self, self.tell, f"⚠ {error}")
            return
        if not get_current_worker().is_cancelled:
            on_screen(self, self._append, after, rows)

    def tell(self, message: str) -> None:
        self.query_one("#queue-message", Static).update(message)

    def _show(self, rows: list[QueueRow], more: bool) -> None:
        table = self.query_one("#queue", DataTable)
        table.loading = False
        if self.focused is None:
            self.set_focus(table)  # Enter opens the first session at once; the date filters are a Tab away
        cursor = table.cursor_row
        table.clear()
        self.rows, self.more = [], more
        self._add(rows)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    def _append(self, after: QueueRow, rows: list[QueueRow]) -> None:
        if not self.rows or self.rows[-1] != after:
            return  # the queue was reloaded meanwhile
        self.more = len(rows) == PAGE
        self._add(rows)

    def _add(self, rows: list[QueueRow]) -> None:
        table = self.query_one("#queue", DataTable)
        for row in rows:
            table.add_row(*self._cells(row), key=str(row.session_id))
        self.rows.extend(rows)

    def _show_counts(self, counts: QueueCounts) -> None:
        self.counts = counts
        returned = f" · {counts.returned} back with the nurses for correction" if counts.returned else ""
        empty = " · nothing to sign" if not counts.awaiting else ""
        self.query_one("#queue-counts", Static).update(
            f"{counts.awaiting} awaiting signature · {counts.flagged} flagged{returned}{empty}"
        )

    def _show_calls(self, calls: list[PhysicianCall]) -> None:
        """Patients in the chair waiting for a physician: said above the queue until acknowledged."""
        zone = self.clinic.zone
        lines = [
            f"⚠ {call.raised_at.astimezone(zone):%H:%M} chair {call.chair}, {call.patient}: {call.message}"
            for call in calls
        ]
        if lines:
            lines.append(
                "  F2 opens the board: open the session and acknowledge with F12 once you have seen them."
            )
        calls_line = self.query_one("#queue-calls", Static)
        calls_line.update("\n".join(lines))
        calls_line.display = bool(lines)

    @on(DataTable.RowHighlighted, "#queue")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        """The cursor nears the last loaded row: the next page is fetched before it gets there."""
        if self.more and self.rows and event.cursor_row >= len(self.rows) - PAGE // 4:
            self.more = False  # one fetch at a time; the page that arrives says whether more follow
            self._load_more(self.filters, self.rows[-1])

    @staticmethod
    def _cells(row: QueueRow) -> list:
        pain = (
            ""
            if row.pain_before is None
            else f"{row.pain_before}→{'' if row.pain_after is None else row.pain_after}"
        )
        why = ", ".join(row.flags)
        if row.resubmitted:
            why = ", ".join(filter(None, [why, "resubmitted"]))
        return [
            Text("⚑", style="bold red") if row.flagged else Text(""),
            *plain_cells(
                f"{row.clinic_date:%Y-%m-%d}",
                f"{row.scheduled_time:%H:%M}",
                row.patient_name,
                "IV" if row.method is Method.IV else "Nasal",
                row.nurse,
                pain,
                why,
                row.mrn,
            ),
        ]

    # ----- filters -----------------------------------------------------------------------------
    @on(Input.Submitted, "#queue-from")
    @on(Input.Submitted, "#queue-to")
    def _dates(self, event: Input.Submitted) -> None:
        try:
            dates = parse(
                QueueDatesIn,
                {
                    "date_from": self.query_one("#queue-from", Input).value or None,
                    "date_to": self.query_one("#queue-to", Input).value or None,
                },
            )
        except ChairsideError as refused:
            self.tell(f"⚠ {refused}")
            return
        self.tell("")
        self._filter(QueueFilter(dates.date_from, dates.date_to, self.filters.nurse_id, self.filters.method))
        if event.input.id == "queue-from":
            self.set_focus(self.query_one("#queue-to", Input))
        else:
            self.set_focus(self.query_one("#queue", DataTable))

    def action_cycle_nurse(self) -> None:
        ids = [None] + [nurse_id for nurse_id, _ in self.nurses]
        following = ids[(ids.index(self.filters.nurse_id) + 1) % len(ids)]
        self._filter(
            QueueFilter(self.filters.date_from, self.filters.date_to, following, self.filters.method)
        )

    def action_cycle_method(self) -> None:
        methods = [None, Method.IV, Method.NASAL]
        following = methods[(methods.index(self.filters.method) + 1) % len(methods)]
        self._filter(
            QueueFilter(self.filters.date_from, self.filters.date_to, self.filters.nurse_id, following)
        )

    def _show_facets(self) -> None:
        nurse_id = self.filters.nurse_id
        nurse = "all nurses" if nurse_id is None else dict(self.nurses).get(nurse_id, "all nurses")
        method = self.filters.method.label if self.filters.method else "both methods"
        self.query_one("#queue-facets", Static).update(f"  {nurse} (F7) · {method} (F8)")

    # ----- opening -----------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#queue")
    def _open(self, event: DataTable.RowSelected) -> None:
        from widgets.review import ReviewScreen

        if event.row_key.value is None:
            return
        chosen = int(event.row_key.value)
        order = self.order if chosen in self.order else [row.session_id for row in self.rows]
        self.app.push_screen(ReviewScreen(self.clinic, chosen, order))

    def action_board(self) -> None:
        from widgets.today import TodayScreen

        self.app.push_screen(TodayScreen(self.clinic, over_review_queue=True))

    def action_set_pin(self) -> None:
        from widgets.pin_dialog import SetPinDialog

        def done(changed: bool | None) -> None:
            if changed:
                self.tell("✓ Signing PIN set.")

        self.app.push_screen(SetPinDialog(self.clinic), done)

    def action_sign_out(self) -> None:
        self.post_message(SignOut())
