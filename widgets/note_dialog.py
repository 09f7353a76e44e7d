"""A one-line note that a service call stores at once: return for correction, resubmission."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from console.domain.errors import ChairsideError


class NoteDialog(ModalScreen[bool]):
    """Enter stores the note through `store`; a refusal shows under the field and nothing closes."""

    DEFAULT_CSS = """
    NoteDialog { align: center middle; }
    #note-box { width: 84; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #note-box Input { width: 100%; }
    #note-title { text-style: bold; }
    #note-error { color: $error; height: auto; min-height: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel", tooltip="Close; nothing is stored")]

    def __init__(self, heading: str, prompt: str, store: Callable[[str], None], context: str = "") -> None:
        super().__init__()
        self.heading, self.prompt, self.store, self.context = heading, prompt, store, context

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Static(self.heading, id="note-title", markup=False)
            if self.context:
                yield Static(self.context, markup=False)
            yield Label(self.prompt)
            yield Input(id="note-text", max_length=500)
            yield Static("", id="note-error", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#note-text", Input))

    @on(Input.Submitted, "#note-text")
    def _done(self, event: Input.Submitted) -> None:
        try:
            self.store(event.value)
        except ChairsideError as refused:
            self.query_one("#note-error", Static).update(f"⚠ {refused}")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
