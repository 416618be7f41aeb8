"""The rollup as JSON, CSV and XLSX, written from the same read model as the page.

Exports are documents for the offices above the ward: their headers and labels are the
plan's Vietnamese whatever the reader's interface language. No file is ever named in them
(restricted ones are only counted).
"""
import csv
import io
import re
import unicodedata
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..timeutil import LOCAL_TZ
from .readmodel import ItemState, Rollup, SchoolRow

YES, NO = "Có", "Không"


def item_status_text(item: ItemState | None) -> str:
    """"Đã hoàn thành", with "(khuyến khích)" for an item the school is only encouraged to do."""
    if item is None:
        return ""
    return item.status.label + ("" if item.required else " (khuyến khích)")


def verdict_text(item: ItemState | None) -> str:
    if item is None:
        return ""
    if item.shown_verdict == "resubmitted":
        return f"{item.verdict.label} (trường đã sửa, chờ kiểm tra lại)"
    return item.verdict.label


def met_text(met: bool | None) -> str:
    return "" if met is None else ("Đạt" if met else "Chưa đạt")


def unit_of(target) -> str:
    return "hoạt động lồng ghép" if target.measure == "integration_share" else "lớp"


# -- one row per school: the CSV, and the "Theo trường" sheet --------------------------------------

def school_table(r: Rollup) -> tuple[list[str], list[list]]:
    """Headers and one row per school, with numbers as numbers."""
    headers = ["STT", "Mã trường", "Tên trường", "Cấp học", "Trường thí điểm", "Số mục bắt buộc",
               "Đã hoàn thành", "Tỷ lệ hoàn thành (%)", "Đã xác minh đạt", "Cần bổ sung", "Quá hạn"]
    for summary in r.school_milestones:
        number = summary.milestone.number
        headers += [f"Mốc {number}: trạng thái", f"Mốc {number}: kết quả kiểm tra"]
    for summary in r.targets:
        stt = summary.target.stt
        headers += [f"STT {stt}: kết quả (số {unit_of(summary.target)})", f"STT {stt}: đánh giá"]
    headers += ["Minh chứng phải có", "Minh chứng đã hoàn thành", "Minh chứng đạt"]
    for form in r.forms:
        headers += [f"Số hoạt động ({form.short})", f"Người tham gia ({form.short})", f"Số tiết ({form.short})"]
    headers += ["Lượt học sinh tham gia (2.1–2.3)", "Số tiết dạy về AI (2.1–2.3)", "Lượt giáo viên được bồi dưỡng",
                "Tệp minh chứng", "Trong đó tệp hạn chế", "Đã được kiểm tra giữa HK II"]
    return headers, [_school_line(r, number, row) for number, row in enumerate(r.rows, start=1)]


def _school_line(r: Rollup, number: int, row: SchoolRow) -> list:
    school = row.school
    line = [number, school.slug, school.name, school.level.label, YES if row.pilot else NO, row.required,
            row.done, row.percent, row.verified, row.needs_more, row.late]
    for summary in r.school_milestones:
        item = row.by_milestone.get(summary.milestone.id)
        line += [item_status_text(item), verdict_text(item)]
    by_target = {t.target.id: t for t in row.targets}
    for summary in r.targets:
        mine = by_target.get(summary.target.id)
        line += [mine.amount, met_text(mine.actual.met)] if mine else [None, ""]
    line += [len(row.evidence_items), row.evidence_done, row.evidence_verified]
    for form in r.forms:
        own = row.forms[form.form.code]
        line += [own.activities, own.participants, own.lessons]
    line += [row.pupils, row.lessons_taught, row.teachers_trained, row.evidence_files, row.restricted_files,
             YES if row.inspected else NO]
    return line


def to_csv(r: Rollup) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Vietnamese correctly; one row per school."""
    headers, rows = school_table(r)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- JSON ------------------------------------------------------------------------------------------

def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _item_json(item: ItemState) -> dict:
    return {"required": item.required, "status": item.status.value, "verdict": item.verdict.value,
            "resubmitted": item.resubmitted, "due_on": _iso(item.due_on), "completed_on": _iso(item.completed_on),
            "on_time": item.on_time, "late": item.late}


def to_json(r: Rollup) -> dict:
    """An object with `schools` and `targets` (and the milestones and totals) for other systems."""
    return {
        "ward": r.plan.ward.name,
        "school_year": r.year.name,
        "plan": {"number": r.plan.number, "title": r.plan.title},
        "generated_at": r.generated_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
        "scope": r.single_school.slug if r.single_school else "ward",
        "schools": [_school_json(row, r.plan.milestones) for row in r.rows],
        "targets": [{
            "stt": s.target.stt, "category": s.target.category, "target": s.target.minimum,
            "actual": s.met_count, "of": s.total, "percent": s.percent, "required_percent": s.required_percent,
            "met": s.met} for s in r.targets],
        "milestones": [{
            "number": s.milestone.number, "title": s.milestone.title, "for_schools": s.milestone.for_schools,
            "required": s.required, "done": s.done, "on_time": s.on_time, "on_time_percent": s.on_time_percent,
            "late": s.late, "verified": s.verified, "due_on": _iso(s.due_on),
            "ward": _item_json(s.ward_item) if s.ward_item else None} for s in r.milestones],
        "totals": {
            "schools": len(r.rows),
            "items": {"total": r.total("required"), "done": r.total("done"), "verified": r.total("verified"),
                      "late": r.total("late")},
            "activities": {f.form.code: f.activities for f in r.forms},
            "participants": {f.form.code: f.participants for f in r.forms},
            "lessons": {f.form.code: f.lessons for f in r.forms},
            "pupils": r.total("pupils"), "lessons_taught": r.total("lessons_taught"),
            "teachers_trained": r.total("teachers_trained"),
            "pilot_class_content_areas": {c.area.code: c.classes for c in r.coverage},
            "evidence_files": r.total("evidence_files"), "restricted_files": r.total("restricted_files"),
        },
    }


def _school_json(row: SchoolRow, milestones) -> dict:
    school = row.school
    forms = row.forms.values()
    return {
        "slug": school.slug, "name": school.name, "level": school.level.value, "pilot": row.pilot,
        "items": {"total": row.required, "done": row.done, "verified": row.verified, "late": row.late,
                  "needs_more": row.needs_more},
        "milestones": {str(m.number): _item_json(row.by_milestone[m.id])
                       for m in milestones if m.id in row.by_milestone},
        "evidence_items": {"total": len(row.evidence_items), "done": row.evidence_done,
                           "verified": row.evidence_verified},
        "activities": {f.form.code: f.activities for f in forms},
        "pupils": {f.form.code: f.participants for f in forms if f.teaching},
        "lessons": {f.form.code: f.lessons for f in forms},
        "teachers_trained": row.teachers_trained,
        "targets_met": {str(stt): met for stt, met in row.targets_met.items()},
        "target_actuals": {str(t.target.stt): t.amount for t in row.targets},
        "evidence_files": row.evidence_files,
        "inspected": row.inspected,
    }


# -- XLSX -----------------------------------------------------------------------------------------

BOLD = Font(bold=True)
THIN = Side(style="thin", color="8A939D")
HEADER = NamedStyle("rollup_header", font=BOLD, fill=PatternFill("solid", fgColor="E7EEF7"),
                    border=Border(left=THIN, right=THIN, top=THIN, bottom=THIN),
                    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
# A school's name over its two columns, centred across them without merging (merges cost seconds at 500).
GROUP = NamedStyle("rollup_group", font=BOLD, fill=HEADER.fill, border=HEADER.border,
                   alignment=Alignment(horizontal="centerContinuous", vertical="center"))
TEXT_ALIGN = Alignment(vertical="top", wrap_text=True)
DATE_FORMAT = "DD/MM/YYYY"
MAX_WIDTH = 45


def to_xlsx(r: Rollup) -> bytes:
    """Phụ lục II filled with each school's results, one row per school, and a sheet per milestone."""
    workbook = Workbook()
    workbook.add_named_style(HEADER)
    workbook.add_named_style(GROUP)
    _targets_sheet(workbook.active, r)
    sheet = workbook.create_sheet("Theo trường")
    _title(sheet, f"Tổng hợp theo trường — năm học {r.year.name}", _as_of(r))
    _table(sheet, 3, *school_table(r))
    sheet.freeze_panes = "D4"
    for summary in r.milestones:
        if summary.school_items or summary.ward_item:
            _milestone_sheet(workbook.create_sheet(f"Mốc {summary.milestone.number}"), r, summary)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _as_of(r: Rollup) -> str:
    return f"Số liệu đến ngày {r.today:%d/%m/%Y}, {r.plan.ward.name}"


def _title(sheet, title: str, subtitle: str) -> None:
    sheet["A1"], sheet["A2"] = title, subtitle
    sheet["A1"].font = Font(bold=True, size=13)


def _header(cell, value, style: str = "rollup_header") -> None:
    cell.value = value
    cell.style = style


def _table(sheet, first_row: int, headers: list[str], rows: list[list], widths: dict | None = None) -> None:
    """Headers on `first_row`, then the rows: numbers stay numbers, dates show as dd/mm/yyyy, and each
    column is as wide as its longest value (up to MAX_WIDTH or its given width, then wrapped)."""
    longest = {col: len(str(h)) // 2 + 2 for col, h in enumerate(headers, start=1)}  # headers wrap
    limits = {col: min((widths or {}).get(col, MAX_WIDTH), MAX_WIDTH) for col in longest}
    for col, value in enumerate(headers, start=1):
        _header(sheet.cell(first_row, col), value)
    # Data cells get a style only where they need one.
    for offset, row in enumerate(rows, start=1):
        for col, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = sheet.cell(first_row + offset, col, value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
                longest[col] = max(longest[col], 11)
                continue
            width = len(str(value)) + 2
            if width > limits[col]:
                cell.alignment = TEXT_ALIGN
            longest[col] = max(longest[col], width)
    for col, width in longest.items():
        sheet.column_dimensions[get_column_letter(col)].width = max(min(width, limits[col]), 6)
    sheet.row_dimensions[first_row].height = 48


def _targets_sheet(sheet, r: Rollup) -> None:
    """Phụ lục II as printed in the plan, with the ward's result and then each school's."""
    sheet.title = "Phụ lục II"
    _title(sheet, f"Phụ lục II. Kết quả thực hiện chỉ tiêu giáo dục AI — năm học {r.year.name}", _as_of(r))
    fixed = ["STT", "Cấp học / Đối tượng triển khai", "Đơn vị quản lý, chỉ đạo", "Chỉ tiêu triển khai tối thiểu",
             "Hình thức tổ chức thực hiện", "Minh chứng thực hiện", "Đơn vị tính", "Số trường đạt",
             "Số trường áp dụng", "Tỷ lệ đạt", "Đánh giá"]
    rows = []
    for s in r.targets:
        t = s.target
        line = [t.stt, t.category, t.managing_body, t.minimum, t.forms_text, t.evidence_text, unit_of(t),
                s.met_count, s.total, s.met_count / s.total if s.total else None, met_text(s.met)]
        mine = {school.id: st for school, st in s.schools}
        for row in r.rows:
            st = mine.get(row.school.id)
            line += [st.amount, met_text(st.actual.met)] if st else [None, "Không áp dụng"]
        rows.append(line)
    headers = fixed + ["Kết quả", "Đánh giá"] * len(r.rows)
    _table(sheet, 4, headers, rows, widths={1: 6, 2: 24, 3: 16, 4: 40, 5: 30, 6: 30, 7: 12, 8: 10, 9: 10, 10: 9,
                                            11: 11} | {col: 16 for col in range(12, 12 + 2 * len(r.rows))})
    for col, value in enumerate(fixed, start=1):  # each fixed header spans the two header rows
        _header(sheet.cell(3, col), value)
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for index, row in enumerate(r.rows):
        col = len(fixed) + 1 + 2 * index
        _header(sheet.cell(3, col), row.school.name, "rollup_group")
        _header(sheet.cell(3, col + 1), None, "rollup_group")
    for line in range(5, 5 + len(rows)):
        sheet.cell(line, 10).number_format = "0%"
    sheet.row_dimensions[3].height = 48
    sheet.freeze_panes = "B5"


def _milestone_sheet(sheet, r: Rollup, summary) -> None:
    """A milestone's schools (and the ward, for its own part) with status, dates and verdict."""
    m = summary.milestone
    schools = (f" Các trường hoàn thành {summary.done}/{summary.required} mục bắt buộc, "
               f"đúng hạn {summary.on_time}/{summary.done}." if summary.school_items else "")
    _title(sheet, f"Mốc {m.number}. {m.title}", f"{m.timing_text}; thực hiện: {m.owner_text}.{schools} {_as_of(r)}")
    headers = ["STT", "Đơn vị", "Cấp học", "Trường thí điểm", "Bắt buộc", "Trạng thái", "Hạn hoàn thành",
               "Ngày hoàn thành", "Đúng hạn", "Quá hạn", "Kết quả kiểm tra", "Nội dung cần bổ sung"]
    entries = ([(f"{r.plan.ward.name} (việc của phường)", "", "", summary.ward_item)] if summary.ward_item else [])
    entries += [(school.name, school.level.label, YES if r.plan.is_pilot(school) else NO, item)
                for school, item in summary.school_items]
    rows = [[number, name, level, pilot, YES if item.required else "Khuyến khích", item.status.label, item.due_on,
             item.completed_on, (YES if item.on_time else NO) if item.done else "", YES if item.late else NO,
             verdict_text(item) if item.school_id else "", item.verdict_reason]
            for number, (name, level, pilot, item) in enumerate(entries, start=1)]
    _table(sheet, 3, headers, rows)
    sheet.freeze_panes = "C4"


# -- download names --------------------------------------------------------------------------------

def download_name(r: Rollup, extension: str) -> tuple[str, str]:
    """(Vietnamese name, ASCII fallback) for the Content-Disposition of an export."""
    name = f"Tổng hợp giáo dục AI năm học {r.year.name}"
    if r.single_school is not None:
        name += f" - {r.single_school.name}"
    return f"{name}.{extension}", f"{ascii_slug(name)}.{extension}"


def ascii_slug(text: str) -> str:
    """"Tổng hợp – Đoàn Kết" -> "tong-hop-doan-ket": đ is a letter of its own, not a d with a mark."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "tong-hop"

