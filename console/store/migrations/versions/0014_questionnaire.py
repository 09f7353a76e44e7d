"""PEG, PHQ-9 and GAD-7 answers of each session, locked by the signature

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 06:30:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

LOCKED = "the session is signed and locked: add an addendum instead"
# The new table joins the rows a signature locks: its lock triggers, frozen as first written
# (PostgreSQL's function exists since 0007).
LOCKS = {
    "sqlite": [
        "CREATE TRIGGER questionnaire_locked_insert BEFORE INSERT ON questionnaire WHEN EXISTS (SELECT 1 FROM "
        f"session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER questionnaire_locked_update BEFORE UPDATE ON questionnaire WHEN EXISTS (SELECT 1 FROM "
        "session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
        "CREATE TRIGGER questionnaire_locked_delete BEFORE DELETE ON questionnaire WHEN EXISTS (SELECT 1 FROM "
        f"session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER questionnaire_locked BEFORE INSERT OR UPDATE OR DELETE ON questionnaire "
        "FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
    ],
}


def _items_fit_instrument() -> str:
    """Frozen copy of the CHECK as first written: each instrument's items present and in range."""
    ranges = {"peg": (3, 10), "phq9": (9, 3), "gad7": (7, 3)}
    cases = []
    for code, (count, top) in ranges.items():
        given = [f"item_{n} IS NOT NULL AND item_{n} BETWEEN 0 AND {top}" for n in range(1, count + 1)]
        empty = [f"item_{n} IS NULL" for n in range(count + 1, 10)]
        cases.append(f"(instrument = '{code}' AND " + " AND ".join(given + empty) + ")")
    return " OR ".join(cases)


def upgrade() -> None:
    op.create_table(
        "questionnaire",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        *[sa.Column(f"item_{n}", sa.Integer(), nullable=n > 3) for n in range(1, 10)],
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "instrument IN ('peg', 'phq9', 'gad7')", name=op.f("ck_questionnaire_instrument_known")
        ),
        sa.CheckConstraint(_items_fit_instrument(), name=op.f("ck_questionnaire_items_fit_instrument")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_questionnaire_version_positive")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_questionnaire_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_questionnaire_recorded_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire")),
        sa.UniqueConstraint("session_id", "instrument", name=op.f("uq_questionnaire_session_id_instrument")),
    )
    for statement in LOCKS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("questionnaire")  # its triggers go with it
