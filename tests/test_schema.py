"""Schema: migrations and models agree, the head is known, and a newer database is refused."""

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlmodel import SQLModel, select

from console.domain.actors import Actor
from console.domain.errors import SchemaTooNew
from console.store import schema
from console.store.database import Database
from console.store.models import TreatmentSession


def test_schema_head_constant_is_alembics_head() -> None:
    assert ScriptDirectory(str(schema.MIGRATIONS)).get_current_head() == schema.SCHEMA_HEAD


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_newer_database_is_refused_with_a_clear_message(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="newer than this Chairside"):
        schema.ensure_schema(db)


@pytest.mark.slow
def test_migrations_downgrade_and_upgrade_cleanly(db: Database) -> None:
    from alembic import command

    with db.write() as session:
        command.downgrade(schema.alembic_config(session.connection()), "base")
    assert schema.current_revision(db) is None
    schema.ensure_schema(db)
    assert schema.current_revision(db) == schema.SCHEMA_HEAD


def test_sqlite_connections_are_durable(tmp_path: Path) -> None:
    from console.store.database import Database, sqlite_url

    db = Database(sqlite_url(tmp_path / "c.sqlite3"))
    with db.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}


def test_upgrade_keeps_existing_records(db: Database, staff: dict[str, Actor]) -> None:
    """A clinic created at the first schema keeps every record through later migrations."""
    from console.chair import charting
    from console.store.models import VitalSigns
    from tests.factories import checked_in_session, vitals_data

    row = checked_in_session(db, staff["nina"])
    charting.record_vitals(db, staff["nina"], row.id, vitals_data(db))
    from alembic import command

    with db.engine.connect() as connection:
        if db.backend == "sqlite":
            assert connection.connection.driver_connection is not None
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
    assert kept is not None
    assert (
        kept.status == "checked_in" and kept.escort_confirmed is False and kept.contraindications_found == ""
    )
    with db.engine.connect() as connection:
        if db.backend == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").first() is None
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _shape(engine: Engine) -> dict[str, dict[str, Sequence[object]]]:
    """Every table as the database itself reports it: columns, keys, indexes and CHECK constraints."""
    from sqlalchemy import inspect

    inspector = inspect(engine)

    def spaced(sql: str) -> str:
        return " ".join(sql.split())

    shape: dict[str, dict[str, Sequence[object]]] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        shape[table] = {
            "columns": sorted(  # by name: a column added by a migration comes last, which is no difference
                (c["name"], str(c["type"]), c["nullable"], spaced(str(c.get("default") or "")))
                for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                (c["name"], spaced(c["sqltext"])) for c in inspector.get_check_constraints(table)
            ),
        }
    return shape


def _triggers(engine: Engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as connection:
        return set(connection.exec_driver_sql(query).scalars())


@pytest.fixture
def from_models(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database made straight from the models, as a new clinic would get it without migrations."""
    from console.store.database import Database, sqlite_url

    if backend == "sqlite":
        made = Database(sqlite_url(tmp_path / "from-models.sqlite3"))
    else:
        made = Database(
            request.getfixturevalue("postgres").create_database(f"models_{os.getpid()}_{id(request)}")
        )
    SQLModel.metadata.create_all(made.engine)
    yield made
    made.dispose()


def test_a_migrated_database_has_exactly_the_models_tables_columns_keys_and_checks(
    db: Database, from_models: Database
) -> None:
    migrated, modelled = _shape(db.engine), _shape(from_models.engine)
    assert migrated.keys() == modelled.keys()
    for table in modelled:
        assert migrated[table] == modelled[table], table
    checks = sum(len(t["checks"]) for t in modelled.values())
    assert checks > 60  # the models' rules are really there to compare, not an empty list on both sides


def test_a_migrated_database_has_exactly_todays_triggers(db: Database) -> None:
    from console.store.lock_triggers import trigger_names

    assert _triggers(db.engine) == trigger_names(db.backend)


def test_a_dropped_check_or_trigger_is_noticed(db: Database, from_models: Database) -> None:
    """The comparison has teeth: one constraint or trigger less is a difference."""
    from console.store.lock_triggers import trigger_names

    with db.engine.begin() as connection:
        if db.backend == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER addendum_no_update")
        else:
            connection.exec_driver_sql("DROP TRIGGER addendum_no_change ON addendum")
            connection.exec_driver_sql("ALTER TABLE vital_signs DROP CONSTRAINT ck_vital_signs_spo2_range")
    assert _triggers(db.engine) != trigger_names(db.backend)
    if db.backend == "postgresql":
        assert _shape(db.engine)["vital_signs"] != _shape(from_models.engine)["vital_signs"]
