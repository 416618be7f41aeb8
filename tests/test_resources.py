"""The resources register (plan V.1 and IV): budget lines and contributions of a school or of the
ward, the four conditions of a contribution confirmed one by one, documents through the evidence
machinery, and the totals in the rollup, its exports and the ward report."""

import io
import json

from docx import Document
from helpers import SCHOOL_A, SCHOOL_B, text_of
from openpyxl import load_workbook
from sqlalchemy import func, select
from test_years import NEW_CALENDAR

from aiplan.extensions import db
from aiplan.models import (
    AuditEvent,
    EquipmentSurvey,
    EvidenceFile,
    Plan,
    Resource,
    ResourceKind,
    School,
    SchoolLevel,
    Ward,
)

LIST_A = f"/schools/{SCHOOL_A}/resources"
ALL_FOUR = {"cond_voluntary": "y", "cond_not_tied": "y", "cond_not_commercial": "y", "cond_not_coerced": "y"}
CONTRIBUTION = {
    "kind": "xa_hoi_hoa",
    "source": "Công ty TNHH Ví Dụ",
    "amount_vnd": "15.000.000",
    "in_kind": "",
    "purpose": "Mua bộ robot cho câu lạc bộ AI",
    "received_on": "2026-03-15",
}
BUDGET = {
    "kind": "ngan_sach",
    "source": "Chi thường xuyên 2026",
    "amount_vnd": "2500000",
    "purpose": "Nâng cấp đường truyền",
    "received_on": "15/02/2026",
}


def entries(app) -> list[Resource]:
    with app.app_context():
        return list(db.session.scalars(select(Resource).order_by(Resource.id)))


def audit_count(app, prefix: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.startswith(prefix))
        )


def test_the_school_records_a_contribution_confirmed_with_all_four_conditions(app, as_persona):
    staff = as_persona("staff_a")
    page = text_of(staff.get(LIST_A))
    assert "không gắn với điều kiện học tập" in page and "huy động các nguồn lực xã hội hóa hợp pháp" in page

    response = staff.post(LIST_A, data=CONTRIBUTION | ALL_FOUR | {"confirm": "y"})

    assert response.status_code == 302
    [entry] = entries(app)
    assert entry.amount_vnd == 15_000_000 and entry.kind is ResourceKind.CONTRIBUTION
    assert entry.confirmed and entry.confirmed_by_id is not None
    detail = text_of(staff.get(response.location))
    assert "Đã xác nhận đủ bốn điều kiện" in detail and "15.000.000 đ" in detail
    assert audit_count(app, "resource.create") == 1


def test_a_contribution_cannot_be_confirmed_without_all_four_and_the_page_names_the_missing(app, as_persona):
    staff = as_persona("staff_a")
    response = staff.post(
        LIST_A, data=CONTRIBUTION | {"cond_voluntary": "y", "cond_not_commercial": "y", "confirm": "y"}
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Chưa thể xác nhận" in text
    assert "Không gắn với điều kiện học tập" in text and "Không ép buộc" in text
    assert entries(app) == []


def test_an_unconfirmed_contribution_is_saved_and_shows_what_is_missing(app, as_persona):
    staff = as_persona("staff_a")
    response = staff.post(LIST_A, data=CONTRIBUTION | {"cond_voluntary": "y"})
    assert response.status_code == 302
    [entry] = entries(app)
    assert not entry.confirmed and entry.confirmed_at is None
    text = text_of(staff.get(response.location))
    assert "Khoản đóng góp chưa được xác nhận" in text
    assert "Còn thiếu: Không gắn với điều kiện học tập; Không thương mại hóa; Không ép buộc" in text


def test_an_entry_needs_an_amount_or_something_in_kind(app, as_persona):
    response = as_persona("staff_a").post(LIST_A, data=BUDGET | {"amount_vnd": "", "in_kind": ""})
    assert response.status_code == 422
    assert "Nhập số tiền, hoặc mô tả hiện vật" in text_of(response)
    response = as_persona("staff_a").post(LIST_A, data=BUDGET | {"amount_vnd": "mười triệu"})
    assert response.status_code == 422 and "ví dụ 15.000.000" in text_of(response)
    assert entries(app) == []


def test_an_edit_on_an_older_version_is_refused_and_unticking_a_condition_unconfirms(app, as_persona):
    staff = as_persona("staff_a")
    url = staff.post(LIST_A, data=CONTRIBUTION | ALL_FOUR | {"confirm": "y"}).location
    edit = CONTRIBUTION | ALL_FOUR | {"confirm": "y", "version": "1"}
    assert staff.post(url, data=edit | {"cond_not_coerced": "", "confirm": ""}).status_code == 302
    [entry] = entries(app)
    assert entry.confirmed_at is None and entry.version == 2

    response = staff.post(url, data=edit | {"purpose": "Của tôi"})

    assert response.status_code == 409
    assert "Của tôi" in response.get_data(as_text=True)
    assert entries(app)[0].purpose == CONTRIBUTION["purpose"]
    assert audit_count(app, "resource.update") == 1


def test_staff_of_another_school_and_the_ward_roles_cannot_write_a_schools_register(app, as_persona):
    url = as_persona("staff_a").post(LIST_A, data=BUDGET).location
    for persona in ("staff_b", "viewer", "supervisor", "ward_admin"):
        assert as_persona(persona).post(LIST_A, data=BUDGET).status_code == 403, persona
        assert as_persona(persona).post(url, data=BUDGET | {"version": "1"}).status_code == 403, persona
    assert as_persona("staff_b").get(url).status_code == 403
    assert len(entries(app)) == 1


def test_deleting_keeps_the_row_and_the_audit_and_drops_it_from_the_totals(app, as_persona):
    staff = as_persona("staff_a")
    url = staff.post(LIST_A, data=BUDGET).location
    assert staff.post(url + "/delete", data={"version": "1"}).status_code == 302
    assert entries(app)[0].deleted_at is not None
    assert staff.get(url).status_code == 404
    assert "Chưa có nguồn lực nào" in text_of(staff.get(LIST_A))
    assert audit_count(app, "resource.delete") == 1


def test_a_document_is_attached_through_the_evidence_machinery(app, as_persona):
    staff = as_persona("staff_a")
    url = staff.post(LIST_A, data=CONTRIBUTION).location
    resource_id = int(url.rsplit("/", 1)[1])
    response = staff.post(
        f"{url}/files", data={"file": (io.BytesIO(b"%PDF-1.4\n%thoa thuan\n%%EOF\n"), "thoa-thuan.pdf")}
    )
    assert response.status_code == 303
    with app.app_context():
        [file] = db.session.scalars(select(EvidenceFile).filter_by(resource_id=resource_id)).all()
        file_id = file.id
    assert "thoa-thuan.pdf" in text_of(staff.get(url))
    assert as_persona("ward_admin").get(f"/files/{file_id}").status_code == 200
    assert as_persona("staff_b").get(f"/files/{file_id}").status_code == 403
    assert as_persona("staff_b").post(f"{url}/files", data={}).status_code == 403


def test_the_ward_keeps_its_own_register_and_sees_totals_by_school(app, as_persona):
    as_persona("staff_a").post(LIST_A, data=BUDGET)
    as_persona("staff_b").post(f"/schools/{SCHOOL_B}/resources", data=CONTRIBUTION)
    admin = as_persona("ward_admin")
    response = admin.post("/ward/resources", data=BUDGET | {"amount_vnd": "100.000.000"})
    assert response.status_code == 302
    assert as_persona("viewer").post("/ward/resources", data=BUDGET).status_code == 403
    assert as_persona("staff_a").get("/ward/resources").status_code == 403

    text = text_of(as_persona("viewer").get("/ward/resources"))

    assert "117.500.000 đ" in text  # 2.500.000 + 15.000.000 + 100.000.000
    assert "2.500.000 đ" in text and "15.000.000 đ" in text


def test_rollup_exports_and_ward_report_carry_the_totals(app, as_persona):
    as_persona("staff_a").post(LIST_A, data=BUDGET)
    as_persona("staff_b").post(f"/schools/{SCHOOL_B}/resources", data=CONTRIBUTION | {"cond_voluntary": "y"})
    admin = as_persona("ward_admin")
    assert "Nguồn lực, xã hội hóa" in text_of(admin.get("/rollup"))

    document = json.loads(admin.get("/rollup.json").get_data(as_text=True))
    totals = document["resources"]["totals"]
    assert totals["vnd"] == {"ngan_sach": 2_500_000, "xa_hoi_hoa": 15_000_000}
    assert totals["unconfirmed_contributions"] == 1

    book = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").data))
    values = [cell for row in book["Nguồn lực"].iter_rows(values_only=True) for cell in row]
    assert 2_500_000 in values and 15_000_000 in values

    report = Document(io.BytesIO(admin.get("/ward/report.docx").data))
    text = "\n".join(p.text for p in report.paragraphs)
    assert "NGUỒN LỰC, KINH PHÍ THỰC HIỆN" in text
    assert "17.500.000 đồng" in text and "Còn 1 khoản đóng góp chưa được xác nhận" in text

    staff_json = json.loads(as_persona("staff_a").get("/rollup.json").get_data(as_text=True))
    assert staff_json["resources"]["totals"]["total_vnd"] == 2_500_000
    assert staff_json["resources"]["ward"] is None


def test_only_the_ward_admins_edit_the_wards_own_entries(app, as_persona):
    admin = as_persona("ward_admin")
    url = admin.post("/ward/resources", data=BUDGET).location
    edit = BUDGET | {"version": "1", "purpose": "Tập huấn giáo viên"}
    for persona in ("viewer", "supervisor"):
        assert as_persona(persona).post(url, data=edit).status_code == 403, persona
    assert as_persona("staff_a").get(url).status_code == 403
    assert admin.post(url, data=edit).status_code == 302
    assert entries(app)[0].purpose == "Tập huấn giáo viên"
    assert admin.post(url + "/delete", data={"version": "1"}).status_code == 409  # it is at version 2 now
    assert admin.post(url + "/delete", data={"version": "2"}).status_code == 302


def test_a_past_year_is_read_only(app, as_persona):
    staff, admin = as_persona("staff_a"), as_persona("ward_admin")
    url = staff.post(LIST_A, data=BUDGET).location
    assert admin.post("/years", data=NEW_CALENDAR).status_code == 302
    admin.post("/years/2026-2027/open")
    assert "Chưa có nguồn lực nào" in text_of(staff.get(LIST_A))  # the new year starts fresh

    staff.post("/year", data={"nam": "2025-2026"})
    assert "Chi thường xuyên 2026" in text_of(staff.get(LIST_A))
    assert staff.post(url, data=BUDGET | {"version": "1", "purpose": "Sửa"}).status_code == 403
    assert staff.post(url + "/delete", data={"version": "1"}).status_code == 403
    assert len(entries(app)) == 1 and entries(app)[0].purpose == BUDGET["purpose"]
    assert entries(app)[0].deleted_at is None


def test_a_deleted_document_of_the_wards_own_register_can_be_restored(app, as_persona):
    admin = as_persona("ward_admin")
    url = admin.post("/ward/resources", data=CONTRIBUTION).location
    admin.post(f"{url}/files", data={"file": (io.BytesIO(b"%PDF-1.4\n%quyet dinh\n%%EOF\n"), "quyet-dinh.pdf")})
    with app.app_context():
        file_id = db.session.scalar(select(EvidenceFile.id).where(EvidenceFile.resource_id.is_not(None)))
    assert admin.post(f"/files/{file_id}/delete").status_code == 303
    assert f'href="/files/{file_id}"' not in admin.get(url).get_data(as_text=True)
    assert "Công ty TNHH Ví Dụ" in text_of(admin.get("/files/deleted"))
    assert admin.post(f"/files/{file_id}/restore").status_code == 303
    assert f'href="/files/{file_id}"' in admin.get(url).get_data(as_text=True)


def test_the_ward_pages_read_in_the_same_queries_at_few_and_many_schools(app, as_persona, count_queries):
    def grow(count: int) -> None:
        with app.app_context():
            plan, ward = db.session.scalar(select(Plan)), db.session.scalar(select(Ward))
            start = db.session.scalar(select(func.count(School.id)))
            for i in range(count):
                school = School(
                    ward=ward, slug=f"them-{start + i}", name=f"Trường thêm {start + i}", level=SchoolLevel.THCS
                )
                db.session.add(school)
                db.session.flush()
                db.session.add(EquipmentSurvey(school_id=school.id, plan_id=plan.id, working_machines=10, pupils=300))
                db.session.add(
                    Resource(
                        plan_id=plan.id, school_id=school.id, kind=ResourceKind.BUDGET, source="NS", amount_vnd=1000
                    )
                )
            db.session.commit()

    admin = as_persona("ward_admin")
    grow(2)
    small = {}
    for url in ("/ward/equipment", "/ward/resources"):
        with count_queries() as counter:
            assert admin.get(url).status_code == 200
        small[url] = counter.count
    grow(60)
    for url in ("/ward/equipment", "/ward/resources"):
        with count_queries() as counter:
            response = admin.get(url)
        assert response.status_code == 200
        assert counter.count == small[url], (url, small[url], counter.count)
    assert "Trường thêm" in text_of(admin.get("/ward/equipment"))
