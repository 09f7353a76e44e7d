"""Medications that matter at the chair, recognised in a patient's list (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.chair.session_guide import header
from console.chair.session_view import load_session_view
from console.domain.actors import Actor
from console.domain.medications import answered_warnings, listed, medication_classes, warnings
from console.domain.protocol import Protocol
from console.store.database import Database
from tests.factories import a_rems_session


def test_each_class_that_matters_is_recognised_by_its_generic_name_whatever_the_dose_or_case() -> None:
    found = warnings("Sertraline 50 mg; LORAZEPAM 1 mg prn; lamotrigine 100 mg bd; oxycodone 5 mg; zolpidem")
    assert [(w.medicine, w.kind) for w in found] == [
        ("LORAZEPAM 1 mg prn", "benzodiazepine"),
        ("lamotrigine 100 mg bd", "lamotrigine"),
        ("oxycodone 5 mg", "opioid"),
        ("zolpidem", "sedative-hypnotic"),
    ]
    assert found[0].describe() == (
        "⚠ LORAZEPAM 1 mg prn (benzodiazepine): adds sedation; associated with a weaker ketamine response"
    )
    assert [w.why for w in warnings("phenelzine 15 mg; methylphenidate 10 mg")] == [
        "raises blood pressure"
    ] * 2


def test_a_medicine_is_recognised_as_a_word_not_inside_another() -> None:
    assert warnings("duloxetine 60 mg; sertraline") == []
    assert warnings("tramadolx") == []  # not a name on the list


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Xanax 0.5 mg prn", "benzodiazepine"),
        ("Suboxone 8/2 mg", "opioid"),
        ("buprenorphine-naloxone 8/2 mg", "opioid"),
        ("MS Contin 30 mg bd", "opioid"),
        ("Adderall XR 20 mg", "psychostimulant"),
        ("Vyvanse 30 mg", "psychostimulant"),
        ("linezolid 600 mg bd", "MAOI"),
        ("Methylene Blue (pre-op)", "MAOI"),
        ("Lamictal 100 mg", "lamotrigine"),
        ("gabapentin 300 mg tds", "gabapentinoid"),
        ("Lyrica 75 mg", "gabapentinoid"),
        ("Fioricet prn", "barbiturate"),
        ("Flexeril 10 mg nocte", "muscle relaxant"),
        ("Soma 350 mg", "muscle relaxant"),
        ("Ambien 5 mg", "sedative-hypnotic"),
        ("MS-Contin 15 mg", "opioid"),
        ("methylene-blue", "MAOI"),
        ("Lorazépam 1 mg", "benzodiazepine"),
        ("valiums", "benzodiazepine"),
        ("Belsomra 10 mg", "sedative-hypnotic"),
        ("Demerol", "opioid"),
    ],
)
def test_brand_names_and_every_class_that_matters_are_recognised(written: str, kind: str) -> None:
    assert [(w.medicine, w.kind) for w in warnings(f"sertraline 50 mg; {written}")] == [(written, kind)]


def test_the_list_is_data_each_class_with_why_and_source_and_each_name_in_one_class() -> None:
    classes = medication_classes()
    assert {c.kind for c in classes} >= {
        "benzodiazepine", "opioid", "psychostimulant", "MAOI", "lamotrigine", "gabapentinoid", "barbiturate",
        "muscle relaxant", "sedative-hypnotic",
    }  # fmt: skip
    names = [name.lower() for c in classes for name in c.names]
    assert len(names) == len(set(names))
    assert all(c.why and c.source and c.names for c in classes)


def test_every_medicine_of_an_item_typed_with_commas_warns() -> None:
    found = warnings("sertraline 50 mg, Xanax 1 mg, oxycodone 5 mg")
    assert [w.kind for w in found] == ["benzodiazepine", "opioid"]


def test_the_list_is_semicolon_separated_and_blanks_are_left_out() -> None:
    assert listed(" sertraline 50 mg ;; lorazepam 1 mg ;") == ["sertraline 50 mg", "lorazepam 1 mg"]


@given(st.text(max_size=200))
def test_any_typed_list_gives_warnings_for_listed_medicines_only(text: str) -> None:
    items = listed(text)
    assert all(w.medicine in items for w in warnings(text))


def test_a_class_the_rems_form_says_the_patient_takes_warns_once_even_off_the_list() -> None:
    answers = {"maois": True, "benzodiazepines": True, "opioids": False}
    said = answered_warnings(answers, listed_kinds={"benzodiazepine"})  # Xanax is on the list already
    assert [(w.medicine, w.kind) for w in said] == [("REMS form", "MAOI")]
    assert "blood pressure" in said[0].why


def test_the_session_header_flags_what_the_rems_form_answered(db: Database, staff: dict[str, Actor]) -> None:
    row = a_rems_session(db, staff["nina"])  # its form: psychostimulants yes, nothing on the list
    shown = header(load_session_view(db, row.id), Protocol()).details
    assert "⚠ psychostimulant (REMS form)" in shown
