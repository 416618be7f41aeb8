"""The partners part of the rollup's exports (issue 17, part 4): a top-level "partners" key in the
JSON and a "Đối tác" sheet in the XLSX. Names of partner organisations are exported; their contact
people, phones and e-mails are not (they stay on the app's pages)."""

from ..figures.partners import PartnerFigures, partner_figures
from ..figures.readmodel import Rollup


def figures_of(r: Rollup) -> PartnerFigures:
    """The rollup's schools' partners, and the ward's own unless the rollup is one school's."""
    return partner_figures(r.plan, [row.school for row in r.rows], include_ward=r.single_school is None)


def partners_json(f: PartnerFigures) -> dict:
    return {
        "distinct": len(f.groups),
        "schools_with_partners": f.schools_with_partners,
        "by_kind": f.by_kind(),
        "ward": (
            {"partners": f.ward.partners, "with_agreement": f.ward.with_agreement, "activities": f.ward.activities}
            if f.ward is not None
            else None
        ),
        "schools": {
            row.school.slug: {
                "partners": row.partners,
                "with_agreement": row.with_agreement,
                "activities": row.activities,
            }
            for row in f.rows
            if row.school is not None
        },
        "list": [
            {
                "name": group.name,
                "kind": group.kind.value,
                "ward": group.ward,
                "schools": [school.slug for school in group.schools],
                "activities": group.activities,
                "with_agreement": group.with_agreement,
            }
            for group in f.groups
        ],
    }


def partners_table(f: PartnerFigures) -> tuple[list[str], list[list]]:
    """One row per partner (grouped by name across the ward), with the schools that work with it."""
    headers = ["STT", "Đối tác", "Loại", "Phường hợp tác", "Số trường", "Các trường", "Số hoạt động", "Có thỏa thuận"]
    rows = [
        [
            number,
            group.name,
            str(group.kind.label),
            "Có" if group.ward else "",
            len(group.schools),
            "; ".join(school.name for school in group.schools),
            group.activities,
            group.with_agreement,
        ]
        for number, group in enumerate(f.groups, start=1)
    ]
    return headers, rows
