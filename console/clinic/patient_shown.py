"""A patient as a screen shows them: who, their weight, allergies, diagnosis, medications, history.

A frozen copy of the stored row, read in the same transaction as the rest of what is shown; its
`id` and `version` are what a correction made from the screen names (the version check).
"""

from dataclasses import dataclass, fields
from datetime import date

from console.domain.vocab import Sex
from console.store.models import Patient


@dataclass(frozen=True)
class PatientShown:
    id: int
    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date
    sex: Sex
    weight_kg: float | None
    weight_measured_on: date | None
    allergies: str
    diagnosis_code: str
    diagnosis_label: str
    medications: str  # `;`-separated as written
    relevant_history: str  # contraindication codes, comma-separated
    version: int

    @classmethod
    def of(cls, row: Patient) -> "PatientShown":
        return cls(**{field.name: getattr(row, field.name) for field in fields(cls)})

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"
