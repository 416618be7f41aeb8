"""E-mail reminders: each account's digest frequency, and the outbox of digests with the
notifications each one carries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "digest_frequency",
                sa.Enum("daily", "weekly", "off", name="digestfrequency", native_enum=False, length=20),
                server_default="daily",
                nullable=False,
            )
        )
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("immediate", "daily", "weekly", name="digestkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("period_key", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "sent", "failed", "cancelled", name="digeststatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_digest_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest")),
        sa.UniqueConstraint("user_id", "period_key", name=op.f("uq_digest_user_id_period_key")),
    )
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.create_index("ix_digest_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_digest_user_id"), ["user_id"], unique=False)
    op.create_table(
        "digest_notification",
        sa.Column("digest_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest_id"], ["digest.id"], name=op.f("fk_digest_notification_digest_id_digest"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_digest_notification_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_digest_notification")),
    )
    with op.batch_alter_table("digest_notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_notification_digest_id"), ["digest_id"], unique=False)


def downgrade():
    op.drop_table("digest_notification")
    op.drop_table("digest")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("digest_frequency")
