"""The export's CSV files: one table, read by every writer (CSV, workbook, data package, workers).

Each file has its name, its columns (the data dictionary), the typed row its query yields, the
query, and the order worker processes take it in. A file is added here, once; a name not here is
an error, never another file's rows.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from console.domain.protocol import AlertThresholds, BillingCodes
from console.export import dictionary, records, rows
from console.export.dictionary import Column


class Asked(Protocol):
    """What the queries read of the export's request (console.export.request, which lists these
    files' names, so it is not imported here)."""

    @property
    def date_from(self) -> date: ...
    @property
    def date_to(self) -> date: ...
    @property
    def pseudonymous(self) -> bool: ...
    @property
    def tolerance_mg(self) -> float: ...
    @property
    def billing(self) -> BillingCodes: ...
    @property
    def thresholds(self) -> AlertThresholds: ...


Query = Callable[[Session, Asked, ZoneInfo], Iterator[records.Record]]


class ExportFile(NamedTuple):
    name: str
    columns: list[Column]  # in file order: the dictionary's, and the record's fields
    record: type[tuple]  # the typed row its query yields (console.export.records)
    query: Query
    # Workers take the lowest first: the longest to write (five-year demo) go first, so no one
    # file is left to run alone at the end; equal ones in file order.
    work_order: int


# Every file, in the export's order (of the files, the workbook's sheets and the data package). The
# queries look their producer up when called, so a test may replace one (console.export.rows).
FILES: tuple[ExportFile, ...] = (
    ExportFile(
        "sessions.csv",
        dictionary.SESSIONS,
        records.SessionRow,
        lambda db, request, zone: rows.sessions(db, request.date_from, request.date_to, request.pseudonymous),
        2,
    ),
    ExportFile(
        "vitals.csv",
        dictionary.VITALS,
        records.VitalsRow,
        lambda db, request, zone: rows.vitals(db, request.date_from, request.date_to),
        0,
    ),
    ExportFile(
        "side_effects.csv",
        dictionary.SIDE_EFFECTS,
        records.SideEffectRow,
        lambda db, request, zone: rows.side_effects(db, request.date_from, request.date_to),
        6,
    ),
    ExportFile(
        "controlled_substances.csv",
        dictionary.CONTROLLED,
        records.ControlledRow,
        lambda db, request, zone: rows.controlled_substances(
            db, request.date_from, request.date_to, request.tolerance_mg
        ),
        5,
    ),
    ExportFile(
        "notes.csv",
        dictionary.NOTES,
        records.NoteRow,
        lambda db, request, zone: rows.notes(db, request.date_from, request.date_to, zone),
        6,
    ),
    ExportFile(
        "alerts.csv",
        dictionary.ALERTS,
        records.AlertRow,
        lambda db, request, zone: rows.alerts(db, request.date_from, request.date_to),
        6,
    ),
    ExportFile(
        "returns.csv",
        dictionary.RETURNS,
        records.ReturnRow,
        lambda db, request, zone: rows.returns(db, request.date_from, request.date_to),
        6,
    ),
    ExportFile(
        "addenda.csv",
        dictionary.ADDENDA,
        records.AddendumRow,
        lambda db, request, zone: rows.addenda(db, request.date_from, request.date_to),
        6,
    ),
    ExportFile(
        "billing.csv",
        dictionary.BILLING,
        records.BillingRow,
        lambda db, request, zone: rows.billing(db, request.date_from, request.date_to, request.billing),
        3,
    ),
    ExportFile(
        "rems_monitoring.csv",
        dictionary.REMS_MONITORING,
        records.RemsRow,
        lambda db, request, zone: rows.rems_monitoring(
            db, request.date_from, request.date_to, request.thresholds, zone
        ),
        1,
    ),
    ExportFile(
        "questionnaires.csv",
        dictionary.QUESTIONNAIRES,
        records.QuestionnaireRow,
        lambda db, request, zone: rows.questionnaires(db, request.date_from, request.date_to),
        4,
    ),
)


def file_names() -> list[str]:
    """Every file's name, in the export's order."""
    return [file.name for file in FILES]


def export_file(name: str) -> ExportFile:
    """The file named `name`; a ValueError for a name the export does not have."""
    for file in FILES:
        if file.name == name:
            return file
    raise ValueError(f"the export has no file named {name!r}")


def in_work_order() -> list[ExportFile]:
    """Every file in the order worker processes take them."""
    return sorted(FILES, key=lambda file: file.work_order)
