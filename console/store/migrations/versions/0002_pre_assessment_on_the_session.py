"""pre-assessment on the session: escort confirmation and the contraindication screen

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 04:51:16.188137
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escort_confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("contraindications_screened_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("contraindications_found", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_check_constraint(
            "screen_dated", "contraindications_found = '' OR contraindications_screened_at IS NOT NULL"
        )
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        # The defaults only filled existing rows; new rows always come with explicit values.
        batch_op.alter_column("escort_confirmed", server_default=None)
        batch_op.alter_column("contraindications_found", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_constraint("screen_dated", type_="check")
        batch_op.drop_column("contraindications_found")
        batch_op.drop_column("contraindications_screened_at")
        batch_op.drop_column("escort_confirmed")
