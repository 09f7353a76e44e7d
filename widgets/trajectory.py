"""A patient's course: pain before and after each session, change from the series baseline, what
each session gave and its blood pressure, side effects, function (PEG) and mood (PHQ-9, GAD-7)."""

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.domain.errors import ChairsideError
from console.domain.pain import PainChange
from console.domain.vocab import Instrument, Method
from console.review.trajectory import Trajectory, Visit, patient_trajectory
from widgets.context import Clinic
from widgets.footer import KeysFooter
from widgets.plain import plain_cells
from widgets.ui_thread import on_screen

COLUMNS = (
    ("Date", 11),
    ("#", 5),
    ("Method", 6),
    ("Signed", 6),
    ("Pain", 6),
    ("Change", 34),
    ("Given", 16),  # mg and mg/kg of the weight used
    ("Rate, time", 16),  # IV: the highest rate run and the minutes from start to stop
    ("BP", 14),  # the first reading and the highest systolic
    ("PEG", 4),
    ("PHQ/GAD", 7),  # PHQ-9 and GAD-7 totals, when asked
    ("Side effects", 30),
)


class TrajectoryScreen(Screen):
    DEFAULT_CSS = """
    TrajectoryScreen { layout: vertical; }
    #trajectory-title { height: auto; padding: 0 1; background: $primary; color: $text; }
    #trajectory-body { height: 1fr; padding: 0 1; }
    #trajectory-series { height: auto; margin-bottom: 1; }
    #trajectory-chart { height: auto; margin-bottom: 1; }
    #trajectory-visits { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="trajectory.back", tooltip="Back to the session"),
        Binding(
            "f6", "audit", "Audit trail", id="trajectory.audit", tooltip="The patient's whole audit trail"
        ),
    ]

    def __init__(self, clinic: Clinic, patient_id: int) -> None:
        super().__init__()
        self.clinic = clinic
        self.patient_id = patient_id
        self.trajectory: Trajectory | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="trajectory-title")
        with VerticalScroll(id="trajectory-body"):
            yield Static("", id="trajectory-series", markup=False)
            yield Static("", id="trajectory-chart", markup=False)
            yield DataTable(id="trajectory-visits", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#trajectory-visits", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self._load()

    @work(thread=True, group="trajectory")
    def _load(self) -> None:
        try:
            trajectory = patient_trajectory(self.clinic.db, self.patient_id)
        except ChairsideError as error:
            on_screen(self, self.query_one("#trajectory-title", Static).update, f"⚠ {error}")
            return
        on_screen(self, self._show, trajectory)

    def _show(self, trajectory: Trajectory) -> None:
        self.trajectory = trajectory
        p = trajectory.patient
        self.query_one("#trajectory-title", Static).update(
            Text.assemble(
                ("Trajectory: ", "bold"),
                (p.display_name, "bold"),
                f"  MRN {p.mrn} · {p.diagnosis_code} {p.diagnosis_label} · {len(trajectory.visits)} sessions",
            )
        )
        self.query_one("#trajectory-series", Static).update(
            "\n".join(series.describe(number) for number, series in enumerate(trajectory.series, start=1))
            or "No sessions yet."
        )
        self.query_one("#trajectory-chart", Static).update(_chart(trajectory))
        table = self.query_one("#trajectory-visits", DataTable)
        table.clear()
        for visit in reversed(trajectory.visits):  # newest first
            number = f"{visit.series_number}/{visit.series_length}" if visit.series_length else "maint."
            pain, change = "", ""
            if visit.pain_before is not None and visit.pain_after is not None:
                pain = f"{visit.pain_before}→{visit.pain_after}"
                session_change = PainChange(visit.pain_before, visit.pain_after)
                percent = "" if session_change.percent is None else f"{session_change.percent:+.0f}% relief, "
                change = f"{percent}{session_change.klass.value}"
            elif not visit.treated:
                pain = visit.status.label.lower()
            table.add_row(
                *plain_cells(
                    f"{visit.clinic_date:%d %b %Y}",
                    number,
                    "IV" if visit.method is Method.IV else "Nasal",
                    "✓" if visit.signed else "",
                    pain,
                    change,
                    visit.dosing.amount() if visit.dosing else "",
                    visit.dosing.infusion() if visit.dosing else "",
                    visit.pressure.describe() if visit.pressure else "",
                    _shown(visit.score(Instrument.PEG)),
                    _mood(visit),
                    ", ".join(visit.side_effects) or "none",
                )
            )

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_audit(self) -> None:
        from console.review.audit_trail import patient_trail
        from widgets.audit_trail import AuditTrailScreen

        title = f"Audit trail of {self.trajectory.patient.display_name}" if self.trajectory else "Audit trail"
        self.app.push_screen(
            AuditTrailScreen(self.clinic, title, lambda db: patient_trail(db, self.patient_id))
        )


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _mood(visit: Visit) -> str:
    phq9, gad7 = visit.score(Instrument.PHQ9), visit.score(Instrument.GAD7)
    return "" if phq9 is None and gad7 is None else f"{_shown(phq9) or '-'}/{_shown(gad7) or '-'}"


BLOCKS = " ▁▂▃▄▅▆▇█"


def _within(value: float | None, floor: float, top: float) -> float | None:
    """A value on a fixed scale from `floor` to `top`, clipped to both (the table gives the figure)."""
    return None if value is None else min(max(value, floor), top) - floor


def bars(values: list[float | None], top: int) -> str:
    """One block per session on a fixed 0..top scale (a sparkline would rescale to the data)."""
    gap = " " if len(values) <= 30 else ""  # a long course stays on one line
    return gap.join("·" if v is None else BLOCKS[round(v / top * (len(BLOCKS) - 1))] for v in values)


def _chart(trajectory: Trajectory) -> str:
    """Pain before and after per treated session, oldest on the left, and the worst side effect grade."""
    treated = [v for v in trajectory.visits if v.treated and v.pain_before is not None]
    if not treated:
        return "No treated session yet."
    span = f"{treated[0].clinic_date:%d %b %Y} → {treated[-1].clinic_date:%d %b %Y}, {len(treated)} sessions"
    return "\n".join(
        [
            f"Pain before (0-10)      {bars([v.pain_before for v in treated], 10)}",
            f"Pain after  (0-10)      {bars([v.pain_after for v in treated], 10)}",
            f"Dose (0-4 mg/kg)        {bars([_within(v.mg_per_kg, 0, 4) for v in treated], 4)}",
            f"Top systolic (80-200)   {bars([_within(v.top_systolic, 80, 200) for v in treated], 120)}",
            f"Side effect grade (0-5) {bars([v.highest_grade or 0 for v in treated], 5)}",
            f"PEG (0-10)              {bars([v.score(Instrument.PEG) for v in treated], 10)}",
            f"PHQ-9 (0-27)            {bars([v.score(Instrument.PHQ9) for v in treated], 27)}",
            f"GAD-7 (0-21)            {bars([v.score(Instrument.GAD7) for v in treated], 21)}",
            f"                        {span}",
        ]
    )
