"""Pilot-class results as the pages, the self-evaluation, the reports and the rollup read them:
each pilot class (an activity of form 2.2) with its result, and per school the classes, the pupils
assessed at each level and the lessons by content area, in a fixed number of grouped queries."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..database import among
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
    areas: list[ContentArea]
    schools: list[tuple[School, SchoolPilot]]

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
    """Each school's pilot-class figures in four grouped queries, whatever the number of schools."""
    ids = [school.id for school in schools]
    figures = {school_id: SchoolPilot() for school_id in ids}
    if ids:
        classes = (
            select(Activity.id, Activity.school_id)
            .join(DeliveryForm, DeliveryForm.id == Activity.form_id)
            .where(
                Activity.plan_id == plan.id,
                among(Activity.school_id, ids),
                Activity.deleted_at.is_(None),
                DeliveryForm.code == ELECTIVE,
            )
            .subquery()
        )
        for school_id, count, results in db.session.execute(
            select(classes.c.school_id, func.count(classes.c.id), func.count(PilotResult.id))
            .outerjoin(PilotResult, PilotResult.activity_id == classes.c.id)
            .group_by(classes.c.school_id)
        ):
            figures[school_id].classes, figures[school_id].with_result = int(count), int(results)
        for school_id, level, pupils in db.session.execute(
            select(classes.c.school_id, PilotLevelCount.level, func.sum(PilotLevelCount.pupils))
            .join(PilotResult, PilotResult.activity_id == classes.c.id)
            .join(PilotLevelCount, PilotLevelCount.result_id == PilotResult.id)
            .group_by(classes.c.school_id, PilotLevelCount.level)
        ):
            figures[school_id].levels[PilotLevel(level)] = int(pupils or 0)
        for school_id, area_id, lessons in db.session.execute(
            select(classes.c.school_id, PilotLessons.content_area_id, func.sum(PilotLessons.lessons))
            .join(PilotResult, PilotResult.activity_id == classes.c.id)
            .join(PilotLessons, PilotLessons.result_id == PilotResult.id)
            .group_by(classes.c.school_id, PilotLessons.content_area_id)
        ):
            figures[school_id].lessons[area_id] = int(lessons or 0)
        for school_id, count in db.session.execute(
            select(classes.c.school_id, func.count(EvidenceFile.id))
            .join(EvidenceFile, EvidenceFile.activity_id == classes.c.id)
            .where(EvidenceFile.deleted_at.is_(None))
            .group_by(classes.c.school_id)
        ):
            figures[school_id].products = int(count)
    return WardPilot(list(plan.content_areas), [(school, figures[school.id]) for school in schools])


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
