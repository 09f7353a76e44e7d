"""A real terminal for the end-to-end tests: a pseudo-terminal typed into, its screen kept by pyte.

The program runs on a real pty (pexpect), as in any terminal window; pyte, a terminal emulator in
Python, keeps what it draws. Nothing outside the project's own packages is needed.
"""

import copy
import threading
import time
from collections.abc import Iterator

import pexpect
import pyte
import pytest
from pyte.screens import Char, Cursor, StaticDefaultDict

# The keys the tests name, as an xterm sends them; anything else is typed as the text it is.
KEYS = {
    "Enter": "\r",
    "Escape": "\x1b",
    "Tab": "\t",
    "BSpace": "\x7f",
    "Space": " ",
    "Up": "\x1b[A",
    "Down": "\x1b[B",
    "F1": "\x1bOP",
    "F2": "\x1bOQ",
    "F3": "\x1bOR",
    "F4": "\x1bOS",
    "F5": "\x1b[15~",
    "F6": "\x1b[17~",
    "F7": "\x1b[18~",
    "F8": "\x1b[19~",
    "F9": "\x1b[20~",
    "F10": "\x1b[21~",
    "F11": "\x1b[23~",
    "F12": "\x1b[24~",
    **{f"C-{letter}": chr(ord(letter) - ord("a") + 1) for letter in "abcdefghijklnopqrstuvwxyz"},
}


ALTERNATE_SCREEN = (47, 1047, 1049)  # xterm's private modes for a full-screen program's own screen


class _Screen(pyte.HistoryScreen):
    """pyte's screen with xterm's alternate screen: a full-screen program's drawing is gone when it
    exits, and the shell's lines are back, as in any terminal window."""

    _saved: tuple[dict[int, StaticDefaultDict[int, Char]], Cursor] | None = None

    def set_mode(self, *modes: int, **kwargs: object) -> None:
        if kwargs.get("private") and set(modes) & set(ALTERNATE_SCREEN) and self._saved is None:
            self._saved = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.erase_in_display(2)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: object) -> None:
        if kwargs.get("private") and set(modes) & set(ALTERNATE_SCREEN) and self._saved is not None:
            (self.buffer, self.cursor), self._saved = self._saved, None
            self.dirty.update(range(self.lines))
        super().reset_mode(*modes, **kwargs)


# Synchronized output (DEC mode 2026): a program asks whether the terminal has it, then wraps each
# frame in a begin and an end; the terminal shows a frame once it is whole, as modern terminals do.
SYNC_QUERY, SYNC_REPLY = b"\x1b[?2026$p", b"\x1b[?2026;2$y"
SYNC_BEGIN, SYNC_END = b"\x1b[?2026h", b"\x1b[?2026l"


class _Frames:
    """What a program writes, given to the screen a whole frame at a time: a test never reads a
    screen half drawn (a field's first characters shown, its last not yet)."""

    def __init__(self, stream: pyte.ByteStream, child: "pexpect.spawn[bytes]") -> None:
        self._stream, self._child = stream, child
        self._pending = b""
        self._in_frame = False

    def feed(self, data: bytes) -> None:
        self._pending += data
        if SYNC_QUERY in self._pending:
            self._pending = self._pending.replace(SYNC_QUERY, b"")
            self._child.send(SYNC_REPLY)
        while True:
            marker = SYNC_END if self._in_frame else SYNC_BEGIN
            at = self._pending.find(marker)
            if at < 0:
                break
            self._stream.feed(self._pending[:at])
            self._pending, self._in_frame = self._pending[at + len(marker) :], not self._in_frame
        if not self._in_frame:  # outside a frame, shown as it comes, but for a marker's first bytes
            keep = self._pending.rfind(b"\x1b")
            keep = keep if keep >= 0 and len(self._pending) - keep < len(SYNC_QUERY) else len(self._pending)
            self._stream.feed(self._pending[:keep])
            self._pending = self._pending[keep:]


class Terminal:
    """One program at a time in a pseudo-terminal of a given size."""

    def __init__(self) -> None:
        self._child: pexpect.spawn[bytes] | None = None
        self._screen = _Screen(100, 30, history=5000)
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def open(self, command: str, width: int = 100, height: int = 30, cwd: str | None = None) -> None:
        """Run `command` (a bash command line) in a new terminal of `width` x `height`."""
        self.close()
        self._screen = _Screen(width, height, history=5000)
        stream = pyte.ByteStream(self._screen)
        child: pexpect.spawn[bytes] = pexpect.spawn(
            "bash", ["-c", command], dimensions=(height, width), cwd=cwd
        )
        self._child = child

        frames = _Frames(stream, child)

        def read() -> None:
            while True:
                try:
                    data = child.read_nonblocking(65536, timeout=0.1)
                except pexpect.TIMEOUT:
                    continue
                except (pexpect.EOF, OSError):
                    return
                with self._lock:
                    frames.feed(data)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def screen(self) -> str:
        """What the terminal shows now, a line per row."""
        with self._lock:
            return "\n".join(line.rstrip() for line in self._screen.display)

    def transcript(self) -> str:
        """The lines scrolled off the top since the last `clear_history`, then the screen."""
        with self._lock:
            width = self._screen.columns
            scrolled = [
                "".join(line[column].data for column in range(width)).rstrip()
                for line in self._screen.history.top
            ]
            return "\n".join([*scrolled, *(line.rstrip() for line in self._screen.display)])

    def clear_history(self) -> None:
        with self._lock:
            self._screen.history.top.clear()

    def type(self, *keys: str) -> None:
        """Each key by its name (`Enter`, `C-q`, `F2`), or text typed as it is, all at once."""
        assert self._child is not None, "open a program first"
        self._child.send("".join(KEYS.get(key, key) for key in keys))

    def wait_for(self, text: str, timeout: float = 30, gone: str | None = None) -> str:
        """The screen once it shows `text` (and no longer shows `gone`, when given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen and (gone is None or gone not in screen):
                return screen
            time.sleep(0.2)
        without = f" without {gone!r}" if gone else ""
        raise AssertionError(f"{text!r}{without} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        if self._child is not None:
            self._child.close(force=True)
            self._child = None
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    yield term
    term.close()
