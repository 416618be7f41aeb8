"""Audit events chained by hash; school years opened or in preparation; pilot schools kept per plan.

Existing events are chained in id order, existing years count as opened, and each existing
plan's pilot set is taken from the schools' pilot flag.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 16:04:33.519934

"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "ward_id",
    "school_id",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "ip",
    "request_id",
    "prev_hash",
)


def _hash(fields: dict) -> str:
    """As aiplan.audit.event_hash at the time of this migration (kept here so the migration never changes)."""
    fields = dict(fields)
    fields["at"] = fields["at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def upgrade():
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "plan_pilot_school",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_pilot_school_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_plan_pilot_school_school_id_school")),
        sa.PrimaryKeyConstraint("plan_id", "school_id", name=op.f("pk_plan_pilot_school")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("school_year", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(), nullable=True))

    bind = op.get_bind()
    bind.execute(sa.text("UPDATE school_year SET opened_at = :now"), {"now": datetime.now(UTC).replace(tzinfo=None)})
    bind.execute(
        sa.text(
            "INSERT INTO plan_pilot_school (plan_id, school_id) SELECT plan.id, school.id "
            "FROM plan JOIN school ON school.ward_id = plan.ward_id WHERE school.is_pilot"
        )
    )
    _chain_existing_events(bind)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_seq"), ["seq"])


def _chain_existing_events(bind) -> None:
    event = sa.table(
        "audit_event",
        *(
            sa.column(name)
            for name in (
                "id",
                "actor_id",
                "actor_name",
                "ward_id",
                "school_id",
                "action",
                "object_type",
                "object_id",
                "ip",
                "request_id",
            )
        ),
        sa.column("at", sa.DateTime()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
    )
    previous, seq = GENESIS, 0
    for row in bind.execute(sa.select(event).order_by(event.c.id)).mappings().all():
        seq += 1
        fields = {name: row[name] for name in HASHED_FIELDS if name in row} | {"seq": seq, "prev_hash": previous}
        digest = _hash(fields)
        bind.execute(
            sa.text("UPDATE audit_event SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id"),
            {"seq": seq, "prev": previous, "hash": digest, "id": row["id"]},
        )
        previous = digest
    bind.execute(
        sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"), {"seq": seq, "hash": previous}
    )


def downgrade():
    with op.batch_alter_table("school_year", schema=None) as batch_op:
        batch_op.drop_column("opened_at")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")

    op.drop_table("plan_pilot_school")
    op.drop_table("audit_head")
