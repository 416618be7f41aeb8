"""Partners (issue 17, part 4): a school's and the ward's partners with their kind, contact, agreement
file (an evidence file) and the activities they took part in; who may write them; the ward's view
of which schools work with whom; version checks and audit on every write."""

import io

import pytest
from helpers import SCHOOL_A, SCHOOL_B, QueryCounter, text_of
from sqlalchemy import event, func, select

from aiplan.extensions import db
from aiplan.figures.partners import partner_figures
from aiplan.models import Activity, AuditEvent, DeliveryForm, EvidenceFile, Partner, Plan, School

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"

FPT = {
    "name": "Trường Đại học FPT",
    "kind": "dai_hoc",
    "contact_person": "Nguyễn Văn An",
    "phone": "0912 345 678",
    "email": "an.nguyen@fpt.edu.vn",
    "agreement_from": "01/09/2025",
    "agreement_to": "31/05/2026",
}


@pytest.fixture
def app(seeded_app, tmp_path):
    return seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"))


def a_club(app, slug=SCHOOL_A, title="Câu lạc bộ AI khối 5") -> int:
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=slug))
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.3"))
        activity = Activity(school=school, plan=plan, form=form, title=title, participants=30)
        db.session.add(activity)
        db.session.commit()
        return activity.id


def partners(app) -> list[Partner]:
    with app.app_context():
        rows = db.session.scalars(select(Partner).order_by(Partner.id)).all()
        for row in rows:
            row.activity_titles = [a.title for a in row.activities]
        db.session.expunge_all()
        return list(rows)


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_school_staff_record_a_partner_linked_to_an_activity_and_the_plan_line_is_quoted(app, as_persona):
    club = a_club(app)
    staff = as_persona("staff_a")

    page = staff.get(f"/schools/{SCHOOL_A}/partners")
    assert page.status_code == 200
    assert "phối hợp chặt chẽ với các cơ sở giáo dục đại học, viện nghiên cứu, doanh nghiệp" in text_of(page)
    assert "Câu lạc bộ AI khối 5" in text_of(page)  # offered to pick

    response = staff.post(f"/schools/{SCHOOL_A}/partners", data=FPT | {"activity_ids": [str(club)]})

    assert response.status_code == 302
    [partner] = partners(app)
    assert (partner.name, partner.kind.value, partner.email) == (
        "Trường Đại học FPT",
        "dai_hoc",
        "an.nguyen@fpt.edu.vn",
    )
    assert partner.activity_titles == ["Câu lạc bộ AI khối 5"]
    assert audit_count(app, "partner.create") == 1
    assert "Ghi nhận đối tác" in text_of(as_persona("ward_admin").get(f"/schools/{SCHOOL_A}/history"))
    detail = staff.get(response.headers["Location"])
    assert "Nguyễn Văn An" in text_of(detail) and "01/09/2025" in text_of(detail)
    # The activity's own page names its partner.
    activity_page = text_of(as_persona("viewer").get(f"/schools/{SCHOOL_A}/activities/{club}"))
    assert "Đối tác tham gia Trường Đại học FPT" in activity_page


def test_a_bad_partner_is_refused_with_every_reason_and_nothing_is_saved(app, as_persona):
    staff = as_persona("staff_a")

    response = staff.post(
        f"/schools/{SCHOOL_A}/partners",
        data=FPT | {"name": " ", "kind": "", "email": "khong-phai-email", "agreement_to": "01/01/2025"},
    )

    assert response.status_code == 422
    text = text_of(response)
    assert "Có lỗi cần sửa" in text
    assert "Nhập tên đối tác." in text
    assert "Chọn loại đối tác." in text
    assert "Địa chỉ e-mail không hợp lệ" in text
    assert "Ngày kết thúc thỏa thuận không được trước ngày bắt đầu." in text
    assert partners(app) == []


def test_an_activity_of_another_school_cannot_be_linked(app, as_persona):
    theirs = a_club(app, slug=SCHOOL_B)

    response = as_persona("staff_a").post(f"/schools/{SCHOOL_A}/partners", data=FPT | {"activity_ids": [str(theirs)]})

    assert response.status_code == 422
    assert partners(app) == []


@pytest.mark.parametrize("persona", ["staff_b", "supervisor", "viewer", "ward_admin"])
def test_only_the_schools_staff_write_its_partners(app, as_persona, persona):
    response = as_persona(persona).post(f"/schools/{SCHOOL_A}/partners", data=FPT)

    assert response.status_code == 403
    assert partners(app) == []


def test_an_edit_on_an_older_version_is_refused_keeping_what_was_typed(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/partners", data=FPT)
    [partner] = partners(app)
    url = f"/schools/{SCHOOL_A}/partners/{partner.id}"
    assert staff.post(url, data=FPT | {"phone": "0988 000 111", "version": "1"}).status_code == 302

    stale = staff.post(url, data=FPT | {"contact_person": "Trần Thị Bình", "version": "1"})

    assert stale.status_code == 409
    assert "vừa được người khác thay đổi" in text_of(stale)
    assert 'value="Trần Thị Bình"' in stale.get_data(as_text=True)
    [partner] = partners(app)
    assert (partner.contact_person, partner.phone, partner.version) == ("Nguyễn Văn An", "0988 000 111", 2)
    assert audit_count(app, "partner.update") == 1


def test_the_agreement_is_an_evidence_file_of_the_partner_that_the_school_and_ward_read(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/partners", data=FPT)
    [partner] = partners(app)

    response = staff.post(
        f"/schools/{SCHOOL_A}/partners/{partner.id}/files",
        data={"file": [(io.BytesIO(PDF), "Thỏa thuận hợp tác FPT.pdf")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    with app.app_context():
        file = db.session.scalar(select(EvidenceFile).filter_by(partner_id=partner.id))
        file_id, school_id = file.id, file.school_id
    assert school_id is not None
    assert as_persona("viewer").get(f"/files/{file_id}").data == PDF
    assert as_persona("staff_b").get(f"/files/{file_id}").status_code == 403
    assert audit_count(app, "evidence.upload") == 1
    assert "Thỏa thuận hợp tác FPT.pdf" in text_of(staff.get(f"/schools/{SCHOOL_A}/partners/{partner.id}"))

    # Deleted through the evidence machinery, back to the partner's page.
    deleted = staff.post(f"/files/{file_id}/delete", data={"next": f"/schools/{SCHOOL_A}/partners/{partner.id}"})
    assert deleted.status_code == 303
    assert deleted.headers["Location"].endswith(f"/partners/{partner.id}")
    # The ward's admins find it among the deleted files, named by its partner, and restore it.
    admin = as_persona("ward_admin")
    assert "Đối tác: Trường Đại học FPT" in text_of(admin.get("/files/deleted"))
    assert admin.post(f"/files/{file_id}/restore").status_code in (302, 303)
    assert "Thỏa thuận hợp tác FPT.pdf" in text_of(staff.get(f"/schools/{SCHOOL_A}/partners/{partner.id}"))


def test_a_file_that_is_not_what_it_says_is_refused(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/partners", data=FPT)
    [partner] = partners(app)

    response = staff.post(
        f"/schools/{SCHOOL_A}/partners/{partner.id}/files",
        data={"file": [(io.BytesIO(b"MZ\x90\x00not a pdf"), "thoa-thuan.pdf")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "thoa-thuan.pdf" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_deleting_a_partner_keeps_it_in_the_log_and_out_of_the_lists(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/partners", data=FPT)
    [partner] = partners(app)

    assert staff.post(f"/schools/{SCHOOL_A}/partners/{partner.id}/delete", data={"version": "9"}).status_code == 409
    assert staff.post(f"/schools/{SCHOOL_A}/partners/{partner.id}/delete", data={"version": "1"}).status_code == 302

    listed = staff.get(f"/schools/{SCHOOL_A}/partners")
    assert "Đã xóa đối tác “Trường Đại học FPT”" in text_of(listed)
    assert f'id="partner-{partner.id}"' not in listed.get_data(as_text=True)
    assert staff.get(f"/schools/{SCHOOL_A}/partners/{partner.id}").status_code == 404
    assert audit_count(app, "partner.delete") == 1


def test_the_ward_sees_which_schools_work_with_whom_and_keeps_its_own_partners(app, as_persona):
    as_persona("staff_a").post(f"/schools/{SCHOOL_A}/partners", data=FPT)
    as_persona("staff_b").post(f"/schools/{SCHOOL_B}/partners", data=FPT | {"name": "trường đại học  FPT"})
    admin = as_persona("ward_admin")
    created = admin.post(
        "/ward/partners", data={"name": "Viện Công nghệ thông tin", "kind": "vien_nghien_cuu", "phone": "024 3756"}
    )
    assert created.status_code == 302

    page = as_persona("viewer").get("/ward/partners")

    text = text_of(page)
    assert "Các trường hợp tác với ai" in text
    assert "2/8 trường có đối tác; 2 đối tác khác nhau" in text
    row = text.split("Trường Đại học FPT", 1)[1].split("Viện Công nghệ thông tin", 1)[0]
    assert "Trường Tiểu học Đoàn Kết" in row and "Trường THCS Thạch Bàn" in row
    assert "Viện Công nghệ thông tin" in text
    assert as_persona("viewer").post("/ward/partners", data={"name": "X", "kind": "khac"}).status_code == 403
    assert as_persona("staff_a").get("/ward/partners").status_code == 403


def counted(call):
    """The result of `call()` and the statements it ran (in the current app context's session)."""
    counter = QueryCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        return call(), counter.count
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


def test_the_figures_read_in_a_fixed_number_of_queries(app):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        schools = list(db.session.scalars(select(School)))
        for school in schools:
            db.session.add(Partner(plan=plan, school=school, name=f"Doanh nghiệp {school.slug}", kind="doanh_nghiep"))
        db.session.commit()
        schools = list(db.session.scalars(select(School)))
        plan = db.session.scalar(select(Plan))
        small, few = counted(lambda: partner_figures(plan, schools[:2]))
        large, many = counted(lambda: partner_figures(plan, schools))
    assert few == many <= 3
    assert large.total("partners") == len(schools) and small.total("partners") == 2


@pytest.mark.parametrize("persona", ["staff_b", "supervisor", "viewer", "ward_admin"])
def test_only_the_schools_staff_edit_its_partner(app, as_persona, persona):
    as_persona("staff_a").post(f"/schools/{SCHOOL_A}/partners", data=FPT)
    [partner] = partners(app)

    response = as_persona(persona).post(
        f"/schools/{SCHOOL_A}/partners/{partner.id}", data=FPT | {"name": "Đổi tên", "version": "1"}
    )

    assert response.status_code == 403
    assert partners(app)[0].name == "Trường Đại học FPT"


@pytest.mark.parametrize(("persona", "code"), [("staff_a", 403), ("supervisor", 403), ("viewer", 403)])
def test_only_the_wards_admins_edit_the_wards_partners(app, as_persona, persona, code):
    admin = as_persona("ward_admin")
    admin.post("/ward/partners", data={"name": "Viện Công nghệ thông tin", "kind": "vien_nghien_cuu"})
    [partner] = partners(app)
    url = f"/ward/partners/{partner.id}"

    assert as_persona(persona).post(url, data={"name": "Đổi tên", "kind": "khac", "version": "1"}).status_code == code
    assert admin.post(url, data={"name": "Viện CNTT", "kind": "vien_nghien_cuu", "version": "1"}).status_code == 302
    assert partners(app)[0].name == "Viện CNTT"


def test_the_wards_partner_links_a_ward_activity_and_files_its_agreement(app, as_persona):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        conference = Activity(plan=plan, ward_kind="hoi_nghi", title="Hội nghị triển khai giáo dục AI")
        db.session.add(conference)
        db.session.commit()
        conference_id = conference.id
    admin = as_persona("ward_admin")
    created = admin.post(
        "/ward/partners",
        data={"name": "Công ty Cổ phần Giáo dục Số", "kind": "doanh_nghiep", "activity_ids": [str(conference_id)]},
    )
    assert created.status_code == 302
    [partner] = partners(app)
    assert (partner.school_id, partner.activity_titles) == (None, ["Hội nghị triển khai giáo dục AI"])

    uploaded = admin.post(
        f"/ward/partners/{partner.id}/files",
        data={"file": [(io.BytesIO(PDF), "Biên bản ghi nhớ.pdf")]},
        content_type="multipart/form-data",
    )

    assert uploaded.status_code == 302
    viewer_page = as_persona("viewer").get(f"/ward/partners/{partner.id}")
    assert "Biên bản ghi nhớ.pdf" in text_of(viewer_page)
    assert "Sửa thông tin đối tác" not in text_of(viewer_page)  # viewers read only
    assert as_persona("staff_a").get(f"/ward/partners/{partner.id}").status_code == 403
    # A school's page never shows the ward's partner, nor the ward's page a school's partner as its own.
    assert as_persona("staff_a").get(f"/schools/{SCHOOL_A}/partners/{partner.id}").status_code == 404
