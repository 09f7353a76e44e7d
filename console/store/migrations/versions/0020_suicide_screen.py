"""the C-SSRS screener a physician asks after a PHQ-9 item 9 above 0

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 22:30:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

LOCKED = "the session is signed and locked: add an addendum instead"
# The new table joins the rows a signature locks: its lock triggers, frozen as first written
# (PostgreSQL's function exists since 0007).
LOCKS = {
    "sqlite": [
        "CREATE TRIGGER suicide_screen_locked_insert BEFORE INSERT ON suicide_screen WHEN EXISTS (SELECT 1 "
        f"FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER suicide_screen_locked_update BEFORE UPDATE ON suicide_screen WHEN EXISTS (SELECT 1 "
        "FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER suicide_screen_locked_delete BEFORE DELETE ON suicide_screen WHEN EXISTS (SELECT 1 "
        f"FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER suicide_screen_locked BEFORE INSERT OR UPDATE OR DELETE ON suicide_screen "
        "FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "suicide_screen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        *(sa.Column(f"q{n}", sa.Boolean(), nullable=False) for n in range(1, 7)),
        sa.Column("asked_by", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "q2 OR NOT (q3 OR q4 OR q5)", name=op.f("ck_suicide_screen_plan_questions_after_thoughts")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_suicide_screen_version_positive")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_suicide_screen_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["asked_by"],
            ["user_account.id"],
            name=op.f("fk_suicide_screen_asked_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suicide_screen")),
        sa.UniqueConstraint("session_id", name=op.f("uq_suicide_screen_session_id")),
    )
    for statement in LOCKS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("suicide_screen")  # its triggers go with it
