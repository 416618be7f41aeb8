"""Giving a checklist item its owner. The school and the item come from the URL; the accounts offered
are the school's own staff (the view sets the choices)."""

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

    def offer(self, staff) -> "DutyForm":
        """Offer the school's staff (and "nobody" as the owner)."""
        people = [(str(user.id), user.display_name) for user in staff]
        self.assignee.choices = [("", str(_l("— Chưa phân công —")))] + people
        self.co_owners.choices = people
        return self
