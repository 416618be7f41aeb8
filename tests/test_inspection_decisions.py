"""Inspections all year (issue 14, deliverable 3) and the minutes fixed (deliverable 5): a visit's
kind and times, the decision forming the team with its file, and what the minutes then say."""

import io
import re

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from helpers import SCHOOL_A, schedule_visit, text_of
from sqlalchemy import func, select

from aiplan.evidence.integrity import compare_store
from aiplan.extensions import db
from aiplan.models import AuditEvent, Inspection, InspectionDecision, InspectionKind, Plan, School, User

PDF = b"%PDF-1.4\n%quyet dinh thanh lap doan\n%%EOF\n"
BASIS = "Căn cứ Quyết định số 12/QĐ-UBND ngày 02 tháng 3 năm 2026 về việc thành lập đoàn kiểm tra;"


def decision_form(**overrides) -> dict:
    return {
        "number": "12/QĐ-UBND",
        "signed_on": "02/03/2026",
        "signer": "Nguyễn Văn An, Chủ tịch UBND phường",
        "file": (io.BytesIO(PDF), "QĐ thành lập đoàn.pdf"),
    } | overrides


def record_decision(client, **overrides):
    return client.post("/inspections/decisions", data=decision_form(**overrides), content_type="multipart/form-data")


def decision_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(InspectionDecision.id)))


def the_decision(app) -> InspectionDecision:
    return db.session.scalar(select(InspectionDecision))


def schedule_form(app, **overrides) -> dict:
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        supervisor = db.session.scalar(select(User).filter_by(username="giamsat"))
        data = {
            "school": school.id,
            "kind": "giua_ky",
            "visit_on": "12/03/2026",
            "members": [supervisor.id],
            "lead": supervisor.id,
        }
    return data | overrides


def visit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Inspection.id)))


def docx_texts(client, visit_id) -> list[str]:
    response = client.get(f"/inspections/{visit_id}/minutes.docx")
    assert response.status_code == 200
    docx = Document(io.BytesIO(response.data))
    return [Paragraph(p, docx._body).text for p in docx.element.body.iter(qn("w:p"))]


def close_visit(client, app, visit_id, **overrides):
    with app.app_context():
        version = db.session.get(Inspection, visit_id).version
    data = {
        "conclusion": "Nhà trường triển khai đúng kế hoạch.",
        "school_representative": "Nguyễn Thị Hoa, Hiệu trưởng",
        "minutes_number": "5",
        "starts_at": "08:00",
        "ends_at": "11:15",
        "version": version,
        "confirm": "1",
    } | overrides
    return client.post(f"/inspections/{visit_id}/close", data=data)


def test_a_ward_admin_records_a_decision_with_its_file_for_the_team_to_download(app, as_persona):
    admin = as_persona("ward_admin")
    response = record_decision(admin)
    assert response.status_code == 303
    page = text_of(admin.get("/inspections/decisions"))
    assert "Đã ghi Quyết định số 12/QĐ-UBND." in page
    assert "Quyết định số 12/QĐ-UBND ngày 02/03/2026" in page and "Nguyễn Văn An, Chủ tịch UBND phường" in page
    with app.app_context():
        decision = the_decision(app)
        assert (decision.original_name, decision.content_type, decision.size) == (
            "QĐ thành lập đoàn.pdf",
            "application/pdf",
            len(PDF),
        )
        event = db.session.scalar(select(AuditEvent).filter_by(action="inspection.decision"))
        assert event.after["number"] == "12/QĐ-UBND" and event.after["sha256"] == decision.sha256
        url = f"/inspections/decisions/{decision.id}/file"
    log = text_of(admin.get("/audit"))
    assert "Ghi quyết định thành lập đoàn kiểm tra" in log and "12/QĐ-UBND" in log
    for persona in ("ward_admin", "supervisor"):
        download = as_persona(persona).get(url)
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
    for persona in ("viewer", "staff_a"):
        assert as_persona(persona).get(url).status_code == 403


def test_a_decisions_file_is_not_an_orphan_of_the_evidence_store(app, as_persona):
    record_decision(as_persona("ward_admin"))
    with app.app_context():
        sha256 = the_decision(app).sha256
        assert sha256 not in compare_store(quick=True).orphans


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"number": " "}, "Nhập số quyết định, ví dụ 12/QĐ-UBND."),
        ({"signed_on": "31/02/2026"}, "Ngày không hợp lệ"),
        ({"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "qd.pdf")}, "không phải là tệp .pdf hợp lệ"),
        ({"file": (io.BytesIO(b"a,b\n1,2\n"), "qd.csv")}, "Không nhận loại tệp .csv"),
    ],
)
def test_a_bad_decision_is_refused_with_a_message_and_nothing_is_saved(app, as_persona, overrides, message):
    response = record_decision(as_persona("ward_admin"), **overrides)
    assert response.status_code == 422
    assert message in text_of(response)
    assert decision_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).filter_by(action="inspection.decision")) is None


@pytest.mark.parametrize("persona", ["supervisor", "viewer", "staff_a"])
def test_only_ward_admins_record_decisions(app, as_persona, persona):
    assert record_decision(as_persona(persona)).status_code == 403
    assert decision_count(app) == 0


def test_a_visit_cites_its_decision_in_the_minutes(app, as_persona):
    admin = as_persona("ward_admin")
    record_decision(admin)
    with app.app_context():
        decision_id = the_decision(app).id
    form = admin.get("/inspections/new")
    assert "Quyết định số 12/QĐ-UBND ngày 02/03/2026" in text_of(form)
    response = admin.post("/inspections/new", data=schedule_form(app, decision=decision_id))
    assert response.status_code == 302
    with app.app_context():
        visit = db.session.scalar(select(Inspection))
        assert visit.decision_id == decision_id
        visit_id = visit.id
    supervisor = as_persona("supervisor")
    assert "Căn cứ Quyết định số 12/QĐ-UBND ngày 02/03/2026" in text_of(supervisor.get(f"/inspections/{visit_id}"))
    found = docx_texts(supervisor, visit_id)
    assert BASIS in found
    assert found.index(BASIS) < next(i for i, t in enumerate(found) if t.startswith("Hôm nay"))
    assert BASIS in text_of(supervisor.get(f"/inspections/{visit_id}/minutes"))


def test_a_decision_signed_after_the_visit_cannot_be_its_basis(app, as_persona):
    admin = as_persona("ward_admin")
    record_decision(admin, signed_on="20/03/2026")
    with app.app_context():
        decision_id = the_decision(app).id
    response = admin.post("/inspections/new", data=schedule_form(app, decision=decision_id))
    assert response.status_code == 422
    assert "ký ngày 20/03/2026, sau ngày kiểm tra" in text_of(response)
    assert visit_count(app) == 0


def test_the_new_visit_form_suggests_the_mid_semester_window_for_a_midterm_visit(app, as_persona):
    page = text_of(as_persona("ward_admin").get("/inspections/new"))
    assert "Kiểm tra giữa kỳ thường trong đợt giữa HK II: 09/03/2026 – 04/04/2026 (gợi ý, không bắt buộc)" in page
    for kind in InspectionKind:
        assert str(kind.label) in page


def test_a_year_end_evaluation_after_the_school_year_is_accepted_and_counts_for_milestone_6(app, as_persona):
    admin = as_persona("ward_admin")
    response = admin.post("/inspections/new", data=schedule_form(app, kind="tong_the_cuoi_nam", visit_on="10/06/2026"))
    assert response.status_code == 302
    with app.app_context():
        visit_id = db.session.scalar(select(Inspection.id))
    assert close_visit(as_persona("supervisor"), app, visit_id).status_code == 303
    assert "Đã kiểm tra 1/8 trường" in text_of(admin.get("/ward"))
    found = docx_texts(admin, visit_id)
    assert (
        "Kiểm tra, đánh giá tổng thể việc triển khai thí điểm giáo dục trí tuệ nhân tạo tại Trường Tiểu học Đoàn Kết"
        in found
    )


def test_a_visit_ending_before_it_starts_is_refused_and_nothing_is_saved(app, as_persona):
    response = as_persona("ward_admin").post(
        "/inspections/new", data=schedule_form(app, starts_at="10:00", ends_at="09:30")
    )
    assert response.status_code == 422
    assert "Giờ kết thúc phải sau giờ bắt đầu (10:00)." in text_of(response)
    assert visit_count(app) == 0


def test_a_time_that_is_not_a_time_is_refused(app, as_persona):
    response = as_persona("ward_admin").post("/inspections/new", data=schedule_form(app, starts_at="25:00"))
    assert response.status_code == 422
    assert "Giờ không hợp lệ: nhập theo dạng giờ:phút, ví dụ 08:00." in text_of(response)
    assert visit_count(app) == 0


def test_closing_records_the_start_and_end_times_the_minutes_print(app, as_persona):
    with app.app_context():
        visit_id = schedule_visit()
    supervisor = as_persona("supervisor")
    refused = close_visit(supervisor, app, visit_id, starts_at="11:00", ends_at="08:00")
    assert refused.status_code == 422 and "Giờ kết thúc phải sau giờ bắt đầu (11:00)." in text_of(refused)
    with app.app_context():
        visit = db.session.get(Inspection, visit_id)
        assert not visit.is_closed and visit.starts_at is None
    assert close_visit(supervisor, app, visit_id, starts_at="8h", ends_at="11:15").status_code == 303
    found = docx_texts(supervisor, visit_id)
    opening = next(text for text in found if text.startswith("Hôm nay"))
    assert opening.startswith("Hôm nay, ngày 12 tháng 3 năm 2026, vào hồi 08 giờ 00 phút, tại ")
    assert any(text.startswith("Buổi kiểm tra kết thúc vào hồi 11 giờ 15 phút cùng ngày.") for text in found)
    page = text_of(supervisor.get(f"/inspections/{visit_id}"))
    assert "Thời gian: 08:00 – 11:15" in page


def test_the_minutes_are_made_in_as_many_copies_as_they_have_recipients(app, as_persona):
    with app.app_context():
        visit_id = schedule_visit()
    client = as_persona("supervisor")
    found = docx_texts(client, visit_id)
    recipients = found[found.index("Nơi nhận:") + 1 :]
    recipients = [line for line in recipients if line.startswith("- ")]
    [closing] = [text for text in found if "Biên bản được lập thành" in text]
    copies = int(re.search(r"lập thành (\d+) bản", closing).group(1))
    assert copies == len(recipients) == 3
    assert closing.count("01 bản") == copies
    page = text_of(client.get(f"/inspections/{visit_id}/minutes"))
    assert "Biên bản được lập thành 03 bản có giá trị như nhau" in page


def test_existing_visits_are_midterm_visits(app):
    with app.app_context():
        visit_id = schedule_visit()
        assert db.session.get(Inspection, visit_id).kind is InspectionKind.MIDTERM
        assert db.session.scalar(select(Plan)).school_year.midterm_start.isoformat() == "2026-03-09"


def details_form(app, visit_id, **overrides) -> dict:
    with app.app_context():
        version = db.session.get(Inspection, visit_id).version
    return {"kind": "dot_xuat", "visit_on": "20/04/2026", "version": version} | overrides


def test_a_ward_admin_attaches_the_decision_to_a_visit_scheduled_before_it(app, as_persona):
    with app.app_context():
        visit_id = schedule_visit()
    admin = as_persona("ward_admin")
    record_decision(admin)
    with app.app_context():
        decision_id = the_decision(app).id
    assert "Sửa loại, ngày, giờ kiểm tra và quyết định thành lập đoàn" in text_of(admin.get(f"/inspections/{visit_id}"))
    response = admin.post(
        f"/inspections/{visit_id}/details",
        data=details_form(app, visit_id, decision=decision_id, starts_at="13:30", ends_at="16:00"),
    )
    assert response.status_code == 303
    with app.app_context():
        visit = db.session.get(Inspection, visit_id)
        assert (visit.kind, visit.visit_on.isoformat(), visit.decision_id) == (
            InspectionKind.UNANNOUNCED,
            "2026-04-20",
            decision_id,
        )
        event = db.session.scalar(select(AuditEvent).filter_by(action="inspection.update"))
        assert (event.before["kind"], event.after["kind"], event.after["decision"]) == (
            "giua_ky",
            "dot_xuat",
            "12/QĐ-UBND",
        )
    assert "Loại trước: Giữa kỳ → sau: Đột xuất" in text_of(admin.get("/audit"))
    found = docx_texts(admin, visit_id)
    assert BASIS in found
    assert any(text.startswith("Hôm nay, ngày 20 tháng 4 năm 2026, vào hồi 13 giờ 30 phút") for text in found)
    assert "Kiểm tra đột xuất việc triển khai thí điểm giáo dục trí tuệ nhân tạo tại Trường Tiểu học Đoàn Kết" in found


def test_bad_visit_details_are_refused_and_nothing_changes(app, as_persona):
    with app.app_context():
        visit_id = schedule_visit()
    admin = as_persona("ward_admin")
    response = admin.post(
        f"/inspections/{visit_id}/details",
        data=details_form(app, visit_id, visit_on="01/09/2026", starts_at="9:00", ends_at="8:00"),
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Ngày kiểm tra phải trong năm học 2025-2026" in page and "Giờ kết thúc phải sau giờ bắt đầu (09:00)." in page
    with app.app_context():
        visit = db.session.get(Inspection, visit_id)
        assert (visit.kind, visit.visit_on.isoformat(), visit.starts_at) == (InspectionKind.MIDTERM, "2026-03-12", None)
        assert db.session.scalar(select(AuditEvent).filter_by(action="inspection.update")) is None


def test_a_closed_visits_details_are_locked(app, as_persona):
    with app.app_context():
        visit_id = schedule_visit()
    assert close_visit(as_persona("supervisor"), app, visit_id).status_code == 303
    admin = as_persona("ward_admin")
    assert "Sửa loại, ngày, giờ" not in text_of(admin.get(f"/inspections/{visit_id}"))
    response = admin.post(f"/inspections/{visit_id}/details", data=details_form(app, visit_id))
    assert response.status_code == 409 and "biên bản đã khóa" in text_of(response)
    with app.app_context():
        assert db.session.get(Inspection, visit_id).kind is InspectionKind.MIDTERM


@pytest.mark.parametrize(("today", "suggested"), [((2026, 2, 1), "2026-03-09"), ((2026, 3, 20), "2026-03-20")])
def test_before_the_window_ends_the_form_suggests_its_next_day(app, as_persona, monkeypatch, today, suggested):
    from datetime import date

    monkeypatch.setattr("aiplan.inspections.routes.local_today", lambda: date(*today))
    page = as_persona("ward_admin").get("/inspections/new").get_data(as_text=True)
    assert re.search(rf'id="visit_on" name="visit_on" required type="date" value="{suggested}"', page)


def test_after_the_window_the_form_suggests_no_day(app, as_persona):
    page = as_persona("ward_admin").get("/inspections/new").get_data(as_text=True)  # today is past 04/04/2026
    assert 'name="visit_on" required type="date" value=""' in page
