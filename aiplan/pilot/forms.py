"""The form of a pilot class's result: its plan, lessons per content area, pupils per level."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from ..models import ContentArea, PilotLevel

MAX_COUNT = 10_000
TEXT_MAX = 8000


def _count(label):
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=0, max=MAX_COUNT, message=_l("Nhập một số từ %(min)d đến %(max)d."))],
        invalid_value_message=_l("Nhập một số nguyên, ví dụ 12."),
        render_kw={"min": 0, "max": MAX_COUNT, "inputmode": "numeric"},
    )


class PilotResultForm(FlaskForm):
    class_plan = TextAreaField(
        _l("Kế hoạch dạy học của lớp"),
        validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"rows": 5},
    )
    assessment = TextAreaField(
        _l("Cách đánh giá và nhận xét chung"),
        validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"rows": 4},
    )
    version = HiddenField()

    @classmethod
    def for_areas(cls, areas: list[ContentArea], **kwargs) -> "PilotResultForm":
        """The form with one lessons field per content area of the plan and one count per level."""

        class Form(cls):  # type: ignore[valid-type,misc]  # fields added to a subclass made per plan
            pass

        for area in areas:
            setattr(Form, f"lessons_{area.id}", _count(_l("Số tiết nội dung %(code)s", code=area.code)))
        for level in PilotLevel:
            setattr(Form, f"level_{level.value}", _count(level.label))
        form = Form(**kwargs)
        form.areas = areas
        return form

    def lesson_fields(self):
        return [(area, self[f"lessons_{area.id}"]) for area in self.areas]

    def level_fields(self):
        return [(level, self[f"level_{level.value}"]) for level in PilotLevel]

    def values(self) -> dict:
        return {
            "class_plan": (self.class_plan.data or "").strip(),
            "assessment": (self.assessment.data or "").strip(),
            "lessons": {area.id: field.data or 0 for area, field in self.lesson_fields()},
            "levels": {level: field.data or 0 for level, field in self.level_fields()},
        }


def result_data(result, areas) -> dict:
    """The form's values from a saved result (or blanks and version 0 when there is none)."""
    data: dict = {"version": result.version if result else 0}
    if result is None:
        return data
    data |= {"class_plan": result.class_plan, "assessment": result.assessment}
    for area in areas:
        data[f"lessons_{area.id}"] = result.lessons_of(area.id)
    for level in PilotLevel:
        data[f"level_{level.value}"] = result.pupils_at(level)
    return data
