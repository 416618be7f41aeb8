"""Working days: the ward's own days off in a school year, and the date the plan's timing gave a
checklist item before its due date was moved back to a working day (kept so pages can say why).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "day_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_year_id"], ["school_year.id"], name=op.f("fk_day_off_school_year_id_school_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_off")),
        sa.UniqueConstraint("school_year_id", "day", name=op.f("uq_day_off_school_year_id_day")),
    )
    with op.batch_alter_table("day_off", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_off_school_year_id"), ["school_year_id"], unique=False)

    with op.batch_alter_table("checklist_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_due_on", sa.Date(), nullable=True))
    # Existing due dates are moved by the next checklist sync (any plan edit or `flask load-plan`).


def downgrade():
    with op.batch_alter_table("checklist_item", schema=None) as batch_op:
        batch_op.drop_column("planned_due_on")

    with op.batch_alter_table("day_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_off_school_year_id"))

    op.drop_table("day_off")
