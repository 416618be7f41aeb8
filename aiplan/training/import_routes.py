"""Importing a school's staff roster from a CSV or XLSX list, as the ward's own imports go:
upload, preview what each row will do, confirm. Nothing is saved before the confirmation, and
the confirmed rows are checked again by the same rules: every row is added, or none."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import check_writable, get_school, roles_required
from ..documents.tables import MAX_BYTES, ImportFileError, Table, read_tables
from ..figures import training as figures
from ..models import Role
from ..schoolyear import current_plan
from . import services
from .forms import RosterImportForm
from .routes import UNPROCESSABLE, bp
from .samples import sample_csv, sample_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _writable_school(slug):
    school = get_school(slug, write=True)
    plan = current_plan(school.ward_id)
    check_writable(school, plan.id)
    return school, plan


def _page(school, plan, form, problems, status, preview=None):
    known = {(t.name.casefold(), t.email.casefold()) for t in figures.roster(plan, school)} if preview else set()
    return render_template(
        "training/import.html",
        school=school,
        plan=plan,
        form=form,
        problems=problems,
        preview=[(row, (row["name"].casefold(), row["email"].casefold()) in known) for row in preview or []],
        max_mb=MAX_BYTES // 2**20,
    ), status


@bp.route("/schools/<slug>/training/teachers/import", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_STAFF)
def import_roster(slug):
    """The upload form (GET); the preview of the list's teachers (POST). Nothing is saved yet."""
    school, plan = _writable_school(slug)
    form = RosterImportForm()
    if request.method == "GET":
        return _page(school, plan, form, [], 200)
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        return _page(school, plan, form, [_("Chọn tệp CSV hoặc XLSX để tải lên.")], UNPROCESSABLE)
    raw = upload.stream.read(MAX_BYTES + 1)
    try:
        teachers, problems = services.read_roster(read_tables(upload.filename[-180:], raw))
    except ImportFileError as refused:
        teachers, problems = [], refused.problems
    if problems:
        return _page(school, plan, form, problems, UNPROCESSABLE)
    return _page(school, plan, form, [], 200, preview=teachers)


@bp.post("/schools/<slug>/training/teachers/import/confirm")
@roles_required(Role.SCHOOL_STAFF)
def import_confirm(slug):
    """Add the previewed teachers, read again by the import's rules: every one, or none."""
    school, plan = _writable_school(slug)
    form = RosterImportForm()
    columns = [request.form.getlist(name) for name in ("name", "subject", "email")]
    if not form.validate() or len({len(values) for values in columns}) != 1:
        abort(400)
    header = [titles[0] for titles in services.COLUMNS.values()]
    table = Table(None, [(1, header)] + [(line, list(row)) for line, row in enumerate(zip(*columns, strict=True), 2)])
    try:
        teachers, problems = services.read_roster([table])
    except ImportFileError as refused:
        teachers, problems = [], refused.problems
    if problems:
        return _page(school, plan, form, problems, UNPROCESSABLE)
    added, skipped = services.import_roster(plan, school, teachers, figures.roster(plan, school), actor=current_user)
    flash(
        _("Đã thêm %(added)d giáo viên vào danh sách; bỏ qua %(skipped)d người đã có.", added=added, skipped=skipped),
        "success",
    )
    return redirect(url_for(".roster", slug=school.slug))


@bp.get("/training/mau-danh-sach-giao-vien.<ext>")
@roles_required(*Role)
def roster_sample(ext):
    """The roster list's sample file, CSV or XLSX."""
    if ext == "csv":
        body, mimetype = sample_csv(), "text/csv; charset=utf-8"
    elif ext == "xlsx":
        body, mimetype = sample_xlsx(), XLSX
    else:
        abort(404)
    return (
        body,
        200,
        {
            "Content-Type": mimetype,
            "Content-Disposition": f'attachment; filename="mau-danh-sach-giao-vien.{ext}"',
        },
    )
