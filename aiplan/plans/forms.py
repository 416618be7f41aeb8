"""The forms of the plan's edit pages. What is edited comes from the URL (year, deadline key,
milestone number, target STT); the forms carry values and the fingerprint they were loaded at."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..fields import CheckboxesField, FingerprintField, SelectChoice, VnDateField
from ..models.plan import Owner, Timing
from ..models.ward import SchoolLevel
from .editing import day_month
from .spec import MEASURES


def _choices(pairs) -> list:
    return [SelectChoice(value, label) for value, label in pairs]


TIMING_CHOICES = _choices((timing.value, timing.label) for timing in Timing)
CALENDAR_LABELS = {
    "hk1_start": _l("Bắt đầu HK I"),
    "hk1_end": _l("Kết thúc HK I"),
    "hk2_start": _l("Bắt đầu HK II"),
    "hk2_end": _l("Kết thúc HK II"),
    "midterm_start": _l("Bắt đầu đợt kiểm tra giữa HK II"),
    "midterm_end": _l("Kết thúc đợt kiểm tra giữa HK II"),
    "ends_on": _l("Kết thúc năm học"),
    "closes_on": _l("Hạn sơ kết, tổng kết (sau năm học)"),
}


def _select(label, choices=None, field=SelectField, **kwargs):
    """A choice field whose value the services check, saying in Vietnamese what is wrong."""
    return field(label, choices=choices, validate_choice=False, **kwargs)


def _date(name: str) -> VnDateField:
    return VnDateField(CALENDAR_LABELS[name], validators=[InputRequired(_l("Nhập ngày dạng ngày/tháng/năm."))])


def _text(label, limit: int = 2000, area: bool = False):
    field = TextAreaField if area else StringField
    return field(
        label,
        validators=[InputRequired(_l("Không được để trống.")), Length(max=limit, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"rows": 3} if area else {},
    )


class CalendarForm(FlaskForm):
    hk1_start, hk1_end = _date("hk1_start"), _date("hk1_end")
    hk2_start, hk2_end = _date("hk2_start"), _date("hk2_end")
    midterm_start, midterm_end = _date("midterm_start"), _date("midterm_end")
    ends_on, closes_on = _date("ends_on"), _date("closes_on")
    version = FingerprintField()

    def days(self) -> dict:
        return {name: self[name].data for name in CALENDAR_LABELS}


class DayOffForm(FlaskForm):
    """A day the ward closes besides the public holidays (the calendar editor)."""

    day = VnDateField(_l("Ngày nghỉ"), validators=[InputRequired(_l("Nhập ngày dạng ngày/tháng/năm."))])
    reason = StringField(
        _l("Lý do"),
        validators=[InputRequired(_l("Nhập lý do nghỉ.")), Length(max=200, message=_l("Tối đa %(max)d ký tự."))],
    )
    version = FingerprintField()


class RemoveDayOffForm(FlaskForm):
    version = FingerprintField()


class HeaderForm(FlaskForm):
    """The plan's header: its number, the date it was issued and who signed it."""

    number = _text(_l("Số, ký hiệu"), limit=80)
    issued_on = VnDateField(_l("Ngày ban hành (ngày/tháng/năm)"), validators=[Optional()])
    signer = StringField(_l("Người ký"), validators=[Optional(), Length(max=200, message=_l("Tối đa %(max)d ký tự."))])
    signer_title = StringField(
        _l("Chức vụ người ký"), validators=[Optional(), Length(max=200, message=_l("Tối đa %(max)d ký tự."))]
    )
    version = FingerprintField()

    def values(self) -> dict:
        return {name: self[name].data for name in ("number", "issued_on", "signer", "signer_title")}


class DeadlineForm(FlaskForm):
    title = _text(_l("Nội dung"), area=True)
    # Not required here: the yearly rule of Phụ lục I.3 names nobody; the service asks for it elsewhere.
    owner_text = StringField(
        _l("Đơn vị thực hiện"), validators=[Optional(), Length(max=200, message=_l("Tối đa %(max)d ký tự."))]
    )
    kind = _select(
        _l("Loại thời hạn"),
        _choices([("before", _l("Một ngày cụ thể")), ("yearly", _l("Hằng năm, từ các năm học tiếp theo"))]),
        field=RadioField,
        validators=[InputRequired(_l("Chọn loại thời hạn."))],
    )
    before = VnDateField(_l("Trước ngày (ngày/tháng/năm)"), validators=[Optional()])
    yearly_before = StringField(_l("Trước ngày hằng năm (ngày/tháng)"), validators=[Optional()])
    version = FingerprintField()

    def validate_before(self, field):
        if self.kind.data == "before" and field.data is None and not field.errors:
            raise ValidationError(_l("Nhập ngày dạng ngày/tháng/năm, ví dụ 15/06/2026."))

    def validate_yearly_before(self, field):
        if self.kind.data == "yearly" and day_month(field.data) is None:
            raise ValidationError(_l("Nhập ngày hằng năm dạng ngày/tháng, ví dụ 09/06."))

    def values(self) -> dict:
        values = {"title": self.title.data, "owner_text": self.owner_text.data, "before": None, "yearly_before": None}
        if self.kind.data == "before":
            values["before"] = self.before.data
        else:
            values["yearly_before"] = day_month(self.yearly_before.data)
        return values


class MilestoneForm(FlaskForm):
    title = _text(_l("Tên mốc"), area=True)
    timing = _select(_l("Thời gian (tính hạn theo lịch năm học)"), TIMING_CHOICES)
    timing_text = _text(_l("Thời gian, như kế hoạch ghi"), limit=200)
    owners = _select(
        _l("Đơn vị thực hiện"),
        _choices((owner.value, owner.label) for owner in Owner),
        field=CheckboxesField,
        validators=[InputRequired(_l("Chọn ít nhất một đơn vị thực hiện."))],
    )
    owner_text = _text(_l("Đơn vị thực hiện, như kế hoạch ghi"), limit=200)
    required_of = _select(
        _l("Với các cơ sở giáo dục"),
        _choices(
            [
                ("all", _l("Bắt buộc với mọi trường")),
                ("pilot", _l("Bắt buộc với trường thí điểm, khuyến khích trường khác")),
            ]
        ),
    )
    school_deadline = _select(_l("Hạn báo cáo của trường"))
    ward_deadline = _select(_l("Hạn của phường"))
    confirm = BooleanField(_l("Tôi hiểu: các mục đã có tiến độ sẽ được giữ lại ở dạng lưu trữ"))
    version = FingerprintField()

    def set_deadlines(self, plan) -> None:
        choices = [("", _l("— Không có (hạn là cuối khoảng thời gian) —"))]
        choices += [(d.key, d.title) for d in plan.deadlines]
        self.school_deadline.choices = _choices(choices)
        self.ward_deadline.choices = _choices(choices)

    def values(self) -> dict:
        return {
            name: self[name].data
            for name in (
                "title",
                "timing",
                "timing_text",
                "owners",
                "owner_text",
                "required_of",
                "school_deadline",
                "ward_deadline",
            )
        }


class EvidenceRowForm(Form):
    """One evidence requirement of a target; `key` only says which row it is and is matched
    against the target's own evidence, never created from it."""

    key = HiddenField()
    title = StringField(
        _l("Tên minh chứng"),
        validators=[InputRequired(_l("Nhập tên minh chứng.")), Length(max=300, message=_l("Tối đa %(max)d ký tự."))],
    )
    timing = _select(_l("Thời gian"), TIMING_CHOICES)


class TargetForm(FlaskForm):
    category = _text(_l("Cấp học / Đối tượng triển khai"), area=True)
    managing_body = _text(_l("Đơn vị quản lý, chỉ đạo"), limit=200)
    minimum = _text(_l("Chỉ tiêu triển khai tối thiểu"), area=True)
    forms_text = _text(_l("Hình thức tổ chức thực hiện"), area=True)
    evidence_text = _text(_l("Minh chứng thực hiện, như kế hoạch ghi"), area=True)
    levels = _select(
        _l("Áp dụng cho cấp học"),
        _choices((level.value, level.label) for level in SchoolLevel),
        field=CheckboxesField,
        validators=[InputRequired(_l("Chọn ít nhất một cấp học."))],
    )
    pilot = _select(
        _l("Trường thí điểm"),
        _choices(
            [
                ("", _l("Mọi trường của các cấp học trên")),
                ("1", _l("Chỉ trường thí điểm")),
                ("0", _l("Chỉ trường không thí điểm")),
            ]
        ),
    )
    measure = _select(_l("Cách tính kết quả"), _choices(MEASURES.items()))
    measure_min = IntegerField(
        _l("Mức tối thiểu"),
        validators=[
            InputRequired(_l("Nhập một số nguyên từ 1 trở lên.")),
            NumberRange(min=1, max=100000, message=_l("Nhập một số nguyên từ 1 trở lên.")),
        ],
    )
    timing = _select(_l("Thời gian (hạn của chỉ tiêu)"), TIMING_CHOICES)
    evidence = FieldList(FormField(EvidenceRowForm), max_entries=50)
    new_evidence_title = StringField(_l("Thêm minh chứng: tên"), validators=[Length(max=300)])
    new_evidence_timing = _select(
        _l("Thêm minh chứng: thời gian"), _choices([("", _l("— Như chỉ tiêu —"))]) + TIMING_CHOICES
    )
    confirm = BooleanField(_l("Tôi hiểu: các mục đã có tiến độ sẽ được giữ lại ở dạng lưu trữ"))
    version = FingerprintField()

    def values(self) -> dict:
        values = {
            name: self[name].data
            for name in (
                "category",
                "managing_body",
                "minimum",
                "forms_text",
                "evidence_text",
                "levels",
                "measure",
                "measure_min",
                "timing",
            )
        }
        return values | {"pilot": {"1": True, "0": False}.get(self.pilot.data)}

    def evidence_rows(self) -> dict[str, dict]:
        return {
            row.form.key.data: {"title": row.form.title.data, "timing": row.form.timing.data}
            for row in self.evidence
            if row.form.key.data
        }

    def new_evidence(self) -> dict | None:
        if not (self.new_evidence_title.data or "").strip():
            return None
        return {"title": self.new_evidence_title.data, "timing": self.new_evidence_timing.data}


class RemoveEvidenceForm(FlaskForm):
    version = FingerprintField()


class UploadForm(FlaskForm):
    file = FileField(_l("Tệp kế hoạch (.toml)"))
    replace_calendar = BooleanField(_l("Thay cả lịch năm học bằng lịch trong tệp (mặc định giữ lịch đang dùng)"))
