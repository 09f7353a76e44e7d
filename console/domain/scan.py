"""Telling a wristband scanner from a person: a prefix the scanner sends, or a burst shaped like an MRN.

A scanner types like a keyboard. Set up with a prefix character (most scanners can send one), every
code it sends is recognised for sure. Without one, a run of keys closer together than any person
types, shaped like an MRN (letters and digits, at least one digit) and ended by Enter, is a scan.
"""

import re
from dataclasses import dataclass, field

MRN_SHAPE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9-]{2,19}$")


@dataclass(frozen=True)
class ScannerSetup:
    prefix: str = ""  # one character the scanner sends before each code; empty: recognise bursts
    max_gap_s: float = 0.03  # a person does not type two keys this close together; a scanner does
    min_length: int = 8  # shorter bursts are left to the field (a username, a lot typed quickly)


@dataclass
class ScanDetector:
    """Fed every key as it arrives; says which keys belong to a scan and what was scanned."""

    setup: ScannerSetup = field(default_factory=ScannerSetup)
    _run: list[str] = field(default_factory=list)
    _last: float | None = None
    _prefixed: bool = False  # inside a code that began with the prefix

    def key(self, character: str | None, at: float) -> bool:
        """A key other than Enter; True when it belongs to a prefixed scan (it must not reach a field)."""
        if self.setup.prefix and character == self.setup.prefix:
            self._prefixed, self._run, self._last = True, [], at
            return True
        fast = self._last is not None and at - self._last <= self.setup.max_gap_s
        self._last = at
        if self._prefixed:
            if character and character.isprintable():
                self._run.append(character)
                return True
            self._prefixed, self._run = False, []  # not a code after all: a control key ends it
            return False
        if character and character.isprintable():
            self._run = [*self._run, character] if fast else [character]  # a pause starts a new run
        else:
            self._run = []
        return False

    def enter(self, at: float) -> str | None:
        """Enter: the code scanned, if the keys before it were a scan (then Enter belongs to it too)."""
        code, fast = "".join(self._run), self._last is not None and at - self._last <= self.setup.max_gap_s
        prefixed, self._prefixed, self._run, self._last = self._prefixed, False, [], None
        if prefixed:
            return code or None
        if self.setup.prefix:
            return None  # with a prefix set up, only prefixed codes are scans
        if fast and len(code) >= self.setup.min_length and MRN_SHAPE.match(code):
            return code
        return None
