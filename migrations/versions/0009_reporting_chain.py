"""The reporting chain as data (sender, receiver, document, the plan line, who sets the date), the
rules per school category of a milestone, the plan's issue date and Phụ lục I's note.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("receiver", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("document", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("basis", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("ward_sets", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("feeds", sa.String(length=50), nullable=True))
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pilot_rule", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("others_rule", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("schedule_note", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("schedule_note")
        batch_op.drop_column("issued_on")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("others_rule")
        batch_op.drop_column("pilot_rule")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_column("feeds")
        batch_op.drop_column("ward_sets")
        batch_op.drop_column("basis")
        batch_op.drop_column("document")
        batch_op.drop_column("receiver")
        batch_op.drop_column("sender_code")
