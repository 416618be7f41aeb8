"""Reading the audit log for the ward admins' viewer: filters, one page of events, and what
each event changed. Every query is scoped to one ward."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..audit import ACTION_LABELS
from ..extensions import db
from ..models import Activity, AuditEvent, ChecklistItem, EvidenceFile, School, User
from ..timeutil import LOCAL_TZ

PAGE_SIZE = 50
MAX_ID = 2**31 - 1  # the largest event id a page cursor may name: the column is a 32-bit integer
FIRST_YEAR, LAST_YEAR = 2000, 2100  # dates outside are typing mistakes, and beyond what the database takes
SYSTEM = "he-thong"  # the "user" filter's value for events without an account (commands, jobs)

# The kinds of change, grouped for the filter's <optgroup>s by the action's prefix.
ACTION_GROUPS = [
    (_l("Tài khoản"), ("auth.", "user.")),
    (_l("Kế hoạch và năm học"), ("plan.", "year.")),
    (_l("Trường"), ("school.",)),
    (_l("Checklist"), ("item.",)),
    (_l("Hoạt động và tự đánh giá"), ("activity.", "self_evaluation.")),
    (_l("Minh chứng"), ("evidence.",)),
    (_l("Kiểm tra"), ("inspection.",)),
    (_l("Báo cáo"), ("report_text.", "upward_report.")),
]
OBJECT_TYPES = {
    "Plan": _l("Kế hoạch"),
    "SelfEvaluation": _l("Bản tự đánh giá"),
    "ReportText": _l("Báo cáo"),
    "UpwardReport": _l("Báo cáo gửi Sở GD&ĐT"),
    "Inspection": _l("Đợt kiểm tra"),
    "InspectionDecision": _l("Quyết định thành lập đoàn kiểm tra"),
    "School": _l("Trường"),
    "User": _l("Tài khoản"),
    "Ward": _l("Phường"),
    "Milestone": _l("Mốc"),
    "Target": _l("Chỉ tiêu"),
    "EvidenceRequirement": _l("Minh chứng của chỉ tiêu"),
    "SchoolYear": _l("Năm học"),
}


@dataclass
class AuditFilter:
    """The viewer's GET parameters, checked: unknown values are dropped, bad dates explained."""

    school: School | None = None
    user: str = ""  # an account id, SYSTEM, or ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    raw: dict[str, str] = field(default_factory=dict)  # what was typed, to show it back
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        """The filter as query parameters, for the pager's links."""
        return {key: value for key, value in self.raw.items() if value and key not in self.errors}


def action_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(action, label)]) for the filter; actions of no group come last."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    seen: set[str] = set()
    for label, prefixes in ACTION_GROUPS:
        actions = [(a, ACTION_LABELS[a]) for a in ACTION_LABELS if a.startswith(prefixes)]
        seen.update(a for a, _ in actions)
        if actions:
            groups.append((str(label), actions))
    rest = [(a, ACTION_LABELS[a]) for a in ACTION_LABELS if a not in seen]
    if rest:
        groups.append((_("Khác"), rest))
    return groups


def parse_filter(args, schools: list[School], users: list[User]) -> AuditFilter:
    raw = {key: args.get(key, "").strip() for key in ("truong", "nguoi", "loai", "tu", "den")}
    found = AuditFilter(raw=raw)
    found.school = next((s for s in schools if s.slug == raw["truong"]), None)
    if raw["nguoi"] == SYSTEM or raw["nguoi"] in {str(u.id) for u in users}:
        found.user = raw["nguoi"]
    if raw["loai"] in ACTION_LABELS:
        found.action = raw["loai"]
    found.date_from = _parse_date(raw["tu"], "tu", found)
    found.date_to = _parse_date(raw["den"], "den", found)
    if found.date_from and found.date_to and found.date_from > found.date_to:
        found.errors["den"] = _("“Đến ngày” phải từ “Từ ngày” trở về sau.")
        found.date_to = None
    return found


def _parse_date(text: str, key: str, found: AuditFilter) -> date | None:
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):  # dd/mm/yyyy as typed; ISO from a date picker
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            return day
        found.errors[key] = _(
            "Ngày “%(text)s” phải trong khoảng từ năm %(first)d đến năm %(last)d.",
            text=text,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
        return None
    found.errors[key] = _(
        "Ngày “%(text)s” không hợp lệ; hãy nhập theo dạng ngày/tháng/năm, ví dụ 05/09/2025.", text=text
    )
    return None


def ward_schools(ward_id: int) -> list[School]:
    return list(db.session.scalars(select(School).where(School.ward_id == ward_id).order_by(School.name)))


def ward_users(ward_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.ward_id == ward_id).order_by(User.username)))


def events_page(
    ward_id: int,
    found: AuditFilter,
    *,
    older_than: int | None = None,
    newer_than: int | None = None,
    size: int | None = None,
) -> tuple[Sequence[AuditEvent], bool, bool]:
    """One page of the ward's events, newest first, keyset-paged on id (fast at any depth). Not on
    seq: the ward's events before the log was split by ward are numbered in the legacy chain.

    Returns the events and whether newer and older events match the filter beyond this page.
    """
    size = size or PAGE_SIZE
    conditions = [_in_ward(ward_id), *_conditions(found)]
    query = select(AuditEvent).where(*conditions)
    if newer_than is not None:  # "Trang trước": the `size` events just above, read upwards
        rows = db.session.scalars(query.where(AuditEvent.id > newer_than).order_by(AuditEvent.id).limit(size + 1)).all()
        has_newer, rows = len(rows) > size, rows[:size][::-1]
        has_older = _any(conditions, AuditEvent.id <= newer_than)
    else:
        if older_than is not None:
            query = query.where(AuditEvent.id < older_than)
        rows = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(size + 1)).all()
        has_older, rows = len(rows) > size, rows[:size]
        has_newer = older_than is not None and _any(conditions, AuditEvent.id >= older_than)
    return rows, has_newer, has_older


def _any(conditions: list, beyond) -> bool:
    return bool(db.session.scalar(select(select(AuditEvent.id).where(*conditions, beyond).exists())))


def _in_ward(ward_id: int):
    """The ward's events: of the ward, of one of its schools, or (logins) by one of its accounts."""
    return or_(
        AuditEvent.ward_id == ward_id,
        AuditEvent.school_id.in_(select(School.id).where(School.ward_id == ward_id)),
        and_(
            AuditEvent.ward_id.is_(None),
            AuditEvent.school_id.is_(None),
            AuditEvent.actor_id.in_(select(User.id).where(User.ward_id == ward_id)),
        ),
    )


def _conditions(found: AuditFilter) -> list:
    conditions = []
    if found.school is not None:
        conditions.append(AuditEvent.school_id == found.school.id)
    if found.user == SYSTEM:
        conditions.append(AuditEvent.actor_id.is_(None))
    elif found.user:
        conditions.append(AuditEvent.actor_id == int(found.user))
    if found.action:
        conditions.append(AuditEvent.action == found.action)
    if found.date_from:
        conditions.append(AuditEvent.at >= _local_midnight(found.date_from))
    if found.date_to:
        conditions.append(AuditEvent.at < _local_midnight(found.date_to + timedelta(days=1)))
    return conditions


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ)


def object_names(events: Sequence[AuditEvent], schools: list[School], users: list[User]) -> dict[tuple[str, int], str]:
    """(object type, id) → what to call it: an item's title, a file's or an activity's name…
    One query per kind of object on the page, whatever its size."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    names = {("School", s.id): s.name for s in schools} | {("User", u.id): u.username for u in users}
    if ids := wanted.get("ChecklistItem"):
        items = db.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.id.in_(ids))
            .options(
                joinedload(ChecklistItem.milestone),
                joinedload(ChecklistItem.target),
                joinedload(ChecklistItem.evidence_requirement),
            )
        )
        names |= {("ChecklistItem", i.id): i.title for i in items}
    if ids := wanted.get("Activity"):
        names |= {
            ("Activity", i): title
            for i, title in db.session.execute(select(Activity.id, Activity.title).where(Activity.id.in_(ids)))
        }
    if ids := wanted.get("EvidenceFile"):
        names |= {
            ("EvidenceFile", i): name
            for i, name in db.session.execute(
                select(EvidenceFile.id, EvidenceFile.original_name).where(EvidenceFile.id.in_(ids))
            )
        }
    return names


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, object_type))


@dataclass
class Change:
    field: str
    before: Any = None
    after: Any = None
    has_before: bool = False
    has_after: bool = False


def changes(event: AuditEvent) -> list[Change]:
    """The fields an event changed: all of them for a creation (after) or deletion (before),
    else only those whose value differs."""
    before, after = event.before or {}, event.after or {}
    keys = list(after) + [key for key in before if key not in after]
    if event.before is not None and event.after is not None:
        keys = [key for key in keys if before.get(key) != after.get(key)]
    return [Change(key, before.get(key), after.get(key), key in before, key in after) for key in keys]
