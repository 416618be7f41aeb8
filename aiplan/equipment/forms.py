"""The equipment survey as a school types it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from ..fields import VersionField

TEXT_MAX = 2000
COUNTS = {  # field: the largest number a school could have
    "computer_rooms": 100,
    "rooms_online": 100,
    "working_machines": 100_000,
    "pupils": 100_000,
    "bandwidth_mbps": 100_000,
    "ai_devices": 100_000,
}


def _count(label, maximum: int):
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Nhập một số (0 nếu không có).")),
            NumberRange(min=0, max=maximum, message=_l("Nhập một số từ %(min)d đến %(max)d.")),
        ],
        invalid_value_message=_l("Nhập một số nguyên, ví dụ 35."),
        render_kw={"min": 0, "max": maximum, "inputmode": "numeric"},
    )


class SurveyForm(FlaskForm):
    """One school's answers for the year; the school and the year come from the URL."""

    computer_rooms = _count(_l("Số phòng máy tính"), COUNTS["computer_rooms"])
    rooms_online = _count(_l("Số phòng máy có kết nối Internet ổn định"), COUNTS["rooms_online"])
    working_machines = _count(_l("Số máy tính đang dùng được"), COUNTS["working_machines"])
    pupils = _count(_l("Số học sinh của trường"), COUNTS["pupils"])
    bandwidth_mbps = _count(_l("Băng thông Internet (Mbps)"), COUNTS["bandwidth_mbps"])
    ai_devices = _count(_l("Số thiết bị phục vụ bài học AI"), COUNTS["ai_devices"])
    ai_devices_note = TextAreaField(
        _l("Thiết bị phục vụ bài học AI là gì"),
        validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"rows": 2},
    )
    notes = TextAreaField(
        _l("Ghi chú, kế hoạch đầu tư, nâng cấp"),
        validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"rows": 3},
    )
    version = VersionField()  # 0 for a survey not saved yet

    def validate_rooms_online(self, field):
        if field.data is not None and self.computer_rooms.data is not None and field.data > self.computer_rooms.data:
            raise ValidationError(_l("Số phòng có Internet không thể lớn hơn số phòng máy tính."))

    def values(self) -> dict:
        values = {name: self[name].data for name in COUNTS}
        values["ai_devices_note"] = (self.ai_devices_note.data or "").strip()
        values["notes"] = (self.notes.data or "").strip()
        return values
