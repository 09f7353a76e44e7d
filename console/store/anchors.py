"""Anchors: the chain's head written, with time and count, to an append-only file outside the database.

An anchor says "on this day the chain had N events and ended in this hash". Removing events
after it, or rewriting the chain from any point before it, takes that hash out of the chain, and
`audit verify` names the anchor that no longer holds. Each line names its chain by the hash of the
chain's first event, so one file can serve several clinics (the demo and the real one).
"""

import json
import syslog
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from console.domain.errors import ConfigurationError, StorageError
from console.store.models import AuditEvent
from console.store.private_files import write_durably
from console.store.timestamps import iso_utc


@dataclass(frozen=True)
class Anchor:
    at: str
    database: str  # where the chain is (a URL without its password)
    chain: str  # the hash of the chain's first event
    event_id: int
    events: int
    head: str

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def database_name(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def current(session: Session, now: datetime, url: str) -> Anchor | None:
    """The chain as it is now; None for an empty chain."""
    first = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id)).limit(1)).first()
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if first is None or last is None:
        return None
    count = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return Anchor(iso_utc(now), database_name(url), first, last.id, count, last.hash)


def append(path: Path, anchor: Anchor, to_syslog: bool = False) -> None:
    """Add one line to the anchor file (made owner-only), flushed to disk before returning."""
    try:
        write_durably(path, anchor.line() + "\n", append=True)
    except OSError as exc:
        raise StorageError(f"cannot write the audit anchor file {path}: {exc.strerror}") from None
    if to_syslog:
        syslog.syslog(syslog.LOG_AUTHPRIV | syslog.LOG_INFO, f"chairside audit anchor {anchor.line()}")


def read(path: Path, chain: str, url: str) -> list[Anchor]:
    """The anchors of this chain (its first event hashes to `chain`), or of this database, oldest first.

    An anchor of this database under another chain means the chain was rewritten from its first
    event: `broken` names it, since its head is not in this chain.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"the audit anchor file {path} cannot be read: {exc}") from None
    anchors = []
    for number, line in enumerate(lines, 1):
        try:
            anchor = Anchor(**json.loads(line))
        except (ValueError, TypeError):
            raise ConfigurationError(f"{path} line {number} is not an audit anchor") from None
        if anchor.chain == chain or anchor.database == database_name(url):
            anchors.append(anchor)
    return anchors


def first_hash(session: Session) -> str | None:
    return session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id)).limit(1)).first()


def broken(session: Session, anchors: Iterable[Anchor]) -> list[str]:
    """Each anchor whose head is no longer in the chain where it was."""
    problems = []
    for anchor in anchors:
        found = session.exec(select(AuditEvent.hash).where(AuditEvent.id == anchor.event_id)).first()
        if found != anchor.head:
            what = "is gone" if found is None else "was rewritten"
            problems.append(
                f"the chain anchored at {anchor.at} ({anchor.events} events, ending at event "
                f"{anchor.event_id}) no longer holds: that event {what}"
            )
    return problems
