"""The ward's own records: activities and evidence files without a school.

An activity or evidence file with no school belongs to the ward (its plan's ward): the ward's
conference, outreach and training, and the files proving its own checklist items. A ward activity
has a kind instead of a delivery form, a place, who attended, and the ward item it proves.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OWNER = "(school_id IS NOT NULL AND form_id IS NOT NULL) OR (school_id IS NULL AND ward_kind IS NOT NULL)"


def upgrade():
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("form_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column(
                "ward_kind",
                sa.Enum(
                    "hoi_nghi",
                    "tuyen_truyen",
                    "boi_duong",
                    "khac",
                    name="wardactivitykind",
                    native_enum=False,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("place", sa.String(length=300), server_default="", nullable=False))
        batch_op.add_column(sa.Column("attendees", sa.String(length=200), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_activity_item_id"), ["item_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_item_id_checklist_item"), "checklist_item", ["item_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_activity_owner"), OWNER)
    with op.batch_alter_table("evidence_file", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    # The ward's own records have nowhere to go in the older schema: they are removed first.
    op.execute("DELETE FROM evidence_file WHERE school_id IS NULL")
    op.execute(
        "DELETE FROM activity_content_area WHERE activity_id IN (SELECT id FROM activity WHERE school_id IS NULL)"
    )
    op.execute("DELETE FROM activity WHERE school_id IS NULL")
    with op.batch_alter_table("evidence_file", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_activity_owner"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_activity_item_id_checklist_item"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_activity_item_id"))
        batch_op.drop_column("attendees")
        batch_op.drop_column("place")
        batch_op.drop_column("item_id")
        batch_op.drop_column("ward_kind")
        batch_op.alter_column("form_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
