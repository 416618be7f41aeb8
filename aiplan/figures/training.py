"""Teacher training as the pages, the rollup and its exports read it: each school's roster and
sessions, a teacher's history, and per school the distinct teachers trained, their share of the
roster and the teachers trained in each content area. Every figure over many schools is a fixed
number of grouped queries, whatever the number of schools."""

from dataclasses import dataclass, field

from sqlalchemy import ColumnClause, func, literal_column, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from ..database import among
from ..extensions import db
from ..models import (
    Activity,
    ContentArea,
    DeliveryForm,
    Plan,
    School,
    Teacher,
    TrainingPlan,
    TrainingSession,
    training_attendance,
)
from .readmodel import TRAINING


def roster(plan: Plan, school: School) -> list[Teacher]:
    """The school's live roster of the plan's year, by name (one query)."""
    return list(
        db.session.scalars(
            select(Teacher)
            .where(Teacher.plan_id == plan.id, Teacher.school_id == school.id, Teacher.deleted_at.is_(None))
            .order_by(Teacher.name, Teacher.id)
        )
    )


def sessions(plan: Plan, school: School) -> list[TrainingSession]:
    """The school's live sessions of the year, newest first, with content area and attendees (two queries)."""
    return list(
        db.session.scalars(
            select(TrainingSession)
            .where(
                TrainingSession.plan_id == plan.id,
                TrainingSession.school_id == school.id,
                TrainingSession.deleted_at.is_(None),
            )
            .options(joinedload(TrainingSession.content_area), selectinload(TrainingSession.teachers))
            .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
        )
    )


def teacher_history(teacher: Teacher) -> list[TrainingSession]:
    """The live sessions `teacher` attended, in this year and (through the rows the rollover
    carried) the years before, oldest first."""
    ids, earlier = [teacher.id], teacher.carried_from_id
    while earlier is not None and len(ids) < 50:
        row = db.session.get(Teacher, earlier)  # one row a year: a handful at most
        if row is None:
            break
        ids.append(row.id)
        earlier = row.carried_from_id
    return list(
        db.session.scalars(
            select(TrainingSession)
            .join(training_attendance, training_attendance.c.session_id == TrainingSession.id)
            .where(training_attendance.c.teacher_id.in_(ids), TrainingSession.deleted_at.is_(None))
            .options(joinedload(TrainingSession.content_area), joinedload(TrainingSession.plan))
            .order_by(TrainingSession.held_on, TrainingSession.id)
        ).unique()
    )


def training_plan(plan: Plan, school: School | None) -> TrainingPlan | None:
    """The training plan of the school (or with None, the ward's) for the plan's year, if written."""
    query = select(TrainingPlan).where(TrainingPlan.plan_id == plan.id)
    query = query.where(TrainingPlan.school_id.is_(None) if school is None else TrainingPlan.school_id == school.id)
    return db.session.scalars(query.order_by(TrainingPlan.id)).first()


@dataclass
class SchoolTraining:
    """One school's training figures in a year."""

    teachers: int = 0  # on the roster
    trained: int = 0  # distinct teachers who attended at least one session
    sessions: int = 0
    by_area: dict[int, int] = field(default_factory=dict)  # content area id -> distinct teachers trained
    attendances: int = 0  # participants of the school's "bồi dưỡng" activities (the older count)

    @property
    def percent(self) -> int | None:
        return round(100 * self.trained / self.teachers) if self.teachers else None


@dataclass
class WardTraining:
    """The training figures of the schools a reader may see, school by school and in total."""

    areas: list[ContentArea]
    schools: list[tuple[School, SchoolTraining]]

    def total(self, attr: str) -> int:
        return sum(getattr(figures, attr) for _school, figures in self.schools)

    @property
    def percent(self) -> int | None:
        teachers = self.total("teachers")
        return round(100 * self.total("trained") / teachers) if teachers else None

    def area_total(self, area_id: int) -> int:
        return sum(figures.by_area.get(area_id, 0) for _school, figures in self.schools)


def training_by_school(plan: Plan, schools: list[School]) -> WardTraining:
    """Each school's training figures in ONE query (five grouped counts joined by UNION ALL),
    whatever the number of schools: the rollup page and its exports read it on every request."""
    ids = [school.id for school in schools]
    figures = {school_id: SchoolTraining() for school_id in ids}
    if ids:
        live = (
            select(TrainingSession.school_id, TrainingSession.content_area_id, training_attendance.c.teacher_id)
            .join(training_attendance, training_attendance.c.session_id == TrainingSession.id)
            .join(Teacher, Teacher.id == training_attendance.c.teacher_id)
            .where(
                TrainingSession.plan_id == plan.id,
                among(TrainingSession.school_id, ids),
                TrainingSession.deleted_at.is_(None),
                Teacher.deleted_at.is_(None),
            )
            .subquery()
        )
        teachers = func.count(func.distinct(live.c.teacher_id))
        parts = [
            select(_kind("teachers"), Teacher.school_id, _NO_AREA, func.count(Teacher.id))
            .where(Teacher.plan_id == plan.id, among(Teacher.school_id, ids), Teacher.deleted_at.is_(None))
            .group_by(Teacher.school_id),
            select(_kind("trained"), live.c.school_id, _NO_AREA, teachers).group_by(live.c.school_id),
            select(_kind("area"), live.c.school_id, live.c.content_area_id, teachers).group_by(
                live.c.school_id, live.c.content_area_id
            ),
            select(_kind("sessions"), TrainingSession.school_id, _NO_AREA, func.count(TrainingSession.id))
            .where(
                TrainingSession.plan_id == plan.id,
                among(TrainingSession.school_id, ids),
                TrainingSession.deleted_at.is_(None),
            )
            .group_by(TrainingSession.school_id),
            select(
                _kind("attendances"), Activity.school_id, _NO_AREA, func.coalesce(func.sum(Activity.participants), 0)
            )
            .join(DeliveryForm, DeliveryForm.id == Activity.form_id)
            .where(
                Activity.plan_id == plan.id,
                among(Activity.school_id, ids),
                Activity.deleted_at.is_(None),
                DeliveryForm.code == TRAINING,
            )
            .group_by(Activity.school_id),
        ]
        for kind, school_id, area_id, count in db.session.execute(union_all(*parts)):
            if school_id not in figures:
                continue
            if kind == "area":
                figures[school_id].by_area[area_id] = int(count)
            else:
                setattr(figures[school_id], kind, int(count))
    return WardTraining(list(plan.content_areas), [(school, figures[school.id]) for school in schools])


_NO_AREA: ColumnClause = literal_column("0")


def _kind(name: str):
    """A constant naming which count a row of the UNION is (inlined: the names are the code's own)."""
    return literal_column(f"'{name}'")


def training_json(ward: WardTraining) -> dict:
    """The export's "teacher_training" key: totals, then each school."""
    areas = ward.areas
    return {
        "teachers": ward.total("teachers"),
        "trained": ward.total("trained"),
        "percent": ward.percent,
        "sessions": ward.total("sessions"),
        "by_content_area": {area.code: ward.area_total(area.id) for area in areas},
        "activity_attendances": ward.total("attendances"),
        "schools": [
            {
                "slug": school.slug,
                "teachers": figures.teachers,
                "trained": figures.trained,
                "percent": figures.percent,
                "sessions": figures.sessions,
                "by_content_area": {area.code: figures.by_area.get(area.id, 0) for area in areas},
                "activity_attendances": figures.attendances,
            }
            for school, figures in ward.schools
        ],
    }


def training_table(ward: WardTraining) -> tuple[list[str], list[list]]:
    """The XLSX sheet's headers and one row per school (the words are the sheet's, in Vietnamese)."""
    headers = [
        "Trường",
        "Số giáo viên",
        "Giáo viên đã được bồi dưỡng",
        "Tỷ lệ (%)",
        "Số buổi tập huấn",
        *[f"Nội dung {area.code}: {area.title}" for area in ward.areas],
        "Lượt GV (hoạt động bồi dưỡng)",
    ]
    rows = [
        [
            school.name,
            figures.teachers,
            figures.trained,
            figures.percent if figures.percent is not None else "",
            figures.sessions,
            *[figures.by_area.get(area.id, 0) for area in ward.areas],
            figures.attendances,
        ]
        for school, figures in ward.schools
    ]
    return headers, rows
