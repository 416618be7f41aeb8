"""Tables as offices keep them: reading CSV or XLSX lists into plain tables of text, refusing what
is not one, and writing cells that a spreadsheet will not run as formulas.

What the rows mean is decided by the feature that imports them; this module only knows files: encodings, the
spreadsheet's own formulas, sizes and row counts."""

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import load_workbook

from ..inputs import FORMULA_STARTS, cell_problem

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_LINES = 4 * MAX_ROWS  # blank lines included
MAX_COLUMNS = 50
# A workbook is a zip: refuse one that would inflate far past what a list of schools needs.
XLSX_MAX_ENTRIES = 500
XLSX_MAX_INFLATED = 50 * 1024 * 1024
NOT_UTF8 = "Tệp không phải UTF-8. Trong Excel, hãy lưu dạng “CSV UTF-8”."


class ImportFileError(Exception):
    """A file that cannot be read as a list; `problems` say why, in Vietnamese."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Table:
    """One sheet of a workbook, or a whole CSV: rows of text with their line in the file."""

    sheet: str | None  # the worksheet's name; None for a CSV
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # (line, column index), XLSX only

    def where(self, line: int) -> str:
        """'Dòng 4' or, in a workbook, 'Trang tính “Tài khoản”, dòng 4'."""
        return f"Dòng {line}" if self.sheet is None else f"Trang tính “{self.sheet}”, dòng {line}"


def read_tables(filename: str, raw: bytes) -> list[Table]:
    """The tables of an uploaded CSV or XLSX file; ImportFileError if it is neither, or too big."""
    if not raw:
        raise ImportFileError(["Tệp trống: hãy chọn tệp danh sách."])
    if len(raw) > MAX_BYTES:
        raise ImportFileError([f"Tệp quá lớn: tối đa {MAX_BYTES // (1024 * 1024)} MB."])
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    is_zip = raw[:4] == b"PK\x03\x04"
    if extension == "xlsx" and is_zip:
        return _read_xlsx(raw)
    if extension == "csv" and not is_zip:
        return [_read_csv(raw)]
    if extension in ("xlsx", "csv"):
        raise ImportFileError([f"Nội dung tệp không phải {extension.upper()} như tên tệp cho biết."])
    raise ImportFileError(
        ["Chỉ nhận tệp .csv (UTF-8) hoặc .xlsx (Excel). Tệp .xls cũ: hãy mở bằng Excel rồi lưu lại dạng .xlsx."]
    )


def _read_csv(raw: bytes) -> Table:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError([NOT_UTF8]) from None
    # Excel in Vietnamese settings may save with ";" between columns.
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table(sheet=None)
    try:
        for values in reader:
            values = [normalize(v) for v in values]
            if any(values):
                table.rows.append((reader.line_num, values))
                _check_row_count(table.rows)
    except csv.Error as error:
        raise ImportFileError([f"Dòng {reader.line_num}: tệp CSV hỏng ({error})."]) from None
    return table


def _read_xlsx(raw: bytes) -> list[Table]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            entries = archive.infolist()
            if len(entries) > XLSX_MAX_ENTRIES or sum(e.file_size for e in entries) > XLSX_MAX_INFLATED:
                raise ImportFileError(["Tệp XLSX quá lớn khi giải nén; hãy chỉ giữ lại danh sách cần nhập."])
        # data_only=False: a formula is read as the formula it is, never as the value it last showed.
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        try:
            return _read_sheets(workbook)
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 — any reason openpyxl cannot read it means the same to the user
        raise ImportFileError(["Không đọc được tệp XLSX; hãy mở bằng Excel, lưu lại rồi thử lại."]) from None


def _read_sheets(workbook) -> list[Table]:
    tables, total = [], []
    for sheet in workbook.worksheets:
        table = Table(sheet=sheet.title)
        # A sheet's declared size may be a lie (A1:XFD1048576): read only the rows and columns it has.
        sheet.reset_dimensions()
        for line, cells in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
            if line > MAX_LINES:
                raise ImportFileError(
                    [
                        f"Trang tính “{sheet.title}” dài quá {MAX_LINES:,} dòng (kể cả dòng trống); "
                        "hãy xóa các dòng thừa.".replace(",", ".")
                    ]
                )
            values = []
            for index, cell in enumerate(cells):
                if cell.data_type == "f" or type(cell.value).__name__ in ("ArrayFormula", "DataTableFormula"):
                    table.formula_cells.add((line, index))
                    values.append(str(getattr(cell.value, "text", cell.value) or ""))
                else:
                    values.append(_text(cell.value))
            if any(values):
                table.rows.append((line, values))
                total.append(line)
                _check_row_count(total)
        tables.append(table)
    return tables


def _text(value) -> str:
    """A cell's value as the office typed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return normalize(str(value))


def _check_row_count(rows: list) -> None:
    # One header row beside the data; a list longer than the ward's needs is a mistake or an attack.
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError([f"Tệp có hơn {MAX_ROWS:,} dòng dữ liệu; hãy chia thành nhiều tệp.".replace(",", ".")])


def formula_problem(table: Table, line: int, index: int, value: str) -> str | None:
    """Why a cell must not be imported as it is: it is or looks like a spreadsheet formula, or
    holds what no text the app keeps may hold (inputs.cell_problem, as the command line says)."""
    if (line, index) in table.formula_cells:
        return "ô chứa công thức; hãy thay bằng giá trị (Dán đặc biệt → Giá trị)"
    return cell_problem(value)


# -- columns by their titles -----------------------------------------------------------------


def normalize(text: str | None) -> str:
    """A cell as typed, trimmed and in NFC (files saved on a Mac may carry decomposed accents)."""
    return unicodedata.normalize("NFC", text or "").strip()


def match_columns(header: list[str], columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, int]:
    """Where each known column is in `header`; ImportFileError naming the required ones missing."""
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        positions.setdefault(normalize(title).lower(), index)
    found = {}
    for name, aliases in columns.items():
        at = next((positions[a] for a in aliases if a in positions), None)
        if at is not None:
            found[name] = at
    missing = [columns[name][0] for name in required if name not in found]
    if missing:
        raise ImportFileError([f"Thiếu cột: {', '.join(missing)}"])
    return found


def cells_of(values: list, column_of: dict[str, int]) -> dict[str, str]:
    """The row's known cells by column name; a short row reads as empty cells."""
    return {name: normalize(values[index]) if index < len(values) else "" for name, index in column_of.items()}


# -- writing ----------------------------------------------------------------------------------


def csv_value(value):
    """The cell as written: text that a spreadsheet would run as a formula gets a leading
    apostrophe, which Excel and LibreOffice show as plain text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
