"""What the reports say: the text people write into them (saved with a version check and an audit
record), the ward's reports upward to the Sở GD&ĐT, the evidence they list, and the deadlines they
answer to.

The figures come from the services every other page uses (checklists, activities, the
self-evaluation), so a report never says something the checklist or the rollup does not.
"""

import re
import unicodedata
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..extensions import db
from ..models import (
    Deadline,
    Plan,
    ReportKind,
    ReportText,
    School,
    UpwardKind,
    UpwardReport,
    utcnow,
)

TEXT_FIELDS = {"number": 80, "signer_name": 200, "signer_title": 200, "difficulties": 5000, "proposals": 5000}


class StaleReportText(Exception):
    """Someone saved the report's text after this form was loaded; nothing was changed."""


# -- the text people write ---------------------------------------------------------------------


def get_report_text(plan: Plan, school: School | None) -> ReportText | None:
    """The saved text of a school's report, or with None of the ward's report; None if never saved."""
    owner = ReportText.school_id.is_(None) if school is None else ReportText.school_id == school.id
    return db.session.scalar(select(ReportText).where(ReportText.plan_id == plan.id, owner))


def current_version(text: ReportText | None) -> int:
    """The version a form must carry to save; 0 while nothing has been saved."""
    return text.version if text is not None else 0


def clean_text(value: str | None, limit: int) -> str:
    """Text as typed, in NFC, without control characters (line breaks stay), trimmed to `limit`."""
    value = unicodedata.normalize("NFC", value or "").replace("\r", "")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()[:limit]


def describe(text: ReportText | None) -> dict:
    """The text as the audit log keeps it."""
    return {name: getattr(text, name) if text is not None else "" for name in TEXT_FIELDS}


def save_report_text(plan: Plan, school: School | None, values: dict, version: int, actor=None) -> bool:
    """Save what people wrote into the report (`values`: the fields of TEXT_FIELDS), if nobody saved
    since `version`; a change and its audit record commit together. Returns whether anything changed."""
    text = get_report_text(plan, school)
    if version != current_version(text):
        raise StaleReportText()
    cleaned = {name: clean_text(values.get(name), limit) for name, limit in TEXT_FIELDS.items()}
    before = describe(text)
    if cleaned == before:
        return False
    try:
        if text is None:
            kind = ReportKind.WARD if school is None else ReportKind.SCHOOL
            text = ReportText(plan_id=plan.id, school_id=school.id if school else None, kind=kind)
            db.session.add(text)
        for name, value in cleaned.items():
            setattr(text, name, value)
        text.updated_at, text.updated_by_id = utcnow(), getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            "report_text.save",
            text,
            before=before,
            after=cleaned,
            actor=actor,
            school_id=school.id if school else None,
            ward_id=plan.ward_id,
        )
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # Another request saved (or first created) the same text between our read and our write.
        db.session.rollback()
        raise StaleReportText() from None
    except BaseException:
        db.session.rollback()
        raise
    return True


def paragraphs(text: str | None) -> list[str]:
    """Typed text as paragraphs, one per non-blank line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# -- the ward's reports upward to the Sở GD&ĐT -------------------------------------------------

UPWARD_TEXT = {
    "subject": 500,
    "number": 80,
    "signer_title": 200,
    "signer_name": 200,
    "highlights": 5000,
    "shortcomings": 5000,
    "causes": 5000,
    "lessons": 5000,
    "directions": 5000,
    "proposals": 5000,
}
UPWARD_SIGNER = "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"


class BadPeriod(ValueError):
    """A report period that ends before it starts: refused before anything is written."""


def get_upward_report(report_id: int) -> UpwardReport | None:
    return db.session.get(UpwardReport, report_id)


def upward_reports(plan: Plan) -> list[UpwardReport]:
    """The plan's reports to the Sở, the latest period first."""
    return list(
        db.session.scalars(
            select(UpwardReport)
            .where(UpwardReport.plan_id == plan.id)
            .order_by(UpwardReport.period_end.desc(), UpwardReport.id.desc())
        )
    )


def default_signer(plan: Plan) -> tuple[str, str]:
    """(title, name) a new report starts with: the plan's own signer, who signs for the UBND
    ("TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" and the name), as the plan itself is signed."""
    title = clean_text(plan.signer_title, 200)
    if not title:
        return UPWARD_SIGNER, plan.signer
    if title.casefold() == "chủ tịch":
        return "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", plan.signer
    return f"TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / {title.upper()}", plan.signer


def describe_upward(report: UpwardReport | None) -> dict:
    """The report as the audit log keeps it."""
    if report is None:
        return {}
    fields = ("kind", "period_start", "period_end", *UPWARD_TEXT)
    return _audit_shape({name: getattr(report, name) for name in fields})


_AUDIT_NAMES = {"subject": "trich_yeu", "lessons": "bai_hoc"}


def _audit_shape(values: dict) -> dict:
    """Dates as ISO text, the kind as its code, and the trích yếu and lessons under names of their own:
    the audit log's field labels are shared, and there "subject" and "lessons" are an activity's
    (môn học, số tiết)."""
    shaped = {}
    for name, value in values.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, UpwardKind):
            value = value.value
        shaped[_AUDIT_NAMES.get(name, name)] = value
    return shaped


def _upward_values(values: dict) -> dict:
    start, end = values["period_start"], values["period_end"]
    if end < start:
        raise BadPeriod()
    cleaned = {name: clean_text(values.get(name), limit) for name, limit in UPWARD_TEXT.items()}
    cleaned["subject"] = " ".join(cleaned["subject"].split())  # printed as one paragraph under BÁO CÁO
    if not cleaned["subject"]:
        raise ValueError("a report to the Sở needs its trích yếu")
    return {"kind": UpwardKind(values["kind"]), "period_start": start, "period_end": end, **cleaned}


def create_upward_report(plan: Plan, values: dict, actor=None) -> UpwardReport:
    """A new report to the Sở (`values`: kind, period_start, period_end, subject), signed by default
    as the plan is; the report and its audit record commit together."""
    title, name = default_signer(plan)
    cleaned = _upward_values({"signer_title": title, "signer_name": name, **values})
    report = UpwardReport(plan_id=plan.id, created_by_id=getattr(actor, "id", None), **cleaned)
    try:
        db.session.add(report)
        db.session.flush()
        audit.record("upward_report.create", report, after=describe_upward(report), actor=actor, ward_id=plan.ward_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def save_upward_report(report: UpwardReport, values: dict, version: int, actor=None) -> bool:
    """Save the report's period, subject, signer and narrative (`values`: every field) if nobody
    saved since `version`; returns whether anything changed."""
    if version != report.version:
        raise StaleReportText()
    cleaned = _upward_values(values)
    before = describe_upward(report)
    if _audit_shape(cleaned) == before:
        return False
    try:
        for name, value in cleaned.items():
            setattr(report, name, value)
        report.updated_at, report.updated_by_id = utcnow(), getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            "upward_report.save",
            report,
            before=before,
            after=describe_upward(report),
            actor=actor,
            ward_id=report.plan.ward_id,
        )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleReportText() from None
    except BaseException:
        db.session.rollback()
        raise
    return True


# -- deadlines ---------------------------------------------------------------------------------


def report_deadline(plan: Plan, kind: ReportKind) -> Deadline | None:
    """The plan's deadline for this report: the one its reporting milestone (Phụ lục I.1, mốc 8) names
    for the schools (15/6) or for the Phòng VHXH (12/6)."""
    attr = "school_deadline_key" if kind is ReportKind.SCHOOL else "ward_deadline_key"
    for milestone in plan.milestones:
        deadline = plan.deadline(getattr(milestone, attr) or "")
        if deadline is not None and deadline.before:
            return deadline
    return None


# -- the evidence a school holds ---------------------------------------------------------------
