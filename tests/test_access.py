"""docs/security.md line 1: every route is in one access table (route × role), checked against app.url_map."""

import io
from datetime import date

import pytest
from helpers import SCHOOL_A
from sqlalchemy import select

from aiplan.evidence.services import Upload, save_uploads
from aiplan.extensions import db
from aiplan.mailing.tokens import unsubscribe_token
from aiplan.models import (
    Activity,
    AiTool,
    ChecklistItem,
    DeliveryForm,
    EvidenceFile,
    Inspection,
    InspectionDecision,
    Notification,
    NotificationKind,
    Organiser,
    Partner,
    Plan,
    Problem,
    PupilConsent,
    Resource,
    ResourceKind,
    School,
    Teacher,
    TrainingSession,
    UpwardKind,
    UpwardReport,
    User,
    Verdict,
    WardActivityKind,
    utcnow,
)
from aiplan.notifications.services import Message, notify
from aiplan.problems.services import raise_problem
from aiplan.schoolyear import current_plan

ROLES = ("anonymous", "staff_a", "staff_b", "supervisor", "ward_admin", "viewer", "city_admin")
OK, LOGIN, FORBIDDEN = "ok", "login", 403
EVERYONE_SIGNED_IN = {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], OK)
WARD_ONLY = EVERYONE_SIGNED_IN | {"staff_a": FORBIDDEN, "staff_b": FORBIDDEN}


def item_url(key: str = "m3", slug: str = SCHOOL_A) -> str:
    item_id = db.session.scalar(
        select(ChecklistItem.id).join(School).where(School.slug == slug, ChecklistItem.key == key)
    )
    return f"/schools/{slug}/items/{item_id}"


def an_activity(slug: str = SCHOOL_A) -> Activity:
    """School A's activity for the table's rows (a pilot class), created once per test."""
    school = db.session.scalar(select(School).filter_by(slug=slug))
    activity = db.session.scalar(select(Activity).filter_by(school_id=school.id))
    if activity is None:
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        activity = Activity(
            school=school,
            plan=plan,
            form=form,
            title="Lớp chuyên đề AI 5A",
            class_name="5A",
            participants=35,
            lessons=8,
        )
        db.session.add(activity)
        db.session.commit()
    return activity


def a_file(slug: str = SCHOOL_A) -> EvidenceFile:
    """A stored, unrestricted evidence file on school A's milestone 3."""
    item = db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == "m3"))
    existing = db.session.scalar(select(EvidenceFile).filter_by(item_id=item.id))
    if existing:
        return existing
    staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
    [file] = save_uploads(
        [Upload(io.BytesIO(b"%PDF-1.4\n%access table\n%%EOF\n"), "ke-hoach.pdf")],
        school=item.school,
        actor=staff,
        item=item,
    )
    return file


def ward_item_url(key: str = "m2") -> str:
    item_id = db.session.scalar(
        select(ChecklistItem.id).where(ChecklistItem.school_id.is_(None), ChecklistItem.key == key)
    )
    return f"/ward/items/{item_id}"


def ward_activity_url(suffix: str = ""):
    """The ward's own conference, created once per test."""

    def url() -> str:
        activity = db.session.scalar(select(Activity).where(Activity.school_id.is_(None)))
        if activity is None:
            plan = db.session.scalar(select(Plan))
            activity = Activity(
                plan=plan, ward_kind=WardActivityKind.CONFERENCE, title="Hội nghị triển khai", participants=80
            )
            db.session.add(activity)
            db.session.commit()
        return f"/ward/activities/{activity.id}{suffix}"

    return url


def activity_url(suffix: str = ""):
    return lambda: f"/schools/{SCHOOL_A}/activities/{an_activity().id}{suffix}"


def file_url(suffix: str = ""):
    return lambda: f"/files/{a_file().id}{suffix}"


def an_inspection() -> Inspection:
    """A visit of the supervisor persona to school A, inside the mid-HK II window."""
    school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
    inspection = db.session.scalar(select(Inspection).filter_by(school_id=school.id))
    if inspection is None:
        plan = db.session.scalar(select(Plan))
        supervisor = db.session.scalar(select(User).filter_by(username="giamsat"))
        inspection = Inspection(
            plan=plan, school=school, visit_on=plan.school_year.midterm_start, members=[supervisor], lead=supervisor
        )
        db.session.add(inspection)
        db.session.commit()
    return inspection


def a_decision_file_url() -> str:
    """A decision forming the team, with its file, recorded by the ward admin persona."""
    from aiplan.inspections.services import record_decision

    decision = db.session.scalar(select(InspectionDecision))
    if decision is None:
        decision = record_decision(
            db.session.scalar(select(Plan)),
            number="12/QĐ-UBND",
            signed_on=date(2026, 3, 2),
            signer="",
            stream=io.BytesIO(b"%PDF-1.4\n%access table\n%%EOF\n"),
            filename="quyet-dinh.pdf",
            actor=db.session.scalar(select(User).filter_by(username="admin")),
        )
    return f"/inspections/decisions/{decision.id}/file"


def inspection_url(suffix: str = ""):
    return lambda: f"/inspections/{an_inspection().id}{suffix}"


def upward_url(suffix: str = ""):
    """A report of the UBND phường to the Sở GD&ĐT, made once per test."""

    def url() -> str:
        report = db.session.scalar(select(UpwardReport))
        if report is None:
            report = UpwardReport(
                plan=db.session.scalar(select(Plan)),
                kind=UpwardKind.PERIODIC,
                period_start=date(2025, 9, 5),
                period_end=date(2025, 12, 31),
                subject="Báo cáo định kỳ",
            )
            db.session.add(report)
            db.session.commit()
        return f"/ward/reports-up/{report.id}{suffix}"

    return url


def recheck_url() -> str:
    """An item of school A that its school changed after the team's verdict: in the re-check queue."""
    an_inspection()
    item = db.session.get(ChecklistItem, int(item_url().rsplit("/", 1)[1]))
    item.verdict, item.resubmitted_at = Verdict.PASSED, utcnow()
    db.session.commit()
    return f"/schools/{SCHOOL_A}/items/{item.id}/verdict"


def visit_verdict_url() -> str:
    item_id = item_url().rsplit("/", 1)[1]
    return f"/inspections/{an_inspection().id}/items/{item_id}/verdict"


def a_notification_url() -> str:
    """A notification of school A's staff persona, made once per test."""
    staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
    notify([staff.id], Message(NotificationKind.LATE, "test:access", "Quá hạn", "", f"/schools/{SCHOOL_A}"))
    db.session.commit()
    return f"/notifications/{db.session.scalar(select(Notification.id).filter_by(user_id=staff.id))}/open"


STAFF_A_ONLY = dict.fromkeys(ROLES, FORBIDDEN) | {"anonymous": LOGIN, "staff_a": OK}
ADMIN_ONLY = dict.fromkeys(ROLES, FORBIDDEN) | {"anonymous": LOGIN, "ward_admin": OK}
SUPERVISOR_ONLY = dict.fromkeys(ROLES, FORBIDDEN) | {"anonymous": LOGIN, "supervisor": OK}

# endpoint -> (method, url, {role: expected}[, form data]). A url may be a function, called in
# an app context, for routes that need ids. "ok" is any 2xx/3xx that is not a trip to the login page.
ACCESS = {
    "core.healthz": ("GET", "/healthz", dict.fromkeys(ROLES, OK)),
    "core.set_language": ("POST", "/lang", dict.fromkeys(ROLES, OK)),
    "core.home": ("GET", "/", EVERYONE_SIGNED_IN),
    "auth.login": ("GET", "/login", dict.fromkeys(ROLES, OK)),
    "auth.logout": ("POST", "/logout", dict.fromkeys(ROLES, OK)),
    "schools.index": ("GET", "/schools", EVERYONE_SIGNED_IN),
    "schools.school": ("GET", f"/schools/{SCHOOL_A}", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "checklists.ward": ("GET", "/ward", WARD_ONLY),
    "checklists.update_ward_item": ("POST", ward_item_url, ADMIN_ONLY, {"status": "dang_thuc_hien", "version": "1"}),
    "plans.show": ("GET", "/plan", EVERYONE_SIGNED_IN),
    "checklists.update": ("POST", item_url, STAFF_A_ONLY, {"status": "dang_thuc_hien", "version": "1"}),
    "schools.history": ("GET", f"/schools/{SCHOOL_A}/history", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    # Uploads without a file are refused (422) once access is granted: enough to tell the roles apart.
    "evidence.upload_to_item": ("POST", lambda: item_url() + "/files", STAFF_A_ONLY | {"staff_a": 422}),
    "evidence.upload_to_activity": ("POST", activity_url("/files"), STAFF_A_ONLY | {"staff_a": 422}),
    "evidence.upload_to_ward_item": ("POST", lambda: ward_item_url() + "/files", ADMIN_ONLY | {"ward_admin": 422}),
    "evidence.upload_to_ward_activity": ("POST", ward_activity_url("/files"), ADMIN_ONLY | {"ward_admin": 422}),
    "evidence.download": ("GET", file_url(), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "evidence.delete": ("POST", file_url("/delete"), STAFF_A_ONLY),
    "evidence.restricted": ("POST", file_url("/restricted"), STAFF_A_ONLY, {"value": "1"}),
    "evidence.restore": ("POST", file_url("/restore"), ADMIN_ONLY),
    "evidence.deleted": ("GET", "/files/deleted", ADMIN_ONLY),
    # Writes through the GET/POST pages (activities, self-evaluation) are checked in their own files.
    "activities.index": ("GET", f"/schools/{SCHOOL_A}/activities", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "activities.detail": ("GET", activity_url(), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "activities.delete": ("POST", activity_url("/delete"), STAFF_A_ONLY, {"version": "1"}),
    "activities.self_evaluation": (
        "GET",
        f"/schools/{SCHOOL_A}/self-evaluation",
        EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN},
    ),
    "activities.ward_index": ("GET", "/ward/activities", WARD_ONLY),
    "activities.ward_detail": ("GET", ward_activity_url(), WARD_ONLY),
    "activities.ward_delete": ("POST", ward_activity_url("/delete"), ADMIN_ONLY, {"version": "1"}),
    "activities.reopen_self_evaluation": ("POST", f"/schools/{SCHOOL_A}/self-evaluation/reopen", ADMIN_ONLY),
    "inspections.index": ("GET", "/inspections", WARD_ONLY),
    "inspections.new": ("GET", "/inspections/new", ADMIN_ONLY),
    "inspections.show": ("GET", inspection_url(), WARD_ONLY),
    "inspections.verdict_in_visit": ("POST", visit_verdict_url, SUPERVISOR_ONLY, {"verdict": "dat", "version": "1"}),
    "inspections.verdict": ("POST", recheck_url, SUPERVISOR_ONLY, {"verdict": "dat", "version": "1"}),
    "inspections.recheck": ("GET", lambda: recheck_url().replace("/verdict", "/recheck"), SUPERVISOR_ONLY),
    "inspections.close": (
        "POST",
        inspection_url("/close"),
        SUPERVISOR_ONLY,
        {"conclusion": "Nhà trường triển khai đúng kế hoạch.", "version": "1"},
    ),
    # Reopening a visit that is still open is refused (409) once access is granted.
    "inspections.reopen": (
        "POST",
        inspection_url("/reopen"),
        ADMIN_ONLY | {"ward_admin": 409},
        {"reason": "Sửa số biên bản", "version": "1"},
    ),
    # The school receives its minutes; other schools do not.
    # Decisions forming the team: read by the ward admins and supervisors, recorded by the admins
    # (a POST without its fields is refused, 422, once access is granted).
    "inspections.decisions": ("GET", "/inspections/decisions", SUPERVISOR_ONLY | {"ward_admin": OK}),
    "inspections.record_decision": ("POST", "/inspections/decisions", ADMIN_ONLY | {"ward_admin": 422}),
    # A POST without its version is refused (422) once access is granted.
    "inspections.update_details": ("POST", inspection_url("/details"), ADMIN_ONLY | {"ward_admin": 422}),
    "inspections.decision_file": ("GET", a_decision_file_url, SUPERVISOR_ONLY | {"ward_admin": OK}),
    "inspections.minutes": ("GET", inspection_url("/minutes"), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "inspections.minutes_docx": ("GET", inspection_url("/minutes.docx"), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    # Reports: everyone who reads the school reads its report; writes are checked in test_reports.py.
    "reports.school": ("GET", f"/schools/{SCHOOL_A}/report", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "reports.school_docx": ("GET", f"/schools/{SCHOOL_A}/report.docx", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
    "reports.ward": ("GET", "/ward/report", WARD_ONLY),
    "reports.ward_docx": ("GET", "/ward/report.docx", WARD_ONLY),
    "reports.upward_list": ("GET", "/ward/reports-up", WARD_ONLY),
    "reports.upward_new": ("GET", "/ward/reports-up/new", ADMIN_ONLY),
    "reports.upward": ("GET", upward_url(), WARD_ONLY),
    "reports.upward_docx": ("GET", upward_url(".docx"), WARD_ONLY),
    "reports.evidence_bundle": (
        "GET",
        f"/schools/{SCHOOL_A}/evidence.zip",
        EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN},
    ),
    # The rollup is the ward's; staff may fetch the exports, which then hold their own school's row only.
    "rollup.index": ("GET", "/rollup", WARD_ONLY),
    "rollup.export_json": ("GET", "/rollup.json", EVERYONE_SIGNED_IN),
    "rollup.export_csv": ("GET", "/rollup.csv", EVERYONE_SIGNED_IN),
    "rollup.export_xlsx": ("GET", "/rollup.xlsx", EVERYONE_SIGNED_IN),
    # Audit log viewer: the ward admins only.
    "auditlog.index": ("GET", "/audit", ADMIN_ONLY),
    # School years: anyone chooses the year they look at; only ward admins start, prepare and open one.
    # (2025-2026 is open already, so choosing its pilots or opening it again answers 409.)
    "years.select_year": ("POST", "/year", EVERYONE_SIGNED_IN, {"nam": "2025-2026"}),
    "years.index": ("GET", "/years", ADMIN_ONLY),
    "years.start": ("POST", "/years", ADMIN_ONLY | {"ward_admin": 422}),
    "years.prepare": ("GET", "/years/2025-2026", ADMIN_ONLY),
    "years.set_pilots": ("POST", "/years/2025-2026/pilots", ADMIN_ONLY | {"ward_admin": 409}),
    "years.open_year": ("POST", "/years/2025-2026/open", ADMIN_ONLY | {"ward_admin": 409}),
    # Editing the plan: ward admins only (writes checked in test_plan_editing.py and test_plan_export.py).
    "plans.edit": ("GET", "/admin/plan/2025-2026", ADMIN_ONLY),
    "plans.edit_calendar": ("GET", "/admin/plan/2025-2026/calendar", ADMIN_ONLY),
    "plans.edit_header": ("GET", "/admin/plan/2025-2026/header", ADMIN_ONLY),
    "plans.edit_deadline": ("GET", "/admin/plan/2025-2026/deadlines/bao-cao-co-so", ADMIN_ONLY),
    "plans.edit_milestone": ("GET", "/admin/plan/2025-2026/milestones/8", ADMIN_ONLY),
    "plans.edit_target": ("GET", "/admin/plan/2025-2026/targets/1", ADMIN_ONLY),
    # Without the form's fingerprint the admin is refused (400, tests/test_versions.py) and nothing is removed.
    "plans.remove_evidence": (
        "POST",
        "/admin/plan/2025-2026/targets/1/evidence/ho-so-lop-hoc/remove",
        ADMIN_ONLY | {"ward_admin": 400},
    ),
    # Without a day and the form's fingerprint the admin is told what is missing (422); no day off
    # 12/02/2026 to remove: 404. Added and removed in tests/test_workdays.py.
    "plans.add_day_off": ("POST", "/admin/plan/2025-2026/days-off", ADMIN_ONLY | {"ward_admin": 422}),
    "plans.remove_day_off": (
        "POST",
        "/admin/plan/2025-2026/days-off/2026-02-12/remove",
        ADMIN_ONLY | {"ward_admin": 404},
    ),
    "plans.export": ("GET", "/admin/plan/2025-2026.toml", ADMIN_ONLY),
    "plans.upload": ("GET", "/admin/plan/upload", ADMIN_ONLY),
}


# Ward administration (admin/) and the password change: ward admins only, every one of them;
# the POST side of the GET/POST pages is checked in test_admin_*.py and test_password_change.py.
def account_url(suffix: str = "", username: str = "canbo-b"):
    return lambda: f"/admin/accounts/{db.session.scalar(select(User.id).filter_by(username=username))}{suffix}"


ACCESS.update(
    {
        "admin.schools": ("GET", "/admin/schools", ADMIN_ONLY),
        "admin.school_new": ("GET", "/admin/schools/new", ADMIN_ONLY),
        "admin.school_edit": ("GET", f"/admin/schools/{SCHOOL_A}/edit", ADMIN_ONLY),
        "admin.school_set_active": ("POST", f"/admin/schools/{SCHOOL_A}/active", ADMIN_ONLY, {"active": "1"}),
        "admin.accounts": ("GET", "/admin/accounts", ADMIN_ONLY),
        "admin.account_new": ("GET", "/admin/accounts/new", ADMIN_ONLY),
        "admin.account_edit": ("GET", account_url(), ADMIN_ONLY),
        "admin.account_set_enabled": ("POST", account_url("/enabled"), ADMIN_ONLY, {"enabled": "1"}),
        "admin.account_reset_password": ("POST", account_url("/password"), ADMIN_ONLY),
        "admin.import_file": ("GET", "/admin/import", ADMIN_ONLY),
        "admin.import_sample_csv": ("GET", "/admin/import/mau-truong.csv", ADMIN_ONLY),
        "admin.import_sample_xlsx": ("GET", "/admin/import/mau.xlsx", ADMIN_ONLY),
        # Without a previewed file the admin is told to upload again (422) and nothing is imported.
        "admin.import_confirm": ("POST", "/admin/import/confirm", ADMIN_ONLY | {"ward_admin": 422}),
        "auth.change_password": ("GET", "/account/password", EVERYONE_SIGNED_IN),
        "auth.account": ("GET", "/account", EVERYONE_SIGNED_IN),
        "auth.end_all_sessions": ("POST", "/account/sessions/end", EVERYONE_SIGNED_IN),
        # Notifications: everyone their own; another account's is not found (tests/test_notifications_page.py).
        "notifications.index": ("GET", "/notifications", EVERYONE_SIGNED_IN),
        "notifications.read_all": ("POST", "/notifications/read-all", EVERYONE_SIGNED_IN),
        "notifications.open_notification": (
            "POST",
            a_notification_url,
            dict.fromkeys(ROLES, 404) | {"anonymous": LOGIN, "staff_a": OK},
        ),
    }
)


def unsubscribe_url(suffix: str = "") -> str:
    """The opt-out link a mail to staff A carries: it needs no sign-in (the signed token is the proof)."""
    user_id = db.session.scalar(select(User.id).filter_by(username="canbo-a"))
    return f"/mail/unsubscribe/{unsubscribe_token(user_id)}{suffix}"


# E-mail reminders
ACCESS.update(
    {
        "mailing.admin_status": ("GET", "/admin/mail", ADMIN_ONLY),
        # Without the form's version the choice is refused (422) and nothing changes.
        "auth.mail_preference": (
            "POST",
            "/account/mail",
            dict.fromkeys(ROLES, 422) | {"anonymous": LOGIN},
            {"digest_frequency": "weekly"},
        ),
        "mailing.unsubscribe": ("GET", unsubscribe_url, dict.fromkeys(ROLES, OK)),
        "mailing.unsubscribe_one_click": (
            "POST",
            lambda: unsubscribe_url("/one-click"),
            dict.fromkeys(ROLES, OK),
            {"List-Unsubscribe": "One-Click"},
        ),
    }
)
SECOND_METHOD_TESTED_IN_MAIL = {("mailing.unsubscribe", "POST"): "test_mail_pages.py"}


# Who does what and problems raised (issue 17, parts 6 and 7; writes checked in test_duties.py and test_problems.py).
def a_problem_url(suffix: str = ""):
    def url():
        problem = db.session.scalar(select(Problem))
        if problem is None:
            school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
            staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
            problem = raise_problem(
                current_plan(school.ward_id),
                school,
                subject="Thiếu máy tính",
                details="Phòng máy hỏng",
                item=None,
                uploads=[Upload(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "de-nghi.pdf")],
                actor=staff,
            )
        if suffix == "/files":
            return f"/problems/{problem.id}/files/{problem.files[0].id}"
        return f"/problems/{problem.id}{suffix}"

    return url


STAFF_ONLY = dict.fromkeys(ROLES, FORBIDDEN) | {"anonymous": LOGIN, "staff_a": OK, "staff_b": OK}
SCHOOL_A_READERS = EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}
ACCESS.update(
    {
        "duties.assign": ("POST", lambda: item_url() + "/duty", STAFF_A_ONLY, {"version": "0"}),
        "duties.mine": ("GET", "/my-items", STAFF_ONLY),
        "problems.school": ("GET", f"/schools/{SCHOOL_A}/problems", SCHOOL_A_READERS),
        # Without a subject the school is told what is missing (422) and nothing is raised.
        "problems.report": ("POST", f"/schools/{SCHOOL_A}/problems", STAFF_A_ONLY | {"staff_a": 422}),
        "problems.ward": ("GET", "/problems", WARD_ONLY),
        "problems.show": ("GET", a_problem_url(), SCHOOL_A_READERS),
        "problems.download": ("GET", a_problem_url("/files"), SCHOOL_A_READERS),
        # An empty message (422) once access is granted: the school's staff and the ward's admins write.
        "problems.reply": ("POST", a_problem_url("/messages"), STAFF_A_ONLY | {"staff_a": 422, "ward_admin": 422}),
        "problems.assign_to": ("POST", a_problem_url("/assign"), ADMIN_ONLY | {"ward_admin": 422}),
        "problems.set_state": ("POST", a_problem_url("/status"), ADMIN_ONLY | {"ward_admin": 422}),
    }
)


def resource_url(suffix: str = "", ward: bool = False):
    """An entry of school A's resources register (or the ward's own), created once per test."""

    def url() -> str:
        school = None if ward else db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        school_id = school.id if school else None
        resource = db.session.scalar(
            select(Resource).where(Resource.school_id.is_(school_id) if ward else Resource.school_id == school_id)
        )
        if resource is None:
            resource = Resource(
                plan=db.session.scalar(select(Plan)),
                school_id=school_id,
                kind=ResourceKind.BUDGET,
                source="Chi thường xuyên",
                amount_vnd=1_000_000,
            )
            db.session.add(resource)
            db.session.commit()
        base = f"/ward/resources/{resource.id}" if ward else f"/schools/{SCHOOL_A}/resources/{resource.id}"
        return base + suffix

    return url


def a_job_url(suffix: str = ""):
    """A finished job of the ward admin (a DOCX kept under JOB_DIR): only its asker sees it."""

    def url() -> str:
        from pathlib import Path

        from flask import current_app

        from aiplan.models import Job, JobKind, JobStatus

        folder = Path(current_app.config["JOB_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "access.docx").write_bytes(b"PK docx")
        job = Job(
            kind=JobKind.WARD_REPORT,
            params={"plan_id": db.session.scalar(select(Plan.id))},
            user_id=db.session.scalar(select(User.id).filter_by(username="admin")),
            ward_id=db.session.scalar(select(Plan.ward_id)),
            status=JobStatus.DONE,
            result_name="bao-cao.docx",
            content_type="application/octet-stream",
            stored_path="access.docx",
            size=7,
        )
        db.session.add(job)
        db.session.commit()
        return f"/jobs/{job.id}{suffix}"

    return url


# Issue 17, parts 2 and 3: the equipment survey and the resources register (writes in their own files).
ACCESS.update(
    {
        "equipment.school": ("GET", f"/schools/{SCHOOL_A}/equipment", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "equipment.ward": ("GET", "/ward/equipment", WARD_ONLY),
        "equipment.import_file": ("GET", "/ward/equipment/import", ADMIN_ONLY),
        "equipment.sample_list_csv": ("GET", "/ward/equipment/mau.csv", ADMIN_ONLY),
        "equipment.sample_list_xlsx": ("GET", "/ward/equipment/mau.xlsx", ADMIN_ONLY),
        "resources.index": ("GET", f"/schools/{SCHOOL_A}/resources", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "resources.detail": ("GET", resource_url(), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "resources.delete": ("POST", resource_url("/delete"), STAFF_A_ONLY, {"version": "1"}),
        "resources.ward": ("GET", "/ward/resources", WARD_ONLY),
        "resources.ward_detail": ("GET", resource_url(ward=True), WARD_ONLY),
        "resources.ward_delete": ("POST", resource_url("/delete", ward=True), ADMIN_ONLY, {"version": "1"}),
        "evidence.upload_to_resource": ("POST", resource_url("/files"), STAFF_A_ONLY | {"staff_a": 422}),
        "evidence.upload_to_ward_resource": (
            "POST",
            resource_url("/files", ward=True),
            ADMIN_ONLY | {"ward_admin": 422},
        ),
    }
)


# Partners and the AI tools register (issue 17, parts 4 and 5); the POST side of their GET/POST
# pages is checked in test_partners.py and test_aitools.py.
def _partner(school: bool) -> Partner:
    slug_school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A)) if school else None
    partner = db.session.scalar(
        select(Partner).where(Partner.school_id.is_not(None) if school else Partner.school_id.is_(None))
    )
    if partner is None:
        partner = Partner(plan=db.session.scalar(select(Plan)), school=slug_school, name="Đối tác", kind="khac")
        db.session.add(partner)
        db.session.commit()
    return partner


def partner_url(suffix: str = ""):
    return lambda: f"/schools/{SCHOOL_A}/partners/{_partner(True).id}{suffix}"


def ward_partner_url(suffix: str = ""):
    return lambda: f"/ward/partners/{_partner(False).id}{suffix}"


def _tool() -> AiTool:
    tool = db.session.scalar(select(AiTool))
    if tool is None:
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        tool = AiTool(plan=db.session.scalar(select(Plan)), school=school, name="Scratch", account_type="khong")
        db.session.add(tool)
        db.session.commit()
    return tool


def tool_url(suffix: str = ""):
    return lambda: f"/schools/{SCHOOL_A}/ai-tools/{_tool().id}{suffix}"


def consent_url() -> str:
    consent = db.session.scalar(select(PupilConsent))
    if consent is None:
        activity = an_activity()
        consent = PupilConsent(
            plan=activity.plan,
            school=activity.school,
            activity=activity,
            group_name="5A",
            consented_on=date(2025, 9, 20),
        )
        db.session.add(consent)
        db.session.commit()
    return f"/schools/{SCHOOL_A}/consents/{consent.id}/delete"


ACCESS.update(
    {
        "partners.index": ("GET", f"/schools/{SCHOOL_A}/partners", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "partners.detail": ("GET", partner_url(), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "partners.delete": ("POST", partner_url("/delete"), STAFF_A_ONLY, {"version": "1"}),
        # An upload without a file is refused (422) once access is granted.
        "partners.upload": ("POST", partner_url("/files"), STAFF_A_ONLY | {"staff_a": 422}),
        "partners.ward_index": ("GET", "/ward/partners", WARD_ONLY),
        "partners.ward_detail": ("GET", ward_partner_url(), WARD_ONLY),
        "partners.ward_delete": ("POST", ward_partner_url("/delete"), ADMIN_ONLY, {"version": "1"}),
        "partners.ward_upload": ("POST", ward_partner_url("/files"), ADMIN_ONLY | {"ward_admin": 422}),
        "aitools.index": ("GET", f"/schools/{SCHOOL_A}/ai-tools", EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "aitools.tool": ("GET", tool_url(), EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}),
        "aitools.delete_tool": ("POST", tool_url("/delete"), STAFF_A_ONLY, {"version": "1"}),
        # A consent without its fields and file is refused (422) once access is granted.
        "aitools.new_consent": ("POST", f"/schools/{SCHOOL_A}/consents", STAFF_A_ONLY | {"staff_a": 422}),
        "aitools.delete_consent": ("POST", consent_url, STAFF_A_ONLY, {"version": "1"}),
        "aitools.ward_index": ("GET", "/ward/ai-tools", WARD_ONLY),
    }
)
SECOND_METHOD_TESTED_IN_ISSUE_17 = {
    ("partners.index", "POST"): "test_partners.py",
    ("partners.detail", "POST"): "test_partners.py",
    ("partners.ward_index", "POST"): "test_partners.py",
    ("partners.ward_detail", "POST"): "test_partners.py",
    ("aitools.index", "POST"): "test_aitools.py",
    ("aitools.tool", "POST"): "test_aitools.py",
}
# Jobs: anyone asks for a file they may read (the evidence ZIP of school A here; the ward's files are
# the ward's roles', tests/test_jobs.py); a job is its asker's alone: anyone else gets 404.
ASKER_ONLY = dict.fromkeys(ROLES, 404) | {"anonymous": LOGIN, "ward_admin": OK}
ACCESS.update(
    {
        "jobs.create": (
            "POST",
            "/jobs",
            EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN},
            {"kind": "evidence_zip", "plan": "1", "school": SCHOOL_A},
        ),
        "jobs.index": ("GET", "/jobs", EVERYONE_SIGNED_IN),
        "jobs.show": ("GET", a_job_url(), ASKER_ONLY),
        "jobs.download": ("GET", a_job_url("/file"), ASKER_ONLY),
        "jobs.retry": ("POST", a_job_url("/retry"), ASKER_ONLY),
    }
)


# Teacher training and pilot-class results (issue 17, parts 1 and 8); writes checked in
# test_training.py and test_pilot.py.
def a_teacher_url(suffix: str = ""):
    def url() -> str:
        teacher = db.session.scalar(select(Teacher))
        if teacher is None:
            school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
            teacher = Teacher(plan_id=db.session.scalar(select(Plan.id)), school_id=school.id, name="Nguyễn Thị Hoa")
            db.session.add(teacher)
            db.session.commit()
        return f"/schools/{SCHOOL_A}/training/teachers/{teacher.id}{suffix}"

    return url


def a_session_url(suffix: str = ""):
    def url() -> str:
        session = db.session.scalar(select(TrainingSession))
        if session is None:
            plan = db.session.scalar(select(Plan))
            school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
            session = TrainingSession(
                plan=plan,
                school_id=school.id,
                held_on=date(2025, 10, 15),
                title="Tập huấn AI",
                content_area=plan.content_areas[0],
                organiser=Organiser.WARD,
            )
            db.session.add(session)
            db.session.commit()
        return f"/schools/{SCHOOL_A}/training/sessions/{session.id}{suffix}"

    return url


SCHOOL_A_READERS = EVERYONE_SIGNED_IN | {"staff_b": FORBIDDEN}
ACCESS.update(
    {
        "training.index": ("GET", f"/schools/{SCHOOL_A}/training", SCHOOL_A_READERS),
        "training.roster": ("GET", f"/schools/{SCHOOL_A}/training/teachers", SCHOOL_A_READERS),
        "training.teacher": ("GET", a_teacher_url(), SCHOOL_A_READERS),
        "training.teacher_delete": ("POST", a_teacher_url("/delete"), STAFF_A_ONLY, {"version": "1"}),
        "training.import_roster": ("GET", f"/schools/{SCHOOL_A}/training/teachers/import", STAFF_A_ONLY),
        # Without previewed rows the staff are told the list is empty (422) and nothing is added.
        "training.import_confirm": (
            "POST",
            f"/schools/{SCHOOL_A}/training/teachers/import/confirm",
            STAFF_A_ONLY | {"staff_a": 422},
        ),
        "training.roster_sample": ("GET", "/training/mau-danh-sach-giao-vien.csv", EVERYONE_SIGNED_IN),
        "training.session_new": ("GET", f"/schools/{SCHOOL_A}/training/sessions/new", STAFF_A_ONLY),
        "training.session": ("GET", a_session_url(), SCHOOL_A_READERS),
        "training.session_delete": ("POST", a_session_url("/delete"), STAFF_A_ONLY, {"version": "1"}),
        "training.ward": ("GET", "/ward/training", WARD_ONLY),
        "pilot.index": ("GET", f"/schools/{SCHOOL_A}/pilot", SCHOOL_A_READERS),
        "pilot.result": ("GET", lambda: f"/schools/{SCHOOL_A}/pilot/{an_activity().id}", SCHOOL_A_READERS),
    }
)
NOT_ROUTES = {"static"}


CITY_ONLY = dict.fromkeys(ROLES, FORBIDDEN) | {"anonymous": LOGIN, "city_admin": OK}
ACCESS.update(
    {
        "city.index": ("GET", "/city", CITY_ONLY),
        "city.ward": ("GET", "/city/wards/long-bien", CITY_ONLY),
        # The city rollup's exports and the Sở's report: the Sở's accounts alone.
        "city.export_json": ("GET", "/city.json", CITY_ONLY),
        "city.export_csv": ("GET", "/city.csv", CITY_ONLY),
        "city.export_xlsx": ("GET", "/city.xlsx", CITY_ONLY),
        "city.report_docx": ("GET", "/city/report.docx", CITY_ONLY),
    }
)

# The Sở's account (looking at the bundled ward, as the persona chose it on /city) reads what the
# ward's leaders read and writes nothing of the ward's: where an entry does not name it, its
# column is the viewer's.
for _endpoint, (_method, _url, _expected, *_data) in ACCESS.items():
    _expected.setdefault("city_admin", _expected["viewer"])


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    missing = endpoints - set(ACCESS)
    assert not missing, f"add these routes to ACCESS in tests/test_access.py: {sorted(missing)}"
    assert not set(ACCESS) - endpoints, "ACCESS names routes that no longer exist"


# Endpoints that take a second method beside the one in ACCESS; that side's roles are tested here.
SECOND_METHOD_TESTED_IN = {
    ("auth.login", "POST"): "test_auth.py",
    ("activities.index", "POST"): "test_activities.py",
    ("activities.detail", "POST"): "test_activities.py",
    ("activities.self_evaluation", "POST"): "test_self_evaluation.py",
    ("activities.ward_index", "POST"): "test_ward_records.py",
    ("activities.ward_detail", "POST"): "test_ward_records.py",
    ("inspections.new", "POST"): "test_inspections.py",
    ("reports.school", "POST"): "test_reports.py",
    ("reports.ward", "POST"): "test_reports.py",
    ("reports.upward_new", "POST"): "test_reports_up.py",
    ("reports.upward", "POST"): "test_reports_up.py",
    # Editing the plan
    ("plans.edit_calendar", "POST"): "test_plan_editing.py",
    ("plans.edit_header", "POST"): "test_reporting_chain.py",
    ("plans.edit_deadline", "POST"): "test_plan_editing.py",
    ("plans.edit_milestone", "POST"): "test_plan_editing.py",
    ("plans.edit_target", "POST"): "test_plan_editing.py",
    ("plans.upload", "POST"): "test_plan_export.py",
}


SECOND_METHOD_TESTED_IN.update(SECOND_METHOD_TESTED_IN_ISSUE_17)

# Ward administration
SECOND_METHOD_TESTED_IN.update(
    {
        ("admin.school_new", "POST"): "test_admin_schools.py",
        ("admin.school_edit", "POST"): "test_admin_schools.py",
        ("admin.account_new", "POST"): "test_admin_accounts.py",
        ("admin.account_edit", "POST"): "test_admin_accounts.py",
        ("admin.import_file", "POST"): "test_admin_import.py",
        ("auth.change_password", "POST"): "test_password_change.py",
        ("training.index", "POST"): "test_training.py",
        ("training.roster", "POST"): "test_training.py",
        ("training.teacher", "POST"): "test_training.py",
        ("training.import_roster", "POST"): "test_training.py",
        ("training.session_new", "POST"): "test_training.py",
        ("training.session", "POST"): "test_training.py",
        ("training.ward", "POST"): "test_training.py",
        ("pilot.result", "POST"): "test_pilot.py",
    }
    | SECOND_METHOD_TESTED_IN_MAIL
)
SECOND_METHOD_TESTED_IN.update(
    {
        ("equipment.school", "POST"): "test_equipment.py",
        ("equipment.import_file", "POST"): "test_equipment.py",
        ("resources.index", "POST"): "test_resources.py",
        ("resources.detail", "POST"): "test_resources.py",
        ("resources.ward", "POST"): "test_resources.py",
        ("resources.ward_detail", "POST"): "test_resources.py",
    }
)


def test_every_method_of_every_route_has_its_access_tested(app):
    """A new POST on a GET endpoint would slip past the table keyed by endpoint; this catches it."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_ROUTES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method != ACCESS[rule.endpoint][0] and (rule.endpoint, method) not in SECOND_METHOD_TESTED_IN:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"test the access of these, and name the test in SECOND_METHOD_TESTED_IN: {missing}"


def test_every_table_entry_names_every_role():
    for endpoint, (_, _, expected, *_) in ACCESS.items():
        assert set(expected) == set(ROLES), endpoint


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_route_answers_each_role_as_the_access_table_says(app, as_persona, endpoint, role):
    method, url, expected, *data = ACCESS[endpoint]
    if callable(url):
        with app.app_context():
            url = url()
    client = as_persona(None if role == "anonymous" else role)
    response = client.open(url, method=method, data=data[0] if data else None)
    outcome = expected[role]
    if isinstance(outcome, int) and outcome != FORBIDDEN:
        assert response.status_code == outcome, f"{role} {method} {url} -> {response.status_code}"
    elif outcome == OK:
        assert response.status_code < 400, f"{role} {method} {url} -> {response.status_code}"
        assert "/login" not in (response.location or "") or endpoint in (
            "auth.logout",
            "auth.login",
            "auth.end_all_sessions",
        ), f"{role} was sent to the login page by {url}"
    elif outcome == LOGIN:
        assert response.status_code == 302 and response.location.startswith("/login"), (
            f"{role} {method} {url} -> {response.status_code} {response.location}"
        )
    else:
        assert response.status_code == outcome, f"{role} {method} {url} -> {response.status_code}"


def test_the_ward_roles_of_one_ward_cannot_read_another_wards_schools(app, as_persona):
    from aiplan.models import SchoolLevel, Ward

    with app.app_context():
        other = Ward(
            slug="phuong-khac",
            name="Phường Khác",
            city="Thành phố Hà Nội",
            authority="UBND phường Khác",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(
            School(ward=other, slug="th-phuong-khac", name="Trường Tiểu học Phường Khác", level=SchoolLevel.TIEU_HOC)
        )
        db.session.commit()
    for persona in ("ward_admin", "supervisor", "viewer"):
        client = as_persona(persona)
        for url in (
            "/schools/th-phuong-khac",
            "/schools/th-phuong-khac/history",
            "/schools/th-phuong-khac/activities",
            "/schools/th-phuong-khac/self-evaluation",
        ):
            # One rule with the admin pages: another ward's school is not found, not forbidden,
            # so a ward cannot learn which schools another ward has.
            assert client.get(url).status_code == 404, (persona, url)
