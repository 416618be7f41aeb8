"""The equipment survey (plan III.3): a school's yearly answers, the ward's summary with its gaps and
last year beside it, the ward's CSV/XLSX import, and the rollup's section and exports."""

import io
import json

from helpers import SCHOOL_A, SCHOOL_B, text_of
from openpyxl import load_workbook
from sqlalchemy import func, select
from test_years import NEW_CALENDAR

from aiplan.equipment.samples import sample_csv, sample_xlsx
from aiplan.extensions import db
from aiplan.models import AuditEvent, EquipmentSurvey, School

PAGE_A = f"/schools/{SCHOOL_A}/equipment"
GOOD = {
    "computer_rooms": "2",
    "rooms_online": "1",
    "working_machines": "40",
    "pupils": "1200",
    "bandwidth_mbps": "30",
    "ai_devices": "5",
    "ai_devices_note": "5 bộ robot",
    "notes": "Năm sau thêm phòng máy",
    "version": "0",
}


def surveys(app) -> list[EquipmentSurvey]:
    with app.app_context():
        return list(db.session.scalars(select(EquipmentSurvey)))


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_the_school_saves_its_survey_and_the_page_shows_the_plan_line_and_ratio(app, as_persona):
    staff = as_persona("staff_a")
    page = staff.get(PAGE_A)
    assert "phòng máy tính có kết nối Internet" in text_of(page)
    assert "Nhà trường chưa gửi số liệu" in text_of(page)

    response = staff.post(PAGE_A, data=GOOD)

    assert response.status_code == 302
    [survey] = surveys(app)
    assert (survey.working_machines, survey.pupils, survey.version) == (40, 1200, 1)
    assert audit_count(app, "equipment.save") == 1
    assert "30" in text_of(staff.get(PAGE_A))  # 1200 pupils / 40 machines


def test_bad_numbers_are_refused_with_a_message_and_nothing_is_saved(app, as_persona):
    staff = as_persona("staff_a")
    response = staff.post(PAGE_A, data=GOOD | {"working_machines": "-3", "rooms_online": "5"})
    assert response.status_code == 422
    assert "Nhập một số từ 0" in text_of(response)
    assert "không thể lớn hơn số phòng máy tính" in text_of(response)
    assert surveys(app) == []


def test_an_edit_made_on_an_older_version_is_refused_and_keeps_what_was_typed(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(PAGE_A, data=GOOD)
    staff.post(PAGE_A, data=GOOD | {"version": "1", "pupils": "1300"})

    response = staff.post(PAGE_A, data=GOOD | {"version": "1", "pupils": "999"})

    assert response.status_code == 409
    assert 'value="999"' in response.get_data(as_text=True)
    assert surveys(app)[0].pupils == 1300


def test_other_schools_and_the_ward_cannot_write_a_schools_survey(app, as_persona):
    assert as_persona("staff_b").post(PAGE_A, data=GOOD).status_code == 403
    assert as_persona("ward_admin").post(PAGE_A, data=GOOD).status_code == 403
    assert as_persona("viewer").post(PAGE_A, data=GOOD).status_code == 403
    assert surveys(app) == []


def test_the_ward_summary_names_the_thresholds_and_the_gaps(app, as_persona):
    as_persona("staff_a").post(PAGE_A, data=GOOD)  # 30 pupils per machine, 30 Mbps
    as_persona("staff_b").post(
        f"/schools/{SCHOOL_B}/equipment",
        data=GOOD | {"computer_rooms": "0", "rooms_online": "0", "working_machines": "0"},
    )

    text = text_of(as_persona("supervisor").get("/ward/equipment"))

    assert "trên 20 học sinh/máy" in text and "dưới 50 Mbps" in text
    assert "Quá nhiều học sinh trên một máy" in text
    assert "Chưa có phòng máy tính dùng được" in text
    assert "Băng thông Internet thấp" in text


def test_the_ward_imports_every_schools_answers_from_a_csv(app, as_persona):
    csv_text = (
        "mã trường,số phòng máy tính,phòng máy có internet ổn định,máy tính dùng được,số học sinh,băng thông (mbps)\n"
        f"{SCHOOL_A},2,2,60,900,100\n{SCHOOL_B},1,1,20,800,80\n"
    )
    admin = as_persona("ward_admin")
    response = admin.post("/ward/equipment/import", data={"file": (io.BytesIO(csv_text.encode()), "thiet-bi.csv")})
    assert response.status_code == 200, text_of(response)
    assert "Thêm mới: 2 trường" in text_of(response)
    assert sorted(s.working_machines for s in surveys(app)) == [20, 60]
    assert audit_count(app, "equipment.import") == 2


def test_an_import_with_one_bad_row_imports_nothing_and_says_which_line(app, as_persona):
    csv_text = (
        "mã trường,số phòng máy tính,phòng máy có internet ổn định,máy tính dùng được,số học sinh,băng thông (mbps)\n"
        f"{SCHOOL_A},2,2,60,900,100\nkhong-co,1,1,20,800,80\n{SCHOOL_B},1,1,=1+1,800,80\n"
    )
    response = as_persona("ward_admin").post(
        "/ward/equipment/import", data={"file": (io.BytesIO(csv_text.encode()), "thiet-bi.csv")}
    )
    assert response.status_code == 422
    assert "Dòng 3" in text_of(response) and "khong-co" in text_of(response)
    assert "Dòng 4" in text_of(response)
    assert surveys(app) == []


def test_the_sample_files_import_as_they_are(app, as_persona):
    admin = as_persona("ward_admin")
    with app.app_context():
        slugs = [s.slug for s in db.session.scalars(select(School).order_by(School.id)).all()[:2]]
    for raw, name in ((sample_csv(), "mau.csv"), (sample_xlsx(), "mau.xlsx")):
        if name.endswith(".csv"):
            raw = raw.decode("utf-8-sig").replace("th-vi-du", slugs[0]).replace("thcs-vi-du", slugs[1]).encode()
        else:
            book = load_workbook(io.BytesIO(raw))
            for row in book.active.iter_rows(min_row=2):
                row[0].value = slugs[0] if row[0].value == "th-vi-du" else slugs[1]
            out = io.BytesIO()
            book.save(out)
            raw = out.getvalue()
        response = admin.post("/ward/equipment/import", data={"file": (io.BytesIO(raw), name)})
        assert response.status_code == 200, text_of(response)
    assert len(surveys(app)) == 2


def test_the_rollup_shows_the_section_and_exports_a_key_and_a_sheet(app, as_persona):
    as_persona("staff_a").post(PAGE_A, data=GOOD)
    admin = as_persona("ward_admin")
    assert "Thiết bị, hạ tầng" in text_of(admin.get("/rollup"))

    document = json.loads(admin.get("/rollup.json").get_data(as_text=True))
    assert document["equipment"]["surveyed"] == 1
    [row] = [s for s in document["equipment"]["schools"] if s["slug"] == SCHOOL_A]
    assert row["pupils_per_machine"] == 30.0 and "crowded" in row["gaps"]
    assert "targets" in document and "schools" in document  # the existing keys stay

    book = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").data))
    assert "Thiết bị" in book.sheetnames and "Phụ lục II" in book.sheetnames
    values = [cell for row in book["Thiết bị"].iter_rows(values_only=True) for cell in row]
    assert 1200 in values


def test_school_staff_export_holds_only_their_own_schools_survey(app, as_persona):
    as_persona("staff_b").post(f"/schools/{SCHOOL_B}/equipment", data=GOOD)
    document = json.loads(as_persona("staff_a").get("/rollup.json").get_data(as_text=True))
    assert [s["slug"] for s in document["equipment"]["schools"]] == [SCHOOL_A]
    assert document["equipment"]["surveyed"] == 0


def test_a_new_year_starts_fresh_with_last_years_answers_offered(app, as_persona):
    as_persona("staff_a").post(PAGE_A, data=GOOD)
    admin = as_persona("ward_admin")
    assert admin.post("/years", data=NEW_CALENDAR).status_code == 302
    assert admin.post("/years/2026-2027/open").status_code in (302, 303)

    page = as_persona("staff_a").get(PAGE_A)

    text = text_of(page)
    assert "Năm học 2026-2027" in text
    assert "Nhà trường chưa gửi số liệu" in text
    assert "điền sẵn số liệu của năm học 2025-2026" in text
    assert 'value="1200"' in page.get_data(as_text=True)
    # Saved as this year's, beside last year's: the ward sees the change year over year.
    as_persona("staff_a").post(PAGE_A, data=GOOD | {"working_machines": "60"})
    assert len(surveys(app)) == 2
    ward = text_of(admin.get("/ward/equipment"))
    assert "Số máy so với 2025-2026" in ward and "+20" in ward
