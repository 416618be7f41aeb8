"""Signing in and out; changing one's own password (required after a reset)."""

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from .. import audit
from ..access import login_required_any
from ..extensions import db, htmx, limiter
from ..inputs import fingerprint
from ..mailing.forms import PreferenceForm, preference_form
from ..mailing.services import StalePreference, preference_values, set_frequency
from ..models import DigestFrequency
from ..redirects import safe_next
from ..timeutil import format_datetime
from .forms import LoginForm, PasswordChangeForm
from .services import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    active_sessions,
    authenticate,
    device_label,
    end_session,
    record_failed_login,
    start_session,
    take_failed_logins,
)
from .services import change_password as change_own_password

bp = Blueprint("auth", __name__)

# What an account with a temporary password may still reach before choosing its own.
PASSWORD_CHANGE_EXEMPT = {
    "auth.change_password",
    "auth.logout",
    "auth.login",
    "static",
    "core.healthz",
    "core.set_language",
}

LOGIN_FAILED = _l("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.")


def _address() -> str:
    return request.remote_addr or "-"


def _typed_username() -> str:
    return (request.form.get("username") or "").strip().lower()[:80]


def _pair_key() -> str:
    return f"login:{_typed_username()}@{_address()}"


def _account_key() -> str:
    return f"login-account:{_typed_username()}"


def _failed(response) -> bool:
    return g.get("login_failed", False)


def _pair_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"]


def _account_ceiling() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT_CEILING"]


def _ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


# Wrong passwords are limited strictly per account *and* address (the guesser's), per address for
# all names, and per account from everywhere only at a high ceiling: five wrong passwords typed by
# someone else no longer lock the owner out (see docs/security.md).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_pair_limit, key_func=_pair_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_ceiling, key_func=_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_failed)
def login():
    """Show the login form; on success start a fresh session and go where the user was headed."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("core.home"))
    error = None
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a new session at login: nothing from before survives
            start_session(user, user_agent=request.user_agent.string, ip=_address())
            failures, last_failure = take_failed_logins(user)
            audit.record("auth.login", user, school_id=user.school_id, actor=user)
            db.session.commit()
            login_user(user)
            if failures:
                flash(
                    ngettext(
                        "Có %(num)d lần đăng nhập sai vào tài khoản của bạn kể từ lần đăng nhập trước, lần "
                        "gần nhất lúc %(when)s. Nếu không phải bạn, hãy đổi mật khẩu.",
                        "Có %(num)d lần đăng nhập sai vào tài khoản của bạn kể từ lần đăng nhập trước, lần "
                        "gần nhất lúc %(when)s. Nếu không phải bạn, hãy đổi mật khẩu.",
                        failures,
                        when=format_datetime(last_failure),
                    ),
                    "warning",
                )
            if user.must_change_password:
                return redirect(url_for("auth.change_password", next=safe_next(form.next.data)))
            return redirect(safe_next(form.next.data) or url_for("core.home"))
        g.login_failed = True
        db.session.rollback()
        record_failed_login(form.username.data)
        db.session.commit()
        current_app.logger.info("Failed login for %r from %s", form.username.data[:80], request.remote_addr)
        error = LOGIN_FAILED
    return render_template("auth/login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    """End this sign-in (a POST, so that no link or image can sign anyone out); other devices stay in."""
    if current_user.is_authenticated:
        end_session(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/account")
@login_required_any
def account():
    """One's own account: the sign-ins still open, signing out of all of them, changing the password,
    how often reminders are mailed."""
    return render_account()


def render_account(mail_form=None, mail_stored=None) -> str:
    """The account page; `mail_form`: the mail choice as posted, with its errors (aiplan/mailing/)."""
    return render_template(
        "auth/account.html",
        sessions=active_sessions(current_user),
        this_session=current_user.current_session,
        device_label=device_label,
        idle_hours=f"{current_app.config['SESSION_IDLE_MINUTES'] / 60:g}".replace(".", ","),
        mail_form=mail_form or preference_form(current_user),
        mail_stored=mail_stored,
    )


@bp.post("/account/mail")
@login_required_any
def mail_preference():
    """Save how often this account is mailed reminders: daily, weekly or never (aiplan/mailing/)."""
    user = current_user._get_current_object()
    form = PreferenceForm()
    if form.validate_on_submit():
        try:
            set_frequency(
                user,
                DigestFrequency(form.digest_frequency.data),
                actor=user,
                version=form.version.valid_data,
                how="account",
            )
        except StalePreference:
            form.version.data = fingerprint(preference_values(user))
            stored = [(form.digest_frequency.label.text, user.digest_frequency.label)]
            return render_account(mail_form=form, mail_stored=stored), 409
        flash(_("Đã lưu cách nhận thư nhắc việc: %(choice)s.", choice=user.digest_frequency.label), "success")
        return redirect(url_for("auth.account") + "#mail", 303)
    return render_account(mail_form=form), 422


@bp.post("/account/sessions/end")
@login_required_any
def end_all_sessions():
    """Sign out everywhere: every sign-in of this account ends, this browser's too."""
    user = current_user._get_current_object()
    user.end_sessions()
    audit.record("user.end_sessions", user, school_id=user.school_id, ward_id=user.ward_id, actor=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Đã đăng xuất khỏi mọi thiết bị. Hãy đăng nhập lại để tiếp tục."), "success")
    return redirect(url_for("auth.login"), 303)


def _password_key() -> str:
    return f"password:{current_user.id if current_user.is_authenticated else '-'}"


@bp.before_app_request
def require_password_change():
    """An account given a temporary password is sent to choose its own before anything else."""
    if (
        request.endpoint in PASSWORD_CHANGE_EXEMPT
        or not current_user.is_authenticated
        or not current_user.must_change_password
    ):
        return None
    target = url_for("auth.change_password", next=safe_next(request.full_path) if request.method == "GET" else None)
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_pair_limit, key_func=_password_key, methods=["POST"], deduct_when=_failed)
@login_required_any
def change_password():
    """Change one's own password; other sessions end, this one stays signed in."""
    form = PasswordChangeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(user, form.current_password.data, form.new_password.data)
        except AccountError as refused:
            db.session.rollback()
            g.login_failed = refused.field == "current_password"
            getattr(form, refused.field or "new_password").errors.append(str(refused))
        else:
            # Every sign-in ended with the change; this browser gets a new one and stays in.
            start_session(user, user_agent=request.user_agent.string, ip=_address())
            db.session.commit()
            login_user(user)
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã kết thúc."), "success")
            return redirect(safe_next(form.next.data) or url_for("core.home"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, min_length=MIN_PASSWORD_LENGTH), status
