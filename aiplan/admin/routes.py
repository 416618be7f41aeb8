"""The ward's schools and accounts, kept by its admins (ward admins of that ward only)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..access import get_account, get_school, roles_required, viewed_ward, viewed_ward_id
from ..auth.services import USERNAME, AccountError
from ..extensions import db
from ..models import Role, School, SchoolLevel, User
from .forms import EditAccountForm, EditSchoolForm, NewAccountForm, NewSchoolForm, choice
from .schools import SchoolFormError, save_school
from .services import (
    TAKEN,
    StaleEdit,
    account_values,
    check_role_and_school,
    create_account,
    fingerprint,
    reset_password,
    save_account,
    save_school_edit,
    school_values,
    set_enabled,
    set_school_active,
    ward_accounts,
    ward_schools,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN = Role.WARD_ADMIN


CONFLICT = 409


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _version(values: dict) -> dict:
    """The edit form's fingerprint, set when the form is shown; a POST must bring it back, or it is
    refused as stale (a missing field must not stand for the values as they are now)."""
    return {"version": fingerprint(values)} if request.method == "GET" else {}


def _yes_no(value: bool) -> str:
    return _("Có") if value else _("Không")


def _add_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]


def _validate(form, checks) -> bool:
    """The form's own validators and the rules the save would check next (`checks()` gives
    {field: message}), all at once: a person who left a name blank and picked a taken code hears
    of both on the first submit, not one per submit. A field the form already refused keeps its
    own message."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    more = {name: message for name, message in checks().items() if not getattr(form, name).errors}
    _add_errors(form, more)
    return valid and not more


def _slug_errors(form) -> dict[str, str]:
    slug = form.slug.data or ""
    if (
        slug
        and not form.slug.errors
        and db.session.scalar(select(School.id).filter_by(slug=slug, ward_id=viewed_ward_id()))
    ):
        return {"slug": _("Mã '%(slug)s' đã được dùng cho một trường khác; hãy chọn mã khác.", slug=slug)}
    return {}


def _account_errors(form, schools: dict[int, School], new: bool) -> dict[str, str]:
    """The role and school that do not go together, a username that is taken or malformed."""
    errors = {}
    if form.school.data and form.school.data not in schools:
        errors["school"] = _("Chọn một trường trong danh sách.")
    elif form.role.data in {role.value for role in Role}:
        errors |= check_role_and_school(viewed_ward_id(), Role(form.role.data), schools.get(form.school.data))
    username = (form.username.data or "") if new else ""
    if username and not USERNAME.fullmatch(username):
        errors["username"] = _("Tên đăng nhập chỉ gồm chữ thường không dấu, số, '.', '_' hoặc '-' (2–80 ký tự).")
    elif username and db.session.scalar(select(User.id).where(func.lower(User.username) == username)):
        errors["username"] = TAKEN.format(username)
    return errors


@bp.get("/schools")
@roles_required(ADMIN)
def schools():
    """The ward's schools, active and not, with their level and pilot flag."""
    return render_template("admin/schools.html", schools=ward_schools(viewed_ward_id()))


@bp.route("/schools/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def school_new():
    """Add a school; its checklists for the open years are made at once."""
    form = NewSchoolForm()
    if _validate(form, lambda: _slug_errors(form)):
        row = {
            "slug": form.slug.data,
            "name": form.name.data,
            "level": SchoolLevel(form.level.data),
            "is_pilot": form.is_pilot.data,
            "is_active": form.is_active.data,
        }
        try:
            save_school(viewed_ward(), row, current_user, new=True)
        except SchoolFormError as refused:
            _add_errors(form, refused.errors)
        else:
            flash(_("Đã thêm trường %(name)s.", name=form.name.data.strip()), "success")
            return redirect(url_for(".schools"), 303)
    return render_template("admin/school_form.html", form=form, school=None), _status()


@bp.route("/schools/<slug>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def school_edit(slug):
    """Change a school's name, level, pilot flag or whether it is active; its slug stays."""
    school = get_school(slug)
    form = EditSchoolForm(
        name=school.name,
        level=school.level.value,
        is_pilot=school.is_pilot,
        is_active=school.is_active,
        **_version(school_values(school)),
    )
    if form.validate_on_submit():
        row = {
            "slug": school.slug,
            "name": form.name.data,
            "level": SchoolLevel(form.level.data),
            "is_pilot": form.is_pilot.data,
            "is_active": form.is_active.data,
        }
        try:
            save_school_edit(school, row, version=form.version.valid_data, actor=current_user)
        except StaleEdit:
            form.version.data = fingerprint(school_values(school))
            stored = [
                (form.name.label.text, school.name),
                (form.level.label.text, school.level.label),
                (form.is_pilot.label.text, _yes_no(school.is_pilot)),
                (form.is_active.label.text, _yes_no(school.is_active)),
            ]
            return render_template("admin/school_form.html", form=form, school=school, stored=stored), CONFLICT
        except SchoolFormError as refused:
            _add_errors(form, refused.errors)
        else:
            flash(_("Đã lưu thông tin %(name)s.", name=school.name), "success")
            return redirect(url_for(".schools"), 303)
    return render_template("admin/school_form.html", form=form, school=school, stored=None), _status()


@bp.post("/schools/<slug>/active")
@roles_required(ADMIN)
def school_set_active(slug):
    """Stop following a school (active=0) or follow it again (active=1); its records are kept."""
    school = get_school(slug)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    set_school_active(school, wanted == "1", actor=current_user)
    message = _("%(name)s đang hoạt động.") if wanted == "1" else _("%(name)s đã ngừng hoạt động.")
    flash(message % {"name": school.name}, "success")
    return redirect(url_for(".schools"), 303)


@bp.get("/accounts")
@roles_required(ADMIN)
def accounts():
    """The ward's accounts with their role, school, state and last sign-in."""
    return render_template("admin/accounts.html", users=ward_accounts(viewed_ward_id()))


def _school_choices(form) -> dict[int, School]:
    schools = ward_schools(viewed_ward_id())
    form.school.choices = [choice(0, _("— Không gắn với trường —"))] + [
        choice(s.id, s.name if s.is_active else _("%(name)s (ngừng hoạt động)", name=s.name)) for s in schools
    ]
    return {s.id: s for s in schools}


def _chosen(form, schools: dict[int, School]) -> tuple[Role, School | None]:
    """The role and school picked; a school id from outside the ward's list counts as a bad choice."""
    if form.school.data and form.school.data not in schools:
        raise AccountError(_("Chọn một trường trong danh sách."), "school")
    return Role(form.role.data), schools.get(form.school.data)


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def account_new():
    """Create an account; its temporary password is shown once, and must be changed at first sign-in."""
    form = NewAccountForm()
    schools = _school_choices(form)
    if _validate(form, lambda: _account_errors(form, schools, new=True)):
        try:
            role, school = _chosen(form, schools)
            user, password = create_account(
                viewed_ward(),
                username=form.username.data,
                full_name=form.full_name.data,
                role=role,
                school=school,
                is_enabled=form.is_enabled.data,
                email=form.email.data,
                actor=current_user,
            )
        except AccountError as refused:
            _add_errors(form, {refused.field or "username": str(refused)})
        else:
            return render_template("admin/password_issued.html", user=user, password=password, created=True)
    return render_template("admin/account_form.html", form=form, user=None), _status()


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def account_edit(user_id):
    """Change an account's name, role, school and whether it may sign in."""
    user = get_account(user_id)
    form = EditAccountForm(
        full_name=user.full_name,
        email=user.email or "",
        role=user.role.value,
        school=user.school_id or 0,
        is_enabled=user.is_enabled,
        **_version(account_values(user)),
    )
    schools = _school_choices(form)
    if _validate(form, lambda: _account_errors(form, schools, new=False)):
        try:
            role, school = _chosen(form, schools)
            save_account(
                user,
                version=form.version.valid_data,
                full_name=form.full_name.data,
                role=role,
                school=school,
                is_enabled=form.is_enabled.data,
                email=form.email.data,
                actor=current_user,
            )
        except StaleEdit:
            form.version.data = fingerprint(account_values(user))
            stored = [
                (form.full_name.label.text, user.full_name),
                (form.email.label.text, user.email or ""),
                (form.role.label.text, user.role.label),
                (form.school.label.text, user.school.name if user.school else _("— Không gắn với trường —")),
                (form.is_enabled.label.text, _yes_no(user.is_enabled)),
            ]
            return render_template("admin/account_form.html", form=form, user=user, stored=stored), CONFLICT
        except AccountError as refused:
            db.session.refresh(user)
            _add_errors(form, {refused.field or "role": str(refused)})
        else:
            flash(_("Đã lưu tài khoản %(username)s.", username=user.username), "success")
            return redirect(url_for(".accounts"), 303)
    return render_template("admin/account_form.html", form=form, user=user, stored=None), _status()


@bp.post("/accounts/<int:user_id>/enabled")
@roles_required(ADMIN)
def account_set_enabled(user_id):
    """Let an account sign in again (enabled=1) or lock it (enabled=0: its sessions end at once)."""
    user = get_account(user_id)
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1"):
        abort(400)
    try:
        set_enabled(user, wanted == "1", actor=current_user)
    except AccountError as refused:
        db.session.refresh(user)
        flash(str(refused), "error")
        return redirect(url_for(".account_edit", user_id=user.id), 303)
    message = _("Đã mở khóa tài khoản %(username)s.") if wanted == "1" else _("Đã khóa tài khoản %(username)s.")
    flash(message % {"username": user.username}, "success")
    return redirect(url_for(".accounts"), 303)


@bp.post("/accounts/<int:user_id>/password")
@roles_required(ADMIN)
def account_reset_password(user_id):
    """Give an account a new temporary password, shown once; its sessions end."""
    user = get_account(user_id)
    if user.id == current_user.id:
        flash(_("Để đổi mật khẩu của chính bạn, hãy dùng trang “Đổi mật khẩu”."), "error")
        return redirect(url_for("auth.change_password"), 303)
    password = reset_password(user, actor=current_user)
    return render_template("admin/password_issued.html", user=user, password=password, created=False)
