"""The parts of a report people write themselves; the figures are computed, never typed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..fields import SelectChoice, VersionField, VnDateField
from ..models import UpwardKind
from .services import TEXT_FIELDS, UPWARD_TEXT


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


def _upward_max(name: str) -> Length:
    return Length(max=UPWARD_TEXT[name], message=_l("Tối đa %(max)d ký tự."))


class UpwardNewForm(FlaskForm):
    """A new report of the UBND phường to the Sở GD&ĐT: which kind, the period it covers, its trích yếu."""

    kind = RadioField(
        _l("Loại báo cáo"),
        choices=[SelectChoice(kind.value, kind.label) for kind in UpwardKind],
        default=UpwardKind.PERIODIC.value,
        validators=[InputRequired(_l("Chọn loại báo cáo."))],
    )
    period_start = VnDateField(
        _l("Từ ngày"), validators=[InputRequired(_l("Nhập ngày đầu kỳ báo cáo."))], render_kw={"autocomplete": "off"}
    )
    period_end = VnDateField(
        _l("Đến ngày"),
        validators=[InputRequired(_l("Nhập ngày cuối kỳ báo cáo."))],
        render_kw={"autocomplete": "off"},
    )
    # A textarea, as a trích yếu runs to two lines; it prints on one paragraph, so line breaks go.
    subject = TextAreaField(
        _l("Trích yếu"),
        validators=[DataRequired(_l("Nhập trích yếu của báo cáo.")), _upward_max("subject")],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
        render_kw={"rows": 2},
    )

    def validate_period_end(self, field):
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError(_l("Kỳ báo cáo không hợp lệ: ngày kết thúc (đến ngày) trước ngày bắt đầu (từ ngày)."))

    def values(self) -> dict:
        return {name: self[name].data for name in ("kind", "period_start", "period_end", "subject")}


class UpwardReportForm(UpwardNewForm):
    """Everything of a report to the Sở that people write; the figures are computed, never typed."""

    number = StringField(_l("Số văn bản"), validators=[_upward_max("number")], render_kw={"autocomplete": "off"})
    signer_title = StringField(_l("Thẩm quyền, chức vụ người ký"), validators=[_upward_max("signer_title")])
    signer_name = StringField(
        _l("Họ và tên người ký"), validators=[_upward_max("signer_name")], render_kw={"autocomplete": "off"}
    )
    highlights = TextAreaField(_l("Kết quả nổi bật"), validators=[_upward_max("highlights")], render_kw={"rows": 5})
    shortcomings = TextAreaField(
        _l("Tồn tại, hạn chế"), validators=[_upward_max("shortcomings")], render_kw={"rows": 5}
    )
    causes = TextAreaField(_l("Nguyên nhân"), validators=[_upward_max("causes")], render_kw={"rows": 4})
    lessons = TextAreaField(
        _l("Bài học kinh nghiệm (báo cáo sơ kết, tổng kết)"), validators=[_upward_max("lessons")], render_kw={"rows": 4}
    )
    directions = TextAreaField(
        _l("Phương hướng, nhiệm vụ thời gian tới"), validators=[_upward_max("directions")], render_kw={"rows": 5}
    )
    proposals = TextAreaField(
        _l("Đề xuất, kiến nghị với Sở Giáo dục và Đào tạo"),
        validators=[_upward_max("proposals")],
        render_kw={"rows": 5},
    )
    version = VersionField()

    def values(self) -> dict:
        values = super().values()
        values.update({name: self[name].data or "" for name in UPWARD_TEXT if name != "subject"})
        return values
