"""The AI tools register and the parental consents as pages and the rollup read them: a school's
tools and consents, the ward's tool × schools view, and the gaps (a tool that receives pupil data
with no consent on file naming it; a school keeping restricted evidence — pupils' images or work —
with no consent on file at all), each in a fixed number of queries whatever the number of schools."""

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..database import among
from ..extensions import db
from ..models import (
    AccountType,
    Activity,
    AiTool,
    ChecklistItem,
    EvidenceFile,
    Plan,
    PupilConsent,
    School,
    consent_tool,
)

PLAN_LINE = (
    "I.3, Yêu cầu",
    "Khai thác hiệu quả cơ sở vật chất, trang thiết bị và nguồn lực sẵn có; tránh đầu tư dàn trải, lãng "
    "phí, kém hiệu quả. Bảo đảm an toàn thông tin, bảo mật dữ liệu cá nhân; tuân thủ các quy định về "
    "đạo đức, pháp luật trong sử dụng trí tuệ nhân tạo.",
)


def school_tools(plan: Plan, school: School) -> list[AiTool]:
    """The school's register for the plan's year, by name; one query."""
    return list(
        db.session.scalars(
            select(AiTool)
            .where(AiTool.plan_id == plan.id, AiTool.school_id == school.id, AiTool.deleted_at.is_(None))
            .order_by(AiTool.name, AiTool.id)
        )
    )


def school_consents(plan: Plan, school: School) -> list[PupilConsent]:
    """The school's consents on file for the plan's year, newest first, with their activity, file
    and tools; four queries."""
    return list(
        db.session.scalars(
            select(PupilConsent)
            .where(
                PupilConsent.plan_id == plan.id,
                PupilConsent.school_id == school.id,
                PupilConsent.deleted_at.is_(None),
            )
            .options(
                selectinload(PupilConsent.activity),
                selectinload(PupilConsent.file),
                selectinload(PupilConsent.tools),
            )
            .order_by(PupilConsent.consented_on.desc(), PupilConsent.id.desc())
        )
    )


def is_consent_form(file_id: int) -> bool:
    """Whether an evidence file is the form of a parental consent on file (it stays restricted)."""
    return (
        db.session.scalar(
            select(PupilConsent.id).where(PupilConsent.file_id == file_id, PupilConsent.deleted_at.is_(None)).limit(1)
        )
        is not None
    )


def consented_tool_ids(consents: list[PupilConsent]) -> set[int]:
    return {tool.id for consent in consents for tool in consent.tools if tool.deleted_at is None}


def name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass
class ToolUse:
    """One school's use of a tool: its row of the register, and whether a consent names it."""

    school: School
    tool_id: int
    name: str
    account_type: AccountType
    receives_data: bool
    consent: bool

    @property
    def gap(self) -> bool:
        return self.receives_data and not self.consent


@dataclass
class ToolGroup:
    """One tool across the ward (by name): the schools that use it."""

    name: str
    providers: list[str] = field(default_factory=list)
    uses: list[ToolUse] = field(default_factory=list)

    @property
    def gaps(self) -> list[ToolUse]:
        return [use for use in self.uses if use.gap]


@dataclass
class SchoolTools:
    school: School
    tools: int = 0
    receiving_data: int = 0
    pupil_accounts: int = 0
    consents: int = 0
    tools_without_consent: int = 0  # tools receiving pupil data that no consent names
    restricted_files: int = 0  # pupils' images or work kept as evidence (consent forms not counted)

    @property
    def restricted_without_consent(self) -> bool:
        return self.restricted_files > 0 and self.consents == 0


@dataclass
class ToolFigures:
    rows: list[SchoolTools]
    groups: list[ToolGroup]

    def total(self, attr: str) -> int:
        return sum(getattr(row, attr) for row in self.rows)

    @property
    def gaps(self) -> list[ToolUse]:
        """Every school's tool that receives pupil data with no consent naming it, by tool then school."""
        return [use for group in self.groups for use in group.gaps]

    @property
    def schools_without_consent(self) -> list[SchoolTools]:
        """Schools that keep pupils' images or work as restricted evidence and have no consent on file."""
        return [row for row in self.rows if row.restricted_without_consent]


def tool_figures(plan: Plan, schools: list[School]) -> ToolFigures:
    """The ward's tool × schools view, its gaps and the rollup's counts for `schools` in the plan's
    year: three queries whatever the number of schools."""
    ids = [school.id for school in schools]
    per_school = {school.id: SchoolTools(school) for school in schools}
    if not ids:
        return ToolFigures([], [])
    tools = db.session.scalars(
        select(AiTool)
        .where(AiTool.plan_id == plan.id, AiTool.deleted_at.is_(None), among(AiTool.school_id, ids))
        .order_by(AiTool.name, AiTool.id)
    ).all()
    # Each live consent once per tool it names (and once with no tool): the counts and the tools covered.
    consented: set[int] = set()
    counted: dict[int, set[int]] = {}
    for consent_id, school_id, tool_id in db.session.execute(
        select(PupilConsent.id, PupilConsent.school_id, consent_tool.c.tool_id)
        .outerjoin(consent_tool, consent_tool.c.consent_id == PupilConsent.id)
        .where(PupilConsent.plan_id == plan.id, PupilConsent.deleted_at.is_(None), among(PupilConsent.school_id, ids))
    ):
        counted.setdefault(school_id, set()).add(consent_id)
        if tool_id is not None:
            consented.add(tool_id)
    for school_id, consent_ids in counted.items():
        per_school[school_id].consents = len(consent_ids)
    for school_id, count in _restricted_files(plan, ids).items():
        per_school[school_id].restricted_files = count
    groups: dict[str, ToolGroup] = {}
    for tool in tools:
        row = per_school[tool.school_id]
        use = ToolUse(row.school, tool.id, tool.name, tool.account_type, tool.receives_pupil_data, tool.id in consented)
        row.tools += 1
        row.receiving_data += use.receives_data
        row.pupil_accounts += tool.account_type is AccountType.PUPIL
        row.tools_without_consent += use.gap
        group = groups.setdefault(name_key(tool.name), ToolGroup(tool.name))
        if tool.provider and tool.provider not in group.providers:
            group.providers.append(tool.provider)
        group.uses.append(use)
    ordered = sorted(groups.values(), key=lambda g: (-len(g.uses), name_key(g.name)))
    return ToolFigures([per_school[i] for i in ids], ordered)


def _restricted_files(plan: Plan, school_ids: list[int]) -> dict[int, int]:
    """school id -> live restricted files on the year's items and activities that are not consent
    forms themselves; one query."""
    consent_files = select(PupilConsent.file_id).where(
        PupilConsent.file_id.is_not(None), PupilConsent.deleted_at.is_(None)
    )
    rows = db.session.execute(
        select(EvidenceFile.school_id, func.count(EvidenceFile.id))
        .outerjoin(ChecklistItem, ChecklistItem.id == EvidenceFile.item_id)
        .outerjoin(Activity, Activity.id == EvidenceFile.activity_id)
        .where(
            among(EvidenceFile.school_id, school_ids),
            EvidenceFile.deleted_at.is_(None),
            EvidenceFile.restricted,
            EvidenceFile.id.not_in(consent_files),
            or_(ChecklistItem.plan_id == plan.id, Activity.plan_id == plan.id),
        )
        .group_by(EvidenceFile.school_id)
    )
    return {school_id: int(count) for school_id, count in rows if school_id is not None}
