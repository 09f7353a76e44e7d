"""The table of vital signs against what must declare each field again: the database table, the
pydantic input and the export's typed row; and what is derived from it."""

import re

import pytest
from annotated_types import Ge, Le
from sqlalchemy import CheckConstraint

from console.domain.inputs import VitalsIn
from console.domain.vitals_fields import VITALS_FIELDS, headings, shown, vitals_field
from console.export.catalogue import export_file
from console.store.models import VitalSigns, table_of

NOT_A_SIGN = {"id", "session_id", "measured_at", "taken_by", "recorded_at", "version"}
NAMES = [field.name for field in VITALS_FIELDS]


def test_the_table_names_every_field_of_a_reading_and_of_its_input_once() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert set(NAMES) == set(VitalsIn.model_fields) - NOT_A_SIGN
    assert set(NAMES) == {column.name for column in table_of(VitalSigns).columns} - NOT_A_SIGN


@pytest.mark.parametrize("name", NAMES)
def test_the_input_accepts_exactly_the_tables_bounds_and_kind_of_number(name: str) -> None:
    field, declared = vitals_field(name), VitalsIn.model_fields[name]
    bounds = {type(rule): rule for rule in declared.metadata}
    assert (bounds[Ge].ge, bounds[Le].le) == (field.low, field.high)
    assert (int in (declared.annotation, *getattr(declared.annotation, "__args__", ()))) == field.whole


@pytest.mark.parametrize("name", NAMES)
def test_the_database_refuses_exactly_outside_the_tables_bounds(name: str) -> None:
    field = vitals_field(name)
    checks = [
        str(constraint.sqltext)
        for constraint in table_of(VitalSigns).constraints
        if isinstance(constraint, CheckConstraint) and constraint.name == f"ck_vital_signs_{name}_range"
    ]
    (check,) = checks
    numbers = [float(number) for number in re.findall(r"\b\d+(?:\.\d+)?\b", check)]
    assert numbers == [field.low, field.high], check


def test_the_exports_vitals_row_and_dictionary_list_every_field_in_the_tables_order() -> None:
    vitals = export_file("vitals.csv")
    assert [c.name for c in vitals.columns if c.name in NAMES] == NAMES
    assert hasattr(vitals.record, "_fields")  # a NamedTuple
    assert [name for name in vitals.record._fields if name in NAMES] == NAMES


def test_fields_sharing_a_flowsheet_column_are_adjacent_and_give_it_one_width() -> None:
    shown_in = [field.heading for field in VITALS_FIELDS]
    assert [heading for heading in dict.fromkeys(shown_in)] == headings()
    for heading in headings():
        first, last = shown_in.index(heading), len(shown_in) - shown_in[::-1].index(heading)
        assert set(shown_in[first:last]) == {heading}, heading
        assert len({field.width for field in VITALS_FIELDS if field.heading == heading}) == 1, heading


def test_a_sign_without_a_loinc_code_is_a_whole_number_score_and_one_with_a_code_has_a_unit() -> None:
    for field in VITALS_FIELDS:
        assert field.whole or field.loinc, field.name  # the bundle gives a score as an integer
        assert bool(field.ucum) == bool(field.loinc), field.name


def test_a_value_is_shown_without_decimals_when_whole_and_blank_when_not_taken() -> None:
    assert (shown(128), shown(36.8), shown(None)) == ("128", "36.8", "")


def test_a_name_a_reading_does_not_have_is_an_error() -> None:
    with pytest.raises(ValueError, match="no vital sign named 'etco2'"):
        vitals_field("etco2")
