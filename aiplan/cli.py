"""Commands for operators: `flask --app aiplan COMMAND --help` describes each."""

import secrets
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from .admin.schools import SchoolImportError, import_schools, parse_schools_csv
from .auth.services import AccountError, create_user
from .console import fail
from .extensions import db
from .inputs import BadEmail, clean_email
from .models import CITY_ROLES, City, Plan, Role, School, User, Ward
from .plans.city_plan import (
    BUNDLED_CITY_PLAN,
    city_plan_of,
    load_city_plan,
    read_city_plan_file,
    unmapped_wards,
)
from .plans.services import BUNDLED_PLAN, BUNDLED_SCHOOLS, load_plan
from .plans.spec import PlanFileError, read_plan_file

DEMO_MAIL_DOMAIN = "demo.longbien.example"
DEMO_ACCOUNTS = [
    # username, role, school slug, full name
    ("phongvhxh", Role.WARD_ADMIN, None, "Cán bộ Phòng VHXH (demo)"),
    ("giamsat", Role.SUPERVISOR, None, "Thành viên đoàn kiểm tra (demo)"),
    ("doanket", Role.SCHOOL_STAFF, "th-doan-ket", "Cán bộ TH Đoàn Kết (demo)"),
    ("thachban", Role.SCHOOL_STAFF, "thcs-thach-ban", "Cán bộ THCS Thạch Bàn (demo)"),
    ("lanhdao", Role.VIEWER, None, "Lãnh đạo UBND phường (demo)"),
    ("sogddt", Role.CITY_ADMIN, None, "Cán bộ Sở GD&ĐT Hà Nội (demo)"),
    ("lanhdaoso", Role.CITY_VIEWER, None, "Lãnh đạo Sở GD&ĐT Hà Nội (demo)"),
]


def init_app(app: Flask) -> None:
    for command in (
        setup,
        load_plan_command,
        load_city_plan_command,
        import_schools_command,
        create_user_command,
        demo_accounts,
    ):
        app.cli.add_command(command)


def _load_plan_file(path: Path, replace_calendar: bool = False) -> None:
    try:
        report = load_plan(read_plan_file(path), replace_calendar=replace_calendar)
    except PlanFileError as error:
        fail(f"không nạp được kế hoạch từ {error.source}", error.problems)
    plan = report.plan
    if report.unchanged:
        click.echo(f"Kế hoạch năm học {plan.school_year.name} ({path.name}): không có thay đổi.")
    else:
        click.echo(
            f"Đã nạp kế hoạch năm học {plan.school_year.name} từ {path.name}: "
            f"{len(plan.milestones)} mốc, {len(plan.targets)} chỉ tiêu; "
            f"thêm {report.items_added} mục việc."
        )
        for label, names in (("Mới", report.created), ("Đổi", report.changed), ("Bỏ", report.removed)):
            if names:
                shown = ", ".join(names[:12]) + (f" và {len(names) - 12} mục khác" if len(names) > 12 else "")
                click.echo(f"  {label}: {shown}")
    for warning in report.warnings:
        click.echo(f"  Lưu ý: {warning}")


def _load_city_plan_file(path: Path) -> None:
    try:
        plan = load_city_plan(read_city_plan_file(path))
    except PlanFileError as error:
        fail(f"không nạp được kế hoạch của thành phố từ {error.source}", error.problems)
    click.echo(
        f"Đã nạp kế hoạch {plan.number} của {plan.city.name} ({path.name}): "
        f"{len(plan.indicators)} chỉ tiêu, mốc mà các phường báo cáo."
    )
    for ward, codes in unmapped_wards(plan).items():
        click.echo(
            f"  Lưu ý: kế hoạch của {ward} chưa gắn {', '.join(codes)}; thêm city_indicator vào tệp kế hoạch "
            "của phường rồi nạp lại bằng load-plan."
        )


def _import_schools_file(path: Path, ward_slug: str | None) -> None:
    ward = _ward(ward_slug)
    try:
        report = import_schools(ward, parse_schools_csv(path.read_bytes()))
    except SchoolImportError as error:
        fail(f"không nhập được danh sách trường từ {path.name}; chưa có gì thay đổi", error.problems)
    click.echo(
        f"Danh sách trường ({path.name}): thêm {len(report.created)}, cập nhật {len(report.updated)}, "
        f"giữ nguyên {report.unchanged}; thêm {report.items_added} mục việc."
    )


def _ward(slug: str | None) -> Ward:
    wards = db.session.scalars(select(Ward).order_by(Ward.slug)).all()
    if slug:
        ward = next((w for w in wards if w.slug == slug), None)
        if ward is None:
            fail(
                f"không có phường '{slug}'", [f"các phường hiện có: {', '.join(w.slug for w in wards) or '(chưa có)'}"]
            )
        return ward
    if len(wards) != 1:
        fail(
            "cần chỉ rõ phường bằng --ward",
            [f"các phường hiện có: {', '.join(w.slug for w in wards) or '(chưa có; hãy nạp kế hoạch trước)'}"],
        )
    return wards[0]


def _city(slug: str | None) -> City:
    cities = db.session.scalars(select(City).order_by(City.slug)).all()
    if slug:
        city = next((c for c in cities if c.slug == slug), None)
        if city is None:
            fail(
                f"không có thành phố '{slug}'",
                [f"các thành phố hiện có: {', '.join(c.slug for c in cities) or '(chưa có)'}"],
            )
        return city
    if len(cities) != 1:
        fail(
            "cần chỉ rõ thành phố bằng --city",
            [f"các thành phố hiện có: {', '.join(c.slug for c in cities) or '(chưa có; hãy nạp kế hoạch trước)'}"],
        )
    return cities[0]


@click.command("setup")
@with_appcontext
def setup():
    """Create or upgrade the database, then load the bundled Hà Nội city plan, Long Biên plan and schools.

    The bundled plan and schools are loaded only into a ward that has none yet, so running it
    again (every `make run` does) keeps what the ward's admins have edited since.
    """
    upgrade()
    spec = read_plan_file(BUNDLED_PLAN)
    ward = db.session.scalar(select(Ward).filter_by(slug=spec.ward["slug"]))
    if ward is None or not db.session.scalar(select(Plan.id).filter_by(ward_id=ward.id).limit(1)):
        # The city's plan first, so that the ward's is checked against it; a deployment set up
        # before it existed adds it with load-city-plan (then reloads the ward's plan).
        city = db.session.scalar(select(City).filter_by(slug=read_city_plan_file(BUNDLED_CITY_PLAN).city["slug"]))
        if city_plan_of(city) is None:
            _load_city_plan_file(BUNDLED_CITY_PLAN)
        _load_plan_file(BUNDLED_PLAN)
    else:  # the ward keeps its plans as its admins edited them, and its later years
        click.echo(f"Kế hoạch của {ward.name} đã có: giữ nguyên (sửa trong trang Quản trị hoặc bằng load-plan).")
    ward = db.session.scalar(select(Ward).filter_by(slug=spec.ward["slug"]))
    assert ward is not None  # the bundled plan's ward: loaded just above if it was not there
    schools = db.session.scalar(select(func.count(School.id)).filter_by(ward_id=ward.id))
    if not schools:
        _import_schools_file(BUNDLED_SCHOOLS, None)
    else:
        click.echo(
            f"Danh sách trường đã có {schools} trường: giữ nguyên (sửa trong trang Quản trị hoặc bằng import-schools)."
        )


@click.command("load-plan")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--replace-calendar",
    is_flag=True,
    help="Also overwrite the school year's calendar with the file's (kept as edited otherwise).",
)
def load_plan_command(file: Path, replace_calendar: bool):
    """Load or reload a plan file (TOML) and bring every checklist up to date."""
    _load_plan_file(file, replace_calendar)


@click.command("load-city-plan")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_city_plan_command(file: Path):
    """Create or update a city and its plan (the indicators its wards report on) from a TOML file.

    Load it before the wards' plans: from then on a ward plan of that city and school year that
    leaves one of its indicators unmapped is refused. See docs/plan-format.md."""
    _load_city_plan_file(file)


@click.command("import-schools")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ward", "ward_slug", help="Ward slug; needed only when there are several wards.")
def import_schools_command(file: Path, ward_slug: str | None):
    """Add or update schools from a CSV file (all rows or none).

    Columns: slug, tên trường, cấp học (tiểu học / THCS / liên cấp), thí điểm (có/không),
    hoạt động (có/không), and optionally mã CSDL (the Ministry's school code, unique across the
    city: a code another ward's school has is refused). Slugs are unique within the ward.
    Schools missing from the file are left unchanged.
    """
    _import_schools_file(file, ward_slug)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="The account's role.")
@click.option("--school", "school_slug", help="School slug; required for school_staff.")
@click.option("--ward", "ward_slug", help="Ward slug; needed only when there are several wards.")
@click.option("--city", "city_slug", help="City slug, for city_admin and city_viewer (e.g. ha-noi).")
@click.option("--name", "full_name", default="", help="Full name shown in the app.")
@click.option("--email", default="", help="Optional e-mail address for reminders; refused if malformed.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def create_user_command(username, role, school_slug, ward_slug, city_slug, full_name, email, password_stdin):
    """Create an account. Without --password-stdin the password is asked for twice."""
    try:
        email = clean_email(email)  # before the password prompt: a typo is told at once
    except BadEmail as error:
        fail("không tạo được tài khoản", [str(error)])
    school, ward, city = None, None, None
    if Role(role) in CITY_ROLES:
        city = _city(city_slug)
    elif school_slug and not ward_slug:  # the school names its ward, unless two wards share the slug
        found = db.session.scalars(select(School).filter_by(slug=school_slug).limit(2)).all()
        ward = found[0].ward if len(found) == 1 else _ward(None)
    else:
        ward = _ward(ward_slug)
    if school_slug:
        school = db.session.scalar(select(School).filter_by(slug=school_slug, ward_id=ward.id if ward else None))
        if school is None:
            fail(f"không có trường '{school_slug}'" + (f" ở {ward.name}" if ward else ""), [])
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    try:
        user = create_user(
            username, Role(role), password, ward=ward, school=school, city=city, full_name=full_name, email=email
        )
    except AccountError as error:
        fail("không tạo được tài khoản", [str(error)])
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role.label}).")


@click.command("demo-accounts")
@with_appcontext
def demo_accounts():
    """Create one demo account per role and print their passwords (only when first created)."""
    ward = _ward(None)
    created = []
    for username, role, school_slug, full_name in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).filter_by(username=username)):
            continue
        school = db.session.scalar(select(School).filter_by(slug=school_slug, ward_id=ward.id)) if school_slug else None
        if school_slug and school is None:
            click.echo(f"Bỏ qua {username}: không có trường {school_slug}.")
            continue
        password = secrets.token_urlsafe(9)
        # An address under .example (RFC 2606: never delivered anywhere), so that the reminders can be
        # tried with a local SMTP server (README, "Thư nhắc việc").
        email = f"{username}@{DEMO_MAIL_DOMAIN}"
        if role in CITY_ROLES:
            create_user(username, role, password, city=ward.city_unit, full_name=full_name, email=email)
        else:
            create_user(username, role, password, ward=ward, school=school, full_name=full_name, email=email)
        created.append((username, role, password))
    if not created:
        click.echo(
            "Tài khoản demo đã có từ trước (mật khẩu đã in lần đầu; đặt lại bằng create-user với tên khác "
            "hoặc xóa thư mục instance/)."
        )
        return
    click.echo("Tài khoản demo (mật khẩu chỉ in một lần này):")
    for username, role, password in created:
        click.echo(f"  {username:<10} {password:<14} {role.label}")
