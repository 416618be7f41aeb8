from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from ..fields import VersionField
from ..models import ItemStatus


class ItemForm(FlaskForm):
    """Both item forms post here: the status buttons (name="status") and the note."""

    status = HiddenField(
        validators=[Optional(), AnyOf([s.value for s in ItemStatus], message=_l("Trạng thái không hợp lệ."))]
    )
    note = TextAreaField(
        _l("Ghi chú"), validators=[Optional(), Length(max=2000, message=_l("Ghi chú dài tối đa %(max)d ký tự."))]
    )
    version = VersionField()
