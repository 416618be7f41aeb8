"""Pilot-class results (issue 17, part 8): each pilot class's plan, lessons by content area,
pupils' products (restricted by default) and assessment, shown beside milestone 7, under the
self-evaluation's third criterion, in the reports, the rollup and its exports."""

import io
import json

import pytest
from helpers import SCHOOL_A, text_of
from openpyxl import load_workbook
from sqlalchemy import func, select

from aiplan.database import SHORT_LIST
from aiplan.extensions import db
from aiplan.figures.pilot import pilot_by_school
from aiplan.models import (
    Activity,
    AuditEvent,
    ChecklistItem,
    DeliveryForm,
    EvidenceFile,
    ItemStatus,
    PilotLevel,
    PilotResult,
    Plan,
    School,
    SchoolYear,
)

PILOT_A = f"/schools/{SCHOOL_A}/pilot"


@pytest.fixture
def staff(as_persona):
    return as_persona("staff_a")


def a_class(app, code: str = "2.2", class_name: str = "5A") -> int:
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code=code))
        activity = Activity(
            school=school,
            plan=plan,
            form=form,
            title="Chuyên đề AI",
            class_name=class_name,
            participants=35,
            lessons=12,
        )
        db.session.add(activity)
        db.session.commit()
        return activity.id


def result_form(app, version=0, **changes) -> dict:
    with app.app_context():
        areas = db.session.scalar(select(Plan)).content_areas
        data = {f"lessons_{a.id}": "3" for a in areas}
    return (
        data
        | {
            "class_plan": "12 tiết trong HK II, sản phẩm là một chatbot đơn giản.",
            "assessment": "Đánh giá qua sản phẩm nhóm.",
            "level_hoan_thanh_tot": "10",
            "level_hoan_thanh": "20",
            "level_chua_hoan_thanh": "5",
            "version": str(version),
        }
        | changes
    )


def test_staff_record_a_classs_result_with_audit_and_the_ward_reads_it(app, staff, as_persona):
    class_id = a_class(app)
    url = f"{PILOT_A}/{class_id}"
    assert staff.post(url, data=result_form(app)).status_code == 302
    page = text_of(as_persona("viewer").get(url))
    assert "Hoàn thành tốt: 10 (29%)" in page and "sản phẩm là một chatbot" in page
    assert "Lớp 5A" in text_of(as_persona("supervisor").get(PILOT_A))
    with app.app_context():
        result = db.session.scalar(select(PilotResult))
        assert (result.assessed, result.pupils_at(PilotLevel.HOAN_THANH)) == (35, 20)
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "pilot.result")) == 1
    assert as_persona("staff_b").post(url, data=result_form(app)).status_code == 403
    assert as_persona("ward_admin").post(url, data=result_form(app)).status_code == 403


def test_a_stale_or_bad_result_is_refused_and_nothing_changes(app, staff):
    class_id = a_class(app)
    url = f"{PILOT_A}/{class_id}"
    staff.post(url, data=result_form(app))
    stale = staff.post(url, data=result_form(app, level_hoan_thanh_tot="11"))
    assert stale.status_code == 409
    assert 'value="11"' in stale.get_data(as_text=True)
    bad = staff.post(url, data=result_form(app, version=1, level_hoan_thanh="-3"))
    assert bad.status_code == 422 and "Có lỗi cần sửa" in text_of(bad)
    with app.app_context():
        assert db.session.scalar(select(PilotResult)).pupils_at(PilotLevel.HOAN_THANH_TOT) == 10


def test_an_activity_that_is_not_a_pilot_class_has_no_result_page(app, staff):
    other = a_class(app, code="2.1")
    assert staff.get(f"{PILOT_A}/{other}").status_code == 404


def test_products_are_restricted_by_default_and_stay_out_of_the_exports(app, staff, as_persona):
    class_id = a_class(app)
    page = staff.get(f"{PILOT_A}/{class_id}").get_data(as_text=True)
    assert 'name="restricted" value="y" checked' in page
    response = staff.post(
        f"/schools/{SCHOOL_A}/activities/{class_id}/files",
        data={"file": (io.BytesIO(b"%PDF-1.4\n%san pham\n%%EOF\n"), "san-pham-nhom-1.pdf"), "restricted": "y"},
    )
    assert response.status_code in (302, 303)
    assert "san-pham-nhom-1.pdf" not in text_of(as_persona("viewer").get(f"{PILOT_A}/{class_id}"))
    assert "san-pham-nhom-1.pdf" in text_of(as_persona("supervisor").get(f"{PILOT_A}/{class_id}"))
    exported = as_persona("ward_admin").get("/rollup.json").get_data(as_text=True)
    assert "san-pham-nhom-1.pdf" not in exported
    assert json.loads(exported)["pilot_classes"]["product_files"] == 1
    with app.app_context():
        assert db.session.scalar(select(EvidenceFile.restricted)) is True


def test_results_show_beside_milestone_7_and_under_criterion_3_without_changing_its_status(app, staff):
    class_id = a_class(app)
    staff.post(f"{PILOT_A}/{class_id}", data=result_form(app))
    evaluation = text_of(staff.get(f"/schools/{SCHOOL_A}/self-evaluation"))
    third = evaluation.split("Tiêu chí 3")[1]
    assert "Căn cứ: kết quả các lớp thí điểm" in third and "35 học sinh được đánh giá" in third
    assert "Căn cứ: kết quả các lớp thí điểm" not in evaluation.split("Tiêu chí 3")[0]
    school_page = text_of(staff.get(f"/schools/{SCHOOL_A}"))
    assert "1 lớp đã có kết quả đánh giá; 35 học sinh được đánh giá" in school_page
    with app.app_context():
        m7 = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m7")
        )
        assert m7.tracks_self_evaluation and m7.status is ItemStatus.NOT_STARTED


def test_the_reports_rollup_and_exports_carry_the_figures_and_no_pupil(app, staff, as_persona):
    class_id = a_class(app)
    staff.post(f"{PILOT_A}/{class_id}", data=result_form(app))
    admin = as_persona("ward_admin")
    rollup = text_of(admin.get("/rollup"))
    assert "Kết quả các lớp thí điểm" in rollup and "Từng trường có lớp thí điểm" in rollup
    pilot = json.loads(admin.get("/rollup.json").get_data(as_text=True))["pilot_classes"]
    assert (pilot["classes"], pilot["with_result"], pilot["pupils_assessed"]) == (1, 1, 35)
    assert pilot["levels"] == {"hoan_thanh_tot": 10, "hoan_thanh": 20, "chua_hoan_thanh": 5}
    assert pilot["lessons_by_content_area"]["a"] == 3
    book = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").data), read_only=True)
    rows = list(book["Lớp thí điểm"].iter_rows(values_only=True))
    assert next(r for r in rows if r[0] == "Trường Tiểu học Đoàn Kết")[1:7] == (1, 1, 35, 10, 20, 5)
    school_report = text_of(staff.get(f"/schools/{SCHOOL_A}/report"))
    assert "Kết quả lớp thí điểm (căn cứ cho tiêu chí 3): Nhà trường có 1 lớp thí điểm" in school_report
    ward_report = text_of(admin.get("/ward/report"))
    assert "Các trường có 1 lớp thí điểm theo hình thức 2.2, 1 lớp đã có kết quả đánh giá; 35 học sinh" in ward_report


def test_the_pilot_figures_take_the_same_queries_for_two_schools_or_all(app, count_queries):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        schools = db.session.scalars(select(School)).all()
        plan.content_areas  # noqa: B018  (loaded before counting)
        with count_queries() as few:
            pilot_by_school(plan, schools[:2])
        with count_queries() as many:
            pilot_by_school(plan, schools)
    assert few.count == many.count == 1


def test_the_figures_are_the_same_read_for_a_few_schools_or_for_more_than_a_short_list(app, staff):
    # Up to SHORT_LIST schools the query is one prebuilt statement with bound values; past it the
    # ids go as one parameter (database.among). Both must count the same classes, results, pupils.
    assert staff.post(f"{PILOT_A}/{a_class(app)}", data=result_form(app)).status_code == 302
    a_class(app, class_name="5B")
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        others = [
            School(ward=school.ward, slug=f"them-{i}", name=f"Trường {i}", level=school.level)
            for i in range(SHORT_LIST)
        ]
        db.session.add_all(others)
        db.session.flush()
        few = pilot_by_school(plan, [school]).schools[0][1]
        many = {s.id: f for s, f in pilot_by_school(plan, [*others, school]).schools}[school.id]
        assert (few.classes, few.with_result, few.assessed) == (2, 1, 35)
        assert (many.classes, many.with_result, many.assessed, many.levels, many.lessons) == (
            few.classes,
            few.with_result,
            few.assessed,
            few.levels,
            few.lessons,
        )
        db.session.rollback()


def test_results_start_afresh_in_the_next_year(app, staff, as_persona):
    class_id = a_class(app)
    staff.post(f"{PILOT_A}/{class_id}", data=result_form(app))
    admin = as_persona("ward_admin")
    admin.post(
        "/years",
        data={
            "hk1_start": "05/09/2026",
            "hk1_end": "16/01/2027",
            "hk2_start": "18/01/2027",
            "hk2_end": "25/05/2027",
            "midterm_start": "08/03/2027",
            "midterm_end": "03/04/2027",
            "ends_on": "31/05/2027",
            "closes_on": "31/08/2027",
        },
    )
    admin.post("/years/2026-2027/open")
    assert "Chưa có lớp thí điểm nào trong năm học này." in text_of(staff.get(PILOT_A))
    with app.app_context():
        plan = db.session.scalar(select(Plan).join(SchoolYear).where(SchoolYear.name == "2026-2027"))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        assert pilot_by_school(plan, [school]).schools[0][1].classes == 0
