"""The clinic's protocol, kept in its database: set by an administrator, applied by every workstation.

Each change is a new row (the table is append-only), identified by the SHA-256 of its content; the
latest row is in force. A clinic whose database holds none yet (created by an earlier version)
applies the built-in defaults. A protocol file given on the command line is only for trying: it is
applied to the demo clinic, and to a real clinic only when it is that clinic's protocol already.
"""

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, col, select

from console.clinic.demo_mark import is_demo
from console.domain.actors import Actor
from console.domain.errors import ConfigurationError, InvalidInput, NotAllowed
from console.domain.protocol import (
    DEFAULT_VERSION,
    Protocol,
    content_sha256,
    own_version_problem,
    protocol_json,
)
from console.domain.vocab import Role
from console.store.database import Database
from console.store.models import ClinicProtocol, UserAccount
from console.store.rows import insert

SET_ACTION = "protocol.set"
HOW_TO_SET = "an administrator sets the clinic's protocol with `chairside protocol set FILE --admin USERNAME`"


@dataclass(frozen=True)
class ProtocolVersion:
    """One stored protocol: what it is, and who made it the clinic's when."""

    protocol: Protocol
    sha256: str
    set_by: str
    set_at: datetime

    @property
    def version(self) -> str:
        return self.protocol.version


def _latest(session: Session) -> ClinicProtocol | None:
    return session.exec(select(ClinicProtocol).order_by(col(ClinicProtocol.id).desc()).limit(1)).first()


def _parsed(row: ClinicProtocol) -> Protocol:
    """A stored protocol, checked again by this code's rules: a newer Chairside may be stricter."""
    try:
        return Protocol.model_validate_json(row.body)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "protocol"
        raise ConfigurationError(
            f"the clinic's protocol {row.version} no longer passes this Chairside's checks ({key}: "
            f"{error['msg']}): {HOW_TO_SET}"
        ) from None


def clinic_protocol(db: Database) -> Protocol:
    """The protocol in force for the whole clinic."""
    with db.read() as session:
        row = _latest(session)
    return Protocol() if row is None else _parsed(row)


def stored_protocols(session: Session) -> dict[str, Protocol]:
    """Every protocol the clinic has stored, by version, as each session names it at check-in; one a
    newer Chairside no longer accepts is left out (the caller falls back), and the defaults' own
    version always names the defaults."""
    found = {DEFAULT_VERSION: Protocol()}
    for row in session.exec(select(ClinicProtocol).order_by(col(ClinicProtocol.id))):
        try:
            found[row.version] = Protocol.model_validate_json(row.body)
        except ValidationError:
            continue
    return found


def protocol_history(db: Database) -> list[ProtocolVersion]:
    """Every protocol the clinic has had, the one in force last."""
    with db.read() as session:
        rows = session.exec(
            select(ClinicProtocol, UserAccount.username)
            .join(UserAccount, col(UserAccount.id) == ClinicProtocol.set_by)
            .order_by(col(ClinicProtocol.id))
        ).all()
    return [ProtocolVersion(_parsed(row), row.content_sha256, username, row.set_at) for row, username in rows]


def set_protocol(db: Database, actor: Actor, protocol: Protocol) -> bool:
    """Make `protocol` the clinic's (administrators only); False when it already is.

    A version name already used for other values is refused: sessions store the name, which must
    always lead back to the same values.
    """
    if actor.role is not Role.ADMIN or actor.user_id is None:
        raise NotAllowed(f"{actor.username} cannot set the clinic's protocol: only an administrator can")
    problem = own_version_problem(protocol)
    if problem:
        raise InvalidInput("version", f"Version: {problem}.")
    body, sha256 = protocol_json(protocol), content_sha256(protocol)
    now = db.clock.now()
    with db.write() as session:
        latest = _latest(session)
        if latest is not None and latest.content_sha256 == sha256:
            return False
        named = session.exec(
            select(ClinicProtocol).where(
                ClinicProtocol.version == protocol.version, ClinicProtocol.content_sha256 != sha256
            )
        ).first()
        if named is not None:
            raise InvalidInput(
                "version",
                f"Version: {protocol.version} already names other values (set {named.set_at:%Y-%m-%d}); "
                "give the changed protocol a new version.",
            )
        row = ClinicProtocol(
            version=protocol.version, content_sha256=sha256, body=body, set_by=actor.user_id, set_at=now
        )
        insert(session, row, actor=actor, action=SET_ACTION, at=now)
    return True


def protocol_in_force(db: Database, trial: Protocol | None) -> tuple[Protocol, bool]:
    """What this workstation applies, and whether it is a file being tried: the clinic's protocol,
    or a file given to try, on the demo clinic only."""
    clinic = clinic_protocol(db)
    if trial is None or trial == clinic:
        return clinic, False
    with db.read() as session:
        demo = is_demo(session)
    if demo:
        return trial, True
    raise ConfigurationError(
        f"the protocol file given ({trial.version}) is not this clinic's protocol ({clinic.version}); "
        "every workstation applies the clinic's: leave out --protocol and CHAIRSIDE_PROTOCOL, "
        f"or {HOW_TO_SET}"
    )
