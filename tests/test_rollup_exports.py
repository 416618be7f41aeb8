"""The rollup's exports: JSON, CSV and XLSX say what the page says, in Vietnamese that survives
every format, to the people who may read it, without naming a restricted file."""

import csv
import io
import json
import re
from datetime import datetime
from urllib.parse import unquote

import openpyxl
import pytest
from helpers import SCHOOL_A, SCHOOL_B, page_text
from sqlalchemy import select
from test_rollup import COMPLETE, RESTRICTED_NAME, _grow_ward, item, matrix_of, seed_progress

from aiplan.checklists.services import sync_checklists
from aiplan.extensions import db
from aiplan.models import Plan, School, SchoolLevel, Ward

DIACRITICS = "Trường Tiểu học Ngọc Thụy – Đặng Thị Ngữ"  # every tone mark, đ and a dash


@pytest.fixture
def seeded(app):
    seed_progress(app)
    return app


def get_json(client) -> dict:
    response = client.get("/rollup.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def get_csv(client) -> list[dict]:
    response = client.get("/rollup.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def get_xlsx(client) -> openpyxl.Workbook:
    response = client.get("/rollup.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def sheet_rows(sheet, header_row: int) -> list[dict]:
    headers = [cell.value for cell in sheet[header_row]]
    return [
        dict(zip(headers, row))
        for row in sheet.iter_rows(min_row=header_row + 1, values_only=True)
        if any(value is not None for value in row)
    ]


def targets_rows(book) -> list[dict]:
    """The Phụ lục II sheet's rows by its own columns (their headers span rows 3 and 4)."""
    sheet = book["Phụ lục II"]
    headers = [cell.value for cell in sheet[3]][:11]
    return [dict(zip(headers, row[:11])) for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]]


def page_numbers(body: str) -> dict[str, tuple[int, int, int, int]]:
    """slug -> (done, required, verified, late) as the matrix shows them."""
    numbers = {}
    for row in matrix_of(body).split("<tr")[2:]:
        slug = re.search(r'href="/schools/([a-z0-9-]+)"', row).group(1)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        done, required, verified, late = re.search(r"(\d+)/(\d+) \d+% (\d+)/\d+ (?:⚠ )?(\d+)", text).groups()
        numbers[slug] = (int(done), int(required), int(verified), int(late))
    return numbers


# -- every format says the same ------------------------------------------------------------------


def test_the_page_the_json_the_csv_and_the_xlsx_give_the_same_numbers(seeded, as_persona):
    client = as_persona("ward_admin")
    page = client.get("/rollup").get_data(as_text=True)
    data, rows, book = get_json(client), get_csv(client), get_xlsx(client)
    from_page = page_numbers(page)
    from_json = {
        s["slug"]: (s["items"]["done"], s["items"]["total"], s["items"]["verified"], s["items"]["late"])
        for s in data["schools"]
    }
    from_csv = {
        r["Mã trường"]: (
            int(r["Đã hoàn thành"]),
            int(r["Số mục bắt buộc"]),
            int(r["Đã xác minh đạt"]),
            int(r["Quá hạn"]),
        )
        for r in rows
    }
    from_xlsx = {
        r["Mã trường"]: (r["Đã hoàn thành"], r["Số mục bắt buộc"], r["Đã xác minh đạt"], r["Quá hạn"])
        for r in sheet_rows(book["Theo trường"], 3)
    }
    assert len(from_page) == 8
    assert from_page == from_json == from_csv == from_xlsx
    assert from_json[SCHOOL_A] == (2, 9, 1, 7) and from_json[COMPLETE] == (8, 8, 0, 0)
    # The order is the page's too: pilot schools first.
    assert [s["slug"] for s in data["schools"]] == list(from_page) == [r["Mã trường"] for r in rows]

    # Phụ lục II: x of n schools on the page, in the JSON and on the sheet.
    targets = {t["stt"]: (t["actual"], t["of"], t["met"]) for t in data["targets"]}
    assert targets == {1: (1, 1, True), 4: (0, 1, False), 5: (1, 6, False)}
    text = page_text(page)
    for stt, (actual, of, _) in targets.items():
        assert f"Thực hiện {actual}/{of} trường" in text[text.index(f"STT {stt} ·") :]
    sheet = {r["STT"]: r for r in targets_rows(book)}
    assert {stt: (r["Số trường đạt"], r["Số trường áp dụng"], r["Đánh giá"]) for stt, r in sheet.items()} == {
        1: (1, 1, "Đạt"),
        4: (0, 1, "Chưa đạt"),
        5: (1, 6, "Chưa đạt"),
    }
    assert sheet[5]["Tỷ lệ đạt"] == pytest.approx(1 / 6)

    # Per school target results: the JSON, a CSV column, and the school's columns of Phụ lục II.
    json_met = {s["slug"]: s["targets_met"] for s in data["schools"]}
    assert json_met[SCHOOL_A] == {"1": True} and json_met[SCHOOL_B] == {"4": False}
    assert json_met["th-long-bien"] == {"5": True}
    csv_a = next(r for r in rows if r["Mã trường"] == SCHOOL_A)
    assert csv_a["STT 1: kết quả (số lớp)"] == "1" and csv_a["STT 1: đánh giá"] == "Đạt"
    header = [c.value for c in book["Phụ lục II"][3]]
    col = header.index("Trường Tiểu học Đoàn Kết")
    row1 = [c.value for c in book["Phụ lục II"][5]]
    assert row1[0] == 1 and row1[col] == 1 and row1[col + 1] == "Đạt"

    # Counts for leaders.
    totals = data["totals"]
    assert (totals["pupils"], totals["lessons_taught"], totals["teachers_trained"]) == (95, 18, 12)
    assert (totals["evidence_files"], totals["restricted_files"]) == (2, 1)
    assert sum(int(r["Lượt học sinh tham gia (2.1–2.3)"]) for r in rows) == 95
    assert sum(int(r["Tệp minh chứng"]) for r in rows) == 2
    assert "Lượt học sinh được học về AI (hình thức 2.1–2.3) 95" in text

    # Milestone 3 on its own sheet: the schools, their dates, the verdicts.
    m3 = {r["Đơn vị"]: r for r in sheet_rows(book["Mốc 3"], 3)}
    assert len(m3) == 8
    a = m3["Trường Tiểu học Đoàn Kết"]
    assert (a["Trạng thái"], a["Đúng hạn"], a["Kết quả kiểm tra"]) == ("Đã hoàn thành", "Có", "Đạt")
    assert a["Hạn hoàn thành"] == datetime(2026, 2, 13) and a["Ngày hoàn thành"] == datetime(2026, 2, 10)
    b = m3["Trường THCS Thạch Bàn"]
    assert (b["Đúng hạn"], b["Kết quả kiểm tra"], b["Nội dung cần bổ sung"]) == ("Không", "Cần bổ sung", "Thiếu chữ ký")
    milestone = next(m for m in data["milestones"] if m["number"] == 3)
    assert (milestone["done"], milestone["required"], milestone["on_time"]) == (3, 8, 1)


def test_the_json_has_the_documented_shape(seeded, as_persona):
    data = get_json(as_persona("viewer"))
    assert {"schools", "targets", "school_year", "generated_at"} <= set(data)
    assert data["school_year"] == "2025-2026"
    assert datetime.fromisoformat(data["generated_at"]).utcoffset().total_seconds() == 7 * 3600
    school = next(s for s in data["schools"] if s["slug"] == SCHOOL_A)
    assert {"slug", "name", "level", "pilot", "items", "activities", "pupils", "targets_met"} <= set(school)
    assert set(school["items"]) >= {"total", "done", "verified", "late"}
    assert school["level"] == "tieu_hoc" and school["pilot"] is True
    assert school["activities"]["2.2"] == 1 and school["pupils"] == {"2.1": 0, "2.2": 35, "2.3": 0}
    assert school["milestones"]["3"]["completed_on"] == "2026-02-10" and school["milestones"]["3"]["on_time"]
    target = data["targets"][0]
    assert set(target) >= {"stt", "target", "actual", "met"}
    assert target["target"] == "Trường Tiểu học Đoàn Kết; mỗi trường tổ chức ít nhất 01 lớp"


def test_the_xlsx_has_frozen_vietnamese_headers_fitting_widths_and_real_numbers(seeded, as_persona):
    book = get_xlsx(as_persona("ward_admin"))
    existing = ["Phụ lục II", "Theo trường"] + [f"Mốc {n}" for n in range(1, 10)]
    assert book.sheetnames[: len(existing)] == existing  # the sheets other tools read stay first, unchanged
    assert book.sheetnames[len(existing) :] == [  # issue 17's new sheets
        "Phân công, vướng mắc",
        "Thiết bị",  # the equipment survey (part 2)
        "Nguồn lực",  # the resources register (part 3)
        "Đối tác",
        "Công cụ AI",
        "Bồi dưỡng GV",
        "Lớp thí điểm",
    ]
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert book["Phụ lục II"].freeze_panes == "B5"
    assert book["Theo trường"].freeze_panes == "D4"
    assert book["Mốc 3"].freeze_panes == "C4"
    fixed = [c.value for c in book["Phụ lục II"][3]][:6]
    assert fixed == [
        "STT",
        "Cấp học / Đối tượng triển khai",
        "Đơn vị quản lý, chỉ đạo",
        "Chỉ tiêu triển khai tối thiểu",
        "Hình thức tổ chức thực hiện",
        "Minh chứng thực hiện",
    ]
    schools = book["Theo trường"]
    name_width = schools.column_dimensions["C"].width
    assert len("Trường Tiểu học Thạch Bàn A") <= name_width <= 45
    row = sheet_rows(schools, 3)[0]
    assert isinstance(row["Số mục bắt buộc"], int) and isinstance(row["Tỷ lệ hoàn thành (%)"], int)
    assert book["Mốc 3"]["G4"].number_format == "DD/MM/YYYY"
    assert book["Mốc 1"]["B4"].value == "Phường Long Biên (việc của phường)"


def test_every_xlsx_sheet_prints_landscape_on_a4_one_page_wide_with_its_headers_on_each_page(seeded, as_persona):
    book = get_xlsx(as_persona("ward_admin"))
    header_rows = {"Phụ lục II": "$3:$4", "Theo trường": "$3:$3", "Mốc 3": "$3:$3"}
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert str(setup.paperSize) == "9", sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title  # one page wide, as long as needed
        assert sheet.print_title_rows == header_rows.get(sheet.title, "$3:$3"), sheet.title
        assert all(cell.alignment.wrap_text for cell in [c for c in sheet[3] if c.value][:6]), (
            sheet.title
        )  # headers wrap
        widths = [dim.width for dim in sheet.column_dimensions.values() if dim.width]
        assert widths and max(widths) <= 45, sheet.title


def test_the_csv_is_utf8_with_a_bom_and_vietnamese_headers_one_row_per_school(seeded, as_persona):
    response = as_persona("supervisor").get("/rollup.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["STT", "Mã trường", "Tên trường", "Cấp học", "Trường thí điểm"]
    assert len(rows) == 1 + 8
    assert "Trường Tiểu học Đoàn Kết" in [r[2] for r in rows]


def test_downloads_are_attachments_with_their_type_and_a_vietnamese_file_name(seeded, as_persona):
    client = as_persona("viewer")
    for url, content_type in (
        ("/rollup.json", "application/json"),
        ("/rollup.csv", "text/csv; charset=utf-8"),
        ("/rollup.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        response = client.get(url)
        assert response.headers["Content-Type"] == content_type
        disposition = response.headers["Content-Disposition"]
        extension = url.rsplit(".", 1)[1]
        assert disposition.startswith(f'attachment; filename="tong-hop-giao-duc-ai-nam-hoc-2025-2026.{extension}"')
        encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition).group(1)
        assert unquote(encoded) == f"Tổng hợp giáo dục AI năm học 2025-2026.{extension}"
        assert disposition.isascii()
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    staff = as_persona("staff_a").get("/rollup.xlsx").headers["Content-Disposition"]
    assert "tong-hop-giao-duc-ai-nam-hoc-2025-2026-truong-tieu-hoc-doan-ket.xlsx" in staff


def test_names_with_diacritics_survive_every_format(seeded, as_persona):
    with seeded.app_context():
        ward = db.session.scalar(select(Ward))
        school = School(ward=ward, slug="th-ngoc-thuy", name=DIACRITICS, level=SchoolLevel.TIEU_HOC)
        db.session.add(school)
        db.session.flush()
        sync_checklists(db.session.scalar(select(Plan)), [school])
        db.session.commit()
    client = as_persona("ward_admin")
    assert DIACRITICS in client.get("/rollup").get_data(as_text=True)
    assert DIACRITICS in [s["name"] for s in get_json(client)["schools"]]
    assert DIACRITICS in [r["Tên trường"] for r in get_csv(client)]
    book = get_xlsx(client)
    assert DIACRITICS in [r["Tên trường"] for r in sheet_rows(book["Theo trường"], 3)]
    assert DIACRITICS in [c.value for c in book["Phụ lục II"][3]]
    assert DIACRITICS in [r["Đơn vị"] for r in sheet_rows(book["Mốc 3"], 3)]
    # Raw JSON keeps the letters themselves, not \u escapes.
    assert DIACRITICS.encode() in client.get("/rollup.json").data


def test_every_export_holds_every_school_whatever_the_page_shows(seeded, as_persona):
    _grow_ward(seeded, 120)
    client = as_persona("ward_admin")
    data = get_json(client)
    slugs = [s["slug"] for s in data["schools"]]
    assert len(slugs) == 120 == data["totals"]["schools"]
    assert [r["Mã trường"] for r in get_csv(client)] == slugs
    book = get_xlsx(client)
    assert [r["Mã trường"] for r in sheet_rows(book["Theo trường"], 3)] == slugs
    assert len([c.value for c in book["Phụ lục II"][3]][11::2]) == 120
    assert len(sheet_rows(book["Mốc 3"], 3)) == 120
    assert all(s["milestones"]["3"]["status"] for s in data["schools"])  # every school's items, not a page's


def test_the_json_and_csv_are_sent_in_pieces_that_make_the_whole_document(seeded, as_persona, monkeypatch):
    from aiplan.figures import rollup as services
    from aiplan.rollup import exports
    from aiplan.schoolyear import plan_schools

    monkeypatch.setattr(exports, "CHUNK", 3)
    with seeded.test_request_context():
        plan = db.session.scalar(select(Plan))
        r = services.rollup(plan, plan_schools(plan), late_and_weekly=False)
        services.load_items(r, r.rows)
        pieces = list(exports.json_chunks(r))
        assert len(pieces) > 2 and "".join(pieces) == exports.json_text(exports.to_json(r))
        lines = list(exports.csv_chunks(r))
        assert len(lines) > 2 and b"".join(lines).startswith(b"\xef\xbb\xbf")
    # And as downloaded, whole.
    rows = get_csv(as_persona("ward_admin"))
    assert len(rows) == 8 and all(r["Mã trường"] for r in rows)
    assert len(get_json(as_persona("ward_admin"))["schools"]) == 8


# -- who gets what -------------------------------------------------------------------------------

OTHER_SCHOOLS = ("th-cu-khoi", "thcs-cu-khoi", "th-long-bien", "th-thach-ban-a")


@pytest.mark.parametrize("persona, own, other", [("staff_a", SCHOOL_A, SCHOOL_B), ("staff_b", SCHOOL_B, SCHOOL_A)])
def test_school_staff_get_only_their_own_row_in_every_export(seeded, as_persona, persona, own, other):
    client = as_persona(persona)
    data = get_json(client)
    assert [s["slug"] for s in data["schools"]] == [own] and data["scope"] == own
    assert all(m["ward"] is None for m in data["milestones"])  # nor the ward's own items
    assert data["totals"]["schools"] == 1
    assert [r["Mã trường"] for r in get_csv(client)] == [own]
    book = get_xlsx(client)
    assert [r["Mã trường"] for r in sheet_rows(book["Theo trường"], 3)] == [own]
    assert [c.value for c in book["Phụ lục II"][3]][11::2] == [data["schools"][0]["name"]]
    assert "Mốc 1" not in book.sheetnames  # a milestone of the ward alone
    assert {r["Đơn vị"] for r in sheet_rows(book["Mốc 3"], 3)} == {data["schools"][0]["name"]}
    for url in ("/rollup.json", "/rollup.csv"):
        body = client.get(url).data.decode("utf-8-sig")
        assert other not in body and not any(slug in body for slug in OTHER_SCHOOLS)
        assert "Cự Khối" not in body
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and ("Cự Khối" in v or other in v) for v in row), sheet.title


def test_staffs_own_numbers_match_the_wards_export(seeded, as_persona):
    ward = {s["slug"]: s for s in get_json(as_persona("viewer"))["schools"]}
    (own,) = get_json(as_persona("staff_a"))["schools"]
    assert own == ward[SCHOOL_A]


def test_restricted_files_are_counted_in_exports_but_never_named(seeded, as_persona):
    for persona in ("ward_admin", "viewer", "staff_a"):
        client = as_persona(persona)
        for url in ("/rollup.json", "/rollup.csv"):
            body = client.get(url).data.decode("utf-8-sig")
            assert "Ảnh học sinh" not in body and ".pdf" not in body, (persona, url)
        for sheet in get_xlsx(client).worksheets:
            for row in sheet.iter_rows(values_only=True):
                assert not any(isinstance(v, str) and ("Ảnh học sinh" in v or ".pdf" in v) for v in row)
        data = get_json(client)
        assert data["totals"]["restricted_files"] == 1 and data["totals"]["evidence_files"] == 2
    assert RESTRICTED_NAME.startswith("Ảnh học sinh")


def test_an_empty_ward_exports_headers_and_no_rows(app, as_persona):
    with app.app_context():
        for school in db.session.scalars(select(School)):
            school.is_active = False
        db.session.commit()
    client = as_persona("ward_admin")
    assert get_json(client)["schools"] == []
    assert get_csv(client) == []
    book = get_xlsx(client)
    assert sheet_rows(book["Theo trường"], 3) == []
    assert [r["STT"] for r in targets_rows(book)] == [1, 4, 5]


def test_text_a_spreadsheet_would_run_as_a_formula_stays_text_in_the_csv_and_the_xlsx(seeded, as_persona):
    """A supervisor's reason or a school's name (the CLI import and older data were not always checked)
    that starts like a formula must open as text, never as something Excel runs."""
    attack = '=HYPERLINK("http://example.invalid","Bấm")'
    with seeded.app_context():
        db.session.scalar(select(School).filter_by(slug=SCHOOL_A)).name = "@SUM(1+1)"
        sent_back = item(SCHOOL_B, "m3")
        sent_back.verdict_reason = attack
        db.session.commit()
    client = as_persona("ward_admin")

    names = [r["Tên trường"] for r in get_csv(client)]
    assert "'@SUM(1+1)" in names and "@SUM(1+1)" not in names

    book = get_xlsx(client)
    reasons = {r["Đơn vị"]: r["Nội dung cần bổ sung"] for r in sheet_rows(book["Mốc 3"], 3)}
    assert attack in reasons.values()
    cells = [cell for row in book["Mốc 3"].iter_rows() for cell in row if cell.value == attack]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert not [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert "@SUM(1+1)" in [r["Tên trường"] for r in sheet_rows(book["Theo trường"], 3)]
