"""A worker's result reaches its screen on the UI thread, or nowhere if the screen has closed meanwhile."""

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode, NoScreen
from textual.screen import Screen


def on_screen(node: DOMNode, callback: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """From a worker thread: run `callback` on the UI thread while `node`'s screen is still open.

    A load that finishes after its screen was closed (Esc while it ran, or while the screen was
    being taken down) is dropped instead of being drawn into widgets that are gone.
    """
    app = node.app

    def while_open() -> None:
        try:
            screen = node if isinstance(node, Screen) else node.screen
        except NoScreen:
            return
        if screen in app.screen_stack:
            callback(*args, **kwargs)

    app.call_from_thread(while_open)
