"""The audit chain's head signed with a key kept outside the database (HMAC and key id).

The existing head is signed with the app's AUDIT_KEY as the migration runs: from then on a head
set back by someone with only database access no longer verifies. Without a key (never the case
through `flask db upgrade`, which always has one) the head is left unsigned and `verify` says so.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _sign(key: bytes, seq: int, chain_hash: str) -> tuple[str, str]:
    """As aiplan.audit_mac.sign at the time of this migration (kept here so the migration never changes)."""
    key_id = hmac.new(key, b"aiplan audit key id", hashlib.sha256).hexdigest()[:16]
    mac = hmac.new(key, f"aiplan audit head v1|{seq}|{chain_hash}".encode(), hashlib.sha256).hexdigest()
    return key_id, mac


def upgrade():
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))

    key = current_app.config.get("AUDIT_KEY") if has_app_context() else None
    if not key:
        return
    bind = op.get_bind()
    for seq, chain_hash in bind.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).all():
        key_id, mac = _sign(key.encode(), seq, chain_hash)
        bind.execute(
            sa.text("UPDATE audit_head SET mac = :mac, key_id = :key_id WHERE id = 1"), {"mac": mac, "key_id": key_id}
        )


def downgrade():
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("key_id")
        batch_op.drop_column("mac")
