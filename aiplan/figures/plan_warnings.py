"""Where the plan's own dates contradict each other or the school year's calendar: shown to ward
admins on the plan pages, never hidden, and never printed in an official document.

Milestone 8's 15/6 beside the Phòng VHXH's 12/6 is no contradiction (the chain reads schools →
Phòng VHXH → UBND phường → Sở GD&ĐT, see figures/chain.py); a real one is a link of the chain due
after the link it feeds, whose sender would have to consolidate a report not yet sent.
"""

from ..models import Plan


def plan_warnings(plan: Plan) -> list[str]:
    """Where the plan's own dates contradict each other or the calendar; shown, never hidden."""
    warnings = []
    year = plan.school_year
    deadlines = {d.key: d for d in plan.deadlines}
    for link in plan.deadlines:
        receiver = deadlines.get(link.feeds or "")
        if receiver and link.before and receiver.before and link.before > receiver.before:
            warnings.append(
                f"Hạn “{link.title}” (trước {link.before:%d/%m/%Y}) muộn hơn hạn “{receiver.title}” "
                f"(trước {receiver.before:%d/%m/%Y}), là báo cáo tổng hợp từ báo cáo này; "
                "báo cáo phải đến trước khi được tổng hợp."
            )
    for deadline in plan.deadlines:
        if deadline.before and not (year.hk1_start <= deadline.before <= year.closes_on):
            warnings.append(
                f"Thời hạn “{deadline.title}” (trước {deadline.before:%d/%m/%Y}) nằm ngoài năm học {year.name}."
            )
    return warnings
