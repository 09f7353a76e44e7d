"""physician review: signatures, addenda, returns, signing PIN

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 06:45:20.511248
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

# The lock triggers of this revision, frozen as first written: later code never changes them.
CREATE_LOCKS = {
    "sqlite": [
        "CREATE TRIGGER dose_administration_locked_insert BEFORE INSERT ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER dose_administration_locked_update BEFORE UPDATE ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER dose_administration_locked_delete BEFORE DELETE ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_insert BEFORE INSERT ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_update BEFORE UPDATE ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_delete BEFORE DELETE ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_insert BEFORE INSERT ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_update BEFORE UPDATE ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_delete BEFORE DELETE ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_insert BEFORE INSERT ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_update BEFORE UPDATE ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_delete BEFORE DELETE ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_insert BEFORE INSERT ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_update BEFORE UPDATE ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_delete BEFORE DELETE ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_insert BEFORE INSERT ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_update BEFORE UPDATE ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_delete BEFORE DELETE ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_insert BEFORE INSERT ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (NEW.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_update BEFORE UPDATE ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (OLD.dose_id, NEW.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_delete BEFORE DELETE ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (OLD.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER treatment_session_locked_update BEFORE UPDATE ON treatment_session WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER treatment_session_locked_delete BEFORE DELETE ON treatment_session WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature WHEN (SELECT role FROM user_account WHERE id = NEW.signer_id) IS NOT 'physician' BEGIN SELECT RAISE(ABORT, 'only a physician can sign a session'); END",
        "CREATE TRIGGER session_signature_no_update BEFORE UPDATE ON session_signature BEGIN SELECT RAISE(ABORT, 'session_signature rows are append-only'); END",
        "CREATE TRIGGER session_signature_no_delete BEFORE DELETE ON session_signature BEGIN SELECT RAISE(ABORT, 'session_signature rows are append-only'); END",
        "CREATE TRIGGER addendum_no_update BEFORE UPDATE ON addendum BEGIN SELECT RAISE(ABORT, 'addendum rows are append-only'); END",
        "CREATE TRIGGER addendum_no_delete BEFORE DELETE ON addendum BEGIN SELECT RAISE(ABORT, 'addendum rows are append-only'); END",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION chairside_session_of(tbl text, rec jsonb) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sid bigint;
BEGIN
    IF tbl = 'treatment_session' THEN
        RETURN (rec ->> 'id')::bigint;
    ELSIF tbl = 'infusion_event' THEN
        SELECT session_id INTO sid FROM dose_administration WHERE id = (rec ->> 'dose_id')::bigint;
        RETURN sid;
    END IF;
    RETURN (rec ->> 'session_id')::bigint;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_signed_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    -- The session id goes into a variable first: inside the WHERE it would be computed per row.
    IF TG_OP <> 'INSERT' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(OLD));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION 'the session is signed and locked: add an addendum instead';
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(NEW));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION 'the session is signed and locked: add an addendum instead';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_signer_is_physician() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT role FROM user_account WHERE id = NEW.signer_id) IS DISTINCT FROM 'physician' THEN
        RAISE EXCEPTION 'only a physician can sign a session';
    END IF;
    RETURN NEW;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END $$""",
        "CREATE TRIGGER dose_administration_locked BEFORE INSERT OR UPDATE OR DELETE ON dose_administration FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER vital_signs_locked BEFORE INSERT OR UPDATE OR DELETE ON vital_signs FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER side_effect_locked BEFORE INSERT OR UPDATE OR DELETE ON side_effect FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER pain_score_locked BEFORE INSERT OR UPDATE OR DELETE ON pain_score FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER alert_locked BEFORE INSERT OR UPDATE OR DELETE ON alert FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER review_return_locked BEFORE INSERT OR UPDATE OR DELETE ON review_return FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER infusion_event_locked BEFORE INSERT OR UPDATE OR DELETE ON infusion_event FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER treatment_session_locked BEFORE UPDATE OR DELETE ON treatment_session FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature FOR EACH ROW EXECUTE FUNCTION chairside_signer_is_physician()",
        "CREATE TRIGGER session_signature_no_change BEFORE UPDATE OR DELETE ON session_signature FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER session_signature_no_truncate BEFORE TRUNCATE ON session_signature FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER addendum_no_change BEFORE UPDATE OR DELETE ON addendum FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER addendum_no_truncate BEFORE TRUNCATE ON addendum FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
    ],
}

DROP_LOCKS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS dose_administration_locked_insert",
        "DROP TRIGGER IF EXISTS dose_administration_locked_update",
        "DROP TRIGGER IF EXISTS dose_administration_locked_delete",
        "DROP TRIGGER IF EXISTS vital_signs_locked_insert",
        "DROP TRIGGER IF EXISTS vital_signs_locked_update",
        "DROP TRIGGER IF EXISTS vital_signs_locked_delete",
        "DROP TRIGGER IF EXISTS side_effect_locked_insert",
        "DROP TRIGGER IF EXISTS side_effect_locked_update",
        "DROP TRIGGER IF EXISTS side_effect_locked_delete",
        "DROP TRIGGER IF EXISTS pain_score_locked_insert",
        "DROP TRIGGER IF EXISTS pain_score_locked_update",
        "DROP TRIGGER IF EXISTS pain_score_locked_delete",
        "DROP TRIGGER IF EXISTS alert_locked_insert",
        "DROP TRIGGER IF EXISTS alert_locked_update",
        "DROP TRIGGER IF EXISTS alert_locked_delete",
        "DROP TRIGGER IF EXISTS review_return_locked_insert",
        "DROP TRIGGER IF EXISTS review_return_locked_update",
        "DROP TRIGGER IF EXISTS review_return_locked_delete",
        "DROP TRIGGER IF EXISTS infusion_event_locked_insert",
        "DROP TRIGGER IF EXISTS infusion_event_locked_update",
        "DROP TRIGGER IF EXISTS infusion_event_locked_delete",
        "DROP TRIGGER IF EXISTS treatment_session_locked_update",
        "DROP TRIGGER IF EXISTS treatment_session_locked_delete",
        "DROP TRIGGER IF EXISTS session_signature_physician_only",
        "DROP TRIGGER IF EXISTS session_signature_no_update",
        "DROP TRIGGER IF EXISTS session_signature_no_delete",
        "DROP TRIGGER IF EXISTS addendum_no_update",
        "DROP TRIGGER IF EXISTS addendum_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS dose_administration_locked ON dose_administration",
        "DROP TRIGGER IF EXISTS vital_signs_locked ON vital_signs",
        "DROP TRIGGER IF EXISTS side_effect_locked ON side_effect",
        "DROP TRIGGER IF EXISTS pain_score_locked ON pain_score",
        "DROP TRIGGER IF EXISTS alert_locked ON alert",
        "DROP TRIGGER IF EXISTS review_return_locked ON review_return",
        "DROP TRIGGER IF EXISTS infusion_event_locked ON infusion_event",
        "DROP TRIGGER IF EXISTS treatment_session_locked ON treatment_session",
        "DROP TRIGGER IF EXISTS session_signature_physician_only ON session_signature",
        "DROP TRIGGER IF EXISTS session_signature_no_change ON session_signature",
        "DROP TRIGGER IF EXISTS session_signature_no_truncate ON session_signature",
        "DROP TRIGGER IF EXISTS addendum_no_change ON addendum",
        "DROP TRIGGER IF EXISTS addendum_no_truncate ON addendum",
        "DROP FUNCTION IF EXISTS chairside_signed_lock()",
        "DROP FUNCTION IF EXISTS chairside_signer_is_physician()",
        "DROP FUNCTION IF EXISTS chairside_append_only()",
        "DROP FUNCTION IF EXISTS chairside_session_of(text, jsonb)",
    ],
}

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

    _run(CREATE_LOCKS)


def downgrade() -> None:
    _run(DROP_LOCKS)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("signing_pin_hash")

    op.drop_table("session_signature")
    with op.batch_alter_table("review_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_return_session_id"))

    op.drop_table("review_return")
    with op.batch_alter_table("addendum", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addendum_session_id"))

    op.drop_table("addendum")


def _run(statements: dict[str, list[str]]) -> None:
    for statement in statements[op.get_bind().dialect.name]:
        op.execute(statement)
