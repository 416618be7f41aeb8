"""The ward's schools: one saved from a form, or many imported from a file, all or nothing.

Both go through `apply_schools`, so one code path decides what a school change does (audit,
pilot flags of the plans that may still change, checklists)."""

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import audit
from ..checklists.services import sync_checklists
from ..documents.tables import NOT_UTF8, ImportFileError, cells_of, match_columns
from ..extensions import db
from ..inputs import cell_problem, formula_start
from ..models import School, SchoolLevel, Ward
from ..schoolyear import current_plan_or_none, open_plans

# Offices name their columns in Vietnamese; the English names are accepted too.
COLUMNS = {
    "slug": ("slug", "mã"),
    "name": ("tên trường", "name", "tên"),
    "level": ("cấp học", "level"),
    "pilot": ("thí điểm", "pilot"),
    "active": ("hoạt động", "active"),
    # The Ministry's school code (mã trường in the CSDL ngành): the school's key across the city.
    "code": ("mã csdl", "code", "mã định danh"),
}
REQUIRED_COLUMNS = ("slug", "name", "level")
LEVELS = {
    "tiểu học": SchoolLevel.TIEU_HOC,
    "th": SchoolLevel.TIEU_HOC,
    "tieu_hoc": SchoolLevel.TIEU_HOC,
    "thcs": SchoolLevel.THCS,
    "trung học cơ sở": SchoolLevel.THCS,
    "liên cấp": SchoolLevel.LIEN_CAP,
    "lien_cap": SchoolLevel.LIEN_CAP,
}
YES = {"có", "x", "1", "true", "yes", "c"}
NO = {"không", "0", "false", "no", "k"}
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
NAME_MAX = 200
SLUG_MAX = 80
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")


class SchoolImportError(ImportFileError):
    """A schools file that was refused; `problems` names each bad row and column."""


class SchoolFormError(ValueError):
    """A school from the form that cannot be saved; `errors` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


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
        raise SchoolImportError([NOT_UTF8]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        column_of = match_columns(next(reader, []), COLUMNS, REQUIRED_COLUMNS)
    except ImportFileError as missing:
        raise SchoolImportError(missing.problems) from None
    rows: list[dict] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num  # the file's own line: blank lines are skipped by the reader
        cells = cells_of(values, column_of)
        if not any(cells.values()):
            continue  # a blank line
        row, row_problems = check_school_row(cells, line, seen)
        problems.extend(f"Dòng {line}, {p}" for p in row_problems)
        if row is not None:
            rows.append(row)
    if problems:
        raise SchoolImportError(problems)
    if not rows:
        raise SchoolImportError(["Tệp không có dòng dữ liệu nào"])
    return rows


def check_school_row(cells: dict[str, str], line: int, seen: dict[str, int]) -> tuple[dict | None, list[str]]:
    """One row of a schools file as import_schools takes it, or None and the problems of each cell
    ("cột cấp học: …"). `seen` maps the slugs of earlier rows to their lines."""
    slug, name, level_text = cells.get("slug", "").lower(), cells.get("name", ""), cells.get("level", "").lower()
    # What the web import refuses in any cell (documents/tables.py), the command line refuses too.
    problems = [
        f"cột {COLUMNS[column][0]}: {problem}" for column, value in cells.items() if (problem := cell_problem(value))
    ]
    if problems:
        return None, problems
    if not SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
        problems.append(f"cột slug: '{slug}' chỉ được gồm chữ thường không dấu, số và dấu '-'")
    elif slug in seen:
        problems.append(f"cột slug: '{slug}' trùng với dòng {seen[slug]}")
    else:
        seen[slug] = line
    code = cells.get("code", "").strip()
    if code and not CODE.fullmatch(code):
        problems.append(f"cột mã CSDL: '{code}' chỉ gồm chữ, số, '.', '_' hoặc '-', tối đa 20 ký tự")
    elif code and f"code:{code}" in seen:
        problems.append(f"cột mã CSDL: '{code}' trùng với dòng {seen[f'code:{code}']}")
    elif code:
        seen[f"code:{code}"] = line
    if not name:
        problems.append("cột tên trường: không được để trống")
    elif len(name) > NAME_MAX:
        problems.append(f"cột tên trường: dài quá {NAME_MAX} ký tự")
    if level_text not in LEVELS:
        problems.append(f"cột cấp học: '{cells.get('level', '')}' không hợp lệ; dùng tiểu học, THCS hoặc liên cấp")
    flags = {}
    for flag, default in (("pilot", "không"), ("active", "có")):
        value = cells.get(flag, "").lower() or default
        if value in YES:
            flags[flag] = True
        elif value in NO:
            flags[flag] = False
        else:
            problems.append(f"cột {COLUMNS[flag][0]}: '{cells.get(flag, '')}' phải là “có” hoặc “không”")
    if problems:
        return None, problems
    return {
        "slug": slug,
        "name": name,
        "level": LEVELS[level_text],
        "is_pilot": flags["pilot"],
        "is_active": flags["active"],
    } | ({"code": code} if code else {}), []


def save_school(ward: Ward, row: dict, actor, *, new: bool) -> ImportReport:
    """Add (`new`) or change one school of `ward` from the admin's form, as an import of one row. Commits.

    The slug names the school in every URL, so it is chosen once and never changed.
    """
    errors = {}
    slug, name = row["slug"], row["name"].strip()
    existing = db.session.scalar(select(School).filter_by(slug=slug, ward_id=ward.id))
    if new:
        if not SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
            errors["slug"] = "Mã trường chỉ gồm chữ thường không dấu, số và dấu '-', ví dụ th-doan-ket."
        elif existing is not None:
            errors["slug"] = f"Mã '{slug}' đã được dùng cho một trường khác; hãy chọn mã khác."
    elif existing is None:
        raise LookupError(slug)
    if not name:
        errors["name"] = "Nhập tên trường."
    elif len(name) > NAME_MAX or formula_start(name) is not None:
        errors["name"] = f"Tên trường tối đa {NAME_MAX} ký tự và không bắt đầu bằng =, +, - hoặc @."
    if errors:
        raise SchoolFormError(errors)
    return import_schools(ward, [row | {"name": name}], actor)


def import_schools(ward: Ward, rows: list[dict], actor=None) -> ImportReport:
    """Create or update the schools of `rows` in `ward` and their checklists; commit or change nothing."""
    try:
        report = apply_schools(ward, rows, actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def lock_schools(ward_id: int, slugs: list[str]) -> list[School]:
    """Lock, until commit, the ward's schools of `slugs`, in id order; reread them as committed.
    Every writer locks the rows it changes before the audit head (admin/services.py)."""
    if not slugs:
        return []
    return list(
        db.session.scalars(
            select(School)
            .where(School.ward_id == ward_id, School.slug.in_(slugs))
            .order_by(School.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def apply_schools(ward: Ward, rows: list[dict], actor=None) -> ImportReport:
    """Create or update the schools of `rows` in `ward` and their checklists, in the session (not committed).

    Schools missing from the file are left as they are: a list is added to, never pruned.
    """
    report = ImportReport()
    slugs = [row["slug"] for row in rows]
    lock_schools(ward.id, slugs)  # the rows before the audit head, which audit.record takes
    existing = {
        s.slug: s for s in db.session.scalars(select(School).where(School.ward_id == ward.id, School.slug.in_(slugs)))
    }
    # A code is one school's across the city: refused when another school, of any ward, has it.
    codes = {row["code"]: row["slug"] for row in rows if row.get("code")}
    problems = [
        f"Mã CSDL '{other.code}' đã là của {other.name} ({other.ward.name}); không dùng được cho '{codes[other.code]}'"
        for other in db.session.scalars(select(School).where(School.code.in_(codes)).order_by(School.code))
        if not (other.ward_id == ward.id and other.slug == codes[other.code])
    ]
    if problems:
        raise SchoolImportError(problems)
    touched = []
    for row in rows:
        school = existing.get(row["slug"])
        if school is None:
            school = School(ward=ward, **row)
            db.session.add(school)
            db.session.flush()
            audit.record(
                "school.create", school, school_id=school.id, ward_id=ward.id, actor=actor, after=describe(school)
            )
            report.created.append(school.slug)
            touched.append(school)
            continue
        before = describe(school)
        for attr, value in row.items():
            setattr(school, attr, value)
        after = describe(school)
        if before == after:
            report.unchanged += 1
            continue
        audit.record(
            "school.update", school, school_id=school.id, ward_id=ward.id, actor=actor, before=before, after=after
        )
        report.updated.append(school.slug)
        touched.append(school)
    db.session.flush()
    active = [school for school in touched if school.is_active]
    current = current_plan_or_none(ward.id)
    for plan in open_plans(ward.id):  # a past year keeps its schools and pilots as they were
        if plan is current:  # a year in preparation gets its pilots from years.services.set_pilots
            for school in touched:
                plan.set_pilot(school, school.is_pilot and school.is_active)
        report.items_added += sync_checklists(plan, active) if active else 0
    return report


def describe(school: School) -> dict:
    return ({"code": school.code} if school.code else {}) | {
        "slug": school.slug,
        "name": school.name,
        "level": school.level.value,
        "is_pilot": school.is_pilot,
        "is_active": school.is_active,
    }
