"""A school's evidence bundle: a ZIP of its non-restricted evidence, one folder per item, with an index
that lists every file's SHA-256, for inspections and archiving."""

import csv
import hashlib
import io
import zipfile
from datetime import date

from helpers import PERSONAS, SCHOOL_A, SCHOOL_B
from sqlalchemy import select

from aiplan.activities.services import create_activity, delete_activity
from aiplan.evidence.services import Upload, delete_file, save_uploads
from aiplan.extensions import db
from aiplan.models import ChecklistItem, DeliveryForm, Plan, School, User
from aiplan.reports.bundle import ascii_name, file_name

PLAN_PDF = b"%PDF-1.4\n%ke hoach\n%%EOF\n"
RECORD_PDF = b"%PDF-1.4\n%ho so lop hoc 5A\n%%EOF\n"
PUPILS_PDF = b"%PDF-1.4\n%anh hoc sinh\n%%EOF\n"
RESTRICTED_NAME = "Ảnh học sinh lớp 5A.pdf"
BUNDLE = f"/schools/{SCHOOL_A}/evidence.zip"
M3_FOLDER = "03 - Xay dung ke hoach trien khai giao duc AI tai dia phuong, nha truong"


def item(slug: str, key: str) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def staff(persona: str = "staff_a") -> User:
    return db.session.scalar(select(User).filter_by(username=PERSONAS[persona][0]))


def upload(slug: str, key: str, data: bytes, name: str, restricted: bool = False, persona: str = "staff_a"):
    target = item(slug, key)
    [file] = save_uploads(
        [Upload(io.BytesIO(data), name, restricted=restricted)], school=target.school, actor=staff(persona), item=target
    )
    return file


def seed(app) -> dict:
    """School A: a plan on milestone 3, a class record on its target's evidence, a restricted photo, a
    deleted file; school B: a file of its own."""
    with app.app_context():
        files = {
            "plan": upload(SCHOOL_A, "m3", PLAN_PDF, "Kế hoạch giáo dục AI.pdf"),
            "record": upload(SCHOOL_A, "t1/ho-so-lop-hoc", RECORD_PDF, "Hồ sơ lớp 5A.pdf"),
        }
        upload(SCHOOL_A, "m3", PUPILS_PDF, RESTRICTED_NAME, restricted=True)
        gone = upload(SCHOOL_A, "m3", b"%PDF-1.4\n%cu\n%%EOF\n", "Bản cũ đã xóa.pdf")
        delete_file(gone, staff())
        upload(SCHOOL_B, "m3", b"%PDF-1.4\n%truong B\n%%EOF\n", "Kế hoạch trường B.pdf", persona="staff_b")
        return {key: (file.sha256, file.size) for key, file in files.items()}


def open_bundle(client, url: str = BUNDLE) -> zipfile.ZipFile:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == "attachment; filename=minh-chung-th-doan-ket-2025-2026.zip"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert int(response.headers["Content-Length"]) == len(response.data)
    return zipfile.ZipFile(io.BytesIO(response.data))


def index_rows(archive: zipfile.ZipFile) -> list[dict]:
    raw = archive.read("index.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel shows the Vietnamese names
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_bundle_files_the_schools_evidence_by_item_with_an_index(app, as_persona):
    seeded = seed(app)

    archive = open_bundle(as_persona("staff_a"))

    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(
        [
            f"{M3_FOLDER}/Ke hoach giao duc AI.pdf",
            "PL2-STT1.2 - Ho so lop hoc/Ho so lop 5A.pdf",
            "index.csv",
            "index.html",
        ]
    )
    assert archive.read(f"{M3_FOLDER}/Ke hoach giao duc AI.pdf") == PLAN_PDF
    rows = {row["Tên tệp gốc"]: row for row in index_rows(archive)}
    assert set(rows) == {"Kế hoạch giáo dục AI.pdf", "Hồ sơ lớp 5A.pdf"}
    assert rows["Hồ sơ lớp 5A.pdf"]["Nội dung"] == "Minh chứng chỉ tiêu STT 1: Hồ sơ lớp học"
    assert rows["Kế hoạch giáo dục AI.pdf"]["Nội dung"].startswith("Mốc 3: Xây dựng kế hoạch")
    assert (
        rows["Kế hoạch giáo dục AI.pdf"]["SHA-256"],
        int(rows["Kế hoạch giáo dục AI.pdf"]["Dung lượng (byte)"]),
    ) == seeded["plan"]
    html = archive.read("index.html").decode("utf-8")
    assert "Danh mục minh chứng — Trường Tiểu học Đoàn Kết" in html and "Hồ sơ lớp 5A.pdf" in html
    assert seeded["record"][0] in html and seeded["plan"][0] in html


def test_the_index_lists_sha256_values_that_match_the_files_bytes(app, as_persona):
    seed(app)
    archive = open_bundle(as_persona("ward_admin"))
    rows = index_rows(archive)
    assert len(rows) == 2
    for row in rows:
        data = archive.read(row["Đường dẫn trong gói"])
        assert hashlib.sha256(data).hexdigest() == row["SHA-256"]
        assert len(data) == int(row["Dung lượng (byte)"]) and row["Ghi chú"] == ""


def test_restricted_deleted_and_other_schools_files_never_go_in(app, as_persona):
    seed(app)
    archive = open_bundle(as_persona("staff_a"))  # the school itself sees its restricted files elsewhere
    everything = b"".join(archive.read(name) for name in archive.namelist())
    names = " ".join(archive.namelist())
    for absent in ("Anh hoc sinh", "Ban cu", "truong B"):
        assert absent not in names, absent
    for absent in (PUPILS_PDF, RESTRICTED_NAME.encode(), "Bản cũ đã xóa".encode(), b"%truong B"):
        assert absent not in everything, absent
    assert "Không gồm 1 tệp hạn chế" in archive.read("index.html").decode("utf-8")


def test_every_reader_of_the_school_gets_the_same_files(app, as_persona):
    seed(app)
    bundles = {}
    for persona in ("staff_a", "supervisor", "ward_admin", "viewer"):
        archive = open_bundle(as_persona(persona))
        bundles[persona] = {name: archive.read(name) for name in archive.namelist() if not name.startswith("index.")}
    assert len({tuple(sorted(files.items())) for files in bundles.values()}) == 1


def test_staff_of_another_school_get_403_and_visitors_the_login_page(app, as_persona):
    seed(app)
    assert as_persona("staff_b").get(BUNDLE).status_code == 403
    response = as_persona(None).get(BUNDLE)
    assert response.status_code == 302 and response.location.startswith("/login")
    assert as_persona("ward_admin").get("/schools/khong-co/evidence.zip").status_code == 404


def test_stored_names_never_become_paths_in_the_archive(app, as_persona):
    with app.app_context():
        files = [upload(SCHOOL_A, "m3", PLAN_PDF + bytes([n]), f"ten-{n}.pdf") for n in range(6)]
        for file, name in zip(
            files,
            (
                "../../etc/passwd.pdf",
                "..\\..\\windows\\win.ini",
                "/tuyet-doi.pdf",
                "CON.pdf",
                "   .pdf",
                "Kế hoạch giáo dục AI.pdf",
            ),
        ):
            file.original_name = name  # as if an older version of the app had stored it
        upload(SCHOOL_A, "m3", PLAN_PDF, "Kế hoạch giáo dục AI.PDF")
        db.session.commit()

    names = open_bundle(as_persona("staff_a")).namelist()

    for name in names:
        assert name.isascii() and not name.startswith("/") and "\\" not in name, name
        assert all(part not in ("", ".", "..") and not part.startswith(".") for part in name.split("/")), name
        assert len(name.split("/")) <= 2
    files = sorted(name.split("/")[1] for name in names if "/" in name)
    assert files == sorted(
        [
            "etc-passwd.pdf",
            "windows-win.ini",
            "tuyet-doi.pdf",
            "_CON.pdf",
            "tep.pdf",
            "Ke hoach giao duc AI.pdf",
            "Ke hoach giao duc AI (2).pdf",
        ]
    )


def test_a_file_missing_from_the_store_is_listed_not_fatal(app, as_persona):
    with app.app_context():
        ghost = upload(SCHOOL_A, "m3", PLAN_PDF, "Kế hoạch.pdf")
        ghost.sha256 = "0" * 64  # a row whose blob is gone
        db.session.commit()

    archive = open_bundle(as_persona("ward_admin"))

    assert archive.namelist() == ["index.html", "index.csv"]
    [row] = index_rows(archive)
    assert row["Ghi chú"].startswith("Thiếu trong kho lưu trữ")


def test_files_of_activities_have_a_folder_each(app, as_persona):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        activity = create_activity(
            plan,
            school,
            {
                "form_id": form.id,
                "title": "Lớp chuyên đề “AI quanh em” 5A",
                "subject": "",
                "grade": "5",
                "class_name": "5A",
                "participants": 35,
                "lessons": 8,
                "content_area_ids": [],
                "starts_on": date(2026, 3, 2),
                "ends_on": None,
                "products": "",
                "notes": "",
            },
            actor=staff(),
        )
        save_uploads([Upload(io.BytesIO(PLAN_PDF), "Sản phẩm.pdf")], school=school, actor=staff(), activity=activity)

    names = open_bundle(as_persona("viewer")).namelist()

    assert "HD01 - Lop chuyen de AI quanh em 5A/San pham.pdf" in names


def test_a_deleted_activitys_files_are_kept_and_said_so(app, as_persona):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.3"))
        activity = create_activity(
            plan,
            school,
            {
                "form_id": form.id,
                "title": "Câu lạc bộ AI",
                "subject": "",
                "grade": "",
                "class_name": "",
                "participants": 20,
                "lessons": 4,
                "content_area_ids": [],
                "starts_on": date(2026, 3, 2),
                "ends_on": None,
                "products": "",
                "notes": "",
            },
            actor=staff(),
        )
        save_uploads([Upload(io.BytesIO(PLAN_PDF), "Ảnh CLB.pdf")], school=school, actor=staff(), activity=activity)
        delete_activity(activity, activity.version, actor=staff())

    [row] = index_rows(open_bundle(as_persona("ward_admin")))
    assert row["Nội dung"] == "Hoạt động đã xóa: Câu lạc bộ AI"


def test_a_school_without_evidence_gets_its_index_alone(app, as_persona):
    archive = open_bundle(as_persona("staff_a"))
    assert archive.namelist() == ["index.html", "index.csv"]
    assert "Nhà trường chưa có tệp minh chứng nào." in archive.read("index.html").decode("utf-8")
    assert index_rows(archive) == []


def test_safe_names_keep_what_can_be_read():
    assert ascii_name("Xây dựng kế hoạch: Đoàn Kết / 2026", 60) == "Xay dung ke hoach- Doan Ket - 2026"
    assert ascii_name("..\\..\\", 60) == ""
    assert ascii_name("NUL", 60) == "_NUL"
    assert len(ascii_name("a" * 300, 60)) == 60
    taken: set[str] = set()
    assert [file_name(n, taken) for n in ("Bài 1.PDF", "bai 1.pdf", ".htaccess", "không đuôi")] == [
        "Bai 1.pdf",
        "bai 1 (2).pdf",
        "tep.htaccess",
        "khong duoi",
    ]
