"""The words of the school matrix, translated once per page rather than once per cell (at 500
schools the matrix has thousands of cells, and a translation lookup per cell shows in the timing)."""

from dataclasses import dataclass

from flask_babel import gettext as _

STATUS_ICONS = {"chua_thuc_hien": "○", "dang_thuc_hien": "◐", "da_hoan_thanh": "●"}
VERDICT_ICONS = {"chua_kiem_tra": "–", "dat": "✓", "can_bo_sung": "!", "resubmitted": "↻"}


@dataclass(frozen=True)
class MatrixLabels:
    status: dict[str, str]  # full words, by ItemStatus value
    status_icon: dict[str, str]
    status_short: dict[str, str]  # icon and a short word, as the cells show them
    verdict: dict[str, str]  # by Verdict value, and "resubmitted"
    verdict_short: dict[str, str]
    cell: dict[tuple[str, str], str]  # (status, verdict) -> what a screen reader hears
    late: str
    late_short: str
    optional: str
    not_applicable: str


def matrix_labels() -> MatrixLabels:
    status = {
        "chua_thuc_hien": _("Chưa thực hiện"),
        "dang_thuc_hien": _("Đang thực hiện"),
        "da_hoan_thanh": _("Đã hoàn thành"),
    }
    short = {"chua_thuc_hien": _("Chưa làm"), "dang_thuc_hien": _("Đang làm"), "da_hoan_thanh": _("Xong")}
    verdict = {
        "chua_kiem_tra": _("Chưa kiểm tra"),
        "dat": _("Đạt"),
        "can_bo_sung": _("Cần bổ sung"),
        "resubmitted": _("Trường đã sửa, chờ kiểm tra lại"),
    }
    verdict_short = {
        "chua_kiem_tra": _("Chưa KT"),
        "dat": _("Đạt"),
        "can_bo_sung": _("Cần BS"),
        "resubmitted": _("Chờ KT lại"),
    }
    return MatrixLabels(
        status=status,
        status_icon=STATUS_ICONS,
        status_short={code: f"{STATUS_ICONS[code]} {word}" for code, word in short.items()},
        verdict=verdict,
        verdict_short={code: f"{VERDICT_ICONS[code]} {word}" for code, word in verdict_short.items()},
        cell={
            (s, v): _("%(status)s; kiểm tra: %(verdict)s", status=status[s], verdict=verdict[v])
            for s in status
            for v in verdict
        },
        late=_("quá hạn"),
        late_short=_("Quá hạn"),
        optional=_("khuyến khích"),
        not_applicable=_("Không áp dụng"),
    )
