"""F1 help: what the focused part is for, then every key the current screen offers."""

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Markdown

# What each part of the console is for, by widget id; shown when it has the focus.
FIELD_HELP = {
    "username": "Your sign-in name, as the administrator created it.",
    "password": "Your password. Five wrong attempts lock the account until an administrator unlocks it.",
    "scan": "Scan the patient's wristband (the scanner types the MRN and Enter) or type part of a name or "
    "MRN to filter the board. Enter opens the session; with an empty box it opens the highlighted row.",
    "board": "The day's sessions in time order. Up/Down move, Enter opens. Next vitals shows when a reading "
    "is due; ⚠ OVERDUE means it is late.",
    "pain-before": "Pain before treatment on the 0-10 numeric rating scale (0 no pain, 10 worst imaginable).",
    "pain-after": "Pain after treatment, 0-10. The change and its IMMPACT class appear once it is stored.",
    "baseline-vitals": "The baseline reading as one line: BP HR SpO2 RR MOAA/S, e.g. 128/82 76 98 14 5. "
    "Add a sixth number for temperature. Start with @HH:MM if it was taken earlier.",
    "quick-vitals": "A reading as one line: BP HR SpO2 RR MOAA/S, e.g. 128/82 76 98 14 5. Add a sixth "
    "number for temperature; start with @HH:MM if it was taken earlier. Enter stores it at once.",
    "contraindications": "Tick (space) every contraindication found. Leave all unticked when none apply.",
    "escort": "Space confirms the escort or driver taking the patient home; Enter saves the pre-assessment.",
    "dose-rate": "IV infusion rate in mg/kg/h. The total is computed from the patient's recorded weight.",
    "dose-duration": "Planned infusion time in minutes.",
    "dose-devices": "Number of 28 mg esketamine nasal devices (1-3).",
    "dose-lot": "Lot number of the vial or device, as printed on it.",
    "dose-drawn": "Amount drawn up in mg. The waste is drawn minus the dose; any waste needs a witness.",
    "dose-wasted": "Amount wasted in mg (normally computed: drawn minus given).",
    "dose-witness": "Who watched the waste: their username, or the first letters of it or of their name.",
    "flowsheet": "Every reading of this session, with the time it was taken and who took it. Enter on a "
    "reading corrects it; the original values stay in the audit trail.",
}


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 80%; max-width: 100; height: 80%; border: round $accent; background: $surface; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close", tooltip="Close help"),
        Binding("f1", "close", "Close", show=False),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(self.text)

    def action_close(self) -> None:
        self.dismiss()


def help_text(screen: Screen[object], focused: Widget | None) -> str:
    """Help for the focused widget, the screen's purpose, and its keys."""
    lines = [f"# Help: {screen.__class__.__name__.removesuffix('Screen')}", ""]
    if focused is not None and focused.id in FIELD_HELP:
        lines += [f"**This field:** {FIELD_HELP[focused.id]}", ""]
    if screen.__doc__:
        lines += [screen.__doc__.strip().splitlines()[0], ""]
    lines += ["| key | does |", "| --- | --- |"]
    seen = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.description and (binding.action, binding.description) not in seen:
            seen.add((binding.action, binding.description))
            what = binding.tooltip or binding.description
            lines.append(f"| `{screen.app.get_key_display(binding)}` | {what} |")
    lines += ["", "Esc closes this help. Ctrl+P lists every action in the command palette."]
    return "\n".join(lines)
