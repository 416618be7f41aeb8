"""Data protection and responsible AI (issue 17, part 5): a school's register of the AI tools used
with its pupils, the parental consents it keeps on file (restricted evidence files of the class's
activity, never exported), the ward's tool × schools view and its gap list."""

import io

import pytest
from helpers import SCHOOL_A, SCHOOL_B, QueryCounter, text_of
from sqlalchemy import event, func, select

from aiplan.extensions import db
from aiplan.figures.aitools import tool_figures
from aiplan.models import (
    AccountType,
    Activity,
    AiTool,
    AuditEvent,
    DeliveryForm,
    EvidenceFile,
    Partner,
    Plan,
    PupilConsent,
    School,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200) + b"\xff\xd9"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"

TEACHABLE = {
    "name": "Teachable Machine",
    "provider": "Google",
    "age_suitability": "Mọi lứa tuổi khi có giáo viên",
    "pupil_data": ["hinh_anh", "giong_noi"],
    "account_type": "khong",
}
SCRATCH = {"name": "Scratch", "provider": "MIT", "account_type": "giao_vien"}


@pytest.fixture
def app(seeded_app, tmp_path):
    return seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"))


def a_class(app, slug=SCHOOL_A) -> int:
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=slug))
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        activity = Activity(school=school, plan=plan, form=form, title="Lớp chuyên đề AI", class_name="5A")
        db.session.add(activity)
        db.session.commit()
        return activity.id


def tools(app) -> list[AiTool]:
    with app.app_context():
        rows = db.session.scalars(select(AiTool).order_by(AiTool.id)).all()
        db.session.expunge_all()
        return list(rows)


def consent(client, activity_id, tool_ids=(), content=PDF, name="Đồng ý 5A.pdf", slug=SCHOOL_A):
    data = {
        "activity_id": str(activity_id),
        "group_name": "Lớp 5A",
        "consented_on": "20/09/2025",
        "tool_ids": [str(i) for i in tool_ids],
        "file": (io.BytesIO(content), name),
    }
    return client.post(f"/schools/{slug}/consents", data=data, content_type="multipart/form-data")


def test_staff_register_a_tool_with_the_pupil_data_it_receives_and_the_plan_line_is_quoted(app, as_persona):
    staff = as_persona("staff_a")
    page = staff.get(f"/schools/{SCHOOL_A}/ai-tools")
    assert "Bảo đảm an toàn thông tin, bảo mật dữ liệu cá nhân" in text_of(page)

    response = staff.post(f"/schools/{SCHOOL_A}/ai-tools", data=TEACHABLE | {"pupil_data_other": "Tên nhóm"})

    assert response.status_code == 302
    [tool] = tools(app)
    assert [kind.value for kind in tool.data_kinds] == ["hinh_anh", "giong_noi"]
    assert tool.account_type is AccountType.NONE and tool.pupil_data_other == "Tên nhóm"
    text = text_of(staff.get(f"/schools/{SCHOOL_A}/ai-tools"))
    assert "Hình ảnh, khuôn mặt, Giọng nói, Tên nhóm" in text
    assert "Nhận dữ liệu học sinh, chưa có bản đồng ý" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "ai_tool.create")) == 1


def test_a_tool_without_a_name_or_account_type_is_refused_and_nothing_saved(app, as_persona):
    response = as_persona("staff_a").post(
        f"/schools/{SCHOOL_A}/ai-tools", data={"name": "", "pupil_data": ["khong-co"], "account_type": "bat-ky"}
    )

    assert response.status_code == 422
    text = text_of(response)
    assert "Nhập tên công cụ hoặc nền tảng." in text
    assert tools(app) == []


@pytest.mark.parametrize("persona", ["staff_b", "supervisor", "viewer", "ward_admin"])
def test_only_the_schools_staff_write_its_register(app, as_persona, persona):
    assert as_persona(persona).post(f"/schools/{SCHOOL_A}/ai-tools", data=SCRATCH).status_code == 403
    assert tools(app) == []


def test_an_edit_on_an_older_version_is_refused(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/ai-tools", data=SCRATCH)
    [tool] = tools(app)
    url = f"/schools/{SCHOOL_A}/ai-tools/{tool.id}"
    assert staff.post(url, data=SCRATCH | {"provider": "MIT Media Lab", "version": "1"}).status_code == 302

    stale = staff.post(url, data=SCRATCH | {"provider": "Khác", "version": "1"})

    assert stale.status_code == 409
    assert 'value="Khác"' in stale.get_data(as_text=True)
    assert tools(app)[0].provider == "MIT Media Lab"
    assert staff.post(url + "/delete", data={"version": "2"}).status_code == 302
    assert tools(app)[0].deleted_at is not None


def test_a_consent_is_a_restricted_file_of_the_class_activity_and_closes_the_gap(app, as_persona):
    club = a_class(app)
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/ai-tools", data=TEACHABLE)
    [tool] = tools(app)

    response = consent(staff, club, [tool.id])

    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(PupilConsent))
        file = record.file
        assert (file.restricted, file.activity_id, file.school.slug) == (True, club, SCHOOL_A)
        assert [t.name for t in record.tools] == ["Teachable Machine"]
        file_id = file.id
    text = text_of(staff.get(f"/schools/{SCHOOL_A}/ai-tools"))
    assert "Đã có bản đồng ý" in text and "Lớp 5A" in text
    # Viewers see that a consent is on file, never the file itself.
    assert as_persona("viewer").get(f"/files/{file_id}").status_code == 403
    assert "Đồng ý 5A.pdf" not in text_of(as_persona("viewer").get(f"/schools/{SCHOOL_A}/ai-tools"))
    assert as_persona("supervisor").get(f"/files/{file_id}").status_code == 200
    # And it never leaves in an export.
    assert "Đồng ý 5A.pdf" not in as_persona("ward_admin").get("/rollup.json").get_data(as_text=True)


def test_a_consent_without_its_file_or_for_another_schools_class_is_refused(app, as_persona):
    theirs = a_class(app, slug=SCHOOL_B)
    staff = as_persona("staff_a")

    no_file = staff.post(
        f"/schools/{SCHOOL_A}/consents",
        data={"activity_id": str(theirs), "group_name": "", "consented_on": ""},
        content_type="multipart/form-data",
    )

    assert no_file.status_code == 422
    text = text_of(no_file)
    assert "Chọn tệp bản đồng ý" in text and "Nhập ngày cha mẹ học sinh đồng ý." in text
    assert consent(staff, theirs).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PupilConsent)) == 0
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_the_ward_sees_which_schools_use_which_tool_and_the_gaps(app, as_persona):
    club = a_class(app)
    a, b = as_persona("staff_a"), as_persona("staff_b")
    a.post(f"/schools/{SCHOOL_A}/ai-tools", data=TEACHABLE)
    b.post(f"/schools/{SCHOOL_B}/ai-tools", data=TEACHABLE | {"name": "teachable  machine", "account_type": "hoc_sinh"})
    b.post(f"/schools/{SCHOOL_B}/ai-tools", data=SCRATCH)
    # School A keeps pupils' photos as restricted evidence of the class, with no consent yet.
    a.post(
        f"/schools/{SCHOOL_A}/activities/{club}/files",
        data={"file": [(io.BytesIO(JPEG), "anh-lop-5A.jpg")], "restricted": "y"},
        content_type="multipart/form-data",
    )

    page = as_persona("viewer").get("/ward/ai-tools")

    assert page.status_code == 200
    text = text_of(page)
    assert "2 công cụ khác nhau ở 2/8 trường" in text
    matrix = text.split("Công cụ × trường", 1)[1].split("Theo trường", 1)[0]
    row = matrix.split("Teachable Machine", 1)[1].split("Scratch", 1)[0]
    assert "Trường Tiểu học Đoàn Kết" in row and "Trường THCS Thạch Bàn" in row
    gaps = text.split("Cần bổ sung bản đồng ý", 1)[1].split("Công cụ × trường", 1)[0].replace(" :", ":")
    assert "Trường Tiểu học Đoàn Kết: Teachable Machine" in gaps
    assert "Trường THCS Thạch Bàn: teachable machine" in gaps
    assert "Scratch" not in gaps  # it receives no pupil data
    assert "chưa có bản đồng ý nào" in gaps and "1 tệp hạn chế" in gaps

    [tool] = [t for t in tools(app) if t.school_id and t.name == "Teachable Machine"]
    consent(a, club, [tool.id])
    gaps = text_of(as_persona("viewer").get("/ward/ai-tools")).split("Cần bổ sung bản đồng ý", 1)[1]
    gaps = gaps.split("Công cụ × trường", 1)[0]
    assert "Trường Tiểu học Đoàn Kết" not in gaps
    assert as_persona("staff_a").get("/ward/ai-tools").status_code == 403


def test_the_figures_read_in_a_fixed_number_of_queries(app):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        for school in db.session.scalars(select(School)):
            db.session.add(AiTool(plan=plan, school=school, name="Canva", account_type=AccountType.TEACHER))
        db.session.commit()
        schools = list(db.session.scalars(select(School)))
        plan = db.session.scalar(select(Plan))
        counts = []
        for subset in (schools[:2], schools):
            counter = QueryCounter()
            event.listen(db.engine, "before_cursor_execute", counter)
            figures = tool_figures(plan, subset)
            event.remove(db.engine, "before_cursor_execute", counter)
            counts.append(counter.count)
    assert counts[0] == counts[1] <= 3
    assert len(figures.groups) == 1 and len(figures.groups[0].uses) == len(schools)


NEW_CALENDAR = {
    "hk1_start": "05/09/2026",
    "hk1_end": "16/01/2027",
    "hk2_start": "18/01/2027",
    "hk2_end": "25/05/2027",
    "midterm_start": "08/03/2027",
    "midterm_end": "03/04/2027",
    "ends_on": "31/05/2027",
    "closes_on": "31/08/2027",
}


def test_the_next_year_carries_partners_and_tools_but_starts_without_consents(app, as_persona):
    club = a_class(app)
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/ai-tools", data=TEACHABLE)
    [tool] = tools(app)
    assert consent(staff, club, [tool.id]).status_code == 302
    staff.post(
        f"/schools/{SCHOOL_A}/partners",
        data={"name": "Trường Đại học FPT", "kind": "dai_hoc", "activity_ids": [str(club)]},
    )
    with app.app_context():
        partner_id = db.session.scalar(select(Partner.id))
    staff.post(
        f"/schools/{SCHOOL_A}/partners/{partner_id}/files",
        data={"file": [(io.BytesIO(PDF), "Thỏa thuận.pdf")]},
        content_type="multipart/form-data",
    )
    admin = as_persona("ward_admin")

    assert admin.post("/years", data=NEW_CALENDAR).status_code in (302, 303)

    with app.app_context():
        new_plan = db.session.scalar(select(Plan).order_by(Plan.id.desc()))
        assert new_plan.school_year.name == "2026-2027"
        [carried] = db.session.scalars(select(Partner).where(Partner.plan_id == new_plan.id)).all()
        assert (carried.name, carried.carried_from_id, carried.activities) == ("Trường Đại học FPT", partner_id, [])
        [copy] = db.session.scalars(select(EvidenceFile).where(EvidenceFile.partner_id == carried.id)).all()
        old = db.session.scalar(select(EvidenceFile).where(EvidenceFile.partner_id == partner_id))
        assert copy.sha256 == old.sha256 and copy.original_name == "Thỏa thuận.pdf"
        [new_tool] = db.session.scalars(select(AiTool).where(AiTool.plan_id == new_plan.id)).all()
        assert (new_tool.name, new_tool.pupil_data, new_tool.carried_from_id) == (
            "Teachable Machine",
            "hinh_anh,giong_noi",
            tool.id,
        )
        assert db.session.scalar(select(func.count()).where(PupilConsent.plan_id == new_plan.id)) == 0
        # Last year's records stay as they were.
        assert db.session.scalar(select(func.count()).where(PupilConsent.plan_id != new_plan.id)) == 1
        [last_year] = db.session.scalars(select(Partner).where(Partner.id == partner_id)).all()
        assert [a.id for a in last_year.activities] == [club]
        new_figures = tool_figures(new_plan, list(db.session.scalars(select(School))))
    assert [use.name for use in new_figures.gaps] == ["Teachable Machine"]  # a new consent is needed


@pytest.mark.parametrize("persona", ["staff_b", "supervisor", "viewer", "ward_admin"])
def test_only_the_schools_staff_edit_a_tool(app, as_persona, persona):
    as_persona("staff_a").post(f"/schools/{SCHOOL_A}/ai-tools", data=SCRATCH)
    [tool] = tools(app)

    response = as_persona(persona).post(
        f"/schools/{SCHOOL_A}/ai-tools/{tool.id}", data=SCRATCH | {"name": "Đổi", "version": "1"}
    )

    assert response.status_code == 403
    assert tools(app)[0].name == "Scratch"


def test_a_consent_form_cannot_be_unmarked_restricted(app, as_persona):
    club = a_class(app)
    staff = as_persona("staff_a")
    assert consent(staff, club).status_code == 302
    with app.app_context():
        file_id = db.session.scalar(select(PupilConsent.file_id))

    response = staff.post(f"/files/{file_id}/restricted", data={"value": "0"})

    assert response.status_code == 409
    assert "bản đồng ý của cha mẹ học sinh nên luôn được hạn chế" in text_of(response)
    with app.app_context():
        assert db.session.get(EvidenceFile, file_id).restricted is True
