"""The city's plan and its indicators (city_plan, city_indicator), and the code of the indicator
each ward's milestone and target reports on (milestone.city_indicator, target.city_indicator).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 18:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "city_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("signer_title", sa.String(length=200), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["city.id"], name=op.f("fk_city_plan_city_id_city")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_plan")),
        sa.UniqueConstraint("city_id", name=op.f("uq_city_plan_city_id")),
    )
    op.create_table(
        "city_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_plan_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("milestone", "target", name="indicatorkind", native_enum=False, length=20), nullable=False
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_plan_id"], ["city_plan.id"], name=op.f("fk_city_indicator_city_plan_id_city_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_indicator")),
        sa.UniqueConstraint("city_plan_id", "code", name=op.f("uq_city_indicator_city_plan_id_code")),
    )
    with op.batch_alter_table("city_indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_city_indicator_city_plan_id"), ["city_plan_id"], unique=False)
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("city_indicator", sa.String(length=20), nullable=True))
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.add_column(sa.Column("city_indicator", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_column("city_indicator")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("city_indicator")
    with op.batch_alter_table("city_indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_city_indicator_city_plan_id"))
    op.drop_table("city_indicator")
    op.drop_table("city_plan")
