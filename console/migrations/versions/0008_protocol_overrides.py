"""clinic protocol: overrides, protocol version

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:38:37.987244
"""

import sqlalchemy as sa
from alembic import op

from console.migrations import record_locks
from console.timestamps import UTCDateTime

# Overrides join the rows a signature locks, and are append-only.
BEFORE = (
    ("dose_administration", "vital_signs", "side_effect", "pain_score", "alert", "review_return"),
    ("session_signature", "addendum"),
)
AFTER = (BEFORE[0] + ("override",), BEFORE[1] + ("override",))

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    record_locks.drop(*BEFORE)
    op.create_table(
        "override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("details", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("overridden_by", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "rule IN ('contraindication', 'predose_hold', 'dose_range', 'discharge')",
            name=op.f("ck_override_rule_known"),
        ),
        sa.CheckConstraint("length(reason) BETWEEN 3 AND 300", name=op.f("ck_override_reason_length")),
        sa.ForeignKeyConstraint(
            ["overridden_by"],
            ["user_account.id"],
            name=op.f("fk_override_overridden_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_override_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_override")),
    )
    with op.batch_alter_table("override", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_override_session_id"), ["session_id"], unique=False)

    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protocol_version", sa.String(length=40), nullable=True))
    record_locks.create(*AFTER)


def downgrade() -> None:
    record_locks.drop(*AFTER)
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_column("protocol_version")

    with op.batch_alter_table("override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_override_session_id"))

    op.drop_table("override")
    record_locks.create(*BEFORE)
