"""the REMS form: when sedation, dissociation and respiratory depression resolved

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 21:40:00
"""

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OBSERVATIONS = ("sedation", "dissociation", "respiratory_depression")


def _resolved_after_seen(observation: str) -> str:
    return (
        f"{observation}_resolved_at IS NULL OR "
        f"({observation}_at IS NOT NULL AND {observation}_resolved_at >= {observation}_at)"
    )


def _sqlite_rebuild(change_table: Callable[[str], str], columns: str) -> None:
    """SQLite cannot add a named CHECK to a table: the table is made again from its own stored SQL,
    changed, its rows copied, and its triggers made again exactly as they were stored."""
    bind = op.get_bind()
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'rems_check'"
    ).scalar_one()
    triggers = list(
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'rems_check' ORDER BY name"
        ).scalars()
    )
    # A table once renamed is stored with its name quoted: either way, the copy gets a new name.
    new_sql = re.sub(
        r'^CREATE TABLE "?rems_check"? \(', "CREATE TABLE rems_check_new (", change_table(table_sql)
    )
    assert new_sql.startswith("CREATE TABLE rems_check_new ("), "rems_check is not as 0013 made it"
    op.execute(new_sql)
    op.execute(f"INSERT INTO rems_check_new ({columns}) SELECT {columns} FROM rems_check")
    op.execute("DROP TABLE rems_check")  # its triggers go with it
    op.execute("ALTER TABLE rems_check_new RENAME TO rems_check")
    for trigger in triggers:
        op.execute(trigger)


def _columns_before() -> str:
    return ", ".join(
        [
            "id, session_id, enrolment_id, benzodiazepines, sedative_hypnotics, psychostimulants, maois",
            "opioids, asked_by, asked_at, device_1_at, device_2_at, device_3_at",
            *(f"{name}, {name}_at" for name in OBSERVATIONS),
            "ready_to_leave_min, version",
        ]
    )


def _with_resolved(table_sql: str) -> str:
    column_after = "\tready_to_leave_min INTEGER, \n"
    check_after = "CHECK (version >= 1), \n"
    assert column_after in table_sql and check_after in table_sql, "rems_check is not as 0013 made it"
    columns = "".join(f"\t{name}_resolved_at DATETIME, \n" for name in OBSERVATIONS)
    checks = "".join(
        f"\tCONSTRAINT ck_rems_check_{name}_resolved_after_seen CHECK ({_resolved_after_seen(name)}), \n"
        for name in OBSERVATIONS
    )
    return table_sql.replace(column_after, column_after + columns, 1).replace(
        check_after, check_after + checks, 1
    )


def _without_resolved(table_sql: str) -> str:
    kept = [line for line in table_sql.split("\n") if "_resolved_" not in line]
    return "\n".join(kept)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(_with_resolved, _columns_before())
        return
    for name in OBSERVATIONS:
        op.add_column("rems_check", sa.Column(f"{name}_resolved_at", UTCDateTime(), nullable=True))
        op.create_check_constraint(
            op.f(f"ck_rems_check_{name}_resolved_after_seen"), "rems_check", _resolved_after_seen(name)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(_without_resolved, _columns_before())
        return
    for name in OBSERVATIONS:
        op.drop_constraint(op.f(f"ck_rems_check_{name}_resolved_after_seen"), "rems_check", type_="check")
        op.drop_column("rems_check", f"{name}_resolved_at")
