"""The session's side effects as a table: Enter on one opens it for correction."""

from zoneinfo import ZoneInfo

from textual.widgets import DataTable

from console.chair.session_view import SessionView
from console.domain.vocab import SideEffectType
from widgets.plain import plain_cells

COLUMNS = (("Side effect", 22), ("Grade", 5), ("Onset", 5), ("Resolved", 8), ("Action", 24))


class SideEffectsTable(DataTable):
    def on_mount(self) -> None:
        for label, width in COLUMNS:
            self.add_column(label, width=width)

    def show(self, view: SessionView, zone: ZoneInfo) -> None:
        self.clear()
        for effect in view.side_effects:
            name = (
                effect.other_text
                if effect.effect == SideEffectType.OTHER
                else SideEffectType(effect.effect).label
            )
            resolved = f"{effect.resolved_at.astimezone(zone):%H:%M}" if effect.resolved_at else "open"
            cells = (
                name,
                str(effect.grade),
                f"{effect.onset_at.astimezone(zone):%H:%M}",
                resolved,
                effect.action_taken,
            )
            self.add_row(*plain_cells(*cells), key=str(effect.id))
