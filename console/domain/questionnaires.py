"""Measurement-based care: PEG (pain, enjoyment of life, general activity, Krebs 2009), PHQ-9
(Kroenke 2001) and GAD-7 (Spitzer 2006), typed as one line each, scored and classed.

PEG is three numbers 0-10 (`6 7 5`); PHQ-9 and GAD-7 are items 0-3, typed with or without
spaces (`2 1 2 1 0 1 1 0 0` or `212101100`). The score, bands and change classes follow the
clinical reference; nothing here depends on how they are stored.
"""

import re
from dataclasses import dataclass

from console.domain.errors import InvalidInput
from console.domain.vocab import Instrument

ITEM_COUNT = {Instrument.PEG: 3, Instrument.PHQ9: 9, Instrument.GAD7: 7}
ITEM_MAX = {Instrument.PEG: 10, Instrument.PHQ9: 3, Instrument.GAD7: 3}
HINT = {
    Instrument.PEG: "past week, 0-10: average pain, interference with enjoyment of life, with "
    "general activity (e.g. 6 7 5)",
    Instrument.PHQ9: "nine answers 0-3 in the form's order, e.g. 212101100",
    Instrument.GAD7: "seven answers 0-3 in the form's order, e.g. 1121010",
}
LOINC = {Instrument.PHQ9: "44261-6", Instrument.GAD7: "70274-6"}  # total scores; PEG has none
# PHQ-9 item 9: thoughts of being better off dead or of self-harm.
SELF_HARM_ITEM = 9
# Severity bands: (lowest total, name), highest first.
BANDS = {
    Instrument.PHQ9: (
        (20, "severe"),
        (15, "moderately severe"),
        (10, "moderate"),
        (5, "mild"),
        (0, "minimal"),
    ),
    Instrument.GAD7: ((15, "severe"), (10, "moderate"), (5, "mild"), (0, "minimal")),
}
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit: it takes ¹ and other digits int() refuses
PEG_MEANINGFUL_DROP = 0.30  # a reduction of 30 % is the usual meaningful change
PHQ9_RESPONSE_DROP = 0.50
PHQ9_REMISSION_BELOW = 5


def parse_answers(instrument: Instrument, line: str) -> tuple[int, ...]:
    """The items typed on one line, or InvalidInput naming the instrument and what it accepts."""
    name, count, top = instrument.label, ITEM_COUNT[instrument], ITEM_MAX[instrument]
    parts = line.replace(",", " ").split()
    if top < 10 and len(parts) == 1 and len(parts[0]) == count:
        parts = list(parts[0])  # single-digit answers typed without spaces
    bad = next((part for part in parts if not _DIGITS.fullmatch(part)), None)
    if bad is not None:
        raise InvalidInput(instrument.value, f"{name}: '{bad}' is not a number; {HINT[instrument]}.")
    items = tuple(int(part) for part in parts)
    if len(items) != count:
        given = f"{len(items)} answer" + ("" if len(items) == 1 else "s")
        raise InvalidInput(instrument.value, f"{name}: {given}; it has {count}: {HINT[instrument]}.")
    for number, item in enumerate(items, 1):
        if item > top:
            raise InvalidInput(instrument.value, f"{name}: item {number} is {item}; each is 0 to {top}.")
    return items


def check_items(instrument: Instrument, items: tuple[int, ...]) -> None:
    """InvalidInput unless `items` are the instrument's number of answers, each in its range."""
    parse_answers(instrument, " ".join(str(item) for item in items))


def score(instrument: Instrument, items: tuple[int, ...]) -> float:
    """PEG: the mean of its three items, to one decimal; PHQ-9 and GAD-7: the total."""
    if instrument == Instrument.PEG:
        return round(sum(items) / len(items), 1)
    return float(sum(items))


def band(instrument: Instrument, total: float) -> str:
    """PHQ-9 and GAD-7 severity band of a total; PEG has none ("")."""
    for lowest, name in BANDS.get(instrument, ()):
        if total >= lowest:
            return name
    return ""


def shown_score(instrument: Instrument, items: tuple[int, ...]) -> str:
    """`PEG 6.0`, `PHQ-9 14 (moderate)`."""
    value = score(instrument, items)
    if instrument == Instrument.PEG:
        return f"PEG {value:.1f}"
    return f"{instrument.label} {value:g} ({band(instrument, value)})"


@dataclass(frozen=True)
class Change:
    """How a score moved from the series' baseline: the percent (negative is better) and its class."""

    percent: float | None  # None when the baseline is 0
    name: str


def change(instrument: Instrument, baseline: float, latest: float) -> Change:
    """PEG: `improved` at a 30 % reduction or more; PHQ-9: `remission` below 5, `response` at a 50 %
    reduction, else `no response`; GAD-7: the percent only (the reference gives it no class)."""
    percent = None if baseline == 0 else round((latest - baseline) / baseline * 100, 1)
    drop = 0.0 if percent is None else -percent / 100
    if instrument == Instrument.PHQ9:
        if latest < PHQ9_REMISSION_BELOW:
            return Change(percent, "remission")
        return Change(percent, "response" if drop >= PHQ9_RESPONSE_DROP else "no response")
    if instrument == Instrument.GAD7:
        return Change(percent, "")
    return Change(percent, "improved" if drop >= PEG_MEANINGFUL_DROP else "not improved")


def self_harm_answer(instrument: Instrument, items: tuple[int, ...]) -> int:
    """PHQ-9 item 9's answer (0 for any other instrument)."""
    return items[SELF_HARM_ITEM - 1] if instrument == Instrument.PHQ9 else 0


def with_change(instrument: Instrument, items: tuple[int, ...], baseline: tuple[int, ...] | None) -> str:
    """`PEG 4.7, series start 7.3: -36 %, improved`; the score alone without a baseline."""
    said = shown_score(instrument, items)
    if baseline is None:
        return said
    start, now = score(instrument, baseline), score(instrument, items)
    moved = change(instrument, start, now)
    percent = "" if moved.percent is None else f"{moved.percent:+.0f} %"
    parts = ", ".join(part for part in (percent, moved.name) if part)
    return f"{said}, series start {start:g}" + (f": {parts}" if parts else "")
