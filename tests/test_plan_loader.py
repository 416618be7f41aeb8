"""Loading the plan file: what the bundled Long Biên plan puts in the database, how a broken
file is refused (every problem named, nothing loaded), and what a reload keeps."""

import unicodedata
from datetime import date

import pytest
from helpers import SCHOOL_A
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.figures.plan_warnings import plan_warnings
from aiplan.models import (
    AuditEvent,
    ChecklistItem,
    ItemStatus,
    Milestone,
    Owner,
    Plan,
    RequiredOf,
    School,
    Target,
    Timing,
)
from aiplan.plans.services import BUNDLED_PLAN, load_plan
from aiplan.plans.spec import PlanFileError, parse_plan, read_plan_file

PLAN_TEXT = BUNDLED_PLAN.read_text(encoding="utf-8")
SOURCE = "ten-tep.toml"

# Phụ lục I.1 of the seed text, row by row: (title, thời gian thực hiện, thực hiện), as printed.
MILESTONES = [
    ("Ban hành Kế hoạch triển khai giáo dục AI trên địa bàn phường", "Đầu HK II năm học 2025-2026", "UBND"),
    ("Tổ chức hội nghị/hội thảo hướng dẫn triển khai giáo dục AI", "Đầu HK II năm học 2025-2026", "UBND"),
    ("Xây dựng kế hoạch triển khai giáo dục AI tại địa phương, nhà trường", "Đầu HK II năm học 2025-2026", "cơ sở GD"),
    ("Tổ chức lồng ghép giáo dục AI trong môn học, hoạt động GDPT", "Trong HK II năm học 2025-2026", "Cơ sở GD"),
    (
        "Tổ chức chuyên đề học tập lựa chọn, dạy học tăng cường, CLB, trải nghiệm AI",
        "Trong HK II năm học 2025-2026",
        "Cơ sở GD",
    ),
    (
        "Theo dõi, kiểm tra, giám sát việc triển khai tại cơ sở giáo dục",
        "Giữa HK II năm học 2025-2026",
        "UBND phường; Phòng VHXH",
    ),
    ("Đánh giá kết quả triển khai giáo dục AI tại nhà trường", "Cuối HK II năm học 2025-2026", "Cơ sở GD"),
    (
        "Tổng hợp, báo cáo kết quả triển khai cấp cơ sở, cấp phường (trước ngày 15/6/2026)",
        "Cuối năm học",
        "UBND phường; Cơ sở GD",
    ),
    ("Sơ kết, tổng kết, đánh giá kết quả triển khai cấp phường", "Sau khi kết thúc năm học", "UBND phường"),
]

# Phụ lục II, keeping the printed row numbers.
TARGETS = {
    1: dict(
        category="Trường tiểu học (được lựa chọn thí điểm)",
        managing_body="UBND phường",
        minimum="Trường Tiểu học Đoàn Kết; mỗi trường tổ chức ít nhất 01 lớp",
        forms_text="Lồng ghép; chuyên đề học tập lựa chọn; hoạt động trải nghiệm",
        evidence_text="Kế hoạch nhà trường; hồ sơ lớp học; sản phẩm trải nghiệm",
        evidence=["Kế hoạch nhà trường", "hồ sơ lớp học", "sản phẩm trải nghiệm"],
    ),
    4: dict(
        category="Trường trung học cơ sở (được lựa chọn thí điểm)",
        managing_body="UBND phường",
        minimum="Trường THCS Thạch Bàn; mỗi trường tổ chức ít nhất 01 lớp",
        forms_text="Lồng ghép; chuyên đề học tập lựa chọn; dự án học tập",
        evidence_text="Kế hoạch nhà trường; hồ sơ lớp học; sản phẩm học sinh",
        evidence=["Kế hoạch nhà trường", "hồ sơ lớp học", "sản phẩm học sinh"],
    ),
    5: dict(
        category="Trường tiểu học, THCS, (khác)",
        managing_body="UBND phường",
        minimum="100% cơ sở giáo dục thực hiện lồng ghép giáo dục AI trong các môn học, hoạt động giáo dục phù hợp",
        forms_text="Lồng ghép trong Chương trình GDPT và KH triển khai Khung NLS",
        evidence_text="Kế hoạch giáo dục nhà trường; kế hoạch môn học",
        evidence=["Kế hoạch giáo dục nhà trường", "kế hoạch môn học"],
    ),
}


def edited(*replacements: tuple[str, str]) -> bytes:
    """The bundled plan file with each (old, new) applied once; fails if `old` is not there."""
    text = PLAN_TEXT
    for old, new in replacements:
        assert old in text, f"the bundled plan no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


def without_milestone(number: int) -> bytes:
    head, *blocks = PLAN_TEXT.split("[[milestone]]\n")
    kept = [block for block in blocks if not block.startswith(f"number = {number}\n")]
    assert len(kept) == len(blocks) - 1
    return "[[milestone]]\n".join([head, *kept]).encode("utf-8")


def problems_of(raw: bytes) -> list[str]:
    with pytest.raises(PlanFileError) as caught:
        parse_plan(raw, SOURCE)
    assert caught.value.source == SOURCE
    assert str(caught.value).startswith(SOURCE)
    return caught.value.problems


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def the_plan() -> Plan:
    return db.session.scalar(select(Plan))


def item_of(slug: str | None, key: str) -> ChecklistItem:
    owner = ChecklistItem.school_id.is_(None) if slug is None else ChecklistItem.school.has(slug=slug)
    return db.session.scalar(select(ChecklistItem).where(owner, ChecklistItem.key == key))


def record_progress(slug: str, key: str, note: str = "Đã có kế hoạch, chờ duyệt") -> int:
    item = item_of(slug, key)
    item.status = ItemStatus.DONE
    item.note = note
    db.session.commit()
    return item.id


# -- the bundled plan ---------------------------------------------------------------------------


def test_the_bundled_plan_has_the_nine_milestones_of_phu_luc_i_as_printed(app):
    with app.app_context():
        milestones = the_plan().milestones
        assert [m.number for m in milestones] == list(range(1, 10))
        assert [(m.title, m.timing_text, m.owner_text) for m in milestones] == MILESTONES
        sixth = milestones[5]
        assert sixth.title == "Theo dõi, kiểm tra, giám sát việc triển khai tại cơ sở giáo dục"
        assert sixth.owner_text == "UBND phường; Phòng VHXH"
        assert sixth.timing is Timing.GIUA_HK2
        assert sixth.owners == [Owner.UBND_PHUONG, Owner.PHONG_VHXH]


def test_milestone_5_is_required_of_every_school_and_the_file_states_the_rule_per_category(app):
    # Section V.2 asks every primary and lower-secondary school for experiential activities and
    # clubs; only the elective class (2.2) is the pilots' alone (Phụ lục II, STT 1 and 4).
    with app.app_context():
        plan = the_plan()
        assert {m.number for m in plan.milestones if m.required_of is RequiredOf.PILOT} == set()
        fifth = plan.milestones[4]
        assert fifth.required_of is RequiredOf.ALL
        assert "ít nhất 01 lớp theo chuyên đề học tập lựa chọn" in fifth.pilot_rule
        assert "mục V.2" in fifth.others_rule and "khuyến khích" in fifth.others_rule
        assert all(not m.pilot_rule and not m.others_rule for m in plan.milestones if m.number != 5)


def test_the_bundled_plan_has_the_three_target_rows_of_phu_luc_ii_as_printed(app):
    with app.app_context():
        targets = the_plan().targets
        assert [t.stt for t in targets] == [1, 4, 5]
        for target in targets:
            expected = TARGETS[target.stt]
            assert target.category == expected["category"]
            assert target.managing_body == expected["managing_body"]
            assert target.minimum == expected["minimum"]
            assert target.forms_text == expected["forms_text"]
            assert target.evidence_text == expected["evidence_text"]
            assert [e.title for e in target.evidence] == expected["evidence"]
        assert [(t.pilot, t.measure_min) for t in targets] == [(True, 1), (True, 1), (False, 100)]


def test_the_bundled_plan_has_its_contents_criteria_deadlines_and_roadmap(app):
    with app.app_context():
        plan = the_plan()
        assert [a.title for a in plan.content_areas] == [
            "Nhận thức về AI và vai trò của AI trong học tập, đời sống",
            "Đạo đức, an toàn và trách nhiệm trong sử dụng AI",
            "Kỹ thuật và ứng dụng AI",
            "Thiết kế hệ thống AI (ở mức độ phù hợp với từng cấp học)",
        ]
        assert [c.title for c in plan.criteria] == [
            "Mức độ hoàn thành chỉ tiêu được giao",
            "Chất lượng tổ chức các chuyên đề, hoạt động giáo dục AI",
            "Hiệu quả tác động đến năng lực, kỹ năng và nhận thức của học sinh",
        ]
        assert [d.key for d in plan.deadlines] == [
            "bao-cao-co-so",
            "bao-cao-phong-vhxh",
            "bao-cao-so",
            "bao-cao-hang-nam",
        ]
        assert len(plan.roadmap) == 4
        assert plan.roadmap[-1].text == "Thực hiện báo cáo định kỳ hằng năm về UBND phường trước ngày 09/6."
        assert plan.school_year.name == "2025-2026"
        assert plan.signer == "Phạm Thị Bích Hằng"


def test_the_bundled_plan_reads_as_one_reporting_chain_ending_at_the_so(app):
    # Mốc 8 ("trước ngày 15/6/2026") ends the chain: schools → UBND phường through the Phòng VHXH
    # (date left to the ward), Phòng VHXH → UBND phường before 12/6, UBND phường → Sở before 15/6.
    with app.app_context():
        plan = the_plan()
        links = [
            (d.sender, d.owner_text, d.receiver, d.before, d.yearly_before, d.ward_sets, d.feeds)
            for d in plan.deadlines
        ]
        assert links == [
            (
                Owner.CO_SO_GD,
                "Cơ sở GD",
                "UBND phường (qua Phòng VHXH)",
                date(2026, 6, 9),
                None,
                True,
                "bao-cao-phong-vhxh",
            ),
            (Owner.PHONG_VHXH, "Phòng VHXH", "UBND phường", date(2026, 6, 12), None, False, "bao-cao-so"),
            (Owner.UBND_PHUONG, "UBND phường", "Sở GD&ĐT", date(2026, 6, 15), None, False, None),
            (None, "", "UBND phường", None, "09/06", False, None),
        ]
        schools, vhxh, so, _yearly = plan.deadlines
        assert "qua phòng Văn hóa - Xã hội" in schools.basis and "phường đặt hạn" in schools.basis
        assert "trước ngày 12/6/2026" in vhxh.basis and vhxh.basis.startswith("Phụ lục I.2")
        assert "mốc 8" in so.basis and "Sở Giáo dục và Đào tạo" in so.basis
        assert all(d.document for d in plan.deadlines)
        eighth = plan.milestones[7]
        assert (eighth.school_deadline_key, eighth.ward_deadline_key) == ("bao-cao-co-so", "bao-cao-phong-vhxh")
        # No contradiction left to warn about: 15/6 and 12/6 are two links of one chain.
        assert plan_warnings(plan) == []


def test_the_yearly_rule_names_no_subject_because_the_plan_names_none(app):
    with app.app_context():
        yearly = the_plan().deadline("bao-cao-hang-nam")
        assert yearly.yearly_before == "09/06"
        assert yearly.sender is None and yearly.owner_text == ""
        assert "không ghi đơn vị thực hiện" in yearly.basis
        assert "Cơ sở GD" not in yearly.basis


def test_it_warns_when_a_report_is_due_after_the_report_that_consolidates_it(app):
    # A real contradiction: the schools' report due after the Phòng VHXH's synthesis of it.
    raw = edited(("before = 2026-06-09", "before = 2026-06-14"))
    with app.app_context():
        report = load_plan(parse_plan(raw, SOURCE))
    assert len(report.warnings) == 1
    assert "trước 14/06/2026" in report.warnings[0] and "trước 12/06/2026" in report.warnings[0]
    assert "muộn hơn" in report.warnings[0]


def test_the_notes_of_phu_luc_i_and_both_bullets_of_phu_luc_ii_are_loaded(app):
    with app.app_context():
        plan = the_plan()
        assert plan.schedule_note == (
            "Phụ lục này là căn cứ để các cấp quản lý tổ chức theo dõi, kiểm tra, đánh giá và báo cáo việc "
            "triển khai giáo dục AI."
        )
        assert len(plan.targets_notes) == 2
        assert plan.targets_notes[0].startswith("Các chỉ tiêu nêu trên là chỉ tiêu tối thiểu bắt buộc")
        assert plan.targets_notes[1].startswith("Kết quả thực hiện các chỉ tiêu là căn cứ để kiểm tra, đánh giá")


def test_the_delivery_forms_keep_every_bullet_of_section_ii_2_3(app):
    with app.app_context():
        form = next(f for f in the_plan().delivery_forms if f.code == "2.3")
    lines = form.description.splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("Tổ chức các hoạt động dưới hình thức Câu lạc bộ phát triển năng lực AI")
    assert lines[3].startswith("Đa dạng hóa hình thức tổ chức hoạt động giáo dục AI")


def test_it_warns_about_a_deadline_outside_the_school_year(app):
    with app.app_context():
        report = load_plan(parse_plan(edited(("before = 2026-06-12", "before = 2026-09-12")), SOURCE))
    assert any("nằm ngoài năm học 2025-2026" in w and "12/09/2026" in w for w in report.warnings)


# -- broken files -------------------------------------------------------------------------------

BROKEN = {
    "missing field": (
        [('owner_text = "cơ sở GD"\n', "")],
        "[[milestone]] thứ 3 (number = 3): thiếu trường 'owner_text'",
    ),
    "unknown owner": (
        [('owners = ["co_so_gd"]\nowner_text = "cơ sở GD"', 'owners = ["truong_hoc"]\nowner_text = "cơ sở GD"')],
        "[[milestone]] thứ 3 (number = 3): trường 'owners': 'truong_hoc' không hợp lệ; "
        "dùng một trong: ubnd_phuong, phong_vhxh, co_so_gd",
    ),
    "bad timing": (
        [('timing = "giua_hk2"', 'timing = "giua_ky_2"')],
        "[[milestone]] thứ 6 (number = 6): trường 'timing': 'giua_ky_2' không hợp lệ",
    ),
    "duplicate STT": ([("stt = 4", "stt = 1")], "[[target]]: STT '1' bị trùng"),
    "duplicate milestone number": ([("number = 7", "number = 6")], "[[milestone]]: số thứ tự (number) '6' bị trùng"),
    "string where a number belongs": (
        [("measure_min = 100", 'measure_min = "100"')],
        "[[target]] thứ 3 (stt = 5): trường 'measure_min' phải là số nguyên, không phải chuỗi",
    ),
    "quoted STT": ([("stt = 5", 'stt = "5"')], "[[target]] thứ 3: trường 'stt' phải là số nguyên, không phải chuỗi"),
    "date with a time": (
        [("before = 2026-06-09", "before = 2026-06-09T17:00:00")],
        "[[deadline]] thứ 1: trường 'before' phải là ngày dạng 2026-06-15 (không có giờ, không có ngoặc kép)",
    ),
    "pilot not true or false": (
        [("pilot = true", 'pilot = "có"')],
        "[[target]] thứ 1 (stt = 1): trường 'pilot' phải là true hoặc false, không phải chuỗi",
    ),
    "misspelt field": (
        [('owner_text = "UBND phường; Phòng VHXH"', 'onwer_text = "UBND phường; Phòng VHXH"')],
        "[[milestone]] thứ 6: trường 'onwer_text' không có trong định dạng kế hoạch (gõ sai tên?)",
    ),
    "chain link feeding no link": (
        [('feeds = "bao-cao-so"', 'feeds = "bao-cao-bo"')],
        "[[deadline]] thứ 2 (key = 'bao-cao-phong-vhxh'): trường 'feeds': "
        "không có [[deadline]] nào khác có key = 'bao-cao-bo'",
    ),
    "sender not an owner": (
        [('sender = "phong_vhxh"', 'sender = "so_gd"')],
        "[[deadline]] thứ 2: trường 'sender': 'so_gd' không hợp lệ",
    ),
    "sender named but owner_text empty": (
        [('sender = ""\nowner_text = ""', 'sender = "co_so_gd"\nowner_text = ""')],
        "[[deadline]] thứ 4: trường 'owner_text' không được để trống",
    ),
    "ward_sets not true or false": (
        [("ward_sets = true", 'ward_sets = "có"')],
        "[[deadline]] thứ 1: trường 'ward_sets' phải là true hoặc false, không phải chuỗi",
    ),
    "unknown deadline": (
        [('school_deadline = "bao-cao-co-so"', 'school_deadline = "bao-cao-truong"')],
        "[[milestone]] thứ 8 (number = 8): trường 'school_deadline': "
        "không có [[deadline]] nào có key = 'bao-cao-truong'",
    ),
    "calendar out of order": (
        [("hk2_start = 2026-01-19", "hk2_start = 2026-01-10")],
        "[calendar]: 'hk1_end' (17/01/2026) phải trước 'hk2_start' (10/01/2026)",
    ),
    "inspection window outside HK II": (
        [("midterm_end = 2026-04-04", "midterm_end = 2026-06-04")],
        "[calendar]: khoảng giữa HK II (midterm_start…midterm_end) phải nằm trong HK II",
    ),
}


@pytest.mark.parametrize("replacements, problem", BROKEN.values(), ids=BROKEN.keys())
def test_it_refuses_a_broken_plan_naming_the_entry_and_the_field(replacements, problem):
    problems = problems_of(edited(*replacements))
    assert any(p.startswith(problem) for p in problems), problems


def test_it_reports_a_misspelt_field_also_as_the_field_it_lacks():
    problems = problems_of(edited(('owner_text = "UBND phường; Phòng VHXH"', 'onwer_text = "UBND phường; Phòng VHXH"')))
    assert "[[milestone]] thứ 6 (number = 6): thiếu trường 'owner_text'" in problems


def test_a_date_with_a_time_is_reported_once():
    assert problems_of(edited(("before = 2026-06-09", "before = 2026-06-09T17:00:00"))) == [
        "[[deadline]] thứ 1: trường 'before' phải là ngày dạng 2026-06-15 (không có giờ, không có ngoặc kép)"
    ]


def test_it_refuses_invalid_toml_naming_the_file_and_the_line():
    # Line 60 of the bundled file holds the content area "Kỹ thuật và ứng dụng AI".
    assert PLAN_TEXT.splitlines()[59] == 'title = "Kỹ thuật và ứng dụng AI"'
    problems = problems_of(edited(('title = "Kỹ thuật và ứng dụng AI"', 'title = "Kỹ thuật và ứng dụng AI')))
    assert len(problems) == 1
    assert problems[0].startswith("sai cú pháp TOML")
    assert "line 60" in problems[0]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: unicodedata.normalize("NFD", text).encode("cp1258", errors="replace"),
        lambda text: text.encode("utf-16"),
    ],
    ids=["windows-1258", "utf-16"],
)
def test_it_refuses_a_file_that_is_not_utf8(encode):
    assert problems_of(encode(PLAN_TEXT)) == ["tệp không phải văn bản UTF-8"]


def test_it_reports_every_problem_of_a_file_at_once():
    problems = problems_of(
        edited(
            ('owner_text = "cơ sở GD"\n', ""),
            ("stt = 4", "stt = 1"),
            ("hk2_start = 2026-01-19", "hk2_start = 2026-01-10"),
            ('timing = "giua_hk2"', 'timing = "giua_ky_2"'),
        )
    )
    for expected in (
        "[[milestone]] thứ 3 (number = 3): thiếu trường 'owner_text'",
        "[[target]]: STT '1' bị trùng",
        "[calendar]: 'hk1_end' (17/01/2026) phải trước 'hk2_start' (10/01/2026)",
        "[[milestone]] thứ 6 (number = 6): trường 'timing': 'giua_ky_2' không hợp lệ",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_a_broken_file_loads_nothing(app, runner, tmp_path):
    path = tmp_path / "ke-hoach-loi.toml"
    # A title change that would be loaded, and one mistake that must stop the whole file.
    path.write_bytes(
        edited(
            ('title = "Sơ kết, tổng kết, đánh giá kết quả triển khai cấp phường"', 'title = "Sơ kết năm học"'),
            ("stt = 4", "stt = 1"),
        )
    )
    with app.app_context():
        before = row_counts()

    result = runner.invoke(args=["load-plan", str(path)])

    assert result.exit_code == 1
    assert "ke-hoach-loi.toml" in result.output
    assert "[[target]]: STT '1' bị trùng" in result.output
    with app.app_context():
        assert row_counts() == before
        assert the_plan().milestones[8].title == MILESTONES[8][0]


def test_read_plan_file_names_a_file_that_cannot_be_read(tmp_path):
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(tmp_path / "khong-co.toml")
    assert caught.value.source == "khong-co.toml"
    assert caught.value.problems[0].startswith("không đọc được tệp")


# -- reloading ----------------------------------------------------------------------------------


def test_reloading_the_same_file_changes_nothing_and_keeps_progress(app):
    with app.app_context():
        item_id = record_progress(SCHOOL_A, "m4", "Lồng ghép trong môn Tin học khối 4, 5")
        before = row_counts()
        ids = sorted(db.session.scalars(select(ChecklistItem.id)))

        report = load_plan(read_plan_file(BUNDLED_PLAN))

        assert report.unchanged
        assert (report.created, report.changed, report.removed, report.items_added) == ([], [], [], 0)
        assert row_counts() == before
        assert row_counts()["audit_event"] == before["audit_event"]
        assert sorted(db.session.scalars(select(ChecklistItem.id))) == ids
        item = db.session.get(ChecklistItem, item_id)
        assert (item.status, item.note) == (ItemStatus.DONE, "Lồng ghép trong môn Tin học khối 4, 5")


def test_a_changed_milestone_title_is_updated_and_progress_is_kept(app):
    new_title = "Tổ chức lồng ghép giáo dục AI trong các môn học, hoạt động giáo dục"
    with app.app_context():
        item_id = record_progress(SCHOOL_A, "m4")
        milestone_id = item_of(SCHOOL_A, "m4").milestone_id
        items, events = row_counts()["checklist_item"], row_counts()["audit_event"]

        report = load_plan(
            parse_plan(
                edited(
                    ('title = "Tổ chức lồng ghép giáo dục AI trong môn học, hoạt động GDPT"', f'title = "{new_title}"')
                ),
                "long-bien-2025-2026.toml",
            )
        )

        assert report.changed == ["mốc 4"]
        assert (report.created, report.removed) == ([], [])
        db.session.expire_all()
        milestone = db.session.scalar(select(Milestone).filter_by(number=4))
        assert (milestone.id, milestone.title) == (milestone_id, new_title)
        item = item_of(SCHOOL_A, "m4")
        assert (item.id, item.status, item.note) == (item_id, ItemStatus.DONE, "Đã có kế hoạch, chờ duyệt")
        assert item.title == new_title
        assert row_counts()["checklist_item"] == items
        # The reload itself is on record.
        assert row_counts()["audit_event"] == events + 1
        assert db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc())).action == "plan.load"


def test_it_refuses_to_drop_a_milestone_a_school_has_worked_on(app):
    with app.app_context():
        item_id = record_progress(SCHOOL_A, "m5")
        before = row_counts()

        with pytest.raises(PlanFileError) as caught:
            load_plan(parse_plan(without_milestone(5), SOURCE))

        assert any("mốc 5 không còn trong tệp nhưng đã có trường ghi nhận tiến độ" in p for p in caught.value.problems)
        db.session.expire_all()
        assert row_counts() == before
        assert db.session.scalar(select(Milestone).filter_by(number=5)) is not None
        assert db.session.get(ChecklistItem, item_id).status is ItemStatus.DONE


def test_the_cli_explains_why_a_worked_on_milestone_cannot_be_dropped(app, runner, tmp_path):
    with app.app_context():
        record_progress(SCHOOL_A, "m5")
        before = row_counts()
    path = tmp_path / "ke-hoach-bo-moc-5.toml"
    path.write_bytes(without_milestone(5))

    result = runner.invoke(args=["load-plan", str(path)])

    assert result.exit_code == 1
    assert "mốc 5 không còn trong tệp" in result.output
    with app.app_context():
        assert row_counts() == before


def test_a_milestone_nobody_worked_on_is_dropped_with_its_items(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(ChecklistItem.key == "m5")) == 8
        others = row_counts()["checklist_item"] - 8

        report = load_plan(parse_plan(without_milestone(5), SOURCE))

        assert report.removed == ["mốc 5"]
        assert [m.number for m in the_plan().milestones] == [1, 2, 3, 4, 6, 7, 8, 9]
        assert db.session.scalar(select(func.count()).where(ChecklistItem.key == "m5")) == 0
        assert row_counts()["checklist_item"] == others


def test_a_target_evidence_added_to_the_file_reaches_the_schools_it_applies_to(app):
    with app.app_context():
        load_plan(
            parse_plan(
                edited(
                    (
                        '{ key = "ke-hoach-mon-hoc", title = "kế hoạch môn học", timing = "dau_hk2" },',
                        '{ key = "ke-hoach-mon-hoc", title = "kế hoạch môn học", timing = "dau_hk2" },\n'
                        '    { key = "bien-ban", title = "biên bản sinh hoạt chuyên môn", timing = "cuoi_hk2" },',
                    )
                ),
                SOURCE,
            )
        )
        schools = db.session.scalars(
            select(School.slug)
            .join(ChecklistItem, ChecklistItem.school_id == School.id)
            .where(ChecklistItem.key == "t5/bien-ban")
        ).all()
        # Every school under STT 5: the six that are not pilots.
        assert len(schools) == 6
        assert SCHOOL_A not in schools
        evidence = db.session.scalar(select(Target).filter_by(stt=5)).evidence
        assert evidence[-1].title == "biên bản sinh hoạt chuyên môn"


def without_target(stt: int) -> bytes:
    head, *blocks = PLAN_TEXT.split("[[target]]\n")
    kept = [block for block in blocks if not block.startswith(f"stt = {stt}\n")]
    assert len(kept) == len(blocks) - 1
    return "[[target]]\n".join([head, *kept]).encode("utf-8")


def test_a_target_row_nobody_worked_on_is_dropped_with_its_evidence_and_items(app):
    with app.app_context():
        report = load_plan(parse_plan(without_target(4), SOURCE))

        assert report.removed == ["chỉ tiêu STT 4"]
        assert [t.stt for t in the_plan().targets] == [1, 5]
        assert [
            item.key
            for item in db.session.scalars(
                select(ChecklistItem)
                .where(ChecklistItem.school.has(slug="thcs-thach-ban"))
                .order_by(ChecklistItem.position)
            )
        ] == ["m3", "m4", "m5", "m7", "m8"]


def test_it_refuses_to_drop_evidence_a_school_has_worked_on(app):
    with app.app_context():
        record_progress(SCHOOL_A, "t1/san-pham-trai-nghiem", "Ảnh sản phẩm của lớp 5A")
        before = row_counts()

        with pytest.raises(PlanFileError) as caught:
            load_plan(
                parse_plan(
                    edited(
                        (
                            '    { key = "san-pham-trai-nghiem", title = "sản phẩm trải nghiệm", timing = "cuoi_hk2" },\n',  # noqa: E501
                            "",
                        )
                    ),
                    SOURCE,
                )
            )

        assert any("san-pham-trai-nghiem không còn trong tệp" in p for p in caught.value.problems)
        db.session.expire_all()
        assert row_counts() == before
        assert item_of(SCHOOL_A, "t1/san-pham-trai-nghiem").note == "Ảnh sản phẩm của lớp 5A"


def _record_pilot_class(slug: str = SCHOOL_A):
    from aiplan.activities.services import create_activity
    from aiplan.models import School

    plan = the_plan()
    school = db.session.scalar(select(School).filter_by(slug=slug))
    form = next(f for f in plan.delivery_forms if f.code == "2.2")
    area = plan.content_areas[0]
    return create_activity(
        plan,
        school,
        {
            "form_id": form.id,
            "title": "Lớp chuyên đề AI 5A",
            "subject": "",
            "grade": "5",
            "class_name": "5A",
            "participants": 35,
            "lessons": 8,
            "content_area_ids": [area.id],
            "starts_on": date(2026, 2, 2),
            "ends_on": None,
            "products": "",
            "notes": "",
        },
    )


def test_it_refuses_to_drop_a_delivery_form_that_activities_use(app):
    with app.app_context():
        _record_pilot_class()
        raw = BUNDLED_PLAN.read_bytes().decode()
        start = raw.index('[[delivery_form]]\ncode = "2.2"')
        end = raw.index("[[delivery_form]]", start + 1)
        with pytest.raises(PlanFileError) as refused:
            load_plan(parse_plan((raw[:start] + raw[end:]).encode(), "bo-hinh-thuc.toml"))
        assert any("hình thức 2.2 không còn trong tệp nhưng đã có 1 hoạt động" in p for p in refused.value.problems)
        assert any(f.code == "2.2" for f in the_plan().delivery_forms)


def test_it_refuses_to_drop_a_content_area_that_activities_cover(app):
    with app.app_context():
        _record_pilot_class()
        raw = BUNDLED_PLAN.read_bytes().decode()
        start = raw.index('[[content_area]]\ncode = "a"')
        end = raw.index("[[content_area]]", start + 1)
        with pytest.raises(PlanFileError) as refused:
            load_plan(parse_plan((raw[:start] + raw[end:]).encode(), "bo-noi-dung.toml"))
        assert any("nội dung a không còn trong tệp" in p for p in refused.value.problems)
