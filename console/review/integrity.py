"""`audit verify`: the chain, its anchors, every row against its trail, and every signed record.

`check_at_start` is the quick check a console runs as it opens: the chain since its last anchor,
and every anchor; when they hold, a new anchor is written.
"""

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session

from console.review.signature_check import SignatureReport, verify_signatures
from console.store import anchors
from console.store.audit import ChainReport, verify_chain
from console.store.database import Database
from console.store.trail_check import TrailReport, audited_tables, merged, verify_rows


@dataclass(frozen=True)
class IntegrityReport:
    chain: ChainReport
    rows: TrailReport
    signed: SignatureReport
    anchors_checked: int = 0
    anchor_problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.chain.intact and self.rows.intact and self.signed.intact and not self.anchor_problems

    @property
    def complete(self) -> bool:
        """Everything could be checked: nothing keyed was read without the key."""
        return not self.chain.unchecked

    def problems(self) -> list[str]:
        """One line per problem found, the most fundamental first."""
        lines = []
        if not self.chain.intact:
            lines.append(f"audit chain broken at event {self.chain.broken_at}: {self.chain.problem}")
        lines += [f"audit anchor: {problem}" for problem in self.anchor_problems]
        lines += [f"record changed behind the audit trail: {problem}" for problem in self.rows.problems]
        if self.rows.unnamed:
            lines.append(f"... and {self.rows.unnamed} more rows that differ from their audit trail")
        if not self.signed.intact:
            lines.append(f"signed record altered: {self.signed.problem}")
        return lines

    def summary(self) -> list[str]:
        chain = (
            f"audit chain links intact: {self.chain.events} events, head {self.chain.head}; "
            f"WITHOUT THE CLINIC KEY the content of {self.chain.unchecked} keyed events was not checked"
            if self.chain.unchecked
            else f"audit chain intact: {self.chain.events} events, head {self.chain.head}"
        )
        return [
            chain,
            f"every anchored head is still in the chain: {self.anchors_checked} anchors",
            f"every row matches its audit trail: {self.rows.rows} rows",
            f"signed records intact: {self.signed.signatures} signatures, {self.signed.addenda} addenda",
        ]


def verify_record(db: Database, anchor_file: Path | None = None, jobs: int = 1) -> IntegrityReport:
    """Every check; with `jobs` > 1, in that many processes at once.

    Each check reads one snapshot of its own (on PostgreSQL too, while nurses chart), so each sees
    one consistent record: the rows with their events, the signatures with the records they sign.
    """
    if jobs <= 1:
        with db.read() as session:
            chain, anchored, broken = _chain_part(session, db, anchor_file)
            return IntegrityReport(chain, verify_rows(session), verify_signatures(session), anchored, broken)
    context = multiprocessing.get_context("fork")  # the command line has no threads: forking is safe
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        signed = pool.submit(_signatures_in_process, db.url, db.audit_key)
        parts = [pool.submit(_rows_in_process, part, db.url, db.audit_key) for part in ROW_PARTS]
        chain, anchored, broken = pool.submit(_chain_in_process, db.url, db.audit_key, anchor_file).result()
        rows = merged([part.result() for part in parts])
        return IntegrityReport(chain, rows, signed.result(), anchored, broken)


# The rows check in parts of about equal work: the largest table alone, then the rest.
ROW_PARTS = ("rows:vital_signs", "rows:")


def _chain_part(
    session: Session, db: Database, anchor_file: Path | None
) -> tuple[ChainReport, int, list[str]]:
    anchored = _anchors(session, db, anchor_file)
    return verify_chain(session, db.audit_key), len(anchored), anchors.broken(session, anchored)


Found = TypeVar("Found")


def _in_process(url: str, key: bytes | None, check: Callable[[Session, Database], Found]) -> Found:
    """One check, in a worker process with a connection of its own."""
    db = Database(url)
    db.audit_key = key
    try:
        with db.read() as session:
            return check(session, db)
    finally:
        db.dispose()


def _chain_in_process(
    url: str, key: bytes | None, anchor_file: Path | None
) -> tuple[ChainReport, int, list[str]]:
    return _in_process(url, key, lambda session, db: _chain_part(session, db, anchor_file))


def _signatures_in_process(url: str, key: bytes | None) -> SignatureReport:
    return _in_process(url, key, lambda session, _db: verify_signatures(session))


def _rows_in_process(part: str, url: str, key: bytes | None) -> TrailReport:
    """One part of the rows check (ROW_PARTS): a table named, else every table not named in a part."""
    named = part.removeprefix("rows:")
    largest = [name for name in (p.removeprefix("rows:") for p in ROW_PARTS) if name]
    tables = [named] if named else [t.name for t in audited_tables() if t.name not in largest]
    return _in_process(url, key, lambda session, _db: verify_rows(session, tables=tables))


def _anchors(session: Session, db: Database, anchor_file: Path | None) -> list[anchors.Anchor]:
    first = anchors.first_hash(session)
    if anchor_file is None or first is None:
        return []
    return anchors.read(anchor_file, first, db.url)


def check_at_start(db: Database, anchor_file: Path, to_syslog: bool = False) -> list[str]:
    """The chain since its last anchor, and every anchor; a new anchor when all hold, else the problems."""
    with db.read() as session:
        anchored = _anchors(session, db, anchor_file)
        problems = anchors.broken(session, anchored)
        last = anchored[-1] if anchored and not problems else None
        chain = verify_chain(
            session, db.audit_key, after=None if last is None else (last.event_id, last.head)
        )
        if not chain.intact:
            problems.append(f"audit chain broken at event {chain.broken_at}: {chain.problem}")
        now = anchors.current(session, db.clock.now(), db.url)
    if not problems and now is not None:
        anchors.append(anchor_file, now, to_syslog)  # never over a chain that failed its check
    return problems


def anchor_now(db: Database, anchor_file: Path, to_syslog: bool = False) -> anchors.Anchor | None:
    """Write the chain's head to the anchor file (nothing for an empty chain)."""
    with db.read() as session:
        now = anchors.current(session, db.clock.now(), db.url)
    if now is not None:
        anchors.append(anchor_file, now, to_syslog)
    return now
