"""The alert rules: every rule's facts hold against the protocol and the table of vital signs, the
stored names never change, and a name no rule has is shown as it is, never an error."""

from types import SimpleNamespace
from typing import cast

import pytest

from console.chair.reading import Reading
from console.chair.session_view import SessionView
from console.domain.alert_rules import AlertRule, needs_action, physician_only
from console.domain.protocol import AlertThresholds
from console.domain.vitals_fields import headings, vitals_field
from console.review.record_text import flagged_cells

# As stored in every clinic's database: a rule's value is never renamed.
STORED = {
    "bp_hold",
    "bp_predose",
    "bp_rise",
    "spo2_low",
    "heart_rate_low",
    "heart_rate_high",
    "moaas_low",
    "resp_rate_hold",
    "resp_rate_low",
    "vitals_overdue",
    "phq9_self_harm",
    "serious_side_effect",
}


def test_every_stored_rule_name_is_still_a_rules_value() -> None:
    assert {rule.value for rule in AlertRule} == STORED


@pytest.mark.parametrize("rule", list(AlertRule))
def test_every_rule_has_a_label_a_cell_decision_and_thresholds_the_protocol_has(rule: AlertRule) -> None:
    assert rule.label.strip() and rule.label[0].isupper()
    assert isinstance(rule.marks, tuple)  # () is the decision: no cell
    for name in rule.marks:
        vitals_field(name)  # a ValueError for a sign a reading does not have
    assert set(rule.thresholds) <= set(AlertThresholds.model_fields), rule
    assert isinstance(rule.physician_only, bool)


def test_every_threshold_of_the_protocol_is_compared_by_a_rule() -> None:
    compared = {name for rule in AlertRule for name in rule.thresholds}
    assert compared == set(AlertThresholds.model_fields)


def _view_with(*stored: str) -> SessionView:
    """A stand-in with only what flagged_cells reads of a session: its alerts' readings and rules."""
    return cast(
        SessionView, SimpleNamespace(alerts=[SimpleNamespace(vitals_id=7, rule=rule) for rule in stored])
    )


def _reading(id: int) -> Reading:
    """A stand-in with only what flagged_cells reads of a reading: its id."""
    return cast(Reading, SimpleNamespace(id=id))


@pytest.mark.parametrize("rule", list(AlertRule))
def test_a_rules_alert_marks_the_flowsheet_cells_of_the_signs_it_names(rule: AlertRule) -> None:
    reading = _reading(7)
    expected = {1 + headings().index(vitals_field(name).heading) for name in rule.marks}
    assert flagged_cells(reading, _view_with(rule.value)) == expected
    assert flagged_cells(_reading(8), _view_with(rule.value)) == set()


def test_the_flowsheet_cells_are_as_they_have_always_been() -> None:
    cells = {rule: flagged_cells(_reading(7), _view_with(rule)) for rule in STORED}
    assert cells == {
        "bp_hold": {1},
        "bp_predose": {1},
        "bp_rise": {1},
        "heart_rate_low": {2},
        "heart_rate_high": {2},
        "spo2_low": {3},
        "moaas_low": {5},
        "resp_rate_hold": {4},
        "resp_rate_low": {4},
        "vitals_overdue": set(),
        "phq9_self_harm": set(),
        "serious_side_effect": set(),
    }


def test_a_stored_name_no_rule_has_marks_no_cell_and_waits_for_no_physician() -> None:
    assert AlertRule.of("etco2_high") is None
    assert flagged_cells(_reading(7), _view_with("etco2_high", "spo2_low")) == {3}
    assert not physician_only("etco2_high")
    assert physician_only("phq9_self_harm") and not physician_only("spo2_low")
    assert not needs_action("etco2_high")


def test_holds_self_harm_and_serious_effects_are_acknowledged_by_the_action_taken() -> None:
    """A hold-level reading, a PHQ-9 item 9 and a serious side effect: never a bare "ok"."""
    named = {rule.value for rule in AlertRule if rule.needs_action}
    assert named == {"bp_hold", "resp_rate_hold", "phq9_self_harm", "serious_side_effect"}
