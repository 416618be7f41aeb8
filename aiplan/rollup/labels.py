"""The vocabulary of the school matrix (aiplan/models/vocabulary.py) read once per page rather than
once per cell: at 500 schools the matrix has thousands of cells, and a translation lookup per cell
shows in the timing. The words themselves are the enums'; only their combinations are made here."""

from dataclasses import dataclass

from flask_babel import gettext as _

from ..models import RESUBMITTED, ItemStatus, TargetOutcome, Verdict


@dataclass(frozen=True)
class MatrixLabels:
    status: dict[str, str]  # full words, by ItemStatus value, in the enum's order
    status_icon: dict[str, str]
    status_short: dict[str, str]  # icon and short words, as the cells show them
    verdict: dict[str, str]  # by Verdict value, and RESUBMITTED's
    verdict_icon: dict[str, str]
    verdict_short: dict[str, str]
    cell: dict[tuple[str, str], str]  # (status, verdict) -> what a screen reader hears
    target: dict[bool, str]  # met or not, inside a sentence ("đạt chỉ tiêu")
    target_icon: dict[bool, str]
    late: str
    late_short: str
    optional: str
    not_applicable: str


def matrix_labels() -> MatrixLabels:
    statuses, verdicts = list(ItemStatus), [*Verdict, RESUBMITTED]
    status = {s.value: str(s.label) for s in statuses}
    verdict = {v.value: str(v.label) for v in verdicts}
    results = {met: TargetOutcome.of(met) for met in (True, False)}
    return MatrixLabels(
        status=status,
        status_icon={s.value: s.icon for s in statuses},
        status_short={s.value: f"{s.icon} {s.short}" for s in statuses},
        verdict=verdict,
        verdict_icon={v.value: v.icon for v in verdicts},
        verdict_short={v.value: f"{v.icon} {v.short}" for v in verdicts},
        cell={
            (s, v): _("%(status)s; kiểm tra: %(verdict)s", status=status[s], verdict=verdict[v])
            for s in status
            for v in verdict
        },
        target={met: str(result.label).lower() for met, result in results.items()},
        target_icon={met: result.icon for met, result in results.items()},
        late=_("quá hạn"),
        late_short=_("Quá hạn"),
        optional=_("khuyến khích"),
        not_applicable=_("Không áp dụng"),
    )
