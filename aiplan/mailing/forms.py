from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import AnyOf, InputRequired

from ..fields import FingerprintField, SelectChoice
from ..inputs import fingerprint
from ..models import DigestFrequency, User
from .services import BAD_CHOICE, preference_values


class PreferenceForm(FlaskForm):
    """How often the account is mailed (the account page)."""

    digest_frequency = RadioField(
        _l("Nhận thư nhắc việc"),
        choices=[SelectChoice(f.value, f.label) for f in DigestFrequency],
        validate_choice=False,  # AnyOf says it in Vietnamese
        validators=[InputRequired(BAD_CHOICE), AnyOf([f.value for f in DigestFrequency], message=BAD_CHOICE)],
    )
    version = FingerprintField()  # the choice as shown: a save over a change made meanwhile is refused


def preference_form(user: User) -> PreferenceForm:
    """The form as the account page first shows it."""
    return PreferenceForm(
        formdata=None, digest_frequency=user.digest_frequency.value, version=fingerprint(preference_values(user))
    )
