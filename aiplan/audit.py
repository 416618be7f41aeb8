"""Writing the audit log. Callers add the event to the same session as the change it
records, so both commit together or not at all. Events are chained by hash, one chain per
ward (see models/audit.py); `event_hash` is the one definition of what an event's hash covers.

A writer locks the head of its ward's chain only: writes in two wards never wait for each
other. Which chain an event goes to is decided here, from what the caller already says: the
ward, else the school's ward, else the acting account's ward (a sign-in); an event with none
of them (a command, a job) goes to the system chain."""

import hashlib
import json

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from . import audit_mac
from .extensions import db
from .models import (
    AuditEvent,
    AuditHead,
    EvaluationState,
    InspectionKind,
    InspectionStatus,
    ItemStatus,
    Owner,
    ProblemStatus,
    Rating,
    Role,
    School,
    SchoolLevel,
    Timing,
    Verdict,
)
from .models.audit import GENESIS, LEGACY, SYSTEM, chain_anchor, ward_scope
from .models.types import utcnow

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


def event_hash(event: AuditEvent) -> str:
    """SHA-256 of the event's fields (canonical JSON, time as UTC ISO 8601) and its predecessor's hash."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields["at"] = event.at.astimezone(utcnow().tzinfo).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    action: str,
    obj=None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    school_id: int | None = None,
    ward_id: int | None = None,
    actor=None,
) -> AuditEvent:
    """Add an audit event for `action` on `obj` to the current session (not committed here).

    Takes the head row of the event's chain (its ward's) FOR UPDATE, held until the caller
    commits, so concurrent writers of one ward append one after the other while other wards'
    writers go on. Pending changes are not flushed here (a lost race must surface at the
    caller's commit, where it becomes a 409), except a new `obj`, which needs its id.
    """
    return _append(action, obj, before=before, after=after, school_id=school_id, ward_id=ward_id, actor=actor)


def resign_heads(reason: str, actor=None) -> AuditEvent:
    """Sign every chain's head with the current key whatever its signature was (a new key, a
    restore on another machine), recording in the system chain that it was done, by whom, and
    what the signatures were before. Locks every head (in id order), so it waits for the
    writes in progress and holds new ones back until the caller commits."""
    key = audit_mac.current_key()
    if key is None:
        raise ValueError("no AUDIT_KEY")
    with db.session.no_autoflush:
        heads = db.session.scalars(select(AuditHead).order_by(AuditHead.id).with_for_update()).all()
    old_keys = sorted({head.key_id for head in heads if head.key_id})
    before = (
        None
        if not heads
        else {
            "key_id": ", ".join(old_keys) or None,
            "signature": "hợp lệ" if all(audit_mac.is_signed(head, key) for head in heads) else "không hợp lệ",
        }
    )
    for head in heads:
        if head.scope != SYSTEM:  # the system chain's head is signed by the event below
            audit_mac.sign(head, key)
    return _append(
        "audit.sign",
        None,
        before=before,
        after={"key_id": audit_mac.key_id(key), "reason": reason},
        actor=actor,
        resign=True,
        system=True,
    )


def chain_of(ward_id: int | None, school_id: int | None, actor) -> tuple[str, int | None]:
    """(scope, ward id) of the chain an event goes to: see the module's docstring."""
    with db.session.no_autoflush:
        if ward_id is None and school_id is not None:
            school = db.session.get(School, school_id)  # most often already in the session
            ward_id = school.ward_id if school is not None else None
        if ward_id is None and actor is not None:
            ward_id = getattr(actor, "ward_id", None)
    return (SYSTEM, None) if ward_id is None else (ward_scope(ward_id), ward_id)


def _lock_head(scope: str, ward_id: int | None) -> tuple[AuditHead, bool]:
    """The chain's head, locked until commit; created (from the chain's anchor) by its first
    write. Returns the head and whether this write created it."""
    query = select(AuditHead).where(AuditHead.scope == scope).with_for_update()
    with db.session.no_autoflush:
        head = db.session.scalars(query).first()
        if head is not None:
            return head, False
        # Two first writes of one ward may meet here: the database lets one insert, the other
        # waits for it to commit and then finds its row (a plain INSERT would fail one with 500).
        legacy = db.session.scalar(select(AuditHead.hash).where(AuditHead.scope == LEGACY)) or GENESIS
        table = AuditHead.__table__
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table).values(scope=scope, ward_id=ward_id, seq=0, hash=chain_anchor(scope, legacy))
        # RETURNING tells whether this write inserted it (psycopg's rowcount does not, here)
        inserted = db.session.execute(insert.on_conflict_do_nothing().returning(table.c.id)).first()
        return db.session.scalars(query.execution_options(populate_existing=True)).one(), inserted is not None


def _append(
    action: str,
    obj,
    *,
    before,
    after,
    school_id=None,
    ward_id=None,
    actor=None,
    resign: bool = False,
    system: bool = False,
) -> AuditEvent:
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush()
    actor = actor if actor is not None else _current_actor()
    scope, chain_ward = (SYSTEM, None) if system else chain_of(ward_id, school_id, actor)
    head, created = _lock_head(scope, chain_ward)
    key = audit_mac.current_key()
    # Sign the new head only over a good one: a head set back outside the app must stay
    # unsigned through later writes, or the next save would cover the rewind up.
    trusted = created or resign or audit_mac.is_signed(head, key)
    event = AuditEvent(
        chain_id=head.id,
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "hệ thống",
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        school_id=school_id,
        ward_id=ward_id,
        before=_plain(before),
        after=_plain(after),
        ip="",
        request_id="",
        prev_hash=head.hash,
    )
    if has_request_context():
        event.ip = request.remote_addr or ""
        event.request_id = g.get("request_id", "")
    event.hash = event_hash(event)
    head.seq, head.hash = event.seq, event.hash
    if trusted and key is not None:
        audit_mac.sign(head, key)
    db.session.add(event)
    return event


def _plain(value):
    """The value as the JSON column will give it back, so the hash is the same before and after storing."""
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _current_actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user
    return None


ACTION_LABELS = {
    "auth.login": "Đăng nhập",
    "user.create": "Tạo tài khoản",
    # Ward administration (admin/, auth/)
    "user.update": "Sửa tài khoản",
    "user.reset_password": "Đặt lại mật khẩu",
    "user.change_password": "Đổi mật khẩu",
    "user.end_sessions": "Đăng xuất khỏi mọi thiết bị",
    "user.disable": "Khóa tài khoản",
    "user.enable": "Mở khóa tài khoản",
    "user.mail_preference": "Đổi cách nhận thư nhắc việc",
    "plan.load": "Nạp kế hoạch",
    "school.create": "Thêm trường",
    "school.update": "Cập nhật thông tin trường",
    "item.update": "Cập nhật mục việc",
    "item.target_computed": "Chỉ tiêu được tính lại từ hoạt động",
    "activity.create": "Ghi nhận hoạt động AI",
    "activity.update": "Sửa hoạt động AI",
    "activity.delete": "Xóa hoạt động AI",
    "partner.create": "Ghi nhận đối tác",
    "partner.update": "Sửa thông tin đối tác",
    "partner.delete": "Xóa đối tác",
    "partner.carry_over": "Mang đối tác sang năm học mới",
    "ai_tool.create": "Thêm công cụ AI vào danh mục",
    "ai_tool.update": "Sửa công cụ AI",
    "ai_tool.delete": "Xóa công cụ AI khỏi danh mục",
    "ai_tool.carry_over": "Mang danh mục công cụ AI sang năm học mới",
    "consent.create": "Lưu bản đồng ý của cha mẹ học sinh",
    "consent.delete": "Gỡ bản đồng ý của cha mẹ học sinh",
    "evidence.upload": "Tải lên minh chứng",
    "evidence.delete": "Xóa minh chứng",
    "evidence.restore": "Khôi phục minh chứng",
    "evidence.restrict": "Đổi chế độ hạn chế của minh chứng",
    "self_evaluation.save": "Lưu bản tự đánh giá",
    "self_evaluation.submit": "Nộp bản tự đánh giá",
    "self_evaluation.reopen": "Mở lại bản tự đánh giá",
    "report_text.save": "Lưu nội dung báo cáo",
    "upward_report.create": "Tạo báo cáo gửi Sở GD&ĐT",
    "upward_report.save": "Lưu báo cáo gửi Sở GD&ĐT",
    "year.start": "Bắt đầu năm học mới (chép kế hoạch)",
    "year.pilots": "Chọn trường thí điểm của năm học",
    "year.open": "Mở năm học",
    "demo.generate": "Tạo dữ liệu mẫu",
    "audit.sign": "Ký lại đầu chuỗi nhật ký",
    "item.verdict": "Ghi kết luận kiểm tra mục việc",
    "inspection.create": "Lập đợt kiểm tra",
    "inspection.close": "Kết thúc đợt kiểm tra",
    "inspection.reopen": "Mở lại đợt kiểm tra",
    "inspection.update": "Sửa thông tin đợt kiểm tra",
    "inspection.decision": "Ghi quyết định thành lập đoàn kiểm tra",
    # Editing the plan (plans/editing.py, plans/target_editing.py)
    "plan.calendar": "Sửa lịch năm học",
    "plan.day_off_add": "Thêm ngày nghỉ của phường",
    "plan.day_off_remove": "Bỏ ngày nghỉ của phường",
    "plan.deadline": "Sửa thời hạn của kế hoạch",
    "plan.milestone": "Sửa mốc của kế hoạch",
    "plan.target": "Sửa chỉ tiêu của kế hoạch",
    "plan.evidence": "Sửa minh chứng của chỉ tiêu",
    "plan.evidence_add": "Thêm minh chứng cho chỉ tiêu",
    "plan.evidence_remove": "Bỏ minh chứng của chỉ tiêu",
    # Who does what, problems raised (duties/, problems/)
    "item.duty": "Phân công phụ trách mục việc",
    "problem.raise": "Báo cáo vướng mắc",
    "problem.message": "Trả lời vướng mắc",
    "problem.assign": "Giao xử lý vướng mắc",
    "problem.close": "Đóng vướng mắc",
    "problem.reopen": "Mở lại vướng mắc",
    # Issue 17: the equipment survey and the resources register
    "equipment.save": "Lưu số liệu rà soát thiết bị",
    "equipment.import": "Nhập số liệu rà soát thiết bị từ tệp",
    "resource.create": "Ghi nhận nguồn lực",
    "resource.update": "Sửa nguồn lực",
    "resource.delete": "Xóa nguồn lực",
    # teacher training and pilot-class results (issue 17, parts 1 and 8)
    "teacher.create": "Thêm giáo viên vào danh sách",
    "teacher.update": "Sửa thông tin giáo viên",
    "teacher.delete": "Xóa giáo viên khỏi danh sách",
    "teacher.import": "Nhập danh sách giáo viên từ tệp",
    "training.plan": "Lưu kế hoạch tập huấn, bồi dưỡng",
    "training.session_create": "Ghi nhận buổi bồi dưỡng giáo viên",
    "training.session_update": "Sửa buổi bồi dưỡng giáo viên",
    "training.session_delete": "Xóa buổi bồi dưỡng giáo viên",
    "training.roster_carried": "Chuyển danh sách giáo viên sang năm học mới",
    "pilot.result": "Ghi kết quả lớp thí điểm",
}
FIELD_LABELS = {
    "days_off": "Ngày nghỉ của phường",
    "full_name": "Họ tên",
    "is_enabled": "Được đăng nhập",  # ward administration
    "status": "Trạng thái",
    "note": "Ghi chú",
    "verdict": "Kết luận kiểm tra",
    "reason": "Lý do",
    "name": "Tên",
    "level": "Cấp học",
    "is_pilot": "Thí điểm",
    "is_active": "Hoạt động",
    "title": "Tiêu đề",
    "username": "Tên đăng nhập",
    "email": "E-mail",
    "role": "Vai trò",
    "school": "Trường",
    "form": "Hình thức",
    "subject": "Môn học",
    "grade": "Khối",
    "class_name": "Lớp",
    "participants": "Số người tham gia",
    "lessons": "Số tiết",
    "content_areas": "Nội dung",
    "starts_on": "Bắt đầu",
    "ends_on": "Kết thúc",
    "products": "Sản phẩm",
    "notes": "Ghi chú",
    "deleted": "Đã xóa",
    "restricted": "Hạn chế",
    "description": "Mô tả",
    "size": "Dung lượng (byte)",
    "sha256": "SHA-256",
    "item_id": "Mục việc",
    "activity_id": "Hoạt động",
    "resource_id": "Nguồn lực",
    "computer_rooms": "Phòng máy tính",
    "rooms_online": "Phòng máy có Internet ổn định",
    "working_machines": "Máy tính dùng được",
    "pupils": "Số học sinh",
    "bandwidth_mbps": "Băng thông (Mbps)",
    "ai_devices": "Thiết bị cho bài học AI",
    "ai_devices_note": "Mô tả thiết bị",
    "resource_source": "Nguồn",
    "amount_vnd": "Số tiền (đồng)",
    "in_kind": "Hiện vật",
    "purpose": "Mục đích sử dụng",
    "received_on": "Ngày",
    "cond_voluntary": "Bảo đảm tự nguyện",
    "cond_not_tied": "Không gắn với điều kiện học tập",
    "cond_not_commercial": "Không thương mại hóa",
    "cond_not_coerced": "Không ép buộc",
    "confirmed": "Đã xác nhận đủ 4 điều kiện",
    "criteria": "Các tiêu chí",
    "submitted": EvaluationState.SUBMITTED.label,
    "number": "Số văn bản",
    "signer_name": "Người ký",
    "signer_title": "Chức vụ người ký",
    "difficulties": "Khó khăn, vướng mắc",
    "proposals": "Đề xuất, kiến nghị",
    # A report to the Sở (describe_upward), a visit, a ward activity: the action names which.
    "kind": "Loại",
    "period_start": "Từ ngày",
    "period_end": "Đến ngày",
    "trich_yeu": "Trích yếu",
    "bai_hoc": "Bài học kinh nghiệm",
    "highlights": "Kết quả nổi bật",
    "shortcomings": "Tồn tại, hạn chế",
    "causes": "Nguyên nhân",
    "directions": "Phương hướng, nhiệm vụ",
    "school_year": "Năm học",
    "from": "Chép từ năm học",
    "deadlines": "Thời hạn",
    "pilots": "Trường thí điểm",
    "source": "Tệp kế hoạch",
    "created": "Mục mới",
    "changed": "Mục thay đổi",
    "removed": "Mục bỏ",
    "items_added": "Số mục việc thêm",
    "slug": "Mã trường",
    "inspection": "Đợt kiểm tra",
    "visit_on": "Ngày kiểm tra",
    "members": "Thành viên đoàn",
    "lead": "Trưởng đoàn",
    "conclusion": "Kết luận",
    "recommendations": "Kiến nghị",
    "starts_at": "Giờ bắt đầu",
    "ends_at": "Giờ kết thúc",
    "decision": "Quyết định thành lập đoàn",
    "signed_on": "Ngày ký",
    "signer": "Người ký",
    "file": "Tệp",
    # Editing the plan
    "hk1_start": "Bắt đầu HK I",
    "hk1_end": "Kết thúc HK I",
    "hk2_start": "Bắt đầu HK II",
    "hk2_end": "Kết thúc HK II",
    "midterm_start": "Bắt đầu đợt kiểm tra giữa HK II",
    "midterm_end": "Kết thúc đợt kiểm tra giữa HK II",
    "closes_on": "Hạn sơ kết, tổng kết",
    "before": "Trước ngày",
    "yearly_before": "Trước ngày (hằng năm)",
    "owner_text": "Đơn vị thực hiện (như in)",
    "timing": "Thời gian",
    "timing_text": "Thời gian (như in)",
    "owners": "Đơn vị thực hiện",
    "required_of": "Bắt buộc với",
    "school_deadline": "Hạn của trường",
    "ward_deadline": "Hạn của phường",
    "category": "Cấp học / Đối tượng",
    "managing_body": "Đơn vị quản lý, chỉ đạo",
    "minimum": "Chỉ tiêu tối thiểu",
    "forms_text": "Hình thức tổ chức",
    "evidence_text": "Minh chứng (như in)",
    "levels": "Cấp học áp dụng",
    "pilot": "Trường thí điểm",
    "measure": "Cách tính",
    "measure_min": "Mức tối thiểu",
    "key": "Mã",
    "key_id": "Mã khóa ký",
    "signature": "Chữ ký đầu chuỗi",
    "target": "Chỉ tiêu STT",
    "retired_items": "Số mục chuyển lưu trữ",
    "items_removed": "Số mục việc bỏ",
    "assignee": "Người phụ trách",
    "co_owners": "Người phối hợp",
    "item": "Mục việc",
    "files": "Tệp gửi kèm",
    "body": "Nội dung",
    "problem": "Vướng mắc",
    "held_on": "Ngày tổ chức",
    "content_area": "Nội dung",
    "organiser": "Đơn vị tổ chức",
    "organiser_name": "Tên đơn vị tổ chức",
    "teachers": "Giáo viên tham dự",
    "text": "Nội dung",
    "added": "Số giáo viên thêm",
    "skipped": "Số giáo viên bỏ qua (đã có)",
    "names": "Họ tên",
    "class_plan": "Kế hoạch dạy học của lớp",
    "assessment": "Cách đánh giá và nhận xét chung",
    "lessons_by_area": "Số tiết theo nội dung",
    "pupils_by_level": "Số học sinh theo mức",
    "class": "Lớp",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def value_label(value) -> str:
    """Show stored codes (status, verdict, booleans) in the words the UI uses."""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list):
        return ", ".join(value_label(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_label(v)}" for key, v in value.items())
    for enum_cls in (
        ItemStatus,
        Verdict,
        Rating,
        Role,
        SchoolLevel,
        InspectionStatus,
        InspectionKind,
        Timing,
        Owner,
        ProblemStatus,
    ):
        try:
            return str(enum_cls(value).label)
        except ValueError:
            continue
    return "" if value is None else str(value)
