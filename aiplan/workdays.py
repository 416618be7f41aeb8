"""Working days: which days of a school year a deadline may fall on, and why a date moved.

A deadline computed from the plan's timing (the end of "Đầu HK II", the day before "trước ngày
15/6/2026") can land on a weekend, on Tết or on a day the ward closes. Nobody works then, so the
due date is moved back to the last working day before it, and the page says why. Vietnam's public
holidays come from the `holidays` library (which knows the lunar Tết and the bridge days the
government moves); the ward adds its own days off in the calendar editor.

Pure functions over dates: the holiday table is computed once per set of years and kept, and a
WorkCalendar is built once per sync from the year's days off (no query inside a loop).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Monday = 0 … Sunday = 6, as date.weekday() counts.
WEEKDAYS = (_l("Thứ hai"), _l("Thứ ba"), _l("Thứ tư"), _l("Thứ năm"), _l("Thứ sáu"), _l("Thứ bảy"), _l("Chủ nhật"))
WEEKEND = frozenset({5, 6})


@lru_cache(maxsize=32)
def public_holidays(years: tuple[int, ...], language: str = "vi") -> Mapping[date, str]:
    """Vietnam's public holidays (days off work) in `years`, named in `language` ("vi" or "en_US")."""
    table = holidays.country_holidays("VN", years=list(years), language=language)
    return dict(sorted(table.items()))


def _language() -> str:
    """The holiday library's language for the page's locale (Vietnamese outside a request)."""
    try:
        locale = get_locale()
    except RuntimeError:  # no app context: the CLI, a test of the pure functions
        locale = None
    return "en_US" if locale is not None and locale.language == "en" else "vi"


@dataclass(frozen=True)
class WorkCalendar:
    """The days nobody works in a span of years: weekends, public holidays, the ward's days off."""

    holidays: Mapping[date, str]
    days_off: Mapping[date, str]  # the ward's own, with the reason it gave

    @classmethod
    def for_years(cls, years: Iterable[int], days_off: Mapping[date, str]) -> "WorkCalendar":
        return cls(public_holidays(tuple(sorted(set(years))), _language()), dict(days_off))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in WEEKEND and day not in self.holidays and day not in self.days_off

    def on_or_before(self, day: date) -> date:
        """The last working day on or before `day`: where the end of a timing's window lands."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def before(self, day: date) -> date:
        """The last working day before `day`: what "trước ngày X" asks for."""
        return self.on_or_before(day - timedelta(days=1))

    def due(self, planned: date) -> tuple[date, date | None]:
        """A computed date as a due date: (the working day it lands on, `planned` if it moved, else None)."""
        due = self.on_or_before(planned)
        return due, (planned if due != planned else None)

    def has_working_day(self, start: date, end: date) -> bool:
        """Whether a window holds at least one working day (a deadline can fall inside it)."""
        return start <= end and self.on_or_before(end) >= start

    def reason(self, day: date) -> str | None:
        """Why nobody works on `day`, in the page's language; None on a working day."""
        if day in self.days_off:
            return _("ngày nghỉ của phường: %(reason)s", reason=self.days_off[day])
        if day in self.holidays:
            return self.holidays[day]
        if day.weekday() in WEEKEND:
            return str(WEEKDAYS[day.weekday()])
        return None

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """The public holidays from `start` to `end`, for the calendar editor's review."""
        return [(day, name) for day, name in self.holidays.items() if start <= day <= end]

    def why(self, planned: date, due: date) -> str:
        """Why a due date is not the date the plan's timing gave, e.g. "15/02/2026 là Chủ nhật; tiếp
        theo là nghỉ Tết Nguyên Đán (16/02–20/02/2026) → hạn lùi về 13/02/2026"."""
        parts = [_("%(day)s là %(reason)s", day=f"{planned:%d/%m/%Y}", reason=self.reason(planned) or "")]
        skipped = [
            day
            for offset in range(1, (planned - due).days)
            if (day := planned - timedelta(days=offset)).weekday() not in WEEKEND
        ]
        if skipped:  # weekends go without saying; holidays and days off on the way back are named
            names = list(dict.fromkeys(self.reason(day) or "" for day in reversed(skipped)))
            parts.append(_("các ngày trước đó cũng nghỉ (%(names)s)", names=", ".join(names)))
        after = planned + timedelta(days=1)
        run_end = after
        while run_end + timedelta(days=1) in self.holidays or run_end + timedelta(days=1) in self.days_off:
            run_end += timedelta(days=1)
        if after in self.holidays or after in self.days_off:
            # Why not move it forward: the days after are off too (Tết right after "Đầu HK II").
            parts.append(
                _(
                    "tiếp theo là nghỉ %(name)s (%(start)s–%(end)s)",
                    name=self.reason(after),
                    start=f"{after:%d/%m}",
                    end=f"{run_end:%d/%m/%Y}",
                )
            )
        return _("%(why)s → hạn lùi về %(due)s", why="; ".join(parts), due=f"{due:%d/%m/%Y}")
