"""Importing the ward's schools and accounts from a CSV or XLSX file: upload, preview, confirm."""

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..access import roles_required, viewed_ward
from ..auth.services import AccountError
from ..documents.tables import MAX_BYTES, ImportFileError, read_tables
from ..models import Role
from . import pending
from .forms import ConfirmImportForm, ImportForm
from .import_plan import apply_import, plan_import
from .routes import bp
from .samples import SAMPLES, sample_csv, sample_xlsx
from .schools import SchoolImportError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_page(problems: list[str], status: int, plan=None, confirm=None, filename: str = ""):
    return render_template(
        "admin/import.html",
        form=ImportForm(),
        problems=problems,
        plan=plan,
        confirm=confirm,
        filename=filename,
        max_mb=MAX_BYTES // (1024 * 1024),
    ), status


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def import_file():
    """The upload form (GET); the preview of what each row of the file would do (POST). Nothing is saved yet."""
    if request.method == "GET":
        return _form_page([], 200)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _form_page([_("Chọn tệp CSV hoặc XLSX để tải lên.")], 422)
    filename = upload.filename[-180:]
    raw = upload.stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        return _form_page([_("Tệp quá lớn: tối đa %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024))], 413, filename=filename)
    try:
        plan = plan_import(viewed_ward(), read_tables(filename, raw))
    except ImportFileError as refused:
        return _form_page(refused.problems, 422, filename=filename)
    if not plan.ok:
        return _form_page(plan.problems, 422, plan=plan, filename=filename)
    token, digest = pending.keep(raw, filename, current_user)
    return _form_page([], 200, plan=plan, confirm=ConfirmImportForm(token=token, sha256=digest), filename=filename)


@bp.post("/import/confirm")
@roles_required(Role.WARD_ADMIN)
def import_confirm():
    """Import the file that was previewed, read and checked again: every row, or none."""
    form = ConfirmImportForm()
    kept = pending.take(form.token.data, form.sha256.data, current_user) if form.validate_on_submit() else None
    if kept is None:
        return _form_page([_("Bản xem trước đã hết hạn hoặc đã được dùng; hãy tải tệp lên lại.")], 422)
    pending.discard(form.token.data)  # one confirmation per preview
    filename, raw = kept
    try:
        plan = plan_import(viewed_ward(), read_tables(filename, raw))
        if not plan.ok:
            return _form_page(plan.problems, 422, plan=plan, filename=filename)
        result = apply_import(viewed_ward(), plan, current_user)
    except ImportFileError as refused:
        return _form_page(refused.problems, 422, filename=filename)
    except (AccountError, SchoolImportError) as refused:
        problems = getattr(refused, "problems", None) or [str(refused)]
        return _form_page([_("Chưa nhập gì: dữ liệu vừa thay đổi trong lúc nhập.")] + problems, 409, filename=filename)
    except IntegrityError:
        return _form_page(
            [_("Chưa nhập gì: dữ liệu vừa thay đổi trong lúc nhập; hãy tải tệp lên lại.")], 409, filename=filename
        )
    return render_template("admin/import_done.html", result=result, filename=filename)


@bp.get("/import/mau-<kind>.csv")
@roles_required(Role.WARD_ADMIN)
def import_sample_csv(kind):
    """A sample list to fill in: the headers the importer reads and two example rows."""
    if kind not in SAMPLES:
        abort(404)
    return sample_csv(kind), 200, _attachment(f"mau-{kind}.csv", "text/csv; charset=utf-8")


@bp.get("/import/mau.xlsx")
@roles_required(Role.WARD_ADMIN)
def import_sample_xlsx():
    """Both sample lists in one workbook, a sheet each."""
    return sample_xlsx(), 200, _attachment("mau-danh-sach.xlsx", XLSX)


def _attachment(filename: str, mimetype: str) -> dict:
    return {"Content-Type": mimetype, "Content-Disposition": f'attachment; filename="{filename}"'}
