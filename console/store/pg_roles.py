"""PostgreSQL roles: the owner runs migrations; consoles connect as an application role.

The application role reads and writes rows and nothing more: it owns no table, so it cannot alter
one, drop or disable a trigger, or truncate; the audit trail, signatures, addenda, overrides, protocols and
pseudonyms it can only add to; nothing can be deleted. Run `grant` as the owner after every schema upgrade.
"""

import re

from sqlalchemy import text

from console.domain.errors import ConfigurationError, InvalidInput
from console.store.database import Database
from console.store.models import (
    Addendum,
    AuditEvent,
    ClinicProtocol,
    Override,
    PatientPseudonym,
    SessionSignature,
    table_of,
)

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _append_only() -> set[str]:
    return {
        table_of(model).name
        for model in (AuditEvent, SessionSignature, Addendum, Override, ClinicProtocol, PatientPseudonym)
    }


def grant_statements(role: str, tables: list[str]) -> list[str]:
    """What the owner grants: per table, only the privileges the services use."""
    if not ROLE_NAME.match(role):
        raise InvalidInput("role", f"Role: a PostgreSQL role name in lower case (got {role!r}).")
    quoted = f'"{role}"'
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"GRANT SELECT ON alembic_version TO {quoted}",
    ]
    append_only = _append_only()
    for table in sorted(tables):
        privileges = "SELECT, INSERT" if table in append_only else "SELECT, INSERT, UPDATE"
        statements.append(f'GRANT {privileges} ON "{table}" TO {quoted}')
    return statements


def grant_application_role(db: Database, role: str) -> int:
    """Grant `role` what the consoles need (run as the tables' owner); how many tables."""
    if db.backend != "postgresql":
        raise ConfigurationError("roles are for PostgreSQL: a SQLite clinic is one file on one workstation")
    tables = [name for name in _table_names(db) if name != "alembic_version"]
    with db.write() as session:
        exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise ConfigurationError(
                f"there is no PostgreSQL role {role!r}: "
                f"create it first (CREATE ROLE {role} LOGIN PASSWORD ...)"
            )
        for statement in grant_statements(role, tables):
            session.execute(text(statement))
    return len(tables)


def _table_names(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        )
