"""The school's report and the ward's consolidated report: DOCX laid out per Nghị định 30/2020 with the
figures the app holds, a page showing the same document, and the parts people write themselves."""

import io
import re
import unicodedata
from datetime import date

import pytest
from docx import Document
from helpers import PASSWORD, PERSONAS, SCHOOL_A
from sqlalchemy import func, select

from aiplan.activities.self_evaluation import save_self_evaluation
from aiplan.activities.services import create_activity
from aiplan.checklists.services import sync_checklists, update_item
from aiplan.evidence.services import Upload, save_uploads
from aiplan.extensions import db
from aiplan.inspections.services import give_verdict
from aiplan.models import (
    AuditEvent,
    ChecklistItem,
    DeliveryForm,
    ItemStatus,
    Plan,
    Rating,
    ReportText,
    School,
    SchoolLevel,
    User,
    Verdict,
)
from aiplan.reports.services import StaleReportText, save_report_text
from aiplan.reports.ward_report import build_ward_report, ward_report

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
PDF = b"%PDF-1.4\n%report test\n%%EOF\n"
PUBLIC_FILE = "Kế hoạch giáo dục AI.pdf"
RESTRICTED_FILE = "Ảnh học sinh lớp 5A.pdf"
REASON = "Thiếu biên bản họp tổ chuyên môn"
CRITERION_TEXT = "Học sinh hứng thú, sản phẩm đa dạng"
DIFFICULTIES = "Phòng máy còn thiếu 10 máy tính kết nối Internet.\nGiáo viên Tin học kiêm nhiệm nhiều việc."
PROPOSALS = "Đề nghị UBND phường hỗ trợ kinh phí nâng cấp phòng máy."


# -- seeding ------------------------------------------------------------------------------------


def school(slug: str) -> School:
    return db.session.scalar(select(School).filter_by(slug=slug))


def the_plan() -> Plan:
    return db.session.scalar(select(Plan))


def user(persona: str) -> User:
    return db.session.scalar(select(User).filter_by(username=PERSONAS[persona][0]))


def item(slug: str, key: str) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def activity(slug: str, code: str, **overrides):
    plan = the_plan()
    form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code=code))
    values = {
        "form_id": form.id,
        "title": f"Hoạt động {code}",
        "subject": "Tin học",
        "grade": "5",
        "class_name": "5A",
        "participants": 35,
        "lessons": 8,
        "content_area_ids": [],
        "starts_on": date(2026, 3, 2),
        "ends_on": date(2026, 4, 30),
        "products": "",
        "notes": "",
    }
    values.update(overrides)
    return create_activity(plan, school(slug), values, actor=user("staff_a"))


def seed_school_a(app) -> dict:
    """School A's year: a pilot class and an integration activity, milestone 3 done and sent back by a
    supervisor, a public and a restricted evidence file, a submitted self-evaluation."""
    with app.app_context():
        plan, staff = the_plan(), user("staff_a")
        activity(SCHOOL_A, "2.2", title="Lớp chuyên đề AI 5A", participants=35, lessons=8)
        activity(
            SCHOOL_A,
            "2.1",
            title="Lồng ghép AI trong môn Tin học khối 4",
            class_name="4A1",
            participants=120,
            lessons=6,
        )
        m3 = item(SCHOOL_A, "m3")
        [public] = save_uploads([Upload(io.BytesIO(PDF), PUBLIC_FILE)], school=m3.school, actor=staff, item=m3)
        save_uploads(
            [Upload(io.BytesIO(PDF + b"%private\n"), RESTRICTED_FILE, restricted=True)],
            school=m3.school,
            actor=staff,
            item=m3,
        )
        m3 = item(SCHOOL_A, "m3")
        update_item(m3, version=m3.version, actor=staff, status=ItemStatus.DONE)
        m3 = item(SCHOOL_A, "m3")
        give_verdict(m3, Verdict.NEEDS_MORE, REASON, version=m3.version, actor=user("supervisor"))
        save_self_evaluation(
            plan,
            school(SCHOOL_A),
            {c.id: (Rating.TOT, CRITERION_TEXT if c.position == 1 else "") for c in plan.criteria},
            0,
            submit=True,
            actor=staff,
        )
        return {"public_sha": public.sha256}


def docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    """All paragraphs of a DOCX (body, table cells, headers) as one string, and its tables as cell texts."""
    document = Document(io.BytesIO(data))
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    words = [p.text for p in document.paragraphs] + [cell for table in tables for row in table for cell in row]
    return "\n".join(words), tables


def table_with(tables, header: str) -> list[list[str]]:
    found = [table for table in tables if header in table[0]]
    assert found, f"no table with a column {header!r}"
    return found[0]


def get_docx(client, url: str) -> tuple[str, list]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    return docx_text(response.data)


def report_texts(app) -> list[tuple]:
    with app.app_context():
        return [(t.school_id, t.difficulties, t.proposals, t.version) for t in db.session.scalars(select(ReportText))]


def form(version: int = 0, **values) -> dict:
    data = {
        "number": "",
        "signer_title": "",
        "signer_name": "",
        "difficulties": "",
        "proposals": "",
        "version": str(version),
    }
    data.update(values)
    return data


# -- the school's report -------------------------------------------------------------------------


def test_the_school_report_docx_carries_the_national_title_the_figures_and_the_tables(app, as_persona):
    seeded = seed_school_a(app)

    text, tables = get_docx(as_persona("staff_a"), f"/schools/{SCHOOL_A}/report.docx")

    for line in (
        NATIONAL_TITLE,
        "Độc lập - Tự do - Hạnh phúc",
        "UBND PHƯỜNG LONG BIÊN",
        "TRƯỜNG TIỂU HỌC ĐOÀN KẾT",
        "BÁO CÁO",
        "Kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo năm học 2025-2026",
        "HIỆU TRƯỞNG",
        # Kế hoạch V.2: the UBND phường through the Phòng VHXH, and the level above.
        "- UBND phường Long Biên (qua Phòng Văn hóa - Xã hội);",
        "- Sở Giáo dục và Đào tạo Hà Nội (cơ quan quản lý cấp trên);",
        "- Lưu: VT.",
        "Long Biên, ngày",
    ):
        assert line in text, line
    assert re.search(r"Số: +/BC-THĐK", text)
    checklist = table_with(tables, "Mốc / nội dung")
    [m3] = [row for row in checklist if row[1].startswith("Mốc 3:")]
    assert m3[3].startswith("Đã hoàn thành") and m3[4] == f"Cần bổ sung: {REASON}"
    forms = table_with(tables, "Hình thức tổ chức")
    [elective] = [row for row in forms if row[1].startswith("2.2.")]
    assert elective[2:] == ["1", "35", "8"]
    [integration] = [row for row in forms if row[1].startswith("2.1.")]
    assert integration[2:] == ["1", "120", "6"]
    targets = table_with(tables, "Chỉ tiêu triển khai tối thiểu")
    assert targets[1][0] == "1" and targets[1][2].startswith("1 lớp") and targets[1][3] == "Đạt"
    evidence = table_with(tables, "Mã SHA-256")
    assert [row[2:] for row in evidence[1:]] == [[PUBLIC_FILE, f"{len(PDF)} B", seeded["public_sha"]]]
    assert "1 tệp minh chứng hạn chế" in text
    evaluation = table_with(tables, "Mức đánh giá")
    assert [row[2] for row in evaluation[1:]] == ["Tốt", "Tốt", "Tốt"]
    assert evaluation[1][3] == CRITERION_TEXT
    assert "Tổng cộng 2 hoạt động, 14 tiết; 155 lượt học sinh" in text


def test_restricted_files_are_counted_but_never_named_in_the_report(app, as_persona):
    seed_school_a(app)
    for persona in ("staff_a", "supervisor", "ward_admin", "viewer"):
        client = as_persona(persona)
        text, _ = get_docx(client, f"/schools/{SCHOOL_A}/report.docx")
        page = client.get(f"/schools/{SCHOOL_A}/report").get_data(as_text=True)
        assert PUBLIC_FILE in text and PUBLIC_FILE in page, persona
        assert RESTRICTED_FILE not in text and RESTRICTED_FILE not in page, persona


def test_the_page_shows_the_same_document_as_the_docx(app, as_persona):
    seeded = seed_school_a(app)
    client = as_persona("ward_admin")

    page = client.get(f"/schools/{SCHOOL_A}/report")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for line in (
        NATIONAL_TITLE,
        "TRƯỜNG TIỂU HỌC ĐOÀN KẾT",
        "I. KẾT QUẢ THỰC HIỆN CÁC NỘI DUNG THEO KẾ HOẠCH",
        f"Cần bổ sung: {REASON}",
        seeded["public_sha"],
        CRITERION_TEXT,
        "HIỆU TRƯỞNG",
    ):
        assert line in html, line
    assert f'href="/schools/{SCHOOL_A}/report.docx"' in html
    # The evidence ZIP is made by a background job: a form that asks for it (tests/test_jobs.py).
    assert 'name="kind" value="evidence_zip"' in html and f'name="school" value="{SCHOOL_A}"' in html
    assert 'aria-current="page">Báo cáo' in html
    # A ward admin reads a school's report; only its staff write it.
    assert f'action="/schools/{SCHOOL_A}/report"' not in html


def test_the_text_staff_write_is_kept_between_generations_and_printed(app, as_persona):
    client = as_persona("staff_a")

    response = client.post(
        f"/schools/{SCHOOL_A}/report",
        data=form(
            number="12",
            signer_title="KT. HIỆU TRƯỞNG / PHÓ HIỆU TRƯỞNG",
            signer_name="Nguyễn Thị Hoa",
            difficulties=DIFFICULTIES,
            proposals=PROPOSALS,
        ),
    )

    assert response.status_code == 303
    for _ in range(2):
        text, _tables = get_docx(client, f"/schools/{SCHOOL_A}/report.docx")
        assert "Số: 12/BC-THĐK" in text
        assert "Phòng máy còn thiếu 10 máy tính kết nối Internet." in text
        assert "Giáo viên Tin học kiêm nhiệm nhiều việc." in text and PROPOSALS in text
        assert "KT. HIỆU TRƯỞNG" in text and "PHÓ HIỆU TRƯỞNG" in text and "Nguyễn Thị Hoa" in text
    page = client.get(f"/schools/{SCHOOL_A}/report").get_data(as_text=True)
    assert PROPOSALS in page and 'name="version" type="hidden" value="1"' in page
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).filter_by(action="report_text.save")).all()
        assert event.school_id == school(SCHOOL_A).id and event.after["proposals"] == PROPOSALS
        assert event.actor_name == PERSONAS["staff_a"][0]
    history = as_persona("ward_admin").get(f"/schools/{SCHOOL_A}/history").get_data(as_text=True)
    assert "Lưu nội dung báo cáo" in history and "Đề xuất, kiến nghị" in history


def test_a_report_left_blank_prints_lines_to_fill_by_hand(app, as_persona):
    text, _ = get_docx(as_persona("staff_a"), f"/schools/{SCHOOL_A}/report.docx")
    assert "1. Khó khăn, vướng mắc\n" + "…" * 28 in text
    assert "2. Đề xuất, kiến nghị\n" + "…" * 28 in text


def test_saving_the_same_text_again_changes_nothing(app, as_persona):
    client = as_persona("staff_a")
    client.post(f"/schools/{SCHOOL_A}/report", data=form(proposals=PROPOSALS))

    response = client.post(f"/schools/{SCHOOL_A}/report", data=form(1, proposals=PROPOSALS))

    assert response.status_code == 303
    assert [row[3] for row in report_texts(app)] == [1]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report_text.save")
            )
            == 1
        )


def test_a_save_made_on_a_stale_version_is_refused_with_409(app, as_persona):
    first, second = as_persona("staff_a"), as_persona("staff_a")
    assert first.post(f"/schools/{SCHOOL_A}/report", data=form(proposals=PROPOSALS)).status_code == 303

    response = second.post(f"/schools/{SCHOOL_A}/report", data=form(0, proposals="Nội dung ghi đè"))

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "người khác vừa lưu nội dung báo cáo này" in html
    assert "Nội dung ghi đè" in html  # the user's text stays in the form…
    assert 'value="1"' in html  # …on the version now saved, to save again after a look
    assert report_texts(app) == [(report_texts(app)[0][0], "", PROPOSALS, 1)]


def test_the_services_refuse_a_stale_version(app):
    with app.app_context():
        plan, a = the_plan(), school(SCHOOL_A)
        assert save_report_text(plan, a, {"proposals": PROPOSALS}, 0, actor=user("staff_a"))
        with pytest.raises(StaleReportText):
            save_report_text(plan, a, {"proposals": "khác"}, 0, actor=user("staff_a"))
        with pytest.raises(StaleReportText):
            save_report_text(plan, a, {"proposals": "khác"}, 7, actor=user("staff_a"))
    assert [row[2] for row in report_texts(app)] == [PROPOSALS]


def test_a_save_without_a_csrf_token_is_refused(seeded_app):
    app = seeded_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": PERSONAS["staff_a"][0], "password": PASSWORD, "csrf_token": login[1]})
    url = f"/schools/{SCHOOL_A}/report"

    assert client.post(url, data=form(proposals=PROPOSALS)).status_code == 400
    assert report_texts(app) == []

    page = client.get(url).get_data(as_text=True)
    token = re.search(
        rf'action="{url}"[^>]*>\s*<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    )[1]
    assert client.post(url, data=form(proposals=PROPOSALS, csrf_token=token)).status_code == 303
    assert [row[2] for row in report_texts(app)] == [PROPOSALS]


def test_a_save_without_a_sound_version_is_refused(app, as_persona):
    client = as_persona("staff_a")
    data = form(proposals=PROPOSALS)
    del data["version"]
    assert client.post(f"/schools/{SCHOOL_A}/report", data=data).status_code == 400
    for version in ("", "-1", "²", "1" * 40, "một"):
        assert (
            client.post(
                f"/schools/{SCHOOL_A}/report", data=form(proposals=PROPOSALS) | {"version": version}
            ).status_code
            == 400
        ), version
    assert report_texts(app) == []


def test_too_long_a_text_is_refused_with_its_message(app, as_persona):
    response = as_persona("staff_a").post(f"/schools/{SCHOOL_A}/report", data=form(proposals="x" * 5001))
    assert response.status_code == 422
    assert "Tối đa 5000 ký tự." in response.get_data(as_text=True)
    assert report_texts(app) == []


def test_owner_fields_sent_by_the_client_are_ignored(app, as_persona):
    as_persona("staff_a").post(
        f"/schools/{SCHOOL_A}/report", data=form(proposals=PROPOSALS, school_id="999", plan_id="999", kind="ward")
    )
    with app.app_context():
        [text] = db.session.scalars(select(ReportText)).all()
        assert (text.school_id, text.kind.value) == (school(SCHOOL_A).id, "school")


def test_staff_of_another_school_get_403_on_its_report_docx_and_bundle(app, as_persona):
    client = as_persona("staff_b")
    for url in (f"/schools/{SCHOOL_A}/report", f"/schools/{SCHOOL_A}/report.docx", f"/schools/{SCHOOL_A}/evidence.zip"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/schools/{SCHOOL_A}/report", data=form(proposals="x")).status_code == 403
    assert report_texts(app) == []


def test_school_staff_cannot_fetch_the_ward_report(app, as_persona):
    client = as_persona("staff_a")
    assert client.get("/ward/report").status_code == 403
    assert client.get("/ward/report.docx").status_code == 403
    assert client.post("/ward/report", data=form(proposals="x")).status_code == 403
    assert report_texts(app) == []


def test_the_ward_roles_of_one_ward_cannot_read_another_wards_reports(app, as_persona):
    with app.app_context():
        from aiplan.models import Ward

        other = Ward(
            slug="phuong-khac",
            name="Phường Khác",
            city="Thành phố Hà Nội",
            authority="UBND phường Khác",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(
            School(ward=other, slug="th-phuong-khac", name="Trường Tiểu học Phường Khác", level=SchoolLevel.TIEU_HOC)
        )
        db.session.commit()
    for persona in ("ward_admin", "supervisor", "viewer"):
        client = as_persona(persona)
        for suffix in ("report", "report.docx", "evidence.zip"):
            assert client.get(f"/schools/th-phuong-khac/{suffix}").status_code == 404, (persona, suffix)


@pytest.mark.parametrize("persona", ["viewer", "supervisor"])
def test_viewers_and_supervisors_read_the_reports_but_cannot_change_them(app, as_persona, persona):
    client = as_persona(persona)
    for url in (f"/schools/{SCHOOL_A}/report", f"/schools/{SCHOOL_A}/report.docx", "/ward/report", "/ward/report.docx"):
        assert client.get(url).status_code == 200, url
    assert client.post(f"/schools/{SCHOOL_A}/report", data=form(proposals="x")).status_code == 403
    assert client.post("/ward/report", data=form(proposals="x")).status_code == 403
    assert 'action="/ward/report"' not in client.get("/ward/report").get_data(as_text=True)
    assert report_texts(app) == []


def test_reports_render_for_a_school_with_no_activities(app, as_persona):
    client = as_persona("ward_admin")
    assert client.get("/schools/thcs-cu-khoi/report").status_code == 200

    text, tables = get_docx(client, "/schools/thcs-cu-khoi/report.docx")

    assert "TRƯỜNG THCS CỰ KHỐI" in text and re.search(r"Số: +/BC-THCSCK", text)
    assert "Nhà trường chưa ghi nhận hoạt động giáo dục AI nào." in text
    assert "Nhà trường chưa tải lên tệp minh chứng nào." in text
    assert "Nhà trường chưa thực hiện tự đánh giá" in text
    targets = table_with(tables, "Chỉ tiêu triển khai tối thiểu")
    assert targets[1][0] == "5" and targets[1][2:] == ["Chưa có hoạt động lồng ghép", "Chưa đạt"]


def test_vietnamese_diacritics_survive_typed_in_any_normal_form(app, as_persona):
    decomposed = unicodedata.normalize("NFD", "Thiếu thiết bị trình chiếu ở phòng học số 3")
    client = as_persona("staff_a")
    client.post(f"/schools/{SCHOOL_A}/report", data=form(difficulties=decomposed, signer_name="Đặng Thị Ngọc Ánh"))

    text, _ = get_docx(client, f"/schools/{SCHOOL_A}/report.docx")

    assert "Thiếu thiết bị trình chiếu ở phòng học số 3" in text  # NFC, as typed on Windows
    assert "Đặng Thị Ngọc Ánh" in text and "Trường Tiểu học Đoàn Kết" in text


# -- the ward's report -------------------------------------------------------------------------


def test_the_ward_report_docx_carries_the_targets_milestones_and_evaluations(app, as_persona):
    seed_school_a(app)

    text, tables = get_docx(as_persona("viewer"), "/ward/report.docx")

    for line in (
        NATIONAL_TITLE,
        "UBND PHƯỜNG LONG BIÊN",
        "PHÒNG VĂN HÓA - XÃ HỘI",
        "TRƯỞNG PHÒNG",
        "- UBND phường (để báo cáo);",
        "- Lưu: VT, VHXH.",
    ):
        assert line in text, line
    # The plan's own date warnings are for the ward's admins on the plan pages, never printed in a
    # report addressed to the UBND that issued the plan.
    assert "LƯU Ý VỀ CÁC THỜI HẠN" not in text and "sớm hơn hạn báo cáo" not in text
    assert re.search(r"Số: +/BC-VHXH", text)
    targets = {row[0]: row for row in table_with(tables, "Kết quả thực hiện")[1:]}
    assert targets["1"][3].startswith("1/1 trường đạt (Trường Tiểu học Đoàn Kết: 1 lớp)") and targets["1"][4] == "Đạt"
    assert targets["4"][3].startswith("0/1 trường đạt") and targets["4"][4] == "Chưa đạt"
    assert targets["5"][3] == "0/6 trường thực hiện lồng ghép (0%)" and targets["5"][4] == "Chưa đạt"
    milestones = {row[0]: row for row in table_with(tables, "Nội dung công việc")[1:]}
    assert milestones["3"][3] == "1/8" and milestones["1"][3] == "—" and milestones["1"][5] != "—"
    assert milestones["5"][3] == "0/8"  # required of every school (section V.2)
    schools = {row[1]: row for row in table_with(tables, "Tự đánh giá")[1:]}
    assert schools["Trường Tiểu học Đoàn Kết (thí điểm)"][6] == "Đã nộp"
    assert schools["Trường THCS Cự Khối"][6] == "Chưa bắt đầu"
    ratings = table_with(tables, "Tốt")
    assert [row[2] for row in ratings[1:]] == ["1", "1", "1"]
    assert "Số trường đã nộp bản tự đánh giá: 1/8" in text
    forms = {row[1][:4]: row for row in table_with(tables, "Số trường")[1:]}
    assert forms["2.2."][2:] == ["1", "1", "35", "8"] and forms["2.1."][2:] == ["1", "1", "120", "6"]


def test_the_ward_report_lists_late_items_oldest_first(app):
    with app.app_context():
        report = ward_report(the_plan(), today=date(2026, 4, 1))
        dues = [group.due_on for group in report.late]
        assert dues and dues == sorted(dues) and all(day < date(2026, 4, 1) for day in dues)
        assert any(group.ward for group in report.late)
        assert any(school(SCHOOL_A).id in {s.id for s in group.schools} for group in report.late)
        late_items = sum(group.count for group in report.late)
        # Nothing is late before the year has begun.
        assert ward_report(the_plan(), today=date(2025, 9, 1)).late == []
        doc = build_ward_report(report)
        assert any(getattr(block, "text", "").startswith(f"Có {late_items} nội dung quá hạn") for block in doc.body)
        [table] = [block for block in doc.body if getattr(block, "headers", ())[:2] == ("STT", "Nội dung")]
        assert sum(row[4] for row in table.rows) == late_items
        [m3] = [row for row in table.rows if row[1].startswith("Mốc 3:")]
        assert m3[2] == "13/02/2026" and m3[3] == 47 and m3[4] == 8 and "Trường Tiểu học Đoàn Kết" in m3[5]


def test_ward_admins_write_the_ward_report_and_it_is_printed(app, as_persona):
    client = as_persona("ward_admin")

    response = client.post(
        "/ward/report", data=form(number="7", signer_name="Lê Văn Bình", difficulties=DIFFICULTIES, proposals=PROPOSALS)
    )

    assert response.status_code == 303
    text, _ = get_docx(client, "/ward/report.docx")
    assert "Số: 07/BC-VHXH" in text and "Lê Văn Bình" in text and PROPOSALS in text
    with app.app_context():
        [saved] = db.session.scalars(select(ReportText)).all()
        assert saved.school_id is None and saved.kind.value == "ward"
        [event] = db.session.scalars(select(AuditEvent).filter_by(action="report_text.save")).all()
        assert event.school_id is None and event.ward_id == saved.plan.ward_id
    # The ward's text and a school's are kept apart.
    assert PROPOSALS not in get_docx(as_persona("staff_a"), f"/schools/{SCHOOL_A}/report.docx")[0]


def test_the_ward_report_renders_for_a_ward_without_activities_or_evaluations(app, as_persona):
    client = as_persona("ward_admin")
    assert client.get("/ward/report").status_code == 200
    text, _ = get_docx(client, "/ward/report.docx")
    assert "Tổng cộng 0 hoạt động, 0 tiết" in text and "Số trường đã nộp bản tự đánh giá: 0/8" in text


def test_the_ward_report_reads_a_fixed_number_of_queries_whatever_the_number_of_schools(app, as_persona, count_queries):
    client = as_persona("ward_admin")

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/ward/report.docx").status_code == 200
        return counter.count

    few = queries()
    with app.app_context():
        ward_id = school(SCHOOL_A).ward_id
        extra = [
            School(ward_id=ward_id, slug=f"th-them-{n}", name=f"Trường Tiểu học Thêm {n}", level=SchoolLevel.TIEU_HOC)
            for n in range(25)
        ]
        db.session.add_all(extra)
        db.session.flush()
        sync_checklists(the_plan())
        db.session.commit()
    assert queries() == few


def test_the_school_report_reads_a_fixed_number_of_queries_whatever_it_holds(app, as_persona, count_queries):
    client = as_persona("staff_a")
    seed_school_a(app)
    client.post(f"/schools/{SCHOOL_A}/report", data=form(proposals=PROPOSALS))

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/schools/{SCHOOL_A}/report.docx").status_code == 200
            assert client.get(f"/schools/{SCHOOL_A}/report").status_code == 200
        return counter.count

    few = queries()
    with app.app_context():
        for n in range(6):
            activity(SCHOOL_A, "2.3", title=f"Câu lạc bộ AI {n}", class_name="")
        target = item(SCHOOL_A, "t1/san-pham-trai-nghiem")
        save_uploads(
            [Upload(io.BytesIO(PDF + bytes([n])), f"Sản phẩm {n}.pdf") for n in range(5)],
            school=target.school,
            actor=user("staff_a"),
            item=target,
        )
    assert queries() == few
