"""What an export is asked to write: the days, the folder, the format and its options."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from console.export.datapackage import DATAPACKAGE
from console.export.dictionary import FILES

BUNDLE = "bundle.json"
WORKBOOK = "export.xlsx"


@dataclass(frozen=True)
class ExportRequest:
    date_from: date
    date_to: date
    out: Path
    format: Literal["csv", "fhir", "xlsx"] = "csv"
    deidentify: bool = False
    bom: bool = False
    force: bool = False
    pseudonym_key: str | None = None
    tolerance_mg: float = 0.5  # the protocol's reconciliation tolerance, as at discharge

    @property
    def files(self) -> list[str]:
        if self.format == "csv":
            return [*FILES, DATAPACKAGE]
        return [WORKBOOK] if self.format == "xlsx" else [BUNDLE]
