"""A worker's result reaches its screen only while that screen is open."""

import contextvars
import threading

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from widgets.ui_thread import on_screen


async def _from_a_worker_thread(app: App[None], screen: Screen[None], pilot: Pilot[None]) -> list[int]:
    """Call on_screen from another thread, as a worker does (with the app's context), and wait for it."""
    received: list[int] = []
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(lambda: on_screen(screen, received.append, 1),))
    thread.start()
    while thread.is_alive():
        await pilot.pause(0.01)
    return received


async def test_a_result_reaches_a_screen_that_is_open() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        screen: Screen[None] = Screen()
        app.push_screen(screen)
        await pilot.pause()
        assert await _from_a_worker_thread(app, screen, pilot) == [1]


async def test_a_result_for_a_screen_closed_meanwhile_is_dropped() -> None:
    """'#board-returned' / '#weight-label' NoMatches ended the console when a load outlived its screen."""
    app: App[None] = App()
    async with app.run_test() as pilot:
        screen: Screen[None] = Screen()
        app.push_screen(screen)
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert await _from_a_worker_thread(app, screen, pilot) == []
