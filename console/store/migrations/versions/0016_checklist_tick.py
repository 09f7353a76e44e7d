"""the protocol's pre-infusion and discharge checklists, each item ticked with who and when

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 07:20:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LOCKED = "the session is signed and locked: add an addendum instead"
# The new table joins the rows a signature locks: its lock triggers, frozen as first written
# (PostgreSQL's function exists since 0007).
LOCKS = {
    "sqlite": [
        "CREATE TRIGGER checklist_tick_locked_insert BEFORE INSERT ON checklist_tick WHEN EXISTS (SELECT 1 FROM "
        f"session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER checklist_tick_locked_update BEFORE UPDATE ON checklist_tick WHEN EXISTS (SELECT 1 FROM "
        "session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER checklist_tick_locked_delete BEFORE DELETE ON checklist_tick WHEN EXISTS (SELECT 1 FROM "
        f"session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER checklist_tick_locked BEFORE INSERT OR UPDATE OR DELETE ON checklist_tick "
        "FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "checklist_tick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("ticked_by", sa.Integer(), nullable=False),
        sa.Column("ticked_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "checklist IN ('pre_infusion', 'discharge')", name=op.f("ck_checklist_tick_checklist_known")
        ),
        sa.CheckConstraint("length(item) BETWEEN 1 AND 80", name=op.f("ck_checklist_tick_item_length")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_checklist_tick_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticked_by"],
            ["user_account.id"],
            name=op.f("fk_checklist_tick_ticked_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_tick")),
        sa.UniqueConstraint(
            "session_id", "checklist", "item", name=op.f("uq_checklist_tick_session_id_checklist_item")
        ),
    )
    for statement in LOCKS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("checklist_tick")  # its triggers go with it
