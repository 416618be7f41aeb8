"""Writing a validated plan into the database, and the checks a plan's own dates call for."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from .. import audit
from ..checklists.services import items_with_files, sync_checklists
from ..extensions import db
from ..figures.plan_warnings import plan_warnings
from ..inputs import slugify
from ..models import (
    Activity,
    ChecklistItem,
    City,
    ContentArea,
    CriterionRating,
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
    Ward,
    activity_content_area,
    utcnow,
)
from ..schoolyear import current_plan_or_none, is_closed
from .city_plan import city_plan_of, mapping_problems
from .spec import PlanFileError, PlanSpec

BUNDLED_PLAN = Path(__file__).with_name("long-bien-2025-2026.toml")
BUNDLED_SCHOOLS = Path(__file__).with_name("long-bien-schools.csv")


@dataclass
class LoadReport:
    plan: Plan
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    items_added: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.created or self.changed or self.removed or self.items_added)


def load_plan(spec: PlanSpec, *, replace_calendar: bool = False, actor=None, open_new_year: bool = True) -> LoadReport:
    """Create or update the plan a file describes, then bring every checklist up to date.

    Loading the same file twice changes nothing; an entry removed from the file is dropped
    only if no school has recorded work against it. A year new to the ward opens at once
    (with `open_new_year=False` it is created in preparation, unless the ward has no open
    year yet); a past year's plan is read-only (reloading it unchanged is fine). Commits, or raises and
    changes nothing.
    """
    try:
        report = _apply(spec, replace_calendar, open_new_year)
        if is_closed(report.plan):
            if not report.unchanged:
                raise PlanFileError(
                    spec.source_name,
                    [
                        f"Năm học {spec.school_year} đã kết thúc; kế hoạch của năm này chỉ còn để xem, "
                        "không nạp lại được với nội dung khác."
                    ],
                )
            return report
        report.items_added = sync_checklists(report.plan)
        report.warnings = plan_warnings(report.plan)
        if not report.unchanged:
            audit.record(
                "plan.load",
                report.plan,
                ward_id=report.plan.ward_id,
                actor=actor,
                after={
                    "source": spec.source_name,
                    "sha256": spec.sha256,
                    "created": report.created,
                    "changed": report.changed,
                    "removed": report.removed,
                    "items_added": report.items_added,
                },
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def city_named(name: str) -> City:
    """The city a ward's plan names (`[ward] city`, "Thành phố Hà Nội"), made on first use, with
    the Sở GD&ĐT as the authority the city's reports are sent from."""
    short = re.sub(r"^(thành phố|tỉnh)\s+", "", name.strip(), flags=re.IGNORECASE)
    slug = slugify(short) or "city"
    city = db.session.scalar(select(City).filter_by(slug=slug))
    if city is None:
        city = City(slug=slug, name=name.strip(), authority=f"Sở Giáo dục và Đào tạo {short}")
        db.session.add(city)
    return city


def _apply(spec: PlanSpec, replace_calendar: bool, open_new_year: bool = True) -> LoadReport:
    ward = db.session.scalar(select(Ward).filter_by(slug=spec.ward["slug"]))
    created, changed = [], []
    if ward is None:
        ward = Ward(**spec.ward)
        db.session.add(ward)
        created.append(spec.ward["name"])
    if ward.city_id is None:
        ward.city_unit = city_named(ward.city)
    elif _assign(ward, spec.ward):
        changed.append(ward.name)
    db.session.flush()
    city_plan = city_plan_of(ward.city_unit)
    if city_plan is not None and city_plan.school_year == spec.school_year:  # the city's indicators, all mapped
        problems = mapping_problems(spec, city_plan)
        if problems:
            raise PlanFileError(spec.source_name, problems)

    year = db.session.scalar(select(SchoolYear).filter_by(ward_id=ward.id, name=spec.school_year))
    current = current_plan_or_none(ward.id) if ward.id is not None else None
    if year is None and current is not None and spec.school_year < current.school_year.name:
        raise PlanFileError(
            spec.source_name,
            [
                f"[plan] school_year: năm học {spec.school_year} đã qua (năm học hiện tại là "
                f"{current.school_year.name}); không tạo lại được một năm học cũ"
            ],
        )
    if year is None:
        opens = open_new_year or ward.id is None or current_plan_or_none(ward.id) is None
        year = SchoolYear(ward=ward, name=spec.school_year, opened_at=utcnow() if opens else None, **spec.calendar)
        db.session.add(year)
        created.append(f"năm học {spec.school_year}")
    elif replace_calendar and _assign(year, spec.calendar):
        changed.append(f"lịch năm học {year.name}")
    db.session.flush()

    plan = db.session.scalar(select(Plan).filter_by(ward_id=ward.id, school_year_id=year.id))
    head = {
        "number": spec.number,
        "issued_on": spec.issued_on,
        "title": spec.title,
        "signer": spec.signer,
        "signer_title": spec.signer_title,
        "targets_note": spec.targets_note,
        "schedule_note": spec.schedule_note,
    }
    if plan is None:
        pilots = list(db.session.scalars(select(School).filter_by(ward_id=ward.id, is_pilot=True, is_active=True)))
        plan = Plan(
            ward=ward,
            school_year=year,
            source_name=spec.source_name,
            source_sha256=spec.sha256,
            pilot_schools=pilots,
            **head,
        )
        db.session.add(plan)
        created.append(f"kế hoạch năm học {spec.school_year}")
    else:
        if _assign(plan, head):
            changed.append("thông tin kế hoạch")
        plan.source_name, plan.source_sha256 = spec.source_name, spec.sha256
    db.session.flush()
    report = LoadReport(plan=plan, created=created, changed=changed)

    _sync_children(
        report,
        plan.content_areas,
        "code",
        [
            ContentArea(code=a["code"], position=i, title=a["title"], framework_code=a["framework_code"])
            for i, a in enumerate(spec.content_areas, start=1)
        ],
        "nội dung",
        used_by=lambda a: _count(activity_content_area.c.content_area_id == a.id, "hoạt động dùng nội dung này"),
    )
    _sync_children(
        report,
        plan.delivery_forms,
        "code",
        [
            DeliveryForm(
                code=f["code"], position=i, title=f["title"], section=f["section"], description=f["description"]
            )
            for i, f in enumerate(spec.delivery_forms, start=1)
        ],
        "hình thức",
        used_by=lambda f: _count(Activity.form_id == f.id, "hoạt động theo hình thức này"),
    )
    _sync_children(
        report,
        plan.criteria,
        "position",
        [EvaluationCriterion(position=i, title=title) for i, title in enumerate(spec.criteria, start=1)],
        "tiêu chí đánh giá",
        used_by=lambda c: _count(CriterionRating.criterion_id == c.id, "bản tự đánh giá"),
    )
    _sync_children(
        report,
        plan.roadmap,
        "position",
        [RoadmapStep(position=i, text=text) for i, text in enumerate(spec.roadmap, start=1)],
        "lộ trình",
    )
    _sync_children(
        report,
        plan.deadlines,
        "key",
        [
            Deadline(
                key=d.key,
                position=i,
                title=d.title,
                owner_text=d.owner_text,
                before=d.before,
                yearly_before=d.yearly_before,
                sender_code=d.sender.value if d.sender else None,
                receiver=d.receiver,
                document=d.document,
                basis=d.basis,
                ward_sets=d.ward_sets,
                feeds=d.feeds,
            )
            for i, d in enumerate(spec.deadlines, start=1)
        ],
        "thời hạn",
    )
    _sync_children(
        report,
        plan.milestones,
        "number",
        [
            Milestone(
                number=m.number,
                title=m.title,
                timing=m.timing,
                timing_text=m.timing_text,
                owners_code=",".join(o.value for o in m.owners),
                owner_text=m.owner_text,
                required_of=m.required_of,
                school_deadline_key=m.school_deadline,
                ward_deadline_key=m.ward_deadline,
                tracks=m.tracks,
                pilot_rule=m.pilot_rule,
                others_rule=m.others_rule,
                city_indicator=m.city_indicator,
            )
            for m in spec.milestones
        ],
        "mốc",
        guard=lambda m: ChecklistItem.milestone_id == m.id,
    )
    _sync_children(
        report,
        plan.targets,
        "stt",
        [
            Target(
                stt=t.stt,
                category=t.category,
                managing_body=t.managing_body,
                minimum=t.minimum,
                forms_text=t.forms_text,
                evidence_text=t.evidence_text,
                levels_code=",".join(level.value for level in t.levels),
                pilot=t.pilot,
                measure=t.measure,
                measure_min=t.measure_min,
                timing=t.timing,
                city_indicator=t.city_indicator,
            )
            for t in spec.targets
        ],
        "chỉ tiêu STT",
        guard=lambda t: ChecklistItem.target_id == t.id,
    )
    by_stt = {t.stt: t for t in plan.targets}
    for target_spec in spec.targets:
        target = by_stt[target_spec.stt]
        _sync_children(
            report,
            target.evidence,
            "key",
            [
                EvidenceRequirement(key=e.key, position=i, title=e.title, timing=e.timing)
                for i, e in enumerate(target_spec.evidence, start=1)
            ],
            f"minh chứng của STT {target.stt}:",
            guard=lambda e: ChecklistItem.evidence_requirement_id == e.id,
        )
    db.session.flush()
    return report


def _sync_children(
    report: LoadReport, current: list, key: str, wanted: list, label: str, guard=None, used_by=None
) -> None:
    """Make the collection `current` match `wanted`, matching rows on `key` and keeping ids.

    A row dropped from the file goes only if nothing recorded depends on it: `guard` selects its
    checklist items (refused when one has progress, otherwise deleted with it); `used_by` says
    what else refers to it (refused when anything does).
    """
    existing = {getattr(row, key): row for row in current}
    wanted_keys = {getattr(row, key) for row in wanted}
    for row in list(current):
        name = getattr(row, key)
        if name in wanted_keys:
            continue
        db.session.flush()
        items = db.session.scalars(select(ChecklistItem).where(guard(row))).all() if guard else []
        worked_on = any(item.has_progress for item in items) or items_with_files([item.id for item in items])
        blocker = "trường ghi nhận tiến độ" if worked_on else (used_by(row) if used_by else None)
        if blocker:
            raise PlanFileError(
                report.plan.source_name,
                [f"{label} {name} không còn trong tệp nhưng đã có {blocker}; giữ lại mục này trong tệp kế hoạch"],
            )
        for item in items:
            db.session.delete(item)
        current.remove(row)
        report.removed.append(f"{label} {name}")
    for row in wanted:
        name = getattr(row, key)
        if name not in existing:
            current.append(row)
            report.created.append(f"{label} {name}")
            continue
        values = {
            column.key: getattr(row, column.key)
            for column in row.__table__.columns
            if not column.primary_key and not column.foreign_keys
        }
        if _assign(existing[name], values):
            report.changed.append(f"{label} {name}")


def _count(condition, what: str) -> str | None:
    """'3 hoạt động' when rows match `condition`, None when none do."""
    table = condition.left.table
    count = db.session.scalar(select(func.count()).select_from(table).where(condition))
    return f"{count} {what}" if count else None


def _assign(obj, values: dict) -> bool:
    """Set attributes that differ; return whether anything changed."""
    changed = False
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            changed = True
    return changed
