"""Teacher training (issue 17, part 1): the staff roster, its import, training plans, sessions
with their attendees, each teacher's history, the figures in the rollup and its exports, and the
roster carried into the next year."""

import io
import json

import pytest
from helpers import SCHOOL_A, SCHOOL_B, text_of
from openpyxl import load_workbook
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.figures.training import training_by_school
from aiplan.models import AuditEvent, ContentArea, Plan, School, SchoolYear, Teacher, TrainingPlan, TrainingSession
from aiplan.training.samples import sample_csv, sample_xlsx

ROSTER_A = f"/schools/{SCHOOL_A}/training/teachers"
TRAINING_A = f"/schools/{SCHOOL_A}/training"
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


@pytest.fixture
def staff(as_persona):
    return as_persona("staff_a")


def teachers_of(slug: str) -> list[Teacher]:
    return list(
        db.session.scalars(
            select(Teacher).join(School).where(School.slug == slug, Teacher.deleted_at.is_(None)).order_by(Teacher.id)
        )
    )


def area(code: str) -> ContentArea:
    plan = db.session.scalar(select(Plan))
    return next(a for a in plan.content_areas if a.code == code)


def add_teachers(client, *names):
    for name in names:
        assert client.post(ROSTER_A, data={"name": name, "subject": "Tin học", "email": ""}).status_code == 302


def session_form(app, teacher_ids, code="a", **changes) -> dict:
    with app.app_context():
        area_id = area(code).id
    return {
        "title": "Tập huấn sử dụng AI trong soạn giảng",
        "held_on": "15/10/2025",
        "content_area_id": str(area_id),
        "organiser": "phuong",
        "organiser_name": "",
        "teacher_ids": [str(i) for i in teacher_ids],
        "notes": "",
    } | changes


def test_staff_build_the_roster_and_the_ward_reads_it_but_another_school_cannot(app, staff, as_persona):
    add_teachers(staff, "Nguyễn Thị Hoa", "Trần Văn Nam")
    page = text_of(as_persona("viewer").get(ROSTER_A))
    assert "Nguyễn Thị Hoa" in page and "Trần Văn Nam" in page
    assert as_persona("staff_b").get(ROSTER_A).status_code == 403
    assert as_persona("viewer").post(ROSTER_A, data={"name": "X"}).status_code == 403
    with app.app_context():
        assert [t.name for t in teachers_of(SCHOOL_A)] == ["Nguyễn Thị Hoa", "Trần Văn Nam"]
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "teacher.create")) == 2


def test_a_teacher_without_a_name_or_with_a_bad_email_is_refused_and_nothing_is_added(app, staff):
    response = staff.post(ROSTER_A, data={"name": "", "subject": "Toán", "email": "khong-phai-email"})
    assert response.status_code == 422
    page = text_of(response)
    assert "Nhập họ và tên giáo viên." in page and "Có lỗi cần sửa" in page
    with app.app_context():
        assert teachers_of(SCHOOL_A) == []


def test_an_edit_on_an_old_version_is_refused_with_409_keeping_what_was_typed(app, staff):
    add_teachers(staff, "Lê Thị Mai")
    with app.app_context():
        teacher = teachers_of(SCHOOL_A)[0]
        url, version = f"{ROSTER_A}/{teacher.id}", teacher.version
    assert staff.post(url, data={"name": "Lê Thị Mai", "subject": "Toán", "version": version}).status_code == 302
    stale = staff.post(url, data={"name": "Lê Thị Mai Anh", "subject": "Toán", "version": version})
    assert stale.status_code == 409
    assert 'value="Lê Thị Mai Anh"' in stale.get_data(as_text=True)
    with app.app_context():
        assert teachers_of(SCHOOL_A)[0].name == "Lê Thị Mai"


def test_the_sample_roster_files_import_and_a_bad_row_imports_nothing(app, staff):
    bad = "Họ và tên,Môn dạy,Email\nPhạm Văn An,Toán,\n,Tin học,\n=HYPERLINK(1),Văn,\n".encode()
    response = staff.post(f"{ROSTER_A}/import", data={"file": (io.BytesIO(bad), "gv.csv")})
    assert response.status_code == 422
    page = text_of(response)
    assert "Dòng 3: thiếu họ và tên giáo viên" in page and "Dòng 4" in page
    with app.app_context():
        assert teachers_of(SCHOOL_A) == []
    preview = staff.post(f"{ROSTER_A}/import", data={"file": (io.BytesIO(sample_csv()), "mau.csv")})
    assert preview.status_code == 200 and "Xem trước: 2 dòng" in text_of(preview)
    with app.app_context():
        assert teachers_of(SCHOOL_A) == []  # nothing saved before the confirmation
    rows = {"name": ["Nguyễn Thị Ví Dụ", "Trần Văn Ví Dụ"], "subject": ["Tin học", "Toán"]}
    confirm = f"{ROSTER_A}/import/confirm"
    assert staff.post(confirm, data=rows | {"email": ["nguyen.thi.vidu@truong.edu.vn", ""]}).status_code == 302
    again = staff.post(f"{ROSTER_A}/import", data={"file": (io.BytesIO(sample_xlsx()), "mau.xlsx")})
    assert "Bỏ qua: đã có trong danh sách" in text_of(again)
    tampered = staff.post(confirm, data=rows | {"email": ["=cmd()", ""]})
    assert tampered.status_code == 422
    assert staff.post(confirm, data=rows | {"email": [""]}).status_code == 400
    assert staff.post(confirm, data=rows | {"email": ["nguyen.thi.vidu@truong.edu.vn", ""]}).status_code == 302
    with app.app_context():
        assert [t.name for t in teachers_of(SCHOOL_A)] == ["Nguyễn Thị Ví Dụ", "Trần Văn Ví Dụ"]  # no duplicates
        assert teachers_of(SCHOOL_A)[0].email == "nguyen.thi.vidu@truong.edu.vn"
    assert staff.get("/training/mau-danh-sach-giao-vien.xlsx").status_code == 200


def test_sessions_count_distinct_teachers_their_share_and_each_content_area(app, staff, as_persona):
    add_teachers(staff, "GV Một", "GV Hai", "GV Ba", "GV Bốn")
    with app.app_context():
        one, two, three, _four = (t.id for t in teachers_of(SCHOOL_A))
    assert staff.post(f"{TRAINING_A}/sessions/new", data=session_form(app, [one, two])).status_code == 302
    second = session_form(app, [one, three], code="b", title="Sinh hoạt chuyên môn về đạo đức AI")
    assert staff.post(f"{TRAINING_A}/sessions/new", data=second).status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        figures = training_by_school(plan, [school]).schools[0][1]
        assert (figures.teachers, figures.trained, figures.percent, figures.sessions) == (4, 3, 75, 2)
        assert figures.by_area == {area("a").id: 2, area("b").id: 2}
    page = text_of(as_persona("supervisor").get(TRAINING_A))
    assert "3 (75%)" in page
    staff.get(ROSTER_A)  # shows the messages of the saves above
    history = text_of(staff.get(f"{ROSTER_A}/{one}"))
    assert history.count("Tập huấn sử dụng AI trong soạn giảng") == 1
    assert history.count("Sinh hoạt chuyên môn về đạo đức AI") == 1


def test_a_session_naming_another_schools_teacher_or_no_content_area_is_refused(app, staff, as_persona):
    add_teachers(staff, "GV Một")
    as_persona("staff_b").post(
        f"/schools/{SCHOOL_B}/training/teachers", data={"name": "GV trường B", "subject": "", "email": ""}
    )
    with app.app_context():
        other = teachers_of(SCHOOL_B)[0].id
    response = staff.post(f"{TRAINING_A}/sessions/new", data=session_form(app, [other], content_area_id="0"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(TrainingSession.id))) == 0


def test_a_session_is_edited_with_a_version_check_and_deleted_with_audit(app, staff):
    add_teachers(staff, "GV Một", "GV Hai")
    with app.app_context():
        one, two = (t.id for t in teachers_of(SCHOOL_A))
    staff.post(f"{TRAINING_A}/sessions/new", data=session_form(app, [one]))
    with app.app_context():
        session = db.session.scalar(select(TrainingSession))
        url, version = f"{TRAINING_A}/sessions/{session.id}", session.version
    assert staff.post(url, data=session_form(app, [one, two], version=version)).status_code == 302
    assert staff.post(url, data=session_form(app, [two], version=version)).status_code == 409
    assert staff.post(f"{url}/delete", data={"version": version}).status_code == 409
    with app.app_context():
        session = db.session.get(TrainingSession, session.id)
        assert sorted(t.id for t in session.teachers) == [one, two]
        version = session.version
    assert staff.post(f"{url}/delete", data={"version": version}).status_code == 302
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("training.%"))))
        assert actions == {"training.session_create", "training.session_update", "training.session_delete"}
    assert staff.get(url).status_code == 404


def test_school_and_ward_training_plans_are_written_by_their_own_people(app, staff, as_persona):
    assert staff.post(TRAINING_A, data={"text": "Tập huấn 2 đợt trong HK I.", "version": "0"}).status_code == 302
    assert "Tập huấn 2 đợt trong HK I." in text_of(as_persona("viewer").get(TRAINING_A))
    assert staff.post(TRAINING_A, data={"text": "Khác", "version": "0"}).status_code == 409
    admin = as_persona("ward_admin")
    assert admin.post(TRAINING_A, data={"text": "x", "version": "0"}).status_code == 403
    assert as_persona("supervisor").post("/ward/training", data={"text": "x", "version": "0"}).status_code == 403
    assert admin.post("/ward/training", data={"text": "Kế hoạch của phường", "version": "0"}).status_code == 302
    assert "Kế hoạch của phường" in text_of(as_persona("supervisor").get("/ward/training"))
    assert as_persona("staff_a").get("/ward/training").status_code == 403
    with app.app_context():
        plans = db.session.scalars(select(TrainingPlan).order_by(TrainingPlan.id)).all()
        assert [(p.school_id is None, p.text) for p in plans] == [
            (False, "Tập huấn 2 đợt trong HK I."),
            (True, "Kế hoạch của phường"),
        ]


def test_the_rollup_shows_and_exports_training_without_changing_the_existing_keys(app, staff, as_persona):
    add_teachers(staff, "GV Một", "GV Hai")
    with app.app_context():
        one = teachers_of(SCHOOL_A)[0].id
    staff.post(f"{TRAINING_A}/sessions/new", data=session_form(app, [one]))
    admin = as_persona("ward_admin")
    assert "Tập huấn, bồi dưỡng giáo viên" in text_of(admin.get("/rollup"))
    document = json.loads(admin.get("/rollup.json").get_data(as_text=True))
    assert {"ward", "school_year", "plan", "schools", "targets", "milestones", "totals"} <= set(document)
    assert "teachers_trained" in document["totals"]
    training = document["teacher_training"]
    assert (training["teachers"], training["trained"], training["by_content_area"]["a"]) == (2, 1, 1)
    school_a = next(s for s in training["schools"] if s["slug"] == SCHOOL_A)
    assert school_a["percent"] == 50
    book = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").data), read_only=True)
    assert "Bồi dưỡng GV" in book.sheetnames and "Phụ lục II" in book.sheetnames
    rows = list(book["Bồi dưỡng GV"].iter_rows(values_only=True))
    row_a = next(r for r in rows if r[0] == "Trường Tiểu học Đoàn Kết")
    assert row_a[1:4] == (2, 1, 50)
    own = json.loads(staff.get("/rollup.json").get_data(as_text=True))["teacher_training"]
    assert [s["slug"] for s in own["schools"]] == [SCHOOL_A]


def test_the_training_figures_take_the_same_queries_for_two_schools_or_all(app, count_queries):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        schools = db.session.scalars(select(School)).all()
        plan.content_areas  # noqa: B018  (loaded before counting)
        with count_queries() as few:
            training_by_school(plan, schools[:2])
        with count_queries() as many:
            training_by_school(plan, schools)
    assert few.count == many.count == 1


def test_opening_the_next_year_carries_the_roster_and_starts_sessions_afresh(app, staff, as_persona):
    add_teachers(staff, "GV Một", "GV Hai")
    with app.app_context():
        one, two = (t.id for t in teachers_of(SCHOOL_A))
    staff.post(f"{TRAINING_A}/sessions/new", data=session_form(app, [one]))
    staff.post(f"{ROSTER_A}/{two}/delete", data={"version": "1"})
    admin = as_persona("ward_admin")
    assert admin.post("/years", data=NEW_CALENDAR).status_code in (302, 303)
    assert admin.post("/years/2026-2027/open").status_code in (302, 303)
    with app.app_context():
        new_plan = db.session.scalar(select(Plan).join(SchoolYear).where(SchoolYear.name == "2026-2027"))
        carried = db.session.scalars(select(Teacher).where(Teacher.plan_id == new_plan.id)).all()
        assert [(t.name, t.carried_from_id) for t in carried] == [("GV Một", one)]
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        figures = training_by_school(new_plan, [school]).schools[0][1]
        assert (figures.teachers, figures.trained, figures.sessions) == (1, 0, 0)
        new_id = carried[0].id
    history = text_of(staff.get(f"{ROSTER_A}/{new_id}"))
    assert "Tập huấn sử dụng AI trong soạn giảng" in history and "2025-2026" in history


def test_the_school_and_ward_reports_say_how_many_teachers_were_trained(app, staff, as_persona):
    add_teachers(staff, "GV Một", "GV Hai", "GV Ba", "GV Bốn")
    with app.app_context():
        one, two, _three, _four = (t.id for t in teachers_of(SCHOOL_A))
    assert staff.post(f"{TRAINING_A}/sessions/new", data=session_form(app, [one, two])).status_code == 302
    school_report = text_of(staff.get(f"/schools/{SCHOOL_A}/report"))
    assert "3. Tập huấn, bồi dưỡng giáo viên" in school_report
    assert "Nhà trường có 4 giáo viên trong danh sách; 2 giáo viên (50%) đã tham gia" in school_report
    ward_report = text_of(as_persona("ward_admin").get("/ward/report"))
    assert "Các trường có 4 giáo viên trong danh sách; 2 giáo viên (50%) đã tham gia" in ward_report
    # A school without a roster says so rather than "0 of 0".
    other = text_of(as_persona("staff_b").get("/schools/thcs-thach-ban/report"))
    assert "Nhà trường chưa nhập danh sách giáo viên" in other
