"""datapackage.json: the CSV set described as a Frictionless Data Package, generated from the dictionary.

Each file is a tabular data resource with a Table Schema: every column's type, unit, meaning,
what an empty cell means, and a code column's only values. A receiver's tools (frictionless,
pandas, R, spreadsheets) read the files by it; since it is generated from the same dictionary
the files are written by, the two cannot drift apart.
"""

from typing import Any

from console.export.catalogue import file_names
from console.export.dictionary import BOOLEAN, CODE, DATE, INTEGER, NUMBER, TEXT, TIME, Column
from console.export.modes import STANDARD, Mode, plan

DATAPACKAGE = "datapackage.json"
TYPES = {
    TEXT: "string",
    CODE: "string",
    INTEGER: "integer",
    NUMBER: "number",
    DATE: "date",
    TIME: "datetime",
    BOOLEAN: "boolean",
}
# A text cell that a spreadsheet would run as a formula begins with an apostrophe (csv_safe).
NEUTRALISED = "a text beginning with ' had it added so that no spreadsheet runs it as a formula"


def descriptor(mode: Mode, bom: bool) -> dict:
    """The package of one export: a resource per CSV file, its columns as that export has them."""
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "chairside-export",
        "title": "Chairside export",
        "resources": [_resource(name, mode, bom) for name in file_names()],
    }
    if STANDARD[mode]:
        package["description"] = STANDARD[mode]
    return package


def _resource(name: str, mode: Mode, bom: bool) -> dict:
    return {
        "profile": "tabular-data-resource",
        "name": name.removesuffix(".csv").replace("_", "-"),
        "path": name,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig" if bom else "utf-8",
        "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
        "schema": {
            "fields": [_field(shown.column) for shown in plan(name, mode)],
            "missingValues": [""],
        },
    }


def _field(column: Column) -> dict:
    field: dict = {
        "name": column.name,
        "type": TYPES[column.type],
        "description": f"{column.meaning}. Empty: {column.empty}.",
    }
    if column.unit:
        field["unit"] = column.unit
    if column.type == TEXT:
        field["description"] += f" ({NEUTRALISED})"
    if column.type == TIME:
        field["format"] = "any"  # ISO 8601 with the clinic's UTC offset
    if column.type == BOOLEAN:
        field["trueValues"], field["falseValues"] = ["true"], ["false"]
    if column.values:
        field["constraints"] = {"enum": list(column.values)}
    return field
