"""What an export is asked to write: the days, the folder, the format and its options."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from console.domain.protocol import AlertThresholds, BillingCodes
from console.export.catalogue import file_names
from console.export.datapackage import DATAPACKAGE
from console.export.modes import Mode

BUNDLE = "bundle.json"
WORKBOOK = "export.xlsx"
Format = Literal["csv", "fhir", "xlsx"]


@dataclass(frozen=True)
class ExportRequest:
    date_from: date
    date_to: date
    out: Path
    format: Format = "csv"
    mode: Mode = Mode.IDENTIFIED
    bom: bool = False
    force: bool = False
    tolerance_mg: float = 0.5  # the protocol's reconciliation tolerance, as at discharge
    billing: BillingCodes = field(default_factory=BillingCodes)  # the protocol's code table
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)  # "acceptable" vital signs

    @property
    def pseudonymous(self) -> bool:
        """Patients named by their random code, not by name and MRN."""
        return self.mode is not Mode.IDENTIFIED

    @property
    def files(self) -> list[str]:
        if self.format == "csv":
            return [*file_names(), DATAPACKAGE]
        return [WORKBOOK] if self.format == "xlsx" else [BUNDLE]

    @property
    def steps(self) -> list[str]:
        """The names the export's progress reports, in the order it writes them: a file or a sheet each."""
        return [BUNDLE] if self.format == "fhir" else file_names()
