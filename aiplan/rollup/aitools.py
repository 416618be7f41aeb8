"""The AI tools part of the rollup's exports (issue 17, part 5): a top-level "ai_tools" key in the
JSON and a "Công cụ AI" sheet in the XLSX. Consents are counted, their files never named."""

from ..figures.aitools import ToolFigures, tool_figures
from ..figures.readmodel import Rollup


def figures_of(r: Rollup) -> ToolFigures:
    return tool_figures(r.plan, [row.school for row in r.rows])


def tools_json(f: ToolFigures) -> dict:
    return {
        "distinct": len(f.groups),
        "schools_using": sum(1 for row in f.rows if row.tools),
        "receiving_pupil_data": f.total("receiving_data"),
        "consents": f.total("consents"),
        "gaps": [{"school": use.school.slug, "tool": use.name} for use in f.gaps],
        "schools_without_consent": [row.school.slug for row in f.schools_without_consent],
        "schools": {
            row.school.slug: {
                "tools": row.tools,
                "receiving_pupil_data": row.receiving_data,
                "pupil_accounts": row.pupil_accounts,
                "consents": row.consents,
                "tools_without_consent": row.tools_without_consent,
            }
            for row in f.rows
        },
        "list": [
            {
                "name": group.name,
                "providers": group.providers,
                "schools": [
                    {
                        "slug": use.school.slug,
                        "account_type": use.account_type.value,
                        "receives_pupil_data": use.receives_data,
                        "consent": use.consent,
                    }
                    for use in group.uses
                ],
            }
            for group in f.groups
        ],
    }


def tools_table(f: ToolFigures) -> tuple[list[str], list[list]]:
    """One row per school's use of a tool, by tool: the tool × schools view as a table."""
    headers = ["STT", "Công cụ", "Nhà cung cấp", "Trường", "Tài khoản", "Nhận dữ liệu học sinh", "Có bản đồng ý"]
    rows: list[list] = []
    for group in f.groups:
        for use in group.uses:
            rows.append(
                [
                    len(rows) + 1,
                    group.name,
                    ", ".join(group.providers),
                    use.school.name,
                    str(use.account_type.label),
                    "Có" if use.receives_data else "Không",
                    "Có" if use.consent else ("Chưa có" if use.receives_data else ""),
                ]
            )
    return headers, rows
