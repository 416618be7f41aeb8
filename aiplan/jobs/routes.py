"""Asking for a heavy download as a job, watching it, and fetching the file.

POST /jobs creates the job and lands on /jobs/<id>: a page whose progress fragment htmx polls until
the job is finished (without JavaScript, the page refreshes itself from a <noscript> tag), then a
download link. Only the asker sees a job, and only while still allowed to read what it holds:
anyone else gets 404, as for a school of another ward.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import login_required_any, viewed_ward_id
from ..extensions import db, htmx
from ..models import Job, JobKind, Plan, Role, School, UpwardReport
from . import files, kinds, services

bp = Blueprint("jobs", __name__)

POLL_SECONDS = 1


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if not services.may_see(current_user, job):
        abort(404)
    assert job is not None
    return job


def _posted_plan() -> Plan:
    """The year the page was showing (its plan's id, posted), if of the user's ward and open to them."""
    plan = db.session.get(Plan, request.form.get("plan", type=int))
    if plan is None or plan.ward_id != viewed_ward_id():
        abort(404)
    if plan.school_year.opened_at is None and current_user.role is not Role.WARD_ADMIN:
        abort(404)
    return plan


@bp.post("/jobs")
@login_required_any
def create():
    """Ask for a file; 303 to its page."""
    try:
        kind = JobKind(request.form.get("kind", ""))
    except ValueError:
        abort(404)
    plan = _posted_plan()
    school, report_id = None, None
    if kind is JobKind.EVIDENCE_ZIP:
        school = db.session.scalar(select(School).filter_by(slug=request.form.get("school", ""), ward_id=plan.ward_id))
        if school is None:
            abort(404)
    if kind is JobKind.UPWARD_REPORT:
        report = db.session.get(UpwardReport, request.form.get("report", type=int))
        if report is None or report.plan_id != plan.id:
            abort(404)
        report_id = report.id
    if not kinds.may_ask(current_user, kind, plan.ward_id, school):
        abort(403)
    job = services.create_job(current_user, kind, plan, school=school, report_id=report_id)
    return redirect(url_for(".show", job_id=job.id), 303)


@bp.get("/jobs")
@login_required_any
def index():
    """The account's own recent jobs."""
    return render_template("jobs/index.html", jobs=services.recent_jobs(current_user))


@bp.get("/jobs/<int:job_id>")
@login_required_any
def show(job_id: int):
    job = _job(job_id)
    if htmx:
        return render_template("jobs/_progress.html", job=job, poll=POLL_SECONDS)
    return render_template("jobs/show.html", job=job, poll=POLL_SECONDS)


@bp.get("/jobs/<int:job_id>/file")
@login_required_any
def download(job_id: int):
    job = _job(job_id)
    try:
        if not job.stored_path:
            raise FileNotFoundError
        stored = files.open_file(job.stored_path)  # a StoreUnavailable from S3 is a 503 page (aiplan/web.py)
    except FileNotFoundError:
        abort(404, description=_("Tệp này không còn; hãy tạo lại."))
    response = send_file(stored, mimetype=job.content_type, as_attachment=True, download_name=job.result_name)
    if job.size is not None and response.status_code == 200 and not isinstance(stored, Path):
        response.content_length = job.size
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/jobs/<int:job_id>/retry")
@login_required_any
def retry(job_id: int):
    """Make the same file again (after a failure, or once it expired)."""
    job = _job(job_id)
    if not job.status.finished:
        return redirect(url_for(".show", job_id=job.id), 303)
    return redirect(url_for(".show", job_id=services.retry(job).id), 303)


@bp.app_template_global()
def ward_downloads_as_jobs(plan: Plan, schools: int | None = None) -> bool:
    """Do the ward's DOCX, reports to the Sở and rollup exports of `plan` go through a job? (JOB_MIN_SCHOOLS;
    `schools`: the count of the plan's schools when the page has it, saving a query)"""
    if schools is not None:
        return schools >= current_app.config["JOB_MIN_SCHOOLS"]
    cache = g.setdefault("ward_downloads_as_jobs", {})
    if plan.id not in cache:
        cache[plan.id] = services.ward_download_is_a_job(plan)
    return cache[plan.id]
