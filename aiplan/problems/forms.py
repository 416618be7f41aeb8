"""The forms of a problem's thread. The school, the problem and who writes come from the URL and
the signed-in user, never from these fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..fields import VersionField
from ..models import ProblemStatus


class ProblemForm(FlaskForm):
    subject = StringField(
        _l("Vấn đề"),
        validators=[
            InputRequired(_l("Hãy ghi vấn đề vướng mắc.")),
            Length(max=200, message=_l("Vấn đề dài tối đa %(max)d ký tự.")),
        ],
    )
    details = TextAreaField(
        _l("Nội dung chi tiết"),
        validators=[
            InputRequired(_l("Hãy ghi nội dung chi tiết.")),
            Length(max=5000, message=_l("Nội dung dài tối đa %(max)d ký tự.")),
        ],
    )
    item = SelectField(_l("Mục việc liên quan (nếu có)"), validators=[Optional()], validate_choice=False)
    file = MultipleFileField(_l("Tệp gửi kèm (nếu có)"))


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Nội dung trả lời"),
        validators=[
            InputRequired(_l("Hãy ghi nội dung trả lời.")),
            Length(max=5000, message=_l("Nội dung dài tối đa %(max)d ký tự.")),
        ],
    )
    file = MultipleFileField(_l("Tệp gửi kèm (nếu có)"))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Cán bộ xử lý"), validators=[Optional()], validate_choice=False)
    version = VersionField()


class StatusForm(FlaskForm):
    """Set, not toggle: status=da_dong closes, status=dang_mo reopens."""

    status = HiddenField(
        validators=[
            InputRequired(_l("Thiếu trạng thái.")),
            AnyOf([s.value for s in ProblemStatus], message=_l("Trạng thái không hợp lệ.")),
        ]
    )
    version = VersionField()
