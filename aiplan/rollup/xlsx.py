"""The rollup as an Excel workbook: Phụ lục II with each school's results, one row per school, and a
sheet per milestone (docs/rollup-exports.md).

Written with openpyxl's write-only mode: rows go straight to the file instead of becoming cell
objects first, which at 3,000 schools (some 400,000 cells) is several times faster. A write-only
sheet is written top to bottom once, so its column widths, frozen panes and row heights are set
before its first row.
"""

import io
from collections.abc import Callable, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..documents.language import in_vietnamese
from ..figures.duties import duties_table, duty_rows
from ..figures.pilot import pilot_by_school, pilot_table
from ..figures.readmodel import Rollup
from ..figures.training import training_by_school, training_table
from . import aitools as tools_export
from . import partners as partners_export
from .exports import NO, YES, as_of, met_text, school_table, unit_of, verdict_text

BOLD = Font(bold=True)
THIN = Side(style="thin", color="8A939D")
HEADER = NamedStyle(
    "rollup_header",
    font=BOLD,
    fill=PatternFill("solid", fgColor="E7EEF7"),
    border=Border(left=THIN, right=THIN, top=THIN, bottom=THIN),
    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
)
# A school's name over its two columns, centred across them without merging (merges cost seconds at 500).
GROUP = NamedStyle(
    "rollup_group",
    font=BOLD,
    fill=HEADER.fill,
    border=HEADER.border,
    alignment=Alignment(horizontal="centerContinuous", vertical="center"),
)
TITLE = Font(bold=True, size=13)
TEXT_ALIGN = Alignment(vertical="top", wrap_text=True)
DATE_FORMAT = "DD/MM/YYYY"
MAX_WIDTH = 45
HEADER_HEIGHT = 48
PAPER_A4 = "9"  # the paperSize code of A4 (ECMA-376)


@in_vietnamese
def to_xlsx(r: Rollup, progress: Callable[[int, int, str], None] | None = None) -> bytes:
    """Phụ lục II filled with each school's results, one row per school, and a sheet per milestone.
    `progress(done, total, step)` is told of each school's row and each milestone's sheet (a background
    job shows it)."""
    milestones = [s for s in r.milestones if s.school_count or s.ward_item]
    total = len(r.rows) + len(milestones) + 1

    def rows_written(done: int) -> None:
        if progress is not None:
            progress(done, total, f"Đang ghi dòng của trường {done}/{len(r.rows)}")

    workbook = Workbook(write_only=True)
    workbook.add_named_style(HEADER)
    workbook.add_named_style(GROUP)
    _targets_sheet(workbook.create_sheet("Phụ lục II"), r)
    _table(
        workbook.create_sheet("Theo trường"),
        f"Tổng hợp theo trường — năm học {r.year.name}",
        as_of(r),
        *school_table(r),
        freeze="D4",
        on_row=rows_written if progress is not None else None,
    )
    for number, summary in enumerate(milestones, start=1):
        _milestone_sheet(workbook.create_sheet(f"Mốc {summary.milestone.number}"), r, summary)
        if progress is not None:
            progress(len(r.rows) + number, total, f"Đang ghi trang tính Mốc {summary.milestone.number}")
    schools = [row.school for row in r.rows]
    _table(
        workbook.create_sheet("Phân công, vướng mắc"),
        f"Phân công và vướng mắc theo trường — năm học {r.year.name}",
        as_of(r),
        *duties_table(duty_rows(r.plan, schools, r.today)),
        freeze="C4",
    )
    for part in r.parts:
        _table(workbook.create_sheet(part.sheet_name), part.title, as_of(r), *part.table(), freeze="B4")
    _table(
        workbook.create_sheet("Đối tác"),
        f"Đối tác hợp tác giáo dục AI — năm học {r.year.name}",
        as_of(r),
        *partners_export.partners_table(partners_export.figures_of(r)),
        freeze="C4",
    )
    _table(
        workbook.create_sheet("Công cụ AI"),
        f"Công cụ, nền tảng AI dùng với học sinh — năm học {r.year.name}",
        as_of(r),
        *tools_export.tools_table(tools_export.figures_of(r)),
        freeze="C4",
    )
    _table(
        workbook.create_sheet("Bồi dưỡng GV"),
        f"Tập huấn, bồi dưỡng giáo viên — năm học {r.year.name}",
        as_of(r),
        *training_table(training_by_school(r.plan, schools)),
        freeze="B4",
    )
    _table(
        workbook.create_sheet("Lớp thí điểm"),
        f"Kết quả các lớp thí điểm (hình thức 2.2) — năm học {r.year.name}",
        as_of(r),
        *pilot_table(pilot_by_school(r.plan, schools)),
        freeze="B4",
    )
    if progress is not None:
        progress(total - 1, total, "Đang lưu tệp Excel")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value, style: str | None = None, **formats) -> WriteOnlyCell:
    """A cell whose text is always text: openpyxl would store "=…" (a supervisor's reason, a name
    edited in the plan) as a formula that Excel runs on opening."""
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if style:
        cell.style = style
    for name, format_ in formats.items():
        setattr(cell, name, format_)
    return cell


def _table(
    sheet,
    title: str,
    subtitle: str,
    headers: list[str],
    rows: list[list],
    *,
    freeze: str,
    widths: dict | None = None,
    header_rows: Sequence[list] = (),
    merged_headers: int = 0,
    formats: dict | None = None,
    on_row: Callable[[int], None] | None = None,
) -> None:
    """A title and subtitle (rows 1–2), then `header_rows` if any, the headers and the rows: numbers stay
    numbers, dates show as dd/mm/yyyy, and each column is as wide as its longest value (up to MAX_WIDTH or
    its given width, then wrapped). The first `merged_headers` headers are left blank, merged into the
    row above, but still size their columns. `formats`: a number format by column."""
    longest = {col: len(str(h)) // 2 + 2 for col, h in enumerate(headers, start=1)}  # headers wrap
    limits = {col: min((widths or {}).get(col, MAX_WIDTH), MAX_WIDTH) for col in longest}
    for row in rows:
        for col, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            longest[col] = max(longest[col], 11 if isinstance(value, date) else len(str(value)) + 2)
    for col, width in longest.items():
        sheet.column_dimensions[get_column_letter(col)].width = max(min(width, limits[col]), 6)
    first = 3 + len(header_rows)  # the row of `headers`
    for number in range(3, first + 1):
        sheet.row_dimensions[number].height = HEADER_HEIGHT
    sheet.freeze_panes = freeze
    _print_setup(sheet, header_rows=f"3:{first}")

    sheet.append([_cell(sheet, title, font=TITLE)])
    sheet.append([_cell(sheet, subtitle)])
    for header_row in header_rows:
        sheet.append(header_row)
    sheet.append(
        [
            _cell(sheet, None if col <= merged_headers else value, "rollup_header")
            for col, value in enumerate(headers, start=1)
        ]
    )
    wrapped = {col for col, width in longest.items() if width > limits[col]}
    for number, row in enumerate(rows, start=1):
        sheet.append(
            [
                _data_cell(sheet, value, col in wrapped and len(str(value)) + 2 > limits[col], (formats or {}).get(col))
                for col, value in enumerate(row, start=1)
            ]
        )
        if on_row is not None:
            on_row(number)


def _print_setup(sheet, header_rows: str) -> None:
    """Print on A4 landscape, as wide as one page (as many pages down as it takes), the header rows
    repeated on each page and the page number in the footer: the ward files the printout, and a
    sheet of 30 schools otherwise came out as 46 portrait pages cut across the columns."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = header_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "Trang &P / &N"


def _data_cell(sheet, value, wrap: bool, number_format: str | None):
    """The value itself where it needs no style (most cells), else a styled cell."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return _cell(sheet, value, number_format=DATE_FORMAT)
    if wrap:
        return _cell(sheet, value, alignment=TEXT_ALIGN)
    if number_format:
        return _cell(sheet, value, number_format=number_format)
    if isinstance(value, str) and value.startswith("="):
        return _cell(sheet, value)
    return value


def _targets_sheet(sheet, r: Rollup) -> None:
    """Phụ lục II as printed in the plan, with the ward's result and then each school's."""
    fixed = [
        "STT",
        "Cấp học / Đối tượng triển khai",
        "Đơn vị quản lý, chỉ đạo",
        "Chỉ tiêu triển khai tối thiểu",
        "Hình thức tổ chức thực hiện",
        "Minh chứng thực hiện",
        "Đơn vị tính",
        "Số trường đạt",
        "Số trường áp dụng",
        "Tỷ lệ đạt",
        "Đánh giá",
    ]
    rows = []
    for s in r.targets:
        t = s.target
        line = [
            t.stt,
            t.category,
            t.managing_body,
            t.minimum,
            t.forms_text,
            t.evidence_text,
            unit_of(t),
            s.met_count,
            s.total,
            s.met_count / s.total if s.total else None,
            met_text(s.met),
        ]
        for row in r.rows:
            mine = next((st for st in row.targets if st.target.id == t.id), None)
            line += [mine.amount, met_text(mine.actual.met)] if mine else [None, "Không áp dụng"]
        rows.append(line)
    # Each fixed header spans the two header rows; a school's name is over its two columns.
    names = [_cell(sheet, value, "rollup_header") for value in fixed]
    for row in r.rows:
        names += [_cell(sheet, row.school.name, "rollup_group"), _cell(sheet, None, "rollup_group")]
    for col in range(1, len(fixed) + 1):
        letter = get_column_letter(col)
        sheet.merged_cells.add(f"{letter}3:{letter}4")
    _table(
        sheet,
        f"Phụ lục II. Kết quả thực hiện chỉ tiêu giáo dục AI — năm học {r.year.name}",
        as_of(r),
        fixed + ["Kết quả", "Đánh giá"] * len(r.rows),
        rows,
        freeze="B5",
        header_rows=[names],
        merged_headers=len(fixed),
        widths={1: 6, 2: 24, 3: 16, 4: 40, 5: 30, 6: 30, 7: 12, 8: 10, 9: 10, 10: 9, 11: 11}
        | dict.fromkeys(range(12, 12 + 2 * len(r.rows)), 16),
        formats={10: "0%"},
    )


def _milestone_sheet(sheet, r: Rollup, summary) -> None:
    """A milestone's schools (and the ward, for its own part) with status, dates and verdict."""
    m = summary.milestone
    schools = (
        f" Các trường hoàn thành {summary.done}/{summary.required} mục bắt buộc, "
        f"đúng hạn {summary.on_time}/{summary.done}."
        if summary.school_count
        else ""
    )
    headers = [
        "STT",
        "Đơn vị",
        "Cấp học",
        "Trường thí điểm",
        "Bắt buộc",
        "Trạng thái",
        "Hạn hoàn thành",
        "Ngày hoàn thành",
        "Đúng hạn",
        "Quá hạn",
        "Kết quả kiểm tra",
        "Nội dung cần bổ sung",
    ]
    entries = [(f"{r.plan.ward.name} (việc của phường)", "", "", summary.ward_item)] if summary.ward_item else []
    entries += [
        (school.name, str(school.level.label), YES if r.plan.is_pilot(school) else NO, item)
        for school, item in r.milestone_items(summary)
    ]
    rows = [
        [
            number,
            name,
            level,
            pilot,
            YES if item.required else "Khuyến khích",
            str(item.status.label),
            item.due_on,
            item.completed_on,
            (YES if item.on_time else NO) if item.done else "",
            YES if item.late else NO,
            verdict_text(item) if item.school_id else "",
            item.verdict_reason,
        ]
        for number, (name, level, pilot, item) in enumerate(entries, start=1)
    ]
    _table(
        sheet,
        f"Mốc {m.number}. {m.title}",
        f"{m.timing_text}; thực hiện: {m.owner_text}.{schools} {as_of(r)}",
        headers,
        rows,
        freeze="C4",
    )
