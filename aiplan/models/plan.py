"""A school year's calendar and the plan the ward carries out in it (plan-as-data)."""

import enum
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, Enum, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from ..workdays import WorkCalendar
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary
from .ward import SchoolLevel

if TYPE_CHECKING:
    from .ward import School, Ward


def str_enum(enum_cls, length=20):
    """A portable enum column that stores the member's value (a short ASCII code)."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Timing(Vocabulary):
    """When in the school year a milestone falls, in the plan's own words."""

    DAU_HK1 = "dau_hk1", _l("Đầu HK I")
    TRONG_HK1 = "trong_hk1", _l("Trong HK I")
    GIUA_HK1 = "giua_hk1", _l("Giữa HK I")
    CUOI_HK1 = "cuoi_hk1", _l("Cuối HK I")
    DAU_HK2 = "dau_hk2", _l("Đầu HK II")
    TRONG_HK2 = "trong_hk2", _l("Trong HK II")
    GIUA_HK2 = "giua_hk2", _l("Giữa HK II")
    CUOI_HK2 = "cuoi_hk2", _l("Cuối HK II")
    CA_NAM = "ca_nam", _l("Cả năm học")
    CUOI_NAM = "cuoi_nam", _l("Cuối năm học")
    SAU_NAM = "sau_nam", _l("Sau khi kết thúc năm học")


class Owner(Vocabulary):
    """Who carries out a milestone."""

    UBND_PHUONG = "ubnd_phuong", _l("UBND phường")
    PHONG_VHXH = "phong_vhxh", _l("Phòng VHXH")
    CO_SO_GD = "co_so_gd", _l("Cơ sở giáo dục")


WARD_OWNERS = frozenset({Owner.UBND_PHUONG, Owner.PHONG_VHXH})


class RequiredOf(enum.StrEnum):
    """Which schools must do a school-owned milestone; the others are encouraged to."""

    ALL = "all"
    PILOT = "pilot"


class SchoolYear(Model):
    """A ward's school year and its calendar; every timing of the plan maps into it."""

    __table_args__ = (UniqueConstraint("ward_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))  # "2025-2026"
    hk1_start: Mapped[date] = mapped_column(Date)
    hk1_end: Mapped[date] = mapped_column(Date)
    hk2_start: Mapped[date] = mapped_column(Date)
    hk2_end: Mapped[date] = mapped_column(Date)
    # The mid-HK II window in which the ward inspects its schools (milestone 6).
    midterm_start: Mapped[date] = mapped_column(Date)
    midterm_end: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # last day of the school year
    closes_on: Mapped[date] = mapped_column(Date)  # end of the summing-up after the year
    # None while the ward prepares the year (copied plan, pilot being widened): only ward
    # admins see it then. The latest opened year is the current one; earlier ones are read-only.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ward: Mapped["Ward"] = relationship()
    plans: Mapped[list["Plan"]] = relationship(back_populates="school_year")
    days_off: Mapped[list["DayOff"]] = relationship(
        back_populates="school_year", order_by="DayOff.day", cascade="all, delete-orphan"
    )

    def work_calendar(self) -> WorkCalendar:
        """The year's working days: Vietnam's public holidays and the ward's own days off (one query)."""
        return WorkCalendar.for_years(
            range(self.hk1_start.year, self.closes_on.year + 1), {d.day: d.reason for d in self.days_off}
        )

    def window(self, timing: Timing) -> tuple[date, date]:
        """The concrete dates a timing stands for in this year's calendar."""
        weeks = timedelta(weeks=1)
        mid_hk1 = self.hk1_start + (self.hk1_end - self.hk1_start) / 2
        windows = {
            Timing.DAU_HK1: (self.hk1_start, self.hk1_start + 4 * weeks - timedelta(days=1)),
            Timing.TRONG_HK1: (self.hk1_start, self.hk1_end),
            Timing.GIUA_HK1: (mid_hk1 - 1 * weeks, mid_hk1 + 2 * weeks),
            Timing.CUOI_HK1: (self.hk1_end - 3 * weeks + timedelta(days=1), self.hk1_end),
            Timing.DAU_HK2: (self.hk2_start, self.hk2_start + 4 * weeks - timedelta(days=1)),
            Timing.TRONG_HK2: (self.hk2_start, self.hk2_end),
            Timing.GIUA_HK2: (self.midterm_start, self.midterm_end),
            Timing.CUOI_HK2: (self.hk2_end - 3 * weeks + timedelta(days=1), self.hk2_end),
            Timing.CA_NAM: (self.hk1_start, self.ends_on),
            Timing.CUOI_NAM: (self.hk2_end + timedelta(days=1), self.ends_on),
            Timing.SAU_NAM: (self.ends_on + timedelta(days=1), self.closes_on),
        }
        start, end = windows[timing]
        return start, max(start, end)

    def __repr__(self) -> str:
        return f"<SchoolYear {self.name}>"


class DayOff(Model):
    """A day the ward closes besides the public holidays (a local festival, a Tết extended by the
    city): no deadline falls on it. Added and removed in the calendar editor."""

    __table_args__ = (UniqueConstraint("school_year_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))

    school_year: Mapped[SchoolYear] = relationship(back_populates="days_off")


# The schools that pilot the plan in its year. Kept per plan, so that widening the pilot in a
# new year leaves the past year's rollup as it was.
plan_pilot_school = Table(
    "plan_pilot_school",
    db.metadata,
    Column("plan_id", ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id"), primary_key=True),
)


class Plan(Model):
    """One ward's plan for one school year, loaded from a plan file."""

    __table_args__ = (UniqueConstraint("ward_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    number: Mapped[str] = mapped_column(String(80))  # số/ký hiệu, e.g. "…/KH-UBND"
    # The date the plan was issued ("ngày … tháng … năm 2026"); None while it is still blank.
    issued_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    # The "Ghi chú" under Phụ lục II, one bullet per line.
    targets_note: Mapped[str] = mapped_column(Text, default="")
    # The "Ghi chú" at the end of Phụ lục I.
    schedule_note: Mapped[str] = mapped_column(Text, default="")
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ward: Mapped["Ward"] = relationship()
    school_year: Mapped[SchoolYear] = relationship(back_populates="plans")
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="plan", order_by="Milestone.number", cascade="all, delete-orphan"
    )
    targets: Mapped[list["Target"]] = relationship(
        back_populates="plan", order_by="Target.stt", cascade="all, delete-orphan"
    )
    deadlines: Mapped[list["Deadline"]] = relationship(
        back_populates="plan", order_by="Deadline.position", cascade="all, delete-orphan"
    )
    content_areas: Mapped[list["ContentArea"]] = relationship(
        order_by="ContentArea.position", cascade="all, delete-orphan"
    )
    delivery_forms: Mapped[list["DeliveryForm"]] = relationship(
        order_by="DeliveryForm.position", cascade="all, delete-orphan"
    )
    criteria: Mapped[list["EvaluationCriterion"]] = relationship(
        order_by="EvaluationCriterion.position", cascade="all, delete-orphan"
    )
    roadmap: Mapped[list["RoadmapStep"]] = relationship(order_by="RoadmapStep.position", cascade="all, delete-orphan")
    pilot_schools: Mapped[list["School"]] = relationship(secondary=plan_pilot_school)

    @cached_property
    def pilot_ids(self) -> frozenset[int]:
        return frozenset(school.id for school in self.pilot_schools)

    def is_pilot(self, school) -> bool:
        """Whether `school` pilots the plan in this plan's year."""
        return school.id in self.pilot_ids

    def set_pilot(self, school, is_pilot: bool) -> None:
        if is_pilot and school not in self.pilot_schools:
            self.pilot_schools.append(school)
        elif not is_pilot and school in self.pilot_schools:
            self.pilot_schools.remove(school)
        self.__dict__.pop("pilot_ids", None)

    @property
    def is_open(self) -> bool:
        return self.school_year.opened_at is not None

    def deadline(self, key: str) -> "Deadline | None":
        return next((d for d in self.deadlines if d.key == key), None)

    @property
    def targets_notes(self) -> list[str]:
        """The bullets of Phụ lục II's "Ghi chú", one per line of `targets_note`."""
        return [line.strip() for line in self.targets_note.splitlines() if line.strip()]


class Milestone(Model):
    """A row of Phụ lục I.1: what is done, when, and by whom."""

    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    timing: Mapped[Timing] = mapped_column(str_enum(Timing))
    timing_text: Mapped[str] = mapped_column(String(200))  # as printed
    owners_code: Mapped[str] = mapped_column(String(100))  # "ubnd_phuong,co_so_gd"
    owner_text: Mapped[str] = mapped_column(String(200))  # as printed
    required_of: Mapped[RequiredOf] = mapped_column(str_enum(RequiredOf), default=RequiredOf.ALL)
    # What the plan asks of each school category for this milestone, with the line it rests on
    # (milestone 5: clubs and experiential activities of every school, section V.2; the elective
    # class of the pilots alone, section 2.2). Shown beside the milestone; "" when the plan says nothing.
    pilot_rule: Mapped[str] = mapped_column(Text, default="")
    others_rule: Mapped[str] = mapped_column(Text, default="")
    school_deadline_key: Mapped[str | None] = mapped_column(String(50))
    ward_deadline_key: Mapped[str | None] = mapped_column(String(50))
    # What the app records for this milestone besides its tick: "inspections" (the visits of
    # milestone 6) or "self_evaluation" (milestone 7); shown beside the item.
    tracks: Mapped[str | None] = mapped_column(String(40))
    # The city plan's indicator this milestone reports on ("HN-M03"); None when the ward has no city plan.
    city_indicator: Mapped[str | None] = mapped_column(String(20))

    plan: Mapped[Plan] = relationship(back_populates="milestones")

    @property
    def owners(self) -> list[Owner]:
        return [Owner(code) for code in self.owners_code.split(",") if code]

    @property
    def for_schools(self) -> bool:
        return Owner.CO_SO_GD in self.owners

    @property
    def for_ward(self) -> bool:
        return any(owner in WARD_OWNERS for owner in self.owners)


class Deadline(Model):
    """A link of the plan's reporting chain (Phụ lục I.1 mốc 8, I.2, I.3, section V): who reports to
    whom, by when, in which document, and the plan line that says so.

    Where the plan leaves a date open (the schools' own report in 2025-2026), `ward_sets` says the
    date is the ward's to choose; `feeds` names the link whose sender consolidates this report, so
    this link's date may not be after that one's.
    """

    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    owner_text: Mapped[str] = mapped_column(String(200))  # the sender as printed; "" if the plan names none
    # Who sends the report (an Owner code); None where the plan names no subject (Phụ lục I.3).
    sender_code: Mapped[str | None] = mapped_column(String(20))
    receiver: Mapped[str] = mapped_column(String(200), default="")
    document: Mapped[str] = mapped_column(Text, default="")
    basis: Mapped[str] = mapped_column(Text, default="")  # the plan line the link and its date rest on
    ward_sets: Mapped[bool] = mapped_column(Boolean, default=False)
    feeds: Mapped[str | None] = mapped_column(String(50))  # key of the link this report feeds into
    # The plan says "trước ngày 15/6/2026": that date itself is already too late.
    before: Mapped[date | None] = mapped_column(Date)
    # From the following years on: "trước ngày 09/6" every year, as day and month.
    yearly_before: Mapped[str | None] = mapped_column(String(5))  # "09/06"

    plan: Mapped[Plan] = relationship(back_populates="deadlines")

    @property
    def last_day(self) -> date | None:
        return self.before - timedelta(days=1) if self.before else None

    @property
    def sender(self) -> Owner | None:
        return Owner(self.sender_code) if self.sender_code else None


class TargetOutcome(Vocabulary):
    """Whether a school's activities meet a target of Phụ lục II (computed, not stored): `short`
    is the word of the reports' "Đánh giá" column."""

    MET = "met", _l("Đạt chỉ tiêu"), "✓", _l("Đạt")
    UNMET = "unmet", _l("Chưa đạt chỉ tiêu"), "○", _l("Chưa đạt")

    @classmethod
    def of(cls, met: bool) -> "TargetOutcome":
        return cls.MET if met else cls.UNMET


class Target(Model):
    """A row of Phụ lục II, keeping the plan's own row number (STT 1, 4, 5)."""

    __table_args__ = (UniqueConstraint("plan_id", "stt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    stt: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(Text)  # Cấp học / Đối tượng triển khai
    managing_body: Mapped[str] = mapped_column(String(200))  # Đơn vị quản lý, chỉ đạo
    minimum: Mapped[str] = mapped_column(Text)  # Chỉ tiêu triển khai tối thiểu
    forms_text: Mapped[str] = mapped_column(Text)  # Hình thức tổ chức thực hiện
    evidence_text: Mapped[str] = mapped_column(Text)  # Minh chứng thực hiện, as printed
    levels_code: Mapped[str] = mapped_column(String(100))  # "tieu_hoc,thcs"
    pilot: Mapped[bool | None] = mapped_column()  # None: pilot or not
    measure: Mapped[str] = mapped_column(String(40))  # how the actual value is computed
    measure_min: Mapped[int] = mapped_column(Integer)
    timing: Mapped[Timing] = mapped_column(str_enum(Timing))
    # The city plan's indicator this target reports on ("HN-T05"); None when the ward has no city plan.
    city_indicator: Mapped[str | None] = mapped_column(String(20))

    plan: Mapped[Plan] = relationship(back_populates="targets")
    evidence: Mapped[list["EvidenceRequirement"]] = relationship(
        back_populates="target", order_by="EvidenceRequirement.position", cascade="all, delete-orphan"
    )

    @property
    def levels(self) -> list[SchoolLevel]:
        return [SchoolLevel(code) for code in self.levels_code.split(",") if code]

    @property
    def applies_to_text(self) -> str:
        levels = ", ".join(str(level.label) for level in self.levels)
        if self.pilot is None:
            return levels
        return f"{levels} — {'thí điểm' if self.pilot else 'không thí điểm'}"

    def applies_to(self, school) -> bool:
        return self.applies(school.level, self.plan.is_pilot(school))

    def applies(self, level: SchoolLevel, pilot: bool) -> bool:
        """Whether the row asks it of a school of `level` that pilots the plan this year or not."""
        return level.value in self.levels_code.split(",") and (self.pilot is None or self.pilot == pilot)


class EvidenceRequirement(Model):
    """One kind of minh chứng a target row asks for."""

    __table_args__ = (UniqueConstraint("target_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("target.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))  # as printed
    timing: Mapped[Timing] = mapped_column(str_enum(Timing))

    target: Mapped[Target] = relationship(back_populates="evidence")


class ContentArea(Model):
    """A core content of section II.1 (the framework's NLa–NLd)."""

    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    framework_code: Mapped[str] = mapped_column(String(20), default="")


class DeliveryForm(Model):
    """A way AI education is delivered (II.2) or supported (training, outreach…)."""

    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(String(20), default="")  # "2.1" as numbered in the plan
    description: Mapped[str] = mapped_column(Text, default="")

    @property
    def teaches_pupils(self) -> bool:
        """Forms of section II.2 (2.1–2.3) reach pupils; the others teachers, parents, the community."""
        return bool(self.section)


class EvaluationCriterion(Model):
    """One of the yearly evaluation criteria of Phụ lục I.2."""

    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)


class RoadmapStep(Model):
    """A line of Phụ lục I.3, the roadmap for the following years."""

    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
