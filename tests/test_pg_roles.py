"""PostgreSQL roles: consoles connect as an application role that cannot alter the record's rules."""

import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.domain.clock import FixedClock
from console.store.database import Database
from console.store.pg_roles import grant_application_role, grant_statements
from tests.conftest import NOW, TEST_KEY
from tests.factories import a_nurses_reading
from tests.pg_server import PgServer

_names = itertools.count()


@pytest.fixture
def consoles_role(postgres: PgServer) -> Iterator[Database]:
    """A new clinic database, owned by the test server's owner role, and a console role granted on it."""
    owner_url = postgres.create_database(f"roles_{os.getpid()}_{next(_names)}", template=postgres.template)
    role = f"console_{os.getpid()}_{next(_names)}"
    with postgres.admin_connection() as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN')
    owner = Database(owner_url)
    assert grant_application_role(owner, role) >= 13
    owner.dispose()
    console = Database(owner_url.replace("chairside@", f"{role}@"), FixedClock(NOW))
    console.audit_key = TEST_KEY
    yield console
    console.dispose()


def test_the_console_role_records_a_session_through_the_services(consoles_role: Database) -> None:
    row = a_nurses_reading(consoles_role)
    with consoles_role.read() as session:
        readings = session.execute(
            text("SELECT count(*) FROM vital_signs WHERE session_id = :id"), {"id": row.id}
        ).scalar_one()
    assert readings == 1


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE vital_signs DISABLE TRIGGER ALL",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change",
        "DROP TRIGGER audit_event_no_change ON audit_event",
        "DROP FUNCTION chairside_signed_lock() CASCADE",
        "SET session_replication_role = replica",
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM vital_signs",
        "TRUNCATE audit_event",
        "UPDATE session_signature SET meaning = 'reviewed'",
        "ALTER TABLE vital_signs DROP CONSTRAINT ck_vital_signs_spo2_range",
        "CREATE TABLE shadow (id integer)",
    ],
)
def test_the_console_role_is_refused_what_would_change_the_rules(
    consoles_role: Database, statement: str
) -> None:
    with (
        pytest.raises(DBAPIError, match=r"must be owner|permission denied"),
        consoles_role.engine.begin() as c,
    ):
        c.execute(text(statement))


def test_a_role_name_is_checked_before_it_reaches_sql() -> None:
    from console.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Role"):
        grant_statements('app"; DROP TABLE patient; --', ["patient"])
    assert 'GRANT SELECT, INSERT ON "audit_event" TO "app"' in grant_statements("app", ["audit_event"])
