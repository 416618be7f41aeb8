"""Sample files for the import page: a schools list and an accounts list, as CSV and as one XLSX
with a sheet each. Their headers are the first names the importer looks for (COLUMNS,
ACCOUNT_COLUMNS) and their values the words it reads (levels, roles, yes/no), so a sample cannot
drift from what the import accepts; a test imports them."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from ..models import Role
from .import_plan import ACCOUNT_COLUMNS
from .schools import COLUMNS as SCHOOL_COLUMNS
from .schools import LEVELS, NO, YES

YES_WORD, NO_WORD = "có", "không"
assert YES_WORD in YES and NO_WORD in NO


def _level(code: str) -> str:
    """The first Vietnamese word the importer reads as this level ("tiểu học", "thcs")."""
    return next(word for word, level in LEVELS.items() if level.value == code)


SCHOOL_ROWS = [
    {
        "slug": "th-vi-du",
        "name": "Trường Tiểu học Ví Dụ",
        "level": _level("tieu_hoc"),
        "pilot": YES_WORD,
        "active": YES_WORD,
        "code": "01000901",
    },
    {
        "slug": "thcs-vi-du",
        "name": "Trường THCS Ví Dụ",
        "level": "THCS",
        "pilot": NO_WORD,
        "active": YES_WORD,
        "code": "01000902",
    },
]
ACCOUNT_ROWS = [
    {
        "username": "nguyen.van.vidu",
        "full_name": "Nguyễn Văn Ví Dụ",
        "role": str(Role.SCHOOL_STAFF.label),
        "school": "th-vi-du",
        "active": YES_WORD,
        "email": "nguyen.van.vidu@th-vi-du.edu.vn",
    },
    {
        "username": "tran.thi.vidu",
        "full_name": "Trần Thị Ví Dụ",
        "role": str(Role.VIEWER.label),
        "school": "",
        "active": YES_WORD,
        "email": "",
    },
]
SAMPLES = {
    "truong": (SCHOOL_COLUMNS, SCHOOL_ROWS, "Danh sách trường"),
    "tai-khoan": (ACCOUNT_COLUMNS, ACCOUNT_ROWS, "Danh sách tài khoản"),
}


def _table(kind: str) -> list[list[str]]:
    columns, rows, _title = SAMPLES[kind]
    return [[names[0] for names in columns.values()]] + [[row[key] for key in columns] for row in rows]


def sample_csv(kind: str) -> bytes:
    """One list as CSV, UTF-8 with a BOM so that Excel opens the Vietnamese letters right."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(_table(kind))
    return out.getvalue().encode("utf-8-sig")


def sample_xlsx() -> bytes:
    """Both lists in one workbook, a sheet each (schools first: the accounts name them)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind in SAMPLES:
        sheet = workbook.create_sheet(SAMPLES[kind][2])
        for row in _table(kind):
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for letter, width in zip("ABCDEF", (18, 26, 26, 22, 12, 32), strict=True):
            sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
