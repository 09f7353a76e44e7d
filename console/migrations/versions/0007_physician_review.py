"""physician review: signatures, addenda, returns, signing PIN

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 06:45:20.511248
"""

import sqlalchemy as sa
from alembic import op

from console.migrations import record_locks
from console.timestamps import UTCDateTime

# The tables locked once their session is signed, and those that are append-only, at this revision.
SESSION_CHILDREN = (
    "dose_administration",
    "vital_signs",
    "side_effect",
    "pain_score",
    "alert",
    "review_return",
)
APPEND_ONLY = ("session_signature", "addendum")

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "addendum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("length(author_name) >= 1", name=op.f("ck_addendum_author_named")),
        sa.CheckConstraint("length(content_hash) = 64", name=op.f("ck_addendum_content_hash_sha256")),
        sa.CheckConstraint("length(reason) BETWEEN 3 AND 200", name=op.f("ck_addendum_reason_length")),
        sa.CheckConstraint("length(text) BETWEEN 3 AND 4000", name=op.f("ck_addendum_text_length")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_addendum_author_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_addendum_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addendum")),
    )
    with op.batch_alter_table("addendum", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addendum_session_id"), ["session_id"], unique=False)

    op.create_table(
        "review_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("returned_by", sa.Integer(), nullable=False),
        sa.Column("returned_at", UTCDateTime(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("resubmitted_at", UTCDateTime(), nullable=True),
        sa.Column("resubmitted_by", sa.Integer(), nullable=True),
        sa.Column("response", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(resubmitted_at IS NULL) = (resubmitted_by IS NULL)",
            name=op.f("ck_review_return_resubmitted_by_someone"),
        ),
        sa.CheckConstraint("length(comment) BETWEEN 3 AND 500", name=op.f("ck_review_return_comment_length")),
        sa.CheckConstraint(
            "resubmitted_at IS NULL OR resubmitted_at >= returned_at",
            name=op.f("ck_review_return_resubmit_after_return"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_review_return_version_positive")),
        sa.ForeignKeyConstraint(
            ["resubmitted_by"],
            ["user_account.id"],
            name=op.f("fk_review_return_resubmitted_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["returned_by"],
            ["user_account.id"],
            name=op.f("fk_review_return_returned_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_review_return_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_return")),
    )
    with op.batch_alter_table("review_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_return_session_id"), ["session_id"], unique=False)

    op.create_table(
        "session_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=80), nullable=False),
        sa.Column("meaning", sa.String(length=16), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "meaning IN ('reviewed', 'approved')", name=op.f("ck_session_signature_meaning_known")
        ),
        sa.CheckConstraint("length(record_hash) = 64", name=op.f("ck_session_signature_record_hash_sha256")),
        sa.CheckConstraint("length(signer_name) >= 1", name=op.f("ck_session_signature_signer_named")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_session_signature_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["user_account.id"],
            name=op.f("fk_session_signature_signer_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_signature")),
        sa.UniqueConstraint("session_id", name=op.f("uq_session_signature_session_id")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_pin_hash", sa.String(length=200), nullable=True))

    record_locks.create(SESSION_CHILDREN, APPEND_ONLY)


def downgrade() -> None:
    record_locks.drop(SESSION_CHILDREN, APPEND_ONLY)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("signing_pin_hash")

    op.drop_table("session_signature")
    with op.batch_alter_table("review_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_return_session_id"))

    op.drop_table("review_return")
    with op.batch_alter_table("addendum", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addendum_session_id"))

    op.drop_table("addendum")
