"""Schema: migrations and models agree, the head is known, and a newer database is refused."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel, select

from console.domain.errors import SchemaTooNew
from console.store import schema
from console.store.models import TreatmentSession


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
    from console.store.database import Database, sqlite_url

    db = Database(sqlite_url(tmp_path / "c.sqlite3"))
    with db.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}


def test_upgrade_keeps_existing_records(db, staff):
    """A clinic created at the first schema keeps every record through later migrations."""
    from console.chair import charting
    from console.store.models import VitalSigns
    from tests.factories import checked_in_session, vitals_data

    row = checked_in_session(db, staff["nina"])
    charting.record_vitals(db, staff["nina"], row.id, vitals_data(db))
    from alembic import command

    with db.engine.connect() as connection:
        if db.backend == "sqlite":
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            command.downgrade(schema.alembic_config(connection), "0001")
    db.dispose()
    assert schema.current_revision(db) == "0001"
    schema.ensure_schema(db)
    assert schema.current_revision(db) == schema.SCHEMA_HEAD
    with db.read() as session:
        assert len(session.exec(select(VitalSigns)).all()) == 1
        kept = session.get(TreatmentSession, row.id)
    assert (
        kept.status == "checked_in" and kept.escort_confirmed is False and kept.contraindications_found == ""
    )
    with db.engine.connect() as connection:
        if db.backend == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").first() is None
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
