"""Giving a checklist item its owner. The school and the item come from the URL; the accounts named
must be the school's own staff (duties.services checks it: the form lists no choices of its own)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..fields import VersionField


class DutyForm(FlaskForm):
    assignee = SelectField(
        _l("Người phụ trách"),
        validators=[Optional()],
        validate_choice=False,  # the service says, in Vietnamese, who may own the item
    )
    co_owners = SelectMultipleField(
        _l("Người phối hợp"),
        validators=[Optional()],
        validate_choice=False,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    version = VersionField()
