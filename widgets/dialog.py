"""The one way a dialog saves: its store call runs in a worker, a refusal shows in the dialog, Esc closes.

A subclass composes its fields inside `self.body()` and, when the person confirms, calls
`self.save(store, result)`: `store` calls the service, `result` is what the dialog closes with.
The console never waits on the database: the call runs off the UI thread. A refusal
(`ChairsideError`) is shown under the fields and the dialog stays open with what was typed;
success closes it with the result. Esc closes it with None and stores nothing.
"""

from collections.abc import Callable
from typing import Generic, TypeVar

from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from console.domain.errors import ChairsideError
from widgets.ui_thread import on_screen

Result = TypeVar("Result")


class StoreDialog(ModalScreen[Result | None], Generic[Result]):
    """A modal form whose confirmation is one service call; dismissed with its result or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close; nothing is stored")]

    def __init__(self) -> None:
        super().__init__()
        self._saving = False

    def body(self, box_id: str) -> Vertical:
        """The dialog's box: the subclass yields its fields inside it, then `self.refusal(...)`."""
        return Vertical(id=box_id, classes="dialog-box")

    def refusal(self, error_id: str) -> Static:
        """Where a refusal shows: under the fields, inside the dialog."""
        return Static("", id=error_id, classes="dialog-error", markup=False)

    def refuse(self, message: str) -> None:
        """Say what is wrong, where the person is typing; the dialog stays open."""
        self.query_one(".dialog-error", Static).update(f"⚠ {message}" if message else "")

    def save(self, store: Callable[[], object], result: Result) -> None:
        """Run `store` off the UI thread; close with `result` once it is stored, or show the refusal."""

        def stored() -> Result:
            store()
            return result

        self.save_returning(stored)

    def save_returning(self, store: Callable[[], Result]) -> None:
        """Run `store` off the UI thread and close with what it returns (say, the new record's id)."""
        if self._saving:
            return  # a second Enter while the first save runs stores nothing twice
        self._saving = True
        self.refuse("")
        self._run(store)

    @work(thread=True, group="dialog-save")
    def _run(self, store: Callable[[], Result]) -> None:
        try:
            result = store()
        except ChairsideError as refused:
            on_screen(self, self._refused, refused)
            return
        on_screen(self, self.dismiss, result)

    def _refused(self, refused: ChairsideError) -> None:
        self._saving = False
        self.refuse(str(refused))
        self.after_refusal(refused)

    def after_refusal(self, refused: ChairsideError) -> None:
        """What a subclass does besides showing the message (clear a secret, move focus)."""

    def action_cancel(self) -> None:
        self.dismiss(None)
