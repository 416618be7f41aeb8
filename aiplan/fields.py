"""Form fields shared by the features: dates as Vietnamese offices write them, checkbox lists,
and the version or fingerprint an edit form carries."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, StopValidation
from wtforms.widgets import CheckboxInput, DateInput, HiddenInput, ListWidget

from .inputs import BAD_VERSION, is_fingerprint, parse_version

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs, which 3.3 deprecates

    def SelectChoice(value, label):
        return value, label


# dd/mm/yyyy as the ward writes dates; "-" and "." are accepted as separators too.
VN_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")
# yyyy-mm-dd, what a browser's date picker submits.
ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")


class VnDateField(StringField):
    """A date asked with the browser's date picker (<input type="date">, which submits and shows
    back yyyy-mm-dd); dd/mm/yyyy typed by a person whose browser has no picker is accepted too."""

    widget = DateInput()

    def _value(self):
        # A date input shows only an ISO value: what was typed is shown back as ISO when it was a
        # date, and as typed otherwise (the browser clears it, and the error says what to type).
        if self.data:
            return self.data.isoformat()
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        match = VN_DATE.fullmatch(text)
        iso = ISO_DATE.fullmatch(text)
        try:
            if iso:
                year, month, day = (int(part) for part in iso.groups())
            elif match:
                day, month, year = (int(part) for part in match.groups())
            else:
                raise ValueError
            if not 2000 <= year <= 2100:
                raise ValueError
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(_l("Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm, ví dụ 15/03/2026.")) from None

    def pre_validate(self, form):
        """Only spaces typed is nothing typed: InputRequired, which sees text, would let a required
        date through as None, so it asks here with that validator's own message."""
        if self.data is None and not self.process_errors:
            for validator in self.validators:
                if isinstance(validator, InputRequired):
                    raise StopValidation(validator.message or _l("Nhập ngày."))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _HiddenWithError(HiddenInput):
    """A hidden input that shows its error beside it: pages list their visible fields' errors,
    and a refused version would otherwise be a 422 with no word about why."""

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        if field.errors:
            html += Markup('<p class="flash flash-error" role="alert">{}</p>').format(" ".join(map(str, field.errors)))
        return html


class _StampField(HiddenField):
    """What VersionField and FingerprintField share: a hidden stamp of what the form was loaded
    at, without which the form is refused with a message to reload, shown beside it."""

    widget = _HiddenWithError()

    def _value(self):
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form):
        # A POST with no fields at all is not processed as form data, so process_formdata never ran.
        if self.data is None and not self.errors:
            raise StopValidation(BAD_VERSION)


class VersionField(_StampField):
    """The version of the record a form was loaded at: ASCII digits as the app writes them, or
    the form is refused with a message to reload (inputs.parse_version)."""

    data: int | None

    def process_formdata(self, valuelist):
        self.data = parse_version(valuelist[0] if valuelist else None)
        if self.data is None:
            raise ValueError(BAD_VERSION)

    @property
    def valid_data(self) -> int:
        """The version, in a form that validated (one without a good version is refused)."""
        assert self.data is not None
        return self.data


class FingerprintField(_StampField):
    """The fingerprint of the values an edit form showed (inputs.fingerprint), in its exact shape."""

    data: str | None

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else None
        self.data = text if is_fingerprint(text) else None
        if self.data is None:
            raise ValueError(BAD_VERSION)

    @property
    def valid_data(self) -> str:
        """The fingerprint, in a form that validated (one without a good fingerprint is refused)."""
        assert self.data is not None
        return self.data


def error_text(form) -> str:
    """A form's messages as one line, for a component that shows them together (they may be lazy
    strings, which str.join does not take)."""
    return " ".join(str(message) for messages in form.errors.values() for message in messages)
