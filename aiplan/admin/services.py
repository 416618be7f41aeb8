"""The ward's accounts and schools as its admins keep them: create, change, disable, reset a password.

One rule holds across all of them (and the import): a ward always keeps at least one enabled
ward admin, or nobody could manage it any more.

Locks are taken in one order everywhere, so that two admins (or an admin and an import) never
wait on each other in a circle, which PostgreSQL ends with an error: first the accounts about
to change together with the ward's admin rows, in id order (`lock_accounts`); then the schools
about to change (`lock_schools`); the audit chain's head last, which `audit.record` takes.

The edit forms carry a fingerprint of the values they showed; a save is refused (StaleEdit,
shown as 409) when the locked row no longer has it, so a second admin never overwrites the
first unseen."""

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit
from ..auth.services import AccountError, add_user, check_full_name, hash_password, temporary_password
from ..extensions import db
from ..inputs import (
    BadEmail,
    clean_email,
    fingerprint,  # the one shape that FingerprintField accepts
)
from ..models import Role, School, User, Ward
from .schools import ImportReport, lock_schools, save_school

TAKEN = "Tên đăng nhập '{}' đã có; hãy chọn tên khác."
LAST_ADMIN = (
    "Phường cần ít nhất một tài khoản “Cán bộ Phòng VHXH” đang hoạt động: không thể khóa "
    "hoặc đổi vai trò của tài khoản quản trị cuối cùng."
)


def ward_accounts(ward_id: int) -> list[User]:
    """Every account of the ward with its school, ward admins first; one query."""
    order = {Role.WARD_ADMIN: 0, Role.SUPERVISOR: 1, Role.VIEWER: 2, Role.SCHOOL_STAFF: 3}
    users = db.session.scalars(
        select(User).where(User.ward_id == ward_id).options(joinedload(User.school)).order_by(User.username)
    ).all()
    return sorted(users, key=lambda u: (order[u.role], u.school.name if u.school else "", u.username))


def ward_schools(ward_id: int) -> list[School]:
    """The ward's schools, active ones first, by name."""
    return list(
        db.session.scalars(
            select(School).where(School.ward_id == ward_id).order_by(School.is_active.desc(), School.name)
        )
    )


class StaleEdit(Exception):
    """The account or school changed since its form was shown."""


def account_values(user: User) -> dict:
    """What the account form edits: the base of its fingerprint."""
    return {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role.value,
        "school_id": user.school_id,
        "is_enabled": user.is_enabled,
    }


def school_values(school: School) -> dict:
    """What the school form edits: the base of its fingerprint."""
    return {
        "name": school.name,
        "level": school.level.value,
        "is_pilot": school.is_pilot,
        "is_active": school.is_active,
    }


def lock_accounts(ward_id: int, changing) -> list[User]:
    """Lock, until commit, the ward's accounts that `changing` (a condition on User) names and
    its ward admins (whose count a change may lower), in id order; reread them as committed."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.ward_id == ward_id, or_(User.role == Role.WARD_ADMIN, changing))
            .order_by(User.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def check_role_and_school(ward_id: int, role: Role, school: School | None) -> dict[str, str]:
    """Form errors for a role and school that do not go together (empty if they do)."""
    if role is Role.SCHOOL_STAFF and school is None:
        return {"school": "Tài khoản cán bộ nhà trường phải gắn với một trường: chọn trường."}
    if role is not Role.SCHOOL_STAFF and school is not None:
        return {"school": "Chỉ tài khoản cán bộ nhà trường mới gắn với một trường: chọn “Không gắn với trường”."}
    if school is not None and school.ward_id != ward_id:
        return {"school": "Trường này không thuộc phường."}
    return {}


def check_keeps_an_admin(ward_id: int, after: dict[int, tuple[Role, bool]], added_admins: int = 0) -> None:
    """Refuse changes (user id -> role and enabled flag after them) that would leave the ward
    without an enabled ward admin. The ward's admin rows stay locked until the caller commits,
    so two admins disabling each other at once cannot both succeed."""
    rows = db.session.execute(
        select(User.id, User.role, User.is_enabled)
        .where(User.ward_id == ward_id, User.role == Role.WARD_ADMIN)
        .order_by(User.id)
        .with_for_update()
    ).all()
    states = {user_id: (role, enabled) for user_id, role, enabled in rows}
    losing = any(
        states.get(user_id, (None, False)) == (Role.WARD_ADMIN, True) and state != (Role.WARD_ADMIN, True)
        for user_id, state in after.items()
    )
    states.update(after)
    remaining = sum(1 for role, enabled in states.values() if role is Role.WARD_ADMIN and enabled) + added_admins
    if losing and remaining == 0:
        raise AccountError(LAST_ADMIN, "role")


def create_account(
    ward: Ward,
    *,
    username: str,
    full_name: str,
    role: Role,
    school: School | None,
    is_enabled: bool = True,
    email: str | None = None,
    actor,
) -> tuple[User, str]:
    """A new account with a temporary password to hand over once; it must be changed at first
    sign-in. Returns the account and that password. Commits."""
    errors = check_role_and_school(ward.id, role, school)
    if errors:
        raise AccountError(errors["school"], "school")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.strip().lower())):
        raise AccountError(TAKEN.format(username.strip().lower()), "username")
    password = temporary_password()
    try:
        user = add_user(
            username,
            role,
            password,
            ward=ward,
            school=school,
            full_name=full_name,
            actor=actor,
            must_change_password=True,
            email=email,
        )
        apply_enabled(user, is_enabled, actor)
        db.session.commit()
    except AccountError as refused:
        db.session.rollback()
        raise AccountError(str(refused), refused.field or "username") from None
    except IntegrityError:  # the same name, taken a moment ago by another admin
        db.session.rollback()
        raise AccountError(TAKEN.format(username.strip().lower()), "username") from None
    except Exception:
        db.session.rollback()
        raise
    return user, password


def describe(user: User) -> dict:
    return {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role.value,
        "school": user.school.slug if user.school else None,
    }


KEEP = object()  # update_account's e-mail when the change does not touch it (an import without the column)


def update_account(
    user: User, *, full_name: str, role: Role, school: School | None, is_enabled: bool, email=KEEP, actor
) -> bool:
    """Change an account's name, e-mail, role, school and whether it may sign in, in the session
    (not committed). Audited as "user.update" and "user.disable"/"user.enable". Returns whether
    anything changed."""
    check_full_name(full_name)
    if email is not KEEP:
        try:
            email = clean_email(email)
        except BadEmail as refused:
            raise AccountError(str(refused), "email") from None
    errors = check_role_and_school(user.home_ward_id, role, school)
    if errors:
        raise AccountError(errors["school"], "school")
    try:
        check_keeps_an_admin(user.home_ward_id, {user.id: (role, is_enabled)})
    except AccountError as refused:
        raise AccountError(str(refused), "is_enabled" if role is Role.WARD_ADMIN else "role") from None
    before = describe(user)
    user.full_name, user.role, user.school = full_name.strip(), role, school
    if email is not KEEP:
        user.email = email
    after = describe(user)
    changed = before != after
    if changed:
        audit.record(
            "user.update", user, school_id=user.school_id, ward_id=user.ward_id, actor=actor, before=before, after=after
        )
    return apply_enabled(user, is_enabled, actor) or changed


def save_account(
    user: User,
    *,
    version: str,
    full_name: str,
    role: Role,
    school: School | None,
    is_enabled: bool,
    email: str | None = None,
    actor,
) -> bool:
    """update_account from the edit form, committed; StaleEdit if the account is no longer as the
    form (`version`) showed it, and then nothing changes."""
    try:
        lock_accounts(user.home_ward_id, User.id == user.id)  # before anything audits: see the module's docstring
        if fingerprint(account_values(user)) != version:
            raise StaleEdit()
        changed = update_account(
            user, full_name=full_name, role=role, school=school, is_enabled=is_enabled, email=email, actor=actor
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changed


def set_enabled(user: User, enabled: bool, *, actor) -> bool:
    """Let an account sign in, or stop it (its open sessions end at once). Idempotent. Commits."""
    try:
        lock_accounts(user.home_ward_id, User.id == user.id)  # before anything audits: see the module's docstring
        check_keeps_an_admin(user.home_ward_id, {user.id: (user.role, enabled)})
        changed = apply_enabled(user, enabled, actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changed


def apply_enabled(user: User, enabled: bool, actor) -> bool:
    """Set whether the account may sign in, in the session (not committed); disabling ends its sessions."""
    if user.is_enabled == enabled:
        return False
    user.is_enabled = enabled
    if not enabled:
        user.end_sessions()
    audit.record(
        "user.enable" if enabled else "user.disable",
        user,
        school_id=user.school_id,
        ward_id=user.ward_id,
        actor=actor,
        before={"is_enabled": not enabled},
        after={"is_enabled": enabled},
    )
    return True


def reset_password(user: User, *, actor) -> str:
    """Give the account a new temporary password, to be changed at next sign-in; its sessions end.
    Returns the password, to be shown once. The audit records that it happened, never the value. Commits."""
    password = temporary_password()
    password_hash = hash_password(password)  # slow on purpose: done before taking any lock
    try:
        lock_accounts(user.home_ward_id, User.id == user.id)  # before anything audits: see the module's docstring
        user.password_hash = password_hash
        user.must_change_password = True
        user.end_sessions()
        audit.record("user.reset_password", user, school_id=user.school_id, ward_id=user.ward_id, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return password


def save_school_edit(school: School, row: dict, *, version: str, actor) -> ImportReport:
    """A school changed from its edit form (see admin.schools.save_school), committed;
    StaleEdit if it is no longer as the form (`version`) showed it, and then nothing changes."""
    try:
        lock_schools(school.ward_id, [school.slug])  # before anything audits: see the module's docstring
        if fingerprint(school_values(school)) != version:
            raise StaleEdit()
        return save_school(school.ward, row, actor, new=False)
    except Exception:
        db.session.rollback()
        raise


def set_school_active(school: School, active: bool, *, actor) -> ImportReport:
    """Stop following a school or follow it again; idempotent, its other values kept. Commits."""
    try:
        lock_schools(school.ward_id, [school.slug])  # before anything audits: see the module's docstring
        row = {
            "slug": school.slug,
            "name": school.name,
            "level": school.level,
            "is_pilot": school.is_pilot,
            "is_active": active,
        }
        return save_school(school.ward, row, actor, new=False)
    except Exception:
        db.session.rollback()
        raise
