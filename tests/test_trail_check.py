"""Replaying one row's trail: the rules `audit verify` applies to every row."""

from console.store.trail_check import TrailReport, _defaults, _replay

ROW = {"id": 7, "dose_id": 3, "kind": "stop", "stop_reason": None, "wasted_mg": None, "witness_id": None}
# A create event written before migration 0009 added the stop's columns: it does not name them.
CREATED_BEFORE_THE_COLUMNS = (1, "infusion.stop", None, {"id": 7, "dose_id": 3, "kind": "stop"})


def _problems(row: dict, events: list) -> list[str]:
    report = TrailReport()
    _replay("infusion_event", 7, row, events, frozenset(), _defaults("infusion_event"), report)
    return report.problems


def test_a_column_added_after_the_row_was_written_holds_its_default():
    assert _problems(ROW, [CREATED_BEFORE_THE_COLUMNS]) == []


def test_a_column_added_later_but_set_behind_the_services_back_is_named():
    problems = _problems(ROW | {"wasted_mg": 5.0}, [CREATED_BEFORE_THE_COLUMNS])
    assert problems == [
        "infusion_event 7: wasted_mg is 5.0 where its audit trail says None (changed without an audit event)"
    ]


def test_updates_are_undone_newest_first_back_to_the_create_event():
    created = (1, "infusion.stop", None, ROW | {"stop_reason": "pain"})
    edited = (
        2,
        "infusion.edit",
        {"stop_reason": "pain", "version": 1},
        {"stop_reason": "nausea", "version": 2},
    )
    assert _problems(ROW | {"stop_reason": "nausea"}, [created, edited]) == []
    assert _problems(ROW | {"stop_reason": "other"}, [created, edited]) == [
        "infusion_event 7: stop_reason is 'other' where its audit trail says 'nausea' "
        "(changed without an audit event after event 2)"
    ]
