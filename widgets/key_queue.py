"""Keys typed ahead: one queue for the whole console, so a key never lands in a field it was not for.

A nurse types on without looking, and a slow PC draws late. So the console takes one key at a time:
each key is followed up the way it went by a `KeyHandled` message, and the next key waits until that
message is back, which is when the key and the messages it started have been handled (a digit is in
its field before the Enter after it moves the focus on). A screen still opening (its record being
read, a step being saved whose answer decides the next field) holds the keys too. Held keys are
delivered in order to whatever then has the focus; if nothing is ready within `HOLD_SECONDS`,
they are dropped, with a note, rather than given to a field they were never typed for.
"""

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.app import App

HOLD_SECONDS = 5.0  # held longer than this, keys are dropped with a note: never typed into the wrong field
RETRY_SECONDS = 0.01  # how often held keys look for a console ready to take them


class KeyHandled(Message):
    """Sent after a key to the widget the key went to; it bubbles up behind the key."""

    def __init__(self, key: events.Key) -> None:
        super().__init__()
        self.key = key


class KeyQueue:
    """The application's keys, in order; `take` gives one to the console."""

    def __init__(
        self,
        app: "App[object]",
        take: Callable[[events.Key], Awaitable[None]],
        ready: Callable[[events.Key], bool],
        dropped: Callable[[int], None],
    ) -> None:
        self._app = app
        self._take = take
        self._ready = ready  # the screen on top is up, and ready for this key
        self._dropped = dropped
        self._held: list[events.Key] = []
        self._held_since = 0.0
        self._following: KeyHandled | None = None  # the key on its way up, not handled yet
        self._following_to: Widget | None = None
        self._busy = False  # a key is being given to the console now
        self._releasing = False

    def arrived(self, key: events.Key) -> bool:
        """A key from the keyboard: False when it may go to the console now (the caller gives it)."""
        if not self._held and self.ready(key):
            return False
        self._hold(key)
        return True

    def ready(self, key: events.Key) -> bool:
        """Nothing on its way, nothing being given, and the screen ready for `key`."""
        if self._following is not None and not self._following_attached():
            self._following = None  # the widget it went to is gone, and with it whatever it started
        return self._following is None and not self._busy and self._ready(key)

    async def give(self, key: events.Key) -> None:
        """Give `key` to the console; keys after it wait until it has been handled."""
        before = self._app.focused
        self._busy = True
        try:
            await self._take(key)
        finally:
            self._busy = False
        self._follow(key, before)

    def handled(self, message: KeyHandled) -> None:
        """A `KeyHandled` reached the application."""
        if message is self._following:
            self._following, self._following_to = None, None
            self.wake()

    def wake(self) -> None:
        """Something the held keys wait for has happened (a screen opened, a key was handled)."""
        if self._held and not self._releasing:
            self._releasing = True
            self._app.call_later(self._release)

    @property
    def idle(self) -> bool:
        """Every key typed has been given to the console and handled."""
        return not self._held and self._following is None and not self._busy

    # ----- held keys -----------------------------------------------------------------------------
    def _hold(self, key: events.Key) -> None:
        if not self._held:
            self._held_since = time.monotonic()
        self._held.append(key)
        self._schedule()

    def _schedule(self) -> None:
        if not self._releasing:
            self._releasing = True
            self._app.set_timer(RETRY_SECONDS, self._release)

    async def _release(self) -> None:
        """Held keys go on in order, one at a time, each once the console has handled the one before."""
        self._releasing = False
        if not self._app.screen_stack:  # the console is closing: nothing is left to type into
            self._held.clear()
            return
        while self._held and self.ready(self._held[0]):
            await self.give(self._held.pop(0))
        if not self._held:
            return
        if time.monotonic() - self._held_since >= HOLD_SECONDS:
            # Typed for a field that never opened: dropped, said; Esc (leaving) still goes through.
            leaving = [key for key in self._held if key.key == "escape"][:1]
            if len(self._held) > len(leaving):
                self._dropped(len(self._held) - len(leaving))
            self._held, self._held_since = leaving, time.monotonic()
            if not leaving:
                return
        self._schedule()

    def _follow(self, key: events.Key, before: Widget | None) -> None:
        """Send `KeyHandled` the way the key went: to where the focus was when it arrived."""
        target = before if before is not None and before.is_attached else None
        target = target or self._app.focused or self._app.screen
        self._following, self._following_to = KeyHandled(key), target
        target.post_message(self._following)

    def _following_attached(self) -> bool:
        target = self._following_to
        return target is not None and target.is_attached
