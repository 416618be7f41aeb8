"""`flask --app aiplan generate-demo`."""

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from ..auth.services import AccountError, check_password_rules
from .generate import DemoRefused, Options, generate

DEFAULT_PASSWORD = "demo-aiplan-2026"
LIMITS = {
    "--wards": (1, 999),
    "--schools-per-ward": (1, 999),
    "--files-per-school": (0, 50),
    "--max-file-kb": (8, 50 * 1024),
}
CITY_SHAPE = (126, 24)  # Hà Nội since the 2025 reorganisation: 126 wards and communes; ~3,000 schools


def init_app(app: Flask) -> None:
    """Register the command."""
    app.cli.add_command(generate_demo)


@click.command("generate-demo")
@click.option(
    "--city",
    is_flag=True,
    help="The whole city: 126 wards × 24 schools (unless --wards/--schools-per-ward say otherwise) of "
    "Thành phố Hà Nội, the Sở's two accounts (ha-noi.sogddt, city_admin; ha-noi.lanhdaoso, city_viewer), "
    "and wards that differ in pace (some ahead, some late).",
)
@click.option(
    "--wards",
    type=int,
    help="Number of wards [default: 1; 126 with --city]. 1: the bundled Long Biên ward (created if missing, "
    "its own schools and accounts kept as they are); more: new wards 'Phường Demo 001'… (slugs demo-001…), each "
    "with its own copy of the bundled plan.",
)
@click.option(
    "--schools-per-ward",
    type=int,
    help="Demo schools added to each ward [default: 30; 24 with --city] (about 55% tiểu học, 40% THCS, "
    "5% liên cấp; 1 in 8 pilots).",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="The same seed gives the same schools, progress and file bytes.",
)
@click.option(
    "--password",
    default=DEFAULT_PASSWORD,
    show_default=True,
    help="The password of every demo account (at least 10 characters).",
)
@click.option(
    "--files-per-school",
    type=int,
    default=4,
    show_default=True,
    help="Evidence files uploaded by each school (PDF, JPEG, DOCX).",
)
@click.option(
    "--max-file-kb",
    type=int,
    default=2048,
    show_default=True,
    help="Largest evidence file in KB; sizes are log-normal between 50 KB and 2 MB below it.",
)
@click.option("--no-files", is_flag=True, help="No evidence files (evidence items then stay in progress).")
@click.option(
    "--append", is_flag=True, help="Add more demo schools to wards that already hold demo data instead of refusing."
)
@with_appcontext
def generate_demo(city, wards, schools_per_ward, seed, password, files_per_school, max_file_kb, no_files, append):
    """Fill the database with realistic, reproducible demo data.

    Creates or upgrades the database first, as `setup` does (but loads no bundled schools).
    Each ward gets its schools (Vietnamese names, slugs ending in the ward's code, e.g.
    th-ngoc-lam-d001, and a mã trường such as 01001001), one ward admin, two supervisors and a viewer (d001.phongvhxh,
    d001.giamsat1, d001.giamsat2, d001.lanhdao), one school_staff account per school named
    like the school's slug, and a school year of work: item statuses and notes, AI
    activities and pilot classes, evidence files, inspection visits with verdicts and
    resubmissions, self-evaluations. Every change is in the audit log, so
    `flask --app aiplan verify` passes afterwards.

    With --wards 1 the demo schools join the bundled Long Biên ward (accounts d000.…);
    its existing schools, items and accounts are never changed. A ward that already holds
    demo data is refused unless --append is given. Each ward is committed on its own.

    Every ward belongs to the city its plan names (Thành phố Hà Nội, slug ha-noi); --city
    adds the Sở's accounts, which read every ward from /city.
    """
    default_wards, default_schools = CITY_SHAPE if city else (1, 30)
    wards = default_wards if wards is None else wards
    schools_per_ward = default_schools if schools_per_ward is None else schools_per_ward
    for option, value in (
        ("--wards", wards),
        ("--schools-per-ward", schools_per_ward),
        ("--files-per-school", files_per_school),
        ("--max-file-kb", max_file_kb),
    ):
        low, high = LIMITS[option]
        if not low <= value <= high:
            raise click.UsageError(f"{option} phải là số nguyên từ {low} đến {high} (đã cho {value}).")
    try:
        check_password_rules(password)
    except AccountError as error:
        raise click.UsageError(f"--password: {error}") from None
    options = Options(
        wards, schools_per_ward, seed, password, 0 if no_files else files_per_school, max_file_kb, append, city
    )
    upgrade()
    click.echo(f"Tạo dữ liệu mẫu: {wards} phường × {schools_per_ward} trường, seed {seed}.")
    try:
        report = generate(options, click.echo)
    except DemoRefused as refused:
        click.echo("Lỗi: không tạo dữ liệu mẫu; chưa có gì thay đổi.", err=True)
        for problem in refused.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    totals = report.totals
    click.echo(
        f"Xong trong {report.seconds:.1f} giây: {report.wards} phường, {totals.schools} trường, "
        f"{totals.accounts} tài khoản, "
        f"{totals.items} mục việc, {totals.activities} hoạt động, {totals.evaluations} bản tự đánh giá, "
        f"{totals.inspections} đợt kiểm tra, {totals.verdicts} kết luận, {totals.files} tệp minh chứng "
        f"({totals.bytes / 1024 / 1024:.1f} MB), {totals.audit_events} bản ghi nhật ký."
    )
    click.echo(
        f"Tài khoản mẫu, mật khẩu chung “{password}”: {', '.join(report.sample_accounts)} "
        "(cán bộ trường: tên đăng nhập là tên trường trong địa chỉ trang, ví dụ th-ngoc-lam-d001)."
    )
