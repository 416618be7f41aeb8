"""The app's vocabulary: each code it stores (a status, a verdict, a rating, a role…) declared once
with the words people read for it, so that pages, exports and documents never word it differently.

A member is declared as `CODE = "stored_value", _l("Nhãn"), "icon", _l("Nhãn ngắn")`:
- `label`: the full words, a lazy_gettext string, translated when it is shown (the Vietnamese is the
  msgid, as for every string of the app);
- `icon`: the glyph the pages draw beside it ("" where they draw none), never the only sign;
- `short`: the short words of the narrow places (the rollup matrix); the label when there are none.

Official documents and data exports are built under `force_locale("vi")`
(aiplan/documents/language.py), so the same labels print in Vietnamese whoever downloads them.
"""

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self, TypeVar

from flask import has_app_context
from flask_babel import get_locale
from flask_babel.speaklater import LazyString

_Member = TypeVar("_Member", bound="Vocabulary")


def _new_member(
    cls: type[_Member], value: str, label: LazyString, icon: str = "", short: LazyString | None = None
) -> _Member:
    """Make one member from its declaration `CODE = value, label, icon, short`."""
    member = str.__new__(cls, value)
    member._value_ = value
    member._label = label
    member.icon = icon
    member._short = label if short is None else short
    return member


_TRANSLATED: dict[tuple[int, str], str] = {}


def translated(text: LazyString) -> str | LazyString:
    """`text` in the current language, translated once per language and kept: an export of 3,000
    schools reads some 90,000 labels, and translating each one again costs about a second. Outside
    an app context (import time, a bare script) the lazy string itself."""
    if not has_app_context():
        return text
    locale = get_locale()
    key = (id(text), locale.language if locale is not None else "")  # the app's languages have no territory
    if key not in _TRANSLATED:
        _TRANSLATED[key] = str(text)
    return _TRANSLATED[key]


class Vocabulary(enum.StrEnum):
    """A StrEnum whose members carry their label, icon and short label (see the module)."""

    _label: LazyString
    _short: LazyString
    icon: str

    @property
    def label(self) -> str | LazyString:
        return translated(self._label)

    @property
    def short(self) -> str | LazyString:
        return translated(self._short)

    # Enum calls the class's __new__ only to make the members; once the class is made it puts its own
    # __new__ in that place, so `Role("admin")` looks a member up by its stored value. mypy reads the
    # class's __new__ as its constructor, so it is shown the lookup, and the member maker is the
    # module's function above (typed and checked there).
    if TYPE_CHECKING:

        def __new__(cls, value: str) -> Self: ...

    else:
        __new__ = _new_member


@dataclass(frozen=True)
class Term:
    """A word of the vocabulary that is not a stored value (a state shown from several columns)."""

    value: str
    label: LazyString
    icon: str = ""
    short: LazyString | None = None

    def __post_init__(self):
        if self.short is None:
            object.__setattr__(self, "short", self.label)
