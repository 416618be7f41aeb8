"""The roster import's sample file, as CSV and XLSX. Its headers are the first titles the importer
looks for (services.COLUMNS), so the sample cannot drift from what the import reads; a test imports it."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from .services import COLUMNS

ROWS = [
    {"name": "Nguyễn Thị Ví Dụ", "subject": "Tin học", "email": "nguyen.thi.vidu@truong.edu.vn"},
    {"name": "Trần Văn Ví Dụ", "subject": "Toán", "email": ""},
]


def _table() -> list[list[str]]:
    return [[titles[0].capitalize() for titles in COLUMNS.values()]] + [[row[key] for key in COLUMNS] for row in ROWS]


def sample_csv() -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(_table())
    return out.getvalue().encode("utf-8-sig")


def sample_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách giáo viên"
    for row in _table():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABC", (28, 18, 34), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
