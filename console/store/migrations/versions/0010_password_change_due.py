"""a user whose password an administrator reset chooses a new one at the next sign-in

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): user_account is referenced by almost every table.
    op.add_column(
        "user_account",
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE user_account DROP COLUMN must_change_password")  # SQLite 3.35+ and PostgreSQL
