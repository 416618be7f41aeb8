"""What each role sees on the read-only pages of the foundation."""

import re
from datetime import date

import pytest
from helpers import SCHOOL_A, SCHOOL_B, seed, text_of
from sqlalchemy import select

from aiplan.checklists.services import sync_checklists
from aiplan.extensions import db
from aiplan.models import ChecklistItem, ItemStatus, Plan, School, SchoolLevel, Ward


def test_the_school_list_shows_every_active_school_with_its_progress(app, as_persona):
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m3")
        )
        item.status = ItemStatus.DONE
        db.session.commit()
    page = as_persona("ward_admin").get("/schools")
    body = page.get_data(as_text=True)
    assert body.count('class="school-card"') == 8
    assert "Trường Tiểu học Đoàn Kết" in body and "Trường THCS Cự Khối" in body
    assert 'aria-label="Tiến độ của Trường Tiểu học Đoàn Kết"' in body
    assert "1/9 mục bắt buộc · 11%" in text_of(page)
    assert "0/8 mục bắt buộc · 0%" in text_of(page)  # a non-pilot school: milestone 5 is required too (V.2)


def test_an_inactive_school_is_not_listed(app, as_persona):
    with app.app_context():
        db.session.scalar(select(School).filter_by(slug="th-cu-khoi")).is_active = False
        db.session.commit()
    body = as_persona("viewer").get("/schools").get_data(as_text=True)
    assert "Cự Khối" in body  # THCS Cự Khối is still there
    assert "Trường Tiểu học Cự Khối" not in body


def test_staff_see_only_their_own_school_in_the_list(as_persona):
    body = as_persona("staff_a").get("/schools").get_data(as_text=True)
    assert "Trường Tiểu học Đoàn Kết" in body
    assert "Thạch Bàn" not in body


def test_staff_are_refused_another_schools_checklist(as_persona):
    response = as_persona("staff_a").get(f"/schools/{SCHOOL_B}")
    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.get_data(as_text=True)
    assert "Thạch Bàn" not in response.get_data(as_text=True)


def test_an_unknown_school_is_a_plain_404(as_persona):
    response = as_persona("ward_admin").get("/schools/khong-co-truong-nay")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_the_checklist_groups_items_by_milestone_and_target_with_due_dates(as_persona):
    page = as_persona("staff_a").get(f"/schools/{SCHOOL_A}")
    text = text_of(page)
    assert "Các mốc triển khai" in text and "Chỉ tiêu và minh chứng" in text
    assert "3. Xây dựng kế hoạch triển khai giáo dục AI tại địa phương, nhà trường" in text
    assert "STT 1 · Trường tiểu học (được lựa chọn thí điểm)" in text
    assert "Hồ sơ lớp học" in text and "Sản phẩm trải nghiệm" in text
    assert "13/02/2026" in text  # milestone 3, end of Đầu HK II (15/02/2026, a Sunday)
    assert "08/06/2026" in text  # milestone 8, the day before the ward's default "trước ngày 09/6/2026"
    assert page.get_data(as_text=True).count('class="item') >= 9


def test_the_checklist_shows_what_is_late(app, as_persona):
    # The 2025-2026 year is over: every unfinished item is late, a finished one is not.
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m3")
        )
        item.status = ItemStatus.DONE
        db.session.commit()
    text = text_of(as_persona("staff_a").get(f"/schools/{SCHOOL_A}"))
    assert "Quá hạn (8)" in text


def test_the_ward_checklist_lists_the_wards_own_milestones(as_persona):
    text = text_of(as_persona("ward_admin").get("/ward"))
    for number in (1, 2, 6, 8, 9):
        assert f" {number}. " in text
    assert "3. Xây dựng kế hoạch" not in text
    assert "11/06/2026" in text  # milestone 8 for the ward: before 12/6/2026


def test_the_plan_page_shows_the_timeline_with_concrete_dates_and_owners(as_persona):
    text = text_of(as_persona("viewer").get("/plan"))
    assert "Theo dõi, kiểm tra, giám sát việc triển khai tại cơ sở giáo dục" in text
    assert "Giữa HK II năm học 2025-2026: 09/03/2026 – 04/04/2026" in text
    assert "UBND phường; Phòng VHXH" in text
    assert "trước ngày 15/06/2026" in text and "trước ngày 12/06/2026" in text
    assert "Mức độ hoàn thành chỉ tiêu được giao" in text
    assert "Trường THCS Thạch Bàn; mỗi trường tổ chức ít nhất 01 lớp" in text


def test_only_ward_admins_see_the_plans_date_warnings(app, as_persona):
    with app.app_context():
        db.session.scalar(select(Plan)).deadline("bao-cao-co-so").before = date(2026, 6, 14)
        db.session.commit()
    warning = "muộn hơn hạn “Phòng VHXH đôn đốc"
    assert warning in text_of(as_persona("ward_admin").get("/plan"))
    assert warning not in text_of(as_persona("viewer").get("/plan"))


def test_the_bundled_plan_raises_no_warning_now_that_milestone_8_reads_as_a_chain(as_persona):
    assert "Điểm chưa thống nhất trong kế hoạch" not in text_of(as_persona("ward_admin").get("/plan"))


def _add_schools(app, count: int) -> None:
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        schools = [
            School(
                ward=ward,
                slug=f"truong-them-{i}",
                name=f"Trường thêm {i}",
                level=SchoolLevel.THCS if i % 2 else SchoolLevel.TIEU_HOC,
                is_pilot=i % 7 == 0,
            )
            for i in range(count)
        ]
        db.session.add_all(schools)
        db.session.flush()
        sync_checklists(db.session.scalar(select(Plan)), schools)
        db.session.commit()


@pytest.mark.parametrize("url", ["/schools", f"/schools/{SCHOOL_A}", "/ward", "/plan"])
def test_pages_run_a_fixed_number_of_queries_whatever_the_number_of_schools(app, as_persona, count_queries, url):
    client = as_persona("ward_admin")
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add_schools(app, 120)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert large.count == small.count, large.statements
    # incl. the header's year selector and the plan's pilot schools; the ward's own page also reads the
    # reporting chain (the schools' ids, the ward's mốc 8 item, the schools' counts) and its own records;
    # and the header's bell (one COUNT of the account's unread notifications); +1 for who does what
    # (the school's items' owners) and +1 for the pilot classes' results beside milestone 7 on a school's
    # page; +1 for the problems raised (the ward's open count) on the ward's
    # (-1 since 6/12/2026: the current plan's year comes with the plan)
    assert small.count <= (18 if url == "/ward" else 16)


def test_responses_carry_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in response.headers["Vary"]
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])


def test_pages_have_no_inline_script_or_style(as_persona):
    for url in ("/schools", f"/schools/{SCHOOL_A}", "/plan", "/ward"):
        body = as_persona("ward_admin").get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)", body), url
        assert " style=" not in body and "<style" not in body, url


def test_an_unexpected_error_shows_a_plain_page_with_a_request_id_and_no_trace(make_app, caplog):
    app = make_app(TESTING=False)

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail from the database")

    response = app.test_client().get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in body
    assert "secret detail" not in body and "Traceback" not in body
    request_id = response.headers["X-Request-ID"]
    assert request_id in body
    assert any(
        request_id in record.getMessage() or getattr(record, "request_id", "") == request_id
        for record in caplog.records
    )


def test_the_interface_can_switch_to_english_and_back(as_persona):
    client = as_persona("ward_admin")
    response = client.post("/lang", data={"lang": "en", "next": "/schools"})
    assert response.location == "/schools"
    assert 'lang="en"' in client.get("/schools").get_data(as_text=True)
    client.post("/lang", data={"lang": "vi"})
    assert 'lang="vi"' in client.get("/schools").get_data(as_text=True)


def test_the_language_switch_never_redirects_off_site(client):
    assert client.post("/lang", data={"lang": "en", "next": "//evil.example"}).location == "/"


@pytest.mark.parametrize("url", ["/files/99999999999999999999", f"/schools/{SCHOOL_A}/items/99999999999999999999"])
def test_an_id_beyond_the_database_range_is_a_404_not_an_error(as_persona, url):
    client = as_persona("staff_a")
    assert client.open(url, method="POST" if "items" in url else "GET").status_code == 404


def test_a_nul_byte_in_input_is_refused_with_400(client):
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}).status_code == 400


def test_the_error_page_renders_after_a_database_error(make_app):
    from sqlalchemy import text as sql

    app = make_app(TESTING=False)
    with app.app_context():
        seed()

    @app.get("/broken-query-for-test")
    def broken():
        db.session.execute(sql("SELECT * FROM no_such_table"))

    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "mat-khau-thu-nghiem"})
    response = client.get("/broken-query-for-test")
    assert response.status_code == 500
    assert response.content_type.startswith("text/html") and "Đã có lỗi xảy ra" in response.get_data(as_text=True)


def test_pages_and_static_files_go_out_gzipped_and_static_urls_change_with_their_content(client, auth):
    import gzip
    import re as regex

    auth.login("ward_admin")
    page = client.get("/schools", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]
    html = gzip.decompress(page.data).decode()
    assert "Các trường" in html
    assets = regex.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert any(a.startswith("/static/css/app.css?v=") for a in assets), assets
    for url in set(assets):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"], url
        if url.endswith((".css", ".js")) or ".js?" in url or ".css?" in url:
            assert response.headers.get("Content-Encoding") == "gzip", url
    plain = client.get("/schools")  # a client that does not ask for gzip gets plain HTML
    assert "Content-Encoding" not in plain.headers and "Các trường" in plain.get_data(as_text=True)
