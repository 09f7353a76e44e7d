"""de-identified exports name each patient by a random code kept in the database, append-only

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:00:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The append-only triggers of the new table, frozen as first written.
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER patient_pseudonym_no_update BEFORE UPDATE ON patient_pseudonym "
        "BEGIN SELECT RAISE(ABORT, 'patient_pseudonym rows are append-only'); END",
        "CREATE TRIGGER patient_pseudonym_no_delete BEFORE DELETE ON patient_pseudonym "
        "BEGIN SELECT RAISE(ABORT, 'patient_pseudonym rows are append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER patient_pseudonym_no_change BEFORE UPDATE OR DELETE ON patient_pseudonym "
        "FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER patient_pseudonym_no_truncate BEFORE TRUNCATE ON patient_pseudonym "
        "FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "patient_pseudonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(code) = 12", name=op.f("ck_patient_pseudonym_code_length")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_patient_pseudonym_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_pseudonym")),
        sa.UniqueConstraint("code", name=op.f("uq_patient_pseudonym_code")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_patient_pseudonym_patient_id")),
    )
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("patient_pseudonym")  # its triggers go with it
