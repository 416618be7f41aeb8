"""The reports' short section of pilot-class figures (issue 17, part 8): the plan asks each pilot
class to have "kế hoạch, nội dung, sản phẩm học tập và đánh giá kết quả", and its result is the
evidence for the self-evaluation's third criterion. Counts only: no pupil is named."""

from ..documents.admin_doc import AdminDocument
from ..figures.pilot import SchoolPilot, WardPilot
from ..models import PilotLevel


def pilot_paragraphs(doc: AdminDocument, pilot: SchoolPilot | WardPilot, whose: str) -> None:
    """A paragraph and a table of levels: `whose` is "Nhà trường" or "Các trường"."""
    classes, with_result = _total(pilot, "classes"), _total(pilot, "with_result")
    assessed = _total(pilot, "assessed")
    if not classes:
        doc.paragraph(
            f"Kết quả lớp thí điểm (căn cứ cho tiêu chí 3): {whose} chưa ghi nhận lớp thí điểm (hình thức 2.2)."
        )
        return
    doc.paragraph(
        f"Kết quả lớp thí điểm (căn cứ cho tiêu chí 3): {whose} có {classes} lớp thí điểm theo hình thức 2.2, "
        f"{with_result} lớp đã có kết quả đánh giá; {assessed} học sinh được đánh giá; "
        f"{_total(pilot, 'products')} tệp sản phẩm học tập, minh chứng (tệp có hình ảnh học sinh không liệt kê)."
    )
    if assessed:
        counts = [_level(pilot, level) for level in PilotLevel]
        doc.table(
            ("Mức đánh giá", "Số học sinh", "Tỷ lệ"),
            [
                (str(level.label), count, f"{round(100 * count / assessed)}%")
                for level, count in zip(PilotLevel, counts, strict=True)
            ],
            widths=(7.0, 4.0, 4.0),
            align=(None, "center", "center"),
        )


def _total(pilot: SchoolPilot | WardPilot, attr: str) -> int:
    return pilot.total(attr) if isinstance(pilot, WardPilot) else getattr(pilot, attr)


def _level(pilot: SchoolPilot | WardPilot, level: PilotLevel) -> int:
    return pilot.level_total(level) if isinstance(pilot, WardPilot) else pilot.levels.get(level, 0)
