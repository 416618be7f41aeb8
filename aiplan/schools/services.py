"""Importing the ward's schools from a CSV file, all or nothing."""
import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import audit
from ..checklists.services import sync_checklists
from ..extensions import db
from ..models import Plan, School, SchoolLevel, Ward

# Offices name their columns in Vietnamese; the English names are accepted too.
COLUMNS = {
    "slug": ("slug", "mã"),
    "name": ("tên trường", "name", "tên"),
    "level": ("cấp học", "level"),
    "pilot": ("thí điểm", "pilot"),
    "active": ("hoạt động", "active"),
}
REQUIRED_COLUMNS = ("slug", "name", "level")
LEVELS = {"tiểu học": SchoolLevel.TIEU_HOC, "th": SchoolLevel.TIEU_HOC, "tieu_hoc": SchoolLevel.TIEU_HOC,
          "thcs": SchoolLevel.THCS, "trung học cơ sở": SchoolLevel.THCS,
          "liên cấp": SchoolLevel.LIEN_CAP, "lien_cap": SchoolLevel.LIEN_CAP}
YES = {"có", "x", "1", "true", "yes", "c"}
NO = {"không", "0", "false", "no", "k"}
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class SchoolImportError(Exception):
    """A schools file that was refused; `problems` names each bad row and column."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    items_added: int = 0


def parse_schools_csv(raw: bytes) -> list[dict]:
    """Read a schools CSV (UTF-8, with or without BOM); raise SchoolImportError listing every bad row."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SchoolImportError(["Tệp không phải UTF-8. Trong Excel, hãy lưu dạng “CSV UTF-8”."]) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    column_of = {}
    for name, aliases in COLUMNS.items():
        found = next((headers[a] for a in aliases if a in headers), None)
        if found is not None:
            column_of[name] = found
    missing = [COLUMNS[name][0] for name in REQUIRED_COLUMNS if name not in column_of]
    if missing:
        raise SchoolImportError([f"Thiếu cột: {', '.join(missing)}"])

    rows, problems, seen = [], [], {}
    for raw_row in reader:
        line = reader.line_num  # the file's own line: blank lines are skipped by the reader
        def cell(name, default=""):
            column = column_of.get(name)
            return (raw_row.get(column) or default).strip() if column else default

        slug, name, level_text = cell("slug").lower(), cell("name"), cell("level").lower()
        if not any((raw_row.get(c) or "").strip() for c in column_of.values()):
            continue  # a blank line
        row_problems = []
        if not SLUG.fullmatch(slug):
            row_problems.append(f"cột slug: '{slug}' chỉ được gồm chữ thường không dấu, số và dấu '-'")
        elif slug in seen:
            row_problems.append(f"cột slug: '{slug}' trùng với dòng {seen[slug]}")
        else:
            seen[slug] = line
        if not name:
            row_problems.append("cột tên trường: không được để trống")
        if level_text not in LEVELS:
            row_problems.append(f"cột cấp học: '{cell('level')}' không hợp lệ; dùng tiểu học, THCS hoặc liên cấp")
        flags = {}
        for flag, default in (("pilot", "không"), ("active", "có")):
            value = cell(flag).lower() or default
            if value in YES:
                flags[flag] = True
            elif value in NO:
                flags[flag] = False
            else:
                row_problems.append(f"cột {COLUMNS[flag][0]}: '{cell(flag)}' phải là “có” hoặc “không”")
        if row_problems:
            problems.extend(f"Dòng {line}, {p}" for p in row_problems)
            continue
        rows.append({"slug": slug, "name": name, "level": LEVELS[level_text],
                     "is_pilot": flags["pilot"], "is_active": flags["active"]})
    if problems:
        raise SchoolImportError(problems)
    if not rows:
        raise SchoolImportError(["Tệp không có dòng dữ liệu nào"])
    return rows


def import_schools(ward: Ward, rows: list[dict], actor=None) -> ImportReport:
    """Create or update the schools of `rows` in `ward` and their checklists; commit or change nothing.

    Schools missing from the file are left as they are: a list is added to, never pruned.
    """
    report = ImportReport()
    try:
        existing = {s.slug: s for s in db.session.scalars(select(School).where(
            School.slug.in_([row["slug"] for row in rows])))}
        problems = [f"Trường '{slug}' đã thuộc phường khác" for slug, s in existing.items()
                    if s.ward_id != ward.id]
        if problems:
            raise SchoolImportError(problems)
        touched = []
        for row in rows:
            school = existing.get(row["slug"])
            if school is None:
                school = School(ward=ward, **row)
                db.session.add(school)
                db.session.flush()
                audit.record("school.create", school, school_id=school.id, ward_id=ward.id, actor=actor,
                             after=_describe(school))
                report.created.append(school.slug)
                touched.append(school)
                continue
            before = _describe(school)
            for attr, value in row.items():
                setattr(school, attr, value)
            after = _describe(school)
            if before == after:
                report.unchanged += 1
                continue
            audit.record("school.update", school, school_id=school.id, ward_id=ward.id, actor=actor,
                         before=before, after=after)
            report.updated.append(school.slug)
            touched.append(school)
        db.session.flush()
        active = [school for school in touched if school.is_active]
        for plan in db.session.scalars(select(Plan).filter_by(ward_id=ward.id)):
            report.items_added += sync_checklists(plan, active) if active else 0
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _describe(school: School) -> dict:
    return {"slug": school.slug, "name": school.name, "level": school.level.value,
            "is_pilot": school.is_pilot, "is_active": school.is_active}
