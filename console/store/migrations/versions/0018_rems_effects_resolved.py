"""the REMS form: when sedation, dissociation and respiratory depression resolved

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 21:40:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.migrations.sqlite_rebuild import rebuild_table
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
        rebuild_table("rems_check", _with_resolved)
        return
    for name in OBSERVATIONS:
        op.add_column("rems_check", sa.Column(f"{name}_resolved_at", UTCDateTime(), nullable=True))
        op.create_check_constraint(
            op.f(f"ck_rems_check_{name}_resolved_after_seen"), "rems_check", _resolved_after_seen(name)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        rebuild_table("rems_check", _without_resolved)
        return
    for name in OBSERVATIONS:
        op.drop_constraint(op.f(f"ck_rems_check_{name}_resolved_after_seen"), "rems_check", type_="check")
        op.drop_column("rems_check", f"{name}_resolved_at")
