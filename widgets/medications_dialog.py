"""The patient's current medications and relevant history: checked with the patient, corrected here."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, SelectionList, Static

from console.chair.session_guide import relevant_history
from console.clinic.patient_shown import PatientShown
from console.domain.medications import warnings
from console.domain.vocab import Contraindication
from widgets.dialog import StoreDialog
from widgets.tick import TickList


class MedicationsDialog(StoreDialog[bool]):
    """Ctrl+S stores both through `store(medications, history)`; closes with True once stored."""

    DEFAULT_CSS = """
    #meds-box { width: 84; border: round $accent; }
    #meds-history { height: 8; }
    """
    BINDINGS = [Binding("ctrl+s", "store", "Save", id="meds.save", tooltip="Store the list and the history")]

    def __init__(self, patient: PatientShown, store: Callable[[str, list[str]], None]) -> None:
        super().__init__()
        self.patient, self.store = patient, store

    def compose(self) -> ComposeResult:
        with self.body("meds-box"):
            yield Static(f"Medications and history: {self.patient.display_name}", markup=False)
            yield Label("Current medications with doses, ';' between them (Enter goes on to the history)")
            yield Input(self.patient.medications, id="meds-list", max_length=1000)
            yield Static(self._flagged(self.patient.medications), id="meds-warnings", markup=False)
            yield Label("Relevant history (space to tick), Ctrl+S to save")
            known = set(relevant_history(self.patient))
            yield TickList(*[(c.label, c.value, c in known) for c in Contraindication], id="meds-history")
            yield self.refusal("meds-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#meds-list", Input))

    @staticmethod
    def _flagged(medications: str) -> str:
        return (
            "\n".join(w.describe() for w in warnings(medications))
            or "None of them needs a warning at the chair."
        )

    @on(Input.Changed, "#meds-list")
    def _warn(self, event: Input.Changed) -> None:
        self.query_one("#meds-warnings", Static).update(self._flagged(event.value))

    @on(Input.Submitted, "#meds-list")
    def _to_history(self) -> None:
        self.set_focus(self.query_one("#meds-history", SelectionList))

    def action_store(self) -> None:
        medications = self.query_one("#meds-list", Input).value
        history = [str(code) for code in self.query_one("#meds-history", SelectionList).selected]
        self.save(lambda: self.store(medications, history), True)
