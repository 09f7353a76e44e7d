"""one protocol for the whole clinic, in the database: each version set by an administrator, append-only

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 01:10:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The append-only triggers of the new table, frozen as first written (PostgreSQL's function exists
# since 0007).
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER clinic_protocol_no_update BEFORE UPDATE ON clinic_protocol "
        "BEGIN SELECT RAISE(ABORT, 'clinic_protocol rows are append-only'); END",
        "CREATE TRIGGER clinic_protocol_no_delete BEFORE DELETE ON clinic_protocol "
        "BEGIN SELECT RAISE(ABORT, 'clinic_protocol rows are append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER clinic_protocol_no_change BEFORE UPDATE OR DELETE ON clinic_protocol "
        "FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER clinic_protocol_no_truncate BEFORE TRUNCATE ON clinic_protocol "
        "FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "clinic_protocol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(version) BETWEEN 1 AND 40", name=op.f("ck_clinic_protocol_version_named")),
        sa.CheckConstraint("length(content_sha256) = 64", name=op.f("ck_clinic_protocol_content_sha256")),
        sa.CheckConstraint("length(body) >= 2", name=op.f("ck_clinic_protocol_body_present")),
        sa.ForeignKeyConstraint(
            ["set_by"],
            ["user_account.id"],
            name=op.f("fk_clinic_protocol_set_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_protocol")),
    )
    op.create_index(op.f("ix_clinic_protocol_version"), "clinic_protocol", ["version"], unique=False)
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f("ix_clinic_protocol_version"), table_name="clinic_protocol")
    op.drop_table("clinic_protocol")  # its triggers go with it
