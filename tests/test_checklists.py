"""The protocol's checklists on both backends: ticks stored with who and when, never taken back,
refused when the protocol does not list them, and the discharge waiting for every discharge item."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.chair import checklists, overrides, sessions
from console.chair.session_view import load_session_view
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import InvalidInput, NotAllowed
from console.domain.protocol import Checklists, Protocol
from console.domain.vocab import Checklist
from console.store.database import Database
from tests.factories import approved_by, checked_in_session, discharged_session, ready_for_discharge

EVERY = Protocol().checklists


def test_ticks_are_stored_with_who_and_when_and_a_tick_is_never_taken_back(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, checklist_ticked=False)
    first = EVERY.pre_infusion[0]
    assert checklists.tick(db, nurse, row.id, "pre_infusion", [first], EVERY) == {first}
    # Sent again without it (a screen unticked it): the tick stays, and another is added.
    second = EVERY.pre_infusion[1]
    assert checklists.tick(db, staff["marcus"], row.id, "pre_infusion", [second], EVERY) == {first, second}
    ticks = load_session_view(db, row.id).checklist_ticks
    assert [(t.item, t.ticked_by) for t in ticks] == [
        (first, nurse.user_id),
        (second, staff["marcus"].user_id),
    ]
    assert load_session_view(db, row.id).ticked(Checklist.DISCHARGE) == set()


def test_an_item_the_protocol_does_not_list_is_refused_by_name(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(InvalidInput, match="'Shoes on' is not an item of the protocol's list"):
        checklists.tick(db, staff["nina"], row.id, "discharge", ["Shoes on"], EVERY)
    with pytest.raises(NotAllowed):
        checklists.tick(db, staff["office"], row.id, "discharge", [], EVERY)


def test_the_database_refuses_a_tick_that_cannot_be_true(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    for checklist, item in (("admission", "Oriented"), ("discharge", "")):
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO checklist_tick (session_id, checklist, item, ticked_by, ticked_at) "
                    "VALUES (:session, :checklist, :item, :by, :at)"
                ),
                {"session": row.id, "checklist": checklist, "item": item, "by": staff["nina"].user_id,
                 "at": db.clock.now()},
            )  # fmt: skip


def test_discharge_waits_for_every_discharge_item_unless_overridden(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = ready_for_discharge(db, nurse, mrn="MRN-2002")  # its discharge checklist is ticked whole
    assert sessions.discharge(db, nurse, row.id, row.version).status == "discharged"
    own = Checklists(discharge=["Oriented", "Walks steadily"])
    protocol = Protocol(version="clinic-1", checklists=own)
    other = ready_for_discharge(db, nurse, mrn="MRN-3003")
    checklists.tick(db, nurse, other.id, "discharge", ["Oriented"], own)
    with pytest.raises(NotAllowed, match="discharge checklist not ticked: Walks steadily"):
        sessions.discharge(db, nurse, other.id, other.version, protocol=protocol)
    overrides.record_override(db, staff["priya"], other.id, "discharge", "walks with her own frame", protocol)
    current = sessions.get_session(db, other.id)
    assert sessions.discharge(db, nurse, other.id, current.version, protocol=protocol).status == "discharged"


def test_the_signature_locks_and_covers_the_ticks(db: Database, staff: dict[str, Actor]) -> None:
    from console.review.integrity import verify_record

    nurse = staff["nina"]
    row = discharged_session(db, nurse)
    approved_by(db, staff["priya"], row.id)
    assert verify_record(db).problems() == []
    with pytest.raises(NotAllowed, match="signed and locked"):
        checklists.tick(db, nurse, row.id, "pre_infusion", [EVERY.pre_infusion[0]], EVERY)
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(text(f"UPDATE checklist_tick SET item = 'Oriented' WHERE session_id = {row.id}"))


def test_a_protocol_checklist_lists_each_item_once_within_the_limits() -> None:
    with pytest.raises(ValueError, match="each item once"):
        Checklists(discharge=["Oriented", "Oriented"])
    with pytest.raises(ValueError):
        Checklists(pre_infusion=["x" * 81])
    assert Checklists(discharge=[]).discharge == []  # a clinic may have none


def test_the_review_shows_each_tick_and_a_tick_added_after_it_was_shown_is_named(
    db: Database, staff: dict[str, Actor]
) -> None:
    from zoneinfo import ZoneInfo

    from console.review.changes import changes
    from console.review.record_text import checklist_lines

    zone, nurse = ZoneInfo("America/Chicago"), staff["nina"]
    row = checked_in_session(db, nurse, checklist_ticked=False)
    checklists.tick(db, nurse, row.id, "pre_infusion", EVERY.pre_infusion[:2], EVERY)
    shown = load_session_view(db, row.id)
    (line,) = checklist_lines(shown, zone)
    assert line.startswith("Pre-infusion checklist, ") and line.endswith(
        "Nina: Fasting as instructed (no solid food for 6 hours); Pregnancy test negative, where it applies"
    )
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=1)
    checklists.tick(db, staff["marcus"], row.id, "pre_infusion", EVERY.pre_infusion, EVERY)
    (changed,) = changes(shown, load_session_view(db, row.id), zone)
    assert changed.section == "Checklists" and changed.after[0].endswith(
        "Marcus: IV site and cannula gauge checked"
    )
