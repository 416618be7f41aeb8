"""Teacher training (staff roster, training plans, sessions and attendance) and pilot-class results.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "teacher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("carried_from_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["carried_from_id"], ["teacher.id"], name=op.f("fk_teacher_carried_from_id_teacher")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_teacher_plan_id_plan")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_teacher_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teacher")),
    )
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teacher_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_teacher_school_id"), ["school_id"], unique=False)

    op.create_table(
        "training_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_training_plan_plan_id_plan")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_training_plan_school_id_school")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_training_plan_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plan")),
        sa.UniqueConstraint("plan_id", "school_id", name=op.f("uq_training_plan_plan_id_school_id")),
    )
    with op.batch_alter_table("training_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_plan_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content_area_id", sa.Integer(), nullable=False),
        sa.Column(
            "organiser",
            sa.Enum("truong", "phuong", "ngoai", name="organiser", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("organiser_name", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_area_id"], ["content_area.id"], name=op.f("fk_training_session_content_area_id_content_area")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_training_session_created_by_id_user")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_training_session_plan_id_plan")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_training_session_school_id_school")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_training_session_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_session")),
    )
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_session_content_area_id"), ["content_area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_session_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_session_school_id"), ["school_id"], unique=False)

    op.create_table(
        "training_attendance",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
            name=op.f("fk_training_attendance_session_id_training_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["teacher_id"], ["teacher.id"], name=op.f("fk_training_attendance_teacher_id_teacher")),
        sa.PrimaryKeyConstraint("session_id", "teacher_id", name=op.f("pk_training_attendance")),
    )
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_attendance_teacher_id"), ["teacher_id"], unique=False)

    op.create_table(
        "pilot_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("class_plan", sa.Text(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"], name=op.f("fk_pilot_result_activity_id_activity")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_pilot_result_plan_id_plan")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_pilot_result_school_id_school")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_pilot_result_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_result")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_pilot_result_activity_id")),
    )
    with op.batch_alter_table("pilot_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pilot_result_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pilot_result_school_id"), ["school_id"], unique=False)

    op.create_table(
        "pilot_lessons",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("content_area_id", sa.Integer(), nullable=False),
        sa.Column("lessons", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_area_id"], ["content_area.id"], name=op.f("fk_pilot_lessons_content_area_id_content_area")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["pilot_result.id"], name=op.f("fk_pilot_lessons_result_id_pilot_result"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("result_id", "content_area_id", name=op.f("pk_pilot_lessons")),
    )
    op.create_table(
        "pilot_level_count",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum("hoan_thanh_tot", "hoan_thanh", "chua_hoan_thanh", name="pilotlevel", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["pilot_result.id"],
            name=op.f("fk_pilot_level_count_result_id_pilot_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", "level", name=op.f("pk_pilot_level_count")),
    )


def downgrade():
    op.drop_table("pilot_level_count")
    op.drop_table("pilot_lessons")
    with op.batch_alter_table("pilot_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_result_school_id"))
        batch_op.drop_index(batch_op.f("ix_pilot_result_plan_id"))
    op.drop_table("pilot_result")
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_attendance_teacher_id"))
    op.drop_table("training_attendance")
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_session_school_id"))
        batch_op.drop_index(batch_op.f("ix_training_session_plan_id"))
        batch_op.drop_index(batch_op.f("ix_training_session_content_area_id"))
    op.drop_table("training_session")
    with op.batch_alter_table("training_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_plan_plan_id"))
    op.drop_table("training_plan")
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teacher_school_id"))
        batch_op.drop_index(batch_op.f("ix_teacher_plan_id"))
    op.drop_table("teacher")
