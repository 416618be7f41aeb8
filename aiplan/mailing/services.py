"""The writes of the mail feature that people make: an account's digest frequency, from the
account page or the one-click link in a mail. Audited like every write."""

from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..inputs import fingerprint
from ..models import DigestFrequency, User


class StalePreference(Exception):
    """The choice changed since the form was shown (another tab, the link in a mail)."""


BAD_CHOICE = _l("Chọn một trong: mỗi ngày, mỗi tuần, hoặc không nhận thư.")


def preference_values(user: User) -> dict:
    return {"digest_frequency": user.digest_frequency.value}


def set_frequency(user: User, frequency: DigestFrequency, *, actor, version: str | None = None, how: str) -> bool:
    """Set how often the account is mailed, audited, committed. `version`: the fingerprint the form
    showed (StalePreference if it no longer holds). `how`: "account" or "unsubscribe_link"."""
    try:
        db.session.refresh(user, with_for_update=True)
        if version is not None and fingerprint(preference_values(user)) != version:
            raise StalePreference()
        if user.digest_frequency is frequency:
            db.session.rollback()
            return False
        before = preference_values(user)
        user.digest_frequency = frequency
        audit.record(
            "user.mail_preference",
            user,
            school_id=user.school_id,
            ward_id=user.ward_id,
            actor=actor,
            before=before,
            after=preference_values(user) | {"how": how},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True
