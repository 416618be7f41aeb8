"""Form fields shared by the features: dates as Vietnamese offices write them, checkbox lists."""
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

# dd/mm/yyyy as the ward writes dates; "-" and "." are accepted as separators too.
VN_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")


class VnDateField(StringField):
    """A date typed as dd/mm/yyyy, shown back the same way."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        match = VN_DATE.fullmatch(text)
        try:
            if not match:
                raise ValueError
            day, month, year = (int(part) for part in match.groups())
            if not 2000 <= year <= 2100:
                raise ValueError
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(_l("Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm, ví dụ 15/03/2026.")) from None


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
