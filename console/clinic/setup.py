"""Creating a clinic, on purpose: its database, its clinic key and its first administrator."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from console.clinic.clinic_protocol import set_protocol
from console.clinic.locations import require_new
from console.clinic.users import create_user
from console.domain.actors import Actor
from console.domain.errors import ConfigurationError
from console.domain.inputs import UserIn, given_values, parse
from console.domain.protocol import Protocol
from console.domain.vocab import Role
from console.store.audit_key import attach_key
from console.store.database import Database
from console.store.private_files import private_folder
from console.store.schema import current_revision, ensure_schema


@dataclass(frozen=True)
class NewClinic:
    where: str
    admin: str
    key_made: bool
    protocol: str


def prepare_new(url: str) -> Database:
    """Where a clinic can be created: a new SQLite file (its folder made) or an empty server database."""
    path = require_new(url)
    if path is not None:
        try:
            private_folder(path.parent)
        except OSError as exc:
            raise ConfigurationError(f"cannot create the folder {path.parent}: {exc.strerror}") from None
    db = Database(url)
    if path is None and current_revision(db) is not None:
        db.dispose()
        raise ConfigurationError("this database already holds a clinic: a new clinic needs a new database")
    return db


def create_clinic(
    url: str,
    key_file: Path,
    admin: UserIn | Mapping[str, object],
    os_user: str,
    protocol: Protocol | None = None,
) -> NewClinic:
    """The schema, the clinic key, the first administrator and the clinic's protocol (the defaults
    when none is given); the administrator's values are checked before anything is created."""
    admin_in = parse(UserIn, given_values(admin) | {"role": "admin"})
    protocol = protocol or Protocol()
    db = prepare_new(url)
    try:
        ensure_schema(db)
        key_made = attach_key(db, key_file)
        user = create_user(db, Actor.system(f"init:{os_user}"[:32]), admin_in)
        # Stored even when it is the defaults: a later Chairside with other defaults never changes it.
        set_protocol(db, Actor(user.username, Role.ADMIN, user.id, user.display_name), protocol)
        where = str(db.engine.url.render_as_string(hide_password=True))
        return NewClinic(where, user.username, key_made, protocol.version)
    finally:
        db.dispose()
