"""Uploaded lists waiting for confirmation move from the instance folder into the database, so that
the preview and the confirmation may reach two different app servers.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_import",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_pending_import_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_pending_import_ward_id_ward"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_pending_import")),
    )
    with op.batch_alter_table("pending_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_import_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_import_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pending_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_import_user_id"))
        batch_op.drop_index(batch_op.f("ix_pending_import_created_at"))
    op.drop_table("pending_import")
