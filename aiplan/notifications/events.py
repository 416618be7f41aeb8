"""The events the app tells people of, each with its words (Vietnamese, naming the school, the item,
its due date and the reason) and the page where the recipient acts.

Immediate events are made here, in the same transaction as the write that causes them (the service
functions of checklists, inspections, evidence and activities call these before they commit):
a verdict "cần bổ sung" (to the school's staff), a school's fix waiting for re-check (to the teams
that visited the school), a self-evaluation submitted (to the ward's admins), a problem raised with
the ward and each answer in its thread (to the other side: the ward's admins, or the one handling
it; the school's staff). Scanned events (due,
late, reports, visits) are scan.py's; they share the words below.
"""

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..figures.labels import item_label
from ..models import (
    ChecklistItem,
    Inspection,
    NotificationKind,
    Plan,
    Problem,
    ProblemMessage,
    Role,
    School,
    SelfEvaluation,
    User,
    Verdict,
    inspection_member,
)
from ..timeutil import format_date, format_datetime
from .services import Message, app_path, notify, school_staff_ids, ward_admin_ids

TITLE_ITEM = 140  # characters of an item's name in a title; the body names it in full


def short(text: str, limit: int = TITLE_ITEM) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def item_page(item: ChecklistItem, school: School) -> str:
    """The item on its school's checklist, where the school's staff act on it."""
    return app_path("schools.school", anchor=f"item-{item.id}", slug=school.slug)


def days_word(days: int) -> str:
    return "hôm nay" if days == 0 else f"{days} ngày"


# -- the messages, one function per event ----------------------------------------------------------


def needs_more_message(item: ChecklistItem, school: School, actor) -> Message:
    label = item_label(item)
    return Message(
        NotificationKind.NEEDS_MORE,
        # The item's version before this verdict: each verdict given is its own event.
        f"needs_more:item:{item.id}:v{item.version}",
        f"{school.name}: cần bổ sung {short(label)}",
        f"Đoàn kiểm tra đề nghị {school.name} bổ sung “{label}” (hạn {format_date(item.due_on)}). "
        f"Lý do: {item.verdict_reason}" + (f" — {actor.display_name}" if getattr(actor, "display_name", "") else ""),
        item_page(item, school),
        school.id,
        item.due_on,
    )


def fix_waiting_message(item: ChecklistItem, school: School) -> Message:
    label = item_label(item)
    return Message(
        NotificationKind.FIX_WAITING,
        f"fix_waiting:item:{item.id}:v{item.version}",
        f"{school.name} đã bổ sung, chờ kiểm tra lại: {short(label)}",
        f"{school.name} đã thay đổi “{label}” (hạn {format_date(item.due_on)}) sau khi đoàn đề nghị bổ sung. "
        f"Lý do đã nêu: {item.verdict_reason or '—'}. Mục đang chờ đoàn kiểm tra lại.",
        app_path("inspections.recheck", slug=school.slug, item_id=item.id),
        school.id,
        item.due_on,
    )


def self_evaluation_message(evaluation: SelfEvaluation, plan: Plan, school: School, actor) -> Message:
    assert evaluation.submitted_at is not None
    who = getattr(actor, "display_name", "")
    return Message(
        NotificationKind.SELF_EVALUATION,
        f"self_evaluation:{evaluation.id}:{evaluation.submitted_at.isoformat()}",
        f"{school.name} đã nộp bản tự đánh giá năm học {plan.school_year.name}",
        f"{school.name} nộp bản tự đánh giá theo các tiêu chí của Phụ lục I.2 lúc "
        f"{format_datetime(evaluation.submitted_at)}" + (f" ({who})" if who else "") + ". "
        "Phòng VHXH xem và tổng hợp; nếu cần sửa, có thể mở lại để nhà trường nộp lại.",
        app_path("activities.self_evaluation", slug=school.slug),
        school.id,
    )


def due_message(item: ChecklistItem, school: School, today: date) -> Message:
    """An item due within the next days (NOTIFY_DUE_DAYS), or late: to the school's staff."""
    label = item_label(item)
    days = (item.due_on - today).days
    due = format_date(item.due_on)
    if days < 0:
        return Message(
            NotificationKind.LATE,
            f"late:item:{item.id}:{item.due_on.isoformat()}",
            f"Quá hạn {due}: {short(label)}",
            f"{school.name} chưa hoàn thành “{label}”; hạn là {due}, đã quá {-days} ngày. "
            f"Trạng thái hiện tại: {item.status.label}.",
            item_page(item, school),
            school.id,
            item.due_on,
        )
    return Message(
        NotificationKind.DUE_SOON,
        f"due_soon:item:{item.id}:{item.due_on.isoformat()}",
        f"Sắp đến hạn {due}: {short(label)}",
        f"{school.name} cần hoàn thành “{label}” đến hết ngày {due} (còn {days_word(days)}). "
        f"Trạng thái hiện tại: {item.status.label}.",
        item_page(item, school),
        school.id,
        item.due_on,
    )


def report_message(
    key: str, sender: str, title: str, document: str, receiver: str, due_on: date, today: date, url: str, school_id=None
) -> Message:
    """A report of the chain that `sender` must send by `due_on` (its last day), soon or late."""
    days = (due_on - today).days
    due = format_date(due_on)
    late = days < 0
    when = f"đã quá hạn {-days} ngày" if late else f"còn {days_word(days)}"
    return Message(
        NotificationKind.REPORT_DUE,
        f"report_{'late' if late else 'due'}:{key}:{due_on.isoformat()}",
        f"{sender}: báo cáo {'quá hạn' if late else 'đến hạn'} {due} — {short(title, 120)}",
        f"{title}. {sender} gửi “{document}” cho {receiver}, hạn cuối {due} ({when}).",
        url,
        school_id,
        due_on,
    )


def visit_message(inspection: Inspection, school: School, url: str) -> Message:
    """A visit of the team to a school in the next days: to the school's staff and to the team."""
    when = format_date(inspection.visit_on)
    if inspection.starts_at:
        when = f"{inspection.starts_at:%H:%M} {when}"
    team = ", ".join(member.display_name for member in inspection.members)
    return Message(
        NotificationKind.VISIT_UPCOMING,
        f"visit:{inspection.id}:{inspection.visit_on.isoformat()}",
        f"Đoàn kiểm tra đến {school.name} ngày {format_date(inspection.visit_on)}",
        f"Đợt kiểm tra “{inspection.kind.label}” tại {school.name}, {when}. Thành viên đoàn: {team or '—'}.",
        url,
        school.id,
        inspection.visit_on,
    )


# -- the immediate events --------------------------------------------------------------------------


def verdict_needs_more(item: ChecklistItem, actor) -> int:
    """A supervisor marked a school's item "cần bổ sung": its school's staff, with the reason. Call
    after the verdict is set on the item and before the commit."""
    with db.session.no_autoflush:  # the item's change flushes at the caller's commit (a lost race: 409)
        if item.verdict is not Verdict.NEEDS_MORE or item.school is None:
            return 0
        return notify(school_staff_ids(item.school.id), needs_more_message(item, item.school, actor))


def school_changed(item: ChecklistItem, now) -> bool:
    """`item.note_school_change(now)`, and if that sends back an item the team asked to be completed
    ("cần bổ sung"), tell the supervisors who may check it again (the teams that visited the
    school this year: access.recheck_school_ids). Returns whether it was newly resubmitted."""
    if not item.note_school_change(now):
        return False
    with db.session.no_autoflush:  # as in verdict_needs_more
        if item.verdict is Verdict.NEEDS_MORE and item.school is not None:
            team = (
                select(inspection_member.c.user_id)
                .join(Inspection)
                .where(Inspection.plan_id == item.plan_id, Inspection.school_id == item.school_id)
            )
            ids = db.session.scalars(
                select(User.id).where(User.id.in_(team), User.role == Role.SUPERVISOR, User.is_enabled.is_(True))
            ).all()
            notify(ids, fix_waiting_message(item, item.school))
    return True


def self_evaluation_submitted(evaluation: SelfEvaluation, plan: Plan, school: School, actor) -> int:
    """A school submitted its self-evaluation: the ward's admins. Call once it is flushed (it needs its id)."""
    with db.session.no_autoflush:
        return notify(ward_admin_ids(school.ward_id), self_evaluation_message(evaluation, plan, school, actor))


def problem_raised(problem: Problem, school: School, actor) -> int:
    """A school raised a problem with the ward: the ward's admins. Call once it is flushed."""
    who = getattr(actor, "display_name", "")
    message = Message(
        NotificationKind.PROBLEM,
        f"problem:{problem.id}:raised",
        f"{school.name} báo cáo vướng mắc: {short(problem.subject)}",
        f"{school.name} báo cáo vướng mắc “{problem.subject}”" + (f" ({who})" if who else "") + ". "
        "Phòng VHXH xem, trả lời và giao người xử lý.",
        app_path("problems.show", problem_id=problem.id),
        school.id,
    )
    with db.session.no_autoflush:
        return notify(ward_admin_ids(school.ward_id), message)


def problem_answered(problem: Problem, school: School, reply: ProblemMessage, actor) -> int:
    """A message in a problem's thread: from the ward, to the school's staff; from the school, to the
    ward admin handling it (or every ward admin while nobody is). Call once it is flushed."""
    if actor.role is Role.WARD_ADMIN:
        recipients = school_staff_ids(school.id)
        title = f"Phòng VHXH trả lời vướng mắc: {short(problem.subject)}"
    else:
        recipients = [problem.assignee_id] if problem.assignee_id else ward_admin_ids(school.ward_id)
        title = f"{school.name} trao đổi thêm về vướng mắc: {short(problem.subject)}"
    message = Message(
        NotificationKind.PROBLEM,
        f"problem:{problem.id}:message:{reply.id}",
        title,
        short(reply.body, 300),
        app_path("problems.show", problem_id=problem.id),
        school.id,
    )
    with db.session.no_autoflush:
        return notify([user_id for user_id in recipients if user_id != actor.id], message)
