"""The command line takes text by the same rules as the web: a school or person's name that a
spreadsheet would run as a formula (exports are opened in Excel), or that the database cannot keep,
is refused with the web's own message and nothing is imported or created."""

import pytest
from helpers import text_of
from test_admin_import import upload
from test_backup import all_rows
from test_cli import NEW_PASSWORD

FORMULA_SCHOOLS = 'slug,tên trường,cấp học\nth-cong-thuc,"=HYPERLINK(""http://x.example"",""Bấm"")",tiểu học\n'
FORMULA_ROW = "Dòng 2, cột tên trường: ô bắt đầu bằng “=” sẽ bị bảng tính hiểu là công thức; hãy bỏ ký tự này"


def test_import_schools_refuses_a_name_starting_with_a_formula_as_the_web_import_does(
    app, runner, as_persona, tmp_path
):
    path = tmp_path / "truong.csv"
    path.write_text(FORMULA_SCHOOLS, encoding="utf-8")
    admin = as_persona("ward_admin")
    before = all_rows(app)

    result = runner.invoke(args=["import-schools", str(path)])
    on_the_web = upload(admin, FORMULA_SCHOOLS)

    assert result.exit_code == 1
    assert f"  - {FORMULA_ROW}" in result.output
    assert on_the_web.status_code == 422 and FORMULA_ROW in text_of(on_the_web)
    assert all_rows(app) == before


@pytest.mark.parametrize(
    "name, message",
    [
        ("=cmd|' /C calc'!A0", "Họ tên không được bắt đầu bằng =, +, - hoặc @."),
        ("@SUM(1+1)", "Họ tên không được bắt đầu bằng =, +, - hoặc @."),
        ("Nguyễn Văn " + "A" * 200, "Họ tên tối đa 200 ký tự."),
    ],
)
def test_create_user_refuses_a_full_name_the_account_form_refuses(app, runner, name, message):
    before = all_rows(app)

    result = runner.invoke(
        args=["create-user", "canbo-moi", "--role", "viewer", "--name", name, "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )

    assert result.exit_code == 1
    assert "Lỗi: không tạo được tài khoản" in result.output and message in result.output
    assert all_rows(app) == before
