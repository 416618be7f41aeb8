"""The audit log split into one hash chain per ward, so that writes in two wards never wait
for each other's audit head (issue 18, item 4).

What was written before stays as it is, in the one chain it was written to: the existing head
(id 1) becomes the "legacy" chain's, every existing event is given to it, with its seq, hashes
and signature untouched, and `verify` walks it exactly as before. It is closed: nothing is
added to it again. A head is then made for the system chain (events of no ward) and for every
ward, at #0, whose hash is the chain's anchor: sha256("aiplan audit chain v1|<scope>|<the
legacy chain's last hash>"). The first event of each new chain links to that anchor, so every
new chain names the history it follows, and rewriting or cutting that history breaks the first
link of every chain, not only the legacy chain's head (aiplan/models/audit.py). The new heads
are signed with the app's AUDIT_KEY as the migration runs, as 0007 signed the first one.

A database that never recorded an event has no legacy chain: its empty head is removed.

Downgrading merges nothing: it is refused once an event has been written to a new chain
(the chains cannot become one again without rewriting their hashes).

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-06 18:00:00.000000

"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _anchor(scope: str, legacy_hash: str) -> str:
    """As aiplan.models.audit.chain_anchor at the time of this migration (kept here so the migration never changes)."""
    return hashlib.sha256(f"aiplan audit chain v1|{scope}|{legacy_hash}".encode()).hexdigest()


def _sign(key: bytes, seq: int, chain_hash: str) -> tuple[str, str]:
    """As aiplan.audit_mac.sign at the time of this migration."""
    key_id = hmac.new(key, b"aiplan audit key id", hashlib.sha256).hexdigest()[:16]
    mac = hmac.new(key, f"aiplan audit head v1|{seq}|{chain_hash}".encode(), hashlib.sha256).hexdigest()
    return key_id, mac


def upgrade():
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("ward_id", sa.Integer(), nullable=True))

    bind = op.get_bind()
    events = bind.execute(sa.text("SELECT count(*) FROM audit_event")).scalar()
    if events:
        bind.execute(sa.text("UPDATE audit_head SET scope = 'legacy' WHERE id = 1"))
    else:
        bind.execute(sa.text("DELETE FROM audit_head"))
    bind.execute(sa.text("DELETE FROM audit_head WHERE scope IS NULL"))  # only ever id 1 was used

    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.alter_column("scope", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_head_scope"), ["scope"])
        batch_op.create_unique_constraint(batch_op.f("uq_audit_head_ward_id"), ["ward_id"])
        batch_op.create_foreign_key(batch_op.f("fk_audit_head_ward_id_ward"), "ward", ["ward_id"], ["id"])

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE audit_event SET chain_id = 1"))
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("chain_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_audit_event_seq", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_chain_id_seq"), ["chain_id", "seq"])
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_chain_id_audit_head"), "audit_head", ["chain_id"], ["id"]
        )

    _start_chains(bind)


def _start_chains(bind) -> None:
    if bind.dialect.name == "postgresql":  # 0005 wrote id 1 by hand: the id sequence never moved past it
        bind.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('audit_head', 'id'), "
                "(SELECT COALESCE(MAX(id), 0) + 1 FROM audit_head), false)"
            )
        )
    legacy = bind.execute(sa.text("SELECT hash FROM audit_head WHERE scope = 'legacy'")).scalar() or GENESIS
    key = current_app.config.get("AUDIT_KEY") if has_app_context() else None
    chains = [("system", None)] + [
        (f"ward:{ward_id}", ward_id) for (ward_id,) in bind.execute(sa.text("SELECT id FROM ward ORDER BY id"))
    ]
    for scope, ward_id in chains:
        anchor = _anchor(scope, legacy)
        key_id, mac = _sign(key.encode(), 0, anchor) if key else (None, None)
        bind.execute(
            sa.text(
                "INSERT INTO audit_head (scope, ward_id, seq, hash, mac, key_id) "
                "VALUES (:scope, :ward_id, 0, :hash, :mac, :key_id)"
            ),
            {"scope": scope, "ward_id": ward_id, "hash": anchor, "mac": mac, "key_id": key_id},
        )


def downgrade():
    bind = op.get_bind()
    split = bind.execute(sa.text("SELECT count(*) FROM audit_head WHERE scope <> 'legacy' AND seq > 0")).scalar()
    if split:
        raise RuntimeError(
            "Không hạ được phiên bản: nhật ký đã ghi vào chuỗi của từng phường, không gộp lại được "
            "thành một chuỗi mà không viết lại hash. Hãy khôi phục bản sao lưu trước khi nâng cấp."
        )
    bind.execute(sa.text("DELETE FROM audit_head WHERE scope <> 'legacy'"))
    if not bind.execute(sa.text("SELECT count(*) FROM audit_head")).scalar():
        bind.execute(
            sa.text("INSERT INTO audit_head (id, scope, seq, hash) VALUES (1, 'legacy', 0, :g)"), {"g": GENESIS}
        )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_event_chain_id_audit_head"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_audit_event_chain_id_seq"), type_="unique")
        batch_op.create_unique_constraint("uq_audit_event_seq", ["seq"])
        batch_op.drop_column("chain_id")

    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_head_ward_id_ward"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_audit_head_ward_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_audit_head_scope"), type_="unique")
        batch_op.drop_column("ward_id")
        batch_op.drop_column("scope")
