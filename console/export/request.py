"""What an export is asked to write: the days, the folder, the format and its options."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from console.export.datapackage import DATAPACKAGE
from console.export.dictionary import FILES

BUNDLE = "bundle.json"


@dataclass(frozen=True)
class ExportRequest:
    date_from: date
    date_to: date
    out: Path
    format: Literal["csv", "fhir"] = "csv"
    deidentify: bool = False
    bom: bool = False
    force: bool = False
    pseudonym_key: str | None = None
    tolerance_mg: float = 0.5  # the protocol's reconciliation tolerance, as at discharge

    @property
    def files(self) -> list[str]:
        return [*FILES, DATAPACKAGE] if self.format == "csv" else [BUNDLE]
