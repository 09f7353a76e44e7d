"""monitoring tests of frequent users: liver tests, urinary symptom screen, pregnancy test

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 01:00:00
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("alt_u_l", sa.Integer(), nullable=True),
        sa.Column("ast_u_l", sa.Integer(), nullable=True),
        sa.Column("alp_u_l", sa.Integer(), nullable=True),
        sa.Column("bilirubin_mg_dl", sa.Float(), nullable=True),
        sa.Column("finding", sa.String(length=12), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('liver', 'urinary', 'pregnancy')", name=op.f("ck_lab_result_kind_known")
        ),
        sa.CheckConstraint(
            "finding IS NULL OR finding IN ('no_symptoms', 'symptoms', 'negative', 'positive')",
            name=op.f("ck_lab_result_finding_known"),
        ),
        sa.CheckConstraint(
            "alt_u_l IS NULL OR (alt_u_l >= 1 AND alt_u_l <= 5000)", name=op.f("ck_lab_result_alt_u_l_range")
        ),
        sa.CheckConstraint(
            "ast_u_l IS NULL OR (ast_u_l >= 1 AND ast_u_l <= 5000)", name=op.f("ck_lab_result_ast_u_l_range")
        ),
        sa.CheckConstraint(
            "alp_u_l IS NULL OR (alp_u_l >= 1 AND alp_u_l <= 5000)", name=op.f("ck_lab_result_alp_u_l_range")
        ),
        sa.CheckConstraint(
            "bilirubin_mg_dl IS NULL OR (bilirubin_mg_dl >= 0.1 AND bilirubin_mg_dl <= 30)",
            name=op.f("ck_lab_result_bilirubin_mg_dl_range"),
        ),
        sa.CheckConstraint(
            "(kind = 'liver' AND finding IS NULL AND alt_u_l IS NOT NULL AND ast_u_l IS NOT NULL"
            " AND alp_u_l IS NOT NULL AND bilirubin_mg_dl IS NOT NULL)"
            " OR (kind = 'urinary' AND finding IS NOT NULL AND finding IN ('no_symptoms', 'symptoms'))"
            " OR (kind = 'pregnancy' AND finding IS NOT NULL AND finding IN ('negative', 'positive'))",
            name=op.f("ck_lab_result_values_fit_kind"),
        ),
        sa.CheckConstraint(
            "kind = 'liver' OR (alt_u_l IS NULL AND ast_u_l IS NULL AND alp_u_l IS NULL"
            " AND bilirubin_mg_dl IS NULL)",
            name=op.f("ck_lab_result_no_liver_values_elsewhere"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_lab_result_version_positive")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_lab_result_patient_id_patient"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_lab_result_recorded_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_result")),
        sa.UniqueConstraint(
            "patient_id", "kind", "taken_on", name=op.f("uq_lab_result_patient_id_kind_taken_on")
        ),
    )
    op.create_index(op.f("ix_lab_result_patient_id"), "lab_result", ["patient_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lab_result")
