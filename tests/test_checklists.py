"""Checklists generated from the plan: which items each kind of school owes, when they fall due,
how they follow changes to the calendar and to the schools, and how progress is counted."""

from datetime import date

import pytest
from helpers import SCHOOL_A, SCHOOL_B
from sqlalchemy import func, select

from aiplan.admin.schools import import_schools, parse_schools_csv
from aiplan.checklists.services import items_for_school, items_for_ward, sync_checklists
from aiplan.extensions import db
from aiplan.figures.items import progress_by_school
from aiplan.figures.school_page import checklist
from aiplan.models import ChecklistItem, ItemKind, ItemStatus, Plan, School, SchoolYear, Verdict, Ward

OTHER_SCHOOL = "th-long-bien"  # a primary school that is not a pilot
SCHOOL_MILESTONES = ["m3", "m4", "m5", "m7", "m8"]


def the_plan() -> Plan:
    return db.session.scalar(select(Plan))


def school(slug: str) -> School:
    return db.session.scalar(select(School).filter_by(slug=slug))


def items(slug: str | None) -> dict[str, ChecklistItem]:
    return {item.key: item for item in checklist(the_plan(), school(slug) if slug else None)}


def all_items_of(slug: str) -> dict[str, ChecklistItem]:
    """Including retired ones, which the checklist page no longer shows."""
    return {
        item.key: item for item in db.session.scalars(select(ChecklistItem).where(ChecklistItem.school.has(slug=slug)))
    }


def reimport(csv_text: str) -> None:
    ward = db.session.scalar(select(Ward))
    import_schools(ward, parse_schools_csv(csv_text.encode("utf-8")))


# -- what each category owes -----------------------------------------------------------------


def test_a_pilot_primary_school_owes_its_milestones_target_1_and_its_three_evidence(app):
    with app.app_context():
        owed = items(SCHOOL_A)
        assert list(owed) == SCHOOL_MILESTONES + [
            "t1",
            "t1/ke-hoach-nha-truong",
            "t1/ho-so-lop-hoc",
            "t1/san-pham-trai-nghiem",
        ]
        assert all(item.required for item in owed.values())
        assert owed["t1"].title == "Trường Tiểu học Đoàn Kết; mỗi trường tổ chức ít nhất 01 lớp"
        assert [owed[k].title for k in list(owed)[-3:]] == [
            "Kế hoạch nhà trường",
            "hồ sơ lớp học",
            "sản phẩm trải nghiệm",
        ]
        assert [owed[k].kind for k in list(owed)[-4:]] == [ItemKind.TARGET] + [ItemKind.EVIDENCE] * 3


def test_a_pilot_lower_secondary_school_owes_its_milestones_target_4_and_its_three_evidence(app):
    with app.app_context():
        owed = items(SCHOOL_B)
        assert list(owed) == SCHOOL_MILESTONES + [
            "t4",
            "t4/ke-hoach-nha-truong",
            "t4/ho-so-lop-hoc",
            "t4/san-pham-hoc-sinh",
        ]
        assert all(item.required for item in owed.values())
        assert owed["t4/san-pham-hoc-sinh"].title == "sản phẩm học sinh"


@pytest.mark.parametrize("slug", ["th-long-bien", "thcs-long-bien", "th-thach-ban-a"])
def test_a_school_outside_the_pilot_owes_target_5_and_milestone_5_like_every_school(app, slug):
    # Section V.2 asks every primary and lower-secondary school for clubs and experiential activities.
    with app.app_context():
        owed = items(slug)
        assert list(owed) == SCHOOL_MILESTONES + ["t5", "t5/ke-hoach-giao-duc-nha-truong", "t5/ke-hoach-mon-hoc"]
        assert all(item.required for item in owed.values())
        assert owed["m5"].title == "Tổ chức chuyên đề học tập lựa chọn, dạy học tăng cường, CLB, trải nghiệm AI"


def test_the_ward_owes_milestones_1_2_6_8_and_9(app):
    with app.app_context():
        owed = items(None)
        assert list(owed) == ["m1", "m2", "m6", "m8", "m9"]
        assert all(item.required and item.kind is ItemKind.MILESTONE for item in owed.values())
        assert [spec.key for spec in items_for_ward(the_plan())] == list(owed)


def test_what_is_stored_is_what_the_plan_asks_for(app):
    with app.app_context():
        plan = the_plan()
        for slug in ("th-doan-ket", "thcs-thach-ban", "th-long-bien", "thcs-cu-khoi"):
            wanted = {(s.key, s.required, s.due_on) for s in items_for_school(plan, school(slug))}
            stored = {(i.key, i.required, i.due_on) for i in items(slug).values()}
            assert stored == wanted, slug


# -- due dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "owner, key, due, planned",
    [
        # Đầu HK II: the first four weeks from 19/01/2026 end on Sunday 15/02, before Tết
        (SCHOOL_A, "m3", date(2026, 2, 13), date(2026, 2, 15)),
        (SCHOOL_A, "m4", date(2026, 5, 25), None),  # Trong HK II: until the end of HK II (a Monday)
        (SCHOOL_A, "m7", date(2026, 5, 25), None),  # Cuối HK II
        # the ward's default "trước ngày 09/6/2026": 9/6 itself is too late; 08/06 is a Monday
        (SCHOOL_A, "m8", date(2026, 6, 8), None),
        (SCHOOL_A, "t1/ke-hoach-nha-truong", date(2026, 2, 13), date(2026, 2, 15)),
        (SCHOOL_A, "t1/ho-so-lop-hoc", date(2026, 5, 25), None),
        (OTHER_SCHOOL, "m8", date(2026, 6, 8), None),
        (None, "m1", date(2026, 2, 13), date(2026, 2, 15)),
        (None, "m6", date(2026, 4, 3), date(2026, 4, 4)),  # Giữa HK II: the inspection window ends on a Saturday
        (None, "m8", date(2026, 6, 11), None),  # Phòng VHXH reports "trước ngày 12/6/2026"
        # after the school year, by the end of the summing-up: 31/08/2026 is a public holiday
        (None, "m9", date(2026, 8, 28), date(2026, 8, 31)),
    ],
)
def test_due_dates_come_from_the_calendar_and_the_plans_deadlines(app, owner, key, due, planned):
    with app.app_context():
        item = items(owner)[key]
        assert (item.due_on, item.planned_due_on) == (due, planned)


def test_changing_the_calendar_moves_the_due_dates(app):
    with app.app_context():
        year = db.session.scalar(select(SchoolYear))
        year.hk2_start = date(2026, 2, 2)  # HK II starts two weeks later
        year.midterm_end = date(2026, 4, 11)
        year.hk2_end = date(2026, 5, 29)
        sync_checklists(the_plan())
        db.session.commit()
        db.session.expire_all()

        assert items(SCHOOL_A)["m3"].due_on == date(2026, 2, 27)  # 01/03/2026 is a Sunday
        assert items(SCHOOL_A)["m4"].due_on == date(2026, 5, 29)
        assert items(None)["m6"].due_on == date(2026, 4, 10)  # 11/04/2026 is a Saturday
        # A dated deadline of the plan does not move with the calendar.
        assert items(SCHOOL_A)["m8"].due_on == date(2026, 6, 8)


def test_syncing_an_unchanged_plan_adds_and_changes_nothing(app):
    with app.app_context():
        before = {(i.id, i.key, i.due_on, i.required, i.version) for i in db.session.scalars(select(ChecklistItem))}
        assert sync_checklists(the_plan()) == 0
        db.session.commit()
        after = {(i.id, i.key, i.due_on, i.required, i.version) for i in db.session.scalars(select(ChecklistItem))}
        assert after == before


# -- schools joining, changing, leaving ------------------------------------------------------


def test_importing_a_new_school_creates_its_checklist(app):
    with app.app_context():
        reimport("slug,tên trường,cấp học,thí điểm\nthcs-moi,Trường THCS Mới,THCS,không\n")
        owed = items("thcs-moi")
        assert list(owed) == SCHOOL_MILESTONES + ["t5", "t5/ke-hoach-giao-duc-nha-truong", "t5/ke-hoach-mon-hoc"]


def test_a_school_imported_as_inactive_gets_no_checklist(app):
    with app.app_context():
        reimport("slug,tên trường,cấp học,hoạt động\nth-tam-dung,Trường Tiểu học Tạm dừng,tiểu học,không\n")
        assert school("th-tam-dung") is not None
        assert all_items_of("th-tam-dung") == {}


def test_a_new_pilot_school_gets_the_pilot_items_and_drops_the_untouched_others(app):
    with app.app_context():
        reimport(f"slug,tên trường,cấp học,thí điểm\n{OTHER_SCHOOL},Trường Tiểu học Long Biên,tiểu học,có\n")
        owed = items(OTHER_SCHOOL)
        assert list(owed) == SCHOOL_MILESTONES + [
            "t1",
            "t1/ke-hoach-nha-truong",
            "t1/ho-so-lop-hoc",
            "t1/san-pham-trai-nghiem",
        ]
        assert owed["m5"].required  # now required, as of every pilot school
        # Nothing was worked on, so nothing is kept behind.
        assert set(all_items_of(OTHER_SCHOOL)) == set(owed)


def test_a_new_pilot_school_keeps_the_work_it_recorded_on_items_it_no_longer_owes(app):
    with app.app_context():
        before = all_items_of(OTHER_SCHOOL)
        before["t5/ke-hoach-mon-hoc"].status = ItemStatus.DONE
        before["t5/ke-hoach-mon-hoc"].note = "Kế hoạch môn Tin học đã có nội dung AI"
        before["t5"].verdict = Verdict.NEEDS_MORE  # a supervisor's finding is work too
        before["m4"].status = ItemStatus.IN_PROGRESS
        db.session.commit()
        kept_ids = {key: before[key].id for key in ("t5", "t5/ke-hoach-mon-hoc", "m4")}

        reimport(f"slug,tên trường,cấp học,thí điểm\n{OTHER_SCHOOL},Trường Tiểu học Long Biên,tiểu học,có\n")
        db.session.expire_all()

        stored = all_items_of(OTHER_SCHOOL)
        assert "t5/ke-hoach-giao-duc-nha-truong" not in stored  # untouched: deleted
        assert stored["t5/ke-hoach-mon-hoc"].retired and stored["t5"].retired
        assert stored["t5/ke-hoach-mon-hoc"].id == kept_ids["t5/ke-hoach-mon-hoc"]
        assert stored["t5/ke-hoach-mon-hoc"].status is ItemStatus.DONE
        assert stored["t5/ke-hoach-mon-hoc"].note == "Kế hoạch môn Tin học đã có nội dung AI"
        assert stored["t5"].verdict is Verdict.NEEDS_MORE
        assert (stored["m4"].id, stored["m4"].status, stored["m4"].retired) == (
            kept_ids["m4"],
            ItemStatus.IN_PROGRESS,
            False,
        )
        assert "t5" not in items(OTHER_SCHOOL)  # the page shows only what is owed now

        # Back out of the pilot: the retired work comes back as it was.
        reimport(f"slug,tên trường,cấp học,thí điểm\n{OTHER_SCHOOL},Trường Tiểu học Long Biên,tiểu học,không\n")
        db.session.expire_all()

        owed = items(OTHER_SCHOOL)
        assert list(owed) == SCHOOL_MILESTONES + ["t5", "t5/ke-hoach-giao-duc-nha-truong", "t5/ke-hoach-mon-hoc"]
        assert owed["t5/ke-hoach-mon-hoc"].id == kept_ids["t5/ke-hoach-mon-hoc"]
        assert owed["t5/ke-hoach-mon-hoc"].status is ItemStatus.DONE
        assert owed["m5"].required
        assert "t1" not in all_items_of(OTHER_SCHOOL)


def test_no_item_with_progress_is_ever_deleted(app):
    with app.app_context():
        worked = db.session.scalars(select(ChecklistItem).where(ChecklistItem.school.has(slug=SCHOOL_A))).all()
        for item in worked:
            item.note = "đã làm"
        db.session.commit()
        ids = {item.id for item in worked}

        # Primary → lower secondary, pilot → not: every item of the old category stops applying.
        reimport(f"slug,tên trường,cấp học,thí điểm\n{SCHOOL_A},Trường Tiểu học Đoàn Kết,THCS,không\n")
        db.session.expire_all()

        stored = db.session.scalars(select(ChecklistItem).where(ChecklistItem.id.in_(ids))).all()
        assert {item.id for item in stored} == ids
        assert all(item.note == "đã làm" for item in stored)


# -- progress ---------------------------------------------------------------------------------


def mark_done(slug: str, *keys: str) -> None:
    owed = items(slug)
    for key in keys:
        owed[key].status = ItemStatus.DONE
    db.session.commit()


def test_progress_counts_required_items_done_and_items_late(app):
    with app.app_context():
        mark_done(SCHOOL_A, "m3", "m4", "t1/ke-hoach-nha-truong")
        mark_done(OTHER_SCHOOL, "m3", "m5")
        ids = [school(s).id for s in (SCHOOL_A, SCHOOL_B, OTHER_SCHOOL)]

        after_everything = progress_by_school(the_plan(), ids, today=date(2026, 7, 1))

        a, b, other = (after_everything[i] for i in ids)
        assert (a.required, a.done, a.late, a.percent) == (9, 3, 6, 33)
        assert (b.required, b.done, b.late, b.percent) == (9, 0, 9, 0)
        # m5 is required there too (section V.2).
        assert (other.required, other.done, other.late) == (8, 2, 6)


def test_an_item_is_late_only_after_its_due_date(app):
    with app.app_context():
        mark_done(SCHOOL_A, "m3")
        school_id = school(SCHOOL_A).id

        def late_on(day):
            return progress_by_school(the_plan(), [school_id], today=day)[school_id].late

        assert late_on(date(2026, 2, 1)) == 0
        assert late_on(date(2026, 2, 13)) == 0  # the due day itself is still on time
        assert late_on(date(2026, 2, 14)) == 1  # t1/ke-hoach-nha-truong; m3 is done
        assert late_on(date(2026, 5, 26)) == 7
        assert late_on(date(2026, 6, 15)) == 8


def test_progress_leaves_retired_items_out(app):
    with app.app_context():
        mark_done(OTHER_SCHOOL, "t5", "t5/ke-hoach-mon-hoc")
        reimport(f"slug,tên trường,cấp học,thí điểm\n{OTHER_SCHOOL},Trường Tiểu học Long Biên,tiểu học,có\n")
        school_id = school(OTHER_SCHOOL).id

        progress = progress_by_school(the_plan(), [school_id], today=date(2026, 1, 1))[school_id]

        assert (progress.required, progress.done) == (9, 0)


def test_progress_of_a_school_without_items_is_zero(app):
    with app.app_context():
        reimport("slug,tên trường,cấp học,hoạt động\nth-tam-dung,Trường Tiểu học Tạm dừng,tiểu học,không\n")
        school_id = school("th-tam-dung").id
        progress = progress_by_school(the_plan(), [school_id], today=date(2026, 7, 1))[school_id]
        assert (progress.required, progress.done, progress.late, progress.percent) == (0, 0, 0, 0)


def test_the_checklist_counts_every_school_of_the_ward(app):
    with app.app_context():
        per_school = dict(
            db.session.execute(
                select(School.slug, func.count(ChecklistItem.id))
                .join(ChecklistItem, ChecklistItem.school_id == School.id)
                .group_by(School.slug)
            ).all()
        )
        assert per_school == {"th-doan-ket": 9, "thcs-thach-ban": 9} | dict.fromkeys(
            ("th-thach-ban-a", "th-thach-ban-b", "th-long-bien", "thcs-long-bien", "th-cu-khoi", "thcs-cu-khoi"), 8
        )


def test_a_new_target_item_starts_from_the_activities_the_school_already_has(app):
    """A school that becomes a pilot gets the pilot target, already met by its recorded class."""
    from datetime import date

    from aiplan.activities.services import create_activity
    from aiplan.admin.schools import import_schools
    from aiplan.models import ItemStatus

    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug="th-long-bien"))
        form = next(f for f in plan.delivery_forms if f.code == "2.2")
        create_activity(
            plan,
            school,
            {
                "form_id": form.id,
                "title": "Lớp chuyên đề AI 4A",
                "subject": "",
                "grade": "4",
                "class_name": "4A",
                "participants": 30,
                "lessons": 6,
                "content_area_ids": [],
                "starts_on": date(2026, 2, 2),
                "ends_on": None,
                "products": "",
                "notes": "",
            },
        )
        import_schools(
            school.ward,
            [{"slug": "th-long-bien", "name": school.name, "level": school.level, "is_pilot": True, "is_active": True}],
        )
        item = db.session.scalar(
            select(ChecklistItem).where(ChecklistItem.school_id == school.id, ChecklistItem.key == "t1")
        )
        assert item.status is ItemStatus.DONE


def test_an_item_with_files_is_kept_as_retired_when_the_school_changes_category(app):
    """A file uploaded to an item nobody ticked is still work: the item is retired, never deleted."""
    from aiplan.admin.schools import import_schools
    from aiplan.models import EvidenceFile

    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug="th-doan-ket"))
        item = db.session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.school_id == school.id, ChecklistItem.key == "t1/ke-hoach-nha-truong"
            )
        )
        db.session.add(
            EvidenceFile(
                school_id=school.id,
                item_id=item.id,
                sha256="a" * 64,
                size=5,
                content_type="application/pdf",
                original_name="ke-hoach.pdf",
            )
        )
        db.session.commit()
        import_schools(
            school.ward,
            [{"slug": school.slug, "name": school.name, "level": school.level, "is_pilot": False, "is_active": True}],
        )
        kept = db.session.get(ChecklistItem, item.id)
        assert kept is not None and kept.retired
