"""The partner form. The school (or the ward) and the year come from the URL, never from here."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..fields import CheckboxesField, SelectChoice, VnDateField
from ..inputs import BadEmail, clean_email
from ..models import Activity, PartnerKind

TOO_LONG = _l("Tối đa %(max)d ký tự.")


class PartnerForm(FlaskForm):
    name = StringField(
        _l("Tên đối tác"),
        validators=[DataRequired(_l("Nhập tên đối tác.")), Length(max=300, message=TOO_LONG)],
    )
    kind = RadioField(
        _l("Loại đối tác"),
        choices=[SelectChoice(kind.value, kind.label) for kind in PartnerKind],
        validators=[DataRequired(_l("Chọn loại đối tác."))],
        validate_choice=False,  # services.check_partner says it in the same words as a missing one
    )
    contact_person = StringField(_l("Người liên hệ"), validators=[Length(max=200, message=TOO_LONG)])
    phone = StringField(
        _l("Số điện thoại"),
        validators=[Length(max=40, message=TOO_LONG)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    email = StringField(_l("E-mail"), render_kw={"inputmode": "email", "autocomplete": "off", "spellcheck": "false"})
    agreement_from = VnDateField(_l("Thỏa thuận hợp tác từ ngày"), render_kw={"autocomplete": "off"})
    agreement_to = VnDateField(_l("Đến ngày"), render_kw={"autocomplete": "off"})
    activity_ids = CheckboxesField(
        _l("Các hoạt động đối tác đã tham gia"),
        coerce=int,
        invalid_value_message=_l("Chọn hoạt động trong danh sách."),
        invalid_choice_message=_l("Chọn hoạt động trong danh sách."),
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=TOO_LONG)], render_kw={"rows": 3})
    # Absent on a new partner; an edit or a delete is checked through inputs.posted_version.
    version = HiddenField()

    def __init__(self, activities: list[Activity], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity_ids.choices = [SelectChoice(a.id, activity_label(a)) for a in activities]

    def validate_email(self, field):
        try:
            clean_email(field.data)
        except BadEmail as bad:
            raise ValidationError(str(bad)) from None

    def validate_agreement_to(self, field):
        if field.data and self.agreement_from.data and field.data < self.agreement_from.data:
            raise ValidationError(_l("Ngày kết thúc thỏa thuận không được trước ngày bắt đầu."))

    def values(self) -> dict:
        return {
            "name": (self.name.data or "").strip(),
            "kind": self.kind.data or "",
            "contact_person": (self.contact_person.data or "").strip(),
            "phone": (self.phone.data or "").strip(),
            "email": self.email.data,
            "agreement_from": self.agreement_from.data,
            "agreement_to": self.agreement_to.data,
            "activity_ids": list(self.activity_ids.data or []),
            "notes": (self.notes.data or "").strip(),
        }


def activity_label(activity: Activity) -> str:
    """ "Câu lạc bộ AI (2.3, từ 15/10/2025)": enough to tell two activities apart in a list."""
    form = activity.form.code if activity.form is not None else None
    when = activity.starts_on.strftime("%d/%m/%Y") if activity.starts_on else ""
    details = ", ".join(part for part in (form, when) if part)
    return f"{activity.title} ({details})" if details else activity.title


def edit_data(partner) -> dict:
    return {
        "name": partner.name,
        "kind": partner.kind.value,
        "contact_person": partner.contact_person,
        "phone": partner.phone,
        "email": partner.email or "",
        "agreement_from": partner.agreement_from,
        "agreement_to": partner.agreement_to,
        "activity_ids": [a.id for a in partner.activities],
        "notes": partner.notes,
        "version": partner.version,
    }
