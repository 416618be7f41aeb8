"""What an uploaded list would change, row by row (thêm / cập nhật / không đổi), or why a row is
refused ("Dòng 4, cột vai trò: …"); then all of it applied in one transaction, or none.

The same planning runs for the preview and again at the confirmation, so the preview is never
trusted: what is imported is what the file says against the database as it is then."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..auth.services import USERNAME, add_user, temporary_password
from ..documents.tables import ImportFileError, Table, cells_of, formula_problem, match_columns, normalize
from ..extensions import db
from ..inputs import BadEmail, clean_email
from ..models import Role, School, User, Ward
from .schools import COLUMNS as SCHOOL_COLUMNS
from .schools import NO, YES, ImportReport, apply_schools, check_school_row
from .schools import REQUIRED_COLUMNS as SCHOOL_REQUIRED
from .schools import describe as describe_school
from .services import KEEP, LAST_ADMIN, apply_enabled, lock_accounts, update_account

ACCOUNT_COLUMNS = {
    "username": ("tên đăng nhập", "username"),
    "full_name": ("họ tên", "họ và tên", "full name", "full_name"),
    "role": ("vai trò", "role"),
    "school": ("trường", "school"),
    "active": ("hoạt động", "active"),
    "email": ("email", "e-mail", "thư điện tử"),  # optional; without the column an update keeps the address
}
ACCOUNT_REQUIRED = ("username", "full_name", "role")
# An office's list names roles in Vietnamese: the labels read here, outside any request, are the msgids.
ROLES = (
    {role.value: role for role in Role}
    | {str(role.label).lower(): role for role in Role}
    | {"lãnh đạo": Role.VIEWER, "đoàn kiểm tra": Role.SUPERVISOR}
)
ROLE_HINT = "dùng " + ", ".join(str(role.label) for role in Role)
MAX_NEW_ACCOUNTS = 200  # each costs a deliberately slow password hash
HEADER_SEARCH = 10  # offices often put a title above the header row
NEW, UPDATE, SAME = "thêm", "cập nhật", "không đổi"


@dataclass
class PlannedRow:
    where: str  # "Dòng 4", or "Trang tính “Tài khoản”, dòng 4"
    shown: dict[str, str]  # the row as the preview shows it
    data: dict | None = None  # what will be saved; None when refused
    action: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def accepted_data(self) -> dict:
        """`data` of a row that was not refused, as every row of a plan without problems is."""
        assert self.data is not None
        return self.data


@dataclass
class ImportPlan:
    schools: list[PlannedRow] = field(default_factory=list)
    accounts: list[PlannedRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each names its row and column
    notes: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.schools) + len(self.accounts)

    @property
    def ok(self) -> bool:
        return not self.problems and self.row_count > 0


@dataclass
class ImportResult:
    schools: ImportReport
    created: list[tuple[User, str]]  # new accounts with their temporary password
    updated: list[str]
    unchanged: int


def plan_import(ward: Ward, tables: list[Table]) -> ImportPlan:
    """Read the tables as lists of schools and accounts and say what each row would do."""
    plan = ImportPlan()
    school_tables: list[tuple] = []  # (table, header row, column of each field)
    account_tables: list[tuple] = []
    for table in tables:
        try:
            found = _find_header(table)
        except ImportFileError as missing:
            plan.problems.extend(f"{_place(table)}{p}" for p in missing.problems)
            continue
        if found is None:
            if table.sheet is not None and table.rows:
                plan.notes.append(f"Bỏ qua trang tính “{table.sheet}”: không có hàng tiêu đề của danh sách.")
            continue
        kind, start, column_of = found
        (school_tables if kind == "schools" else account_tables).append((table, start, column_of))
    if not school_tables and not account_tables and not plan.problems:
        plan.problems.append(
            "Không nhận ra danh sách: cần hàng tiêu đề với các cột slug, tên trường, cấp học "
            "(danh sách trường) hoặc tên đăng nhập, họ tên, vai trò (danh sách tài khoản)."
        )
    seen: dict[str, int] = {}
    for table, start, column_of in school_tables:
        plan.schools.extend(_plan_school_rows(ward, table, start, column_of, seen))
    known = _school_index(ward, [row.data for row in plan.schools if row.data])
    seen = {}
    for table, start, column_of in account_tables:
        plan.accounts.extend(_plan_account_rows(ward, table, start, column_of, seen, known))
    for row in plan.schools + plan.accounts:
        plan.problems.extend(f"{row.where}, {p}" for p in row.problems)
    if school_tables + account_tables and not plan.row_count:
        plan.problems.append("Tệp không có dòng dữ liệu nào")
    if sum(row.action == NEW for row in plan.accounts) > MAX_NEW_ACCOUNTS:
        plan.problems.append(f"Mỗi lần nhập tạo tối đa {MAX_NEW_ACCOUNTS} tài khoản mới; hãy chia tệp.")
    if not plan.problems and not _keeps_an_admin(ward, plan.accounts):
        plan.problems.append(LAST_ADMIN)
    return plan


def _place(table: Table) -> str:
    return "" if table.sheet is None else f"Trang tính “{table.sheet}”: "


def _find_header(table: Table):
    """(kind, index of the first data row, columns) from the first rows, or None if none is a header."""
    for index, (_, values) in enumerate(table.rows[:HEADER_SEARCH]):
        titles = {normalize(v).lower() for v in values}
        if titles & set(ACCOUNT_COLUMNS["username"]):
            return "accounts", index + 1, match_columns(values, ACCOUNT_COLUMNS, ACCOUNT_REQUIRED)
        if titles & set(SCHOOL_COLUMNS["slug"]) or titles & {"tên trường"}:
            return "schools", index + 1, match_columns(values, SCHOOL_COLUMNS, SCHOOL_REQUIRED)
    return None


def _formula_problems(table, line, values, column_of, titles) -> list[str]:
    problems = []
    for name, index in column_of.items():
        value = values[index] if index < len(values) else ""
        problem = formula_problem(table, line, index, value)
        if problem:
            problems.append(f"cột {titles[name][0]}: {problem}")
    return problems


def _plan_school_rows(ward, table, start, column_of, seen) -> list[PlannedRow]:
    rows = []
    for line, values in table.rows[start:]:
        cells = cells_of(values, column_of)
        if not any(cells.values()):
            continue
        planned = PlannedRow(table.where(line), shown=cells)
        planned.problems = _formula_problems(table, line, values, column_of, SCHOOL_COLUMNS)
        if not planned.problems:
            planned.data, planned.problems = check_school_row(cells, line, seen)
        rows.append(planned)
    existing = {
        s.slug: s
        for s in db.session.scalars(
            select(School).where(School.slug.in_([row.data["slug"] for row in rows if row.data]))
        )
    }
    for row in rows:
        if not row.data:
            continue
        school = existing.get(row.data["slug"])
        if school is not None and school.ward_id != ward.id:
            row.problems.append(f"cột slug: mã '{school.slug}' đã thuộc phường khác")
            row.data = None
            continue
        row.action = NEW if school is None else SAME if describe_school(school) == _school_fields(row.data) else UPDATE
        row.shown = {
            "slug": row.data["slug"],
            "name": row.data["name"],
            "level": str(row.data["level"].label),
            "pilot": _yes_no(row.data["is_pilot"]),
            "active": _yes_no(row.data["is_active"]),
        }
    return rows


def _school_fields(data: dict) -> dict:
    return data | {"level": data["level"].value}


def _school_index(ward: Ward, new_rows: list[dict]) -> dict[str, set[str]]:
    """Slug or lowercased name -> slugs: the ward's schools, with the file's own rows applied."""
    names: dict[str, str] = dict(
        db.session.execute(select(School.slug, School.name).where(School.ward_id == ward.id)).all()
    )
    names |= {row["slug"]: row["name"] for row in new_rows}
    index: dict[str, set[str]] = {}
    for slug, name in names.items():
        index.setdefault(slug, set()).add(slug)
        index.setdefault(" ".join(name.lower().split()), set()).add(slug)
    return index


def _plan_account_rows(ward, table, start, column_of, seen, known) -> list[PlannedRow]:
    rows = []
    for line, values in table.rows[start:]:
        cells = cells_of(values, column_of)
        if not any(cells.values()):
            continue
        planned = PlannedRow(table.where(line), shown=cells)
        planned.problems = _formula_problems(table, line, values, column_of, ACCOUNT_COLUMNS) or _check_account(
            cells, line, seen, known, planned
        )
        rows.append(planned)
    usernames = [row.data["username"] for row in rows if row.data]
    existing = {u.username: u for u in db.session.scalars(select(User).where(func.lower(User.username).in_(usernames)))}
    names = dict(db.session.execute(select(School.slug, School.name).where(School.ward_id == ward.id)).all())
    for row in rows:
        if not row.data:
            continue
        user = existing.get(row.data["username"])
        if user is not None and user.ward_id != ward.id:
            row.problems.append(f"cột tên đăng nhập: '{user.username}' đã là tài khoản của phường khác")
            row.data = None
            continue
        current = user and (
            user.full_name,
            user.role,
            user.school.slug if user.school else None,
            user.is_enabled,
            user.email,
        )
        wanted = (
            row.data["full_name"],
            row.data["role"],
            row.data["school"],
            row.data["is_enabled"],
            row.data.get("email", user and user.email),
        )
        row.action = NEW if user is None else SAME if current == wanted else UPDATE
        row.shown = {
            "username": row.data["username"],
            "full_name": row.data["full_name"],
            "role": str(row.data["role"].label),
            "school": names.get(row.data["school"], row.shown["school"]) if row.data["school"] else "",
            "active": _yes_no(row.data["is_enabled"]),
            "email": row.data.get("email") or "",
        }
    return rows


def _check_account(cells, line, seen, known, planned) -> list[str]:
    problems = []
    username = cells["username"].lower()
    if not USERNAME.fullmatch(username):
        problems.append(
            f"cột tên đăng nhập: '{cells['username']}' chỉ gồm chữ thường không dấu, số, '.', '_' hoặc '-' (2–80 ký tự)"
        )
    elif username in seen:
        problems.append(f"cột tên đăng nhập: '{username}' trùng với dòng {seen[username]}")
    else:
        seen[username] = line
    full_name = cells["full_name"]
    if not full_name:
        problems.append("cột họ tên: không được để trống")
    elif len(full_name) > 200:
        problems.append("cột họ tên: dài quá 200 ký tự")
    role = ROLES.get(cells["role"].lower())
    if not cells["role"]:
        problems.append("cột vai trò: không được để trống")
    elif role is None:
        problems.append(f"cột vai trò: '{cells['role']}' không hợp lệ; {ROLE_HINT}")
    school_text, slug = cells.get("school", ""), None
    if role is Role.SCHOOL_STAFF and not school_text:
        problems.append("cột trường: cán bộ nhà trường phải gắn với một trường")
    elif role is not None and role is not Role.SCHOOL_STAFF and school_text:
        problems.append("cột trường: chỉ cán bộ nhà trường mới gắn với một trường; hãy để trống ô này")
    elif school_text:
        slugs = known.get(school_text.lower()) or known.get(" ".join(school_text.lower().split()), set())
        if not slugs:
            problems.append(
                f"cột trường: không có trường '{school_text}' trong phường (ghi mã trường hoặc đúng tên trường)"
            )
        elif len(slugs) > 1:
            problems.append(f"cột trường: có nhiều trường tên '{school_text}'; hãy ghi mã trường")
        else:
            [slug] = slugs
    active = cells.get("active", "").lower() or "có"
    if active not in YES | NO:
        problems.append(f"cột hoạt động: '{cells['active']}' phải là “có” hoặc “không”")
    email = KEEP
    if "email" in cells:
        try:
            email = clean_email(cells["email"])
        except BadEmail as refused:
            problems.append(f"cột email: {refused}")
    if not problems:
        planned.data = {
            "username": username,
            "full_name": full_name,
            "role": role,
            "school": slug,
            "is_enabled": active in YES,
        } | ({} if email is KEEP else {"email": email})
    return problems


def _keeps_an_admin(ward: Ward, accounts: list[PlannedRow]) -> bool:
    """Whether the ward still has an enabled ward admin after the file (checked again, locked, on import)."""
    states = {
        u: (r, e)
        for u, r, e in db.session.execute(
            select(User.username, User.role, User.is_enabled).where(User.ward_id == ward.id)
        )
    }
    had = any(state == (Role.WARD_ADMIN, True) for state in states.values())
    for row in accounts:
        data = row.accepted_data
        states[data["username"]] = (data["role"], data["is_enabled"])
    return not had or any(state == (Role.WARD_ADMIN, True) for state in states.values())


def apply_import(ward: Ward, plan: ImportPlan, actor) -> ImportResult:
    """Save every row of a plan that was just made and found without problems; commit or change nothing."""
    assert plan.ok, "only a plan without problems is applied"
    try:
        # The rows this import changes are locked before anything is audited (audit.record takes
        # the audit head's lock): an admin editing one of them at the same time locks that row
        # first and the head second, and the opposite order here could deadlock on PostgreSQL.
        # Accounts (with the ward's admins) first, then schools (apply_schools locks them before
        # it audits), as everywhere in admin/services.py.
        changing = [row.accepted_data["username"] for row in plan.accounts if row.action == UPDATE]
        lock_accounts(ward.id, func.lower(User.username).in_(changing))
        report = (
            apply_schools(ward, [row.accepted_data for row in plan.schools], actor) if plan.schools else ImportReport()
        )
        schools = {s.slug: s for s in db.session.scalars(select(School).where(School.ward_id == ward.id))}
        users = {u.username: u for u in db.session.scalars(select(User).where(User.ward_id == ward.id))}
        created, updated = [], []
        # New accounts first, so that an admin added by the file counts before another is disabled.
        for row in (row for row in plan.accounts if row.action == NEW):
            data, password = row.accepted_data, temporary_password()
            user = add_user(
                data["username"],
                data["role"],
                password,
                ward=ward,
                school=schools.get(data["school"]),
                full_name=data["full_name"],
                actor=actor,
                must_change_password=True,
                email=data.get("email"),
            )
            apply_enabled(user, data["is_enabled"], actor)
            created.append((user, password))
        for row in (row for row in plan.accounts if row.action == UPDATE):
            data = row.accepted_data
            update_account(
                users[data["username"]],
                full_name=data["full_name"],
                role=data["role"],
                school=schools.get(data["school"]),
                is_enabled=data["is_enabled"],
                email=data.get("email", KEEP),
                actor=actor,
            )
            updated.append(data["username"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(report, created, updated, sum(row.action == SAME for row in plan.accounts))


def _yes_no(value: bool) -> str:
    return "có" if value else "không"
