"""A one-line note that a service call stores at once: return for correction, resubmission."""

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from widgets.dialog import StoreDialog


class NoteDialog(StoreDialog[str]):
    """Enter stores the note through `store`; closes with the note, or shows the refusal and stays."""

    DEFAULT_CSS = """
    #note-box { width: 84; border: round $accent; }
    #note-title { text-style: bold; }
    """

    def __init__(self, heading: str, prompt: str, store: Callable[[str], None], context: str = "") -> None:
        super().__init__()
        self.heading, self.prompt, self.store, self.context = heading, prompt, store, context

    def compose(self) -> ComposeResult:
        with self.body("note-box"):
            yield Static(self.heading, id="note-title", markup=False)
            if self.context:
                yield Static(self.context, markup=False)
            yield Label(self.prompt)
            yield Input(id="note-text", max_length=500)
            yield self.refusal("note-error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#note-text", Input))

    @on(Input.Submitted, "#note-text")
    def _done(self, event: Input.Submitted) -> None:
        note = event.value
        self.save(lambda: self.store(note), note)
