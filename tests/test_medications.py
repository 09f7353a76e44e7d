"""Medications that matter at the chair, recognised in a patient's list (no database)."""

from hypothesis import given
from hypothesis import strategies as st

from console.domain.medications import listed, warnings


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
    assert warnings("gabapentin 300 mg; duloxetine 60 mg") == []
    assert warnings("tramadolx") == []  # not a name on the list


def test_the_list_is_semicolon_separated_and_blanks_are_left_out() -> None:
    assert listed(" sertraline 50 mg ;; lorazepam 1 mg ;") == ["sertraline 50 mg", "lorazepam 1 mg"]


@given(st.text(max_size=200))
def test_any_typed_list_gives_warnings_for_listed_medicines_only(text: str) -> None:
    items = listed(text)
    assert all(w.medicine in items for w in warnings(text))
