"""The UBND phường's reports to the Sở GD&ĐT (Kế hoạch V.1: "báo cáo kết quả thực hiện định kỳ và
đột xuất về Sở Giáo dục và Đào tạo"; Phụ lục I.1 mốc 9: sơ kết, tổng kết), as DOCX laid out per
Nghị định 30/2020 and signed "TM. ỦY BAN NHÂN DÂN".

The figures are the ward report's (ward_report.ward_report, which reads the rollup), printed with
the very sections of that report, so a report to the Sở never counts differently from the rollup.
What only a period adds (the activities and visits dated in it) comes from figures.period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..documents.admin_doc import AdminDocument, Authority, office_code
from ..documents.language import in_vietnamese
from ..figures.period import PeriodRecords, period_records
from ..models import Plan, UpwardKind, UpwardReport, Ward
from .parts import (
    DOTS,
    ROMAN,
    document_number,
    education_department,
    in_sentence,
    place_name,
    plan_reference,
    signature,
)
from .school_report import form_label
from .services import UPWARD_SIGNER, paragraphs
from .ward_report import (
    WardReport,
    evaluations_section,
    late_section,
    milestones_section,
    schools_section,
    targets_section,
    ward_report,
)

KIND = "BÁO CÁO"
NUMBER_SUFFIX = "/BC-UBND"
FILE_KINDS = {
    UpwardKind.PERIODIC: "dinh-ky",
    UpwardKind.AD_HOC: "dot-xuat",
    UpwardKind.INTERIM: "so-ket",
    UpwardKind.FINAL: "tong-ket",
}
REVIEW_WORDS = {UpwardKind.INTERIM: "sơ kết", UpwardKind.FINAL: "tổng kết"}
_UBND = re.compile(r"^\s*UBND\b", re.IGNORECASE)


@dataclass
class UpwardView:
    """A report to the Sở with everything it prints: the ward report's figures as of `today` and the
    records dated within the report's period."""

    report: UpwardReport
    figures: WardReport
    period: PeriodRecords

    @property
    def today(self) -> date:
        return self.figures.today


def upward_view(report: UpwardReport, today: date | None = None) -> UpwardView:
    """The report's figures as of `today` (Hà Nội) unless given, over the schools the plan covers."""
    figures = ward_report(report.plan, today)
    ids = [school.id for school in figures.schools]
    return UpwardView(report, figures, period_records(report.plan, ids, report.period_start, report.period_end))


def people_committee(ward: Ward) -> str:
    """ "UBND phường Long Biên" -> "Ủy ban nhân dân phường Long Biên", as a letterhead spells it out."""
    return _UBND.sub("Ủy ban nhân dân", ward.authority).strip()


def recipients(ward: Ward) -> list[str]:
    """Nơi nhận: the Sở first, the UBND's leaders, the archive and the office that drafted it."""
    return [
        f"- {education_department(ward)} (để báo cáo);",
        "- Chủ tịch, các PCT UBND phường;",
        f"- Lưu: VT, {office_code(ward.office)}.",
    ]


@in_vietnamese
def build_upward_report(view: UpwardView) -> AdminDocument:
    """The report to the Sở as an administrative document, ready to render."""
    report, figures = view.report, view.figures
    plan, ward = report.plan, report.plan.ward
    sender, department = ward.authority, education_department(ward)
    doc = AdminDocument(
        Authority(ward.city.upper(), people_committee(ward).upper()),
        KIND,
        subject=report.subject,
        number=document_number(report.number, NUMBER_SUFFIX),
        place=place_name(ward),
        date=None,
        year=view.today.year,
        recipients=recipients(ward),
        signatures=[signature(report, UPWARD_SIGNER)],
    )
    doc.paragraph(f"Kính gửi: {department}.", bold=True)
    period = f"từ ngày {report.period_start:%d/%m/%Y} đến ngày {report.period_end:%d/%m/%Y}"
    what = "triển khai thí điểm giáo dục trí tuệ nhân tạo"
    where = f"trên địa bàn {in_sentence(ward.name)}"
    if report.kind.is_review:
        opening = f"{REVIEW_WORDS[report.kind]} việc {what} {where} năm học {plan.school_year.name} ({period})"
    else:
        opening = f"kết quả {what} {where} {period}"
    doc.paragraph(
        f"Thực hiện {plan_reference(plan)}, {sender} báo cáo {opening} tại {len(figures.schools)} trường như sau. "
        f"Số liệu tổng hợp về chỉ tiêu, tiến độ và kết quả của các trường tính đến ngày {view.today:%d/%m/%Y}; "
        "mục I liệt kê các hoạt động và các đợt kiểm tra diễn ra trong kỳ báo cáo."
    )
    numerals = iter(ROMAN)
    _period(doc, next(numerals), view)
    targets_section(doc, next(numerals), figures)
    milestones_section(doc, next(numerals), figures)
    schools_section(doc, next(numerals), figures)
    evaluations_section(doc, next(numerals), figures)
    late_section(doc, next(numerals), figures)
    _assessment(doc, next(numerals), report)
    _directions(doc, next(numerals), report)
    doc.heading(f"{next(numerals)}. ĐỀ XUẤT, KIẾN NGHỊ")
    _written(doc, report.proposals)
    doc.paragraph(f"Trên đây là báo cáo {opening} của {sender} gửi {department}./.")
    return doc


def _period(doc: AdminDocument, numeral: str, view: UpwardView) -> None:
    records = view.period
    doc.heading(f"{numeral}. KẾT QUẢ TRIỂN KHAI TRONG KỲ BÁO CÁO")
    doc.heading("1. Hoạt động giáo dục AI diễn ra trong kỳ")
    if records.activities:
        doc.table(
            ("STT", "Trường", "Hình thức tổ chức", "Hoạt động", "Thời gian", "Số người tham gia", "Số tiết"),
            [
                (
                    n,
                    activity.school.name if activity.school else view.report.plan.ward.authority,
                    form_label(activity.form) if activity.form else "",
                    activity.title,
                    _days(activity.starts_on, activity.ends_on),
                    activity.participants,
                    activity.lessons,
                )
                for n, activity in enumerate(records.activities, start=1)
            ],
            widths=(1.1, 3.2, 3.2, 3.6, 2.6, 1.6, 1.2),
            align=("center", None, None, None, "center", None, None),
        )
        doc.paragraph(
            f"Trong kỳ có {len(records.activities)} hoạt động với "
            f"{sum(activity.participants for activity in records.activities)} lượt người tham gia, "
            f"{sum(activity.lessons for activity in records.activities)} tiết."
        )
    else:
        doc.paragraph("Không có hoạt động giáo dục AI nào diễn ra trong kỳ báo cáo.")
    if records.undated:
        doc.paragraph(f"Ngoài ra có {records.undated} hoạt động chưa ghi thời gian thực hiện, không tính vào kỳ nào.")
    doc.heading("2. Hoạt động do UBND phường tổ chức trong kỳ")
    if records.ward_activities:
        doc.table(
            ("STT", "Loại hoạt động", "Hoạt động", "Thời gian", "Số người tham gia"),
            [
                (
                    n,
                    str(activity.ward_kind.label) if activity.ward_kind else "",
                    activity.title,
                    _days(activity.starts_on, activity.ends_on),
                    activity.participants,
                )
                for n, activity in enumerate(records.ward_activities, start=1)
            ],
            widths=(1.1, 3.4, 6, 2.6, 2),
            align=("center", None, None, "center", None),
        )
    else:
        doc.paragraph("Trong kỳ, UBND phường chưa ghi nhận hội nghị, tuyên truyền hay bồi dưỡng nào.")
    doc.heading("3. Công tác kiểm tra, giám sát trong kỳ")
    if records.inspections:
        doc.table(
            ("STT", "Trường được kiểm tra", "Loại kiểm tra", "Ngày kiểm tra", "Tình trạng"),
            [
                (n, visit.school.name, str(visit.kind.label), f"{visit.visit_on:%d/%m/%Y}", str(visit.status.label))
                for n, visit in enumerate(records.inspections, start=1)
            ],
            widths=(1.2, 5.4, 3, 2.6, 2.6),
            align=("center", None, None, "center", None),
        )
    else:
        doc.paragraph("Không có đợt kiểm tra nào trong kỳ báo cáo.")


def _days(start: date | None, end: date | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return f"{start:%d/%m/%Y}"
    return f"{start:%d/%m/%Y} - {end:%d/%m/%Y}"


def _assessment(doc: AdminDocument, numeral: str, report: UpwardReport) -> None:
    doc.heading(f"{numeral}. ĐÁNH GIÁ CHUNG")
    parts = [
        ("Kết quả nổi bật", report.highlights),
        ("Tồn tại, hạn chế", report.shortcomings),
        ("Nguyên nhân", report.causes),
    ]
    if report.kind.is_review:
        parts.append(("Bài học kinh nghiệm", report.lessons))
    for n, (heading, value) in enumerate(parts, start=1):
        doc.heading(f"{n}. {heading}")
        _written(doc, value)


def _directions(doc: AdminDocument, numeral: str, report: UpwardReport) -> None:
    plan = report.plan
    if not report.kind.is_review:
        doc.heading(f"{numeral}. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI")
        _written(doc, report.directions)
        return
    doc.heading(f"{numeral}. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM HỌC TIẾP THEO")
    _written(doc, report.directions)
    if plan.roadmap:
        doc.paragraph("Lộ trình triển khai các năm học tiếp theo theo Phụ lục I.3 của Kế hoạch:")
        doc.bullets([step.text for step in plan.roadmap])


def _written(doc: AdminDocument, value: str) -> None:
    """What people wrote, a paragraph per line, or dotted lines to fill by hand."""
    for line in paragraphs(value) or [DOTS, DOTS]:
        doc.paragraph(line)


def upward_report_filename(report: UpwardReport) -> str:
    """An ASCII download name: "bao-cao-so-gddt-dinh-ky-20250905-20251231.docx"."""
    return f"bao-cao-so-gddt-{FILE_KINDS[report.kind]}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.docx"


def default_subject(plan: Plan, kind: UpwardKind) -> str:
    """The trích yếu a new report's form suggests."""
    what = "triển khai thí điểm giáo dục trí tuệ nhân tạo"
    year = plan.school_year.name
    if kind.is_review:
        return f"{REVIEW_WORDS[kind].capitalize()} {what} năm học {year}"
    return f"Kết quả {what} năm học {year}"
