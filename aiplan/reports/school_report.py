"""A school's report (báo cáo kết quả triển khai cấp cơ sở, Phụ lục I.1 mốc 8, due before 15/6) to
the UBND phường through the Phòng VHXH, as a DOCX laid out per Nghị định 30/2020.

Built from the school's checklist, activities, targets, evidence list and self-evaluation, plus
what its staff wrote (ReportText). A view shows `preview(build_school_report(report))` and sends
`render(build_school_report(report))` as `school_report_filename(plan, school)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..documents.admin_doc import AdminDocument, Authority
from ..documents.language import in_vietnamese
from ..figures.activities import FormGroup, TargetActual, group_by_form, school_activities, target_actuals
from ..figures.evaluations import get_self_evaluation
from ..figures.evidence import SchoolEvidence, school_evidence
from ..figures.items import Progress, progress_by_school
from ..figures.labels import item_label
from ..figures.pilot import SchoolPilot, pilot_by_school
from ..figures.problems import school_problems
from ..figures.school_page import checklist
from ..figures.training import SchoolTraining, training_by_school
from ..models import (
    RESUBMITTED,
    ChecklistItem,
    Deadline,
    ItemStatus,
    Plan,
    Problem,
    ReportKind,
    ReportText,
    School,
    SelfEvaluation,
    Target,
    TargetOutcome,
    Verdict,
    Ward,
)
from ..timeutil import LOCAL_TZ, local_today
from ..units import file_size
from .parts import (
    ROMAN,
    document_number,
    education_department,
    place_name,
    plan_reference,
    school_code,
    signature,
    written_parts,
)
from .pilot_part import pilot_paragraphs
from .services import get_report_text, report_deadline
from .training_part import training_paragraphs

KIND = "BÁO CÁO"
SIGNER = "HIỆU TRƯỞNG"


@dataclass
class SchoolReport:
    """Everything the school's report says, gathered in a fixed number of queries."""

    plan: Plan
    school: School
    today: date
    items: list[ChecklistItem]
    progress: Progress
    groups: list[FormGroup]
    targets: list[tuple[Target, TargetActual]]
    evidence: SchoolEvidence
    evaluation: SelfEvaluation | None
    text: ReportText | None
    deadline: Deadline | None
    problems: list[Problem] = field(default_factory=list)  # raised by the school (figures/problems.py)
    pilot: SchoolPilot | None = None  # its pilot classes' results (issue 17, part 8)
    training: SchoolTraining | None = None  # its teachers trained (issue 17, part 1)


def school_report(plan: Plan, school: School, today: date | None = None) -> SchoolReport:
    """The school's figures under the plan, as of `today` (Hà Nội) unless given."""
    today = today or local_today()
    actuals = target_actuals(plan, [school])
    return SchoolReport(
        plan=plan,
        school=school,
        today=today,
        items=checklist(plan, school),
        progress=progress_by_school(plan, [school.id], today)[school.id],
        groups=group_by_form(plan, school_activities(plan, school)),
        targets=[(t, actuals[(school.id, t.id)]) for t in plan.targets if (school.id, t.id) in actuals],
        evidence=school_evidence(plan, school),
        evaluation=get_self_evaluation(plan, school),
        text=get_report_text(plan, school),
        deadline=report_deadline(plan, ReportKind.SCHOOL),
        problems=school_problems(plan, school),
        pilot=pilot_by_school(plan, [school]).schools[0][1],
        training=training_by_school(plan, [school]).schools[0][1],
    )


@in_vietnamese
def build_school_report(report: SchoolReport) -> AdminDocument:
    """The school's report as an administrative document, ready to render."""
    plan, school, today = report.plan, report.school, report.today
    ward, year = school.ward, plan.school_year.name
    doc = AdminDocument(
        Authority(ward.authority.upper(), school.name.upper()),
        KIND,
        subject=f"Kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo năm học {year}",
        number=document_number(report.text.number if report.text else "", f"/BC-{school_code(school)}"),
        place=place_name(ward),
        date=None,
        year=report.deadline.before.year if report.deadline and report.deadline.before else today.year,
        recipients=school_recipients(ward),
        signatures=[signature(report.text, SIGNER)],
    )
    doc.paragraph(
        f"Thực hiện {plan_reference(plan)}, {school.name} báo cáo kết quả triển khai thí điểm giáo dục "
        f"trí tuệ nhân tạo năm học {year} (số liệu tính đến ngày {today:%d/%m/%Y}) như sau:"
    )
    _checklist(doc, report)
    _activities(doc, report)
    _evidence(doc, report)
    _self_evaluation(doc, report)
    written_parts(doc, ROMAN[4], report.text, report.problems)
    doc.paragraph(
        f"Trên đây là báo cáo kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo năm học {year} của {school.name}./."
    )
    return doc


def school_recipients(ward: Ward) -> list[str]:
    """Nơi nhận per Kế hoạch V.2: the school reports "về UBND phường (qua phòng Văn hóa - Xã hội) và cơ
    quan quản lý cấp trên theo quy định": the UBND phường through its office, and the Sở GD&ĐT."""
    return [
        f"- {ward.authority} (qua {ward.office});",
        f"- {education_department(ward)} (cơ quan quản lý cấp trên);",
        "- Lưu: VT.",
    ]


def _checklist(doc: AdminDocument, report: SchoolReport) -> None:
    doc.heading("I. KẾT QUẢ THỰC HIỆN CÁC NỘI DUNG THEO KẾ HOẠCH")
    if report.items:
        doc.table(
            ("STT", "Mốc / nội dung", "Thời hạn", "Trạng thái", "Kết quả kiểm tra"),
            [
                (
                    n,
                    item_label(item) + ("" if item.required else " (khuyến khích)"),
                    f"{item.due_on:%d/%m/%Y}",
                    status_text(item.status, item.is_late(report.today)),
                    verdict_text(item),
                )
                for n, item in enumerate(report.items, start=1)
            ],
            widths=(1.2, 5.6, 2.4, 2.6, 3.2),
            align=("center", None, "center", None, None),
        )
    progress = report.progress
    late = f"còn {progress.late} nội dung quá hạn" if progress.late else "không có nội dung nào quá hạn"
    doc.paragraph(
        f"Nhà trường đã hoàn thành {progress.done}/{progress.required} nội dung bắt buộc ({progress.percent}%); {late}."
    )


def status_text(status: ItemStatus, late: bool) -> str:
    """The school's own status, and whether it is late: "Đang thực hiện (quá hạn)"."""
    return str(status.label) + (" (quá hạn)" if late else "")


def verdict_text(item: ChecklistItem) -> str:
    """The supervisor's verdict with its reason; a change made since is said, not hidden."""
    text = str(item.verdict.label)
    if item.verdict is Verdict.NEEDS_MORE and item.verdict_reason:
        text += f": {item.verdict_reason}"
    if item.resubmitted_at is not None:
        text += f" ({str(RESUBMITTED.label).lower()})"
    return text


def _activities(doc: AdminDocument, report: SchoolReport) -> None:
    doc.heading("II. HOẠT ĐỘNG GIÁO DỤC AI VÀ KẾT QUẢ THỰC HIỆN CHỈ TIÊU")
    doc.heading("1. Hoạt động theo hình thức tổ chức")
    groups = report.groups
    doc.table(
        ("STT", "Hình thức tổ chức", "Số hoạt động", "Số người tham gia", "Số tiết"),
        [(n, form_label(g.form), len(g.activities), g.participants, g.lessons) for n, g in enumerate(groups, start=1)],
        widths=(1.2, 7.4, 2, 2.4, 1.7),
        align=("center", None, None, None, None),
    )
    count = sum(len(g.activities) for g in groups)
    if count:
        pupils = sum(g.participants for g in groups if g.teaching)
        doc.paragraph(
            f"Tổng cộng {count} hoạt động, {sum(g.lessons for g in groups)} tiết; {pupils} lượt học "
            "sinh tham gia các hình thức tổ chức dạy học (mục II.2 của Kế hoạch)."
        )
    else:
        doc.paragraph("Nhà trường chưa ghi nhận hoạt động giáo dục AI nào.")
    doc.heading("2. Kết quả thực hiện chỉ tiêu (Phụ lục II)")
    if report.targets:
        doc.table(
            ("STT", "Chỉ tiêu triển khai tối thiểu", "Kết quả thực hiện", "Đánh giá"),
            [
                (target.stt, target.minimum, actual_text(target, actual), TargetOutcome.of(actual.met).short)
                for target, actual in report.targets
            ],
            widths=(1.2, 6.8, 4.6, 2),
            align=("center", None, None, "center"),
        )
    else:
        doc.paragraph("Nhà trường không thuộc đối tượng của chỉ tiêu nào trong Phụ lục II.")
    if report.training is not None:
        doc.heading("3. Tập huấn, bồi dưỡng giáo viên")
        training_paragraphs(doc, report.training, "Nhà trường")


def form_label(form) -> str:
    return f"{form.section}. {form.title}" if form.section else form.title


def actual_text(target: Target, actual: TargetActual) -> str:
    """What the activities show against a target, in the report's Vietnamese whatever the reader's language."""
    if target.measure == "elective_classes":
        return f"{actual.value} lớp chuyên đề học tập lựa chọn (tối thiểu {actual.minimum} lớp)"
    if target.measure == "integration_share":
        return f"{actual.activities} hoạt động lồng ghép" if actual.activities else "Chưa có hoạt động lồng ghép"
    return "Chưa có cách tính chỉ tiêu này"


def _evidence(doc: AdminDocument, report: SchoolReport) -> None:
    doc.heading("III. MINH CHỨNG")
    evidence = report.evidence
    if evidence.groups:
        doc.paragraph(
            "Danh mục tệp minh chứng lưu trên hệ thống; mã SHA-256 dùng để đối chiếu với tệp gốc và "
            "với gói minh chứng tải về từ hệ thống:"
        )
        rows: list[tuple[int, str, str, str, str]] = []
        for group in evidence.groups:
            for i, file in enumerate(group.files):
                rows.append(
                    (
                        len(rows) + 1,
                        group.label if i == 0 else "",
                        file.original_name,
                        file_size(file.size),
                        file.sha256,
                    )
                )
        doc.table(
            ("STT", "Nội dung", "Tệp minh chứng", "Dung lượng", "Mã SHA-256"),
            rows,
            widths=(1.2, 4, 3.6, 1.9, 5.2),
            align=("center", None, None, "right", None),
        )
    else:
        doc.paragraph("Nhà trường chưa tải lên tệp minh chứng nào.")
    if evidence.restricted:
        doc.paragraph(
            f"Ngoài ra, nhà trường lưu {evidence.restricted} tệp minh chứng hạn chế (có hình ảnh hoặc "
            "thông tin cá nhân của học sinh); các tệp này không liệt kê trong báo cáo và chỉ xuất trình "
            "khi đoàn kiểm tra yêu cầu."
        )


def _self_evaluation(doc: AdminDocument, report: SchoolReport) -> None:
    doc.heading("IV. TỰ ĐÁNH GIÁ KẾT QUẢ TRIỂN KHAI")
    evaluation = report.evaluation
    if evaluation is None:
        doc.paragraph("Nhà trường chưa thực hiện tự đánh giá theo các tiêu chí của Phụ lục I.2.")
    elif evaluation.submitted_at is None:
        doc.paragraph("Bản tự đánh giá của nhà trường còn là bản nháp, chưa nộp.")
    else:
        day = evaluation.submitted_at.astimezone(LOCAL_TZ)
        doc.paragraph(f"Nhà trường đã nộp bản tự đánh giá ngày {day:%d/%m/%Y} theo các tiêu chí của Phụ lục I.2:")
    rows = {row.criterion_id: row for row in evaluation.ratings} if evaluation is not None else {}
    doc.table(
        ("STT", "Tiêu chí", "Mức đánh giá", "Nhận xét"),
        [
            (
                criterion.position,
                criterion.title,
                rating.label if criterion.id in rows and (rating := rows[criterion.id].rating) else "Chưa đánh giá",
                rows[criterion.id].text if criterion.id in rows else "",
            )
            for criterion in report.plan.criteria
        ],
        widths=(1.2, 5.3, 2.3, 6.2),
        align=("center", None, None, None),
    )
    if report.pilot is not None:
        pilot_paragraphs(doc, report.pilot, "Nhà trường")


def school_report_filename(plan: Plan, school: School) -> str:
    """An ASCII download name: "bao-cao-th-doan-ket-2025-2026.docx"."""
    slug = re.sub(r"[^a-z0-9]+", "-", school.slug.lower()).strip("-") or "truong"
    year = re.sub(r"[^0-9-]+", "", plan.school_year.name) or "nam-hoc"
    return f"bao-cao-{slug}-{year}.docx"
