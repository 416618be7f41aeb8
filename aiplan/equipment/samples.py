"""The sample list for the ward's import of the equipment survey: the headers the import reads
first and two example rows, as CSV and XLSX (a test imports them, so they cannot drift)."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from .services import COLUMNS

ROWS = [
    ["th-vi-du", "2", "2", "70", "1200", "100", "10", "10 bộ robot lập trình", "Năm sau thêm 1 phòng máy"],
    ["thcs-vi-du", "1", "0", "35", "900", "20", "0", "", "Chờ nâng cấp đường truyền"],
]


def _table() -> list[list[str]]:
    return [[names[0] for names in COLUMNS.values()], *ROWS]


def sample_csv() -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(_table())
    return out.getvalue().encode("utf-8-sig")


def sample_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Rà soát thiết bị"
    for row in _table():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
