"""AI activities a school runs, and its yearly self-evaluation."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .checklist import ItemStatus
from .plan import ContentArea, DeliveryForm, EvaluationCriterion, Plan, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .checklist import ChecklistItem
    from .ward import School

activity_content_area = Table(
    "activity_content_area",
    db.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("content_area_id", ForeignKey("content_area.id"), primary_key=True),
)


class WardActivityKind(Vocabulary):
    """What the ward itself organises (its activities have no delivery form: they are not teaching)."""

    CONFERENCE = "hoi_nghi", _l("Hội nghị, hội thảo")
    OUTREACH = "tuyen_truyen", _l("Tuyên truyền")
    TRAINING = "boi_duong", _l("Bồi dưỡng, tập huấn")
    OTHER = "khac", _l("Khác")


class Attendee(Vocabulary):
    """Who took part in a ward activity (a conference's attendance), stored as comma-separated codes."""

    MANAGERS = "cbql", _l("Cán bộ quản lý")
    TEACHERS = "gv", _l("Giáo viên")
    PARENTS = "cmhs", _l("Cha mẹ học sinh")
    PUPILS = "hs", _l("Học sinh")
    RESIDENTS = "nguoi_dan", _l("Người dân")
    OFFICIALS = "can_bo", _l("Cán bộ phường, đoàn thể")


class Activity(Model):
    """An AI activity: a lesson series integrated into a subject (2.1), a pilot class of the
    elective module (2.2), a club (2.3), teacher training, outreach… The targets of Phụ lục II
    are computed from these records.

    The ward's own activities (its conference, outreach, the training it organises) are rows of the
    same table with no school: they have a `ward_kind` instead of a delivery form, and may name
    the ward checklist item they prove (`item`). Every count over schools' activities filters on
    school ids, so they never enter a school's targets."""

    __table_args__ = (
        CheckConstraint(
            "(school_id IS NOT NULL AND form_id IS NOT NULL) OR (school_id IS NULL AND ward_kind IS NOT NULL)",
            name="owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_form.id"), index=True)
    ward_kind: Mapped[WardActivityKind | None] = mapped_column(str_enum(WardActivityKind))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_item.id"), index=True)
    place: Mapped[str] = mapped_column(String(300), default="")  # địa điểm
    attendees: Mapped[str] = mapped_column(String(200), default="")  # Attendee codes, "cbql,gv,cmhs"
    title: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(120), default="")  # môn học, for integration (2.1)
    grade: Mapped[str] = mapped_column(String(40), default="")  # khối lớp, e.g. "4" or "6, 7"
    class_name: Mapped[str] = mapped_column(String(80), default="")  # lớp, e.g. "4A1"
    participants: Mapped[int] = mapped_column(Integer, default=0)  # pupils, or teachers/parents
    lessons: Mapped[int] = mapped_column(Integer, default=0)  # số tiết
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    products: Mapped[str] = mapped_column(Text, default="")  # sản phẩm
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    school: Mapped["School | None"] = relationship()
    plan: Mapped[Plan] = relationship()
    form: Mapped[DeliveryForm | None] = relationship()
    item: Mapped["ChecklistItem | None"] = relationship()
    content_areas: Mapped[list[ContentArea]] = relationship(
        secondary=activity_content_area, order_by=ContentArea.position
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def attendee_groups(self) -> list[Attendee]:
        """The groups that took part, in the vocabulary's order (unknown codes are skipped)."""
        codes = set(filter(None, self.attendees.split(",")))
        return [member for member in Attendee if member.value in codes]


class Rating(Vocabulary):
    """The usual four-step scale of Vietnamese school evaluation."""

    TOT = "tot", _l("Tốt")
    KHA = "kha", _l("Khá")
    DAT = "dat", _l("Đạt")
    CHUA_DAT = "chua_dat", _l("Chưa đạt")


class EvaluationState(Vocabulary):
    """Where a school's self-evaluation stands; not stored, read from the evaluation (`of`)."""

    NOT_STARTED = "not_started", _l("Chưa bắt đầu"), "○"
    DRAFT = "draft", _l("Bản nháp"), "◐"
    SUBMITTED = "submitted", _l("Đã nộp"), "●"

    @classmethod
    def of(cls, evaluation: "SelfEvaluation | None") -> "EvaluationState":
        if evaluation is None:
            return cls.NOT_STARTED
        return cls.DRAFT if evaluation.submitted_at is None else cls.SUBMITTED

    @property
    def like(self) -> ItemStatus:
        """The item status whose colours its badge takes."""
        return {"not_started": ItemStatus.NOT_STARTED, "draft": ItemStatus.IN_PROGRESS}.get(self.value, ItemStatus.DONE)


class SelfEvaluation(Model):
    """A school's evaluation of its year on the plan's criteria (milestone 7), editable until submitted."""

    __table_args__ = (UniqueConstraint("school_id", "plan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    school: Mapped["School"] = relationship()
    plan: Mapped[Plan] = relationship()
    ratings: Mapped[list["CriterionRating"]] = relationship(back_populates="evaluation", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class CriterionRating(Model):
    __table_args__ = (UniqueConstraint("evaluation_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("self_evaluation.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("evaluation_criterion.id"), index=True)
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating))
    text: Mapped[str] = mapped_column(Text, default="")

    evaluation: Mapped[SelfEvaluation] = relationship(back_populates="ratings")
    criterion: Mapped[EvaluationCriterion] = relationship()
