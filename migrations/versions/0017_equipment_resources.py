"""The equipment survey (one per school per year) and the resources register, whose entries may
carry evidence files (a decision, a gift agreement).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 14:34:06.093208

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "equipment_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("computer_rooms", sa.Integer(), nullable=False),
        sa.Column("rooms_online", sa.Integer(), nullable=False),
        sa.Column("working_machines", sa.Integer(), nullable=False),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("bandwidth_mbps", sa.Integer(), nullable=False),
        sa.Column("ai_devices", sa.Integer(), nullable=False),
        sa.Column("ai_devices_note", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_equipment_survey_created_by_id_user")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_equipment_survey_plan_id_plan")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_equipment_survey_school_id_school")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_equipment_survey_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_survey")),
        sa.UniqueConstraint("school_id", "plan_id", name=op.f("uq_equipment_survey_school_id_plan_id")),
    )
    with op.batch_alter_table("equipment_survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_survey_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_survey_school_id"), ["school_id"], unique=False)

    op.create_table(
        "resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("ngan_sach", "xa_hoi_hoa", name="resourcekind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("in_kind", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("cond_voluntary", sa.Boolean(), nullable=False),
        sa.Column("cond_not_tied", sa.Boolean(), nullable=False),
        sa.Column("cond_not_commercial", sa.Boolean(), nullable=False),
        sa.Column("cond_not_coerced", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["user.id"], name=op.f("fk_resource_confirmed_by_id_user")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_resource_created_by_id_user")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_resource_plan_id_plan")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_resource_school_id_school")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_resource_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_school_id"), ["school_id"], unique=False)

    with op.batch_alter_table("evidence_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_evidence_file_resource_id"), ["resource_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_file_resource_id_resource"), "resource", ["resource_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("ck_evidence_file_attached"), type_="check")
        batch_op.create_check_constraint(
            "attached", "item_id IS NOT NULL OR activity_id IS NOT NULL OR resource_id IS NOT NULL"
        )


def downgrade():
    op.execute("DELETE FROM evidence_file WHERE item_id IS NULL AND activity_id IS NULL")
    with op.batch_alter_table("evidence_file", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_evidence_file_attached"), type_="check")
        batch_op.create_check_constraint("attached", "item_id IS NOT NULL OR activity_id IS NOT NULL")
        batch_op.drop_constraint(batch_op.f("fk_evidence_file_resource_id_resource"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_evidence_file_resource_id"))
        batch_op.drop_column("resource_id")

    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_school_id"))
        batch_op.drop_index(batch_op.f("ix_resource_plan_id"))

    op.drop_table("resource")
    with op.batch_alter_table("equipment_survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_survey_school_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_survey_plan_id"))

    op.drop_table("equipment_survey")
