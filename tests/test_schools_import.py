"""Importing the ward's schools from a CSV file: all rows or none, with every bad row named by
its line and column in Vietnamese."""

import pytest
from sqlalchemy import func, select

from aiplan.admin.schools import SchoolImportError, import_schools, parse_schools_csv
from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, School, SchoolLevel, Ward
from aiplan.plans.services import BUNDLED_SCHOOLS

HEADER = "slug,tên trường,cấp học,thí điểm,hoạt động\n"
GOOD_ROW = "th-moi,Trường Tiểu học Mới,tiểu học,không,có\n"


def problems_of(text: str | bytes) -> list[str]:
    with pytest.raises(SchoolImportError) as caught:
        parse_schools_csv(text.encode("utf-8") if isinstance(text, str) else text)
    return caught.value.problems


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def the_ward() -> Ward:
    return db.session.scalar(select(Ward))


def test_the_bundled_list_has_the_eight_schools_of_the_ward_with_the_two_pilots(app):
    rows = parse_schools_csv(BUNDLED_SCHOOLS.read_bytes())
    assert len(rows) == 8
    with app.app_context():
        schools = db.session.scalars(select(School).order_by(School.slug)).all()
        assert [s.slug for s in schools] == sorted(row["slug"] for row in rows)
        assert {s.slug for s in schools if s.is_pilot} == {"th-doan-ket", "thcs-thach-ban"}
        assert all(s.is_active and s.ward.slug == "long-bien" for s in schools)
        by_slug = {s.slug: s for s in schools}
        assert by_slug["th-doan-ket"].name == "Trường Tiểu học Đoàn Kết"
        assert by_slug["th-doan-ket"].level is SchoolLevel.TIEU_HOC
        assert by_slug["thcs-thach-ban"].level is SchoolLevel.THCS
        assert sum(s.level is SchoolLevel.TIEU_HOC for s in schools) == 5


@pytest.mark.parametrize(
    "bad_row, problem",
    [
        (
            "th-a,Trường A,mầm non,không,có",
            "Dòng 3, cột cấp học: 'mầm non' không hợp lệ; dùng tiểu học, THCS hoặc liên cấp",
        ),
        (
            "Trường A,Trường A,tiểu học,không,có",
            "Dòng 3, cột slug: 'trường a' chỉ được gồm chữ thường không dấu, số và dấu '-'",
        ),
        ("th-moi,Trường Tiểu học Mới (trùng),tiểu học,không,có", "Dòng 3, cột slug: 'th-moi' trùng với dòng 2"),
        ("th-a,,tiểu học,không,có", "Dòng 3, cột tên trường: không được để trống"),
        ("th-a,Trường A,tiểu học,có lẽ,có", "Dòng 3, cột thí điểm: 'có lẽ' phải là “có” hoặc “không”"),
        ("th-a,Trường A,tiểu học,không,đã sáp nhập", "Dòng 3, cột hoạt động: 'đã sáp nhập' phải là “có” hoặc “không”"),
    ],
    ids=["level", "slug", "duplicate-slug", "empty-name", "pilot-yes-no", "active-yes-no"],
)
def test_it_names_the_line_and_column_of_a_bad_row(bad_row, problem):
    assert problems_of(HEADER + GOOD_ROW + bad_row + "\n") == [problem]


def test_it_reports_every_bad_row_and_cell_at_once():
    problems = problems_of(HEADER + "TH A,,mầm non,không,có\n" + GOOD_ROW + "th-b,Trường B,THCS,?,có\n")
    assert problems == [
        "Dòng 2, cột slug: 'th a' chỉ được gồm chữ thường không dấu, số và dấu '-'",
        "Dòng 2, cột tên trường: không được để trống",
        "Dòng 2, cột cấp học: 'mầm non' không hợp lệ; dùng tiểu học, THCS hoặc liên cấp",
        "Dòng 4, cột thí điểm: '?' phải là “có” hoặc “không”",
    ]


def test_it_names_a_missing_column():
    assert problems_of("slug,tên trường,thí điểm\nth-a,Trường A,không\n") == ["Thiếu cột: cấp học"]


@pytest.mark.parametrize(
    "raw",
    [
        (HEADER + "th-a,Trường Tiểu học Ánh Dương,tiểu học,không,có\n").encode("cp1258", errors="replace"),
        (HEADER + GOOD_ROW).encode("utf-16"),
    ],
    ids=["windows-1258", "utf-16"],
)
def test_it_refuses_a_file_that_is_not_utf8_and_says_how_to_save_one(raw):
    assert problems_of(raw) == ["Tệp không phải UTF-8. Trong Excel, hãy lưu dạng “CSV UTF-8”."]


def test_it_refuses_a_file_with_a_header_and_no_schools():
    assert problems_of(HEADER + "\n,,,,\n") == ["Tệp không có dòng dữ liệu nào"]


def test_it_accepts_utf8_with_a_bom_and_english_headers():
    rows = parse_schools_csv(
        (
            "\ufeffSlug,Name,Level,Pilot,Active\n"
            "TH-Moi,Trường Tiểu học Mới,tieu_hoc,yes,no\n"
            "thcs-moi, Trường THCS Mới ,THCS,,\n"
        ).encode("utf-8")
    )
    assert rows == [
        {
            "slug": "th-moi",
            "name": "Trường Tiểu học Mới",
            "level": SchoolLevel.TIEU_HOC,
            "is_pilot": True,
            "is_active": False,
        },
        {
            "slug": "thcs-moi",
            "name": "Trường THCS Mới",
            "level": SchoolLevel.THCS,
            "is_pilot": False,
            "is_active": True,
        },
    ]


def test_a_file_with_one_bad_row_imports_nothing(app, runner, tmp_path):
    path = tmp_path / "truong.csv"
    path.write_text(
        HEADER
        + GOOD_ROW
        + "thcs-moi,Trường THCS Mới,THCS,không,có\n"
        + "th-sai,Trường Tiểu học Sai,mẫu giáo,không,có\n",
        encoding="utf-8",
    )
    with app.app_context():
        schools, items = count(School), count(ChecklistItem)

    result = runner.invoke(args=["import-schools", str(path)])

    assert result.exit_code == 1
    assert "Dòng 4, cột cấp học: 'mẫu giáo' không hợp lệ" in result.output
    with app.app_context():
        assert (count(School), count(ChecklistItem)) == (schools, items)
        assert db.session.scalar(select(School).filter_by(slug="th-moi")) is None


def _other_ward_with_a_school(code: str | None = None) -> Ward:
    other = Ward(
        slug="viet-hung",
        name="Phường Việt Hưng",
        city="Thành phố Hà Nội",
        authority="UBND phường Việt Hưng",
        office="Phòng Văn hóa - Xã hội",
    )
    db.session.add(other)
    db.session.add(
        School(ward=other, slug="th-viet-hung", code=code, name="Trường Tiểu học Việt Hưng", level=SchoolLevel.TIEU_HOC)
    )
    db.session.commit()
    return other


def test_a_slug_of_another_ward_is_free_in_this_one(app):
    # Slugs are unique per ward: 126 wards' lists never collide on a name like "th-viet-hung".
    with app.app_context():
        other = _other_ward_with_a_school()

        import_schools(
            the_ward(),
            parse_schools_csv((HEADER + "th-viet-hung,Trường Tiểu học Việt Hưng,tiểu học,không,có\n").encode("utf-8")),
        )

        wards = set(db.session.scalars(select(School.ward_id).filter_by(slug="th-viet-hung")))
        assert wards == {other.id, the_ward().id}


def test_a_code_of_another_wards_school_stops_the_whole_import(app):
    with app.app_context():
        _other_ward_with_a_school(code="01000123")
        schools, events = count(School), count(AuditEvent)

        with pytest.raises(SchoolImportError) as caught:
            import_schools(
                the_ward(),
                parse_schools_csv(
                    (
                        "slug,tên trường,cấp học,thí điểm,hoạt động,mã CSDL\n"
                        "th-moi,Trường Tiểu học Mới,tiểu học,không,có,01000999\n"
                        "th-viet-hung-2,Trường Tiểu học Việt Hưng 2,tiểu học,không,có,01000123\n"
                    ).encode()
                ),
            )

        assert caught.value.problems == [
            "Mã CSDL '01000123' đã là của Trường Tiểu học Việt Hưng (Phường Việt Hưng); "
            "không dùng được cho 'th-viet-hung-2'"
        ]
        assert (count(School), count(AuditEvent)) == (schools, events)


def test_a_code_is_kept_and_a_file_may_give_the_same_code_again(app):
    with app.app_context():
        csv_text = "slug,tên trường,cấp học,mã CSDL\nth-moi,Trường Tiểu học Mới,tiểu học,01000999\n"
        import_schools(the_ward(), parse_schools_csv(csv_text.encode("utf-8")))
        report = import_schools(the_ward(), parse_schools_csv(csv_text.encode("utf-8")))

        assert report.unchanged == 1
        assert db.session.scalar(select(School.code).filter_by(slug="th-moi", ward_id=the_ward().id)) == "01000999"


def test_a_code_twice_in_one_file_is_refused_with_both_lines():
    with pytest.raises(SchoolImportError) as caught:
        parse_schools_csv(
            "slug,tên trường,cấp học,mã CSDL\nth-a,Trường A,tiểu học,0100\nth-b,Trường B,tiểu học,0100\n".encode()
        )
    assert caught.value.problems == ["Dòng 3, cột mã CSDL: '0100' trùng với dòng 2"]


def test_reimporting_the_same_file_changes_nothing(app):
    with app.app_context():
        schools, items, events = count(School), count(ChecklistItem), count(AuditEvent)

        report = import_schools(the_ward(), parse_schools_csv(BUNDLED_SCHOOLS.read_bytes()))

        assert (report.created, report.updated, report.unchanged, report.items_added) == ([], [], 8, 0)
        assert (count(School), count(ChecklistItem), count(AuditEvent)) == (schools, items, events)


def test_an_import_that_changes_a_school_is_audited_with_before_and_after(app):
    with app.app_context():
        events = count(AuditEvent)

        report = import_schools(
            the_ward(),
            parse_schools_csv((HEADER + "th-long-bien,Trường Tiểu học Long Biên,tiểu học,có,có\n").encode("utf-8")),
        )

        assert report.updated == ["th-long-bien"]
        assert count(AuditEvent) == events + 1
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert event.action == "school.update"
        assert (event.before["is_pilot"], event.after["is_pilot"]) == (False, True)


def test_schools_left_out_of_a_file_are_kept(app):
    with app.app_context():
        report = import_schools(the_ward(), parse_schools_csv((HEADER + GOOD_ROW).encode("utf-8")))
        assert report.created == ["th-moi"]
        assert count(School) == 9


def test_it_names_the_files_own_line_after_a_blank_line():
    # Line 1 header, line 2 a school, line 3 blank, line 4 the bad row: the reader skips the
    # blank line, so counting rows instead of reading the file's line would say "Dòng 3".
    assert problems_of(HEADER + GOOD_ROW + "\n" + "th-a,Trường A,mầm non,không,có\n") == [
        "Dòng 4, cột cấp học: 'mầm non' không hợp lệ; dùng tiểu học, THCS hoặc liên cấp"
    ]
