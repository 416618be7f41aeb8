"""Where the plan's own dates contradict each other or the school year's calendar: shown to the ward, never
hidden."""

from ..models import (
    Plan,
)


def plan_warnings(plan: Plan) -> list[str]:
    """Where the plan's own dates contradict each other or the calendar; shown, never hidden."""
    warnings = []
    year = plan.school_year
    deadlines = {d.key: d for d in plan.deadlines}
    for milestone in plan.milestones:
        school = deadlines.get(milestone.school_deadline_key or "")
        ward = deadlines.get(milestone.ward_deadline_key or "")
        if school and ward and school.before and ward.before and ward.before < school.before:
            warnings.append(
                f"Mốc {milestone.number}: hạn tổng hợp của {ward.owner_text} (trước {ward.before:%d/%m/%Y}) "
                f"sớm hơn hạn báo cáo của {school.owner_text} (trước {school.before:%d/%m/%Y}); "
                "phường phải tổng hợp trước khi các trường nộp báo cáo."
            )
    for deadline in plan.deadlines:
        if deadline.before and not (year.hk1_start <= deadline.before <= year.closes_on):
            warnings.append(
                f"Thời hạn “{deadline.title}” (trước {deadline.before:%d/%m/%Y}) nằm ngoài năm học {year.name}."
            )
    return warnings
