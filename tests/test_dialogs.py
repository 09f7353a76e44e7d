"""The one dialog pattern: the store call runs off the UI thread, a refusal stays, Esc stores nothing."""

import threading
from collections.abc import Callable

from textual.app import App
from textual.widgets import Input, Static

from console.domain.errors import InvalidInput
from widgets.note_dialog import NoteDialog


class Host(App):
    CSS_PATH = "../widgets/chairside.tcss"

    def __init__(self, store: Callable[[str], None]) -> None:
        super().__init__()
        self.store = store
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(NoteDialog("Heading", "Prompt", self.store), self.results.append)


async def test_the_store_call_runs_in_a_worker_and_closes_the_dialog_with_its_result() -> None:
    threads = []
    app = Host(lambda note: threads.append(threading.current_thread()))
    async with app.run_test() as pilot:
        await pilot.press(*"checked", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.results == ["checked"]
        assert threads and threads[0] is not threading.main_thread()


async def test_a_refusal_is_shown_in_the_dialog_which_stays_open_with_what_was_typed() -> None:
    def refuse(note: str) -> None:
        raise InvalidInput("comment", "Comment: 3 to 500 characters.")

    app = Host(refuse)
    async with app.run_test() as pilot:
        await pilot.press(*"ok", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog) and app.results == []
        assert "Comment: 3 to 500 characters." in str(app.screen.query_one("#note-error", Static).render())
        assert app.screen.query_one("#note-text", Input).value == "ok"


async def test_escape_closes_with_nothing_stored() -> None:
    stored: list[str] = []
    app = Host(stored.append)
    async with app.run_test() as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None] and stored == []


async def test_escape_with_something_typed_asks_before_throwing_it_away() -> None:
    """A half-typed note, comment or booking vanished on Esc without a word."""
    from widgets.discard import DiscardDialog

    stored: list[str] = []
    app = Host(stored.append)
    async with app.run_test() as pilot:
        await pilot.press(*"half typed", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardDialog)
        await pilot.press("enter")  # the default keeps it
        await pilot.pause()
        assert (
            isinstance(app.screen, NoteDialog)
            and app.screen.query_one("#note-text", Input).value == "half typed"
        )
        await pilot.press("escape", "tab", "enter")  # discard, this time
        await pilot.pause()
        assert app.results == [None] and stored == []
