"""Teacher training (issue 17, part 1): each school's staff roster, the training plans of the
schools and the ward, and the training sessions with the teachers who attended them.

A roster row is a person the school employs, not an account: teachers never sign in. Rows are kept
per school year (`plan_id`), so a past year's share of trained teachers stays as it was; opening
the next year copies each school's roster into it (`carry_roster`), and `carried_from_id` links a
teacher to the same person's row of the year before."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .plan import ContentArea, Plan, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .ward import School


class Organiser(Vocabulary):
    """Who organised a training session."""

    SCHOOL = "truong", _l("Nhà trường")
    WARD = "phuong", _l("UBND phường (Phòng VHXH)")
    OUTSIDE = "ngoai", _l("Đơn vị khác (Sở GD&ĐT, trường đại học, doanh nghiệp…)")


training_attendance = Table(
    "training_attendance",
    db.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("teacher_id", ForeignKey("teacher.id"), primary_key=True, index=True),
)


class Teacher(Model):
    """A teacher on a school's roster in one school year."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # The same person's row in the year before, when the rollover carried the roster.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("teacher.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    school: Mapped["School"] = relationship()

    __mapper_args__ = {"version_id_col": version}


class TrainingPlan(Model):
    """The training plan of a school, or of the ward (no school) for one school year."""

    __table_args__ = (UniqueConstraint("plan_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TrainingSession(Model):
    """A training session (lớp tập huấn, buổi bồi dưỡng, sinh hoạt chuyên môn) some of a school's
    teachers attended, on one of the plan's four content areas."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    content_area_id: Mapped[int] = mapped_column(ForeignKey("content_area.id"), index=True)
    organiser: Mapped[Organiser] = mapped_column(str_enum(Organiser))
    organiser_name: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    content_area: Mapped[ContentArea] = relationship()
    teachers: Mapped[list[Teacher]] = relationship(secondary=training_attendance, order_by=Teacher.name)

    __mapper_args__ = {"version_id_col": version}


def carry_roster(source: Plan, target: Plan) -> int:
    """Copy every school's live roster of `source` into `target` (schools that have none there yet),
    in one INSERT … SELECT; returns how many teachers were carried. Does not commit.

    Here, in the kernel, because the year rollover (aiplan/years) carries it and a feature may not
    import another feature's services."""
    already = select(Teacher.school_id).where(Teacher.plan_id == target.id).distinct()
    rows = (
        select(
            Teacher.school_id,
            Teacher.name,
            Teacher.subject,
            Teacher.email,
            Teacher.id,
        )
        .where(Teacher.plan_id == source.id, Teacher.deleted_at.is_(None), Teacher.school_id.not_in(already))
        .order_by(Teacher.id)
    )
    now = utcnow()
    copied = [
        {
            "plan_id": target.id,
            "school_id": school_id,
            "name": name,
            "subject": subject,
            "email": email,
            "carried_from_id": old_id,
            "created_at": now,
            "version": 1,
        }
        for school_id, name, subject, email, old_id in db.session.execute(rows)
    ]
    if copied:
        db.session.execute(insert(Teacher), copied)
    return len(copied)
