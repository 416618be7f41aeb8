"""Writing the audit log. Callers add the event to the same session as the change it
records, so both commit together or not at all."""
from flask import g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent


def record(action: str, obj=None, *, before: dict | None = None, after: dict | None = None,
           school_id: int | None = None, ward_id: int | None = None, actor=None) -> AuditEvent:
    """Add an audit event for `action` on `obj` to the current session (not committed here)."""
    actor = actor if actor is not None else _current_actor()
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "hệ thống",
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        school_id=school_id,
        ward_id=ward_id,
        before=before,
        after=after,
    )
    if has_request_context():
        event.ip = request.remote_addr or ""
        event.request_id = g.get("request_id", "")
    db.session.add(event)
    return event


def _current_actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user
    return None


ACTION_LABELS = {
    "auth.login": "Đăng nhập",
    "user.create": "Tạo tài khoản",
    "plan.load": "Nạp kế hoạch",
    "school.create": "Thêm trường",
    "school.update": "Cập nhật thông tin trường",
    "item.update": "Cập nhật mục checklist",
    "item.target_computed": "Chỉ tiêu được tính lại từ hoạt động",
    "activity.create": "Ghi nhận hoạt động AI",
    "activity.update": "Sửa hoạt động AI",
    "activity.delete": "Xóa hoạt động AI",
    "evidence.upload": "Tải lên minh chứng",
    "evidence.delete": "Xóa minh chứng",
    "evidence.restore": "Khôi phục minh chứng",
    "evidence.restrict": "Đổi chế độ hạn chế của minh chứng",
    "self_evaluation.save": "Lưu bản tự đánh giá",
    "self_evaluation.submit": "Nộp bản tự đánh giá",
    "self_evaluation.reopen": "Mở lại bản tự đánh giá",
    "report_text.save": "Lưu nội dung báo cáo",
}
FIELD_LABELS = {
    "status": "Trạng thái", "note": "Ghi chú", "verdict": "Kết luận kiểm tra", "reason": "Lý do",
    "name": "Tên", "level": "Cấp học", "is_pilot": "Thí điểm", "is_active": "Hoạt động",
    "title": "Tiêu đề", "username": "Tên đăng nhập", "role": "Vai trò", "school": "Trường",
    "form": "Hình thức", "subject": "Môn học", "grade": "Khối", "class_name": "Lớp", "participants": "Số người tham gia",
    "lessons": "Số tiết", "content_areas": "Nội dung", "starts_on": "Bắt đầu", "ends_on": "Kết thúc",
    "products": "Sản phẩm", "notes": "Ghi chú", "deleted": "Đã xóa", "restricted": "Hạn chế",
    "description": "Mô tả", "size": "Dung lượng (byte)", "sha256": "SHA-256", "item_id": "Mục checklist",
    "activity_id": "Hoạt động", "criteria": "Các tiêu chí", "submitted": "Đã nộp",
    "number": "Số văn bản", "signer_name": "Người ký", "signer_title": "Chức vụ người ký",
    "difficulties": "Khó khăn, vướng mắc", "proposals": "Đề xuất, kiến nghị",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def value_label(value) -> str:
    """Show stored codes (status, verdict, booleans) in the words the UI uses."""
    from .models import ItemStatus, Rating, Verdict

    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list):
        return ", ".join(value_label(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_label(v)}" for key, v in value.items())
    for enum_cls in (ItemStatus, Verdict, Rating):
        try:
            return enum_cls(value).label
        except ValueError:
            continue
    return "" if value is None else str(value)
