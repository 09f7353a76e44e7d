"""The footer of every screen: Textual's, redrawn only when the keys it shows change."""

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's Footer rebuilds its keys whenever the bindings may have changed, which is at every
    focus move: twenty-odd widgets mounted and styled again at each Enter of the session screen.
    This one rebuilds them only when what it would show is different."""

    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # nothing to draw yet: Textual's own handling
            return
        shown = _keys_shown(screen)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)


def _keys_shown(screen: Screen[object]) -> tuple[object, ...]:
    """Everything of the screen's active bindings that the footer's keys are drawn from."""
    return tuple(
        (key, binding.action, binding.description, binding.key_display, binding.group, enabled, tooltip)
        for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
        if binding.show or key == screen.app.COMMAND_PALETTE_BINDING
    )
