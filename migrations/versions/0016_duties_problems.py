"""Who does what and problems raised (issue 17, parts 6 and 7): each school item's owner and
co-owners; the problems a school raises with the ward, their thread and their files.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 14:36:35.102702

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["user.id"], name=op.f("fk_item_duty_assignee_id_user")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["checklist_item.id"], name=op.f("fk_item_duty_item_id_checklist_item"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_item_duty_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_duty")),
        sa.UniqueConstraint("item_id", name=op.f("uq_item_duty_item_id")),
    )
    with op.batch_alter_table("item_duty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_duty_assignee_id"), ["assignee_id"], unique=False)

    op.create_table(
        "problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.Enum("dang_mo", "da_dong", name="problemstatus", native_enum=False, length=20), nullable=False
        ),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["user.id"], name=op.f("fk_problem_assignee_id_user")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["user.id"], name=op.f("fk_problem_closed_by_id_user")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["checklist_item.id"], name=op.f("fk_problem_item_id_checklist_item"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_problem_plan_id_plan")),
        sa.ForeignKeyConstraint(["raised_by_id"], ["user.id"], name=op.f("fk_problem_raised_by_id_user")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_problem_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem")),
    )
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_school_id"), ["school_id"], unique=False)

    op.create_table(
        "duty_co_owner",
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["item_duty.id"], name=op.f("fk_duty_co_owner_duty_id_item_duty"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_duty_co_owner_user_id_user")),
        sa.PrimaryKeyConstraint("duty_id", "user_id", name=op.f("pk_duty_co_owner")),
    )
    with op.batch_alter_table("duty_co_owner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_co_owner_user_id"), ["user_id"], unique=False)

    op.create_table(
        "problem_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name=op.f("fk_problem_message_author_id_user")),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problem.id"], name=op.f("fk_problem_message_problem_id_problem"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_message")),
    )
    with op.batch_alter_table("problem_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_message_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "problem_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["problem_message.id"], name=op.f("fk_problem_file_message_id_problem_message")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problem.id"], name=op.f("fk_problem_file_problem_id_problem"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"], name=op.f("fk_problem_file_uploaded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_file")),
    )
    with op.batch_alter_table("problem_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_file_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_file_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_file_sha256"), ["sha256"], unique=False)


def downgrade():
    op.drop_table("problem_file")
    op.drop_table("problem_message")
    op.drop_table("duty_co_owner")
    op.drop_table("problem")
    op.drop_table("item_duty")
