"""Whether a clinic is the demo, and the day it was built for: the demo is never taken for a real clinic."""

import json
from datetime import date

from sqlmodel import Session, col, select

from console.store.database import Database
from console.store.models import AuditEvent

DEMO_ACTION = "demo.history"  # the event the demo builder writes, naming the day it was built for
DEMO_LABEL = "DEMO CLINIC"
DEMO_BANNER = f" {DEMO_LABEL} · made-up patients, for practice only "


def built_for(session: Session) -> date | None:
    """The demo's today; None for a real clinic (or a demo too old to say, taken as a past day)."""
    after = session.exec(
        select(AuditEvent.after_json).where(AuditEvent.action == DEMO_ACTION).order_by(col(AuditEvent.id))
    ).first()
    if after is None:
        return None
    today = json.loads(after or "{}").get("today")
    return date.fromisoformat(today) if today else date.min


def is_demo(session: Session) -> bool:
    return built_for(session) is not None


def clinic_is_demo(db: Database) -> bool:
    """Whether the clinic open in `db` is the demo, read in a transaction of its own."""
    with db.read() as session:
        return is_demo(session)
