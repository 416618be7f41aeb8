"""The operator's commands (`flask --app aiplan COMMAND`): what they print, what they change, and
that a mistake stops them with a non-zero exit and a Vietnamese explanation."""

from datetime import date

import pytest
from helpers import SCHOOL_A, SCHOOL_B
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, Role, School, SchoolYear, User
from aiplan.plans.services import BUNDLED_PLAN

# Every command the app adds; a new one must be added here (and so gets its --help checked).
COMMANDS = (
    "setup",
    "load-plan",
    "load-city-plan",  # the city's indicators (tests/test_city_rollup.py)
    "import-schools",
    "create-user",
    "demo-accounts",
    "db",
    "evidence",
    "verify",
    "sign-audit-head",  # audit log viewer feature
    "backup",
    "restore",
    "generate-demo",
    "notify-scan",  # notifications
    "send-reminders",  # e-mail reminders (tests/test_mail.py)
    "worker",  # the job worker (tests/test_jobs_worker.py)
)
NEW_PASSWORD = "mot-mat-khau-du-dai"


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def user_named(app, username):
    with app.app_context():
        return db.session.scalar(select(User).filter_by(username=username))


# -- setup ------------------------------------------------------------------------------------


def test_setup_loads_the_plan_and_schools_and_running_it_again_changes_nothing(make_app):
    app = make_app()  # an empty, migrated database: no plan, no schools, no accounts
    runner = app.test_cli_runner()

    first = runner.invoke(args=["setup"])

    assert first.exit_code == 0, first.output
    assert "Đã nạp kế hoạch năm học 2025-2026 từ long-bien-2025-2026.toml: 9 mốc, 3 chỉ tiêu" in first.output
    assert "Danh sách trường (long-bien-schools.csv): thêm 8, cập nhật 0, giữ nguyên 0" in first.output
    assert "Lưu ý" not in first.output  # mốc 8 reads as one reporting chain: nothing contradicts
    counts = row_counts(app)
    assert (counts["school"], counts["milestone"], counts["target"]) == (8, 9, 3)
    # 5 ward items; 9 for each of the 2 pilots; 8 for each of the 6 other schools.
    assert counts["checklist_item"] == 5 + 2 * 9 + 6 * 8

    second = runner.invoke(args=["setup"])

    assert second.exit_code == 0, second.output
    assert "Kế hoạch của Phường Long Biên đã có: giữ nguyên" in second.output
    assert "Danh sách trường đã có 8 trường: giữ nguyên" in second.output
    assert row_counts(app) == counts


def test_setup_keeps_what_the_ward_changed_since_and_its_new_year(app, as_persona, runner):
    admin = as_persona("ward_admin")
    calendar = {
        "hk1_start": "05/09/2026",
        "hk1_end": "16/01/2027",
        "hk2_start": "18/01/2027",
        "hk2_end": "25/05/2027",
        "midterm_start": "08/03/2027",
        "midterm_end": "03/04/2027",
        "ends_on": "31/05/2027",
        "closes_on": "31/08/2027",
    }
    assert admin.post("/years", data=calendar).status_code == 302
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug="th-thach-ban-a"))
        school.is_pilot, school.name = True, "Trường Tiểu học Thạch Bàn A (tên mới)"
        db.session.commit()
    counts = row_counts(app)

    result = runner.invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert row_counts(app) == counts
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug="th-thach-ban-a"))
        assert school.is_pilot and school.name.endswith("(tên mới)")


def test_setup_keeps_the_work_schools_have_recorded(app, runner):
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).where(ChecklistItem.school.has(slug=SCHOOL_A), ChecklistItem.key == "m3")
        )
        item.note = "Kế hoạch số 12/KH-THĐK đã ban hành"
        db.session.commit()
        item_id = item.id
    counts = row_counts(app)

    result = runner.invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert row_counts(app) == counts
    with app.app_context():
        assert db.session.get(ChecklistItem, item_id).note == "Kế hoạch số 12/KH-THĐK đã ban hành"


def test_setup_names_the_ward_as_the_plan_does(make_app):
    runner = make_app().test_cli_runner()

    result = runner.invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert "Mới: Phường Long Biên," in result.output


# -- create-user ------------------------------------------------------------------------------


def test_create_user_makes_a_school_account_that_can_sign_in(app, runner, client):
    result = runner.invoke(
        args=[
            "create-user",
            "canbo-moi",
            "--role",
            "school_staff",
            "--school",
            SCHOOL_A,
            "--name",
            "Nguyễn Thị Lan",
            "--password-stdin",
        ],
        input=NEW_PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert "Đã tạo tài khoản canbo-moi (Cán bộ nhà trường)." in result.output
    user = user_named(app, "canbo-moi")
    assert (user.role, user.full_name) == (Role.SCHOOL_STAFF, "Nguyễn Thị Lan")
    with app.app_context():
        assert db.session.get(User, user.id).school.slug == SCHOOL_A
        assert db.session.scalar(select(AuditEvent).filter_by(action="user.create", object_id=user.id))

    response = client.post("/login", data={"username": "canbo-moi", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get(f"/schools/{SCHOOL_A}").status_code == 200
    assert client.get(f"/schools/{SCHOOL_B}").status_code == 403


def test_create_user_asks_for_the_password_twice_without_password_stdin(app, runner, client):
    result = runner.invoke(
        args=["create-user", "lanhdao-2", "--role", "viewer"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert client.post("/login", data={"username": "lanhdao-2", "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        (["--role", "school_staff"], 1, "Tài khoản cán bộ nhà trường phải gắn với một trường (--school)."),
        (["--role", "viewer", "--school", SCHOOL_A], 1, "Chỉ tài khoản cán bộ nhà trường mới gắn với một trường."),
        (["--role", "school_staff", "--school", "th-khong-co"], 1, "không có trường 'th-khong-co'"),
        (["--role", "hieu_truong"], 2, "'hieu_truong'"),  # Click names the bad choice and lists the roles
    ],
    ids=["staff-without-school", "viewer-with-school", "unknown-school", "unknown-role"],
)
def test_create_user_refuses_an_account_that_does_not_fit_its_role(app, runner, args, exit_code, message):
    result = runner.invoke(args=["create-user", "canbo-moi", *args, "--password-stdin"], input=NEW_PASSWORD + "\n")

    assert result.exit_code == exit_code
    assert message in result.output
    assert user_named(app, "canbo-moi") is None


def test_create_user_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["create-user", "canbo-moi", "--role", "viewer", "--password-stdin"], input="ngan\n")

    assert result.exit_code == 1
    assert "Lỗi: không tạo được tài khoản" in result.output
    assert "Mật khẩu cần ít nhất 10 ký tự." in result.output
    assert user_named(app, "canbo-moi") is None


def test_create_user_refuses_a_name_already_taken(app, runner):
    result = runner.invoke(
        args=["create-user", "CANBO-A", "--role", "viewer", "--password-stdin"], input=NEW_PASSWORD + "\n"
    )

    assert result.exit_code == 1
    assert "Tên đăng nhập 'canbo-a' đã có." in result.output
    assert user_named(app, "canbo-a").role is Role.SCHOOL_STAFF


# -- import-schools and load-plan with bad files ----------------------------------------------


def test_import_schools_with_a_bad_file_exits_nonzero_and_lists_every_bad_row(app, runner, tmp_path):
    path = tmp_path / "truong.csv"
    path.write_text(
        "slug,tên trường,cấp học,thí điểm\n"
        "th-moi,Trường Tiểu học Mới,tiểu học,không\n"
        "th-sai,Trường Tiểu học Sai,mầm non,không\n"
        "thcs-sai,,THCS,có lẽ\n",
        encoding="utf-8",
    )
    counts = row_counts(app)

    result = runner.invoke(args=["import-schools", str(path)])

    assert result.exit_code == 1
    assert "Lỗi: không nhập được danh sách trường từ truong.csv; chưa có gì thay đổi" in result.output
    assert "  - Dòng 3, cột cấp học: 'mầm non' không hợp lệ" in result.output
    assert "  - Dòng 4, cột tên trường: không được để trống" in result.output
    assert "  - Dòng 4, cột thí điểm: 'có lẽ' phải là “có” hoặc “không”" in result.output
    assert row_counts(app) == counts


def test_import_schools_adds_a_school_with_its_checklist(app, runner, tmp_path):
    path = tmp_path / "truong-moi.csv"
    path.write_text("slug,tên trường,cấp học\nthcs-moi,Trường THCS Mới,THCS\n", encoding="utf-8")

    result = runner.invoke(args=["import-schools", str(path)])

    assert result.exit_code == 0, result.output
    assert ("Danh sách trường (truong-moi.csv): thêm 1, cập nhật 0, giữ nguyên 0; thêm 8 mục việc.") in result.output


def test_load_plan_with_a_broken_file_exits_nonzero_and_lists_every_problem(app, runner, tmp_path):
    path = tmp_path / "ke-hoach.toml"
    path.write_text(
        BUNDLED_PLAN.read_text("utf-8")
        .replace('timing = "giua_hk2"', 'timing = "giua_ky"')
        .replace("stt = 4", "stt = 1"),
        encoding="utf-8",
    )
    counts = row_counts(app)

    result = runner.invoke(args=["load-plan", str(path)])

    assert result.exit_code == 1
    assert "Lỗi: không nạp được kế hoạch từ ke-hoach.toml" in result.output
    assert "  - [[milestone]] thứ 6 (number = 6): trường 'timing': 'giua_ky' không hợp lệ" in result.output
    assert "  - [[target]]: STT '1' bị trùng" in result.output
    assert row_counts(app) == counts


def test_load_plan_keeps_an_edited_calendar_unless_told_to_replace_it(app, runner):
    with app.app_context():
        db.session.scalar(select(SchoolYear)).midterm_end = date(2026, 4, 11)
        db.session.commit()

    kept = runner.invoke(args=["load-plan", str(BUNDLED_PLAN)])

    assert kept.exit_code == 0, kept.output
    assert "không có thay đổi" in kept.output
    with app.app_context():
        assert db.session.scalar(select(SchoolYear)).midterm_end == date(2026, 4, 11)

    replaced = runner.invoke(args=["load-plan", "--replace-calendar", str(BUNDLED_PLAN)])

    assert replaced.exit_code == 0, replaced.output
    assert "Đổi: lịch năm học 2025-2026" in replaced.output
    with app.app_context():
        assert db.session.scalar(select(SchoolYear)).midterm_end == date(2026, 4, 4)
        ward_m6 = db.session.scalar(
            select(ChecklistItem).where(ChecklistItem.school_id.is_(None), ChecklistItem.key == "m6")
        )
        assert ward_m6.due_on == date(2026, 4, 3)  # 04/04/2026 is a Saturday


def test_load_plan_names_a_file_that_does_not_exist(runner, tmp_path):
    result = runner.invoke(args=["load-plan", str(tmp_path / "khong-co.toml")])

    assert result.exit_code == 2
    assert "khong-co.toml" in result.output


# -- demo-accounts ----------------------------------------------------------------------------


def test_demo_accounts_prints_each_password_once_and_the_passwords_work(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["setup"]).exit_code == 0

    first = runner.invoke(args=["demo-accounts"])

    assert first.exit_code == 0, first.output
    assert "Tài khoản demo (mật khẩu chỉ in một lần này):" in first.output
    lines = first.output.split("Tài khoản demo (mật khẩu chỉ in một lần này):\n", 1)[1].splitlines()
    accounts = {}
    for line in lines:
        username, password, role_label = line.split(maxsplit=2)
        accounts[username] = (password, role_label)
    assert set(accounts) == {"phongvhxh", "giamsat", "doanket", "thachban", "lanhdao", "sogddt", "lanhdaoso"}
    assert {label for _, label in accounts.values()} == {role.label for role in Role}
    assert len({password for password, _ in accounts.values()}) == 7
    for username, (password, _) in accounts.items():
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, username

    second = runner.invoke(args=["demo-accounts"])

    assert second.exit_code == 0, second.output
    assert "Tài khoản demo đã có từ trước" in second.output
    assert not any(password in second.output for password, _ in accounts.values())
    assert row_counts(app)["user"] == 7
    # Each has an address that is never delivered (.example), for trying the reminders.
    with app.app_context():
        emails = dict(db.session.execute(select(User.username, User.email)).all())
    assert emails == {username: f"{username}@demo.longbien.example" for username in accounts}


# -- help -------------------------------------------------------------------------------------


def test_every_command_is_in_the_command_table(app):
    assert set(app.cli.commands) == set(COMMANDS), "add the new command to COMMANDS in tests/test_cli.py"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_with_help(runner, command):
    result = runner.invoke(args=[command, "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and command in result.output
