"""An entry of the resources register as a school or the ward types it."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..fields import SelectChoice, VnDateField
from ..models import Condition, ResourceKind

TEXT_MAX = 2000
MAX_VND = 10**15  # a thousand billion đồng: more is a typing mistake
# 1.500.000 or 1 500 000 or 1500000 (đ / đồng / VND after it is allowed)
AMOUNT = re.compile(r"\s*([0-9]{1,3}(?:[. ][0-9]{3})+|[0-9]+)\s*(?:đ|đồng|vnd|vnđ)?\s*", re.IGNORECASE)


class AmountField(StringField):
    """A sum in đồng as Vietnamese offices write it (1.500.000), or nothing."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        match = AMOUNT.fullmatch(text)
        if not match or int(re.sub(r"[. ]", "", match.group(1))) > MAX_VND:
            raise ValueError(_l("Nhập số tiền bằng chữ số, ví dụ 15.000.000."))
        self.data = int(re.sub(r"[. ]", "", match.group(1)))

    def _value(self):
        if self.data is not None:
            return f"{self.data:,}".replace(",", ".")
        return self.raw_data[0] if self.raw_data else ""


class ResourceForm(FlaskForm):
    """The school (or the ward) and the year come from the URL, never from here."""

    kind = RadioField(
        _l("Loại nguồn lực"),
        choices=[SelectChoice(kind.value, kind.label) for kind in ResourceKind],
        validators=[InputRequired(_l("Chọn loại nguồn lực."))],
        invalid_value_message=_l("Chọn loại nguồn lực."),
        invalid_choice_message=_l("Chọn loại nguồn lực."),
    )
    source = StringField(
        _l("Nguồn"),
        validators=[DataRequired(_l("Nhập nguồn (dòng ngân sách, hoặc tổ chức, cá nhân tài trợ).")), Length(max=300)],
    )
    amount_vnd = AmountField(_l("Số tiền (đồng)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    in_kind = TextAreaField(
        _l("Hiện vật"),
        validators=[Length(max=TEXT_MAX, message=_l("Tối đa %(max)d ký tự."))],
        render_kw={"rows": 2},
    )
    purpose = TextAreaField(
        _l("Mục đích sử dụng"),
        validators=[DataRequired(_l("Nhập mục đích sử dụng.")), Length(max=TEXT_MAX)],
        render_kw={"rows": 2},
    )
    received_on = VnDateField(
        _l("Ngày"), validators=[InputRequired(_l("Nhập ngày."))], render_kw={"autocomplete": "off"}
    )
    cond_voluntary = BooleanField(Condition.VOLUNTARY.label)
    cond_not_tied = BooleanField(Condition.NOT_TIED.label)
    cond_not_commercial = BooleanField(Condition.NOT_COMMERCIAL.label)
    cond_not_coerced = BooleanField(Condition.NOT_COERCED.label)
    confirm = BooleanField(_l("Tôi xác nhận khoản đóng góp này đáp ứng đủ bốn điều kiện trên"))
    version = HiddenField()  # absent for a new entry; an edit is checked by inputs.posted_version

    def validate_in_kind(self, field):
        if self.amount_vnd.data is None and not (field.data or "").strip() and not self.amount_vnd.errors:
            raise ValidationError(_l("Nhập số tiền, hoặc mô tả hiện vật (có thể cả hai)."))

    def validate_confirm(self, field):
        if not field.data or self.kind.data != ResourceKind.CONTRIBUTION.value:
            return
        missing = [c for c in Condition if not self[c.column].data]
        if missing:
            raise ValidationError(
                _l(
                    "Chưa thể xác nhận: còn thiếu điều kiện %(missing)s.",
                    missing="; ".join(str(c.label) for c in missing),
                )
            )

    @property
    def conditions(self):
        return [self[c.column] for c in Condition]

    def values(self) -> dict:
        contribution = self.kind.data == ResourceKind.CONTRIBUTION.value
        return {
            "kind": ResourceKind(self.kind.data),
            "source": (self.source.data or "").strip(),
            "amount_vnd": self.amount_vnd.data,
            "in_kind": (self.in_kind.data or "").strip(),
            "purpose": (self.purpose.data or "").strip(),
            "received_on": self.received_on.data,
            **{c.column: contribution and bool(self[c.column].data) for c in Condition},
            "confirm": contribution and bool(self.confirm.data),
        }
