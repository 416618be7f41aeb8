"""The parts of a report people write themselves; the figures are computed, never typed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from ..fields import VersionField
from .services import TEXT_FIELDS


def _max(name: str) -> Length:
    return Length(max=TEXT_FIELDS[name], message=_l("Tối đa %(max)d ký tự."))


class ReportTextForm(FlaskForm):
    """Number, signer, difficulties and proposals; the school or ward comes from the URL and the user."""

    number = StringField(_l("Số văn bản"), validators=[_max("number")], render_kw={"autocomplete": "off"})
    signer_title = StringField(_l("Chức vụ người ký"), validators=[_max("signer_title")])
    signer_name = StringField(
        _l("Họ và tên người ký"), validators=[_max("signer_name")], render_kw={"autocomplete": "off"}
    )
    difficulties = TextAreaField(_l("Khó khăn, vướng mắc"), validators=[_max("difficulties")], render_kw={"rows": 6})
    proposals = TextAreaField(_l("Đề xuất, kiến nghị"), validators=[_max("proposals")], render_kw={"rows": 6})
    version = VersionField()

    def values(self) -> dict:
        return {name: self[name].data or "" for name in TEXT_FIELDS}
