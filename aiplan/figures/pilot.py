"""Pilot-class results as the pages, the self-evaluation, the reports and the rollup read them:
each pilot class (an activity of form 2.2) with its result, and per school the classes, the pupils
assessed at each level and the lessons by content area, in a fixed number of grouped queries."""

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import bindparam, func, literal_column, select, union_all
from sqlalchemy.orm import selectinload

from ..database import SHORT_LIST, among
from ..extensions import db
from ..models import (
    Activity,
    ContentArea,
    DeliveryForm,
    EvidenceFile,
    PilotLessons,
    PilotLevel,
    PilotLevelCount,
    PilotResult,
    Plan,
    School,
)
from .activities import ELECTIVE


def pilot_classes(plan: Plan, school: School) -> list[tuple[Activity, PilotResult | None]]:
    """The school's pilot classes of the year with their result, if recorded (three queries)."""
    activities = list(
        db.session.scalars(
            select(Activity)
            .join(DeliveryForm, DeliveryForm.id == Activity.form_id)
            .where(
                Activity.plan_id == plan.id,
                Activity.school_id == school.id,
                Activity.deleted_at.is_(None),
                DeliveryForm.code == ELECTIVE,
            )
            .order_by(Activity.class_name, Activity.id)
        )
    )
    results = (
        {
            result.activity_id: result
            for result in db.session.scalars(
                select(PilotResult)
                .where(PilotResult.activity_id.in_([a.id for a in activities]))
                .options(selectinload(PilotResult.lessons), selectinload(PilotResult.levels))
            )
        }
        if activities
        else {}
    )
    return [(activity, results.get(activity.id)) for activity in activities]


def result_of(activity: Activity) -> PilotResult | None:
    return db.session.scalar(
        select(PilotResult)
        .where(PilotResult.activity_id == activity.id)
        .options(selectinload(PilotResult.lessons), selectinload(PilotResult.levels))
    )


@dataclass
class SchoolPilot:
    """One school's pilot-class figures in a year."""

    classes: int = 0
    with_result: int = 0
    products: int = 0  # live files on its pilot classes (the pupils' products and other evidence)
    levels: dict[PilotLevel, int] = field(default_factory=dict)
    lessons: dict[int, int] = field(default_factory=dict)  # content area id -> lessons

    @property
    def assessed(self) -> int:
        return sum(self.levels.values())

    def percent(self, level: PilotLevel) -> int | None:
        return round(100 * self.levels.get(level, 0) / self.assessed) if self.assessed else None


@dataclass
class WardPilot:
    plan: Plan
    schools: list[tuple[School, SchoolPilot]]

    @property
    def areas(self) -> list[ContentArea]:
        """The plan's content areas, read only by the pages that list lessons by area."""
        return list(self.plan.content_areas)

    def total(self, attr: str) -> int:
        return sum(getattr(figures, attr) for _school, figures in self.schools)

    def level_total(self, level: PilotLevel) -> int:
        return sum(figures.levels.get(level, 0) for _school, figures in self.schools)

    def level_percent(self, level: PilotLevel) -> int | None:
        assessed = self.total("assessed")
        return round(100 * self.level_total(level) / assessed) if assessed else None

    def lessons_total(self, area_id: int) -> int:
        return sum(figures.lessons.get(area_id, 0) for _school, figures in self.schools)

    @property
    def levels(self) -> list[PilotLevel]:
        return list(PilotLevel)


def pilot_by_school(plan: Plan, schools: list[School]) -> WardPilot:
    """Each school's pilot-class figures in ONE query (grouped counts joined by UNION ALL),
    whatever the number of schools."""
    ids = [school.id for school in schools]
    figures = {school_id: SchoolPilot() for school_id in ids}
    if ids:
        if len(ids) <= SHORT_LIST:
            # The same statement every time, its values bound: building this UNION costs about a
            # millisecond, ten times what running it costs for one school.
            rows = db.session.execute(_short_union(), {"plan_id": plan.id, "school_ids": ids})
        else:
            rows = db.session.execute(_union(plan.id, among(Activity.school_id, ids)))
        for kind, school_id, level, area_id, count in rows:
            numbers = figures.get(school_id)
            if numbers is None:
                continue
            if kind == "level":
                numbers.levels[PilotLevel(level)] = int(count or 0)
            elif kind == "lessons":
                numbers.lessons[area_id] = int(count or 0)
            else:
                setattr(numbers, kind, int(count or 0))
    return WardPilot(plan, [(school, figures[school.id]) for school in schools])


@cache
def _short_union():
    """pilot_by_school's UNION for up to SHORT_LIST schools, with the plan and the schools' ids
    as bound parameters; built once."""
    return _union(bindparam("plan_id"), Activity.school_id.in_(bindparam("school_ids", expanding=True)))


def _union(plan_id, of_schools):
    """The grouped counts of pilot_by_school: the pilot classes of the plan (`plan_id`) at the
    schools `of_schools` picks, those with a result, pupils by level, lessons by content area and
    product files."""
    classes = (
        select(Activity.id, Activity.school_id)
        .join(DeliveryForm, DeliveryForm.id == Activity.form_id)
        .where(
            Activity.plan_id == plan_id,
            of_schools,
            Activity.deleted_at.is_(None),
            DeliveryForm.code == ELECTIVE,
        )
        .subquery()
    )
    with_result = select(classes.c.school_id, PilotResult.id.label("result_id")).join(
        PilotResult, PilotResult.activity_id == classes.c.id
    )
    results = with_result.subquery()
    parts = [
        select(_const("'classes'"), classes.c.school_id, _const("''"), _const("0"), func.count(classes.c.id)).group_by(
            classes.c.school_id
        ),
        select(_const("'with_result'"), results.c.school_id, _const("''"), _const("0"), func.count()).group_by(
            results.c.school_id
        ),
        select(
            _const("'level'"),
            results.c.school_id,
            PilotLevelCount.level,
            _const("0"),
            func.sum(PilotLevelCount.pupils),
        )
        .join(PilotLevelCount, PilotLevelCount.result_id == results.c.result_id)
        .group_by(results.c.school_id, PilotLevelCount.level),
        select(
            _const("'lessons'"),
            results.c.school_id,
            _const("''"),
            PilotLessons.content_area_id,
            func.sum(PilotLessons.lessons),
        )
        .join(PilotLessons, PilotLessons.result_id == results.c.result_id)
        .group_by(results.c.school_id, PilotLessons.content_area_id),
        select(_const("'products'"), classes.c.school_id, _const("''"), _const("0"), func.count(EvidenceFile.id))
        .join(EvidenceFile, EvidenceFile.activity_id == classes.c.id)
        .where(EvidenceFile.deleted_at.is_(None))
        .group_by(classes.c.school_id),
    ]
    return union_all(*parts)


def _const(sql: str):
    """A constant column of the UNION (inlined: only the code's own literals)."""
    return literal_column(sql)


def pilot_json(ward: WardPilot) -> dict:
    """The export's "pilot_classes" key: totals, then each school (counts only, never a pupil)."""

    def levels(get) -> dict:
        return {level.value: get(level) for level in PilotLevel}

    return {
        "classes": ward.total("classes"),
        "with_result": ward.total("with_result"),
        "pupils_assessed": ward.total("assessed"),
        "levels": levels(ward.level_total),
        "lessons_by_content_area": {area.code: ward.lessons_total(area.id) for area in ward.areas},
        "product_files": ward.total("products"),
        "schools": [
            {
                "slug": school.slug,
                "classes": figures.classes,
                "with_result": figures.with_result,
                "pupils_assessed": figures.assessed,
                "levels": levels(lambda level, f=figures: f.levels.get(level, 0)),
                "lessons_by_content_area": {area.code: figures.lessons.get(area.id, 0) for area in ward.areas},
                "product_files": figures.products,
            }
            for school, figures in ward.schools
        ],
    }


def pilot_table(ward: WardPilot) -> tuple[list[str], list[list]]:
    """The XLSX sheet's headers and one row per school that has pilot classes."""
    headers = [
        "Trường",
        "Số lớp thí điểm",
        "Lớp đã có kết quả",
        "Học sinh được đánh giá",
        *[str(level.label) for level in PilotLevel],
        *[f"Số tiết nội dung {area.code}" for area in ward.areas],
        "Tệp sản phẩm, minh chứng",
    ]
    rows = [
        [
            school.name,
            figures.classes,
            figures.with_result,
            figures.assessed,
            *[figures.levels.get(level, 0) for level in PilotLevel],
            *[figures.lessons.get(area.id, 0) for area in ward.areas],
            figures.products,
        ]
        for school, figures in ward.schools
        if figures.classes
    ]
    return headers, rows
