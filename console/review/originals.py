"""Corrected values and what they were: the review shows the record as it stands, the originals on demand."""

from zoneinfo import ZoneInfo

from console.review.audit_trail import TrailEntry
from console.review.record_text import CORRECTED_MARK, when

CORRECTIONS = {"vitals.correct": "Reading", "dose.correct": "Dose", "side_effect.correct": "Side effect"}


def original_lines(trail: list[TrailEntry], zone: ZoneInfo) -> list[str]:
    """Each correction, oldest first: what, when, by whom, and each value from what it was to what it is."""
    lines = [
        f"{CORRECTED_MARK} {what} corrected {when(entry.at, zone)} by {entry.actor}: {entry.summary()}"
        for entry in trail
        if (what := CORRECTIONS.get(entry.action))
    ]
    return lines or ["No value of this session was corrected."]
