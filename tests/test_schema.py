"""Schema: migrations and models agree, the head is known, and a newer database is refused."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

from console import schema
from console.errors import SchemaTooNew


def test_schema_head_constant_is_alembics_head():
    assert ScriptDirectory(str(schema.MIGRATIONS)).get_current_head() == schema.SCHEMA_HEAD


def test_models_and_migrations_agree(db):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_newer_database_is_refused_with_a_clear_message(db):
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="newer than this Chairside"):
        schema.ensure_schema(db)


def test_migrations_downgrade_and_upgrade_cleanly(db):
    from alembic import command

    with db.write() as session:
        command.downgrade(schema.alembic_config(session.connection()), "base")
    assert schema.current_revision(db) is None
    schema.ensure_schema(db)
    assert schema.current_revision(db) == schema.SCHEMA_HEAD


def test_sqlite_connections_are_durable(tmp_path):
    from console.database import Database, sqlite_url

    db = Database(sqlite_url(tmp_path / "c.sqlite3"))
    with db.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}
