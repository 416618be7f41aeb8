"""The reports' word on teacher training (issue 17, part 1): the plan asks for "các lớp tập huấn,
bồi dưỡng thường xuyên" and "bồi dưỡng, sinh hoạt chuyên môn cho giáo viên về giáo dục AI"; the
figures are the rosters' distinct teachers trained, by content area, beside the older count of
attendances of "bồi dưỡng" activities."""

from ..documents.admin_doc import AdminDocument
from ..figures.training import SchoolTraining, WardTraining


def training_paragraphs(doc: AdminDocument, training: SchoolTraining | WardTraining, whose: str) -> None:
    """A paragraph, and a table by content area when anyone was trained: `whose` is "Nhà trường" or
    "Các trường"."""
    if isinstance(training, WardTraining):
        teachers, trained = training.total("teachers"), training.total("trained")
        sessions = training.total("sessions")
    else:
        teachers, trained, sessions = training.teachers, training.trained, training.sessions
    if not teachers:
        doc.paragraph(f"{whose} chưa nhập danh sách giáo viên để theo dõi việc tập huấn, bồi dưỡng.")
        return
    share = f" ({training.percent}%)" if training.percent is not None else ""
    doc.paragraph(
        f"{whose} có {teachers} giáo viên trong danh sách; {trained} giáo viên{share} đã tham gia ít nhất một "
        f"buổi tập huấn, bồi dưỡng về giáo dục AI ({sessions} buổi)."
    )
    if isinstance(training, WardTraining) and trained:
        doc.table(
            ("Nội dung", "Số giáo viên đã bồi dưỡng"),
            [(f"{area.code}. {area.title}", training.area_total(area.id)) for area in training.areas],
            widths=(11.0, 4.0),
            align=(None, "center"),
        )
