"""A side effect as a screen shows it: what, how severe, since when, resolved or not, what was done.

A frozen copy of the stored row; its `id` and `version` are what a correction or a resolution
made from the screen names (the version check).
"""

from dataclasses import dataclass, fields
from datetime import datetime

from console.domain.vocab import SideEffectType
from console.store.models import SideEffect


@dataclass(frozen=True)
class SideEffectShown:
    id: int
    effect: SideEffectType
    other_text: str  # what it was, for SideEffectType.OTHER
    grade: int  # CTCAE, 1 to 5
    onset_at: datetime
    action_taken: str
    resolved_at: datetime | None
    recorded_by: int
    recorded_at: datetime
    version: int

    @classmethod
    def of(cls, row: SideEffect) -> "SideEffectShown":
        return cls(**{field.name: getattr(row, field.name) for field in fields(cls)})
