from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired

from ..fields import CheckboxesField, VnDateField

CALENDAR_LABELS = {
    "hk1_start": _l("Bắt đầu HK I"),
    "hk1_end": _l("Kết thúc HK I"),
    "hk2_start": _l("Bắt đầu HK II"),
    "hk2_end": _l("Kết thúc HK II"),
    "midterm_start": _l("Bắt đầu đợt kiểm tra giữa HK II"),
    "midterm_end": _l("Kết thúc đợt kiểm tra giữa HK II"),
    "ends_on": _l("Kết thúc năm học"),
    "closes_on": _l("Hạn sơ kết, tổng kết"),
}


class StartYearForm(FlaskForm):
    """The next year's calendar, proposed a year on from the current one."""


for _name, _label in CALENDAR_LABELS.items():
    setattr(StartYearForm, _name, VnDateField(_label, validators=[InputRequired(_l("Nhập ngày."))]))


class PilotForm(FlaskForm):
    schools = CheckboxesField(_l("Trường thí điểm trong năm học"), coerce=int)


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token (opening a year)."""
