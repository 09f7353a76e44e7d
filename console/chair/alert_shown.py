"""A safety alert as a screen shows it: the rule broken, the value, and what was done about it.

A frozen copy of the stored row; its `id` and `version` are what an acknowledgement made from the
screen names (the version check).
"""

from dataclasses import dataclass, fields
from datetime import datetime

from console.store.models import Alert


@dataclass(frozen=True)
class AlertShown:
    id: int
    vitals_id: int | None  # the reading that raised it, if a reading did
    rule: str  # an AlertRule's code, as stored (a later version may not know it)
    value: str
    message: str
    raised_at: datetime
    acknowledged_at: datetime | None  # None: open
    acknowledged_by: int | None
    acknowledgement: str
    version: int

    @classmethod
    def of(cls, row: Alert) -> "AlertShown":
        return cls(**{field.name: getattr(row, field.name) for field in fields(cls)})
