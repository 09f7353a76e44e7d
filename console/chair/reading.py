"""A vital-signs reading as a screen shows it: the values, when taken and entered, by whom.

A frozen copy of the stored row; its `id` and `version` are what a correction made from the
screen names (the version check).
"""

from dataclasses import dataclass, fields
from datetime import datetime

from console.store.models import VitalSigns


@dataclass(frozen=True)
class Reading:
    id: int
    measured_at: datetime
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    resp_rate: int
    temperature_c: float | None
    moaas: int
    taken_by: int
    recorded_at: datetime
    version: int  # above 1: corrected

    @classmethod
    def of(cls, row: VitalSigns) -> "Reading":
        return cls(**{field.name: getattr(row, field.name) for field in fields(cls)})


# What a rule reads a reading's values from: the stored row (a service) or the reading shown (a screen).
AnyReading = VitalSigns | Reading
