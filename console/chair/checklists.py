"""The protocol's pre-infusion and discharge checklists: each item ticked at the chair, with who and
when. The items are the clinic's (protocol `[checklists]`); a discharge waits for every discharge
item, like the protocol's other discharge criteria (a discharge override sets it aside). A tick is
never taken back: the record keeps what was checked."""

from sqlmodel import Session, select

from console.domain.actors import Actor, require_clinical
from console.domain.errors import InvalidInput
from console.domain.protocol import Checklists
from console.domain.vocab import Checklist
from console.store.database import Database
from console.store.models import ChecklistTick
from console.store.rows import insert_many
from console.store.session_lock import open_for_change


def ticked(session: Session, session_id: int, checklist: Checklist) -> set[str]:
    return set(
        session.exec(
            select(ChecklistTick.item).where(
                ChecklistTick.session_id == session_id, ChecklistTick.checklist == checklist
            )
        )
    )


def tick(
    db: Database,
    actor: Actor,
    session_id: int,
    checklist: Checklist | str,
    items: list[str],
    checklists: Checklists,
) -> set[str]:
    """Store a tick, with who and when, for each of `items` not ticked yet; the ticked items after.
    A tick stays once stored (a note says if it was wrong). An item the protocol does not list for
    the session's method (a nasal session has its own list before the dose) is refused by name."""
    user_id = require_clinical(actor)
    which = Checklist(checklist)
    now = db.clock.now()
    with db.write() as session:
        row = open_for_change(session, session_id)
        known = checklists.items_of(which, row.method)
        for item in items:
            if item not in known:
                name = which.label_for(row.method)
                raise InvalidInput(which.value, f"{name}: '{item}' is not an item of the protocol's list.")
        before = ticked(session, session_id, which)
        added = [
            ChecklistTick(session_id=session_id, checklist=which, item=item, ticked_by=user_id, ticked_at=now)
            for item in known
            if item in items and item not in before
        ]
        insert_many(session, added, actor=actor, action="checklist.tick", at=now)
        return before | {row.item for row in added}
