"""The review queue read a page at a time: pages join into the whole queue, in its order, on both backends."""

import pytest

from console.chair import charting
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.review.queue import QueueFilter, queue_counts, queue_order, queue_page, review_queue
from console.store.database import Database
from tests.factories import discharged_session, vitals_data


@pytest.fixture
def backlog(db: Database, staff: dict[str, Actor]) -> Database:
    """Six sessions awaiting signature; two of them flagged by an alert on their last reading."""
    nurse = staff["nina"]
    for n in range(6):
        row = discharged_session(db, nurse, mrn=f"MRN-20{n:02d}")
        if n in (2, 4):
            assert isinstance(db.clock, FixedClock)
            db.clock.advance(minutes=1)
            charting.record_vitals(db, nurse, row.id, vitals_data(db, spo2=85))
    return db


@pytest.mark.parametrize("page", [1, 2, 4])
def test_pages_follow_each_other_into_the_whole_queue(backlog: Database, page: int) -> None:
    whole = queue_page(backlog, limit=None)
    walked, after = [], None
    while True:
        rows = queue_page(backlog, after=after, limit=page)
        walked += rows
        if len(rows) < page:
            break
        after = rows[-1]
    assert walked == whole and len(whole) == 6
    assert [row.flagged for row in whole] == [True, True, False, False, False, False]
    assert queue_order(backlog) == [row.session_id for row in whole]


def test_counts_match_the_whole_queue_and_follow_the_filters(backlog: Database) -> None:
    counts = queue_counts(backlog)
    assert (counts.awaiting, counts.flagged, counts.returned) == (6, 2, 0)
    assert counts.awaiting == len(review_queue(backlog).rows)
    nobody = QueueFilter(nurse_id=10_000)
    assert queue_counts(backlog, nobody).awaiting == 0 and queue_page(backlog, nobody) == []
