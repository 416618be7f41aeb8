"""The inspection minutes (biên bản kiểm tra) of one visit: the items the team checked with their
final verdicts, the conclusion, and the signatures, as a print view and as a DOCX laid out per
Nghị định 30/2020 (docs/documents.md).

Both come from one `MinutesText`, so the page and the file never say different things; a view
renders `inspections/minutes.html` with `minutes_context(inspection)`, or sends
`render_minutes_docx(inspection)` as `minutes_filename(inspection)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..documents.admin_doc import (
    AdminDocument,
    Authority,
    Signature,
    format_number_line,
    format_vietnamese_date,
    office_code,
    render,
)
from ..documents.language import in_vietnamese
from ..extensions import db
from ..models import (
    ChecklistItem,
    EvidenceFile,
    Inspection,
    InspectionDecision,
    InspectionKind,
    ItemStatus,
    Verdict,
    VerdictRecord,
)

KIND = "BIÊN BẢN"
DOTS = "…" * 28  # a line to fill by hand, a little shorter than the text width
SHORT_DOTS = "…" * 18  # the same after a label
TABLE_HEADERS = (
    "STT",
    "Nội dung kiểm tra",
    "Nhà trường tự đánh giá",
    "Kết quả kiểm tra",
    "Ghi chú / yêu cầu bổ sung",
    "Số minh chứng",
)
TABLE_WIDTHS = (1.1, 4.5, 2.1, 1.9, 3.3, 1.6)
TABLE_ALIGN = ("center", None, None, None, None, "center")
SIGN_NOTE = "(Ký, ghi rõ họ tên)"
READ_BACK = "Biên bản đã được đọc lại cho các thành viên cùng nghe, đã thông qua, nhất trí ký tên."
CLOCK_BLANK = "… giờ … phút"
# What the visit checks, by its kind, as the subject line and the opening say it.
CHECKS = {
    InspectionKind.MIDTERM: "kiểm tra giữa học kỳ II",
    InspectionKind.UNANNOUNCED: "kiểm tra đột xuất",
    InspectionKind.YEAR_END: "kiểm tra, đánh giá tổng thể",
}
_LOCALITY = re.compile(r"^(phường|xã|thị trấn)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class MinutesRow:
    """One line of the results table: an item as the team left it at the end of the visit."""

    number: int
    item_id: int
    title: str
    school_status: str  # the school's own status label when the verdict was given
    verdict: Verdict
    verdict_label: str
    reason: str
    evidence_count: int


@dataclass(frozen=True)
class Copy:
    """One copy of the minutes: its line under "Nơi nhận", and who keeps it as the closing says.
    The closing counts the copies from this list, so the two never disagree."""

    recipient: str
    holder: str


@dataclass(frozen=True)
class MinutesText:
    """Every sentence of the minutes outside the results table, shared by the DOCX and the page."""

    authority: Authority
    number: str  # "05/BB-VHXH", or "/BB-VHXH" when the number is written by hand
    number_line: str  # "Số: 05/BB-VHXH"
    place: str  # "Long Biên"
    date_line: str  # "Long Biên, ngày 12 tháng 3 năm 2026"
    subject: str
    basis: list[str]  # "Căn cứ Quyết định số …" lines; empty when the visit cites no decision
    opening: str
    team: list[str]
    representative: str
    counts_line: str
    conclusion: list[str]
    recommendations: list[str]
    closing: str
    signatures: list[Signature]
    members: list[str]
    recipients: list[str] = field(default_factory=list)


def minutes_rows(inspection: Inspection) -> list[MinutesRow]:
    """The items checked during the visit, each with the last verdict given in it, in checklist
    order; two queries whatever the number of items."""
    last = (
        select(func.max(VerdictRecord.id))
        .where(VerdictRecord.inspection_id == inspection.id)
        .group_by(VerdictRecord.item_id)
    )
    records = db.session.scalars(
        select(VerdictRecord)
        .join(VerdictRecord.item)
        .where(VerdictRecord.id.in_(last))
        .options(
            contains_eager(VerdictRecord.item).options(
                joinedload(ChecklistItem.milestone),
                joinedload(ChecklistItem.target),
                joinedload(ChecklistItem.evidence_requirement),
            )
        )
        .order_by(ChecklistItem.position, ChecklistItem.id)
    ).all()
    checked = select(VerdictRecord.item_id).where(VerdictRecord.inspection_id == inspection.id)
    files = (
        dict(
            db.session.execute(
                select(EvidenceFile.item_id, func.count())
                .where(EvidenceFile.item_id.in_(checked), EvidenceFile.deleted_at.is_(None))
                .group_by(EvidenceFile.item_id)
            ).all()
        )
        if records
        else {}
    )
    return [
        MinutesRow(
            number=n,
            item_id=r.item_id,
            title=_capitalised(r.item.title),
            school_status=_status_label(r.school_status),
            verdict=r.verdict,
            verdict_label=str(r.verdict.label),
            reason=r.reason or "",
            evidence_count=files.get(r.item_id, 0),
        )
        for n, r in enumerate(records, start=1)
    ]


def minutes_counts(rows: list[MinutesRow]) -> dict[Verdict, int]:
    """How many items ended the visit with each verdict, passed first."""
    order = (Verdict.PASSED, Verdict.NEEDS_MORE, Verdict.UNCHECKED)
    return {verdict: sum(row.verdict is verdict for row in rows) for verdict in order}


def minutes_text(inspection: Inspection, counts: dict[Verdict, int]) -> MinutesText:
    """The minutes' sentences; where nothing was recorded yet, dotted lines to fill by hand."""
    school, plan = inspection.school, inspection.plan
    ward = school.ward
    place = _LOCALITY.sub("", ward.name).strip()
    number = minutes_number(inspection)
    day = format_vietnamese_date(inspection.visit_on)
    year = plan.school_year.name
    plan_title = plan.title if "năm học" in plan.title.lower() else f"{plan.title} năm học {year}"
    lead = inspection.lead
    members = [user.display_name for user in inspection.members if lead is None or user.id != lead.id]
    team = ([f"{lead.display_name}, Trưởng đoàn;"] if lead else []) + [f"{name}, thành viên;" for name in members]
    representative = inspection.school_representative.strip()
    # "Nguyễn Thị Hoa, Hiệu trưởng": the name alone under the signature, the title is in part I.
    rep_name = representative.partition(",")[0].strip()
    total = sum(counts.values())
    checks = CHECKS[inspection.kind]
    copies = minutes_copies(inspection)
    return MinutesText(
        authority=Authority(ward.authority.upper(), ward.office.upper()),
        number=number,
        number_line=format_number_line(number),
        place=place,
        date_line=f"{place}, {day}",
        subject=f"{checks[0].upper()}{checks[1:]} việc triển khai thí điểm giáo dục trí tuệ nhân tạo tại {school.name}",
        basis=[decision_basis(inspection.decision)] if inspection.decision else [],
        opening=(
            f"Hôm nay, {day}, vào hồi {_clock(inspection.starts_at)}, tại {school.name}, Đoàn kiểm tra của "
            f"{ward.office} {_lower_first(ward.name)} tiến hành {checks} việc triển khai {plan_title}."
        ),
        team=team or [f"Họ và tên, chức vụ: {SHORT_DOTS}"],
        representative=representative or f"Họ và tên, chức vụ: {SHORT_DOTS}",
        counts_line=(
            f"Tổng số nội dung đã kiểm tra: {total} mục, trong đó "
            + "; ".join(f"{verdict.label}: {n} mục" for verdict, n in counts.items())
            + "."
        ),
        conclusion=_paragraphs(inspection.conclusion),
        recommendations=_paragraphs(inspection.recommendations),
        closing=(
            f"Buổi kiểm tra kết thúc vào hồi {_clock(inspection.ends_at)} cùng ngày. "
            f"Biên bản được lập thành {len(copies):02d} bản có giá trị như nhau: "
            + ", ".join(copy.holder for copy in copies)
            + f". {READ_BACK}"
        ),
        # Both blocks have the same lines, so that the two names sit on one line.
        signatures=[
            Signature("ĐẠI DIỆN NHÀ TRƯỜNG", name=rep_name, note=SIGN_NOTE),
            Signature("TRƯỞNG ĐOÀN KIỂM TRA", name=lead.display_name if lead else "", note=SIGN_NOTE),
        ],
        members=members,
        recipients=[copy.recipient for copy in copies],
    )


def minutes_copies(inspection: Inspection) -> list[Copy]:
    """Who receives the minutes, one copy each: the school inspected, the UBND phường the team
    reports to, and the office's own record (văn thư and the office), as a Nghị định 30 minutes'
    "Nơi nhận" lists them."""
    school, ward = inspection.school, inspection.school.ward
    return [
        Copy(f"- {school.name} (để thực hiện);", "nhà trường giữ 01 bản"),
        Copy("- UBND phường (để báo cáo);", "gửi UBND phường 01 bản"),
        Copy(f"- Lưu: VT, {office_code(ward.office)}.", f"lưu 01 bản tại {ward.office}"),
    ]


def decision_basis(decision: InspectionDecision) -> str:
    """ "Căn cứ Quyết định số 12/QĐ-UBND ngày 02 tháng 3 năm 2026 về việc thành lập đoàn kiểm tra;",
    the line above the opening; a number typed as digits alone gets the UBND's "/QĐ-UBND"."""
    number = decision.number.strip()
    if number.isdigit():
        number += "/QĐ-UBND"
    day = format_vietnamese_date(decision.signed_on)
    return f"Căn cứ Quyết định số {number} {day} về việc thành lập đoàn kiểm tra;"


@in_vietnamese
def minutes_context(inspection: Inspection) -> dict:
    """What templates/inspections/minutes.html reads."""
    rows = minutes_rows(inspection)
    counts = minutes_counts(rows)
    return {
        "inspection": inspection,
        "rows": rows,
        "counts": counts,
        "plan": inspection.plan,
        "school": inspection.school,
        "ward": inspection.school.ward,
        "minutes": minutes_text(inspection, counts),
    }


@in_vietnamese
def build_minutes(inspection: Inspection) -> AdminDocument:
    """The minutes as an administrative document, ready to render."""
    rows = minutes_rows(inspection)
    text = minutes_text(inspection, minutes_counts(rows))
    doc = AdminDocument(
        text.authority,
        KIND,
        subject=text.subject,
        number=text.number,
        place=text.place,
        date=inspection.visit_on,
        recipients=text.recipients,
        signatures=text.signatures,
        members=text.members,
    )
    for line in text.basis:
        doc.paragraph(line)
    doc.paragraph(text.opening)
    doc.heading("I. THÀNH PHẦN")
    doc.heading("1. Đoàn kiểm tra").bullets(text.team)
    doc.heading("2. Đại diện nhà trường").bullets([text.representative])
    doc.heading("II. KẾT QUẢ KIỂM TRA")
    if rows:
        doc.table(
            TABLE_HEADERS,
            [
                (row.number, row.title, row.school_status, row.verdict_label, row.reason, row.evidence_count)
                for row in rows
            ],
            widths=TABLE_WIDTHS,
            align=TABLE_ALIGN,
        )
    doc.paragraph(text.counts_line)
    doc.heading("III. KẾT LUẬN")
    for line in text.conclusion:
        doc.paragraph(line)
    doc.heading("IV. KIẾN NGHỊ")
    for line in text.recommendations:
        doc.paragraph(line)
    doc.paragraph(text.closing)
    return doc


def render_minutes_docx(inspection: Inspection) -> bytes:
    """The minutes as DOCX bytes, ready to print and sign."""
    return render(build_minutes(inspection))


def minutes_filename(inspection: Inspection) -> str:
    """An ASCII download name: "bien-ban-kiem-tra-th-doan-ket-2026-03-12.docx"."""
    slug = re.sub(r"[^a-z0-9]+", "-", inspection.school.slug.lower()).strip("-") or "truong"
    return f"bien-ban-kiem-tra-{slug}-{inspection.visit_on.isoformat()}.docx"


def minutes_number(inspection: Inspection) -> str:
    """The number as the document carries it: "5" -> "5/BB-VHXH"; none -> "/BB-VHXH", a blank to fill."""
    number = (inspection.minutes_number or "").strip()
    suffix = f"/BB-{office_code(inspection.school.ward.office)}"
    if not number or number.isdigit():
        return number + suffix
    return number


def _status_label(value: str) -> str:
    try:
        return str(ItemStatus(value).label)
    except ValueError:  # a status the app no longer knows: show what was recorded
        return value


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clock(moment) -> str:
    """ "08 giờ 30 phút", or blanks to fill by hand when the time was not recorded."""
    return f"{moment:%H} giờ {moment:%M} phút" if moment is not None else CLOCK_BLANK


def _lower_first(text: str) -> str:
    """ "Phường Long Biên" -> "phường Long Biên", as the ward is named inside a sentence."""
    return _LOCALITY.sub(lambda m: m.group(0).lower(), text)


def _paragraphs(text: str) -> list[str]:
    """The typed text as paragraphs, or lines to fill by hand when nothing was typed."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines or [DOTS, DOTS]
