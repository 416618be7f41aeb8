"""The admin forms as an office uses them: every error at once in a summary at the top, linked to
its field; a new account starting with the least powerful role; sample lists to import that the
importer reads without a complaint."""

import io
import re

import pytest
from helpers import SCHOOL_A, browser_login, page_text
from openpyxl import load_workbook
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import Role, School, User


def summary_links(html: str) -> list[tuple[str, str]]:
    """(field id, message) of each link in the error summary."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary, "no error summary"
    assert 'role="alert"' in summary[0] and "Có lỗi cần sửa" in summary[0]
    return [(target, page_text(text)) for target, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary[0])]


def test_a_new_account_starts_as_a_viewer_with_an_empty_first_choice(as_persona):
    html = as_persona("ward_admin").get("/admin/accounts/new").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="role".*?</select>', html, re.S)[0]
    options = re.findall(r'<option([^>]*)value="([^"]*)"', select_html)
    assert options[0][1] == ""  # a required select's placeholder (valid HTML)
    [chosen] = [
        value for attrs, value in re.findall(r'<option([^>]*value="([^"]*)"[^>]*)>', select_html) if "selected" in attrs
    ]
    assert chosen == Role.VIEWER.value
    assert [value for _, value in options[1:]] == ["viewer", "school_staff", "supervisor", "ward_admin"]


def test_an_account_form_lists_every_error_at_once(app, as_persona):
    admin = as_persona("ward_admin")
    with app.app_context():
        users = db.session.scalar(select(func.count(User.id)))

    # A blank name, a taken username, and a school account without a school: three problems, one submit.
    response = admin.post(
        "/admin/accounts/new",
        data={"username": "canbo-a", "full_name": "", "role": "school_staff", "school": "0", "is_enabled": "y"},
    )

    assert response.status_code == 422
    links = summary_links(response.get_data(as_text=True))
    assert [target for target, _ in links] == ["username", "full_name", "school"], links  # the page's order
    assert any("đã có" in message for _, message in links)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == users  # nothing saved


def test_a_school_form_lists_a_taken_code_with_the_missing_name_and_level(app, as_persona):
    response = as_persona("ward_admin").post("/admin/schools/new", data={"slug": SCHOOL_A, "name": "", "level": ""})
    assert response.status_code == 422
    links = summary_links(response.get_data(as_text=True))
    assert [target for target, _ in links] == ["slug", "name", "level"], links
    assert any("đã được dùng" in message for _, message in links)


def test_a_password_change_lists_a_short_and_a_mismatched_password_together(as_persona):
    response = as_persona("staff_a").post(
        "/account/password", data={"current_password": "", "new_password": "ngan", "confirm": "khac"}
    )
    links = summary_links(response.get_data(as_text=True))
    assert {target for target, _ in links} == {"current_password", "new_password", "confirm"}, links


@pytest.mark.parametrize("path", ["/admin/import/mau-truong.csv", "/admin/import/mau.xlsx"])
def test_a_sample_list_imports_with_a_clean_preview(as_persona, path):
    admin = as_persona("ward_admin")
    sample = admin.get(path)
    assert sample.status_code == 200 and "attachment" in sample.headers["Content-Disposition"]
    name = path.rsplit("/", 1)[-1]

    preview = admin.post(
        "/admin/import", data={"file": (io.BytesIO(sample.data), name)}, content_type="multipart/form-data"
    )

    text = page_text(preview.get_data(as_text=True))
    assert preview.status_code == 200, text
    assert "Chưa nhập gì" not in text and "Trường Tiểu học Ví Dụ" in text
    assert 'name="token"' in preview.get_data(as_text=True)  # the confirm button is offered


def test_the_accounts_sample_imports_once_the_schools_sample_is_in(app, as_persona):
    admin = as_persona("ward_admin")

    def send(path):
        sample = admin.get(path).data
        name = path.rsplit("/", 1)[-1]
        return admin.post(
            "/admin/import", data={"file": (io.BytesIO(sample), name)}, content_type="multipart/form-data"
        )

    schools = send("/admin/import/mau-truong.csv")
    token = dict(re.findall(r'name="(token|sha256|csrf_token)"[^>]*value="([^"]*)"', schools.get_data(as_text=True)))
    assert admin.post("/admin/import/confirm", data=token).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(School.id).filter_by(slug="th-vi-du"))

    accounts = send("/admin/import/mau-tai-khoan.csv")

    text = page_text(accounts.get_data(as_text=True))
    assert accounts.status_code == 200, text
    assert "nguyen.van.vidu" in text and "Chưa nhập gì" not in text


def test_the_xlsx_sample_has_the_importers_headers_on_a_sheet_per_list(as_persona):
    workbook = load_workbook(io.BytesIO(as_persona("ward_admin").get("/admin/import/mau.xlsx").data))
    assert workbook.sheetnames == ["Danh sách trường", "Danh sách tài khoản"]
    schools, accounts = workbook.worksheets
    assert [c.value for c in schools[1]] == ["slug", "tên trường", "cấp học", "thí điểm", "hoạt động", "mã csdl"]
    assert [c.value for c in accounts[1]][:3] == ["tên đăng nhập", "họ tên", "vai trò"]
    assert schools.max_row == accounts.max_row == 3  # the header and two examples


@pytest.mark.browser
def test_on_a_phone_a_refused_account_form_focuses_the_summary_and_its_links_reach_the_fields(new_page):
    page = new_page(360, 740)
    browser_login(page, "ward_admin")
    page.goto("/admin/accounts/new")
    assert page.get_by_label("Vai trò").input_value() == "viewer"
    page.get_by_label("Tên đăng nhập").fill("canbo-a")
    page.get_by_label("Vai trò").select_option("school_staff")
    page.get_by_role("button", name="Tạo tài khoản").click()

    summary = page.get_by_role("alert").filter(has_text="Có lỗi cần sửa")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert summary.get_by_role("link").count() == 3
    summary.get_by_role("link", name=re.compile("họ tên", re.I)).click()
    assert page.evaluate("location.hash") == "#full_name"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_plan_form_lists_every_bad_date_at_once(as_persona):
    admin = as_persona("ward_admin")
    url = "/admin/plan/2025-2026/calendar"
    version = re.search(r'name="version" type="hidden" value="([^"]+)"', admin.get(url).get_data(as_text=True))[1]
    data = {
        "version": version,
        "hk1_start": "31/02/2025",
        "hk1_end": "",
        "hk2_start": "19/01/2026",
        "hk2_end": "25/05/2026",
        "midterm_start": "hôm qua",
        "midterm_end": "04/04/2026",
        "ends_on": "31/05/2026",
        "closes_on": "31/08/2026",
    }

    response = admin.post(url, data=data)

    targets = [target for target, _ in summary_links(response.get_data(as_text=True))]
    assert {"hk1_start", "hk1_end", "midterm_start"} <= set(targets), targets
