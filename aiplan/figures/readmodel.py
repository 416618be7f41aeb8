"""The rollup's read model: plain dataclasses that the page and every export read.

`figures.rollup.rollup()` fills them in a fixed number of queries; nothing here touches the database.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from ..models import (
    ContentArea,
    DeliveryForm,
    EvidenceRequirement,
    ItemKind,
    ItemStatus,
    Milestone,
    Plan,
    School,
    Target,
    Verdict,
)
from .activities import TargetActual
from .labels import label_of

TRAINING = "boi-duong"  # the plan's form for teacher training: its participants are teachers trained


@dataclass(frozen=True, slots=True)
class ItemState:
    """A checklist item as the rollup reads it: a row of one query, not an ORM object."""

    id: int
    school_id: int | None
    key: str
    kind: ItemKind
    milestone_id: int | None
    target_id: int | None
    evidence_requirement_id: int | None
    required: bool
    due_on: date
    status: ItemStatus
    completed_on: date | None  # the local (Hà Nội) date
    verdict: Verdict
    verdict_reason: str
    resubmitted: bool  # changed by the school after the verdict
    verified_on: date | None
    # ChecklistItem's rules, as the query read them (figures.items.item_states):
    done: bool
    late: bool
    on_time: bool
    verified: bool
    awaiting_check: bool

    @property
    def shown_verdict(self) -> str:
        """The verdict's code, or "resubmitted" when the school changed the item after it."""
        return "resubmitted" if self.resubmitted and self.verdict is not Verdict.UNCHECKED else self.verdict.value


@dataclass
class FormTotals:
    """Activities of one delivery form, with their participants and lessons."""

    form: DeliveryForm
    activities: int = 0
    participants: int = 0
    lessons: int = 0
    schools: int = 0  # schools with at least one of them

    @property
    def teaching(self) -> bool:
        return self.form.teaches_pupils

    @property
    def short(self) -> str:
        """ "2.1", or the form's title up to its first comma ("Bồi dưỡng")."""
        return self.form.section or self.form.title.split(",")[0]


@dataclass(frozen=True)
class SchoolTarget:
    """A target of Phụ lục II that applies to a school, and what its activities show."""

    target: Target
    actual: TargetActual

    @property
    def amount(self) -> int:
        """The school's number for the target: pilot classes, or integration activities."""
        return self.actual.activities if self.target.measure == "integration_share" else self.actual.value


@dataclass
class SchoolRow:
    """One school's line of the rollup: its items counted, its targets, activities and files, and
    for the schools a page or an export shows item by item, the items themselves."""

    school: School
    targets: list[SchoolTarget]
    activity: dict[
        int, tuple[int, int, int]
    ]  # form id -> (activities, participants, lessons); forms with none left out
    pilot: bool = False  # in the plan's year
    pupils: int = 0  # participants of the forms that teach pupils (2.1–2.3)
    lessons_taught: int = 0  # lessons of those forms
    teachers_trained: int = 0  # participants of the training form
    # Its current items, counted in the database (queries.item_counts):
    required: int = 0
    done: int = 0  # of the required ones
    verified: int = 0  # of the required ones
    late: int = 0
    needs_more: int = 0
    awaiting_check: int = 0
    evidence_total: int = 0  # items of kind "evidence", required or not
    evidence_done: int = 0
    evidence_verified: int = 0
    evidence_needs_more: int = 0
    evidence_files: int = 0
    restricted_files: int = 0
    inspected: bool = False
    # None until services.load_items reads them; not a constructor argument, so that the counts
    # spread into the constructor (a dict of ints) can only be meant for the count fields.
    items: list[ItemState] | None = field(default=None, init=False)

    def _loaded(self) -> list[ItemState]:
        if self.items is None:
            raise LookupError(f"the items of {self.school.slug} were not loaded (services.load_items)")
        return self.items

    @cached_property
    def by_milestone(self) -> dict[int, ItemState]:
        # An item's kind says which of its three ids is set; `is not None` tells mypy so.
        return {
            i.milestone_id: i for i in self._loaded() if i.kind is ItemKind.MILESTONE and i.milestone_id is not None
        }

    @cached_property
    def by_target(self) -> dict[int, ItemState]:
        """The school's item for each target row of Phụ lục II (the verdict on its result)."""
        return {i.target_id: i for i in self._loaded() if i.kind is ItemKind.TARGET and i.target_id is not None}

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.required) if self.required else 0

    def activities_of(self, form_id: int) -> tuple[int, int, int]:
        """(activities, participants, lessons) of one form of the plan."""
        return self.activity.get(form_id, (0, 0, 0))

    @property
    def targets_met(self) -> dict[int, bool]:
        return {t.target.stt: t.actual.met for t in self.targets}


def _count(items, test) -> int:
    return sum(1 for item in items if test(item))


@dataclass
class TargetSummary:
    """A row of Phụ lục II across the schools it applies to: x of n schools, against its minimum."""

    target: Target
    schools: list[tuple[School, SchoolTarget]]

    total = property(lambda self: len(self.schools))
    met_count = property(lambda self: _count(self.schools, lambda pair: pair[1].actual.met))

    @property
    def required_percent(self) -> int:
        """ "Every pilot school runs a class" is 100%; a share target names its own (STT 5: 100%)."""
        return self.target.measure_min if self.target.measure == "integration_share" else 100

    @property
    def required_count(self) -> int:
        return -(-self.required_percent * self.total // 100)

    @property
    def percent(self) -> int | None:
        return round(100 * self.met_count / self.total) if self.total else None

    @property
    def matrix_args(self) -> dict[str, str]:
        """The matrix filter that shows the schools of this row (by pilot, and level when it has one)."""
        args = {} if self.target.pilot is None else {"pilot": "1" if self.target.pilot else "0"}
        levels = self.target.levels
        return args | ({"level": levels[0].value} if len(levels) == 1 else {})

    @property
    def met(self) -> bool | None:
        """None when no school in scope falls under the row."""
        return 100 * self.met_count >= self.required_percent * self.total if self.total else None


class DoneShares:
    """Completion as the rollups show it, for counts with `required`, `done` and `on_time`: done out
    of required, and of what is done, how much by its due date (the ward's and the city's alike)."""

    required: int
    done: int
    on_time: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.required) if self.required else 0

    @property
    def on_time_percent(self) -> int | None:
        """None while nothing is done."""
        return round(100 * self.on_time / self.done) if self.done else None


@dataclass
class MilestoneSummary(DoneShares):
    """A milestone of Phụ lục I: its schools' items counted (done, on time) and the ward's own item."""

    milestone: Milestone
    required: int = 0
    done: int = 0  # of the required items
    on_time: int = 0  # of those done
    late: int = 0
    verified: int = 0
    encouraged: int = 0  # items the schools may do without having to
    encouraged_done: int = 0
    due_on: date | None = None  # the earliest due date of the schools' items
    ward_item: ItemState | None = None
    inspected: int | None = None  # milestone 6: schools with a closed visit

    @property
    def school_count(self) -> int:
        """Schools with an item for the milestone, required or encouraged."""
        return self.required + self.encouraged


@dataclass(frozen=True)
class AreaCoverage:
    """A content area of section II.1 and how many pilot classes (form 2.2) covered it."""

    area: ContentArea
    classes: int


@dataclass
class LateGroup:
    """One late item of the plan: how many schools are late on it and the first of them in the
    matrix's order (up to rollup.LIST_LIMIT, or all of them), or the ward, for its own."""

    due_on: date
    kind: ItemKind
    milestone: Milestone | None
    target: Target | None
    evidence: EvidenceRequirement | None
    ward: bool
    count: int = 1  # late items: schools late on it, or 1 for the ward's own
    schools: list[School] = field(default_factory=list)

    @property
    def label(self) -> str:
        """ "Mốc 3: …", as documents name the item (figures.labels)."""
        return label_of(self.kind, self.milestone, self.target, self.evidence)

    @property
    def order(self) -> tuple:
        """Oldest due date first; then the ward's own, then by the plan's order."""
        return (
            self.due_on,
            not self.ward,
            self.milestone.number if self.milestone else 100,
            self.target.stt if self.target else 0,
            self.evidence.position if self.evidence else 0,
        )


@dataclass(frozen=True)
class WeekPoint:
    """Items done and verified by the end of a week (cumulative)."""

    starts_on: date
    ends_on: date
    done: int
    verified: int


@dataclass
class Rollup:
    """Where the plan stands for a set of schools (the ward's, or one school's for its staff)."""

    plan: Plan
    today: date
    generated_at: datetime
    rows: list[SchoolRow]
    targets: list[TargetSummary]
    milestones: list[MilestoneSummary]
    forms: list[FormTotals]
    coverage: list[AreaCoverage]
    late: list[LateGroup] | None  # None when not read (the exports do not show them)
    weeks: list[WeekPoint] | None
    ward_items: list[ItemState]
    single_school: School | None = None  # set when the rollup covers one school only
    # Sections added beside the plan's own figures (the equipment survey, the resources register…):
    # each has a `key` (its JSON key), `json()`, `sheet_name`, `title`, `table()` (the XLSX sheet's
    # headers and rows) and `template` (its section on the rollup page).
    parts: list = field(default_factory=list)

    @property
    def year(self):
        return self.plan.school_year

    @property
    def school_milestones(self) -> list[MilestoneSummary]:
        return [s for s in self.milestones if s.milestone.for_schools]

    @property
    def ward_milestones(self) -> list[MilestoneSummary]:
        return [s for s in self.milestones if s.ward_item is not None]

    def total(self, attr: str) -> int:
        """The sum of a SchoolRow attribute over every school: total("pupils")."""
        return sum(getattr(row, attr) for row in self.rows)

    def milestone_items(self, summary: MilestoneSummary) -> list[tuple[School, ItemState]]:
        """Each school's item for the milestone, for rows whose items were loaded."""
        wanted = summary.milestone.id
        return [(row.school, row.by_milestone[wanted]) for row in self.rows if wanted in row.by_milestone]

    @property
    def activities(self) -> int:
        return sum(f.activities for f in self.forms)

    # As the SchoolRow fields of the same names, for every school.
    pupils = property(lambda self: sum(f.participants for f in self.forms if f.teaching))
    lessons_taught = property(lambda self: sum(f.lessons for f in self.forms if f.teaching))
    teachers_trained = property(lambda self: sum(f.participants for f in self.forms if f.form.code == TRAINING))
