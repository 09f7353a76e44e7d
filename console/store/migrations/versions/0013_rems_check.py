"""the Spravato REMS monitoring form's facts of each nasal esketamine session, locked by the signature

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:20:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LOCKED = "the session is signed and locked: add an addendum instead"
# The new table joins the rows a signature locks: its lock triggers, frozen as first written
# (PostgreSQL's function exists since 0007).
LOCKS = {
    "sqlite": [
        "CREATE TRIGGER rems_check_locked_insert BEFORE INSERT ON rems_check WHEN EXISTS (SELECT 1 FROM "
        f"session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER rems_check_locked_update BEFORE UPDATE ON rems_check WHEN EXISTS (SELECT 1 FROM "
        "session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER rems_check_locked_delete BEFORE DELETE ON rems_check WHEN EXISTS (SELECT 1 FROM "
        f"session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER rems_check_locked BEFORE INSERT OR UPDATE OR DELETE ON rems_check "
        "FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
    ],
}


def _timed(observation: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"({observation} IS TRUE) = ({observation}_at IS NOT NULL)",
        name=op.f(f"ck_rems_check_{observation}_timed"),
    )


def upgrade() -> None:
    op.create_table(
        "rems_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.String(length=20), nullable=False),
        sa.Column("benzodiazepines", sa.Boolean(), nullable=False),
        sa.Column("sedative_hypnotics", sa.Boolean(), nullable=False),
        sa.Column("psychostimulants", sa.Boolean(), nullable=False),
        sa.Column("maois", sa.Boolean(), nullable=False),
        sa.Column("opioids", sa.Boolean(), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("device_1_at", UTCDateTime(), nullable=True),
        sa.Column("device_2_at", UTCDateTime(), nullable=True),
        sa.Column("device_3_at", UTCDateTime(), nullable=True),
        sa.Column("sedation", sa.Boolean(), nullable=True),
        sa.Column("sedation_at", UTCDateTime(), nullable=True),
        sa.Column("dissociation", sa.Boolean(), nullable=True),
        sa.Column("dissociation_at", UTCDateTime(), nullable=True),
        sa.Column("respiratory_depression", sa.Boolean(), nullable=True),
        sa.Column("respiratory_depression_at", UTCDateTime(), nullable=True),
        sa.Column("ready_to_leave_min", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "length(enrolment_id) BETWEEN 1 AND 20", name=op.f("ck_rems_check_enrolment_id_length")
        ),
        sa.CheckConstraint(
            "device_2_at IS NULL OR (device_1_at IS NOT NULL AND device_2_at >= device_1_at)",
            name=op.f("ck_rems_check_second_device_after_first"),
        ),
        sa.CheckConstraint(
            "device_3_at IS NULL OR (device_2_at IS NOT NULL AND device_3_at >= device_2_at)",
            name=op.f("ck_rems_check_third_device_after_second"),
        ),
        _timed("sedation"),
        _timed("dissociation"),
        _timed("respiratory_depression"),
        sa.CheckConstraint(
            "ready_to_leave_min IS NULL OR (ready_to_leave_min >= 0 AND ready_to_leave_min <= 720)",
            name=op.f("ck_rems_check_ready_to_leave_min_range"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_rems_check_version_positive")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_rems_check_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["asked_by"],
            ["user_account.id"],
            name=op.f("fk_rems_check_asked_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rems_check")),
        sa.UniqueConstraint("session_id", name=op.f("uq_rems_check_session_id")),
    )
    for statement in LOCKS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("rems_check")  # its triggers go with it
