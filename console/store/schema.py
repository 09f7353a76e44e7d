"""Schema version: Alembic migrations applied at start, and a refusal of databases that are newer."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text

from console.domain.errors import SchemaTooNew, StorageError
from console.store.database import Database, translate_errors

if TYPE_CHECKING:  # alembic loads only when the schema is checked or migrated
    from alembic.config import Config

# The newest migration this code knows; a test proves it is Alembic's head.
SCHEMA_HEAD = "0022"
MIGRATIONS = Path(__file__).with_name("migrations")


def current_revision(db: Database) -> str | None:
    with db.read() as session:
        connection = session.connection()
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def ensure_schema(db: Database, migrate: bool = True) -> None:
    """Create or upgrade the schema; refuse a database written by a newer Chairside.

    Not `migrate` (a console on a shared PostgreSQL database): an older schema is refused, so one
    workstation never upgrades the database under the others; `chairside db upgrade` does.
    """
    revision = current_revision(db)
    if revision == SCHEMA_HEAD:
        return  # the common case: no Alembic import on start-up
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(
            f"this database has schema {revision}, newer than this Chairside ({SCHEMA_HEAD}): "
            "upgrade Chairside before opening it"
        )
    if revision is not None and not migrate:
        raise StorageError(
            f"this database has schema {revision}, older than this Chairside ({SCHEMA_HEAD}): "
            "run `chairside db upgrade` (as the database's owner) once, then start the consoles"
        )
    if revision is not None and db.backend == "sqlite":
        backup_before_migrating(db, revision)
    upgrade(db)


def backup_before_migrating(db: Database, revision: str) -> Path:
    """A copy of a SQLite clinic as it was, beside it, before its schema changes (owner-only)."""
    from console.store.backup import copy_sqlite

    source = Path(str(db.engine.url.database))
    copy = source.with_name(f"{source.stem}.before-schema-{SCHEMA_HEAD}-from-{revision}{source.suffix}")
    copy.unlink(missing_ok=True)  # an earlier attempt at the same upgrade
    return copy_sqlite(source, copy)


def upgrade(db: Database, revision: str = "head") -> None:
    """Apply migrations in one transaction; on SQLite, with foreign keys checked once at the end."""
    from alembic import command

    with translate_errors(), db.engine.execution_options(chairside_write=True).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw: Any = connection.connection.driver_connection  # outside any transaction, where PRAGMA works
        if sqlite:
            # Batch mode rebuilds tables by copy and rename, which per-statement checks would refuse.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise StorageError("the migration would break links between records; nothing was changed")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def alembic_config(connection: Connection) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config
