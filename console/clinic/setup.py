"""Creating a clinic, on purpose: its database, its clinic key and its first administrator."""

from dataclasses import dataclass
from pathlib import Path

from console.clinic.locations import require_new
from console.clinic.users import create_user
from console.domain.actors import Actor
from console.domain.errors import ConfigurationError
from console.domain.inputs import UserIn, parse
from console.store.audit_key import attach_key
from console.store.database import Database
from console.store.private_files import private_folder
from console.store.schema import current_revision, ensure_schema


@dataclass(frozen=True)
class NewClinic:
    where: str
    admin: str
    key_made: bool


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


def create_clinic(url: str, key_file: Path, admin: dict, os_user: str) -> NewClinic:
    """The schema, the clinic key and the first administrator; the administrator's values are
    checked before anything is created."""
    parse(UserIn, admin | {"role": "admin"})
    db = prepare_new(url)
    try:
        ensure_schema(db)
        key_made = attach_key(db, key_file)
        user = create_user(db, Actor.system(f"init:{os_user}"[:32]), admin | {"role": "admin"})
        where = str(db.engine.url.render_as_string(hide_password=True))
        return NewClinic(where, user.username, key_made)
    finally:
        db.dispose()
