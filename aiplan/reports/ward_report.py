"""The ward's consolidated report (Phụ lục I.2: the Phòng VHXH reports to the UBND phường before 12/6),
as a DOCX laid out per Nghị định 30/2020: the Phụ lục II targets with their results, the milestones,
each school's standing, the self-evaluations, what is late, and the plan's own contradictions.

Its figures are the rollup's (figures.rollup): the same read model as the rollup page and its
exports, so the report a ward officer signs can never say something the rollup does not. They are
read in a fixed number of queries whatever the number of schools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from ..documents.admin_doc import AdminDocument, Authority, office_code
from ..documents.language import in_vietnamese
from ..figures.activities import TargetActual, integration_share
from ..figures.evaluations import EvaluationSummary, evaluation_summary
from ..figures.pilot import WardPilot, pilot_by_school
from ..figures.problems import ward_problems
from ..figures.readmodel import LateGroup, Rollup, SchoolRow
from ..figures.resources import ResourceSummary, resource_summary
from ..figures.rollup import rollup
from ..figures.training import WardTraining, training_by_school
from ..models import (
    Deadline,
    EvaluationState,
    Plan,
    Problem,
    Rating,
    ReportKind,
    ReportText,
    ResourceKind,
    School,
    Target,
    TargetOutcome,
    Ward,
)
from ..schoolyear import plan_schools
from ..timeutil import local_today
from .parts import ROMAN, document_number, in_sentence, place_name, plan_reference, signature, written_parts
from .pilot_part import pilot_paragraphs
from .school_report import form_label, status_text
from .services import get_report_text, report_deadline
from .training_part import training_paragraphs

KIND = "BÁO CÁO"
SIGNER = "TRƯỞNG PHÒNG"


@dataclass(frozen=True)
class TargetResult:
    """A row of Phụ lục II across the ward: its result in words, and whether it is met (None: nobody owes it)."""

    target: Target
    text: str
    met: bool | None


@dataclass
class WardReport:
    plan: Plan
    ward: Ward
    today: date
    schools: list[School]  # by name, as the report lists them
    figures: Rollup  # the rollup's read model over the same schools, late items naming every school
    targets: list[TargetResult]
    actuals: dict[tuple[int, int], TargetActual]
    evaluations: EvaluationSummary
    text: ReportText | None
    deadline: Deadline | None
    resources: ResourceSummary
    problems: list[Problem] = field(default_factory=list)  # raised by the schools (figures/problems.py)
    pilot: WardPilot | None = None  # the pilot classes' results (issue 17, part 8)
    training: WardTraining | None = None  # teachers trained, from the schools' rosters (issue 17, part 1)

    @cached_property
    def rows(self) -> dict[int, SchoolRow]:
        return {row.school.id: row for row in self.figures.rows}

    @property
    def late(self) -> list[LateGroup]:
        return self.figures.late or []

    @property
    def inspected(self) -> tuple[int, int]:
        """(schools inspected, schools covered): milestone 6, as the rollup counts it."""
        return sum(row.inspected for row in self.figures.rows), len(self.figures.rows)


def ward_report(plan: Plan, today: date | None = None) -> WardReport:
    """The figures of the schools the plan covers, as of `today` (Hà Nội) unless given."""
    today = today or local_today()
    schools = sorted(plan_schools(plan), key=lambda school: school.name)
    figures = rollup(plan, schools, weekly=False, late_names=len(schools), today=today)
    actuals = {(row.school.id, t.target.id): t.actual for row in figures.rows for t in row.targets}
    return WardReport(
        plan=plan,
        ward=plan.ward,
        today=today,
        schools=schools,
        figures=figures,
        actuals=actuals,
        targets=target_results(plan, schools, actuals),
        evaluations=evaluation_summary(plan, [school.id for school in schools]),
        text=get_report_text(plan, None),
        deadline=report_deadline(plan, ReportKind.WARD),
        problems=ward_problems(plan),
        resources=resource_summary(plan, schools),
        pilot=pilot_by_school(plan, schools),
        training=training_by_school(plan, schools),
    )


def target_results(plan: Plan, schools: list[School], actuals: dict) -> list[TargetResult]:
    """Each target of Phụ lục II over the schools it applies to: the pilot rows as "x/n schools with
    their classes", the integration row as the ward-wide share (figures.activities.integration_share)."""
    found, owing = integration_share(plan, schools)
    results = []
    for target in plan.targets:
        applying = [school for school in schools if target.applies_to(school)]
        if target.measure == "integration_share":
            if not owing:
                results.append(TargetResult(target, "Không có trường thuộc đối tượng", None))
                continue
            share_met = found * 100 >= target.measure_min * owing
            results.append(
                TargetResult(
                    target, f"{found}/{owing} trường thực hiện lồng ghép ({round(100 * found / owing)}%)", share_met
                )
            )
        elif target.measure == "elective_classes":
            if not applying:
                results.append(TargetResult(target, "Không có trường thuộc đối tượng", None))
                continue
            met = [school for school in applying if actuals[(school.id, target.id)].met]
            classes = "; ".join(f"{school.name}: {actuals[(school.id, target.id)].value} lớp" for school in applying)
            results.append(
                TargetResult(target, f"{len(met)}/{len(applying)} trường đạt ({classes})", len(met) == len(applying))
            )
        else:
            results.append(TargetResult(target, "Chưa có cách tính chỉ tiêu này", None))
    return results


@in_vietnamese
def build_ward_report(report: WardReport) -> AdminDocument:
    """The ward's consolidated report as an administrative document, ready to render."""
    plan, ward, year = report.plan, report.ward, report.plan.school_year.name
    code = office_code(ward.office)
    doc = AdminDocument(
        Authority(ward.authority.upper(), ward.office.upper()),
        KIND,
        subject=f"Kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo trên địa bàn {in_sentence(ward.name)} "
        f"năm học {year}",
        number=document_number(report.text.number if report.text else "", f"/BC-{code}"),
        place=place_name(ward),
        date=None,
        year=report.deadline.before.year if report.deadline and report.deadline.before else report.today.year,
        recipients=["- UBND phường (để báo cáo);", f"- Lưu: VT, {code}."],
        signatures=[signature(report.text, SIGNER)],
    )
    doc.paragraph(
        f"Thực hiện {plan_reference(plan)}, {ward.office} báo cáo kết quả triển khai thí điểm giáo dục "
        f"trí tuệ nhân tạo tại {len(report.schools)} trường trên địa bàn năm học {year} (số liệu tính "
        f"đến ngày {report.today:%d/%m/%Y}) như sau:"
    )
    numerals = iter(ROMAN)
    targets_section(doc, next(numerals), report)
    milestones_section(doc, next(numerals), report)
    schools_section(doc, next(numerals), report)
    evaluations_section(doc, next(numerals), report)
    late_section(doc, next(numerals), report)
    resources_section(doc, next(numerals), report)
    written_parts(doc, next(numerals), report.text, report.problems, by_school=True)
    doc.paragraph(
        f"Trên đây là báo cáo kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo năm học {year} "
        f"trên địa bàn {in_sentence(ward.name)} của {ward.office}./."
    )
    return doc


def _verdict(met: bool | None) -> str:
    return "—" if met is None else str(TargetOutcome.of(met).short)


def targets_section(doc: AdminDocument, numeral: str, report: WardReport) -> None:
    doc.heading(f"{numeral}. KẾT QUẢ THỰC HIỆN CHỈ TIÊU VÀ CÁC HOẠT ĐỘNG")
    doc.heading("1. Kết quả thực hiện chỉ tiêu (Phụ lục II)")
    doc.table(
        ("STT", "Cấp học / đối tượng", "Chỉ tiêu triển khai tối thiểu", "Kết quả thực hiện", "Đánh giá"),
        [(r.target.stt, r.target.category, r.target.minimum, r.text, _verdict(r.met)) for r in report.targets],
        widths=(1.2, 3, 4.5, 5, 1.8),
        align=("center", None, None, None, "center"),
    )
    doc.heading("2. Hoạt động giáo dục AI theo hình thức tổ chức")
    doc.table(
        ("STT", "Hình thức tổ chức", "Số trường", "Số hoạt động", "Số người tham gia", "Số tiết"),
        [
            (n, form_label(t.form), t.schools, t.activities, t.participants, t.lessons)
            for n, t in enumerate(report.figures.forms, start=1)
        ],
        widths=(1.2, 6.2, 1.6, 1.8, 2.3, 1.6),
        align=("center", None, None, None, None, None),
    )
    forms = report.figures.forms
    doc.paragraph(
        f"Tổng cộng {sum(t.activities for t in forms)} hoạt động, "
        f"{sum(t.lessons for t in forms)} tiết; {sum(t.participants for t in forms if t.teaching)} lượt học "
        "sinh tham gia các hình thức tổ chức dạy học (mục II.2 của Kế hoạch)."
    )
    if report.training is not None:
        doc.heading("3. Tập huấn, bồi dưỡng giáo viên")
        training_paragraphs(doc, report.training, "Các trường")


def milestones_section(doc: AdminDocument, numeral: str, report: WardReport) -> None:
    doc.heading(f"{numeral}. TIẾN ĐỘ THỰC HIỆN THEO LỊCH TRIỂN KHAI (PHỤ LỤC I)")
    rows = []
    for row in report.figures.milestones:
        milestone, ward_item = row.milestone, row.ward_item
        schools = on_time = "—"
        if milestone.for_schools:
            schools = f"{row.done}/{row.required}" if row.required else "0/0"
            schools += f" (+{row.encouraged_done} khuyến khích)" if row.encouraged_done else ""
            on_time = f"{row.on_time}/{row.done}" if row.done else "—"
        rows.append(
            (
                milestone.number,
                milestone.title,
                milestone.timing_text,
                schools,
                on_time,
                status_text(ward_item.status, ward_item.late) if ward_item is not None else "—",
            )
        )
    doc.table(
        ("Mốc", "Nội dung công việc", "Thời gian", "Các trường hoàn thành", "Đúng hạn", "Phường"),
        rows,
        widths=(1.2, 5, 2.6, 2.3, 1.7, 2.5),
        align=("center", None, None, "center", "center", None),
    )
    inspected, total = report.inspected
    doc.paragraph(
        "Cột “Các trường hoàn thành” tính trên số trường phải thực hiện mốc; cột “Đúng hạn” là số trường "
        "hoàn thành trước hoặc đúng thời hạn trên số trường đã hoàn thành. Đoàn kiểm tra đã kết thúc "
        f"kiểm tra tại {inspected}/{total} trường."
    )


def schools_section(doc: AdminDocument, numeral: str, report: WardReport) -> None:
    doc.heading(f"{numeral}. KẾT QUẢ CỦA TỪNG TRƯỜNG")
    if not report.schools:
        doc.paragraph("Phường chưa có trường nào đang hoạt động.")
        return
    owed: dict[int, list[TargetActual]] = {}
    for (school_id, _), actual in report.actuals.items():
        owed.setdefault(school_id, []).append(actual)
    rows = []
    for n, school in enumerate(report.schools, start=1):
        row = report.rows[school.id]
        actuals = owed.get(school.id)
        targets = _verdict(all(actual.met for actual in actuals)) if actuals else "—"
        evaluation = report.evaluations.by_school.get(school.id)
        state = EvaluationState.of(evaluation).label
        rows.append(
            (
                n,
                school.name + (" (thí điểm)" if report.plan.is_pilot(school) else ""),
                f"{row.done}/{row.required}",
                row.late,
                f"{row.verified}/{row.required}",
                targets,
                state,
            )
        )
    doc.table(
        (
            "STT",
            "Trường",
            "Nội dung bắt buộc đã hoàn thành",
            "Quá hạn",
            "Kiểm tra đạt",
            "Chỉ tiêu Phụ lục II",
            "Tự đánh giá",
        ),
        rows,
        widths=(1.2, 4.1, 2.4, 1.4, 1.8, 1.9, 2.1),
        align=("center", None, "center", "center", "center", "center", None),
    )


def evaluations_section(doc: AdminDocument, numeral: str, report: WardReport) -> None:
    summary = report.evaluations
    doc.heading(f"{numeral}. ĐÁNH GIÁ KẾT QUẢ TRIỂN KHAI TẠI CÁC TRƯỜNG (PHỤ LỤC I.2)")
    doc.paragraph(
        f"Số trường đã nộp bản tự đánh giá: {summary.submitted}/{summary.schools}; bản nháp chưa nộp: "
        f"{summary.drafts}; chưa bắt đầu: {summary.not_begun}. Số trường theo từng mức đánh giá "
        "(chỉ tính các bản đã nộp):"
    )
    ratings = list(Rating)
    doc.table(
        ("STT", "Tiêu chí", *(rating.label for rating in ratings)),
        [(c.position, c.title, *(summary.counts[c.id][rating] for rating in ratings)) for c in report.plan.criteria],
        widths=(1.2, 7.4, 1.5, 1.5, 1.5, 1.8),
        align=("center", None, "center", "center", "center", "center"),
    )
    if report.pilot is not None:
        pilot_paragraphs(doc, report.pilot, "Các trường")


def late_section(doc: AdminDocument, numeral: str, report: WardReport) -> None:
    doc.heading(f"{numeral}. CÁC NỘI DUNG CHẬM TIẾN ĐỘ")
    if not report.late:
        doc.paragraph(f"Không có nội dung nào quá hạn tính đến ngày {report.today:%d/%m/%Y}.")
        return
    units = {school.id for group in report.late for school in group.schools}
    units |= {0} if any(group.ward for group in report.late) else set()
    doc.paragraph(
        f"Có {sum(group.count for group in report.late)} nội dung quá hạn chưa hoàn thành tại "
        f"{len(units)} đơn vị, xếp từ hạn sớm nhất:"
    )
    # One row per item and due date, naming its late units: a ward of many schools stays readable
    # (and the DOCX quick to write: python-docx costs about a millisecond per table cell).
    doc.table(
        ("STT", "Nội dung", "Hạn", "Quá hạn (ngày)", "Số đơn vị", "Đơn vị chưa hoàn thành"),
        [
            (n, label, f"{due:%d/%m/%Y}", (report.today - due).days, len(names), "; ".join(names))
            for n, ((due, label), names) in enumerate(late_groups(report).items(), start=1)
        ],
        widths=(1.2, 4.2, 2.4, 1.6, 1.5, 5.4),
        align=("center", None, "center", "center", "center", None),
    )


def resources_section(doc: AdminDocument, numeral: str, report: WardReport) -> None:
    """Section IV of the plan (kinh phí): what the resources register holds, in figures."""
    doc.heading(f"{numeral}. NGUỒN LỰC, KINH PHÍ THỰC HIỆN")
    totals = report.resources.all
    if not totals.entries:
        doc.paragraph("Chưa có nguồn lực nào được ghi nhận trong sổ theo dõi nguồn lực của năm học.")
        return
    schools = sum(1 for _, t in report.resources.schools if t.entries)
    in_kind = sum(totals.in_kind.values())
    doc.paragraph(
        f"Tổng nguồn lực đã ghi nhận: {totals.entries} khoản tại {schools} trường"
        f"{' và phường' if report.resources.ward and report.resources.ward.entries else ''}, "
        f"trị giá {_dong(totals.total_vnd)}, gồm ngân sách nhà nước {_dong(totals.vnd[ResourceKind.BUDGET])} "
        f"và xã hội hóa {_dong(totals.vnd[ResourceKind.CONTRIBUTION])}"
        f"{f'; {in_kind} khoản bằng hiện vật' if in_kind else ''}. "
        + (
            f"Còn {totals.unconfirmed} khoản đóng góp chưa được xác nhận đủ các điều kiện tự nguyện, không gắn "
            "với điều kiện học tập, không thương mại hóa, không ép buộc."
            if totals.unconfirmed
            else "Các khoản đóng góp đều đã được xác nhận bảo đảm tự nguyện, không gắn với điều kiện học tập, "
            "không thương mại hóa, không ép buộc."
        )
    )


def _dong(amount: int) -> str:
    """15.000.000 đồng, as a document writes a sum in full."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def late_groups(report: WardReport) -> dict[tuple[date, str], list[str]]:
    """(due date, item) -> the units late on it (the ward first, then schools by name), oldest first."""
    groups: dict[tuple[date, str], list[str]] = {}
    for group in report.late:  # already oldest first, the ward's own first on a day
        names = [report.ward.authority] if group.ward else sorted(school.name for school in group.schools)
        groups.setdefault((group.due_on, group.label), []).extend(names)
    return groups


def ward_report_filename(plan: Plan) -> str:
    """An ASCII download name: "bao-cao-tong-hop-long-bien-2025-2026.docx"."""
    slug = re.sub(r"[^a-z0-9]+", "-", plan.ward.slug.lower()).strip("-") or "phuong"
    year = re.sub(r"[^0-9-]+", "", plan.school_year.name) or "nam-hoc"
    return f"bao-cao-tong-hop-{slug}-{year}.docx"
