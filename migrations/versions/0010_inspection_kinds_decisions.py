"""Inspections all year: a visit's kind, its start and end times, and the decision forming its team.

Existing visits were all scheduled in the mid-HK II window, so they become "giữa kỳ" visits.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inspection_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.String(length=120), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_inspection_decision_created_by_id_user")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_inspection_decision_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_decision")),
    )
    with op.batch_alter_table("inspection_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_decision_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_decision_sha256"), ["sha256"], unique=False)

    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "giua_ky", "dot_xuat", "tong_the_cuoi_nam", name="inspectionkind", native_enum=False, length=20
                ),
                server_default="giua_ky",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("starts_at", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("ends_at", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_inspection_decision_id"), ["decision_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_inspection_decision_id_inspection_decision"), "inspection_decision", ["decision_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_inspection_decision_id_inspection_decision"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_inspection_decision_id"))
        batch_op.drop_column("decision_id")
        batch_op.drop_column("ends_at")
        batch_op.drop_column("starts_at")
        batch_op.drop_column("kind")

    with op.batch_alter_table("inspection_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_decision_sha256"))
        batch_op.drop_index(batch_op.f("ix_inspection_decision_plan_id"))

    op.drop_table("inspection_decision")
