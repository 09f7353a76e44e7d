"""Every CSV export carries datapackage.json, and the `frictionless` library validates the files by it:
the dictionary, the schema and the files cannot drift apart."""

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from frictionless import Report, validate

from console.chair import charting
from console.domain.actors import Actor
from console.export.catalogue import FILES
from console.export.dictionary import CODE
from console.export.modes import Mode
from console.store.database import Database
from tests.factories import a_rems_session, a_whole_record, discharged_session
from tests.test_export import _export


def _errors(report: Report) -> list[str]:
    return [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors
    ]


KINDS: dict[str, dict[str, Any]] = {
    "identified": {},
    "Safe Harbor": {"mode": Mode.SAFE_HARBOR},
    "limited data set": {"mode": Mode.LIMITED},
    "with a BOM": {"bom": True},
}


@pytest.mark.slow
def test_every_kind_of_export_is_valid_against_its_own_data_package(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    a_whole_record(db, staff, "all well =1+1")  # a text a spreadsheet would run, neutralised
    a_rems_session(db, staff["marcus"], mrn="MRN-3003")
    row = discharged_session(db, staff["nina"], mrn="MRN-2002")
    charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 2, "onset_at": db.clock.now()}
    )
    for kind, options in KINDS.items():
        out = _export(db, tmp_path, folder=kind, **options)
        package = json.loads((out / "datapackage.json").read_text())
        for resource in package["resources"]:
            with (out / resource["path"]).open(encoding=resource["encoding"], newline="") as stream:
                header = next(csv.reader(stream))
            assert header == [field["name"] for field in resource["schema"]["fields"]], (
                kind,
                resource["path"],
            )
        report = validate(out / "datapackage.json")
        assert report.valid, (kind, _errors(report))
        assert sum(task.stats.get("rows", 0) for task in report.tasks) > 10  # rows were read and checked


def test_a_value_the_dictionary_does_not_allow_makes_the_package_invalid(
    db: Database, staff: dict[str, Actor], tmp_path: Path
) -> None:
    discharged_session(db, staff["nina"])
    out = _export(db, tmp_path)
    sessions = out / "sessions.csv"
    sessions.write_text(sessions.read_text().replace("iv_infusion", "oral"))
    report = validate(out / "datapackage.json")
    assert not report.valid and any("oral" in error for error in _errors(report))


def test_every_code_column_lists_its_values_and_every_column_says_what_empty_means() -> None:
    for name, described, *_ in FILES:
        for column in described:
            assert column.empty, (name, column.name)
            assert (column.type == CODE) == bool(column.values), (name, column.name)
