"""The one way a dialog saves: its store call runs in a worker, a refusal shows in the dialog, Esc closes.

A subclass composes its fields inside `self.body()` and, when the person confirms, calls
`self.save(store, result)`: `store` calls the service, `result` is what the dialog closes with.
The console never waits on the database: the call runs off the UI thread. A refusal
(`ChairsideError`) is shown under the fields and the dialog stays open with what was typed;
success closes it with the result. Esc closes it with None and stores nothing, after asking when
something was typed into it (a password or PIN is never kept, so never asked about).
"""

from collections.abc import Callable
from typing import Generic, TypeVar

from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.domain.errors import ChairsideError
from widgets.discard import ask_before_discarding, label_of
from widgets.ui_thread import on_screen

Result = TypeVar("Result")


class StoreDialog(ModalScreen[Result | None], Generic[Result]):
    """A modal form whose confirmation is one service call; dismissed with its result or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close; nothing is stored")]

    def __init__(self) -> None:
        super().__init__()
        self._saving = False
        self._shown_with: dict[Input, str] = {}  # each field's value as the dialog opened

    def on_mount(self) -> None:
        """Runs after the subclass's own on_mount has filled in the fields it opens with."""
        self._shown_with = {field: field.value for field in self.query(Input)}

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
        except Exception:
            on_screen(self, self._failed)
            raise  # logged, and the person told, by the application
        on_screen(self, self.dismiss, result)

    def _failed(self) -> None:
        """An unexpected error: nothing was stored; the dialog stays, ready to try again or Esc."""
        self._saving = False
        self.refuse("Not stored: an unexpected error (see the message). Try again, or Esc.")

    def _refused(self, refused: ChairsideError) -> None:
        self._saving = False
        self.refuse(str(refused))
        self.after_refusal(refused)

    def after_refusal(self, refused: ChairsideError) -> None:
        """What a subclass does besides showing the message (clear a secret, move focus)."""

    def unsaved(self) -> list[str]:
        """Fields typed into since the dialog opened, by label; credentials are never kept, so not listed."""
        return [
            label_of(field)
            for field in self.query(Input)
            if not (field.password or field.has_class("credential"))
            and field.value.strip() != self._shown_with.get(field, "").strip()
        ]

    def leave(self, leaving: str, then: Callable[[], object]) -> None:
        """Run `then` at once, or after asking when something typed would be thrown away."""
        ask_before_discarding(self.app, self.unsaved(), leaving, then)

    def action_cancel(self) -> None:
        self.leave("Closing this dialog", lambda: self.dismiss(None))
