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
from ..models import AuditEvent, AuditHead, ChecklistItem, EvidenceFile, Ward
from ..models.audit import GENESIS, LEGACY, SYSTEM, chain_anchor
from ..storage import StoreUnavailable
from ..timeutil import LOCAL_TZ

BATCH = 2000  # events read per query: memory stays flat however long the log grows
MAX_PROBLEMS = 200  # a wrecked log of a million rows still gives a readable report

# What verify reads of each event: the fields its hash covers, and the id and hash themselves.
_COLUMNS = [getattr(AuditEvent, name) for name in ("id", *HASHED_FIELDS, "hash")]


@dataclass
class ChainReport:
    """One chain as verify found it: whose it is, how many events, how many problems."""

    name: str  # "Phường Long Biên", "hệ thống (không thuộc phường nào)"…
    checked: int = 0
    problems: int = 0


@dataclass
class Findings:
    """Problems found and how many records or files were checked."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    dropped: int = 0
    signed_by: str | None = None  # the key id under which every head's signature was checked and good
    chains: list[ChainReport] = field(default_factory=list)

    def add(self, line: str, chain: ChainReport | None = None) -> None:
        if chain is not None:
            chain.problems += 1
            line = f"Chuỗi nhật ký của {chain.name}: {line[:1].lower()}{line[1:]}"
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(line)
        else:
            self.dropped += 1

    def lines(self) -> list[str]:
        if self.dropped:
            return [*self.problems, f"… và {self.dropped} vấn đề khác."]
        return list(self.problems)


def verify_audit_chain() -> list[str]:
    """Every problem of the hash chains: gaps in seq, broken links, edited events, a wrong head."""
    return check_audit_chain().lines()


def verify_files(quick: bool = False) -> list[str]:
    """Every evidence file row whose blob is missing or (unless `quick`) whose bytes changed."""
    return check_files(quick).lines()


def verify_all(quick: bool = False) -> list[str]:
    """Both checks, in one snapshot of the database."""
    with read_snapshot():
        return verify_audit_chain() + verify_files(quick)


def chain_names(scopes) -> dict[str, str]:
    """scope → what to call the chain in a message: the ward's name for a ward's chain."""
    ward_ids = {int(s.removeprefix("ward:")) for s in scopes if s.startswith("ward:") and s[5:].isdigit()}
    wards = dict(db.session.execute(select(Ward.id, Ward.name).where(Ward.id.in_(ward_ids))).all())
    names = {}
    for scope in scopes:
        if scope == SYSTEM:
            names[scope] = "hệ thống (không thuộc phường nào)"
        elif scope == LEGACY:
            names[scope] = "giai đoạn trước khi tách theo phường"
        elif scope.startswith("ward:") and scope[5:].isdigit():
            names[scope] = wards.get(int(scope[5:])) or f"phường có mã {scope[5:]} (không còn trong danh sách phường)"
        else:
            names[scope] = f"«{scope}»"
    return names


def check_audit_chain(signature: bool = True) -> Findings:
    """Walk each chain's events in seq order, a batch at a time (keyset on seq), as plain rows;
    then its head, and (unless `signature` is False) the head's signature. A problem in one
    ward's chain is reported for that ward only."""
    found = Findings()
    heads = list(db.session.scalars(select(AuditHead).order_by(AuditHead.id)))
    names = chain_names([head.scope for head in heads])
    legacy = next((head.hash for head in heads if head.scope == LEGACY), GENESIS)
    key = audit_mac.current_key() if signature else None
    if signature and key is None:
        found.add(audit_mac.NO_KEY)
    for head in heads:
        chain = ChainReport(names[head.scope])
        found.chains.append(chain)
        last = _walk(head.id, chain_anchor(head.scope, legacy), found, chain)
        _check_head(head, last, chain_anchor(head.scope, legacy), found, chain, key)
    # Events whose head row is gone (only possible with foreign keys switched off)
    orphans = select(AuditEvent.chain_id).where(AuditEvent.chain_id.not_in([head.id for head in heads])).distinct()
    for chain_id in db.session.scalars(orphans):
        chain = ChainReport(f"chuỗi số {chain_id}")
        found.chains.append(chain)
        _walk(chain_id, None, found, chain)
        found.add("thiếu đầu chuỗi (bảng audit_head không có dòng của chuỗi) dù chuỗi có bản ghi.", chain)
    found.checked = sum(chain.checked for chain in found.chains)
    if signature and key is not None and not any(c.problems for c in found.chains):
        found.signed_by = audit_mac.key_id(key)
    return found


def _walk(chain_id: int, start: str | None, found: Findings, chain: ChainReport):
    """Check one chain's events; returns the last one read."""
    previous = None
    while True:
        query = select(*_COLUMNS).where(AuditEvent.chain_id == chain_id).order_by(AuditEvent.seq).limit(BATCH)
        if previous is not None:
            query = query.where(AuditEvent.seq > previous.seq)
        batch = db.session.execute(query).all()
        for event in batch:
            _check_event(event, previous, start, found, chain)
            previous = event
        chain.checked += len(batch)
        if len(batch) < BATCH:
            return previous


def _check_event(event, previous, start: str | None, found: Findings, chain: ChainReport) -> None:
    expected = 1 if previous is None else previous.seq + 1
    if event.seq < expected:  # only possible for the first: seq 0 or below
        found.add(f"{_describe(event)}: số thứ tự không hợp lệ (phải bắt đầu từ #1).", chain)
    elif event.seq > expected:
        found.add(_gap(expected, event.seq - 1), chain)
    elif previous is None:
        if start is not None and event.prev_hash != start:
            found.add(f"{_describe(event)}: {_bad_start(start)}", chain)
    elif event.prev_hash != previous.hash:
        found.add(
            f"{_describe(event)}: bản ghi #{event.seq} không nối tiếp bản ghi #{previous.seq} "
            "(prev_hash khác hash của bản ghi trước).",
            chain,
        )
    if event_hash(event) != event.hash:
        found.add(f"{_describe(event)}: nội dung đã bị sửa (hash không khớp).", chain)


def _bad_start(start: str) -> str:
    if start == GENESIS:
        return "bản ghi đầu tiên không bắt đầu chuỗi (prev_hash khác GENESIS)."
    return (
        "bản ghi đầu tiên không bắt đầu từ điểm neo của chuỗi (prev_hash khác): chuỗi đã bị chuyển sang "
        "từ nơi khác, hoặc nhật ký ghi trước khi tách theo phường đã bị sửa."
    )


def _check_head(head: AuditHead, last, start: str, found: Findings, chain: ChainReport, key: bytes | None) -> None:
    if key is not None and (problem := audit_mac.signature_problem(head, key)):
        found.add(problem, chain)
    if head.scope.startswith("ward:") and head.scope != f"ward:{head.ward_id}":
        found.add(f"đầu chuỗi ghi phường có mã {head.ward_id}, khác với chuỗi ({head.scope}).", chain)
    if last is None:
        if head.seq != 0:
            found.add(f"Chuỗi trống nhưng đầu chuỗi ghi đã có {head.seq} bản ghi: các bản ghi đã bị xóa.", chain)
        elif head.hash != start:
            found.add("chuỗi trống nhưng đầu chuỗi không ở điểm neo của chuỗi (hash khác).", chain)
        return
    if head.seq != last.seq:
        if head.seq > last.seq:
            found.add(f"{_gap(last.seq + 1, head.seq)} (đầu chuỗi ghi bản ghi cuối là #{head.seq}).", chain)
        else:
            found.add(f"Đầu chuỗi ghi bản ghi cuối là #{head.seq} nhưng chuỗi có đến bản ghi #{last.seq}.", chain)
    elif head.hash != last.hash:
        found.add(f"{_describe(last)}: hash khác với hash lưu ở đầu chuỗi (bản ghi cuối đã bị thay).", chain)


@dataclass
class Anchor:
    """A head of one chain seen outside the live database (a backup's manifest): the live log
    must still hold that event, with that hash, at that seq, in that chain."""

    seq: int
    hash: str
    source: str  # "bản sao lưu aiplan-backup-….tar (lúc …)"
    scope: str = LEGACY  # a backup from before the split holds the one chain, now the legacy one
    mac: str | None = None
    key_id: str | None = None


def check_anchor(anchors: list[Anchor]) -> Findings:
    """What differs between the live log and `anchors`: events cut off a chain's end, or
    rewritten, or a whole chain gone."""
    found = Findings(checked=len(anchors))
    key = audit_mac.current_key()
    names = chain_names([anchor.scope for anchor in anchors])
    chains = dict(db.session.execute(select(AuditHead.scope, AuditHead.id)).all())
    for anchor in anchors:
        chain = ChainReport(names[anchor.scope])
        if (
            anchor.mac is not None
            and key is not None
            and anchor.key_id == audit_mac.key_id(key)
            and not audit_mac.is_signed(anchor, key)
        ):
            found.add(
                f"Đầu chuỗi ghi trong {anchor.source} (bản ghi #{anchor.seq}) có chữ ký không khớp: "
                "manifest.json của bản sao lưu đã bị sửa.",
                chain,
            )
        if anchor.seq == 0:
            continue
        chain_id = chains.get(anchor.scope)
        last = 0
        if chain_id is not None:
            last = db.session.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.chain_id == chain_id)) or 0
        if last < anchor.seq:
            found.add(
                f"Nhật ký chỉ có đến bản ghi #{last} nhưng {anchor.source} đã có đến bản ghi #{anchor.seq}: "
                f"{_gap(last + 1, anchor.seq)} (và mọi bản ghi sau đó) đã bị xóa khỏi cuối chuỗi.",
                chain,
            )
            continue
        kept = db.session.execute(
            select(*_COLUMNS).where(AuditEvent.chain_id == chain_id, AuditEvent.seq == anchor.seq)
        ).first()
        if kept is None:
            found.add(f"Thiếu bản ghi #{anchor.seq}, bản ghi cuối của chuỗi trong {anchor.source}.", chain)
        elif kept.hash != anchor.hash:
            found.add(
                f"{_describe(kept)}: khác với bản ghi #{anchor.seq} trong {anchor.source} (hash khác): "
                "nhật ký đã bị viết lại.",
                chain,
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


def manifest_heads(manifest: dict) -> dict[str, dict]:
    """A backup manifest's audit heads by chain, in `Contents.audit_heads`' shape: an archive
    made before the log was split by ward names its one head `audit_head`."""
    if isinstance(manifest.get("audit_heads"), dict):
        return manifest["audit_heads"]
    head = manifest.get("audit_head")
    return {LEGACY: head} if isinstance(head, dict) else {}
