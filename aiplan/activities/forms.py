"""Forms for AI activities and the self-evaluation. Rules that need the plan live in services.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..fields import CheckboxesField, SelectChoice, VersionField, VnDateField
from ..models import Attendee, ChecklistItem, Plan, Rating, WardActivityKind
from .services import check_activity
from .ward import check_ward_activity

TEXT_MAX = 2000
# Suggestions for the subject field (a datalist: any other subject may be typed). Data, not UI text.
SUBJECTS = (
    "Tin học",
    "Toán",
    "Tiếng Việt",
    "Ngữ văn",
    "Tiếng Anh",
    "Khoa học",
    "Khoa học tự nhiên",
    "Công nghệ",
    "Lịch sử và Địa lí",
    "Giáo dục công dân",
    "Đạo đức",
    "Mĩ thuật",
    "Âm nhạc",
    "Hoạt động trải nghiệm",
    "Hoạt động trải nghiệm, hướng nghiệp",
)


def count_field(label, maximum: int):
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=0, max=maximum, message=_l("Nhập một số từ %(min)d đến %(max)d."))],
        invalid_value_message=_l("Nhập một số nguyên, ví dụ 35."),
        render_kw={"min": 0, "max": maximum, "inputmode": "numeric"},
    )


class ActivityForm(FlaskForm):
    """An activity as staff type it; the school and the plan come from the URL, never from here."""

    form_id = SelectField(
        _l("Hình thức"),
        coerce=int,
        validators=[DataRequired(_l("Chọn hình thức tổ chức."))],
        invalid_value_message=_l("Chọn một hình thức trong danh sách."),
        invalid_choice_message=_l("Chọn một hình thức trong danh sách."),
    )
    title = StringField(
        _l("Tên hoạt động"),
        validators=[DataRequired(_l("Nhập tên hoạt động.")), Length(max=300, message=_l("Tối đa %(max)d ký tự."))],
    )
    subject = StringField(
        _l("Môn học"),
        validators=[Length(max=120, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"list": "subject-options", "autocomplete": "off"},
    )
    grade = StringField(_l("Khối lớp"), validators=[Length(max=40, message=_l("Tối đa %(max)d ký tự."))])
    class_name = StringField(_l("Lớp"), validators=[Length(max=80, message=_l("Tối đa %(max)d ký tự."))])
    participants = count_field(_l("Số người tham gia"), 100_000)
    lessons = count_field(_l("Số tiết"), 10_000)
    content_area_ids = CheckboxesField(
        _l("Nội dung giáo dục AI"),
        coerce=int,
        invalid_value_message=_l("Chọn nội dung trong danh sách."),
        invalid_choice_message=_l("Chọn nội dung trong danh sách."),
    )
    starts_on = VnDateField(
        _l("Ngày bắt đầu"), validators=[InputRequired(_l("Nhập ngày bắt đầu."))], render_kw={"autocomplete": "off"}
    )
    ends_on = VnDateField(_l("Ngày kết thúc"), render_kw={"autocomplete": "off"})
    products = TextAreaField(
        _l("Sản phẩm"), validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))], render_kw={"rows": 3}
    )
    notes = TextAreaField(
        _l("Ghi chú"), validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))], render_kw={"rows": 3}
    )
    # Absent when recording a new activity; an edit or a delete is checked by the view through
    # inputs.posted_version, the same rule as VersionField.
    version = HiddenField()

    def __init__(self, plan: Plan, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teaching = [SelectChoice(f.id, f"{f.section} — {f.title}") for f in plan.delivery_forms if f.section]
        support = [SelectChoice(f.id, f.title) for f in plan.delivery_forms if not f.section]
        self.form_id.choices = [SelectChoice(0, _l("— Chọn hình thức —"))] + teaching + support
        self.content_area_ids.choices = [SelectChoice(a.id, a.title) for a in plan.content_areas]

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Ngày kết thúc không được trước ngày bắt đầu."))

    def values(self) -> dict:
        """What the services need, with blanks made explicit."""
        return {
            "form_id": self.form_id.data,
            "title": (self.title.data or "").strip(),
            "subject": (self.subject.data or "").strip(),
            "grade": (self.grade.data or "").strip(),
            "class_name": (self.class_name.data or "").strip(),
            "participants": self.participants.data or 0,
            "lessons": self.lessons.data or 0,
            "content_area_ids": list(self.content_area_ids.data or []),
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "products": (self.products.data or "").strip(),
            "notes": (self.notes.data or "").strip(),
        }

    def validate_with_rules(self, plan: Plan) -> bool:
        """The form's own checks and the plan's rules (services.check_activity), every problem at once."""
        valid = self.validate()
        rules = {
            name: message for name, message in check_activity(plan, self.values()).items() if not self[name].errors
        }  # one message per field: the form's own comes first
        self.add_errors(rules)
        return valid and not rules

    def add_errors(self, errors: dict) -> None:
        """Show the services' rule errors next to their fields."""
        for name, message in errors.items():
            self[name].errors = list(self[name].errors) + [message]


class WardActivityForm(FlaskForm):
    """An activity of the ward itself (its conference, outreach, training…); the plan comes from
    the request, the items it may prove from the ward's checklist."""

    ward_kind = RadioField(
        _l("Loại hoạt động"),
        choices=[SelectChoice(kind.value, kind.label) for kind in WardActivityKind],
        validators=[InputRequired(_l("Chọn loại hoạt động."))],
        validate_choice=False,  # checked with the other rules, in Vietnamese (ward.check_ward_activity)
    )
    title = StringField(
        _l("Tên hoạt động"),
        validators=[DataRequired(_l("Nhập tên hoạt động.")), Length(max=300, message=_l("Tối đa %(max)d ký tự."))],
    )
    item_id = SelectField(
        _l("Minh chứng cho mốc"),
        coerce=int,
        validate_choice=False,
        invalid_value_message=_l("Chọn một mốc trong danh sách."),
    )
    participants = count_field(_l("Số người tham dự"), 100_000)
    attendees = CheckboxesField(
        _l("Thành phần tham dự"),
        choices=[SelectChoice(member.value, member.label) for member in Attendee],
        validate_choice=False,
    )
    starts_on = VnDateField(
        _l("Ngày bắt đầu"), validators=[InputRequired(_l("Nhập ngày bắt đầu."))], render_kw={"autocomplete": "off"}
    )
    ends_on = VnDateField(_l("Ngày kết thúc"), render_kw={"autocomplete": "off"})
    place = StringField(_l("Địa điểm"), validators=[Length(max=300, message=_l("Tối đa %(max)d ký tự."))])
    notes = TextAreaField(
        _l("Ghi chú"), validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))], render_kw={"rows": 3}
    )
    version = HiddenField()

    def __init__(self, items: list[ChecklistItem], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.item_id.choices = [SelectChoice(0, _l("— Không gắn với mốc nào —"))] + [
            SelectChoice(item.id, _l("Mốc %(number)s: %(title)s", number=item.milestone.number, title=item.title))
            for item in items
            if item.milestone is not None
        ]

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Ngày kết thúc không được trước ngày bắt đầu."))

    def values(self) -> dict:
        return {
            "ward_kind": self.ward_kind.data or "",
            "title": (self.title.data or "").strip(),
            "item_id": self.item_id.data or None,
            "participants": self.participants.data or 0,
            "attendees": list(self.attendees.data or []),
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "place": (self.place.data or "").strip(),
            "notes": (self.notes.data or "").strip(),
        }

    def validate_with_rules(self, plan: Plan) -> bool:
        """The form's own checks and the ward's rules, every problem at once (one message per field)."""
        valid = self.validate()
        rules = {
            name: message
            for name, message in check_ward_activity(plan, self.items, self.values()).items()
            if not self[name].errors
        }
        self.add_errors(rules)
        return valid and not rules

    def add_errors(self, errors: dict) -> None:
        for name, message in errors.items():
            self[name].errors = list(self[name].errors) + [message]


class SelfEvaluationForm(FlaskForm):
    """The three criteria of Phụ lục I.2, as fields rating_<id> and text_<id>, built per plan."""

    version = VersionField()

    @classmethod
    def for_criteria(cls, criteria, *args, **kwargs) -> "SelfEvaluationForm":
        fields = {}
        for criterion in criteria:
            fields[f"rating_{criterion.id}"] = RadioField(
                _l("Mức đánh giá"),
                coerce=Rating,
                validate_choice=False,
                choices=[SelectChoice(rating.value, rating.label) for rating in Rating],
                invalid_value_message=_l("Chọn một mức trong danh sách."),
            )
            fields[f"text_{criterion.id}"] = TextAreaField(
                _l("Nhận xét ngắn về tiêu chí %(number)d", number=criterion.position),
                validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))],
                render_kw={"rows": 3},
            )
        form = type("PlanSelfEvaluationForm", (cls,), fields)(*args, **kwargs)
        form.criteria = list(criteria)
        return form

    def rows(self):
        """(criterion, rating field, text field) for each criterion, in the plan's order."""
        return [(c, self[f"rating_{c.id}"], self[f"text_{c.id}"]) for c in self.criteria]

    def values(self) -> dict[int, tuple[Rating | None, str]]:
        return {c.id: (rating.data or None, (text.data or "").strip()) for c, rating, text in self.rows()}

    def add_errors(self, errors: dict[int, str]) -> None:
        for criterion_id, message in errors.items():
            field = self[f"rating_{criterion_id}"]
            field.errors = list(field.errors) + [message]
