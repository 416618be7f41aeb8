"""Partners as pages and the rollup read them: a school's (or the ward's own) list with the
activities each took part in and its agreement files, the ward's view of which schools work with
whom, and the rollup's counts, each in a fixed number of queries whatever the number of schools."""

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..database import among
from ..extensions import db
from ..models import Activity, EvidenceFile, Partner, PartnerKind, Plan, School, partner_activity
from .evidence import may_see

# The plan's lines this part carries (quoted where partners live, as the checklist quotes milestones).
PLAN_LINES = (
    (
        "II.2, hình thức 2.3",
        "Đa dạng hóa hình thức tổ chức hoạt động giáo dục AI thông qua phối hợp chặt chẽ với các cơ sở "
        "giáo dục đại học, viện nghiên cứu, doanh nghiệp, tổ chức, cá nhân đảm bảo phù hợp với điều kiện "
        "thực tế của địa phương và tuân thủ quy định pháp luật.",
    ),
    (
        "II.3, Điều kiện tổ chức thực hiện",
        "Khuyến khích các cơ sở giáo dục tăng cường hợp tác với các viện nghiên cứu, trường đại học, tổ "
        "chức, cá nhân nhằm hỗ trợ chuyên môn, học liệu và hoạt động trải nghiệm thực tiễn…",
    ),
)


def _partners(plan: Plan):
    return (
        select(Partner)
        .where(Partner.plan_id == plan.id, Partner.deleted_at.is_(None))
        .options(selectinload(Partner.activities))
        .order_by(Partner.name, Partner.id)
    )


def school_partners(plan: Plan, school: School) -> list[Partner]:
    """The school's partners of the plan's year, with their activities; two queries."""
    return list(db.session.scalars(_partners(plan).where(Partner.school_id == school.id)))


def ward_partners(plan: Plan) -> list[Partner]:
    """The ward's own partners of the plan's year, with their activities; two queries."""
    return list(db.session.scalars(_partners(plan).where(Partner.school_id.is_(None))))


def activity_partners(activity_id: int) -> list[Partner]:
    """The live partners that took part in an activity (the activity's page names them); one query."""
    return list(
        db.session.scalars(
            select(Partner)
            .join(partner_activity, partner_activity.c.partner_id == Partner.id)
            .where(partner_activity.c.activity_id == activity_id, Partner.deleted_at.is_(None))
            .order_by(Partner.name, Partner.id)
        )
    )


def partner_files(partner_ids: list[int], user) -> dict[int, list[EvidenceFile]]:
    """The agreement files `user` may see of each partner (every id is a key), in one query."""
    files: dict[int, list[EvidenceFile]] = {partner_id: [] for partner_id in partner_ids}
    if not files:
        return files
    for file in db.session.scalars(
        select(EvidenceFile)
        .where(EvidenceFile.partner_id.in_(list(files)), EvidenceFile.deleted_at.is_(None))
        .options(selectinload(EvidenceFile.school), selectinload(EvidenceFile.partner))
        .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
    ):
        if file.partner_id is not None and may_see(user, file):
            files[file.partner_id].append(file)
    return files


def name_key(name: str) -> str:
    """Two schools' entries for the same partner, whatever the case and spacing they typed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass
class PartnerGroup:
    """One partner across the ward: the schools (and whether the ward itself) working with it."""

    name: str
    kind: PartnerKind
    schools: list[School] = field(default_factory=list)
    ward: bool = False
    activities: int = 0
    with_agreement: int = 0  # entries with an agreement file


def _link_counts(partner_ids: list[int]) -> dict[int, int]:
    if not partner_ids:
        return {}
    rows = db.session.execute(
        select(partner_activity.c.partner_id, func.count())
        .join(Activity, Activity.id == partner_activity.c.activity_id)
        .where(among(partner_activity.c.partner_id, partner_ids), Activity.deleted_at.is_(None))
        .group_by(partner_activity.c.partner_id)
    )
    return {partner_id: int(count) for partner_id, count in rows}


def _agreement_ids(partner_ids: list[int]) -> set[int]:
    if not partner_ids:
        return set()
    return set(
        db.session.scalars(
            select(EvidenceFile.partner_id)
            .where(among(EvidenceFile.partner_id, partner_ids), EvidenceFile.deleted_at.is_(None))
            .distinct()
        )
    )


@dataclass
class SchoolPartners:
    """A school's partners in the rollup: how many, with an agreement on file, activities with them."""

    school: School | None  # None: the ward's own partners
    partners: int = 0
    with_agreement: int = 0
    activities: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class PartnerFigures:
    """The rollup's partners section and export: per school, and for the ward's own partners."""

    rows: list[SchoolPartners]
    ward: SchoolPartners | None  # the ward's own partners (None for a school's own export)
    groups: list[PartnerGroup]

    def total(self, attr: str) -> int:
        return sum(getattr(row, attr) for row in self.rows)

    def kind_counts(self) -> list[tuple[PartnerKind, int]]:
        """Distinct partners (by name) of each kind, across the ward, in the vocabulary's order."""
        return [(kind, sum(1 for group in self.groups if group.kind is kind)) for kind in PartnerKind]

    def by_kind(self) -> dict[str, int]:
        return {kind.value: count for kind, count in self.kind_counts()}

    @property
    def schools_with_partners(self) -> int:
        return sum(1 for row in self.rows if row.partners)


def partner_figures(plan: Plan, schools: list[School], include_ward: bool = True) -> PartnerFigures:
    """The counts of the rollup and its exports for `schools` (and the ward's own partners when
    `include_ward`), and every partner grouped by name across them (which schools work with
    whom, most schools first): three queries whatever the number of schools."""
    ids = [school.id for school in schools]
    wanted = among(Partner.school_id, ids) if ids else Partner.id.is_(None)
    if include_ward:
        wanted = wanted | Partner.school_id.is_(None)
    rows = db.session.execute(
        select(Partner.id, Partner.name, Partner.kind, Partner.school_id).where(
            Partner.plan_id == plan.id, Partner.deleted_at.is_(None), wanted
        )
    ).all()
    partner_ids = [row.id for row in rows]
    links, agreements = _link_counts(partner_ids), _agreement_ids(partner_ids)
    per_school = {school.id: SchoolPartners(school) for school in schools}
    ward = SchoolPartners(None) if include_ward else None
    by_id = {school.id: school for school in schools}
    groups: dict[str, PartnerGroup] = {}
    for row in sorted(rows, key=lambda r: (r.name, r.id)):
        target = ward if row.school_id is None else per_school[row.school_id]
        assert target is not None
        target.partners += 1
        target.with_agreement += row.id in agreements
        target.activities += links.get(row.id, 0)
        target.by_kind[row.kind.value] = target.by_kind.get(row.kind.value, 0) + 1
        group = groups.setdefault(name_key(row.name), PartnerGroup(row.name, row.kind))
        if row.school_id is None:
            group.ward = True
        elif by_id[row.school_id] not in group.schools:
            group.schools.append(by_id[row.school_id])
        group.activities += links.get(row.id, 0)
        group.with_agreement += row.id in agreements
    ordered = sorted(groups.values(), key=lambda g: (-len(g.schools) - g.ward, name_key(g.name)))
    return PartnerFigures(rows=[per_school[i] for i in ids], ward=ward, groups=ordered)
