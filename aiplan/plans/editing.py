"""Editing a plan from the browser: the year's calendar, deadlines and milestones (targets and their
evidence are in target_editing.py), and loading a plan file sent through the upload form.

Every change is checked first (messages per form field, in Vietnamese), then written with its
audit record (before → after) and a checklist sync, so due dates and required flags follow at
once, in one transaction. Plan rows carry no version column: each form carries a fingerprint
of what it showed, and a save is refused (StaleEdit → 409) when the stored part no longer has
that fingerprint, so a second editor never overwrites the first unseen.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..checklists.services import items_for_school, items_for_ward, items_with_files, sync_checklists
from ..extensions import db
from ..inputs import fingerprint  # the one shape that FingerprintField accepts
from ..models import ChecklistItem, Deadline, Inspection, Milestone, Owner, Plan, RequiredOf, School, Timing
from ..workdays import WorkCalendar
from .services import LoadReport, load_plan
from .spec import CALENDAR_FIELDS, PlanFileError, parse_plan

CONFIRM_LABEL = "Tôi hiểu: các mục đã có tiến độ sẽ được giữ lại ở dạng lưu trữ"
CALENDAR_RULES = (
    # (field, must be, than field, message): each message is shown beside its first field.
    ("hk1_end", ">", "hk1_start", "Ngày kết thúc HK I phải sau ngày bắt đầu HK I ({other})."),
    ("hk2_start", ">", "hk1_end", "HK II phải bắt đầu sau khi HK I kết thúc ({other})."),
    ("hk2_end", ">", "hk2_start", "Ngày kết thúc HK II phải sau ngày bắt đầu HK II ({other})."),
    ("midterm_start", ">=", "hk2_start", "Đợt kiểm tra giữa HK II phải bắt đầu trong HK II, không trước ngày {other}."),
    ("midterm_end", ">=", "midterm_start", "Ngày kết thúc đợt kiểm tra không được trước ngày bắt đầu đợt ({other})."),
    ("midterm_end", "<=", "hk2_end", "Đợt kiểm tra giữa HK II phải kết thúc trong HK II, không sau ngày {other}."),
    ("ends_on", ">=", "hk2_end", "Ngày kết thúc năm học không được trước ngày kết thúc HK II ({other})."),
    ("closes_on", ">=", "ends_on", "Hạn sơ kết, tổng kết không được trước ngày kết thúc năm học ({other})."),
)
DAY_MONTH = re.compile(r"\s*(\d{1,2})/(\d{1,2})\s*")
UPLOAD_LIMIT = 1024 * 1024


class PlanEditError(ValueError):
    """A change that cannot be made; `errors` maps a form field to its message (Vietnamese)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class WouldRetire(PlanEditError):
    """The change takes items with recorded work out of the checklists; saved only once confirmed."""

    def __init__(self, items: list[ChecklistItem]):
        schools = {item.school_id for item in items if item.school_id is not None}
        whose = f"{len(schools)} trường" + (" và phường" if len(schools) < len({i.school_id for i in items}) else "")
        super().__init__(
            {
                "confirm": (
                    f"Chưa lưu: {whose} đã ghi nhận tiến độ (trạng thái, ghi chú, minh chứng hoặc kết luận kiểm tra) "
                    f"trên {len(items)} mục mà thay đổi này bỏ khỏi danh mục việc. Nếu vẫn lưu, các mục đó "
                    f"được giữ lại ở dạng lưu trữ, không bị xóa: đánh dấu ô “{CONFIRM_LABEL}” rồi lưu lại."
                )
            }
        )
        self.items = items


class StaleEdit(Exception):
    """The part of the plan changed since the form was loaded."""


def line(value: str | None) -> str:
    """Text typed into a one-line field: NFC, no control characters, single spaces, trimmed."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value)
    return re.sub(r"\s+", " ", value).strip()


# -- the calendar -----------------------------------------------------------------------------
def calendar_values(plan: Plan) -> dict:
    return {name: getattr(plan.school_year, name).isoformat() for name in CALENDAR_FIELDS}


def calendar_problems(days: Mapping[str, date | None]) -> dict[str, str]:
    """The order a school year's dates must keep, one message per field that breaks it."""
    problems = {}
    holds = {">": date.__gt__, ">=": date.__ge__, "<=": date.__le__}
    for name, relation, than, message in CALENDAR_RULES:
        day, other = days.get(name), days.get(than)
        if day and other and not holds[relation](day, other) and name not in problems:
            problems[name] = message.format(other=f"{other:%d/%m/%Y}")
    return problems


def update_calendar(plan: Plan, days: dict[str, date], *, version: str, actor) -> bool:
    """Set the year's term dates, inspection window and ends; due dates follow. Commits.
    Returns whether anything changed."""
    problems = calendar_problems(days)
    if problems:
        raise PlanEditError(problems)
    with PlanEdit(plan, version, calendar_values) as edit:
        year = plan.school_year
        for name in CALENDAR_FIELDS:
            setattr(year, name, days[name])
        empty = empty_windows(plan, year.work_calendar())
        if empty:
            raise PlanEditError({"calendar": empty})
        return record_change("plan.calendar", year, plan, edit.before, calendar_values(plan), actor)


def plan_timings(plan: Plan) -> list[Timing]:
    """The timings the plan's milestones, targets and evidence use, in the year's order."""
    used = {m.timing for m in plan.milestones} | {t.timing for t in plan.targets}
    used |= {e.timing for t in plan.targets for e in t.evidence}
    return [timing for timing in Timing if timing in used]


def empty_windows(plan: Plan, workdays: WorkCalendar) -> str | None:
    """A message naming the plan's timing windows left without a working day (weekends, public
    holidays and the ward's days off cover them whole), where no due date could fall; else None."""
    year = plan.school_year
    empty = [
        f"“{timing.label}” ({start:%d/%m/%Y} – {end:%d/%m/%Y})"
        for timing in plan_timings(plan)
        for start, end in [year.window(timing)]
        if not workdays.has_working_day(start, end)
    ]
    if not empty:
        return None
    return _(
        "Chưa lưu: %(windows)s không còn ngày làm việc nào (cuối tuần, nghỉ lễ và ngày nghỉ của phường "
        "phủ kín), nên không có hạn nào rơi được vào đó. Bỏ bớt ngày nghỉ hoặc sửa lịch năm học.",
        windows=", ".join(empty),
    )


def visits_outside_window(plan: Plan) -> int:
    """Scheduled visits that the (changed) mid-HK II window no longer holds."""
    year = plan.school_year
    return len(
        db.session.scalars(
            select(Inspection.id).where(
                Inspection.plan_id == plan.id,
                (Inspection.visit_on < year.midterm_start) | (Inspection.visit_on > year.midterm_end),
            )
        ).all()
    )


# -- the plan's header ------------------------------------------------------------------------
def header_values(plan: Plan) -> dict:
    return {
        "number": plan.number,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "signer": plan.signer,
        "signer_title": plan.signer_title,
    }


def update_header(plan: Plan, values: dict, *, version: str, actor) -> bool:
    """Set the plan's number, issue date and signer, which every citation of the plan prints
    ("Kế hoạch số 123/KH-UBND ngày 10/01/2026 của …"). Commits; returns whether anything changed."""
    text = {name: line(values.get(name)) for name in ("number", "signer", "signer_title")}
    issued_on = values.get("issued_on")
    errors = _required(text, {"number": "Nhập số, ký hiệu của kế hoạch, ví dụ 123/KH-UBND."})
    if len(text["number"]) > 80:
        errors["number"] = "Tối đa 80 ký tự."
    errors |= {name: "Tối đa 200 ký tự." for name in ("signer", "signer_title") if len(text[name]) > 200}
    year = plan.school_year
    if issued_on is not None and not (date(year.hk1_start.year - 1, 1, 1) <= issued_on <= year.closes_on):
        errors["issued_on"] = (
            f"Ngày ban hành phải trong khoảng từ 01/01/{year.hk1_start.year - 1} "
            f"đến khi năm học {year.name} khép lại ({year.closes_on:%d/%m/%Y})."
        )
    if errors:
        raise PlanEditError(errors)
    with PlanEdit(plan, version, header_values) as edit:
        plan.number, plan.signer, plan.signer_title = text["number"], text["signer"], text["signer_title"]
        plan.issued_on = issued_on
        return record_change("plan.header", plan, plan, edit.before, header_values(plan), actor)


# -- deadlines ------------------------------------------------------------------------------
def deadline_values(deadline: Deadline) -> dict:
    return {
        "title": deadline.title,
        "owner_text": deadline.owner_text,
        "before": deadline.before.isoformat() if deadline.before else None,
        "yearly_before": deadline.yearly_before,
    }


def day_month(text: str | None) -> str | None:
    """ "9/6" or "09/06" as the plan file keeps it ("09/06"); None if it is not a day of the year."""
    match = DAY_MONTH.fullmatch(text or "")
    if not match:
        return None
    day, month = int(match[1]), int(match[2])
    try:
        date(2024, month, day)  # a leap year accepts 29/02
    except ValueError:
        return None
    return f"{day:02d}/{month:02d}"


def update_deadline(plan: Plan, deadline: Deadline, values: dict, *, version: str, actor) -> bool:
    """Set a deadline's title, who owes it and its date ("trước ngày …" once, or every year). Commits."""
    values = {
        "title": line(values.get("title")),
        "owner_text": line(values.get("owner_text")),
        "before": values.get("before"),
        "yearly_before": values.get("yearly_before"),
    }
    required = {"title": "Nhập nội dung thời hạn."}
    if deadline.sender is not None:  # the yearly rule of Phụ lục I.3 names nobody, and stays so
        required["owner_text"] = "Nhập đơn vị thực hiện."
    errors = _required(values, required)
    if (values["before"] is None) == (values["yearly_before"] is None):
        errors["before"] = "Chọn một: hạn là một ngày cụ thể, hoặc một ngày hằng năm (ngày/tháng)."
    elif values["yearly_before"] is not None and day_month(values["yearly_before"]) != values["yearly_before"]:
        errors["yearly_before"] = "Nhập ngày hằng năm dạng ngày/tháng, ví dụ 09/06."
    elif values["before"] is not None:
        problem = chain_problem(plan, deadline, values["before"])
        if problem:
            errors["before"] = problem
    if len(values["owner_text"]) > 200:
        errors["owner_text"] = "Tối đa 200 ký tự."
    if errors:
        raise PlanEditError(errors)
    with PlanEdit(plan, version, lambda p: deadline_values(deadline)) as edit:
        for name, value in values.items():
            setattr(deadline, name, value)
        return record_change("plan.deadline", deadline, plan, edit.before, deadline_values(deadline), actor)


def chain_problem(plan: Plan, deadline: Deadline, before: date) -> str | None:
    """Why `before` breaks the reporting chain, if it does: a report may not be due after the report
    that consolidates it (the schools' after the Phòng VHXH's 12/6), nor a consolidation before a
    report it is made from."""
    receiver = plan.deadline(deadline.feeds) if deadline.feeds else None
    if receiver is not None and receiver.before and before > receiver.before:
        return (
            f"Hạn này phải không muộn hơn ngày {receiver.before:%d/%m/%Y}: "
            f"{receiver.owner_text or 'đơn vị nhận'} tổng hợp báo cáo này và phải báo cáo "
            f"trước ngày {receiver.before:%d/%m/%Y} ({receiver.title})."
        )
    for sender in plan.deadlines:
        if sender.feeds == deadline.key and sender.before and before < sender.before:
            return (
                f"Hạn này phải không sớm hơn ngày {sender.before:%d/%m/%Y}: báo cáo “{sender.title}” "
                f"gửi đến trước ngày {sender.before:%d/%m/%Y} được tổng hợp vào báo cáo này."
            )
    return None


# -- milestones -----------------------------------------------------------------------------
def milestone_values(milestone: Milestone) -> dict:
    return {
        "title": milestone.title,
        "timing": milestone.timing.value,
        "timing_text": milestone.timing_text,
        "owners": [owner.value for owner in milestone.owners],
        "owner_text": milestone.owner_text,
        "required_of": milestone.required_of.value,
        "school_deadline": milestone.school_deadline_key,
        "ward_deadline": milestone.ward_deadline_key,
    }


def update_milestone(
    plan: Plan, milestone: Milestone, values: dict, *, version: str, actor, confirm: bool = False
) -> bool:
    """Set a milestone's title, timing and owners (and which deadlines it follows). Commits.

    A change that would take items with recorded work out of the schools' checklists (the
    schools no longer own the milestone) raises WouldRetire unless `confirm`ed; those items are
    then kept as retired, never deleted.
    """
    text = {name: line(values.get(name)) for name in ("title", "timing_text", "owner_text")}
    errors = _required(
        text,
        {
            "title": "Nhập tên mốc.",
            "timing_text": "Nhập thời gian như kế hoạch ghi.",
            "owner_text": "Nhập đơn vị thực hiện như kế hoạch ghi.",
        },
    )
    errors |= {name: "Tối đa 200 ký tự." for name in ("timing_text", "owner_text") if len(text[name]) > 200}
    owners = [owner for owner in Owner if owner.value in (values.get("owners") or [])]
    if not owners:
        errors["owners"] = "Chọn ít nhất một đơn vị thực hiện."
    if values.get("timing") not in {timing.value for timing in Timing}:
        errors["timing"] = "Chọn thời gian trong danh sách."
    if values.get("required_of") not in {choice.value for choice in RequiredOf}:
        errors["required_of"] = "Chọn trường phải thực hiện trong danh sách."
    keys = {d.key for d in plan.deadlines}
    for name in ("school_deadline", "ward_deadline"):
        if values.get(name) and values[name] not in keys:
            errors[name] = "Chọn một thời hạn có trong kế hoạch."
    if errors:
        raise PlanEditError(errors)
    with PlanEdit(plan, version, lambda p: milestone_values(milestone)) as edit:
        milestone.title, milestone.timing_text = text["title"], text["timing_text"]
        milestone.owner_text = text["owner_text"]
        milestone.timing, milestone.required_of = Timing(values["timing"]), RequiredOf(values["required_of"])
        milestone.owners_code = ",".join(owner.value for owner in owners)
        milestone.school_deadline_key = values.get("school_deadline") or None
        milestone.ward_deadline_key = values.get("ward_deadline") or None
        retiring = check_retiring(plan, confirm)
        return record_change(
            "plan.milestone", milestone, plan, edit.before, milestone_values(milestone), actor, retired=len(retiring)
        )


# -- the shared mechanics ---------------------------------------------------------------------
class PlanEdit:
    """Lock the plan and compare the form's fingerprint (`before` holds the values it stands for);
    on leaving, sync the checklists, run `after_sync`, and commit, or roll back if anything raised."""

    def __init__(self, plan: Plan, version: str, read):
        self.plan, self.version, self.read = plan, version, read
        self.before: dict = {}
        self.after_sync: Callable[[], None] | None = None

    def __enter__(self) -> "PlanEdit":
        try:
            # Hold the plan's row until commit and reread what others committed before: the
            # fingerprint is then compared with the latest state (SQLite's BEGIN IMMEDIATE does the same).
            db.session.execute(select(Plan.id).where(Plan.id == self.plan.id).with_for_update())
            db.session.expire_all()
            self.before = self.read(self.plan)
            if fingerprint(self.before) != self.version:
                raise StaleEdit()
        except Exception:
            db.session.rollback()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:  # never swallows an exception
        if exc_type is None:
            try:
                sync_checklists(self.plan)
                if self.after_sync:
                    self.after_sync()
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
        else:
            db.session.rollback()
        return False


def record_change(action: str, obj, plan: Plan, before: dict, after: dict, actor, retired: int = 0) -> bool:
    """Audit what changed (only the fields that did); returns whether anything did."""
    changed = [name for name in after if after[name] != before.get(name)]
    if not changed:
        return False
    extra = {"retired_items": retired} if retired else {}
    audit.record(
        action,
        obj,
        ward_id=plan.ward_id,
        actor=actor,
        before={name: before.get(name) for name in changed},
        after={name: after[name] for name in changed} | extra,
    )
    return True


def _required(values: dict, messages: dict[str, str]) -> dict[str, str]:
    return {name: message for name, message in messages.items() if not values.get(name)}


def retiring_items(plan: Plan) -> list[ChecklistItem]:
    """Items with recorded work (status, note, verdict or files) that the plan, as changed in the
    session, no longer asks of their school: the next sync would retire them."""
    db.session.flush()
    schools = db.session.scalars(select(School).filter_by(ward_id=plan.ward_id, is_active=True)).all()
    workdays = plan.school_year.work_calendar()
    wanted: set[tuple[int | None, str]] = {(None, spec.key) for spec in items_for_ward(plan, workdays)}
    for school in schools:
        wanted.update((school.id, spec.key) for spec in items_for_school(plan, school, workdays))
    gone = [
        item
        for item in db.session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.plan_id == plan.id,
                ChecklistItem.retired.is_(False),
                ChecklistItem.school_id.in_([s.id for s in schools]) | ChecklistItem.school_id.is_(None),
            )
        )
        if (item.school_id, item.key) not in wanted
    ]
    with_files = items_with_files([item.id for item in gone])
    return [item for item in gone if item.has_progress or item.id in with_files]


def check_retiring(plan: Plan, confirm: bool) -> list[ChecklistItem]:
    """Refuse (WouldRetire) a change that retires worked-on items unless the admin confirmed it."""
    retiring = retiring_items(plan)
    if retiring and not confirm:
        raise WouldRetire(retiring)
    return retiring


# -- loading a plan file from the browser ---------------------------------------------------
def load_uploaded(raw: bytes, source_name: str, *, ward, replace_calendar: bool, actor) -> LoadReport:
    """Check and load a plan file sent by a ward admin, as `flask load-plan` does; the file must be
    of the admin's own ward. Raises PlanFileError with every problem; changes nothing then."""
    if len(raw) > UPLOAD_LIMIT:
        raise PlanFileError(source_name, [f"tệp lớn hơn {UPLOAD_LIMIT // 1024} KB; tệp kế hoạch chỉ là văn bản"])
    spec = parse_plan(raw, source_name)
    if spec.ward["slug"] != ward.slug:
        raise PlanFileError(
            source_name,
            [
                f"[ward]: tệp là kế hoạch của phường '{spec.ward['slug']}', không phải của {ward.name} "
                f"('{ward.slug}'); chỉ nạp được kế hoạch của phường mình"
            ],
        )
    return load_plan(spec, replace_calendar=replace_calendar, actor=actor, open_new_year=False)


def upload_name(filename: str | None) -> str:
    """The name a plan file is reported under: its last path part, printable, at most 120 characters."""
    name = re.split(r"[\\/]", line(filename))[-1].strip()
    return name[:120] or "ke-hoach.toml"
