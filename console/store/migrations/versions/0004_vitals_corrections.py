"""vitals corrections: a version number on each reading, so two corrections cannot collide

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:33:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_check_constraint("version_positive", "version >= 1")
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.drop_constraint("version_positive", type_="check")
        batch_op.drop_column("version")
