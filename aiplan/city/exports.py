"""The city rollup as JSON, CSV and XLSX, for the Sở's own systems and spreadsheets: written from
the same read model as the /city page (figures/city.py), so that they never disagree with it.

The CSV is long (one row per ward and indicator), which a spreadsheet's pivot table reads as it
is; the workbook has the same rows on its "Chi tiết" sheet, plus the wards by indicator as a
matrix ("Theo phường") and the city's totals ("Toàn thành phố")."""

import csv
import io
import json

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from ..documents.tables import csv_value
from ..figures.city import Cell, CityRollup
from ..models import IndicatorKind
from ..rollup.exports import ascii_slug

KIND_TEXT = {IndicatorKind.MILESTONE: "Mốc", IndicatorKind.TARGET: "Chỉ tiêu"}
HEADERS = (
    "Phường, xã",
    "Số trường",
    "Mã chỉ tiêu",
    "Nội dung",
    "Loại",
    "Phải thực hiện",
    "Đã hoàn thành",
    "Tỷ lệ hoàn thành (%)",
    "Hoàn thành đúng hạn",
    "Quá hạn",
    "Đã kiểm tra xác nhận",
    "Tỷ lệ xác nhận (%)",
)
XLSX_SHEETS = ("Toàn thành phố", "Theo phường", "Chi tiết")


def detail_lines(r: CityRollup) -> list[list]:
    """One line per ward and indicator, wards most late first, indicators in the city plan's order."""
    lines = []
    for line in r.wards:
        for total in r.indicators:
            indicator, cell = total.indicator, line.cell(total.indicator.code)
            lines.append(
                [
                    line.ward.name,
                    line.schools,
                    indicator.code,
                    indicator.title,
                    KIND_TEXT[indicator.kind],
                    *_numbers(cell),
                ]
            )
    return lines


def _numbers(cell: Cell) -> list[int]:
    return [cell.required, cell.done, cell.percent, cell.on_time, cell.late, cell.verified, cell.verified_percent]


def to_csv(r: CityRollup) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Vietnamese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([csv_value(value) for value in line] for line in detail_lines(r))
    return out.getvalue().encode("utf-8")


def _cell_json(cell: Cell) -> dict:
    return {
        "required": cell.required,
        "done": cell.done,
        "percent": cell.percent,
        "on_time": cell.on_time,
        "late": cell.late,
        "verified": cell.verified,
        "verified_percent": cell.verified_percent,
    }


def to_json(r: CityRollup) -> str:
    """{city, authority, plan, school_year, as_of, indicators: [...], wards: [{…, indicators: {code: …}}]}."""
    document = {
        "city": r.city.name,
        "authority": r.city.authority,
        "plan": r.plan.number if r.plan else None,
        "school_year": r.plan.school_year if r.plan else None,
        "as_of": r.today.isoformat(),
        "schools": r.schools,
        "totals": _cell_json(r.total),
        "indicators": [
            {
                "code": t.indicator.code,
                "kind": t.indicator.kind.value,
                "title": t.indicator.title,
                "basis": t.indicator.basis,
                "wards_late": t.wards_late,
                **_cell_json(t.cell),
            }
            for t in r.indicators
        ],
        "wards": [
            {
                "slug": line.ward.slug,
                "name": line.ward.name,
                "schools": line.schools,
                "has_plan": line.has_plan,
                "totals": _cell_json(line.total),
                "indicators": {t.indicator.code: _cell_json(line.cell(t.indicator.code)) for t in r.indicators},
            }
            for line in r.wards
        ],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def to_xlsx(r: CityRollup) -> bytes:
    """Three sheets (XLSX_SHEETS); written in openpyxl's write-only mode, as the ward rollup's."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E7EEF7")
    wrap = Alignment(vertical="top", wrap_text=True)

    def header(sheet, values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font, cell.fill, cell.alignment = bold, fill, wrap
            cells.append(cell)
        sheet.append(cells)

    as_of = f"Số liệu đến ngày {r.today:%d/%m/%Y}, {r.city.authority}"
    summary = book.create_sheet(XLSX_SHEETS[0])
    summary.column_dimensions["B"].width = 60
    summary.append([f"Tổng hợp các chỉ tiêu của {r.city.name}" + (f" ({r.plan.number})" if r.plan else "")])
    summary.append([as_of])
    header(summary, ("Mã", "Nội dung", "Loại", *HEADERS[5:], "Số phường có việc quá hạn"))
    for t in r.indicators:
        summary.append(
            [t.indicator.code, t.indicator.title, KIND_TEXT[t.indicator.kind], *_numbers(t.cell), t.wards_late]
        )
    summary.append(["", "Cộng", "", *_numbers(r.total), r.wards_late])

    matrix = book.create_sheet(XLSX_SHEETS[1])
    matrix.column_dimensions["A"].width = 30
    matrix.freeze_panes = "C4"
    matrix.append(["Tỷ lệ hoàn thành (%) và số việc quá hạn của từng phường, xã, theo từng chỉ tiêu"])
    matrix.append([as_of])
    codes = [t.indicator.code for t in r.indicators]
    header(matrix, ("Phường, xã", "Số trường", *(f"{code} (%)" for code in codes), "Hoàn thành (%)", "Quá hạn"))
    for line in r.wards:
        matrix.append(
            [
                line.ward.name,
                line.schools,
                *(line.cell(code).percent if line.cell(code).required else None for code in codes),
                line.total.percent,
                line.total.late,
            ]
        )

    detail = book.create_sheet(XLSX_SHEETS[2])
    detail.column_dimensions["A"].width = 30
    detail.column_dimensions["D"].width = 60
    header(detail, HEADERS)
    for values in detail_lines(r):
        detail.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download_name(r: CityRollup, extension: str) -> tuple[str, str]:
    """(Vietnamese name, ASCII fallback): "Tổng hợp thành phố Hà Nội 2025-2026.csv"."""
    name = f"Tổng hợp giáo dục AI {r.city.name}" + (f" năm học {r.plan.school_year}" if r.plan else "")
    return f"{name}.{extension}", f"{ascii_slug(name)}.{extension}"
