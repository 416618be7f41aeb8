"""Signing in and out."""
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from .. import audit
from ..extensions import db, limiter
from . import bp
from .forms import LoginForm
from .services import authenticate

LOGIN_FAILED = _l("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.")


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it is a path inside this app (no scheme, host or `//`)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _username_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()


def _failed(response) -> bool:
    return g.get("login_failed", False)


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_account_limit, key_func=_username_key, methods=["POST"], deduct_when=_failed)
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
            login_user(user)
            audit.record("auth.login", user, school_id=user.school_id, actor=user)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("core.home"))
        g.login_failed = True
        db.session.rollback()
        current_app.logger.info("Failed login for %r from %s", form.username.data[:80], request.remote_addr)
        error = LOGIN_FAILED
    return render_template("auth/login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    """End the session (a POST, so that no link or image can sign anyone out)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
