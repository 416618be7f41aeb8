"""Checklist items: what one school (or the ward itself) must do under a plan."""

import enum
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ColumnElement, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import local_date
from ..extensions import Model, db
from ..timeutil import local_day
from .plan import EvidenceRequirement, Milestone, Plan, Target, str_enum
from .types import UTCDateTime
from .vocabulary import Term, Vocabulary

if TYPE_CHECKING:
    from .user import User
    from .ward import School


DUE_SOON_DAYS = 14  # "sắp đến hạn": due within two weeks


class ItemKind(enum.StrEnum):
    MILESTONE = "milestone"
    TARGET = "target"
    EVIDENCE = "evidence"


class ItemStatus(Vocabulary):
    """The school's own account of an item (the order of its buttons)."""

    NOT_STARTED = "chua_thuc_hien", _l("Chưa thực hiện"), "○", _l("Chưa làm")
    IN_PROGRESS = "dang_thuc_hien", _l("Đang thực hiện"), "◐", _l("Đang làm")
    DONE = "da_hoan_thanh", _l("Đã hoàn thành"), "●", _l("Xong")


class Verdict(Vocabulary):
    """The supervisor's finding, kept apart from the school's own status."""

    UNCHECKED = "chua_kiem_tra", _l("Chưa kiểm tra"), "–", _l("Chưa KT")
    PASSED = "dat", _l("Đạt"), "✓"
    NEEDS_MORE = "can_bo_sung", _l("Cần bổ sung"), "!", _l("Cần BS")


# A verdict given, then the item changed by the school: it waits to be checked again.
RESUBMITTED = Term("resubmitted", _l("Đã bổ sung, chờ kiểm tra lại"), "↻", _l("Chờ KT lại"))


class ChecklistItem(Model):
    """One line of a checklist, generated from the plan by the school's category."""

    __table_args__ = (
        UniqueConstraint("plan_id", "school_id", "key"),
        # Ward items have no school; NULLs are distinct in a unique constraint, hence this index.
        Index(
            "uq_checklist_item_ward_key",
            "plan_id",
            "key",
            unique=True,
            sqlite_where=db.text("school_id IS NULL"),
            postgresql_where=db.text("school_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))  # "m3", "t1", "t1/ke-hoach-nha-truong"
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind))
    position: Mapped[int] = mapped_column(Integer)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("target.id"), index=True)
    evidence_requirement_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_requirement.id"), index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    due_on: Mapped[date] = mapped_column(Date)
    # The date the plan's timing gave when it fell on a day nobody works and due_on was moved
    # back to a working day; None when due_on is that date. Kept so the pages can say why.
    planned_due_on: Mapped[date | None] = mapped_column(Date)
    # Kept, not deleted, when the school's category changes after work was recorded.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[ItemStatus] = mapped_column(str_enum(ItemStatus), default=ItemStatus.NOT_STARTED)
    note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict), default=Verdict.UNCHECKED)
    verdict_reason: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Set when the school changes the item after a verdict: it waits in the supervisors'
    # queue, and a "đạt" given before no longer counts as verified until it is checked again.
    resubmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    school: Mapped["School | None"] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    target: Mapped[Target | None] = relationship()
    evidence_requirement: Mapped[EvidenceRequirement | None] = relationship()
    updated_by: Mapped["User | None"] = relationship(foreign_keys=[updated_by_id])
    verified_by: Mapped["User | None"] = relationship(foreign_keys=[verified_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def title(self) -> str:
        # The kind says which of the three is set (a check constraint holds it).
        if self.kind is ItemKind.MILESTONE:
            assert self.milestone is not None
            return self.milestone.title
        if self.kind is ItemKind.TARGET:
            assert self.target is not None
            return self.target.minimum
        assert self.evidence_requirement is not None
        return self.evidence_requirement.title

    @property
    def tracks_self_evaluation(self) -> bool:
        """A school's milestone that is its self-evaluation (mốc 7): submitting the evaluation
        completes it, as activities complete targets; nobody ticks it by hand."""
        return (
            self.kind is ItemKind.MILESTONE
            and self.school_id is not None
            and self.milestone is not None
            and self.milestone.tracks == "self_evaluation"
        )

    # -- the rules every figure about items follows, each written once ---------------------------
    # Each is a hybrid: the same rule read on a loaded item (`item.is_late(today)`) and as SQL for
    # counting over many schools (`ChecklistItem.is_late(today)`); the two spellings sit side by
    # side here, and tests/test_item_rules.py holds them against each other on real rows.

    @hybrid_property
    def is_done(self) -> bool:
        return self.status is ItemStatus.DONE

    @is_done.inplace.expression
    @classmethod
    def _is_done_sql(cls) -> ColumnElement[bool]:
        return cls.status == ItemStatus.DONE

    @property
    def due_note(self) -> str | None:
        """Why the due date is not the date the plan's timing gave; None when it is that date."""
        if self.planned_due_on is None:
            return None
        return self.plan.school_year.work_calendar().why(self.planned_due_on, self.due_on)

    @hybrid_method
    def is_late(self, today: date) -> bool:
        """Past due and not done; only what the school must do can be late (not what is encouraged)."""
        return self.required and not self.is_done and self.due_on < today

    @is_late.expression  # a hybrid_method changes in place already (mypy misreads its .inplace)
    @classmethod
    def _is_late_sql(cls, today: date) -> ColumnElement[bool]:
        return cls.required & ~cls.is_done & (cls.due_on < today)

    @hybrid_method
    def is_due_soon(self, today: date) -> bool:
        """Not done, and due today or within DUE_SOON_DAYS: what the school's page lists first."""
        return not self.is_done and 0 <= (self.due_on - today).days <= DUE_SOON_DAYS

    @is_due_soon.expression  # a hybrid_method changes in place already (mypy misreads its .inplace)
    @classmethod
    def _is_due_soon_sql(cls, today: date) -> ColumnElement[bool]:
        return ~cls.is_done & cls.due_on.between(today, today + timedelta(days=DUE_SOON_DAYS))

    @hybrid_property
    def is_on_time(self) -> bool:
        """Done by its due date, the day it was done counted in Hà Nội time."""
        return self.is_done and self.completed_at is not None and local_day(self.completed_at) <= self.due_on

    @is_on_time.inplace.expression
    @classmethod
    def _is_on_time_sql(cls) -> ColumnElement[bool]:
        return cls.is_done & cls.completed_at.is_not(None) & (local_date(cls.completed_at) <= cls.due_on)

    @hybrid_property
    def is_verified(self) -> bool:
        """Passed by a supervisor, and not changed by the school since."""
        return self.verdict is Verdict.PASSED and self.resubmitted_at is None

    @is_verified.inplace.expression
    @classmethod
    def _is_verified_sql(cls) -> ColumnElement[bool]:
        return (cls.verdict == Verdict.PASSED) & cls.resubmitted_at.is_(None)

    @hybrid_property
    def awaiting_check(self) -> bool:
        """Done, and either never checked or changed since the last verdict: the supervisors' queue."""
        return self.is_done and (self.verdict is Verdict.UNCHECKED or self.resubmitted_at is not None)

    @awaiting_check.inplace.expression
    @classmethod
    def _awaiting_check_sql(cls) -> ColumnElement[bool]:
        return cls.is_done & ((cls.verdict == Verdict.UNCHECKED) | cls.resubmitted_at.is_not(None))

    @hybrid_property
    def awaiting_school(self) -> bool:
        """Marked "Cần bổ sung" and not changed by the school since: what "Cần chú ý" names first
        (once the school changes it, it waits in the supervisors' queue instead)."""
        return self.verdict is Verdict.NEEDS_MORE and self.resubmitted_at is None

    @awaiting_school.inplace.expression
    @classmethod
    def _awaiting_school_sql(cls) -> ColumnElement[bool]:
        return (cls.verdict == Verdict.NEEDS_MORE) & cls.resubmitted_at.is_(None)

    def note_school_change(self, now: datetime) -> bool:
        """After a verdict, a change by the school sends the item back to the supervisors' queue.
        Returns whether it was newly resubmitted."""
        if self.verdict is Verdict.UNCHECKED or self.resubmitted_at is not None:
            return False
        self.resubmitted_at = now
        return True

    @property
    def has_progress(self) -> bool:
        """Whether anyone has recorded work on the item, which a plan reload must keep."""
        return self.status is not ItemStatus.NOT_STARTED or bool(self.note) or self.verdict is not Verdict.UNCHECKED
