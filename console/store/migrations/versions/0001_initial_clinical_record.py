"""initial clinical record

As long as the first schema was: a released migration keeps exactly what it ran, in one piece.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 04:18:07.556055
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "length(hash) = 64 AND length(prev_hash) = 64",
            name=op.f("ck_audit_event_hashes_sha256"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_event_entity_entity_id"), ["entity", "entity_id"], unique=False
        )

    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=20), nullable=False),
        sa.Column("family_name", sa.String(length=80), nullable=False),
        sa.Column("given_name", sa.String(length=80), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("weight_measured_on", sa.Date(), nullable=True),
        sa.Column("allergies", sa.Text(), nullable=False),
        sa.Column("diagnosis_code", sa.String(length=10), nullable=False),
        sa.Column("diagnosis_label", sa.String(length=120), nullable=False),
        sa.Column("contraindication_notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "sex IN ('female', 'male', 'other', 'unknown')", name=op.f("ck_patient_sex_known")
        ),
        sa.CheckConstraint(
            "(weight_kg IS NULL) = (weight_measured_on IS NULL)",
            name=op.f("ck_patient_weight_dated"),
        ),
        sa.CheckConstraint(
            "length(family_name) >= 1 AND length(given_name) >= 1", name=op.f("ck_patient_named")
        ),
        sa.CheckConstraint("length(mrn) BETWEEN 3 AND 20", name=op.f("ck_patient_mrn_length")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_patient_version_positive")),
        sa.CheckConstraint(
            "weight_kg IS NULL OR (weight_kg >= 2 AND weight_kg <= 400)",
            name=op.f("ck_patient_weight_kg_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patient_mrn")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('nurse', 'physician', 'admin')", name=op.f("ck_user_account_role_known")
        ),
        sa.CheckConstraint("failed_attempts >= 0", name=op.f("ck_user_account_failed_attempts_nonnegative")),
        sa.CheckConstraint("length(username) BETWEEN 3 AND 32", name=op.f("ck_user_account_username_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "treatment_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_date", sa.Date(), nullable=False),
        sa.Column("scheduled_time", sa.Time(), nullable=False),
        sa.Column("chair", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("nurse_id", sa.Integer(), nullable=True),
        sa.Column("checked_in_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("discharged_at", UTCDateTime(), nullable=True),
        sa.Column("series_number", sa.Integer(), nullable=True),
        sa.Column("series_length", sa.Integer(), nullable=True),
        sa.Column("pain_before", sa.Integer(), nullable=True),
        sa.Column("pain_after", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "method IN ('iv_infusion', 'nasal_spray')",
            name=op.f("ck_treatment_session_method_known"),
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'checked_in', 'in_treatment', 'observation', 'discharged', 'no_show', 'cancelled')",
            name=op.f("ck_treatment_session_status_known"),
        ),
        sa.CheckConstraint(
            "discharged_at IS NULL OR checked_in_at IS NOT NULL AND discharged_at >= checked_in_at",
            name=op.f("ck_treatment_session_discharge_after_check_in"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR started_at IS NOT NULL AND ended_at >= started_at",
            name=op.f("ck_treatment_session_end_after_start"),
        ),
        sa.CheckConstraint("length(chair) BETWEEN 1 AND 8", name=op.f("ck_treatment_session_chair_length")),
        sa.CheckConstraint(
            "pain_after IS NULL OR (pain_after >= 0 AND pain_after <= 10)",
            name=op.f("ck_treatment_session_pain_after_range"),
        ),
        sa.CheckConstraint(
            "pain_before IS NULL OR (pain_before >= 0 AND pain_before <= 10)",
            name=op.f("ck_treatment_session_pain_before_range"),
        ),
        sa.CheckConstraint(
            "series_length IS NULL OR (series_length >= 1 AND series_number IS NOT NULL AND series_number <= series_length)",
            name=op.f("ck_treatment_session_series_within_length"),
        ),
        sa.CheckConstraint(
            "series_number IS NULL OR series_number >= 1",
            name=op.f("ck_treatment_session_series_number_positive"),
        ),
        sa.CheckConstraint(
            "started_at IS NULL OR checked_in_at IS NOT NULL AND started_at >= checked_in_at",
            name=op.f("ck_treatment_session_start_after_check_in"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_treatment_session_version_positive")),
        sa.ForeignKeyConstraint(
            ["nurse_id"],
            ["user_account.id"],
            name=op.f("fk_treatment_session_nurse_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_treatment_session_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_session")),
        sa.UniqueConstraint(
            "patient_id",
            "clinic_date",
            "scheduled_time",
            name=op.f("uq_treatment_session_patient_id_clinic_date_scheduled_time"),
        ),
    )
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_session_clinic_date_scheduled_time"),
            ["clinic_date", "scheduled_time"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_treatment_session_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "dose_administration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("drug", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("dose_mg", sa.Float(), nullable=False),
        sa.Column("mg_per_kg", sa.Float(), nullable=False),
        sa.Column("weight_kg_used", sa.Float(), nullable=False),
        sa.Column("rate_mg_per_kg_h", sa.Float(), nullable=True),
        sa.Column("planned_duration_min", sa.Integer(), nullable=True),
        sa.Column("device_count", sa.Integer(), nullable=True),
        sa.Column("administered_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("lot_number", sa.String(length=30), nullable=False),
        sa.Column("concentration_mg_per_ml", sa.Float(), nullable=False),
        sa.Column("drawn_mg", sa.Float(), nullable=False),
        sa.Column("wasted_mg", sa.Float(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=True),
        sa.Column("administered_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "drug IN ('ketamine', 'esketamine')", name=op.f("ck_dose_administration_drug_known")
        ),
        sa.CheckConstraint(
            "route <> 'intravenous' OR (rate_mg_per_kg_h > 0 AND planned_duration_min > 0)",
            name=op.f("ck_dose_administration_iv_has_rate"),
        ),
        sa.CheckConstraint(
            "route <> 'nasal' OR (device_count BETWEEN 1 AND 3)",
            name=op.f("ck_dose_administration_nasal_has_devices"),
        ),
        sa.CheckConstraint(
            "route IN ('intravenous', 'nasal')", name=op.f("ck_dose_administration_route_known")
        ),
        sa.CheckConstraint(
            "concentration_mg_per_ml > 0",
            name=op.f("ck_dose_administration_concentration_positive"),
        ),
        sa.CheckConstraint("dose_mg > 0 AND dose_mg <= 1000", name=op.f("ck_dose_administration_dose_range")),
        sa.CheckConstraint(
            "drawn_mg >= 0 AND wasted_mg >= 0",
            name=op.f("ck_dose_administration_amounts_nonnegative"),
        ),
        sa.CheckConstraint(
            "length(lot_number) BETWEEN 1 AND 30", name=op.f("ck_dose_administration_lot_present")
        ),
        sa.CheckConstraint("mg_per_kg > 0", name=op.f("ck_dose_administration_mg_per_kg_positive")),
        sa.CheckConstraint(
            "stopped_at IS NULL OR stopped_at >= administered_at",
            name=op.f("ck_dose_administration_stop_after_start"),
        ),
        sa.CheckConstraint(
            "wasted_mg = 0 OR witness_id IS NOT NULL",
            name=op.f("ck_dose_administration_waste_witnessed"),
        ),
        sa.CheckConstraint(
            "witness_id IS NULL OR witness_id <> administered_by",
            name=op.f("ck_dose_administration_witness_not_self"),
        ),
        sa.ForeignKeyConstraint(
            ["administered_by"],
            ["user_account.id"],
            name=op.f("fk_dose_administration_administered_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_dose_administration_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"],
            ["user_account.id"],
            name=op.f("fk_dose_administration_witness_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_administration")),
    )
    with op.batch_alter_table("dose_administration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dose_administration_session_id"), ["session_id"], unique=False)

    op.create_table(
        "pain_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scored_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('before', 'after', 'extra')", name=op.f("ck_pain_score_kind_known")),
        sa.CheckConstraint("score >= 0 AND score <= 10", name=op.f("ck_pain_score_nrs_range")),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_pain_score_recorded_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_pain_score_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pain_score")),
    )
    with op.batch_alter_table("pain_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pain_score_session_id"), ["session_id"], unique=False)

    op.create_table(
        "side_effect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("effect", sa.String(length=32), nullable=False),
        sa.Column("other_text", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("onset_at", UTCDateTime(), nullable=False),
        sa.Column("action_taken", sa.String(length=200), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "effect <> 'other' OR length(other_text) > 0",
            name=op.f("ck_side_effect_other_described"),
        ),
        sa.CheckConstraint(
            "effect IN ('nausea', 'vomiting', 'dizziness', 'dissociation', 'emergence_reaction', 'sedation', 'raised_bp', 'tachycardia', 'headache', 'blurred_vision', 'anxiety', 'hypersalivation', 'respiratory_depression', 'other')",
            name=op.f("ck_side_effect_effect_known"),
        ),
        sa.CheckConstraint("grade BETWEEN 1 AND 5", name=op.f("ck_side_effect_ctcae_grade")),
        sa.CheckConstraint(
            "resolved_at IS NULL OR resolved_at >= onset_at",
            name=op.f("ck_side_effect_resolved_after_onset"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_side_effect_version_positive")),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_side_effect_recorded_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_side_effect_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_side_effect")),
    )
    with op.batch_alter_table("side_effect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_side_effect_session_id"), ["session_id"], unique=False)

    op.create_table(
        "vital_signs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("measured_at", UTCDateTime(), nullable=False),
        sa.Column("systolic", sa.Integer(), nullable=False),
        sa.Column("diastolic", sa.Integer(), nullable=False),
        sa.Column("heart_rate", sa.Integer(), nullable=False),
        sa.Column("spo2", sa.Integer(), nullable=False),
        sa.Column("resp_rate", sa.Integer(), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("moaas", sa.Integer(), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("diastolic < systolic", name=op.f("ck_vital_signs_diastolic_below_systolic")),
        sa.CheckConstraint("diastolic BETWEEN 20 AND 160", name=op.f("ck_vital_signs_diastolic_range")),
        sa.CheckConstraint("heart_rate BETWEEN 20 AND 250", name=op.f("ck_vital_signs_heart_rate_range")),
        sa.CheckConstraint("moaas BETWEEN 0 AND 5", name=op.f("ck_vital_signs_moaas_range")),
        sa.CheckConstraint("resp_rate BETWEEN 4 AND 60", name=op.f("ck_vital_signs_resp_rate_range")),
        sa.CheckConstraint("spo2 BETWEEN 50 AND 100", name=op.f("ck_vital_signs_spo2_range")),
        sa.CheckConstraint("systolic BETWEEN 50 AND 260", name=op.f("ck_vital_signs_systolic_range")),
        sa.CheckConstraint(
            "temperature_c IS NULL OR (temperature_c >= 30 AND temperature_c <= 43)",
            name=op.f("ck_vital_signs_temperature_c_range"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_vital_signs_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"],
            ["user_account.id"],
            name=op.f("fk_vital_signs_taken_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_signs")),
    )
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vital_signs_session_id"), ["session_id"], unique=False)

    create_append_only_triggers()


def downgrade() -> None:
    drop_append_only_triggers()
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vital_signs_session_id"))

    op.drop_table("vital_signs")
    with op.batch_alter_table("side_effect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_side_effect_session_id"))

    op.drop_table("side_effect")
    with op.batch_alter_table("pain_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pain_score_session_id"))

    op.drop_table("pain_score")
    with op.batch_alter_table("dose_administration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dose_administration_session_id"))

    op.drop_table("dose_administration")
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_session_patient_id"))
        batch_op.drop_index(batch_op.f("ix_treatment_session_clinic_date_scheduled_time"))

    op.drop_table("treatment_session")
    op.drop_table("user_account")
    op.drop_table("patient")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_entity_entity_id"))

    op.drop_table("audit_event")


def create_append_only_triggers() -> None:
    """The audit trail refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) at the database."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
