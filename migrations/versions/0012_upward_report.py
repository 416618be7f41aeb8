"""Upward reports: the UBND phường's reports to the Sở GD&ĐT (định kỳ, đột xuất, sơ kết, tổng kết).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 08:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "upward_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("periodic", "ad_hoc", "interim", "final", name="upwardkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("signer_title", sa.String(length=200), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("highlights", sa.Text(), nullable=False),
        sa.Column("shortcomings", sa.Text(), nullable=False),
        sa.Column("causes", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("directions", sa.Text(), nullable=False),
        sa.Column("proposals", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_upward_report_period")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_upward_report_plan_id_plan")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_upward_report_created_by_id_user")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_upward_report_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upward_report")),
    )
    with op.batch_alter_table("upward_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upward_report_plan_id"), ["plan_id"], unique=False)


def downgrade():
    with op.batch_alter_table("upward_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upward_report_plan_id"))

    op.drop_table("upward_report")
