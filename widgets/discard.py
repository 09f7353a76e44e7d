"""Before a half-typed entry is thrown away (Esc, Ctrl+Q, sign-out): say what it is and ask."""

from collections.abc import Callable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class DiscardDialog(ModalScreen[bool]):
    """Closes with True to discard what was typed, False to go back to it (Esc, or the default button)."""

    DEFAULT_CSS = """
    DiscardDialog { align: center middle; }
    #discard-box { width: 70; height: auto; border: round $warning; background: $surface; padding: 0 1; }
    #discard-box Button { margin: 1 1 0 0; }
    """
    BINDINGS = [Binding("escape", "keep", "Keep typing", id="discard.keep", tooltip="Back to what was typed")]

    def __init__(self, typed: list[str], leaving: str) -> None:
        super().__init__()
        self.typed, self.leaving = typed, leaving

    def compose(self) -> ComposeResult:
        with Vertical(id="discard-box"):
            yield Static(f"Not stored yet: {', '.join(self.typed)}.", markup=False)
            yield Label(f"{self.leaving} throws it away.")
            yield Button("Keep typing (Esc)", id="keep", variant="primary")
            yield Button("Discard and go on", id="discard", variant="error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#keep", Button))  # Enter by habit keeps the entry

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)


def ask_before_discarding(app: App, typed: list[str], leaving: str, then: Callable[[], object]) -> None:
    """Run `then` at once when nothing typed would be lost; otherwise only if the person says so."""
    if not typed:
        then()
        return

    def answered(discard: bool | None) -> None:
        if discard:
            then()

    app.push_screen(DiscardDialog(typed, leaving), answered)


def label_of(field: Input) -> str:
    """The words shown above a field (its id when it has none), for saying what would be lost."""
    siblings = list(field.parent.children) if field.parent else []
    index = siblings.index(field) if field in siblings else 0
    before = siblings[index - 1] if index else None
    text = str(before.render()) if isinstance(before, Label) else (field.id or "a field")
    return text.split(":")[0].split(" (")[0]
