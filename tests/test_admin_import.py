"""Importing schools and accounts from CSV or XLSX: upload, preview of each row, confirm; every
bad row named by line and column in Vietnamese, and nothing imported unless every row is good."""

import io
import re

import pytest
from helpers import PASSWORD, SCHOOL_A, text_of
from openpyxl import Workbook
from sqlalchemy import func, select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import AuditEvent, Role, School, SchoolLevel, User, Ward

SCHOOLS_CSV = (
    "slug,tên trường,cấp học,thí điểm,hoạt động\n"
    "th-ngoc-thuy,Trường Tiểu học Ngọc Thụy,tiểu học,không,có\n"
    "th-long-bien,Trường Tiểu học Long Biên,tiểu học,có,có\n"
    "th-doan-ket,Trường Tiểu học Đoàn Kết,tiểu học,có,có\n"
)
ACCOUNTS_HEADER = "tên đăng nhập,họ tên,vai trò,trường,hoạt động\n"
ACCOUNTS_CSV = (
    ACCOUNTS_HEADER
    + "tran.van.an,Trần Văn An,Cán bộ nhà trường,th-doan-ket,có\n"
    + "le.thi.binh,Lê Thị Bình,thành viên đoàn kiểm tra,,có\n"
    + "pham.hoa,Phạm Hoa,school_staff,Trường THCS Thạch Bàn,\n"
)


def upload(client, content: str | bytes, name="danh-sach.csv"):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/admin/import", data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def confirm_fields(response) -> dict:
    page = response.get_data(as_text=True)
    return {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1) for name in ("token", "sha256")
    }


def confirm(client, preview):
    return client.post("/admin/import/confirm", data=confirm_fields(preview))


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (School, User, AuditEvent))


def user(username) -> User | None:
    return db.session.scalar(select(User).filter_by(username=username))


def xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def admin(as_persona):
    return as_persona("ward_admin")


def test_the_import_page_has_its_heading_file_field_and_button(admin):
    page = admin.get("/admin/import")
    assert "<h1>Nhập danh sách</h1>" in page.get_data(as_text=True)
    assert re.search(r'<label for="file">Tệp CSV hoặc XLSX</label>', page.get_data(as_text=True))
    assert "Xem trước" in text_of(page)


def test_a_schools_file_is_previewed_row_by_row_and_imported_only_on_confirmation(app, admin):
    before = counts(app)

    preview = upload(admin, SCHOOLS_CSV)

    page = text_of(preview)
    assert preview.status_code == 200
    assert "Dòng 2 th-ngoc-thuy Trường Tiểu học Ngọc Thụy Tiểu học không có thêm" in page
    assert "Dòng 3 th-long-bien Trường Tiểu học Long Biên Tiểu học có có cập nhật" in page
    assert "Dòng 4 th-doan-ket Trường Tiểu học Đoàn Kết Tiểu học có có không đổi" in page
    assert "Nhập 3 dòng" in page
    assert counts(app) == before

    done = confirm(admin, preview)

    assert done.status_code == 200
    assert "Trường học: thêm 1, cập nhật 1, không đổi 1." in text_of(done)
    with app.app_context():
        assert db.session.scalar(select(School).filter_by(slug="th-ngoc-thuy")).name == "Trường Tiểu học Ngọc Thụy"
        assert db.session.scalar(select(School).filter_by(slug="th-long-bien")).is_pilot is True


def test_an_accounts_file_with_a_bom_creates_accounts_with_temporary_passwords_shown_once(app, admin):
    preview = upload(admin, "\ufeff" + ACCOUNTS_CSV)
    assert "Dòng 4 pham.hoa Phạm Hoa Cán bộ nhà trường Trường THCS Thạch Bàn có thêm" in text_of(preview)

    done = confirm(admin, preview)

    assert done.status_code == 200
    assert "Tài khoản: thêm 3, cập nhật 0, không đổi 0." in text_of(done)
    passwords = dict(
        re.findall(
            r'<code>([a-z.]+)</code></td>.*?<code class="one-time-password">([^<]+)</code>',
            done.get_data(as_text=True),
            re.S,
        )
    )
    assert set(passwords) == {"tran.van.an", "le.thi.binh", "pham.hoa"}
    with app.app_context():
        an = user("tran.van.an")
        assert (an.full_name, an.role, an.school.slug, an.must_change_password) == (
            "Trần Văn An",
            Role.SCHOOL_STAFF,
            SCHOOL_A,
            True,
        )
        assert user("le.thi.binh").role is Role.SUPERVISOR and user("le.thi.binh").school is None
    newcomer = app.test_client()
    response = newcomer.post("/login", data={"username": "pham.hoa", "password": passwords["pham.hoa"]})
    assert response.location.startswith("/account/password")
    assert all(p not in done.get_data(as_text=True).split("</table>", 1)[1] for p in passwords.values())


@pytest.mark.parametrize(
    "bad_row, problem",
    [
        (
            "ngo.van.c,Ngô Văn C,hiệu trưởng,,có",
            "Dòng 5, cột vai trò: 'hiệu trưởng' không hợp lệ; dùng Cán bộ Phòng VHXH",
        ),
        ("tran.van.an,Trần Văn An (trùng),viewer,,có", "Dòng 5, cột tên đăng nhập: 'tran.van.an' trùng với dòng 2"),
        (
            "ngo.van.c,Ngô Văn C,school_staff,th-viet-hung,có",
            "Dòng 5, cột trường: không có trường 'th-viet-hung' trong phường",
        ),
        ("ngo.van.c,Ngô Văn C,school_staff,,có", "Dòng 5, cột trường: cán bộ nhà trường phải gắn với một trường"),
        ("ngo.van.c,,viewer,,có", "Dòng 5, cột họ tên: không được để trống"),
        ('ngo.van.c,=HYPERLINK("http://x"),viewer,,có', "Dòng 5, cột họ tên: ô bắt đầu bằng “=”"),
        ("ngo.van.c,@SUM(A1),viewer,,có", "Dòng 5, cột họ tên: ô bắt đầu bằng “@”"),
        ("ngo.van.c,Ngô Văn C,viewer,,đã nghỉ", "Dòng 5, cột hoạt động: 'đã nghỉ' phải là “có” hoặc “không”"),
        ("Ngô Văn C,Ngô Văn C,viewer,,có", "Dòng 5, cột tên đăng nhập: 'Ngô Văn C' chỉ gồm chữ thường không dấu"),
        (
            "ngo.van.c,Ngô Văn C,viewer,th-doan-ket,có",
            "Dòng 5, cột trường: chỉ cán bộ nhà trường mới gắn với một trường",
        ),
    ],
    ids=[
        "bad-role",
        "duplicate-username",
        "school-of-another-ward",
        "staff-without-school",
        "empty-name",
        "formula-equals",
        "formula-at",
        "active-yes-no",
        "username-accents",
        "viewer-with-school",
    ],
)
def test_one_bad_row_imports_nothing_and_is_named_by_line_and_column(app, admin, bad_row, problem):
    with app.app_context():
        other = Ward(
            slug="viet-hung",
            name="Phường Việt Hưng",
            city="Thành phố Hà Nội",
            authority="UBND phường Việt Hưng",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(
            School(ward=other, slug="th-viet-hung", name="Trường Tiểu học Việt Hưng", level=SchoolLevel.TIEU_HOC)
        )
        db.session.commit()
    before = counts(app)

    preview = upload(admin, ACCOUNTS_CSV + bad_row + "\n")

    assert preview.status_code == 422
    assert problem in text_of(preview)
    assert "Chưa nhập gì." in text_of(preview)
    assert "/admin/import/confirm" not in preview.get_data(as_text=True)
    assert counts(app) == before


def test_every_bad_row_of_a_schools_file_is_listed_at_once(admin):
    preview = upload(admin, SCHOOLS_CSV + "th-ngoc-thuy,Trường trùng,tiểu học,không,có\nth-moi,,mầm non,,\n")
    page = text_of(preview)
    assert "Dòng 5, cột slug: 'th-ngoc-thuy' trùng với dòng 2" in page
    assert "Dòng 6, cột tên trường: không được để trống" in page
    assert "Dòng 6, cột cấp học: 'mầm non' không hợp lệ" in page


def test_a_windows_1258_file_is_refused_with_how_to_save_utf8(app, admin):
    before = counts(app)
    preview = upload(admin, ACCOUNTS_CSV.encode("cp1258", errors="replace"))
    assert preview.status_code == 422
    assert "Tệp không phải UTF-8. Trong Excel, hãy lưu dạng “CSV UTF-8”." in text_of(preview)
    assert counts(app) == before


def test_an_xlsx_workbook_imports_schools_and_the_accounts_of_a_school_it_adds(app, admin):
    workbook = xlsx(
        (
            "Trường",
            [
                ["DANH SÁCH TRƯỜNG"],
                [],
                ["Mã", "Tên trường", "Cấp học", "Thí điểm", "Hoạt động"],
                ["thcs-ngoc-thuy", "Trường THCS Ngọc Thụy", "THCS", False, True],
            ],
        ),
        (
            "Tài khoản",
            [
                ["Tên đăng nhập", "Họ tên", "Vai trò", "Trường", "Hoạt động"],
                ["vu.minh", "Vũ Minh", "Cán bộ nhà trường", "Trường THCS Ngọc Thụy", "có"],
                ["dao.lan", "Đào Lan", "Lãnh đạo (xem)", None, "không"],
            ],
        ),
        ("Hướng dẫn", [["Điền mỗi người một dòng."]]),
    )

    preview = upload(admin, workbook, "danh-sach.xlsx")

    page = text_of(preview)
    assert preview.status_code == 200, page
    assert "Trang tính “Trường”, dòng 4 thcs-ngoc-thuy Trường THCS Ngọc Thụy THCS không có thêm" in page
    assert "Trang tính “Tài khoản”, dòng 2 vu.minh Vũ Minh Cán bộ nhà trường Trường THCS Ngọc Thụy có thêm" in page
    assert "Bỏ qua trang tính “Hướng dẫn”" in page
    assert "Nhập 3 dòng" in page

    assert confirm(admin, preview).status_code == 200
    with app.app_context():
        assert user("vu.minh").school.slug == "thcs-ngoc-thuy"
        assert user("dao.lan").is_enabled is False


def test_a_formula_cell_in_an_xlsx_file_is_refused_even_when_it_would_show_a_plain_value(app, admin):
    workbook = xlsx(
        (
            "Tài khoản",
            [["tên đăng nhập", "họ tên", "vai trò", "trường"], ["vu.minh", '=CONCAT("Vũ ", "Minh")', "viewer", None]],
        )
    )
    before = counts(app)

    preview = upload(admin, workbook, "tai-khoan.xlsx")

    assert preview.status_code == 422
    assert "Trang tính “Tài khoản”, dòng 2, cột họ tên: ô chứa công thức" in text_of(preview)
    assert counts(app) == before


def test_updating_accounts_by_import_is_audited_and_a_locked_account_loses_its_session(app, admin, as_persona):
    staff = as_persona("staff_a")
    preview = upload(
        admin,
        ACCOUNTS_HEADER
        + "canbo-a,Cán bộ A,Cán bộ nhà trường,th-doan-ket,không\n"
        + "giamsat,,thành viên đoàn kiểm tra,,có\n",
    )
    assert "Dòng 3, cột họ tên: không được để trống" in text_of(preview)

    preview = upload(admin, ACCOUNTS_HEADER + "canbo-a,Cán bộ A,Cán bộ nhà trường,th-doan-ket,không\n")
    assert "Dòng 2 canbo-a Cán bộ A Cán bộ nhà trường Trường Tiểu học Đoàn Kết không cập nhật" in text_of(preview)
    confirm(admin, preview)

    with app.app_context():
        assert (user("canbo-a").full_name, user("canbo-a").is_enabled) == ("Cán bộ A", False)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)).all()
        assert actions == ["user.disable", "user.update"]
    assert staff.get(f"/schools/{SCHOOL_A}").location.startswith("/login")


def test_an_import_cannot_leave_the_ward_without_an_active_ward_admin(app, admin):
    preview = upload(admin, ACCOUNTS_HEADER + "admin,Quản trị,viewer,,có\n")
    assert preview.status_code == 422
    assert "Phường cần ít nhất một tài khoản “Cán bộ Phòng VHXH” đang hoạt động" in text_of(preview)
    with app.app_context():
        assert user("admin").role is Role.WARD_ADMIN


def test_the_confirmation_checks_the_file_again_against_the_database_as_it_is_then(app, admin):
    preview = upload(admin, ACCOUNTS_CSV)
    with app.app_context():  # meanwhile another ward takes one of the names
        other = Ward(
            slug="viet-hung",
            name="Phường Việt Hưng",
            city="Thành phố Hà Nội",
            authority="UBND phường Việt Hưng",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(other)
        create_user("le.thi.binh", Role.VIEWER, PASSWORD, ward=other)
    before = counts(app)

    done = confirm(admin, preview)

    assert done.status_code == 422
    assert "Dòng 3, cột tên đăng nhập: 'le.thi.binh' đã là tài khoản của phường khác" in text_of(done)
    assert counts(app) == before


def test_a_preview_is_confirmed_once_by_the_admin_who_made_it_and_only_as_previewed(app, admin, as_persona):
    preview = upload(admin, SCHOOLS_CSV)
    fields = confirm_fields(preview)
    with app.app_context():
        create_user("admin2", Role.WARD_ADMIN, PASSWORD, ward=db.session.scalar(select(Ward)))
    second_admin = as_persona("admin2")
    before = counts(app)

    assert admin.post("/admin/import/confirm", data=fields | {"sha256": "0" * 64}).status_code == 422
    assert second_admin.post("/admin/import/confirm", data=fields).status_code == 422
    assert admin.post("/admin/import/confirm", data=fields | {"token": "../../secret_key"}).status_code == 422
    assert counts(app) == before
    assert admin.post("/admin/import/confirm", data=fields).status_code == 200
    again = admin.post("/admin/import/confirm", data=fields)
    assert again.status_code == 422 and "Bản xem trước đã hết hạn hoặc đã được dùng" in text_of(again)


def test_a_file_over_2_mb_is_refused_with_a_clear_message(admin):
    response = upload(admin, SCHOOLS_CSV + "," * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "Tệp quá lớn: tối đa 2 MB." in text_of(response)


def test_a_file_over_5000_rows_is_refused(app, admin):
    rows = "".join(f"nguoi-{n},Người {n},viewer,,có\n" for n in range(5001))
    response = upload(admin, ACCOUNTS_HEADER + rows)
    assert response.status_code == 422
    assert "Tệp có hơn 5.000 dòng dữ liệu; hãy chia thành nhiều tệp." in text_of(response)


@pytest.mark.parametrize(
    "content, name, message",
    [
        (SCHOOLS_CSV, "truong.xlsx", "Nội dung tệp không phải XLSX như tên tệp cho biết."),
        (SCHOOLS_CSV, "truong.xls", "Chỉ nhận tệp .csv (UTF-8) hoặc .xlsx (Excel)."),
        (b"PK\x03\x04 not really a zip", "truong.xlsx", "Không đọc được tệp XLSX"),
        ("họ,tên\nA,B\n", "khac.csv", "Không nhận ra danh sách"),
        ("tên đăng nhập,vai trò\nx,viewer\n", "thieu-cot.csv", "Thiếu cột: họ tên"),
        ("", "rong.csv", "Tệp trống"),
    ],
    ids=["csv-named-xlsx", "old-xls", "broken-xlsx", "unknown-header", "missing-column", "empty"],
)
def test_a_file_that_is_not_a_list_is_refused_and_says_why(admin, content, name, message):
    response = upload(admin, content, name)
    assert response.status_code == 422
    assert message in text_of(response)


def test_excel_semicolon_csv_is_read_too(admin):
    preview = upload(admin, SCHOOLS_CSV.replace(",", ";"))
    assert preview.status_code == 200 and "Nhập 3 dòng" in text_of(preview)


@pytest.mark.parametrize("persona", ["staff_a", "supervisor", "viewer"])
def test_only_ward_admins_upload_lists(app, as_persona, persona):
    client = as_persona(persona)
    before = counts(app)
    assert upload(client, SCHOOLS_CSV).status_code == 403
    assert counts(app) == before


def test_with_csrf_protection_on_the_whole_flow_works_from_the_pages_and_a_bare_post_is_refused(seeded_app):
    app = seeded_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    before = counts(app)
    assert upload(client, SCHOOLS_CSV).status_code == 400

    page = client.get("/admin/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    preview = client.post(
        "/admin/import",
        data={"file": (io.BytesIO(SCHOOLS_CSV.encode()), "truong.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert client.post("/admin/import/confirm", data=confirm_fields(preview)).status_code == 400
    assert counts(app) == before

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview.get_data(as_text=True))[1]
    done = client.post("/admin/import/confirm", data=confirm_fields(preview) | {"csrf_token": token})
    assert done.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(School).filter_by(slug="th-ngoc-thuy")) is not None


def test_an_xlsx_that_would_inflate_past_the_limit_is_refused_unread(admin):
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (51 * 1024 * 1024))
    response = upload(admin, bomb.getvalue(), "bom.xlsx")
    assert response.status_code == 422
    assert "Tệp XLSX quá lớn khi giải nén" in text_of(response)


def test_an_xlsx_over_5000_rows_is_refused(admin):
    rows = [["tên đăng nhập", "họ tên", "vai trò"]] + [[f"nguoi-{n}", f"Người {n}", "viewer"] for n in range(5001)]
    response = upload(admin, xlsx(("Tài khoản", rows)), "nhieu.xlsx")
    assert response.status_code == 422
    assert "Tệp có hơn 5.000 dòng dữ liệu" in text_of(response)


def test_an_xlsx_row_placed_a_million_lines_down_is_refused_without_reading_them_all(admin):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx(("Tài khoản", [["tên đăng nhập", "họ tên", "vai trò"]]))))
    workbook["Tài khoản"].cell(row=1_000_000, column=16_000, value="xa")
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = upload(admin, buffer.getvalue(), "xa.xlsx")

    assert response.status_code == 422
    assert "Trang tính “Tài khoản” dài quá 20.000 dòng (kể cả dòng trống)" in text_of(response)
