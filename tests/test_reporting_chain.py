"""The reporting chain of mốc 8 as the ward sees it (its checklist and the rollup), the plan header
the ward edits in the app and the citation that prints it, and the plan page's sections II.1/II.2
and notes, read from the bundled plan."""

import html
import re
from datetime import date

from helpers import SCHOOL_A, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.figures.chain import chain_state
from aiplan.models import AuditEvent, ChecklistItem, ItemStatus, Plan
from aiplan.reports.parts import plan_reference

EDIT = "/admin/plan/2025-2026"
VERSION = re.compile(r'name="version"[^>]*value="([^"]*)"')


def post(client, url: str, data: dict):
    version = VERSION.search(client.get(url).get_data(as_text=True))[1]
    return client.post(url, data={"version": html.unescape(version)} | data)


def the_plan() -> Plan:
    return db.session.scalar(select(Plan))


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


# -- the chain on the ward's checklist and in the figures ------------------------------------------


def test_the_wards_checklist_shows_the_chain_and_the_late_link(app, as_persona):
    # Today is after 15/6/2026: with nothing reported, all three dated links are late.
    text = text_of(as_persona("supervisor").get("/ward"))
    chain = text[text.index("Chuỗi báo cáo (mốc 8)") :]
    assert "3 báo cáo trong chuỗi đang quá hạn" in chain
    assert "Phòng VHXH → gửi UBND phường" in chain and "Hạn: trước ngày 12/06/2026" in chain
    assert "Quá hạn: 8 trường" in chain
    assert "Căn cứ trong kế hoạch" in chain
    assert "Đổi hạn" not in chain  # only ward admins set the schools' date
    page = as_persona("ward_admin").get("/ward").get_data(as_text=True)
    assert f'href="{EDIT}/deadlines/bao-cao-co-so"' in page


def test_a_link_is_reported_once_its_senders_have_done_their_milestone_8(app):
    with app.app_context():
        plan = the_plan()
        items = db.session.scalars(select(ChecklistItem).where(ChecklistItem.key == "m8")).all()
        for item in items:
            if item.school_id is not None:
                item.status = ItemStatus.DONE
        db.session.commit()
        chain = chain_state(plan, date(2026, 6, 13))
        schools, vhxh, so, yearly = chain.links
        assert (schools.owed, schools.reported, schools.late, schools.is_done) == (8, 8, 0, True)
        # The ward's own item is not done: its report to the UBND phường (before 12/6) is late,
        # its report to the Sở (before 15/6) not yet.
        assert (vhxh.is_late, so.is_late) == (True, False)
        assert not yearly.applies and yearly.sender == "Kế hoạch không ghi đơn vị thực hiện"
        ward = next(item for item in items if item.school_id is None)
        ward.status = ItemStatus.DONE
        db.session.commit()
        assert chain_state(plan, date(2026, 6, 20)).late_links == []


# -- the plan header -----------------------------------------------------------------------------


def test_the_ward_admin_sets_the_plans_number_and_date_and_the_citation_prints_them(app, as_persona):
    admin = as_persona("ward_admin")
    assert "Sửa số, ngày ban hành, người ký" in text_of(admin.get(EDIT))
    response = post(
        admin,
        f"{EDIT}/header",
        {
            "number": "123/KH-UBND",
            "issued_on": "10/01/2026",
            "signer": "Phạm Thị Bích Hằng",
            "signer_title": "Phó Chủ tịch",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        plan = the_plan()
        assert (plan.number, plan.issued_on) == ("123/KH-UBND", date(2026, 1, 10))
        assert plan_reference(plan).startswith(
            "Kế hoạch số 123/KH-UBND ngày 10/01/2026 của UBND phường Long Biên về việc triển khai"
        )
        event = db.session.scalar(select(AuditEvent).filter_by(action="plan.header"))
        assert event.before == {"number": "/KH-UBND", "issued_on": None}
        assert event.after == {"number": "123/KH-UBND", "issued_on": "2026-01-10"}
    assert "Số 123/KH-UBND ngày 10/01/2026" in text_of(admin.get("/plan"))
    report = text_of(admin.get(f"/schools/{SCHOOL_A}/report"))
    assert "Thực hiện Kế hoạch số 123/KH-UBND ngày 10/01/2026 của UBND phường Long Biên" in report


def test_a_bad_header_is_refused_with_its_message_and_nothing_saved(app, as_persona):
    admin = as_persona("ward_admin")
    with app.app_context():
        before = audit_count()
    response = post(
        admin, f"{EDIT}/header", {"number": " ", "issued_on": "10/01/2029", "signer": "", "signer_title": ""}
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Nhập số, ký hiệu của kế hoạch, ví dụ 123/KH-UBND." in text
    response = post(admin, f"{EDIT}/header", {"number": "9/KH-UBND", "issued_on": "10/01/2029"})
    assert response.status_code == 422
    assert "Ngày ban hành phải trong khoảng từ 01/01/2024 đến khi năm học 2025-2026 khép lại (31/08/2026)." in text_of(
        response
    )
    response = post(admin, f"{EDIT}/header", {"number": "9/KH-UBND", "issued_on": "31/02/2026"})
    assert response.status_code == 422
    with app.app_context():
        plan = the_plan()
        assert (plan.number, plan.issued_on, audit_count()) == ("/KH-UBND", None, before)


def test_only_ward_admins_edit_the_header(app, as_persona):
    for persona in ("supervisor", "viewer", "staff_a", None):
        client = as_persona(persona)
        assert client.get(f"{EDIT}/header").status_code in (302, 403)
        response = client.post(f"{EDIT}/header", data={"number": "1/KH-UBND", "issued_on": "10/01/2026"})
        assert response.status_code in (302, 403), persona
    with app.app_context():
        assert (the_plan().number, the_plan().issued_on) == ("/KH-UBND", None)


def test_without_a_date_the_citation_keeps_the_blank_number(app):
    with app.app_context():
        assert plan_reference(the_plan()).startswith("Kế hoạch số …/KH-UBND của UBND phường Long Biên")


# -- the plan page -------------------------------------------------------------------------------


def test_the_plan_page_shows_sections_ii_1_and_ii_2_the_chain_and_both_notes(as_persona):
    text = text_of(as_persona("viewer").get("/plan"))
    contents = text[text.index("Nội dung (mục II.1)") : text.index("Hình thức tổ chức (mục II.2)")]
    assert "Đạo đức, an toàn và trách nhiệm trong sử dụng AI" in contents and "(NLd)" in contents
    forms = text[text.index("Hình thức tổ chức (mục II.2)") : text.index("Lịch triển khai năm học")]
    assert "2.1. Thực hiện lồng ghép trong các môn học" in forms
    assert "2.2. Thực hiện theo chuyên đề học tập lựa chọn hoặc chủ đề độc lập" in forms
    assert "Tổ chức các hoạt động dưới hình thức Câu lạc bộ phát triển năng lực AI" in forms  # a 2.3 bullet
    assert "Trường khác Bắt buộc: tổ chức các hoạt động trải nghiệm, câu lạc bộ" in text  # mốc 5 per category
    assert "Cơ sở GD → UBND phường (qua Phòng VHXH)" in text and "Phường đặt hạn" in text
    assert "UBND phường → Sở GD&ĐT" in text
    assert "Kế hoạch không ghi đơn vị thực hiện → UBND phường" in text
    assert "Ghi chú: Phụ lục này là căn cứ để các cấp quản lý tổ chức theo dõi" in text
    assert "Kết quả thực hiện các chỉ tiêu là căn cứ để kiểm tra, đánh giá mức độ hoàn thành" in text
