"""Carrying the plan into the next school year: copy it with every status reset, apply the
roadmap, let the ward widen the pilot, then open the year (the previous one becomes read-only)."""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..aitools.services import carry_over as carry_tools
from ..checklists.services import sync_checklists
from ..extensions import db
from ..models import (
    ContentArea,
    Deadline,
    DeliveryForm,
    EvaluationCriterion,
    EvidenceRequirement,
    Milestone,
    Plan,
    RoadmapStep,
    School,
    SchoolYear,
    Target,
    carry_roster,
    utcnow,
)
from ..partners.services import carry_over as carry_partners
from ..schoolyear import current_plan_or_none, forget_current_plans, ward_plans

CALENDAR_FIELDS = (
    "hk1_start",
    "hk1_end",
    "hk2_start",
    "hk2_end",
    "midterm_start",
    "midterm_end",
    "ends_on",
    "closes_on",
)
YEAR_NAME = re.compile(r"^(\d{4})-(\d{4})$")


class YearError(Exception):
    """A year that cannot be started, changed or opened; `problems` are Vietnamese sentences."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def next_year_name(name: str) -> str:
    match = YEAR_NAME.match(name)
    assert match is not None  # a school year's name is always "YYYY-YYYY"
    start = int(match.group(1)) + 1
    return f"{start}-{start + 1}"


def a_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29/02
        return day.replace(year=day.year + 1, day=28)


def proposed_calendar(year: SchoolYear) -> dict[str, date]:
    """The next year's calendar as a first proposal: every date a year later (editable before starting)."""
    return {name: a_year_later(getattr(year, name)) for name in CALENDAR_FIELDS}


def year_in_preparation(ward_id: int) -> Plan | None:
    return next((plan for plan in ward_plans(ward_id) if plan.school_year.opened_at is None), None)


def calendar_problems(calendar: dict[str, date]) -> list[str]:
    """The order a school year's dates must keep, in the words of the form."""
    c = calendar
    checks = [
        (c["hk1_start"] < c["hk1_end"], "Ngày kết thúc HK I phải sau ngày bắt đầu HK I."),
        (c["hk1_end"] < c["hk2_start"], "HK II phải bắt đầu sau khi HK I kết thúc."),
        (c["hk2_start"] < c["hk2_end"], "Ngày kết thúc HK II phải sau ngày bắt đầu HK II."),
        (
            c["hk2_start"] <= c["midterm_start"] <= c["midterm_end"] <= c["hk2_end"],
            "Đợt kiểm tra giữa HK II phải nằm trong HK II (từ ngày bắt đầu đến ngày kết thúc).",
        ),
        (c["hk2_end"] <= c["ends_on"], "Ngày kết thúc năm học không được trước ngày kết thúc HK II."),
        (c["ends_on"] <= c["closes_on"], "Hạn sơ kết, tổng kết không được trước ngày kết thúc năm học."),
    ]
    return [message for ok, message in checks if not ok]


@dataclass
class Rollover:
    plan: Plan
    deadline_changes: list[str] = field(default_factory=list)
    items_added: int = 0


def start_next_year(current: Plan, calendar: dict[str, date], actor=None) -> Rollover:
    """Create the next school year, in preparation, with a copy of `current` and fresh checklists.

    Every status starts empty; dated deadlines move a year on, yearly ones (Phụ lục I.3, "trước
    ngày 09/6" every year) take their date in the new year, and a milestone whose school report
    was a one-off deadline of the pilot year is moved onto the yearly one. Commits, or raises
    YearError and changes nothing.
    """
    name = next_year_name(current.school_year.name)
    problems = calendar_problems(calendar)
    if current_plan_or_none(current.ward_id) is not current:
        problems.append("Chỉ bắt đầu được năm học mới từ năm học hiện tại.")
    if year_in_preparation(current.ward_id):
        problems.append("Đã có một năm học đang chuẩn bị; hãy mở hoặc hoàn thành năm đó trước.")
    if db.session.scalar(select(SchoolYear.id).filter_by(ward_id=current.ward_id, name=name)):
        problems.append(f"Năm học {name} đã có.")
    if calendar["hk1_start"] <= current.school_year.ends_on:
        problems.append(
            f"Năm học {name} phải bắt đầu sau khi năm học {current.school_year.name} kết thúc "
            f"({current.school_year.ends_on:%d/%m/%Y})."
        )
    if problems:
        raise YearError(problems)
    try:
        year = SchoolYear(ward_id=current.ward_id, name=name, opened_at=None, **calendar)
        plan, changes = _copy_plan(current, year)
        db.session.add(plan)
        db.session.flush()
        audit.record(
            "year.start",
            plan,
            ward_id=current.ward_id,
            actor=actor,
            after={
                "school_year": name,
                "from": current.school_year.name,
                "deadlines": changes,
                "pilots": sorted(s.slug for s in plan.pilot_schools),
            },
        )
        added = sync_checklists(plan)
        # Partners and the AI tools register carry on into the new year (issue 17); consents stay with theirs.
        carry_partners(current, plan, actor)
        carry_tools(current, plan, actor)
        db.session.commit()
    except IntegrityError:  # another admin started the same year a moment earlier
        db.session.rollback()
        raise YearError([f"Năm học {name} vừa được tạo."]) from None
    except Exception:
        db.session.rollback()
        raise
    return Rollover(plan=plan, deadline_changes=changes, items_added=added)


def _copy_plan(source: Plan, year: SchoolYear) -> tuple[Plan, list[str]]:
    old_name, new_name = source.school_year.name, year.name

    def text(value: str) -> str:
        return value.replace(old_name, new_name)

    deadlines, changes, renamed = _next_deadlines(source, year)
    plan = Plan(
        ward_id=source.ward_id,
        school_year=year,
        number="",
        title=text(source.title),
        signer=source.signer,
        signer_title=source.signer_title,
        targets_note=source.targets_note,
        schedule_note=source.schedule_note,
        source_name=f"{source.source_name} (năm học {old_name})",
        source_sha256=source.source_sha256,
        pilot_schools=[school for school in source.pilot_schools if school.is_active],
        content_areas=[
            ContentArea(code=a.code, position=a.position, title=a.title, framework_code=a.framework_code)
            for a in source.content_areas
        ],
        delivery_forms=[
            DeliveryForm(code=f.code, position=f.position, title=f.title, section=f.section, description=f.description)
            for f in source.delivery_forms
        ],
        criteria=[EvaluationCriterion(position=c.position, title=c.title) for c in source.criteria],
        roadmap=[RoadmapStep(position=r.position, text=r.text) for r in source.roadmap],
        deadlines=deadlines,
    )
    # A date printed in a milestone's title ("(trước ngày 15/6/2026)", the UBND phường's report to
    # the Sở) follows its link of the chain into the new year.
    moved = {
        _printed(old.before): _printed(new.before)
        for old in source.deadlines
        if old.before and (new := plan.deadline(old.key)) is not None and new.before
    }
    for m in source.milestones:
        title = text(m.title)
        for old_day, new_day in moved.items():
            title = re.sub(rf"(?<![\d/]){re.escape(old_day)}(?!\d)", new_day, title)
        school_key = m.school_deadline_key
        if school_key in renamed:
            school_key = renamed[school_key]
        plan.milestones.append(
            Milestone(
                number=m.number,
                title=title,
                timing=m.timing,
                timing_text=text(m.timing_text),
                owners_code=m.owners_code,
                owner_text=m.owner_text,
                required_of=m.required_of,
                school_deadline_key=school_key,
                ward_deadline_key=m.ward_deadline_key,
                tracks=m.tracks,
                pilot_rule=m.pilot_rule,
                others_rule=m.others_rule,
            )
        )
    for t in source.targets:
        plan.targets.append(
            Target(
                stt=t.stt,
                category=t.category,
                managing_body=t.managing_body,
                minimum=t.minimum,
                forms_text=t.forms_text,
                evidence_text=t.evidence_text,
                levels_code=t.levels_code,
                pilot=t.pilot,
                measure=t.measure,
                measure_min=t.measure_min,
                timing=t.timing,
                evidence=[
                    EvidenceRequirement(key=e.key, position=e.position, title=e.title, timing=e.timing)
                    for e in t.evidence
                ],
            )
        )
    return plan, changes


def _next_deadlines(source: Plan, year: SchoolYear) -> tuple[list[Deadline], list[str], dict[str, str]]:
    """The new year's deadlines, what changed (in words), and which one-off deadlines the yearly one replaces."""
    yearly = next((d for d in source.deadlines if d.yearly_before), None)
    school_keys = {m.school_deadline_key for m in source.milestones if m.school_deadline_key}
    replaced = {
        d.key: yearly.key
        for d in source.deadlines
        if yearly and d.key in school_keys and d.before and not d.yearly_before
    }
    deadlines: list[Deadline] = []
    changes: list[str] = []
    # The yearly rule takes the replaced link's place in the chain (what it feeds into).
    replaced_feeds = next((d.feeds for d in source.deadlines if d.key in replaced), None)
    feeds = {yearly.key: replaced_feeds} if yearly and replaced else {}
    for d in source.deadlines:
        before: date | None
        if d.key in replaced:
            changes.append(f"{d.title}: thay bằng hạn báo cáo hằng năm")
            continue
        if d.yearly_before:
            day, month = (int(part) for part in d.yearly_before.split("/"))
            before = date(year.ends_on.year, month, day)
        else:
            before = a_year_later(d.before) if d.before else None
        if before:
            changes.append(f"{d.title}: trước ngày {before:%d/%m/%Y}")
        deadlines.append(
            Deadline(
                key=d.key,
                position=len(deadlines) + 1,
                title=d.title,
                owner_text=d.owner_text,
                before=before,
                yearly_before=d.yearly_before,
                sender_code=d.sender_code,
                receiver=d.receiver,
                document=d.document,
                basis=d.basis,
                ward_sets=d.ward_sets,
                feeds=feeds.get(d.key, d.feeds),
            )
        )
    return deadlines, changes, replaced


def _printed(day: date | None) -> str:
    """A date as the plan prints it in titles: 15/6/2026."""
    return f"{day.day}/{day.month}/{day.year}" if day else "\0"


def set_pilots(plan: Plan, school_ids: set[int], actor=None) -> int:
    """Choose the pilot schools of a year in preparation (widening the pilot); checklists follow."""
    # Lock the year (as plan edits lock the plan) so it cannot be opened half-way through.
    db.session.refresh(plan.school_year, with_for_update=True)
    if plan.school_year.opened_at is not None:
        raise YearError(
            [
                "Chỉ chọn lại trường thí điểm khi năm học đang chuẩn bị; trong năm học hiện tại, "
                "hãy sửa từng trường ở trang Trường học."
            ]
        )
    schools = db.session.scalars(select(School).filter_by(ward_id=plan.ward_id, is_active=True)).all()
    unknown = school_ids - {school.id for school in schools}
    if unknown:
        raise YearError(["Có trường không thuộc phường hoặc đã ngừng hoạt động."])
    try:
        before = sorted(school.slug for school in plan.pilot_schools)
        for school in schools:
            plan.set_pilot(school, school.id in school_ids)
        after = sorted(school.slug for school in plan.pilot_schools)
        added = 0
        if before != after:
            audit.record(
                "year.pilots",
                plan,
                ward_id=plan.ward_id,
                actor=actor,
                before={"pilots": before},
                after={"pilots": after},
            )
            added = sync_checklists(plan)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return added


def open_year(plan: Plan, actor=None) -> None:
    """Open a year in preparation: it becomes the current year, schools work on its checklists
    and the previous year becomes read-only. The schools' pilot flags follow the new year."""
    db.session.refresh(plan.school_year, with_for_update=True)
    if plan.school_year.opened_at is not None:
        raise YearError([f"Năm học {plan.school_year.name} đã được mở."])
    current = current_plan_or_none(plan.ward_id)
    if current is not None and plan.school_year.name < current.school_year.name:
        db.session.rollback()
        raise YearError(
            [f"Năm học {plan.school_year.name} cũ hơn năm học hiện tại ({current.school_year.name}); không mở được."]
        )
    try:
        plan.school_year.opened_at = utcnow()
        for school in db.session.scalars(select(School).filter_by(ward_id=plan.ward_id)):
            school.is_pilot = plan.is_pilot(school)
        audit.record("year.open", plan, ward_id=plan.ward_id, actor=actor, after={"school_year": plan.school_year.name})
        if current is not None and current.id != plan.id:
            # Each school's staff roster goes on into the new year (its training sessions start afresh).
            carried = carry_roster(current, plan)
            if carried:
                audit.record(
                    "training.roster_carried",
                    plan,
                    ward_id=plan.ward_id,
                    actor=actor,
                    after={"teachers": carried, "from": current.school_year.name},
                )
        db.session.commit()
        forget_current_plans()
    except Exception:
        db.session.rollback()
        raise


def previous_plan(plan: Plan) -> Plan | None:
    """The year before `plan` in the ward, if any."""
    older = [p for p in ward_plans(plan.ward_id) if p.school_year.name < plan.school_year.name]
    return older[0] if older else None
