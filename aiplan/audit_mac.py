"""Signing the audit chains' heads (one per ward, see models/audit.py) with a key kept outside the database.

The hash chain shows that no event was changed or removed *before* the head, but plain
SHA-256 needs no secret: whoever can write to the database can delete the newest events and
set `audit_head` back to the last one kept, and the chain still adds up. So the head also
carries an HMAC of its (seq, hash) under AUDIT_KEY (the environment, or instance/audit_key),
which the database does not hold. Only the head is signed, never each event: a signature
stored with every event would hand a rewinder the head signature of any earlier point.

A write signs the new head only if the current head's signature is good, so a rewound (or
unsigned, or foreign-signed) head stays detectable after the app's next write instead of
being laundered by it. Each chain's head is signed on its own; the MAC need not name the
chain, since a chain's hashes already do (its first event starts from an anchor made of its
scope). `flask --app aiplan sign-audit-head` re-signs on purpose, on the record.
"""

import hashlib
import hmac
from functools import lru_cache
from typing import Protocol

from flask import current_app


class SignedHead(Protocol):
    seq: int
    hash: str
    mac: str | None
    key_id: str | None


def current_key() -> bytes | None:
    """The configured key, or None when there is none (then nothing is signed or checked)."""
    key = current_app.config.get("AUDIT_KEY")
    return key.encode() if key else None


@lru_cache(maxsize=8)
def key_id(key: bytes) -> str:
    """A short name for a key that does not reveal it: tells "another key" from "forged"."""
    return hmac.new(key, b"aiplan audit key id", hashlib.sha256).hexdigest()[:16]


def head_mac(key: bytes, seq: int, chain_hash: str) -> str:
    return hmac.new(key, f"aiplan audit head v1|{seq}|{chain_hash}".encode(), hashlib.sha256).hexdigest()


def sign(head: SignedHead, key: bytes) -> None:
    head.key_id, head.mac = key_id(key), head_mac(key, head.seq, head.hash)


def is_signed(head: SignedHead, key: bytes | None) -> bool:
    return (
        key is not None
        and head.mac is not None
        and head.key_id == key_id(key)
        and hmac.compare_digest(head.mac, head_mac(key, head.seq, head.hash))
    )


NO_KEY = (
    "Chưa có khóa ký nhật ký (AUDIT_KEY, hoặc tệp instance/audit_key): không kiểm tra được "
    "chữ ký của đầu các chuỗi, nên không biết các bản ghi cuối có bị xóa hay không."
)


def signature_problem(head: SignedHead, key: bytes | None) -> str | None:
    """None when the head carries a good signature under `key`; else what is wrong, in Vietnamese."""
    if key is None:
        return NO_KEY
    if head.mac is None:
        return (
            f"Đầu chuỗi (bản ghi cuối #{head.seq}) không có chữ ký HMAC: có thể các bản ghi cuối đã bị "
            "xóa và đầu chuỗi bị lùi lại, hoặc cơ sở dữ liệu chưa được nâng cấp "
            "(`flask --app aiplan db upgrade`)."
        )
    if head.key_id != key_id(key):
        return (
            f"Đầu chuỗi được ký bằng một khóa khác (mã khóa {head.key_id}), không phải khóa đang dùng "
            f"(mã khóa {key_id(key)}): AUDIT_KEY đã đổi, hoặc đây là máy khác. Hãy dùng lại khóa cũ; "
            "nếu chắc chắn nhật ký còn nguyên, ký lại bằng `flask --app aiplan sign-audit-head`."
        )
    if not is_signed(head, key):
        return (
            f"Chữ ký HMAC của đầu chuỗi (bản ghi cuối #{head.seq}) không khớp: đầu chuỗi đã bị sửa "
            "ngoài ứng dụng; có thể các bản ghi cuối đã bị xóa và đầu chuỗi bị lùi lại."
        )
    return None
