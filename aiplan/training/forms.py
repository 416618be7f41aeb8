"""Forms of teacher training: a teacher, a session, a training plan, a roster file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..fields import CheckboxesField, SelectChoice, VnDateField
from ..inputs import BadEmail, clean_email, formula_start
from ..models import Organiser, Plan, Teacher

TEXT_MAX = 4000
TOO_LONG = _l("Tối đa %(max)d ký tự.")


def _email(form, field):
    try:
        clean_email(field.data)
    except BadEmail as refused:
        raise ValidationError(str(refused)) from None


def _no_formula(form, field):
    if formula_start(field.data) is not None:
        raise ValidationError(_l("Không được bắt đầu bằng =, +, - hoặc @."))


class TeacherForm(FlaskForm):
    name = StringField(
        _l("Họ và tên"),
        validators=[DataRequired(_l("Nhập họ và tên giáo viên.")), Length(max=200, message=TOO_LONG), _no_formula],
        render_kw={"autocomplete": "off"},
    )
    subject = StringField(
        _l("Môn dạy"), validators=[Length(max=120, message=TOO_LONG), _no_formula], render_kw={"autocomplete": "off"}
    )
    email = StringField(
        _l("Email (không bắt buộc)"),
        validators=[_email],
        render_kw={"type": "email", "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    version = HiddenField()

    def values(self) -> dict:
        return {
            "name": (self.name.data or "").strip(),
            "subject": (self.subject.data or "").strip(),
            "email": clean_email(self.email.data) or "",
        }


class SessionForm(FlaskForm):
    held_on = VnDateField(
        _l("Ngày tổ chức"), validators=[InputRequired(_l("Nhập ngày tổ chức."))], render_kw={"autocomplete": "off"}
    )
    title = StringField(
        _l("Tên lớp tập huấn, buổi bồi dưỡng"),
        validators=[DataRequired(_l("Nhập tên lớp tập huấn hoặc buổi bồi dưỡng.")), Length(max=300, message=TOO_LONG)],
    )
    content_area_id = SelectField(
        _l("Nội dung"),
        coerce=int,
        validators=[DataRequired(_l("Chọn nội dung của buổi bồi dưỡng."))],
        invalid_value_message=_l("Chọn một nội dung trong danh sách."),
        invalid_choice_message=_l("Chọn một nội dung trong danh sách."),
    )
    organiser = RadioField(
        _l("Đơn vị tổ chức"),
        choices=[SelectChoice(member.value, member.label) for member in Organiser],
        validators=[InputRequired(_l("Chọn đơn vị tổ chức."))],
        invalid_choice_message=_l("Chọn đơn vị tổ chức trong danh sách."),
    )
    organiser_name = StringField(_l("Tên đơn vị tổ chức"), validators=[Length(max=200, message=TOO_LONG)])
    teacher_ids = CheckboxesField(
        _l("Giáo viên tham dự"),
        coerce=int,
        invalid_value_message=_l("Chỉ chọn giáo viên trong danh sách của trường."),
        invalid_choice_message=_l("Chỉ chọn giáo viên trong danh sách của trường."),
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=TEXT_MAX, message=TOO_LONG)], render_kw={"rows": 3})
    version = HiddenField()

    def __init__(self, plan: Plan, roster: list[Teacher], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.content_area_id.choices = [SelectChoice(0, _l("— Chọn nội dung —"))] + [
            SelectChoice(a.id, f"{a.code}. {a.title}") for a in plan.content_areas
        ]
        self.teacher_ids.choices = [
            SelectChoice(t.id, f"{t.name} — {t.subject}" if t.subject else t.name) for t in roster
        ]

    def values(self) -> dict:
        return {
            "held_on": self.held_on.data,
            "title": (self.title.data or "").strip(),
            "content_area_id": self.content_area_id.data,
            "organiser": Organiser(self.organiser.data),
            "organiser_name": (self.organiser_name.data or "").strip(),
            "teacher_ids": list(self.teacher_ids.data or []),
            "notes": (self.notes.data or "").strip(),
        }


class TrainingPlanForm(FlaskForm):
    text = TextAreaField(
        _l("Kế hoạch tập huấn, bồi dưỡng"),
        validators=[Length(max=20_000, message=TOO_LONG)],
        render_kw={"rows": 8},
    )
    version = HiddenField()


class RosterImportForm(FlaskForm):
    file = FileField(_l("Tệp danh sách giáo viên (.csv hoặc .xlsx)"))
