"""Showing that the audit log and the evidence files are untouched (docs/security.md §17, §20).

Each function returns one Vietnamese line per problem, empty when all is well; the
`verify` command prints them, and a restore checks what it restored with the same code.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit_mac
from ..audit import HASHED_FIELDS, action_label, event_hash
from ..database import read_snapshot
from ..evidence.integrity import compare_store
from ..extensions import db
from ..models import AuditEvent, AuditHead, ChecklistItem, EvidenceFile
from ..models.audit import GENESIS
from ..storage import StoreUnavailable
from ..timeutil import LOCAL_TZ

BATCH = 2000  # events read per query: memory stays flat however long the log grows
MAX_PROBLEMS = 200  # a wrecked log of a million rows still gives a readable report

# What verify reads of each event: the fields its hash covers, and the id and hash themselves.
_COLUMNS = [getattr(AuditEvent, name) for name in ("id", *HASHED_FIELDS, "hash")]


@dataclass
class Findings:
    """Problems found and how many records or files were checked."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    dropped: int = 0
    signed_by: str | None = None  # the key id of a head whose signature was checked and good

    def add(self, line: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(line)
        else:
            self.dropped += 1

    def lines(self) -> list[str]:
        if self.dropped:
            return [*self.problems, f"… và {self.dropped} vấn đề khác."]
        return list(self.problems)


def verify_audit_chain() -> list[str]:
    """Every problem of the hash chain: gaps in seq, broken links, edited events, a wrong head."""
    return check_audit_chain().lines()


def verify_files(quick: bool = False) -> list[str]:
    """Every evidence file row whose blob is missing or (unless `quick`) whose bytes changed."""
    return check_files(quick).lines()


def verify_all(quick: bool = False) -> list[str]:
    """Both checks, in one snapshot of the database."""
    with read_snapshot():
        return verify_audit_chain() + verify_files(quick)


def check_audit_chain(signature: bool = True) -> Findings:
    """Walk the events in seq order, a batch at a time (keyset on seq), as plain rows; then the
    head, and (unless `signature` is False) the head's signature."""
    found = Findings()
    previous = None  # the last event read
    while True:
        query = select(*_COLUMNS).order_by(AuditEvent.seq).limit(BATCH)
        if previous is not None:
            query = query.where(AuditEvent.seq > previous.seq)
        batch = db.session.execute(query).all()
        for event in batch:
            _check_event(event, previous, found)
            previous = event
        found.checked += len(batch)
        if len(batch) < BATCH:
            break
    _check_head(previous, found, signature)
    return found


def _check_event(event, previous, found: Findings) -> None:
    expected = 1 if previous is None else previous.seq + 1
    if event.seq < expected:  # only possible for the first: seq 0 or below
        found.add(f"{_describe(event)}: số thứ tự không hợp lệ (phải bắt đầu từ #1).")
    elif event.seq > expected:
        found.add(_gap(expected, event.seq - 1))
    elif event.prev_hash != (GENESIS if previous is None else previous.hash):
        if previous is None:
            found.add(f"{_describe(event)}: bản ghi đầu tiên không bắt đầu chuỗi (prev_hash khác GENESIS).")
        else:
            found.add(
                f"{_describe(event)}: bản ghi #{event.seq} không nối tiếp bản ghi #{previous.seq} "
                "(prev_hash khác hash của bản ghi trước)."
            )
    if event_hash(event) != event.hash:
        found.add(f"{_describe(event)}: nội dung đã bị sửa (hash không khớp).")


def _check_head(last, found: Findings, signature: bool) -> None:
    head = db.session.get(AuditHead, 1)
    if signature and head is not None:
        key = audit_mac.current_key()
        if problem := audit_mac.signature_problem(head, key):
            found.add(problem)
        else:
            found.signed_by = audit_mac.key_id(key)
    if last is None:
        if head is not None and head.seq != 0:
            found.add(f"Nhật ký trống nhưng đầu chuỗi ghi đã có {head.seq} bản ghi: các bản ghi đã bị xóa.")
        return
    if head is None:
        found.add("Thiếu đầu chuỗi (bảng audit_head trống) dù nhật ký có bản ghi.")
    elif head.seq != last.seq:
        if head.seq > last.seq:
            found.add(f"{_gap(last.seq + 1, head.seq)} (đầu chuỗi ghi bản ghi cuối là #{head.seq}).")
        else:
            found.add(f"Đầu chuỗi ghi bản ghi cuối là #{head.seq} nhưng nhật ký có đến bản ghi #{last.seq}.")
    elif head.hash != last.hash:
        found.add(f"{_describe(last)}: hash khác với hash lưu ở đầu chuỗi (bản ghi cuối đã bị thay).")


@dataclass
class Anchor:
    """A head of the chain seen outside the live database (a backup's manifest): the live log must
    still hold that event, with that hash, at that seq."""

    seq: int
    hash: str
    source: str  # "bản sao lưu aiplan-backup-….tar (lúc …)"
    mac: str | None = None
    key_id: str | None = None


def check_anchor(anchor: Anchor) -> Findings:
    """What differs between the live log and `anchor`: events cut off the end, or rewritten."""
    found = Findings(checked=1)
    key = audit_mac.current_key()
    if (
        anchor.mac is not None
        and key is not None
        and anchor.key_id == audit_mac.key_id(key)
        and not audit_mac.is_signed(anchor, key)
    ):
        found.add(
            f"Đầu chuỗi ghi trong {anchor.source} (bản ghi #{anchor.seq}) có chữ ký không khớp: "
            "manifest.json của bản sao lưu đã bị sửa."
        )
    if anchor.seq == 0:
        return found
    last = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    if last < anchor.seq:
        found.add(
            f"Nhật ký chỉ có đến bản ghi #{last} nhưng {anchor.source} đã có đến bản ghi #{anchor.seq}: "
            f"{_gap(last + 1, anchor.seq)} (và mọi bản ghi sau đó) đã bị xóa khỏi cuối nhật ký."
        )
        return found
    kept = db.session.execute(select(*_COLUMNS).where(AuditEvent.seq == anchor.seq)).first()
    if kept is None:
        found.add(f"Thiếu bản ghi #{anchor.seq}, bản ghi cuối của {anchor.source}.")
    elif kept.hash != anchor.hash:
        found.add(
            f"{_describe(kept)}: khác với bản ghi #{anchor.seq} trong {anchor.source} (hash khác): "
            "nhật ký đã bị viết lại."
        )
    return found


def _gap(first: int, last: int) -> str:
    return f"thiếu bản ghi #{first}" if first == last else f"thiếu các bản ghi #{first}–#{last}"


def _describe(event) -> str:
    """ "Bản ghi #12 (id 57, Cập nhật mục việc, 03/03/2026 10:15)": enough to find it."""
    at = event.at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") if event.at else "không rõ thời gian"
    return f"Bản ghi #{event.seq} (id {event.id}, {action_label(event.action)}, {at})"


def check_files(quick: bool = False) -> Findings:
    """Each EvidenceFile row (deleted ones too: they can be restored) against the store."""
    try:
        store = compare_store(quick=quick)
    except StoreUnavailable as error:
        return Findings(problems=[f"Không đọc được kho minh chứng, chưa kiểm tra được tệp nào: {error}"])
    found = Findings(checked=store.row_count)
    damaged = set(store.damaged)
    broken = {file_id: "không còn tệp trong kho" for file_id, _, _ in store.missing}
    for sha256 in damaged & set(store.rows):
        for file_id, _ in store.rows[sha256]:
            broken[file_id] = "nội dung tệp đã bị thay đổi (SHA-256 không khớp)"
    if broken:
        files = db.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.id.in_(broken))
            .order_by(EvidenceFile.id)
            .options(
                selectinload(EvidenceFile.school),
                selectinload(EvidenceFile.activity),
                selectinload(EvidenceFile.item).options(
                    selectinload(ChecklistItem.milestone),
                    selectinload(ChecklistItem.target),
                    selectinload(ChecklistItem.evidence_requirement),
                ),
            )
        )
        for file in files:
            found.add(f"{_describe_file(file)}: {broken[file.id]}.")
    return found


def _describe_file(file: EvidenceFile) -> str:
    """ "Minh chứng #5 «ke-hoach.pdf» (Trường X, mục «…»)": which file, of which school and item."""
    where = [file.school.name if file.school else f"hồ sơ của phường {file.owner.plan.ward.name}"]
    if file.item is not None:
        where.append(f"mục «{file.item.title}»")
    if file.activity is not None:
        where.append(f"hoạt động «{file.activity.title}»")
    if file.is_deleted:
        where.append("đã xóa")
    return f"Minh chứng #{file.id} «{file.original_name}» ({', '.join(where)})"
