"""An IV infusion stopping before its planned dose: why, and the drug left over wasted before a witness."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from console.chair.infusion import StopPreview
from console.domain.errors import ChairsideError
from widgets.dialog import StoreDialog

# reason, witness, the witness's PIN or password
StopStore = Callable[[str, str, str], object]


class StopDialog(StoreDialog[bool]):
    """Closes with True once the stop is stored; the plan stays as planned, what was given is shown."""

    DEFAULT_CSS = """
    #stop-box { width: 84; border: round $warning; }
    """

    def __init__(self, preview: StopPreview, store: StopStore) -> None:
        super().__init__()
        self.preview, self.store = preview, store

    def compose(self) -> ComposeResult:
        with self.body("stop-box"):
            yield Static(self.preview.describe(), id="stop-summary", markup=False)
            yield Label("Why it stops early (Enter)" if self.preview.early else "Note (optional, Enter)")
            yield Input(id="stop-reason", max_length=200)
            if self.preview.left_over_mg:
                yield Label(f"Witness of the {self.preview.left_over_mg:g} mg wasted (username)")
                yield Input(id="stop-witness")
                yield Label("Witness's PIN or password (typed by the witness)")
                yield Input(id="stop-witness-secret", password=True, classes="credential")
            yield self.refusal("stop-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#stop-reason", Input))

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        order = list(self.query(Input))
        following = order[order.index(event.input) + 1 :]
        if following:
            self.set_focus(following[0])
            return
        values = {field.id: field.value for field in order}
        self.save(
            lambda: self.store(
                values.get("stop-reason", "").strip(),
                values.get("stop-witness", "").strip(),
                values.get("stop-witness-secret", ""),
            ),
            True,
        )

    def after_refusal(self, refused: ChairsideError) -> None:
        secret = self.query("#stop-witness-secret").results(Input)
        for field in secret:
            field.value = ""  # checked once, never kept on screen
        field_id = {"stop_reason": "#stop-reason", "witness": "#stop-witness"}.get(
            getattr(refused, "field", ""), "#stop-witness-secret"
        )
        targets = list(self.query(field_id).results(Input))
        if targets:
            self.set_focus(targets[0])
