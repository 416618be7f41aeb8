"""The forms of the AI tools register and of a parental consent. School and year come from the URL."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..fields import CheckboxesField, SelectChoice, VnDateField
from ..models import AccountType, Activity, AiTool, PupilData

TOO_LONG = _l("Tối đa %(max)d ký tự.")


class ToolForm(FlaskForm):
    name = StringField(
        _l("Tên công cụ, nền tảng"),
        validators=[DataRequired(_l("Nhập tên công cụ hoặc nền tảng.")), Length(max=200, message=TOO_LONG)],
    )
    provider = StringField(_l("Nhà cung cấp"), validators=[Length(max=200, message=TOO_LONG)])
    age_suitability = StringField(
        _l("Độ tuổi phù hợp"), validators=[Length(max=200, message=TOO_LONG)], render_kw={"autocomplete": "off"}
    )
    pupil_data = CheckboxesField(
        _l("Dữ liệu của học sinh mà công cụ nhận"),
        choices=[SelectChoice(member.value, member.label) for member in PupilData],
        validate_choice=False,  # services.check_tool words it
    )
    pupil_data_other = StringField(_l("Dữ liệu khác"), validators=[Length(max=300, message=TOO_LONG)])
    account_type = RadioField(
        _l("Học sinh dùng qua tài khoản"),
        choices=[SelectChoice(member.value, member.label) for member in AccountType],
        validators=[DataRequired(_l("Chọn loại tài khoản học sinh dùng."))],
        validate_choice=False,
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=TOO_LONG)], render_kw={"rows": 3})
    version = HiddenField()

    def values(self) -> dict:
        return {
            "name": (self.name.data or "").strip(),
            "provider": (self.provider.data or "").strip(),
            "age_suitability": (self.age_suitability.data or "").strip(),
            "pupil_data": list(self.pupil_data.data or []),
            "pupil_data_other": (self.pupil_data_other.data or "").strip(),
            "account_type": self.account_type.data or "",
            "notes": (self.notes.data or "").strip(),
        }


def tool_data(tool: AiTool) -> dict:
    return {
        "name": tool.name,
        "provider": tool.provider,
        "age_suitability": tool.age_suitability,
        "pupil_data": [member.value for member in tool.data_kinds],
        "pupil_data_other": tool.pupil_data_other,
        "account_type": tool.account_type.value,
        "notes": tool.notes,
        "version": tool.version,
    }


class ConsentForm(FlaskForm):
    activity_id = SelectField(
        _l("Lớp hoặc hoạt động"),
        coerce=int,
        validators=[DataRequired(_l("Chọn lớp hoặc hoạt động có hình ảnh, sản phẩm của học sinh."))],
        invalid_value_message=_l("Chọn lớp hoặc hoạt động có hình ảnh, sản phẩm của học sinh."),
        validate_choice=False,
    )
    group_name = StringField(
        _l("Lớp hoặc nhóm học sinh"),
        validators=[DataRequired(_l("Nhập lớp hoặc nhóm học sinh, ví dụ 4A1.")), Length(max=200, message=TOO_LONG)],
    )
    consented_on = VnDateField(
        _l("Ngày cha mẹ học sinh đồng ý"),
        validators=[InputRequired(_l("Nhập ngày cha mẹ học sinh đồng ý."))],
        render_kw={"autocomplete": "off"},
    )
    tool_ids = CheckboxesField(
        _l("Công cụ AI mà bản đồng ý cho phép dùng"),
        coerce=int,
        invalid_value_message=_l("Chọn công cụ trong danh sách."),
        validate_choice=False,
    )
    file = FileField(_l("Tệp bản đồng ý"))
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=TOO_LONG)], render_kw={"rows": 2})

    def __init__(self, activities: list[Activity], tools: list[AiTool], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity_id.choices = [SelectChoice(0, _l("— Chọn lớp, hoạt động —"))] + [
            SelectChoice(a.id, f"{a.title}" + (f" ({a.class_name})" if a.class_name else "")) for a in activities
        ]
        self.tool_ids.choices = [SelectChoice(t.id, t.name) for t in tools]

    def values(self) -> dict:
        return {
            "activity_id": self.activity_id.data,
            "group_name": (self.group_name.data or "").strip(),
            "consented_on": self.consented_on.data,
            "tool_ids": list(self.tool_ids.data or []),
            "notes": (self.notes.data or "").strip(),
        }
