import re
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..fields import CheckboxesField, SelectChoice, VersionField, VnDateField
from ..models import InspectionKind, Verdict

# "08:30" as a time input sends it; "8h30", "8 giờ 30" and "8.30" as people type it.
HH_MM = re.compile(r"\s*(\d{1,2})\s*(?::|\.|h|giờ)\s*(\d{2})?\s*(?:phút)?\s*", re.IGNORECASE)


class TimeOfDayField(StringField):
    """A time of day, hh:mm, shown back the same way; empty is None."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        match = HH_MM.fullmatch(text)
        try:
            if not match:
                raise ValueError
            self.data = time(int(match.group(1)), int(match.group(2) or 0))
        except ValueError:
            raise ValueError(_l("Giờ không hợp lệ: nhập theo dạng giờ:phút, ví dụ 08:00.")) from None


class VisitTimesMixin:
    starts_at = TimeOfDayField(_l("Giờ bắt đầu"), render_kw={"type": "time"})
    ends_at = TimeOfDayField(_l("Giờ kết thúc"), render_kw={"type": "time"})


class VisitFieldsMixin(VisitTimesMixin):
    """What a ward admin sets on a visit when scheduling it and may change while it is open."""

    kind = RadioField(
        _l("Loại kiểm tra"),
        choices=[SelectChoice(k.value, k.label) for k in InspectionKind],
        default=InspectionKind.MIDTERM.value,
        # Not sent (a form from before kinds existed): a "giữa kỳ" visit, as every visit was then.
        validate_choice=False,
        validators=[
            Optional(),
            AnyOf([k.value for k in InspectionKind], message=_l("Chọn một loại kiểm tra trong danh sách.")),
        ],
    )
    visit_on = VnDateField(_l("Ngày kiểm tra"), validators=[InputRequired(_l("Nhập ngày kiểm tra."))])
    decision = SelectField(_l("Quyết định thành lập đoàn kiểm tra"), coerce=int, validators=[Optional()])


class ScheduleForm(VisitFieldsMixin, FlaskForm):
    school = SelectField(_l("Trường"), coerce=int, validators=[InputRequired(_l("Chọn trường."))])
    members = CheckboxesField(_l("Thành viên đoàn kiểm tra"), coerce=int)
    lead = SelectField(_l("Trưởng đoàn"), coerce=int, validators=[Optional()])


class VisitDetailsForm(VisitFieldsMixin, FlaskForm):
    version = VersionField()


class DecisionForm(FlaskForm):
    number = StringField(
        _l("Số quyết định"), validators=[InputRequired(_l("Nhập số quyết định, ví dụ 12/QĐ-UBND.")), Length(max=80)]
    )
    signed_on = VnDateField(_l("Ngày ký"), validators=[InputRequired(_l("Nhập ngày ký quyết định."))])
    signer = StringField(_l("Người ký (họ tên, chức vụ; không bắt buộc)"), validators=[Length(max=200)])
    file = FileField(_l("Tệp quyết định (PDF, Word hoặc ảnh chụp; không bắt buộc)"))


class VerdictForm(FlaskForm):
    verdict = HiddenField(validators=[AnyOf([v.value for v in Verdict], message=_l("Kết luận không hợp lệ."))])
    reason = TextAreaField(_l("Lý do, cần bổ sung gì"), validators=[Length(max=2000)])
    version = VersionField()


class CloseForm(VisitTimesMixin, FlaskForm):
    minutes_number = StringField(_l("Số biên bản"), validators=[Length(max=80)])
    school_representative = StringField(_l("Đại diện nhà trường (họ tên, chức vụ)"), validators=[Length(max=200)])
    conclusion = TextAreaField(_l("Kết luận"), validators=[Length(max=5000)])
    recommendations = TextAreaField(_l("Kiến nghị"), validators=[Length(max=5000)])
    version = VersionField()


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do mở lại"), validators=[InputRequired(_l("Ghi lý do mở lại biên bản.")), Length(max=1000)]
    )
    version = VersionField()
