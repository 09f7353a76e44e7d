"""Replaying one row's trail: the rules `audit verify` applies to every row, on a record still in use."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Table
from sqlmodel import Session

from console.chair import charting
from console.domain.actors import Actor
from console.review.integrity import verify_record
from console.store.database import Database
from console.store.trail_check import TrailReport, _defaults, _replay
from tests.factories import discharged_session, vitals_data

ROW = {"id": 7, "dose_id": 3, "kind": "stop", "stop_reason": None, "wasted_mg": None, "witness_id": None}
# A create event written before migration 0009 added the stop's columns: it does not name them.
CREATED_BEFORE_THE_COLUMNS = (1, "infusion.stop", None, {"id": 7, "dose_id": 3, "kind": "stop"})


def _problems(row: dict, events: list) -> list[str]:
    report = TrailReport()
    _replay("infusion_event", 7, row, events, frozenset(), _defaults("infusion_event"), report)
    return report.problems


def test_a_column_added_after_the_row_was_written_holds_its_default() -> None:
    assert _problems(ROW, [CREATED_BEFORE_THE_COLUMNS]) == []


def test_a_column_added_later_but_set_behind_the_services_back_is_named() -> None:
    problems = _problems(ROW | {"wasted_mg": 5.0}, [CREATED_BEFORE_THE_COLUMNS])
    assert problems == [
        "infusion_event 7: wasted_mg is 5.0 where its audit trail says None (changed without an audit event)"
    ]


def test_updates_are_undone_newest_first_back_to_the_create_event() -> None:
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


def test_a_reading_charted_while_the_check_runs_is_not_taken_for_tampering(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check reads the trail, then the rows: a reading confirmed between the two (a nurse at
    work on another workstation) must not look like a row added behind the services' back."""
    import console.store.trail_check

    row = discharged_session(db, staff["nina"])
    read_plain = console.store.trail_check.read_plain

    def rows_read_after_a_nurse_charts(
        session: Session, table: Table, *args: Any, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        if table.name == "vital_signs":
            charting.record_vitals(db, staff["nina"], row.id, vitals_data(db, systolic=121))
        return read_plain(session, table, *args, **kwargs)

    monkeypatch.setattr(console.store.trail_check, "read_plain", rows_read_after_a_nurse_charts)
    report = verify_record(db)
    assert report.rows.problems == [] and report.chain.intact
