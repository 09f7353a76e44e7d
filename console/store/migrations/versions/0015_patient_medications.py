"""the patient's current medications and relevant history, shown at a glance

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch rebuild): patient is referenced by the sessions and pseudonyms.
    op.add_column("patient", sa.Column("medications", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "patient", sa.Column("relevant_history", sa.String(length=200), server_default="", nullable=False)
    )


def downgrade() -> None:
    op.execute("ALTER TABLE patient DROP COLUMN relevant_history")  # SQLite 3.35+ and PostgreSQL
    op.execute("ALTER TABLE patient DROP COLUMN medications")
