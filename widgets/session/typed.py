"""What the nurse has typed on the session screen and not stored yet, and what she was shown then.

A field typed into is left alone by a re-read until its entry is stored (or emptied), and each
entry remembers the record as it was on screen when it was begun: a save of it replaces that, so
a change made meanwhile at another workstation is told to her instead of overwritten unseen.
"""

from collections.abc import Callable

from textual.screen import Screen
from textual.widgets import Input

from console.chair.session_view import SessionView
from widgets.discard import label_of
from widgets.session.recorder import StepForm


class TypedEntries(Screen):
    """The session screen's typed and seen bookkeeping; the screen sets `view` at each read."""

    view: SessionView | None  # the record as last read

    def __init__(self) -> None:
        super().__init__()
        self._typed: set[Input] = set()  # fields typed into and not stored yet
        self._seen: dict[Input, SessionView] = {}  # the record as shown when each entry was begun

    def _watch_typing(self) -> None:
        """Each field says when its value changes, as it changes: at scanner speed the focus has moved
        on before a Changed message from the field's keys reaches the screen."""
        for field in self.query(Input):
            self.watch(field, "value", self._typing_into(field), init=False)

    def _typing_into(self, field: Input) -> Callable[[], None]:
        def changed() -> None:
            # The field still has the focus while it takes keys sent to it before the focus moved:
            # the nurse's keys, not the screen filling a field in.
            if field.has_focus:
                self._typed.add(field)
                if field not in self._seen and self.view is not None:
                    self._seen[field] = self.view

        return changed

    def seen_when_typed(self, field: Input) -> SessionView | None:
        """The record as it was on screen when this entry was begun: what a save of it may replace."""
        return self._seen.get(field, self.view)

    def seen_in(self, form: StepForm) -> SessionView | None:
        """The record as shown when the first entry still unsaved in `form` was begun (else as now)."""
        return next((view for field, view in self._seen.items() if form in field.ancestors), self.view)

    def is_being_typed(self, field: Input) -> bool:
        """A field a re-read must leave alone: it has the keys, or holds what was typed and not stored."""
        return field.has_focus or field in self._typed

    def unsaved(self) -> list[str]:
        """What was typed or ticked and not stored, by name; an emptied field is nothing to keep."""
        typed = [label_of(field) for field in self._typed if field.value.strip() and field.is_attached]
        view = self.view
        ticked = [name for form in self.query(StepForm) for name in form.unsaved_ticks(view)] if view else []
        return typed + ticked
