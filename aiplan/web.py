"""What every response shares: request ids, security headers, error pages, template helpers."""

import hashlib
import logging
import secrets
from pathlib import Path

from flask import Flask, abort, g, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from wtforms import Field
from wtforms.widgets import Select

from . import access, audit, timeutil, units
from .extensions import db
from .inputs import NUL_TEXT, has_nul
from .models import RESUBMITTED, EvaluationState, ItemStatus, SchoolLevel, TargetOutcome, Verdict
from .storage import StoreUnavailable

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: (
        _l("Yêu cầu không hợp lệ"),
        _l("Trang đã hết hạn hoặc dữ liệu gửi lên không đúng. Hãy tải lại trang rồi thử lại."),
    ),
    403: (_l("Không có quyền truy cập"), _l("Tài khoản của bạn không được phép xem hoặc thay đổi nội dung này.")),
    404: (_l("Không tìm thấy"), _l("Trang hoặc dữ liệu bạn tìm không tồn tại.")),
    405: (_l("Thao tác không được hỗ trợ"), _l("Địa chỉ này không nhận kiểu yêu cầu vừa gửi.")),
    409: (_l("Dữ liệu đã thay đổi"), _l("Người khác vừa cập nhật mục này. Hãy xem lại rồi lưu lại.")),
    413: (_l("Tệp quá lớn"), _l("Tệp gửi lên vượt quá dung lượng cho phép.")),
    429: (_l("Thử quá nhiều lần"), _l("Bạn đã thử quá nhiều lần. Vui lòng đợi ít phút rồi thử lại.")),
    500: (_l("Đã có lỗi xảy ra"), _l("Hệ thống gặp lỗi. Lỗi đã được ghi lại; hãy thử lại sau hoặc báo cho quản trị.")),
    503: (
        _l("Kho lưu trữ tệp tạm thời không truy cập được"),
        _l(
            "Chưa lấy hoặc lưu được tệp vì kho lưu trữ tệp đang không trả lời. Hãy thử lại sau ít phút; "
            "nếu vẫn lỗi, hãy báo cho quản trị."
        ),
    ),
}


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        try:
            record.request_id = g.get("request_id", "-")
        except RuntimeError:
            record.request_id = "-"
        return True


class BoundedIntConverter(IntegerConverter):
    """<int:…> in every route, capped at the database's integer range, so a huge id is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_PROXIES"):
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)

    static_versions: dict[str, str] = {}

    @app.url_defaults
    def version_static_files(endpoint, values):
        """`?v=<content hash>` on every static URL: browsers keep files a year and fetch a new
        one as soon as it changes."""
        if endpoint != "static" or "filename" not in values:
            return
        filename = values["filename"]
        if filename not in static_versions:
            assert app.static_folder is not None  # the app is created with one
            path = Path(app.static_folder) / filename
            static_versions[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""
        if static_versions[filename]:
            values["v"] = static_versions[filename]

    @app.before_request
    def assign_request_id():
        g.request_id = secrets.token_hex(8)

    @app.before_request
    def refuse_nul_bytes():
        """No text the app keeps may hold NUL: PostgreSQL refuses it (a 500 deep in a query),
        SQLite keeps it silently, and nobody types one. Refused here, once, for all of a request."""
        if any(has_nul(text) for text in _request_texts()):
            abort(400, description=str(NUL_TEXT))

    @app.after_request
    def secure_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.vary.add("HX-Request")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        title, message = ERROR_MESSAGES.get(error.code or 0, (error.name, error.description))  # no code: no entry
        title, message = str(title), str(message)
        # A refusal that says why (400, 403, 404, and 409: the state does not allow it) shows its own words.
        if error.code in (400, 403, 404, 409) and error.description and _is_ours(error.description):
            message = error.description
        return render_template("errors/error.html", code=error.code, title=title, message=message), error.code

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable):
        """The evidence store (S3) is down or refused: say so, not a 500; the rest of the app works on."""
        app.logger.error("Evidence store unavailable on %s %s: %s", request.method, request.path, error)
        db.session.rollback()
        title, message = (str(text) for text in ERROR_MESSAGES[503])
        return render_template("errors/error.html", code=503, title=title, message=message), 503, {"Retry-After": "60"}

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()  # the page below reads the user; a failed transaction must not stop it
        title, message = (str(text) for text in ERROR_MESSAGES[500])
        try:
            return render_template(
                "errors/error.html", code=500, title=title, message=message, request_id=g.get("request_id", "")
            ), 500
        except Exception:
            app.logger.exception("Error page failed to render")
            return f"{title}. {message} ({g.get('request_id', '')})", 500, {"Content-Type": "text/plain; charset=utf-8"}

    app.jinja_env.globals["get_locale"] = get_locale
    # For the header of a city account: the ward it is looking at, if any (access.viewed_ward_id).
    app.jinja_env.globals["viewed_ward_or_none"] = access.viewed_ward_or_none
    # The vocabulary (aiplan/models/vocabulary.py), for the templates that list every value: buttons, legends.
    app.jinja_env.globals.update(
        ItemStatus=ItemStatus,
        Verdict=Verdict,
        RESUBMITTED=RESUBMITTED,
        SchoolLevel=SchoolLevel,
        TargetOutcome=TargetOutcome,
        EvaluationState=EvaluationState,
    )
    app.jinja_env.filters["vn_date"] = timeutil.format_date
    app.jinja_env.filters["vn_datetime"] = timeutil.format_datetime
    app.jinja_env.filters["iso_datetime"] = timeutil.machine_datetime
    app.jinja_env.filters["audit_action"] = audit.action_label
    app.jinja_env.filters["audit_field"] = audit.field_label
    app.jinja_env.filters["audit_value"] = audit.value_label
    app.jinja_env.filters["html_required"] = html_required
    app.jinja_env.filters["filesize"] = units.file_size
    app.jinja_env.filters["capfirst"] = lambda s: s[:1].upper() + s[1:] if s else s


def _request_texts():
    """Every piece of text a request brings that the app may read: the path and its variables,
    query and form keys and values, uploaded files' field and file names, and the headers
    (cookies, htmx's HX-* and the proxy's X-Forwarded-For among them)."""
    yield request.path
    yield from (value for value in (request.view_args or {}).values() if isinstance(value, str))
    for key, values in (*request.args.lists(), *request.form.lists()):
        yield key
        yield from values
    for key, files in request.files.lists():
        yield key
        yield from (file.filename for file in files)
    for key, value in request.headers.items():
        yield key
        yield value


def _is_ours(description: str) -> bool:
    """Werkzeug's default English descriptions are replaced; messages we wrote are kept."""
    return not description.isascii()


def html_required(field: Field) -> bool:
    """Whether a field's HTML carries `required`: as its validators say, except a drop-down whose
    first option has a value. One option is always chosen there, so the browser has nothing to
    check, and HTML allows `required` on a drop-down only above an empty first option."""
    if not field.flags.required:
        return False
    if isinstance(field.widget, Select) and not field.widget.multiple:
        first = next(iter(field.iter_choices()), None)
        return first is None or str(first[0]) == ""
    return True
