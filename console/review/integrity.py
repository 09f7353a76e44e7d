"""`audit verify`: the chain, every row against its trail, and every signed record, in one report."""

from dataclasses import dataclass

from console.review.signature_check import SignatureReport, verify_signatures
from console.store.audit import ChainReport, verify_chain
from console.store.database import Database
from console.store.trail_check import TrailReport, verify_rows


@dataclass(frozen=True)
class IntegrityReport:
    chain: ChainReport
    rows: TrailReport
    signed: SignatureReport

    @property
    def intact(self) -> bool:
        return self.chain.intact and self.rows.intact and self.signed.intact

    def problems(self) -> list[str]:
        """One line per problem found, the most fundamental first."""
        lines = []
        if not self.chain.intact:
            lines.append(f"audit chain broken at event {self.chain.broken_at}: {self.chain.problem}")
        lines += [f"record changed behind the audit trail: {problem}" for problem in self.rows.problems]
        if self.rows.unnamed:
            lines.append(f"... and {self.rows.unnamed} more rows that differ from their audit trail")
        if not self.signed.intact:
            lines.append(f"signed record altered: {self.signed.problem}")
        return lines

    @property
    def complete(self) -> bool:
        """Everything could be checked: nothing keyed was read without the key."""
        return not self.chain.unchecked

    def summary(self) -> list[str]:
        chain = (
            f"audit chain links intact: {self.chain.events} events, head {self.chain.head}; "
            f"WITHOUT THE CLINIC KEY the content of {self.chain.unchecked} keyed events was not checked"
            if self.chain.unchecked
            else f"audit chain intact: {self.chain.events} events, head {self.chain.head}"
        )
        return [
            chain,
            f"every row matches its audit trail: {self.rows.rows} rows",
            f"signed records intact: {self.signed.signatures} signatures, {self.signed.addenda} addenda",
        ]


def verify_record(db: Database) -> IntegrityReport:
    """Read everything in one transaction, so the three checks see the same record."""
    with db.read() as session:
        chain = verify_chain(session, db.audit_key)
        return IntegrityReport(chain, verify_rows(session), verify_signatures(session))
