"""Forms of the ward administration. Rules that need the database live in services.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from ..fields import FingerprintField
from ..inputs import BadEmail, clean_email, formula_start
from ..models import Role, SchoolLevel

try:
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs, which 3.3 deprecates

    def choice(value, label):
        return value, label


# Least powerful first, a new account starting as a viewer: an admin who does not change the role
# gives too little rather than too much. A required select needs an empty first option (HTML).
ROLE_ORDER = (Role.VIEWER, Role.SCHOOL_STAFF, Role.SUPERVISOR, Role.WARD_ADMIN)
ROLE_CHOICES = [choice("", _l("— Chọn vai trò —"))] + [choice(role.value, role.label) for role in ROLE_ORDER]


def _no_formula(form, field):
    """Text that spreadsheets would run as a formula when the ward exports it is refused."""
    if formula_start(field.data) is not None:
        raise ValidationError(_l("Không được bắt đầu bằng =, +, - hoặc @."))


def _email(form, field):
    """The one rule for an account's e-mail (inputs.clean_email); the field keeps what was typed."""
    try:
        clean_email(field.data)
    except BadEmail as refused:
        raise ValidationError(str(refused)) from None


def _trimmed(value):
    return value.strip() if isinstance(value, str) else value


def _trimmed_lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class SchoolForm(FlaskForm):
    # Fields are listed (and the error summary ordered) in the page's order: the code comes first.
    slug = StringField(
        _l("Mã trường"),
        validators=[
            DataRequired(_l("Nhập mã trường.")),
            Length(max=80, message=_l("Tối đa %(max)d ký tự.")),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l("Mã trường chỉ gồm chữ thường không dấu, số và dấu '-', ví dụ th-doan-ket."),
            ),
        ],
        filters=[_trimmed_lower],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    name = StringField(
        _l("Tên trường"),
        validators=[
            DataRequired(_l("Nhập tên trường.")),
            Length(max=200, message=_l("Tối đa %(max)d ký tự.")),
            _no_formula,
        ],
    )
    level = SelectField(
        _l("Cấp học"),
        choices=[choice("", _l("— Chọn cấp học —"))] + [choice(level.value, level.label) for level in SchoolLevel],
        validators=[InputRequired(_l("Chọn cấp học."))],
    )
    is_pilot = BooleanField(_l("Trường thí điểm"))
    is_active = BooleanField(_l("Đang hoạt động"), default=True)


class EditSchoolForm(SchoolForm):
    slug = None  # chosen once: it names the school in every URL
    version = FingerprintField()  # the fingerprint of the values shown: a save over someone else's is refused


class NewSchoolForm(SchoolForm):
    pass


class AccountForm(FlaskForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(_l("Nhập tên đăng nhập.")), Length(max=80, message=_l("Tối đa %(max)d ký tự."))],
        filters=[_trimmed_lower],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    full_name = StringField(
        _l("Họ tên"),
        validators=[
            DataRequired(_l("Nhập họ tên.")),
            Length(max=200, message=_l("Tối đa %(max)d ký tự.")),
            _no_formula,
        ],
    )
    email = StringField(
        _l("E-mail (không bắt buộc)"),
        validators=[_email],
        filters=[_trimmed],
        render_kw={"type": "email", "autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"},
    )
    role = SelectField(
        _l("Vai trò"), choices=ROLE_CHOICES, default=Role.VIEWER.value, validators=[InputRequired(_l("Chọn vai trò."))]
    )
    school = SelectField(_l("Trường"), coerce=int, validate_choice=False)
    is_enabled = BooleanField(_l("Đang hoạt động (được đăng nhập)"), default=True)


class EditAccountForm(AccountForm):
    username = None  # chosen once
    version = FingerprintField()  # the fingerprint of the values shown: a save over someone else's is refused


class NewAccountForm(AccountForm):
    pass


class ImportForm(FlaskForm):
    file = FileField(_l("Tệp CSV hoặc XLSX"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    sha256 = HiddenField(validators=[DataRequired()])
