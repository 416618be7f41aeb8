"""Who may do what. Views call these helpers; templates never decide access."""

import hmac
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_url
from sqlalchemy import Select, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from .extensions import db, login_manager
from .inputs import parse_digits
from .models import (
    CITY_ROLES,
    Activity,
    AiTool,
    ChecklistItem,
    EvidenceFile,
    Inspection,
    Notification,
    Partner,
    Plan,
    Problem,
    PupilConsent,
    Resource,
    Role,
    School,
    Teacher,
    TrainingSession,
    User,
    UserSession,
    Ward,
    inspection_member,
    utcnow,
)
from .schoolyear import closed_year_message, current_plan

# The ward's own accounts.
WARD_ROLES = (Role.WARD_ADMIN, Role.SUPERVISOR, Role.VIEWER)
# Who reads a ward's pages: its own accounts, and the Sở's accounts of its city, in the ward they
# chose on /city (viewed_ward_id). The Sở reads as the ward's leaders do: nothing restricted, no writes.
WARD_READERS = (*WARD_ROLES, *CITY_ROLES)
# The session key that keeps the ward a city account is looking at.
VIEWED_WARD = "phuong"


# How often a sign-in's last_seen_at is written. Reading pages must not write on every request
# (on SQLite a GET reads in a deferred transaction; see _touch), and the idle limit is hours long.
TOUCH_EVERY = timedelta(minutes=5)
IDLE_MESSAGE = _l("Phiên đăng nhập đã hết hạn vì quá lâu không dùng. Vui lòng đăng nhập lại.")


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """The user of a live sign-in: its row not ended (logout, password change, disabling), not idle
    longer than SESSION_IDLE_MINUTES, and the cookie's token matching the stored hash."""
    digits, _, token = session_key.partition(":")
    record_id = parse_digits(digits)
    if record_id is None or not token:
        return None
    record = db.session.get(UserSession, record_id, options=[joinedload(UserSession.user)])
    if (
        record is None
        or record.ended_at is not None
        or not hmac.compare_digest(record.token_hash, UserSession.hash_token(token))
    ):
        return None
    now = utcnow()
    if now - record.last_seen_at > idle_limit():
        g.session_expired = True
        return None
    user = record.user
    if not user.is_enabled:
        return None
    _touch(record, now)
    user.current_session, user.session_key = record, session_key
    return user


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _touch(record: UserSession, now) -> None:
    """Move the sign-in's idle clock on, at most every TOUCH_EVERY (or a quarter of a short limit).

    A writing request does it in its own transaction, which already holds SQLite's write lock,
    and flushes at once so the row is locked before anything takes the audit head. A reading
    request writes in a short transaction of its own: upgrading its deferred read transaction to
    a write would fail with "database is locked" whenever another writer got in first. If even
    that cannot get the lock, the clock moves at the next request."""
    if now - record.last_seen_at < min(TOUCH_EVERY, idle_limit() / 4):
        return
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        record.last_seen_at = now
        db.session.flush()
        return
    try:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now))
    except OperationalError:
        current_app.logger.warning("Could not record that session %s was seen; will retry", record.id)


@login_manager.unauthorized_handler
def send_to_login():
    """To the login page, coming back here after; saying why when the sign-in went idle."""
    flash(str(IDLE_MESSAGE if g.get("session_expired") else login_manager.login_message), "info")
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def roles_required(*roles: Role):
    """Allow a view to the given roles only: anonymous visitors go to the login page, others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]  # a marker set on the view function
        return wrapped

    return decorator


def login_required_any(view):
    """Any signed-in user, whatever the role."""
    return roles_required(*Role)(view)


# -- reach: which schools and wards an account reads. Every query that lists schools or wards for
# an account goes through visible_school_ids / visible_ward_ids; every check of one school or ward
# through can_read_school / can_read_ward. The three scopes: a school, a ward, a city.


def visible_ward_ids(user) -> Select:
    """The ids of the wards `user` reads, as a subquery: their own ward; for the Sở's accounts,
    every ward of their city."""
    if user.role in CITY_ROLES:
        return select(Ward.id).where(Ward.city_id == user.city_id)
    return select(Ward.id).where(Ward.id == user.ward_id)


def visible_school_ids(user) -> Select:
    """The ids of the schools `user` reads, as a subquery: school staff their own school; the
    ward's accounts the schools of their ward; the Sở's accounts the schools of their city."""
    if user.role is Role.SCHOOL_STAFF:
        return select(School.id).where(School.id == user.school_id)
    if user.role in CITY_ROLES:
        return select(School.id).join(Ward).where(Ward.city_id == user.city_id)
    return select(School.id).where(School.ward_id == user.ward_id)


def can_read_ward(user, ward: Ward) -> bool:
    """Whether `user` reads the ward's pages (its rollup, reports and records): as visible_ward_ids."""
    if user.role in CITY_ROLES:
        return user.city_id is not None and ward.city_id == user.city_id
    return user.role in WARD_ROLES and user.ward_id == ward.id


def viewed_ward_id() -> int:
    """The ward whose pages the current user is on: a ward or school account's own ward; for the
    Sở's accounts, the ward they chose from /city (kept in the session, checked on every request:
    a ward outside their city is 404, and with none chosen they are sent to choose one)."""
    if current_user.role not in CITY_ROLES:
        return current_user.home_ward_id
    ward = viewed_ward_or_none()
    if ward is None:
        abort(redirect(url_for("city.index")))
    return ward.id


def viewed_ward_id_or_none() -> int | None:
    """viewed_ward_id for what every page shows (the header's year line): None, not a redirect,
    while a city account has chosen no ward."""
    if current_user.role in CITY_ROLES:
        ward = viewed_ward_or_none()
        return ward.id if ward is not None else None
    return current_user.ward_id


def viewed_ward_or_none() -> Ward | None:
    """For a city account, the ward it is looking at if it still may (see viewed_ward_id)."""
    if "viewed_ward" not in g:
        ward_id = parse_digits(str(session.get(VIEWED_WARD, "")))
        ward = db.session.get(Ward, ward_id) if ward_id else None
        g.viewed_ward = ward if ward is not None and can_read_ward(current_user, ward) else None
    return g.viewed_ward


def viewed_ward() -> Ward:
    ward = db.session.get(Ward, viewed_ward_id())
    assert ward is not None  # the user's ward, or one checked just above
    return ward


def view_ward(ward: Ward) -> None:
    """Let a city account look at `ward`'s pages from now on (the drill-down from /city)."""
    if not can_read_ward(current_user, ward):
        abort(404)
    session[VIEWED_WARD] = ward.id
    g.viewed_ward = ward


def can_read_school(user, school: School) -> bool:
    """School staff read their own school; the ward's roles the schools of their own ward; the
    Sở's roles the schools of their city (as visible_school_ids)."""
    if user.role is Role.SCHOOL_STAFF:
        return user.school_id == school.id
    if user.role in CITY_ROLES:
        return can_read_ward(user, school.ward)
    return user.role in WARD_ROLES and user.ward_id == school.ward_id


def can_write_school(user, school: School) -> bool:
    """Only the school's own staff record its work; the ward reads, supervisors give verdicts."""
    return user.role is Role.SCHOOL_STAFF and user.school_id == school.id


def can_see_restricted(user, school: School) -> bool:
    """Files showing pupils: the school itself, supervisors and ward admins; never viewers."""
    return can_write_school(user, school) or (
        user.role in (Role.SUPERVISOR, Role.WARD_ADMIN) and user.ward_id == school.ward_id
    )


def can_read_ward_records(user, ward_id: int) -> bool:
    """The ward's own records (its checklist, activities and files): the ward's roles of that ward,
    and the Sở's accounts of its city."""
    if user.role in CITY_ROLES:
        ward = db.session.get(Ward, ward_id)
        return ward is not None and can_read_ward(user, ward)
    return user.role in WARD_ROLES and user.ward_id == ward_id


def can_write_ward_records(user, ward_id: int) -> bool:
    """Only the ward's admins (the Phòng VHXH) record the ward's own work."""
    return user.role is Role.WARD_ADMIN and user.ward_id == ward_id


def can_read_file(user, file: EvidenceFile) -> bool:
    """A school's file as its school (can_read_school); a file of the ward's own records as the ward's roles."""
    if file.school is None:
        return can_read_ward_records(user, file.ward_id)
    return can_read_school(user, file.school)


def can_see_restricted_file(user, file: EvidenceFile) -> bool:
    """Restricted files: as can_see_restricted; for the ward's own files, its supervisors and admins."""
    if file.school is None:
        return user.role in (Role.SUPERVISOR, Role.WARD_ADMIN) and user.ward_id == file.ward_id
    return can_see_restricted(user, file.school)


def get_school(slug: str, write: bool = False) -> School:
    """The school at `slug` if the current user may read it (or, with `write`, record its work).
    404 if unknown or of another ward (a ward's schools are not shown to another ward, not even
    as existing); 403 if of the user's ward but not theirs to read or write."""
    school = db.session.scalar(select(School).filter_by(slug=slug, ward_id=viewed_ward_id()))
    if school is None:
        abort(404)
    if not can_read_school(current_user, school) or (write and not can_write_school(current_user, school)):
        abort(403)
    return school


def get_account(user_id: int) -> User:
    """An account of the user's own ward; 404 for any other."""
    user = db.session.get(User, user_id)
    if user is None or user.ward_id is None or user.ward_id != current_user.ward_id:
        abort(404)
    return user


ITEM_TITLE = [
    joinedload(ChecklistItem.milestone),
    joinedload(ChecklistItem.target),
    joinedload(ChecklistItem.evidence_requirement),
]


def get_item(slug: str, item_id: int, write: bool = False) -> tuple[School, ChecklistItem]:
    """A school's checklist item, 404 if it is not that school's; for writes, only the school's
    staff, and only on the current plan (a past year is read-only)."""
    school = get_school(slug)
    # With what its title (and mốc 7's rule) reads, in the same query: every page of an item shows it.
    item = db.session.get(ChecklistItem, item_id, options=ITEM_TITLE)
    if item is None or item.school_id != school.id:
        abort(404)
    if item.retired and request.method not in ("GET", "HEAD"):
        # The plan no longer asks it of the school: kept, with its work, for reading only. No
        # status, note, file or verdict goes to it (every write that names an item comes here).
        abort(404)
    if write:
        check_writable(school, item.plan_id)
    return school, item


def get_activity(slug: str, activity_id: int, write: bool = False) -> tuple[School, Activity]:
    """A school's activity (not deleted), 404 otherwise; for writes as get_item."""
    school = get_school(slug)
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.school_id != school.id or activity.deleted_at is not None:
        abort(404)
    if write:
        check_writable(school, activity.plan_id)
    return school, activity


def _school_record(slug: str, model, record_id: int, write: bool):
    """A school's row of a register (`model` has school_id, plan_id and deleted_at): 404 when it is
    another school's or deleted; for writes, the school and the row's year as get_item checks them."""
    school = get_school(slug)
    record = db.session.get(model, record_id)
    if record is None or record.school_id != school.id or record.deleted_at is not None:
        abort(404)
    if write:
        check_writable(school, record.plan_id)
    return school, record


def get_resource(slug: str, resource_id: int, write: bool = False) -> tuple[School, Resource]:
    """An entry of a school's resources register (not deleted), 404 otherwise; for writes as get_item."""
    return _school_record(slug, Resource, resource_id, write)


def get_ward_resource(resource_id: int, write: bool = False) -> Resource:
    """An entry of the ward's own resources register, of the user's ward; 404 otherwise (as get_ward_item)."""
    resource = db.session.get(Resource, resource_id)
    if (
        resource is None
        or resource.school_id is not None
        or resource.deleted_at is not None
        or not can_read_ward_records(current_user, resource.plan.ward_id)
    ):
        abort(404)
    if write:
        check_ward_writable(resource.plan)
    return resource


def get_ward_item(item_id: int, write: bool = False) -> ChecklistItem:
    """An item of the ward's own checklist, of the user's ward; 404 for anyone else (school staff
    included: the ward's records are not theirs to see). With `write`, as check_ward_writable."""
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.school_id is not None or not can_read_ward_records(current_user, item.plan.ward_id):
        abort(404)
    if item.retired and request.method not in ("GET", "HEAD"):
        abort(404)
    if write:
        check_ward_writable(item.plan)
    return item


def get_ward_activity(activity_id: int, write: bool = False) -> Activity:
    """An activity of the ward itself (not deleted), of the user's ward; 404 otherwise, as get_ward_item."""
    activity = db.session.get(Activity, activity_id)
    if (
        activity is None
        or activity.school_id is not None
        or activity.deleted_at is not None
        or not can_read_ward_records(current_user, activity.plan.ward_id)
    ):
        abort(404)
    if write:
        check_ward_writable(activity.plan)
    return activity


def can_write_ward_record(plan: Plan) -> bool:
    """Whether the current user may change the ward's own records of `plan` (see check_ward_writable)."""
    return can_write_ward_records(current_user, plan.ward_id) and plan.id == current_plan(plan.ward_id).id


def check_ward_writable(plan: Plan) -> None:
    """403 unless the current user is a ward admin of the plan's ward and the plan is the current one."""
    if not can_write_ward_records(current_user, plan.ward_id):
        abort(403)
    if plan.id != current_plan(plan.ward_id).id:
        abort(403, description=closed_year_message())


def can_write_record(school: School, plan_id: int) -> bool:
    """Whether the current user may change a school's record of the plan `plan_id` (see check_writable)."""
    return can_write_school(current_user, school) and plan_id == current_plan(school.ward_id).id


def check_writable(school: School, plan_id: int) -> None:
    """403 unless the current user is the school's staff and the record is of the current plan."""
    if not can_write_school(current_user, school):
        abort(403)
    if plan_id != current_plan(school.ward_id).id:
        abort(403, description=closed_year_message())


def on_team(user, inspection: Inspection) -> bool:
    """Whether `user` is on the visit's team (đoàn kiểm tra), as the ward admin named it."""
    return user.role is Role.SUPERVISOR and any(member.id == user.id for member in inspection.members)


def can_change_visit(user, inspection: Inspection) -> bool:
    """Who may act on a visit of the current year: its team (verdicts, conclusion) and the ward's
    admins (reopening); which of the two an action is for is the view's role check."""
    if inspection.plan.ward_id != user.ward_id or inspection.plan_id != current_plan(user.ward_id).id:
        return False
    return user.role is Role.WARD_ADMIN or on_team(user, inspection)


def get_inspection(inspection_id: int, *, write: bool = False, school_staff_may_read: bool = False) -> Inspection:
    """A visit of the user's ward; 404 otherwise. School staff read only their own school's minutes.
    With `write`, only the visit's team or a ward admin, and only in the current year (403)."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or inspection.plan.ward_id != viewed_ward_id():
        abort(404)
    if current_user.role is Role.SCHOOL_STAFF and not (
        school_staff_may_read and can_read_school(current_user, inspection.school)
    ):
        abort(403)
    if write and not can_change_visit(current_user, inspection):
        if inspection.plan_id != current_plan(viewed_ward_id()).id:
            abort(403, description=closed_year_message())
        abort(403, description=not_on_team_message())
    return inspection


def recheck_school_ids(user, plan: Plan) -> set[int]:
    """The schools whose resubmitted items `user` may check again outside a visit: those that a
    team they were on visited during the plan's year."""
    if user.role is not Role.SUPERVISOR:
        return set()
    return set(
        db.session.scalars(
            select(Inspection.school_id)
            .join(inspection_member)
            .where(Inspection.plan_id == plan.id, inspection_member.c.user_id == user.id)
        )
    )


def get_item_to_recheck(slug: str, item_id: int) -> tuple[School, ChecklistItem]:
    """An item resubmitted by its school, for a verdict outside a visit: only a supervisor who was
    on a team that visited the school this year (403), and only while the item waits (409)."""
    school, item = get_item(slug, item_id)
    plan = current_plan(school.ward_id)
    if item.plan_id != plan.id:
        abort(403, description=closed_year_message())
    if school.id not in recheck_school_ids(current_user, plan):
        abort(403, description=not_on_team_message())
    if item.resubmitted_at is None:
        abort(
            409,
            description=gettext(
                "Mục này không chờ kiểm tra lại. Kết luận về mục được ghi trong đợt kiểm tra của đoàn."
            ),
        )
    return school, item


def not_on_team_message() -> str:
    return gettext("Chỉ đoàn kiểm tra được phân công cho trường này mới ghi kết luận và biên bản.")


def get_notification(notification_id: int) -> Notification:
    """A notification of the current account; 404 for anyone else's (not even shown to exist)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    return notification


def get_problem(problem_id: int, write: bool = False) -> Problem:
    """A problem a school raised, to whoever reads that school (404 outside the ward, 403 for another
    school's staff). With `write`, only the school's staff and the ward's admins, and only in the
    current year (403)."""
    problem = db.session.get(Problem, problem_id)
    if problem is None or problem.school.ward_id != viewed_ward_id():
        abort(404)
    if not can_read_school(current_user, problem.school):
        abort(403)
    if write:
        if not (can_write_school(current_user, problem.school) or current_user.role is Role.WARD_ADMIN):
            abort(403)
        if problem.plan_id != current_plan(problem.school.ward_id).id:
            abort(403, description=closed_year_message())
    return problem


# -- partners and the AI tools register (issue 17, parts 4 and 5) -----------------------------


def get_partner(slug: str, partner_id: int, write: bool = False) -> tuple[School, Partner]:
    """A school's partner (not deleted), 404 otherwise; for writes as get_item."""
    return _school_record(slug, Partner, partner_id, write)


def get_ward_partner(partner_id: int, write: bool = False) -> Partner:
    """A partner of the ward itself (not deleted), of the user's ward; 404 otherwise, as get_ward_item."""
    partner = db.session.get(Partner, partner_id)
    if (
        partner is None
        or partner.school_id is not None
        or partner.deleted_at is not None
        or not can_read_ward_records(current_user, partner.plan.ward_id)
    ):
        abort(404)
    if write:
        check_ward_writable(partner.plan)
    return partner


def get_ai_tool(slug: str, tool_id: int, write: bool = False) -> tuple[School, AiTool]:
    """A tool of a school's register (not deleted), 404 otherwise; for writes as get_item."""
    return _school_record(slug, AiTool, tool_id, write)


def get_consent(slug: str, consent_id: int, write: bool = False) -> tuple[School, PupilConsent]:
    """A school's parental consent (not deleted), 404 otherwise; for writes as get_item."""
    return _school_record(slug, PupilConsent, consent_id, write)


# -- teacher training and pilot-class results (issue 17, parts 1 and 8) ------------------------


def get_teacher(slug: str, teacher_id: int, write: bool = False) -> tuple[School, Teacher]:
    """A teacher on the school's roster (not removed), 404 otherwise; for writes as get_item."""
    return _school_record(slug, Teacher, teacher_id, write)


def get_training_session(slug: str, session_id: int, write: bool = False) -> tuple[School, TrainingSession]:
    """A training session of the school (not deleted), 404 otherwise; for writes as get_item."""
    return _school_record(slug, TrainingSession, session_id, write)


def get_pilot_class(slug: str, activity_id: int, write: bool = False) -> tuple[School, Activity]:
    """One of the school's pilot classes (a live activity of form 2.2), 404 otherwise; writes as get_item."""
    school, activity = get_activity(slug, activity_id, write=write)
    if activity.form is None or activity.form.code != "2.2":
        abort(404)
    return school, activity
