"""The evidence forms. School and item or activity come from the URL, never from these fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional


class UploadForm(FlaskForm):
    """Several files at once; the description and the restricted mark apply to each of them."""

    file = MultipleFileField(_l("Tệp minh chứng"))
    description = StringField(
        _l("Mô tả"), validators=[Optional(), Length(max=500, message=_l("Mô tả dài tối đa %(max)d ký tự."))]
    )
    restricted = BooleanField(_l("Hạn chế"))
    next = HiddenField()


class RestrictedForm(FlaskForm):
    """Set, not toggle: value=1 marks the file restricted, value=0 lifts the mark."""

    value = HiddenField(
        validators=[InputRequired(_l("Thiếu giá trị.")), AnyOf(["0", "1"], message=_l("Giá trị không hợp lệ."))]
    )
    next = HiddenField()


class FileActionForm(FlaskForm):
    """Delete and restore: nothing to fill in but where to go back to."""

    next = HiddenField()
