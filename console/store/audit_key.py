"""The clinic key: audit events are keyed (HMAC-SHA256) with a secret kept outside the database,
so whoever holds only the database cannot recompute the chain after changing or adding events.

The chain names its key by an `audit.key` event holding the key's id (never the key): a console
given another key, or none, for a keyed chain refuses to start instead of writing events that
would later read as forged.
"""

import hashlib
import hmac
import secrets
from pathlib import Path

from sqlmodel import col, select

from console.domain.errors import ConfigurationError
from console.store import audit
from console.store.audit import KEY_ACTION
from console.store.database import Database
from console.store.models import AuditEvent
from console.store.private_files import write_durably

KEY_BYTES = 32
KEY_ENTITY = "audit_key"


def key_id(key: bytes) -> str:
    """A public name for the key: it identifies the key without revealing it."""
    return hmac.new(key, b"chairside audit key id", hashlib.sha256).hexdigest()[:16]


def read_key(path: Path) -> bytes | None:
    """The key in `path`, or None when there is no such file; a file that holds no key is an error."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"the audit key {path} cannot be read: {getattr(exc, 'strerror', exc)}"
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigurationError(f"{path} is not a Chairside audit key (64 hexadecimal digits)")
    return key


def new_key_file(path: Path) -> bytes:
    """A new random key, written to `path` readable by this account only (never over an existing file)."""
    key = secrets.token_bytes(KEY_BYTES)
    try:
        write_durably(path, key.hex() + "\n", append=False)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the audit key {path}: {exc.strerror}") from None
    return key


def chain_key_id(db: Database) -> str | None:
    """The id of the key the database's chain is keyed with; None for a chain not keyed yet."""
    with db.read() as session:
        return session.exec(
            select(AuditEvent.entity_id)
            .where(AuditEvent.entity == KEY_ENTITY, AuditEvent.action == KEY_ACTION)
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        ).first()


def check_key(db: Database, path: Path) -> bytes | None:
    """The key in `path` when it is the one the chain names (None when there is none to check with)."""
    return _named_key(read_key(path), chain_key_id(db), path)


def _named_key(key: bytes | None, named: str | None, path: Path) -> bytes | None:
    """`key`, refused when the chain names another key."""
    if key is not None and named is not None and key_id(key) != named:
        raise ConfigurationError(
            f"{path} is not the key of this clinic's audit trail (its key id is {named})"
        )
    return key


def attach_key(db: Database, path: Path) -> bool:
    """Key every event `db` writes from now on; True when a new key file was made.

    A chain already keyed needs its own key in `path`. A chain not keyed yet (a new clinic, or one
    written by an earlier version) is keyed from here on with the key in `path`, made if missing.
    """
    named = chain_key_id(db)
    key = _named_key(read_key(path), named, path)
    if named is not None:
        if key is None:
            raise ConfigurationError(
                f"this clinic's audit trail is keyed, but its key file {path} is missing: "
                "copy the clinic's key there (setting audit_key_file)"
            )
        db.audit_key = key
        return False
    created = key is None
    key = key or new_key_file(path)
    db.audit_key = key
    with db.write() as session:
        audit.lock_chain(session)
        named = session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == KEY_ACTION)).first()
        if named is None:  # not keyed meanwhile by another workstation
            audit.record(
                session,
                at=db.clock.now(),
                actor="system",
                action=KEY_ACTION,
                entity=KEY_ENTITY,
                entity_id=key_id(key),
                after={"key_id": key_id(key)},
            )
    _named_key(key, named, path)  # keyed meanwhile by another workstation, with another key
    return created
