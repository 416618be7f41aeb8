from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..fields import CheckboxesField, VersionField, VnDateField
from ..models import Verdict


class ScheduleForm(FlaskForm):
    school = SelectField(_l("Trường"), coerce=int, validators=[InputRequired(_l("Chọn trường."))])
    visit_on = VnDateField(_l("Ngày kiểm tra"), validators=[InputRequired(_l("Nhập ngày kiểm tra."))])
    members = CheckboxesField(_l("Thành viên đoàn kiểm tra"), coerce=int)
    lead = SelectField(_l("Trưởng đoàn"), coerce=int, validators=[Optional()])


class VerdictForm(FlaskForm):
    verdict = HiddenField(validators=[AnyOf([v.value for v in Verdict], message=_l("Kết luận không hợp lệ."))])
    reason = TextAreaField(_l("Lý do, cần bổ sung gì"), validators=[Length(max=2000)])
    version = VersionField()


class CloseForm(FlaskForm):
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
