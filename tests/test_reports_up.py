"""The UBND phường's reports to the Sở GD&ĐT (Kế hoạch V.1; Phụ lục I.1 mốc 9): periodic and ad-hoc
reports over a period and the sơ kết / tổng kết, as pages and Nghị định 30 DOCX with the rollup's
figures, the narrative kept between generations, and the school report's Nơi nhận (Kế hoạch V.2)."""

import io
import re
from datetime import date

import pytest
from docx import Document
from helpers import PASSWORD, PERSONAS, SCHOOL_A, AuthActions, schedule_visit, text_of
from sqlalchemy import func, select

from aiplan.activities.services import create_activity
from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.figures.rollup import rollup
from aiplan.models import (
    AuditEvent,
    ChecklistItem,
    DeliveryForm,
    Inspection,
    Plan,
    Role,
    School,
    UpwardReport,
    User,
    Ward,
)
from aiplan.reports.services import BadPeriod, create_upward_report
from aiplan.schoolyear import plan_schools

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUBJECT = "Kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo học kỳ I năm học 2025-2026"
SO = "Sở Giáo dục và Đào tạo Hà Nội"
HIGHLIGHTS = "100% trường tiểu học tổ chức lồng ghép nội dung AI trong môn Tin học."
DIRECTIONS = "Mở rộng lớp chuyên đề AI ra các trường THCS còn lại."
PROPOSALS = "Đề nghị Sở hỗ trợ tập huấn giáo viên dạy chuyên đề AI."


def the_plan() -> Plan:
    return db.session.scalar(select(Plan))


def new_form(**values) -> dict:
    data = {"kind": "periodic", "period_start": "05/09/2025", "period_end": "31/12/2025", "subject": SUBJECT}
    data.update(values)
    return data


def edit_form(version: int, **values) -> dict:
    data = new_form()
    written = ("number", "signer_title", "signer_name", "highlights", "shortcomings", "causes", "lessons")
    data.update(dict.fromkeys((*written, "directions", "proposals"), ""))
    data["version"] = str(version)
    data.update(values)
    return data


def create(client, **values) -> int:
    response = client.post("/ward/reports-up/new", data=new_form(**values))
    assert response.status_code == 303, text_of(response)
    match = re.fullmatch(r"/ward/reports-up/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def saved(app) -> list[UpwardReport]:
    with app.app_context():
        reports = db.session.scalars(select(UpwardReport).order_by(UpwardReport.id)).all()
        db.session.expunge_all()
        return list(reports)


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).filter_by(action=action))


def get_docx(client, url: str) -> tuple[str, list[list[list[str]]]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == DOCX_TYPE
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = Document(io.BytesIO(response.data))
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    words = [p.text for p in document.paragraphs] + [cell for table in tables for row in table for cell in row]
    return "\n".join(words), tables


def recipients_cell(tables) -> str:
    [cell] = [cell for table in tables for row in table for cell in row if cell.startswith("Nơi nhận:")]
    return cell


def signature_cell(tables) -> str:
    [cell] = [cell for table in tables for row in table for cell in row if cell.startswith("TM. ")]
    return cell


def add_activity(app, starts_on: date, ends_on: date | None, title: str) -> None:
    with app.app_context():
        plan = the_plan()
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        staff = db.session.scalar(select(User).filter_by(username=PERSONAS["staff_a"][0]))
        values = {
            "form_id": form.id,
            "title": title,
            "subject": "Tin học",
            "grade": "5",
            "class_name": "5A",
            "participants": 35,
            "lessons": 8,
            "content_area_ids": [],
            "starts_on": starts_on,
            "ends_on": ends_on,
            "products": "",
            "notes": "",
        }
        create_activity(plan, school, values, actor=staff)


# -- creating and downloading ------------------------------------------------------------------


def test_a_periodic_report_downloads_signed_for_the_ubnd_and_addressed_to_the_so(app, as_persona):
    client = as_persona("ward_admin")

    report_id = create(client)

    [report] = saved(app)
    assert report.kind.value == "periodic" and report.subject == SUBJECT
    assert (report.period_start, report.period_end) == (date(2025, 9, 5), date(2025, 12, 31))
    # Signed as the plan itself is, by its signer, unless someone types otherwise.
    assert report.signer_title == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert report.signer_name == "Phạm Thị Bích Hằng"
    assert audit_count(app, "upward_report.create") == 1

    text, tables = get_docx(client, f"/ward/reports-up/{report_id}.docx")

    for line in ("THÀNH PHỐ HÀ NỘI", "ỦY BAN NHÂN DÂN PHƯỜNG LONG BIÊN", "BÁO CÁO", SUBJECT, f"Kính gửi: {SO}."):
        assert line in text, line
    assert re.search(r"Số: +/BC-UBND", text)
    assert signature_cell(tables).split("\n")[:3] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert "Phạm Thị Bích Hằng" in signature_cell(tables)
    recipients = recipients_cell(tables)
    assert f"- {SO} (để báo cáo);" in recipients
    assert "- Chủ tịch, các PCT UBND phường;" in recipients and "- Lưu: VT, VHXH." in recipients
    assert "từ ngày 05/09/2025 đến ngày 31/12/2025" in text


def test_an_ad_hoc_report_is_one_more_report_of_the_year(app, as_persona):
    client = as_persona("ward_admin")
    create(client)

    create(client, kind="ad_hoc", period_start="01/01/2026", period_end="15/01/2026", subject="Tình hình tháng 1/2026")

    assert [r.kind.value for r in saved(app)] == ["periodic", "ad_hoc"]
    page = text_of(client.get("/ward/reports-up"))
    assert "Báo cáo đột xuất" in page and "Tình hình tháng 1/2026" in page and SUBJECT in page
    # The latest period first.
    assert page.index("Tình hình tháng 1/2026") < page.index(SUBJECT)


def test_the_so_ket_report_weighs_the_year_and_looks_ahead(app, as_persona):
    client = as_persona("ward_admin")
    report_id = create(
        client,
        kind="interim",
        period_start="05/09/2025",
        period_end="31/05/2026",
        subject="Sơ kết triển khai thí điểm giáo dục trí tuệ nhân tạo năm học 2025-2026",
    )

    text, tables = get_docx(client, f"/ward/reports-up/{report_id}.docx")

    assert "TM. ỦY BAN NHÂN DÂN" in signature_cell(tables) and SO in recipients_cell(tables)
    assert "báo cáo sơ kết việc triển khai thí điểm giáo dục trí tuệ nhân tạo" in text
    assert "Bài học kinh nghiệm" in text and "PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM HỌC TIẾP THEO" in text
    with app.app_context():
        steps = [step.text for step in the_plan().roadmap]
    assert steps and all(step in text for step in steps)  # Phụ lục I.3
    # The year's results against Phụ lục II, the inspections and the self-evaluations.
    assert "KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text and "Số trường đã nộp bản tự đánh giá" in text
    assert "Công tác kiểm tra, giám sát trong kỳ" in text


def test_the_page_shows_the_figures_of_the_rollup(app, as_persona):
    add_activity(app, date(2026, 3, 2), date(2026, 4, 30), "Lớp chuyên đề AI 5A")
    client = as_persona("ward_admin")
    report_id = create(client)

    page = text_of(client.get(f"/ward/reports-up/{report_id}"))
    _, tables = get_docx(client, f"/ward/reports-up/{report_id}.docx")

    with app.app_context():
        plan = the_plan()
        figures = rollup(plan, plan_schools(plan), weekly=False)
        forms = figures.forms
        activities, lessons = sum(t.activities for t in forms), sum(t.lessons for t in forms)
        expected = {
            str(row.milestone.number): f"{row.done}/{row.required}"
            for row in figures.milestones
            if row.milestone.for_schools and row.required
        }
    assert activities == 1 and lessons == 8
    assert f"Tổng cộng {activities} hoạt động, {lessons} tiết" in page
    [milestones] = [table for table in tables if "Nội dung công việc" in table[0]]
    printed = {row[0]: row[3].split(" ")[0] for row in milestones[1:]}
    assert expected and {number: printed[number] for number in expected} == expected
    for share in expected.values():
        assert share in page


def test_the_period_lists_the_activities_and_visits_dated_in_it(app, as_persona):
    add_activity(app, date(2026, 3, 2), date(2026, 4, 30), "Lớp chuyên đề AI 5A")
    with app.app_context():
        visit_day = db.session.get(Inspection, schedule_visit()).visit_on
    assert date(2026, 1, 1) <= visit_day <= date(2026, 4, 30)
    client = as_persona("ward_admin")
    with app.app_context():
        m2 = db.session.scalar(select(ChecklistItem.id).filter_by(school_id=None, key="m2"))
    conference = client.post(
        "/ward/activities",
        data={
            "ward_kind": "hoi_nghi",
            "title": "Hội nghị triển khai giáo dục AI",
            "starts_on": "22/01/2026",
            "participants": "120",
            "item_id": m2,
        },
    )
    assert conference.status_code == 302
    spring = create(client, period_start="01/01/2026", period_end="30/04/2026", subject="Học kỳ II")
    autumn = create(client)

    spring_text, spring_tables = get_docx(client, f"/ward/reports-up/{spring}.docx")
    autumn_text, _ = get_docx(client, f"/ward/reports-up/{autumn}.docx")

    [activities] = [table for table in spring_tables if "Trường" in table[0] and "Thời gian" in table[0]]
    assert [row[1:5] for row in activities[1:]] == [
        ["Trường Tiểu học Đoàn Kết", activities[1][2], "Lớp chuyên đề AI 5A", "02/03/2026 - 30/04/2026"]
    ]
    # What the ward itself organised in the period: its conference (mốc 2).
    [own] = [table for table in spring_tables if "Loại hoạt động" in table[0]]
    assert own[1][1:] == ["Hội nghị, hội thảo", "Hội nghị triển khai giáo dục AI", "22/01/2026", "120"]
    [visits] = [table for table in spring_tables if "Trường được kiểm tra" in table[0]]
    assert visits[1][1:4] == ["Trường Tiểu học Đoàn Kết", "Giữa kỳ", f"{visit_day:%d/%m/%Y}"] and len(visits) == 2
    assert "Không có hoạt động giáo dục AI nào diễn ra trong kỳ báo cáo." in autumn_text
    assert "UBND phường chưa ghi nhận hội nghị" in autumn_text
    assert "Không có đợt kiểm tra nào trong kỳ báo cáo." in autumn_text
    assert "Lớp chuyên đề AI 5A" not in autumn_text.split("KẾT QUẢ THỰC HIỆN CHỈ TIÊU")[0]
    assert "Trong kỳ có 1 hoạt động" in spring_text


# -- the narrative people write ----------------------------------------------------------------


def test_the_narrative_is_kept_between_generations(app, as_persona):
    client = as_persona("ward_admin")
    report_id = create(client)

    response = client.post(
        f"/ward/reports-up/{report_id}",
        data=edit_form(1, number="15", highlights=HIGHLIGHTS, directions=DIRECTIONS, proposals=PROPOSALS),
    )

    assert response.status_code == 303
    [report] = saved(app)
    assert report.highlights == HIGHLIGHTS and report.version == 2
    assert audit_count(app, "upward_report.save") == 1
    first, _ = get_docx(client, f"/ward/reports-up/{report_id}.docx")
    add_activity(app, date(2026, 3, 2), None, "Câu lạc bộ AI")  # the figures move on…
    second, _ = get_docx(client, f"/ward/reports-up/{report_id}.docx")
    for text in (first, second):  # …the narrative stays
        assert HIGHLIGHTS in text and DIRECTIONS in text and PROPOSALS in text
        assert "Số: 15/BC-UBND" in text
    assert "Tổng cộng 0 hoạt động" in first and "Tổng cộng 1 hoạt động" in second
    page = client.get(f"/ward/reports-up/{report_id}").get_data(as_text=True)
    assert HIGHLIGHTS in page
    assert re.search(r'<input[^>]*name="version"[^>]*value="2"|<input[^>]*value="2"[^>]*name="version"', page)
    assert saved(app)[0].version == 2  # reading and downloading change nothing


def test_saving_the_same_report_again_changes_nothing(app, as_persona):
    client = as_persona("ward_admin")
    report_id = create(client)
    assert client.post(f"/ward/reports-up/{report_id}", data=edit_form(1, causes="Thiếu máy")).status_code == 303

    again = edit_form(2, causes="Thiếu máy")
    response = client.post(f"/ward/reports-up/{report_id}", data=again, follow_redirects=True)

    assert "Không có thay đổi nào để lưu." in text_of(response)
    assert saved(app)[0].version == 2 and audit_count(app, "upward_report.save") == 1


def test_a_stale_edit_is_refused_with_409_and_the_saved_report_kept(app, as_persona):
    client = as_persona("ward_admin")
    report_id = create(client)
    assert client.post(f"/ward/reports-up/{report_id}", data=edit_form(1, highlights=HIGHLIGHTS)).status_code == 303

    response = client.post(f"/ward/reports-up/{report_id}", data=edit_form(1, highlights="Bản cũ của người khác"))

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "người khác vừa lưu báo cáo này" in page and "Bản cũ của người khác" in page
    [report] = saved(app)
    assert report.highlights == HIGHLIGHTS and report.version == 2


# -- bad input ---------------------------------------------------------------------------------


def test_a_period_that_ends_before_it_starts_is_refused_and_nothing_saved(app, as_persona):
    client = as_persona("ward_admin")

    response = client.post("/ward/reports-up/new", data=new_form(period_start="31/12/2025", period_end="05/09/2025"))

    assert response.status_code == 422
    assert "Kỳ báo cáo không hợp lệ: ngày kết thúc (đến ngày) trước ngày bắt đầu (từ ngày)." in text_of(response)
    assert saved(app) == [] and audit_count(app, "upward_report.create") == 0

    report_id = create(client)
    response = client.post(
        f"/ward/reports-up/{report_id}", data=edit_form(1, period_start="01/01/2026", period_end="31/12/2025")
    )
    assert response.status_code == 422 and "Kỳ báo cáo không hợp lệ" in text_of(response)
    [report] = saved(app)
    assert report.period_end == date(2025, 12, 31) and report.version == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"subject": "   "}, "Nhập trích yếu của báo cáo."),
        ({"period_start": ""}, "Nhập ngày đầu kỳ báo cáo."),
        ({"period_end": "31/13/2025"}, "Ngày không hợp lệ"),
        ({"kind": "weekly"}, "Loại báo cáo"),
    ],
)
def test_a_report_without_a_subject_or_a_sound_period_is_refused(app, as_persona, values, message):
    response = as_persona("ward_admin").post("/ward/reports-up/new", data=new_form(**values))

    assert response.status_code == 422
    assert message in text_of(response)
    assert saved(app) == []


# -- who may read and write --------------------------------------------------------------------


def test_school_staff_cannot_reach_the_reports_to_the_so(app, as_persona):
    report_id = create(as_persona("ward_admin"))
    client = as_persona("staff_a")
    for url in ("/ward/reports-up", "/ward/reports-up/new", f"/ward/reports-up/{report_id}"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/ward/reports-up/{report_id}.docx").status_code == 403
    assert client.post("/ward/reports-up/new", data=new_form()).status_code == 403
    assert client.post(f"/ward/reports-up/{report_id}", data=edit_form(1, highlights="x")).status_code == 403
    assert len(saved(app)) == 1 and saved(app)[0].highlights == ""


@pytest.mark.parametrize("persona", ["viewer", "supervisor"])
def test_leaders_and_supervisors_read_but_do_not_write(app, as_persona, persona):
    report_id = create(as_persona("ward_admin"))
    client = as_persona(persona)

    assert client.get(f"/ward/reports-up/{report_id}").status_code == 200
    get_docx(client, f"/ward/reports-up/{report_id}.docx")
    listing = client.get("/ward/reports-up").get_data(as_text=True)
    assert SUBJECT in listing and "/ward/reports-up/new" not in listing
    assert client.get("/ward/reports-up/new").status_code == 403
    assert client.post("/ward/reports-up/new", data=new_form()).status_code == 403
    assert client.post(f"/ward/reports-up/{report_id}", data=edit_form(1, highlights="x")).status_code == 403
    assert len(saved(app)) == 1 and saved(app)[0].highlights == ""


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_saved(app, as_persona):
    report_id = create(as_persona("ward_admin"))
    client = as_persona(None)
    for url, data in (("/ward/reports-up/new", new_form()), (f"/ward/reports-up/{report_id}", edit_form(1))):
        response = client.post(url, data=data)
        assert response.status_code == 302 and response.location.startswith("/login"), url
    assert len(saved(app)) == 1 and saved(app)[0].version == 1


def test_another_wards_admin_gets_404_on_the_report(app, as_persona):
    report_id = create(as_persona("ward_admin"))
    with app.app_context():
        other = Ward(
            slug="phuong-khac",
            name="Phường Khác",
            city="Thành phố Hà Nội",
            authority="UBND phường Khác",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(other)
        db.session.commit()
        create_user("admin-khac", Role.WARD_ADMIN, PASSWORD, ward=other)
    client = app.test_client()
    assert AuthActions(client).login("admin-khac").status_code == 302

    assert client.get(f"/ward/reports-up/{report_id}").status_code == 404
    assert client.get(f"/ward/reports-up/{report_id}.docx").status_code == 404
    assert client.post(f"/ward/reports-up/{report_id}", data=edit_form(1, highlights="x")).status_code == 404


def test_the_ward_report_links_to_the_reports_to_the_so(as_persona):
    page = as_persona("viewer").get("/ward/report").get_data(as_text=True)
    assert 'href="/ward/reports-up"' in page


def test_the_services_refuse_a_period_ending_before_it_starts(app):
    with app.app_context():
        plan = the_plan()
        values = {"kind": "periodic", "period_start": date(2026, 1, 2), "period_end": date(2026, 1, 1), "subject": "x"}
        with pytest.raises(BadPeriod):
            create_upward_report(plan, values)
    assert saved(app) == [] and audit_count(app, "upward_report.create") == 0


def test_a_report_reads_a_fixed_number_of_queries_whatever_the_period_holds(app, as_persona, count_queries):
    client = as_persona("ward_admin")
    report_id = create(client, period_start="01/01/2026", period_end="30/06/2026")

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/ward/reports-up/{report_id}.docx").status_code == 200
        return counter.count

    few = queries()
    for n in range(4):
        add_activity(app, date(2026, 3, 2 + n), None, f"Hoạt động {n}")
    with app.app_context():
        schedule_visit()
    assert queries() == few
