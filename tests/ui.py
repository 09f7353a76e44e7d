"""Typing into the console and waiting for it in Pilot tests."""

import time

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

HUMAN_GAP_S = 0.12  # a fast nurse's keys: further apart than a scanner's (ScannerSetup.max_gap_s)

# Keys the tests name; any other string of more than one character is text, typed letter by letter.
NAMED_KEYS = {
    "end",
    "home",
    "enter",
    "backspace",
    "delete",
    "tab",
    "space",
    "escape",
    "shift+tab",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    *(f"f{n}" for n in range(1, 13)),
    *(f"ctrl+{letter}" for letter in "abcdefghijklnopqrstuvwxyz"),
}


async def keys_taken(app: App[None], timeout: float = 10.0) -> None:
    """Every key sent has been given to the console and handled (see widgets.key_queue)."""
    import asyncio

    keys = getattr(app, "keys", None)
    deadline = time.monotonic() + timeout
    while keys is not None and not keys.idle and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


async def workers_done(app: App[None]) -> None:
    """Every worker has finished; one cancelled because a newer one replaced it counts as finished."""
    while True:
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


def burst(app: App[None], *keys: str) -> None:
    """Keys arriving at scanner speed: all queued at once, none waiting for the one before to be handled."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def letters(key: str) -> list[str]:
    """The keys of one argument of `type_keys`: a named key, or the letters of a text."""
    return list(key) if len(key) > 1 and key not in NAMED_KEYS else [key]


async def type_text(pilot: Pilot[None], text: str) -> None:
    """A field's text typed by a person, delivered at once: the keys reach the console together, as
    on a PC that could not keep up, each stamped with when a person would have typed it (so it is
    never taken for a scan). Waits until the screen has taken them, not for the machine to idle."""
    now = time.monotonic()  # Textual's own clock for events
    for index, character in enumerate(text):
        key = events.Key(character if character.isalnum() else _character_to_key(character), character)
        key.time = now - (len(text) - index) * HUMAN_GAP_S
        pilot.app.post_message(key)
    await pilot._wait_for_screen()


async def type_keys(pilot: Pilot[None], *keys: str) -> int:
    """Named keys pressed one by one, texts typed each as one burst; how many keys that was."""
    count = 0
    for key in keys:
        typed = letters(key)
        count += len(typed)
        if len(typed) > 1:
            await type_text(pilot, key)
        else:
            await pilot.press(key)
    return count


async def settle(pilot: Pilot[None]) -> None:
    """Every worker done and every message handled, twice (a worker's result may start another)."""
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()
