"""A school's history in words: each audit event as a sentence a school's staff can read ("Cập nhật
trạng thái mục «…» (Mốc 3): Chưa thực hiện → Đã thực hiện"), with the item named by the plan's
label, stored codes in the vocabulary's words, dates as dd/mm/yyyy, and no hashes or byte counts
(those stay in /audit and `verify`). One page of events costs a fixed number of queries: the items
and activities the page names are loaded in one query each."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit import action_label, field_label, value_label
from ..extensions import db
from ..i18n import translate
from ..models import Activity, AuditEvent, ChecklistItem, DeliveryForm, User
from ..timeutil import LOCAL_TZ
from ..units import file_size
from .labels import capitalised, item_label

LOGIN_ACTIONS = ("auth.login",)
# Fields the history never shows: integrity data and internal ids (they stay in /audit and `verify`).
HIDDEN_FIELDS = {"sha256", "item_id", "activity_id", "inspection", "school", "deleted"}
ITEM_ACTIONS = {"item.update", "item.target_computed", "item.verdict"}


@dataclass
class Change:
    label: str
    after: str
    before: str | None = None  # None: the value is new, nothing to cross out


@dataclass
class Entry:
    event: AuditEvent
    when: str  # dd/mm/yyyy HH:MM in Hà Nội
    who: str  # "Nguyễn Thị Hoa (canbo-a)", or the username the event kept
    sentence: str
    changes: list[Change] = field(default_factory=list)


def school_events(school_id: int, page: int, page_size: int, with_logins: bool) -> tuple[list[AuditEvent], bool]:
    """One page of the school's events, newest first, and whether there are older ones."""
    query = select(AuditEvent).where(AuditEvent.school_id == school_id)
    if not with_logins:
        query = query.where(AuditEvent.action.not_in(LOGIN_ACTIONS))
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * page_size).limit(page_size + 1)
    ).all()
    return list(events[:page_size]), len(events) > page_size


def entries(events: list[AuditEvent]) -> list[Entry]:
    """The events as sentences; the items and activities they name are read in one query each."""
    items = _items(_objects(events, "ChecklistItem") | _ids(events, "item_id"))
    activities = _activities(_objects(events, "Activity") | _ids(events, "activity_id"))
    forms = _forms(
        {code for e in events if e.object_type == "Activity" and isinstance(code := (e.after or {}).get("form"), str)}
    )
    names = _full_names({e.actor_id for e in events if e.actor_id is not None})
    built = [_entry(event, items, activities, forms) for event in events]
    for entry in built:
        full_name = names.get(entry.event.actor_id or 0)
        if full_name:
            entry.who = f"{full_name} ({entry.event.actor_name})"
    return built


def local_datetime(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


# -- reading -------------------------------------------------------------------------------------


def _objects(events: list[AuditEvent], object_type: str) -> set[int]:
    return {e.object_id for e in events if e.object_type == object_type and e.object_id is not None}


def _ids(events: list[AuditEvent], key: str) -> set[int]:
    return {e.after[key] for e in events if isinstance(e.after, dict) and isinstance(e.after.get(key), int)}


def _items(ids: set[int]) -> dict[int, ChecklistItem]:
    if not ids:
        return {}
    query = select(ChecklistItem).where(ChecklistItem.id.in_(ids))
    query = query.options(
        joinedload(ChecklistItem.milestone),
        joinedload(ChecklistItem.target),
        joinedload(ChecklistItem.evidence_requirement),
    )
    return {item.id: item for item in db.session.scalars(query)}


def _full_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def _forms(codes: set[str]) -> dict[str, str]:
    """Delivery forms' names by code ("2.1" -> "Lồng ghép…"); the newest plan's name wins."""
    if not codes:
        return {}
    rows = db.session.execute(
        select(DeliveryForm.code, DeliveryForm.title).where(DeliveryForm.code.in_(codes)).order_by(DeliveryForm.id)
    )
    return {code: capitalised(title) for code, title in rows}


def _activities(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Activity.id, Activity.title).where(Activity.id.in_(ids))).all())


# -- writing the sentences -------------------------------------------------------------------------


def _entry(event: AuditEvent, items: dict[int, ChecklistItem], activities: dict[int, str], forms: dict) -> Entry:
    before, after = event.before or {}, event.after or {}
    entry = Entry(event, local_datetime(event.at), event.actor_name, translate(action_label(event.action)))
    if event.action in ITEM_ACTIONS:
        _item_entry(entry, items.get(event.object_id or 0), before, after)
    elif event.object_type == "EvidenceFile":
        _file_entry(entry, items, activities, before, after)
    elif event.object_type == "Activity":
        title = activities.get(event.object_id or 0) or after.get("title") or before.get("title") or ""
        entry.sentence = f"{entry.sentence} «{title}»"
        skip = {"title"} if event.action != "activity.update" else set()
        entry.changes = _changes(before, after, skip=skip, names={"form": forms})  # a form by its name
    elif event.object_type == "SelfEvaluation":
        entry.changes = _criteria(before.get("criteria") or {}, after.get("criteria") or {})
    elif event.object_type == "Inspection":
        day = _value(after.get("visit_on") or before.get("visit_on"))
        kind = _value(after.get("kind") or before.get("kind"))
        entry.sentence = translate("%(action)s ngày %(day)s (%(kind)s)", action=entry.sentence, day=day, kind=kind)
        entry.changes = _changes(before, after, skip={"visit_on", "kind"} if not before else set())
    else:
        entry.changes = _changes(before, after)
    return entry


def _item_name(item: ChecklistItem | None) -> tuple[str, str]:
    """("Mốc 3", "Xây dựng kế hoạch…") from the plan's label "Mốc 3: Xây dựng kế hoạch…"."""
    if item is None:
        return translate("mục đã bị xóa khỏi kế hoạch"), ""
    where, _, title = item_label(item).partition(": ")
    return title, where


def _named(item: ChecklistItem | None) -> str:
    title, where = _item_name(item)
    return f"«{title}» ({where})" if where else title


def _item_entry(entry: Entry, item: ChecklistItem | None, before: dict, after: dict) -> None:
    named = _named(item)
    changed = [key for key in ("status", "verdict") if key in after and before.get(key) != after[key]]
    note_changed = "note" in after and after["note"] != before.get("note", "")
    if entry.event.action == "item.target_computed":
        entry.sentence = translate("Trạng thái mục %(item)s được tính lại từ hoạt động", item=named)
    elif "verdict" in changed:
        entry.sentence = translate("Ghi kết luận kiểm tra mục %(item)s", item=named)
    elif changed and not note_changed:
        entry.sentence = translate("Cập nhật trạng thái mục %(item)s", item=named)
    elif note_changed and not changed:
        entry.sentence = translate("Sửa ghi chú mục %(item)s", item=named)
    else:
        entry.sentence = translate("Cập nhật mục %(item)s", item=named)
    if changed:
        key = changed[0]
        move = f"{_value(before[key])} → " if key in before else ""
        entry.sentence += f": {move}{_value(after[key])}"
    entry.changes = _changes(before, after, skip={"status", "verdict"})


def _file_entry(entry: Entry, items: dict, activities: dict, before: dict, after: dict) -> None:
    name = after.get("name") or before.get("name") or ""
    entry.sentence = f"{entry.sentence} «{name}»"
    if isinstance(after.get("size"), int):
        entry.sentence += f" ({file_size(after['size'])})"
    if isinstance(after.get("item_id"), int):
        entry.sentence += " " + translate("cho mục %(item)s", item=_named(items.get(after["item_id"])))
    elif isinstance(after.get("activity_id"), int) and after["activity_id"] in activities:
        entry.sentence += " " + translate("cho hoạt động «%(title)s»", title=activities[after["activity_id"]])
    entry.changes = _changes(before, after, skip={"name", "size"})


def _criteria(before: dict, after: dict) -> list[Change]:
    """A self-evaluation's criteria: the rating and the comment of each one that changed."""
    changes = []
    for number in sorted(after, key=lambda n: int(n) if str(n).isdigit() else 0):
        old, new = before.get(number) or {}, after[number] or {}
        label = translate("Tiêu chí %(number)s", number=number)
        if old.get("rating") != new.get("rating"):
            changes.append(Change(label, _value(new.get("rating")), _value(old.get("rating")) if old else None))
        if old.get("text") != new.get("text") and new.get("text"):
            changes.append(Change(translate("%(label)s — nhận xét", label=label), new["text"]))
    return changes


def _changes(before: dict, after: dict, skip: set[str] = frozenset(), names: dict | None = None) -> list[Change]:  # type: ignore[assignment]
    """The fields that changed (all of them for a new record), in the vocabulary's words; `names`
    gives the words of a field's codes (an activity's delivery form)."""
    changes = []
    names = names or {}
    for key in [*after, *(k for k in before if k not in after)]:
        if key in skip or key in HIDDEN_FIELDS:
            continue
        if key in before and before[key] == after.get(key):
            continue
        new = _named_value(names, key, after.get(key))
        if key not in before or before[key] in ("", None):  # a new value: nothing to cross out
            if new and after.get(key) is not False:  # "Hạn chế: không" on a new file says nothing
                changes.append(Change(translate(field_label(key)), new))
            continue
        old = _named_value(names, key, before[key])
        changes.append(Change(translate(field_label(key)), new, old))
    return changes


def _named_value(names: dict, key: str, value) -> str:
    named = names.get(key, {}).get(value) if isinstance(value, str) else None
    return named or _value(value, key)


def _value(value, key: str = "") -> str:
    if key == "size" and isinstance(value, int):
        return file_size(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            pass
    if isinstance(value, str) and len(value) > 10 and value[10] == "T":
        try:
            return local_datetime(datetime.fromisoformat(value))
        except ValueError:
            pass
    if isinstance(value, dict):
        return "; ".join(f"{translate(field_label(k))}: {_value(v, k)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    return value_label(value)
