"""the physician's end-of-induction review: the response, and maintenance or stop

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 01:30:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "induction_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("response", sa.String(length=600), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('maintenance', 'stop')", name=op.f("ck_induction_review_decision_known")
        ),
        sa.CheckConstraint(
            "length(response) BETWEEN 1 AND 600", name=op.f("ck_induction_review_response_length")
        ),
        sa.CheckConstraint("length(note) <= 500", name=op.f("ck_induction_review_note_length")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_induction_review_version_positive")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_induction_review_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["user_account.id"],
            name=op.f("fk_induction_review_reviewed_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_induction_review")),
        sa.UniqueConstraint("session_id", name=op.f("uq_induction_review_session_id")),
    )


def downgrade() -> None:
    op.drop_table("induction_review")
