"""an IV infusion stopped early: the reason, the drug left over wasted at the stop, and its witness

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_LOCKED = "the session is signed and locked: add an addendum instead"
_SIGNED_VIA_DOSE = (
    "EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id"
    " WHERE d.id IN ({ids}))"
)
# Rebuilding infusion_event on SQLite drops its lock triggers: these are they, frozen as 0008 wrote them.
SQLITE_LOCKS = [
    f"CREATE TRIGGER infusion_event_locked_{verb.lower()} BEFORE {verb} ON infusion_event "
    f"WHEN {_SIGNED_VIA_DOSE.format(ids=ids)} BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END"
    for verb, ids in (
        ("INSERT", "NEW.dose_id"),
        ("UPDATE", "OLD.dose_id, NEW.dose_id"),
        ("DELETE", "OLD.dose_id"),
    )
]
CHECKS = {
    "stop_details_only_on_stop": (
        "kind = 'stop' OR (stop_reason IS NULL AND wasted_mg IS NULL AND witness_id IS NULL)"
    ),
    "stop_waste_nonnegative": "wasted_mg IS NULL OR wasted_mg >= 0",
    "stop_waste_witnessed": "wasted_mg IS NULL OR wasted_mg = 0 OR witness_id IS NOT NULL",
    "stop_witness_not_self": "witness_id IS NULL OR witness_id <> recorded_by",
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS infusion_event_locked_{verb}")
    with op.batch_alter_table("infusion_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stop_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("wasted_mg", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("witness_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_infusion_event_witness_id_user_account"),
            "user_account",
            ["witness_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)
    if _sqlite():
        for statement in SQLITE_LOCKS:
            op.execute(statement)


def downgrade() -> None:
    if _sqlite():
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS infusion_event_locked_{verb}")
    with op.batch_alter_table("infusion_event", schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(name, type_="check")
        batch_op.drop_constraint(op.f("fk_infusion_event_witness_id_user_account"), type_="foreignkey")
        batch_op.drop_column("witness_id")
        batch_op.drop_column("wasted_mg")
        batch_op.drop_column("stop_reason")
    if _sqlite():
        for statement in SQLITE_LOCKS:
            op.execute(statement)
