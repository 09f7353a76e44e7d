"""Check boxes and choices whose state is in the glyph itself, `[x]` / `[ ]` and `(•)` / `( )`.

Ticked or chosen shows without colour: on a monochrome terminal, in a screenshot, to a colour-blind nurse.
"""

from rich.segment import Segment
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList

LEFT, RIGHT, TICKED, EMPTY = "[", "]", "x", " "


class TickBox(Checkbox):
    BUTTON_LEFT = LEFT
    BUTTON_INNER = EMPTY
    BUTTON_RIGHT = RIGHT

    def watch_value(self) -> None:
        self.BUTTON_INNER = TICKED if self.value else EMPTY  # read by the toggle button as it draws
        super().watch_value()


class Choice(RadioButton):
    """One of a RadioSet's buttons, reading `(•)` when chosen."""

    BUTTON_LEFT = "("
    BUTTON_RIGHT = ")"

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # read as the toggle button draws
        return "•" if self.value else EMPTY


class TickList(SelectionList[str]):
    """A selection list whose boxes read `[x]` / `[ ]`."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        segments = list(line)
        button = (Checkbox.BUTTON_LEFT, Checkbox.BUTTON_INNER, Checkbox.BUTTON_RIGHT)  # as Textual draws it
        if len(segments) < 3 or tuple(s.text for s in segments[:3]) != button:
            return line
        try:
            value = self.get_option_at_index(self.scroll_offset.y + y).value
        except LookupError:
            return line
        inner = TICKED if value in self.selected else EMPTY
        left, middle, right = segments[:3]
        glyphs = [Segment(LEFT, left.style), Segment(inner, middle.style), Segment(RIGHT, right.style)]
        return Strip([*glyphs, *segments[3:]], line.cell_length)


class ChecklistTicks(TickList):
    """A protocol checklist: space ticks the highlighted item, `a` ticks every item at once."""

    BINDINGS = [Binding("a", "tick_all", "Tick all", show=False)]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._items: list[str] | None = None  # the items the options were made from

    def action_tick_all(self) -> None:
        self.select_all()

    def show_ticked(self, items: list[str], ticked: set[str]) -> None:
        """The protocol's items, those on record ticked (a tick is never taken back); ticks not yet
        stored are kept. The options are made once: a re-read only ticks what was stored."""
        if self._items != items:
            keep = set(self.selected) | ticked
            self._items = list(items)
            self.clear_options()
            self.add_options([(item, item, item in keep) for item in items])
            self.highlighted = 0 if items else None
        for item in ticked:
            self.select(item)
