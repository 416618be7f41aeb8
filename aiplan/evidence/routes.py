"""Evidence files: upload to an item or activity, download, soft delete, restore, the restricted mark.

Errors reach the user the way the checklist items do it: a refused upload answers 422 with
the file list component re-rendered around its message (role="alert"), which htmx swaps in
because base.html's htmx-config swaps 409 and 422. Without JavaScript the same 422 comes as
a page holding that component, so the user can try again right there. A request over
MAX_CONTENT_LENGTH never reaches a view: it gets the 413 page below, whose heading and first
paragraph static/js/app.js shows in #error-region for htmx requests.
"""

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from ..access import (
    can_read_file,
    can_see_restricted_file,
    check_ward_writable,
    check_writable,
    get_activity,
    get_item,
    get_resource,
    get_ward_activity,
    get_ward_item,
    get_ward_resource,
    roles_required,
    viewed_ward_id,
)
from ..extensions import db, htmx
from ..fields import error_text
from ..figures.aitools import is_consent_form
from ..figures.evidence import deleted_files, files_for_activity, files_for_items, files_for_resource
from ..models import EvidenceFile, Role, User
from ..redirects import safe_next
from ..schoolyear import closed_year_message, is_closed
from ..storage import StoreUnavailable, get_storage
from .blueprint import bp
from .forms import FileActionForm, RestrictedForm, UploadForm
from .services import Upload, UploadRefused, delete_file, restore_file, save_uploads, set_restricted
from .validation import MB, accept_attribute, allowed_text, policy_from_config


def get_file(file_id: int, write: bool = False) -> EvidenceFile:
    """The file if the current user may read it, or change it with `write`; 404 if unknown or
    deleted (ward admins still read deleted files, to restore them), 403 if not theirs. A file of
    the ward's own records is 404 to anyone outside the ward's roles (school staff included), and
    only the ward's admins change it."""
    file = db.session.get(EvidenceFile, file_id)
    if file is None or (file.is_deleted and (write or current_user.role is not Role.WARD_ADMIN)):
        abort(404)
    if not can_read_file(current_user, file):
        abort(404 if file.school is None else 403)
    if file.restricted and not can_see_restricted_file(current_user, file):
        abort(403)
    if write:
        if file.school is None:
            check_ward_writable(file.owner.plan)
        else:
            check_writable(file.school, file.owner.plan_id)
    return file


@bp.post("/schools/<slug>/items/<int:item_id>/files")
@roles_required(Role.SCHOOL_STAFF)
def upload_to_item(slug, item_id):
    """Attach files to a checklist item; htmx gets the file list back, a plain form a redirect."""
    school, item = get_item(slug, item_id, write=True)
    return _upload(school, item=item)


@bp.post("/schools/<slug>/activities/<int:activity_id>/files")
@roles_required(Role.SCHOOL_STAFF)
def upload_to_activity(slug, activity_id):
    """Attach files to an activity; htmx gets the file list back, a plain form a redirect."""
    school, activity = get_activity(slug, activity_id, write=True)
    return _upload(school, activity=activity)


@bp.post("/ward/items/<int:item_id>/files")
@roles_required(Role.WARD_ADMIN)
def upload_to_ward_item(item_id):
    """Attach files to an item of the ward's own checklist (its decision, its plan, its minutes…)."""
    return _upload(None, item=get_ward_item(item_id, write=True))


@bp.post("/ward/activities/<int:activity_id>/files")
@roles_required(Role.WARD_ADMIN)
def upload_to_ward_activity(activity_id):
    """Attach files to one of the ward's own activities (its conference's minutes, photos…)."""
    return _upload(None, activity=get_ward_activity(activity_id, write=True))


@bp.post("/schools/<slug>/resources/<int:resource_id>/files")
@roles_required(Role.SCHOOL_STAFF)
def upload_to_resource(slug, resource_id):
    """Attach documents (a decision, a gift agreement) to an entry of the school's resources register."""
    school, resource = get_resource(slug, resource_id, write=True)
    return _upload(school, resource=resource)


@bp.post("/ward/resources/<int:resource_id>/files")
@roles_required(Role.WARD_ADMIN)
def upload_to_ward_resource(resource_id):
    """Attach documents to an entry of the ward's own resources register."""
    return _upload(None, resource=get_ward_resource(resource_id, write=True))


@bp.get("/files/<int:file_id>")
@roles_required(*Role)
def download(file_id):
    """Send a file as an attachment under its original name, with its real type."""
    file = get_file(file_id)
    try:
        stream = get_storage().open(file.sha256)
    except FileNotFoundError:
        current_app.logger.error("Evidence file %s has no blob %s in the store", file.id, file.sha256)
        abort(404, description="Không tìm thấy nội dung của tệp trong kho lưu trữ; hãy báo cho quản trị.")
    response = send_file(
        stream, as_attachment=True, download_name=file.original_name, etag=file.sha256, conditional=True
    )
    # Set after send_file: werkzeug would append a second charset to a text type.
    response.headers["Content-Type"] = file.content_type
    if response.status_code == 200:
        response.content_length = file.size
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/files/<int:file_id>/delete")
@roles_required(Role.SCHOOL_STAFF, Role.WARD_ADMIN)
def delete(file_id):
    """Soft-delete a file (the school's staff, or the ward's admins for the ward's own); a ward admin can restore it."""
    file = get_file(file_id, write=True)
    form = FileActionForm()
    delete_file(file, current_user)
    return _changed(
        file,
        form.next.data,
        _("Đã xóa tệp %(name)s. Cán bộ Phòng VHXH có thể khôi phục nếu cần.", name=file.original_name),
    )


@bp.post("/files/<int:file_id>/restricted")
@roles_required(Role.SCHOOL_STAFF, Role.WARD_ADMIN)
def restricted(file_id):
    """Set (not toggle) the restricted mark: value=1 hides the file from viewers, value=0 shows it."""
    file = get_file(file_id, write=True)
    form = RestrictedForm()
    if not form.validate_on_submit():
        abort(400)
    if form.value.data == "0" and is_consent_form(file.id):
        abort(409, description=_("Tệp này là bản đồng ý của cha mẹ học sinh nên luôn được hạn chế."))
    set_restricted(file, form.value.data == "1", current_user)
    notice = (
        _("Đã đánh dấu hạn chế: %(name)s.", name=file.original_name)
        if file.restricted
        else _("Đã bỏ đánh dấu hạn chế: %(name)s.", name=file.original_name)
    )
    return _changed(file, form.next.data, notice)


@bp.post("/files/<int:file_id>/restore")
@roles_required(Role.WARD_ADMIN)
def restore(file_id):
    """Restore a deleted file (ward admins), of the current year only."""
    file = get_file(file_id)
    if is_closed(file.owner.plan):
        abort(403, description=closed_year_message())
    form = FileActionForm()
    if restore_file(file, current_user):
        flash(_("Đã khôi phục tệp %(name)s.", name=file.original_name), "success")
    return redirect(safe_next(form.next.data) or url_for(".deleted"), 303)


@bp.get("/files/deleted")
@roles_required(Role.WARD_ADMIN)
def deleted():
    """The ward's deleted files, to restore what was deleted by mistake."""
    files = deleted_files(viewed_ward_id())
    deleter_ids = {file.deleted_by_id for file in files if file.deleted_by_id}
    deleters = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(deleter_ids)))}
    return render_template("evidence/deleted.html", files=files, deleters=deleters)


@bp.errorhandler(413)
def too_large(error):
    """Say what the limit is; nothing was read, so nothing was stored."""
    message = _(
        "Mỗi lần gửi, tổng dung lượng các tệp tối đa là %(limit)s MB. Chưa có tệp nào được lưu; "
        "hãy chọn tệp nhỏ hơn hoặc gửi từng tệp một.",
        limit=upload_limit_mb(),
    )
    return render_template("errors/error.html", code=413, title=_("Tệp quá lớn"), message=message), 413


# -- helpers -----------------------------------------------------------------------------------


def _upload(school, item=None, activity=None, resource=None):
    form = UploadForm()
    back = safe_next(form.next.data) or _default_back(school, item, activity, resource)
    chosen = [f for f in request.files.getlist(form.file.name) if _was_chosen(f)]
    error, problems, notice, code = None, [], None, 200
    if not form.validate_on_submit():
        error, code = error_text(form), 422
    elif not chosen:
        error, code = _("Hãy chọn ít nhất một tệp."), 422
    elif len(chosen) > current_app.config["EVIDENCE_MAX_FILES"]:
        error, code = _("Mỗi lần gửi tối đa %(max)s tệp.", max=current_app.config["EVIDENCE_MAX_FILES"]), 422
    else:
        uploads = [Upload(f.stream, f.filename, form.description.data, form.restricted.data) for f in chosen]
        try:
            saved = save_uploads(
                uploads, school=school, item=item, activity=activity, resource=resource, actor=current_user
            )
        except UploadRefused as refused:
            error = refused.message or _("Chưa lưu tệp nào: có tệp không được nhận. Hãy bỏ tệp đó rồi gửi lại.")
            code = 422
            problems = refused.problems
        except StoreUnavailable as down:
            if htmx:  # the 503 page, whose words app.js shows beside the form (htmx swaps no 503)
                raise
            current_app.logger.error("Upload not stored, the evidence store is unavailable: %s", down)
            error = _(
                "Chưa lưu tệp nào: kho lưu trữ tệp đang không truy cập được. "
                "Hãy thử lại sau ít phút; nếu vẫn lỗi, hãy báo cho quản trị."
            )
            code = 503
        else:
            notice = ngettext("Đã tải lên %(num)d tệp.", "Đã tải lên %(num)d tệp.", len(saved))
    context = dict(
        school=school,
        item=item,
        activity=activity,
        resource=resource,
        can_write=True,
        files_error=error,
        files_problems=problems,
        files_notice=notice,
        back_url=back,
    )
    if htmx and htmx.target == component_id(item, activity, resource):
        return render_template(
            "evidence/_files_update.html", files=_files_of(item, activity, resource), **context
        ), code
    if error:
        return render_template("evidence/files_page.html", files=_files_of(item, activity, resource), **context), code
    assert notice is not None  # without an error, the files were saved and counted
    flash(notice, "success")
    return redirect(back, 303)


def _changed(file: EvidenceFile, next_url: str | None, notice: str):
    """After a delete or a mark: the component again for htmx, else back where the user was."""
    item, activity, resource = file.item, file.activity, file.resource
    back = safe_next(next_url) or _default_back(file.school, item, activity, resource)
    if htmx and htmx.target == component_id(item, activity, resource):
        return render_template(
            "evidence/_files_update.html",
            files=_files_of(item, activity, resource),
            school=file.school,
            item=item,
            activity=activity,
            resource=resource,
            can_write=True,
            files_notice=notice,
            back_url=back,
        )
    flash(notice, "success")
    return redirect(back, 303)


def component_id(item=None, activity=None, resource=None) -> str:
    """The id of the file list component of an item, activity or resource (the htmx target)."""
    if resource is not None:
        return f"files-resource-{resource.id}"
    return f"files-item-{item.id}" if item is not None else f"files-activity-{activity.id}"


def _files_of(item, activity, resource=None):
    if resource is not None:
        return files_for_resource(resource.id, current_user)
    if item is not None:
        return files_for_items([item.id], current_user)[item.id]
    return files_for_activity(activity.id, current_user)


def _default_back(school, item, activity, resource=None) -> str:
    if resource is not None:
        anchor = component_id(resource=resource)
        if school is None:
            return url_for("resources.ward_detail", resource_id=resource.id, _anchor=anchor)
        return url_for("resources.detail", slug=school.slug, resource_id=resource.id, _anchor=anchor)
    if school is None:  # the ward's own records
        if activity is not None:
            return url_for("activities.ward_detail", activity_id=activity.id, _anchor=component_id(item, activity))
        return url_for("checklists.ward", _anchor=component_id(item, activity))
    return url_for("schools.school", slug=school.slug, _anchor=component_id(item, activity))


def upload_url(item=None, activity=None, resource=None) -> str:
    """Where the file list component of an item, activity or resource posts its uploads: the school's or the ward's."""
    if resource is not None:
        if resource.school_id is None:
            return url_for("evidence.upload_to_ward_resource", resource_id=resource.id)
        return url_for("evidence.upload_to_resource", slug=resource.school.slug, resource_id=resource.id)
    owner = item if item is not None else activity
    if owner.school_id is None:
        if item is not None:
            return url_for("evidence.upload_to_ward_item", item_id=item.id)
        return url_for("evidence.upload_to_ward_activity", activity_id=activity.id)
    if item is not None:
        return url_for("evidence.upload_to_item", slug=owner.school.slug, item_id=item.id)
    return url_for("evidence.upload_to_activity", slug=owner.school.slug, activity_id=activity.id)


def _was_chosen(upload) -> bool:
    """Browsers send an empty, nameless part when no file was picked; a nameless part with bytes
    is a file (it gets a generated name)."""
    if upload.filename:
        return True
    chosen = bool(upload.stream.read(1))
    upload.stream.seek(0)
    return chosen


def upload_limit_mb() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / MB:.1f}".rstrip("0").rstrip(".").replace(".", ",")


@bp.app_context_processor
def evidence_helpers():
    return dict(evidence_component_id=component_id, evidence_upload_url=upload_url)


@bp.app_template_global()
def evidence_accept() -> str:
    """The `accept` attribute of the upload input."""
    return accept_attribute(policy_from_config(current_app.config))


@bp.app_template_global()
def evidence_allowed_text() -> str:
    return allowed_text(policy_from_config(current_app.config))


@bp.app_template_global()
def evidence_upload_limit() -> str:
    return upload_limit_mb()
