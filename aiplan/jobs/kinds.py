"""What each kind of job makes, who may ask for it, and what it needs to still exist when it runs.

A builder reads its inputs again when the job runs (minutes after it was asked for, perhaps after a
worker restart): a school deactivated or deleted, a year or report gone, an asker who lost the right
to read it — each fails the job with a Vietnamese message instead of a file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from ..access import WARD_READERS, can_read_school, can_read_ward
from ..documents.admin_doc import render
from ..extensions import db
from ..figures import rollup as figures
from ..models import CITY_ROLES, ItemKind, Job, JobKind, Plan, School, UpwardReport, User, Ward
from ..reports.bundle import build_bundle, bundle_filename
from ..reports.upward import build_upward_report, upward_report_filename, upward_view
from ..reports.ward_report import build_ward_report, ward_report, ward_report_filename
from ..rollup import exports
from ..rollup.xlsx import to_xlsx
from ..schoolyear import plan_schools

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ProgressFn = Callable[[int, int, str], None]

# Kinds of the ward as a whole, for the ward's roles; the evidence ZIP is a school's.
WARD_KINDS = (JobKind.WARD_REPORT, JobKind.UPWARD_REPORT, JobKind.ROLLUP_XLSX, JobKind.ROLLUP_CSV)


class InputGone(Exception):
    """What the job was made from is no longer there; the message is shown to the asker."""


@dataclass
class Output:
    data: bytes | IO[bytes]
    name: str
    content_type: str
    extension: str


def may_ask(user: User, kind: JobKind, ward_id: int, school: School | None = None) -> bool:
    """May `user` have this kind of file of this ward (or school)? Asked when the job is created,
    when it runs and at each download."""
    if user is None or not user.is_active:
        return False
    if user.ward_id != ward_id:  # the Sở's accounts have none: theirs is any ward of their city
        ward = db.session.get(Ward, ward_id) if user.role in CITY_ROLES else None
        if ward is None or not can_read_ward(user, ward):
            return False
    if kind is JobKind.EVIDENCE_ZIP:
        return school is not None and can_read_school(user, school)
    return user.role in WARD_READERS


def school_of(job: Job) -> School | None:
    school_id = job.params.get("school_id")
    return db.session.get(School, school_id) if school_id is not None else None


def build(job: Job, progress: ProgressFn) -> Output:
    plan = db.session.get(Plan, job.params.get("plan_id"))
    if plan is None or plan.ward_id != job.ward_id:
        raise InputGone("Năm học của yêu cầu này không còn trong hệ thống; không thể chuẩn bị tệp.")
    school = school_of(job)
    if job.kind is JobKind.EVIDENCE_ZIP:
        if school is None or school.ward_id != job.ward_id:
            raise InputGone("Trường của yêu cầu này không còn trong hệ thống; không thể lập gói minh chứng.")
        if not school.is_active:
            raise InputGone(f"{school.name} đã ngừng hoạt động; không thể lập gói minh chứng của trường.")
    if not may_ask(job.user, job.kind, job.ward_id, school):
        raise InputGone("Tài khoản yêu cầu không còn quyền xem nội dung này; không thể chuẩn bị tệp.")
    return BUILDERS[job.kind](job, plan, school, progress)


def _ward_report(job: Job, plan: Plan, school: School | None, progress: ProgressFn) -> Output:
    progress(0, 1, "Đang tổng hợp số liệu các trường")
    document = build_ward_report(ward_report(plan))
    data = render(document, progress=_docx_steps(progress))
    return Output(data, ward_report_filename(plan), DOCX, ".docx")


def _upward_report(job: Job, plan: Plan, school: School | None, progress: ProgressFn) -> Output:
    report = db.session.get(UpwardReport, job.params.get("report_id"))
    if report is None or report.plan_id != plan.id:
        raise InputGone("Báo cáo gửi Sở của yêu cầu này không còn (đã bị xoá); không thể chuẩn bị tệp.")
    progress(0, 1, "Đang tổng hợp số liệu các trường")
    data = render(build_upward_report(upward_view(report)), progress=_docx_steps(progress))
    return Output(data, upward_report_filename(report), DOCX, ".docx")


def _docx_steps(progress: ProgressFn) -> ProgressFn:
    return lambda done, total, _step: progress(done, total, f"Đang viết văn bản: phần {done}/{total}")


def _rollup(plan: Plan, progress: ProgressFn):
    schools = plan_schools(plan)
    progress(0, max(1, len(schools)), f"Đang đọc số liệu của {len(schools)} trường")
    rollup = figures.rollup(plan, schools, late_and_weekly=False)
    figures.load_items(rollup, rollup.rows, kinds=(ItemKind.MILESTONE,))
    return rollup


def _rollup_xlsx(job: Job, plan: Plan, school: School | None, progress: ProgressFn) -> Output:
    rollup = _rollup(plan, progress)
    data = to_xlsx(rollup, progress=progress)
    return Output(data, exports.download_name(rollup, "xlsx")[0], XLSX, ".xlsx")


def _rollup_csv(job: Job, plan: Plan, school: School | None, progress: ProgressFn) -> Output:
    rollup = _rollup(plan, progress)
    total, done, parts = len(rollup.rows), 0, []
    for chunk in exports.csv_chunks(rollup):
        parts.append(chunk)
        done = min(total, done + exports.CHUNK)
        progress(done, total, f"Đang ghi dòng của trường {done}/{total}")
    return Output(b"".join(parts), exports.download_name(rollup, "csv")[0], "text/csv; charset=utf-8", ".csv")


def _evidence_zip(job: Job, plan: Plan, school: School | None, progress: ProgressFn) -> Output:
    assert school is not None
    archive, _size = build_bundle(plan, school, progress=progress)
    return Output(archive, bundle_filename(plan, school), "application/zip", ".zip")


BUILDERS: dict[JobKind, Callable[[Job, Plan, School | None, ProgressFn], Output]] = {
    JobKind.WARD_REPORT: _ward_report,
    JobKind.UPWARD_REPORT: _upward_report,
    JobKind.ROLLUP_XLSX: _rollup_xlsx,
    JobKind.ROLLUP_CSV: _rollup_csv,
    JobKind.EVIDENCE_ZIP: _evidence_zip,
}
