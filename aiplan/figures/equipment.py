"""The equipment survey across the ward: each school's answers for a year beside the year before,
the gaps they show against named thresholds, and the ward's totals (the rollup section, the
export sheet and key, the ward's summary page). Read in a fixed number of queries."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..database import among
from ..extensions import db
from ..models import EquipmentGap, EquipmentSurvey, Plan, School, SchoolYear

# The thresholds the gaps are read against, named on the pages that show them.
MAX_PUPILS_PER_MACHINE = 20  # a class of 40 at two pupils per machine
MIN_BANDWIDTH_MBPS = 50
THRESHOLDS_TEXT = _l(
    "Ngưỡng: thiếu nếu không có phòng máy hoặc máy dùng được; nếu phòng máy chưa có Internet ổn định; "
    "nếu trên %(pupils)d học sinh/máy; nếu băng thông dưới %(mbps)d Mbps."
)

# The figures of a survey, in the order the pages and the exports list them.
FIELDS = (
    ("computer_rooms", _l("Phòng máy tính")),
    ("rooms_online", _l("Phòng máy có Internet ổn định")),
    ("working_machines", _l("Máy tính dùng được")),
    ("pupils", _l("Số học sinh")),
    ("bandwidth_mbps", _l("Băng thông (Mbps)")),
    ("ai_devices", _l("Thiết bị cho bài học AI")),
)


def thresholds_text() -> str:
    return str(THRESHOLDS_TEXT) % {"pupils": MAX_PUPILS_PER_MACHINE, "mbps": MIN_BANDWIDTH_MBPS}


def gaps_of(survey: EquipmentSurvey | None) -> list[EquipmentGap]:
    """What the survey shows is missing (no survey at all is a gap of its own)."""
    if survey is None:
        return [EquipmentGap.NO_SURVEY]
    gaps = []
    if not survey.computer_rooms or not survey.working_machines:
        gaps.append(EquipmentGap.NO_ROOM)
    elif not survey.rooms_online:
        gaps.append(EquipmentGap.NO_INTERNET)
    ratio = survey.pupils_per_machine
    if ratio is not None and ratio > MAX_PUPILS_PER_MACHINE:
        gaps.append(EquipmentGap.CROWDED)
    if survey.bandwidth_mbps < MIN_BANDWIDTH_MBPS:
        gaps.append(EquipmentGap.SLOW)
    return gaps


def ratio_text(ratio: float | None) -> str:
    """ "12,5" as a Vietnamese reader writes it; "—" when there is no machine to divide by."""
    if ratio is None:
        return "—"
    return f"{ratio:.1f}".rstrip("0").rstrip(".").replace(".", ",")


@dataclass
class EquipmentRow:
    school: School
    survey: EquipmentSurvey | None
    previous: EquipmentSurvey | None  # the same school's survey of the year before

    @property
    def gaps(self) -> list[EquipmentGap]:
        return gaps_of(self.survey)

    def change(self, name: str) -> int | None:
        """This year's figure minus last year's, when both years were surveyed."""
        if self.survey is None or self.previous is None:
            return None
        return getattr(self.survey, name) - getattr(self.previous, name)


@dataclass
class EquipmentSummary:
    """The section of the rollup (key "equipment", sheet "Thiết bị") and the ward's summary page."""

    plan: Plan
    previous_plan: Plan | None
    rows: list[EquipmentRow]
    key: str = "equipment"
    sheet_name: str = "Thiết bị"
    template: str = "equipment/_rollup.html"
    gap_order: list[EquipmentGap] = field(default_factory=lambda: list(EquipmentGap))

    @property
    def surveyed(self) -> list[EquipmentRow]:
        return [row for row in self.rows if row.survey is not None]

    def total(self, name: str, previous: bool = False) -> int:
        surveys = [row.previous if previous else row.survey for row in self.rows]
        return sum(getattr(s, name) for s in surveys if s is not None)

    def ratio(self, previous: bool = False) -> float | None:
        """Pupils per working machine over the surveyed schools (of the year before with `previous`)."""
        surveys = [s for s in (row.previous if previous else row.survey for row in self.rows) if s is not None]
        machines = sum(s.working_machines for s in surveys)
        return sum(s.pupils for s in surveys) / machines if machines else None

    def gap_count(self, gap: EquipmentGap, previous: bool = False) -> int:
        if previous:
            return sum(gap in gaps_of(row.previous) for row in self.rows if row.previous is not None)
        return sum(gap in row.gaps for row in self.rows)

    @property
    def title(self) -> str:
        return f"Rà soát thiết bị, hạ tầng — năm học {self.plan.school_year.name}"

    def json(self) -> dict:
        return {
            "school_year": self.plan.school_year.name,
            "previous_school_year": self.previous_plan.school_year.name if self.previous_plan else None,
            "thresholds": {"max_pupils_per_machine": MAX_PUPILS_PER_MACHINE, "min_bandwidth_mbps": MIN_BANDWIDTH_MBPS},
            "surveyed": len(self.surveyed),
            "of": len(self.rows),
            "totals": {name: self.total(name) for name, _ in FIELDS},
            "previous_totals": {name: self.total(name, previous=True) for name, _ in FIELDS}
            if self.previous_plan
            else None,
            "gaps": {gap.value: self.gap_count(gap) for gap in EquipmentGap},
            "schools": [
                {
                    "slug": row.school.slug,
                    "name": row.school.name,
                    "surveyed": row.survey is not None,
                    **({name: getattr(row.survey, name) for name, _ in FIELDS} if row.survey else {}),
                    "pupils_per_machine": round(row.survey.pupils_per_machine, 1)
                    if row.survey and row.survey.pupils_per_machine is not None
                    else None,
                    "gaps": [gap.value for gap in row.gaps],
                    "previous": {name: getattr(row.previous, name) for name, _ in FIELDS} if row.previous else None,
                }
                for row in self.rows
            ],
        }

    def table(self) -> tuple[list[str], list[list]]:
        """One row per school for the XLSX sheet: this year's figures, the ratio, the gaps, last year's machines."""
        headers = ["Trường", *(str(label) for _, label in FIELDS), "Học sinh/máy", "Còn thiếu", "Ghi chú"]
        if self.previous_plan:
            headers += [f"Máy dùng được {self.previous_plan.school_year.name}", "Tăng/giảm số máy"]
        rows = []
        for row in self.rows:
            s = row.survey
            line = [
                row.school.name,
                *((getattr(s, name) if s else None) for name, _ in FIELDS),
                round(s.pupils_per_machine, 1) if s and s.pupils_per_machine is not None else None,
                "; ".join(str(gap.label) for gap in row.gaps),
                s.notes if s else "",
            ]
            if self.previous_plan:
                line += [row.previous.working_machines if row.previous else None, row.change("working_machines")]
            rows.append(line)
        return headers, rows


def previous_plan_id(plan: Plan):
    """The id of the plan of the ward's school year before `plan`'s, as a scalar subquery."""
    return (
        select(Plan.id)
        .join(SchoolYear)
        .where(Plan.ward_id == plan.ward_id, SchoolYear.name < plan.school_year.name)
        .order_by(SchoolYear.name.desc())
        .limit(1)
        .scalar_subquery()
    )


def previous_plan(plan: Plan) -> Plan | None:
    """The plan of the ward's school year before `plan`'s."""
    return db.session.scalar(select(Plan).where(Plan.id == previous_plan_id(plan)))


def equipment_summary(plan: Plan, schools: list[School]) -> EquipmentSummary:
    """Each school's survey of the plan's year and of the year before: one query. The year before
    is shown when some school answered it."""
    found = {
        (s.school_id, s.plan_id): s
        for s in db.session.scalars(
            select(EquipmentSurvey)
            .where(
                or_(EquipmentSurvey.plan_id == plan.id, EquipmentSurvey.plan_id == previous_plan_id(plan)),
                among(EquipmentSurvey.school_id, [x.id for x in schools]),
            )
            .options(joinedload(EquipmentSurvey.plan).joinedload(Plan.school_year))
        )
    }
    before = next((s.plan for (_, plan_id), s in found.items() if plan_id != plan.id), None)
    rows = [
        EquipmentRow(school, found.get((school.id, plan.id)), found.get((school.id, before.id)) if before else None)
        for school in schools
    ]
    return EquipmentSummary(plan, before, rows)


def school_survey(plan: Plan, school: School) -> EquipmentSurvey | None:
    return db.session.scalar(select(EquipmentSurvey).filter_by(plan_id=plan.id, school_id=school.id))
