"""The city plan's indicators and the city rollup (issue 18, items 2 and 3): a ward plan must map
the city's indicators; /city shows each indicator ward by ward, most late first, with its exports
and the Sở's DOCX report, in a fixed number of queries, to the city's own accounts only."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from docx import Document
from helpers import PASSWORD
from openpyxl import load_workbook
from sqlalchemy import select, update

from aiplan.admin.schools import import_schools, parse_schools_csv
from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.figures.city import city_rollup
from aiplan.models import (
    ChecklistItem,
    City,
    CityPlan,
    ItemKind,
    ItemStatus,
    Milestone,
    Plan,
    Role,
    Target,
    Verdict,
    Ward,
    utcnow,
)
from aiplan.plans.city_plan import BUNDLED_CITY_PLAN, load_city_plan, parse_city_plan, read_city_plan_file
from aiplan.plans.services import BUNDLED_PLAN, load_plan
from aiplan.plans.spec import PlanFileError, parse_plan

LONG_BIEN = BUNDLED_PLAN.read_text(encoding="utf-8")
# After the school year: whatever is not done is late.
AFTER_THE_YEAR = date(2026, 6, 20)


def ward_plan(slug: str, name: str, *, city: str = "Thành phố Hà Nội", text: str = LONG_BIEN) -> bytes:
    """The bundled plan, issued by another ward (of `city`)."""
    text = text.replace('slug = "long-bien"', f'slug = "{slug}"', 1)
    text = text.replace('name = "Phường Long Biên"', f'name = "{name}"', 1)
    text = text.replace('city = "Thành phố Hà Nội"', f'city = "{city}"', 1)
    return text.encode("utf-8")


def add_ward(slug: str, name: str, schools: int = 2, **kwargs) -> Ward:
    """A ward with its plan and `schools` schools (the first a pilot primary school)."""
    load_plan(parse_plan(ward_plan(slug, name, **kwargs), f"{slug}.toml"))
    ward = db.session.scalar(select(Ward).filter_by(slug=slug))
    assert ward is not None
    lines = ["slug,tên trường,cấp học,thí điểm,hoạt động"]
    for number in range(1, schools + 1):
        level = "tiểu học" if number % 2 else "THCS"
        pilot = "có" if number == 1 else "không"
        lines.append(f"{slug}-{number},Trường {level} số {number} {name},{level},{pilot},có")
    import_schools(ward, parse_schools_csv("\n".join(lines).encode("utf-8")))
    return ward


def hanoi() -> City:
    city = db.session.scalar(select(City).filter_by(slug="ha-noi"))
    assert city is not None
    return city


@pytest.fixture
def city_app(app):
    """The seeded Long Biên, its city's plan, a second ward (Phường B, two schools) and the Sở's account."""
    with app.app_context():
        load_city_plan(read_city_plan_file(BUNDLED_CITY_PLAN))
        add_ward("phuong-b", "Phường B")
        create_user("so-hn", Role.CITY_ADMIN, PASSWORD, city=hanoi())
    return app


def items_of(ward_slug: str, code: str) -> list[ChecklistItem]:
    """The required milestone and target items mapped to `code` in the ward, read as objects."""
    ward = db.session.scalar(select(Ward).filter_by(slug=ward_slug))
    items = db.session.scalars(
        select(ChecklistItem)
        .join(Plan)
        .outerjoin(Milestone, Milestone.id == ChecklistItem.milestone_id)
        .outerjoin(Target, Target.id == ChecklistItem.target_id)
        .where(
            Plan.ward_id == ward.id,
            ChecklistItem.retired.is_(False),
            ChecklistItem.required,
            ChecklistItem.kind.in_((ItemKind.MILESTONE, ItemKind.TARGET)),
            (Milestone.city_indicator == code)
            | ((ChecklistItem.kind == ItemKind.TARGET) & (Target.city_indicator == code)),
        )
    ).all()
    return [item for item in items if item.school is None or item.school.is_active]


# -- the city plan and the ward plans' mapping ------------------------------------------------------


def test_the_bundled_city_plan_names_the_so_and_the_indicators_long_bien_maps():
    spec = read_city_plan_file(BUNDLED_CITY_PLAN)
    assert spec.city["authority"] == "Sở Giáo dục và Đào tạo Hà Nội"
    assert any("3706/KH-SGDĐT" in line for line in spec.basis) and any("75/KH-SGDĐT" in line for line in spec.basis)
    codes = {indicator.code for indicator in spec.indicators}
    ward = parse_plan(BUNDLED_PLAN.read_bytes(), BUNDLED_PLAN.name)
    mapped = {m.city_indicator for m in ward.milestones} | {t.city_indicator for t in ward.targets}
    assert codes == mapped and "HN-T05" in codes and len(codes) == 12


def test_a_city_plan_with_a_bad_code_and_a_repeated_one_is_refused_naming_both():
    text = BUNDLED_CITY_PLAN.read_text(encoding="utf-8")
    text = text.replace('code = "HN-M02"', 'code = "HN-M01"').replace('code = "HN-T04"', 'code = "hn t4"')
    with pytest.raises(PlanFileError) as error:
        parse_city_plan(text.encode("utf-8"), "ha-noi.toml")
    problems = " | ".join(error.value.problems)
    assert "'HN-M01' bị trùng" in problems and "'hn t4'" in problems


def test_a_ward_plan_leaving_an_indicator_unmapped_is_refused_naming_it_and_nothing_is_saved(city_app):
    text = LONG_BIEN.replace('city_indicator = "HN-M04"   # the Sở\'s indicator (ha-noi-city.toml)\n', "")
    assert text != LONG_BIEN
    with city_app.app_context():
        with pytest.raises(PlanFileError) as error:
            load_plan(parse_plan(ward_plan("phuong-c", "Phường C", text=text), "phuong-c.toml"))
        problems = " | ".join(error.value.problems)
        assert "HN-M04" in problems and "Tổ chức lồng ghép giáo dục AI" in problems
        assert db.session.scalar(select(Ward).filter_by(slug="phuong-c")) is None


def test_a_ward_plan_naming_a_code_the_city_lacks_or_of_the_wrong_kind_is_refused(city_app):
    text = LONG_BIEN.replace('city_indicator = "HN-T05"', 'city_indicator = "HN-X99"').replace(
        'city_indicator = "HN-M09"', 'city_indicator = "HN-T01"'
    )
    with city_app.app_context():
        with pytest.raises(PlanFileError) as error:
            load_plan(parse_plan(ward_plan("phuong-c", "Phường C", text=text), "phuong-c.toml"))
        problems = " | ".join(error.value.problems)
        assert "không có chỉ tiêu/mốc nào mã 'HN-X99'" in problems
        assert "'HN-T01' là chỉ tiêu" in problems and "[[milestone]] number = 9" in problems
        assert "chưa gắn chỉ tiêu HN-T05" in problems and "chưa gắn mốc HN-M09" in problems


def test_a_ward_of_a_city_without_a_city_plan_loads_as_before(city_app):
    text = LONG_BIEN.replace('city_indicator = "HN-M04"', "")
    with city_app.app_context():
        add_ward("phuong-hp", "Phường Hải An", city="Thành phố Hải Phòng", text=text)
        ward = db.session.scalar(select(Ward).filter_by(slug="phuong-hp"))
        assert ward.city_unit.slug == "hai-phong"


# -- the figures ---------------------------------------------------------------------------------


def test_each_ward_s_numbers_match_its_items_and_the_latest_ward_comes_first(city_app):
    with city_app.app_context():
        # Phường B: one school did milestone 3 on time and a supervisor passed it; nothing else is done.
        done = next(i for i in items_of("phuong-b", "HN-M03") if i.school is not None)
        done.status, done.completed_at = ItemStatus.DONE, utcnow().replace(year=2026, month=1, day=20)
        done.verdict = Verdict.PASSED
        # Long Biên: every school's milestone 3 done.
        for item in items_of("long-bien", "HN-M03"):
            item.status, item.completed_at = ItemStatus.DONE, utcnow().replace(year=2026, month=1, day=20)
        db.session.commit()

        r = city_rollup(hanoi(), select(Ward.id), today=AFTER_THE_YEAR)
        by_slug = {line.ward.slug: line for line in r.wards}
        assert set(by_slug) == {"long-bien", "phuong-b"}
        for slug, line in by_slug.items():
            for t in r.indicators:
                items = items_of(slug, t.indicator.code)
                cell = line.cell(t.indicator.code)
                assert cell.required == len(items), (slug, t.indicator.code)
                assert cell.done == sum(i.is_done for i in items)
                assert cell.on_time == sum(i.is_on_time for i in items)
                assert cell.late == sum(i.is_late(AFTER_THE_YEAR) for i in items)
                assert cell.verified == sum(i.is_verified for i in items)
        m3 = by_slug["phuong-b"].cell("HN-M03")
        assert (m3.required, m3.done, m3.verified, m3.percent) == (2, 1, 1, 50)
        assert by_slug["long-bien"].cell("HN-M03").late == 0
        # Target HN-T01: one per pilot primary school, none met yet.
        assert by_slug["phuong-b"].cell("HN-T01").required == 1
        # Long Biên's eight schools are late on more than Phường B's two: it comes first, before the
        # name order would put it.
        late = [line.total.late for line in r.wards]
        assert late == sorted(late, reverse=True) and late[0] > late[1]
        assert [line.ward.slug for line in r.wards] == ["long-bien", "phuong-b"]
        assert r.total.required == sum(line.total.required for line in r.wards)


def test_the_rollup_reads_in_the_same_number_of_queries_at_2_and_at_6_wards(city_app, count_queries):
    def queries() -> int:
        with count_queries() as counter, city_app.app_context():
            r = city_rollup(hanoi(), select(Ward.id), today=AFTER_THE_YEAR)
            assert r.wards and r.indicators
        return counter.count

    two = queries()
    with city_app.app_context():
        for number in range(3, 7):
            add_ward(f"phuong-{number}", f"Phường số {number}", schools=1)
    six = queries()
    # the city (the test's own lookup), the city plan, its indicators, the wards, the codes, the grouped count
    # (and SQLite's BEGIN)
    assert two == six <= 7


# -- the pages and the files ---------------------------------------------------------------------


def test_the_city_page_shows_each_ward_most_late_first_and_links_to_its_rollup(city_app, as_persona):
    client = as_persona("so-hn")
    page = client.get("/city").get_data(as_text=True)
    assert "Tổng hợp toàn thành phố" in page and "Sở Giáo dục và Đào tạo Hà Nội" in page
    assert 'href="/city/wards/phuong-b"' in page and "HN-T05" in page
    assert 'class="scroll-region"' in page  # the wide tables scroll in their own box at 360 px
    ward_table = page[page.index('id="city-wards-h"') :]
    # Long Biên owes (and is late on) more than Phường B: first, though the name order would put it second.
    assert ward_table.index("Phường Long Biên") < ward_table.index("Phường B")
    drill = client.get("/city/wards/phuong-b")
    assert drill.status_code == 302 and drill.location.endswith("/rollup")
    rollup = client.get("/rollup").get_data(as_text=True)
    assert "Phường B" in rollup and "/schools/phuong-b-1" in rollup
    school = client.get("/schools/phuong-b-1")  # city → ward → school
    assert school.status_code == 200 and "Trường tiểu học số 1 Phường B" in school.get_data(as_text=True)


def test_the_exports_hold_every_ward_and_indicator(city_app, as_persona):
    client = as_persona("so-hn")
    response = client.get("/city.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Phường, xã", "Số trường", "Mã chỉ tiêu", "Nội dung", "Loại"]
    assert "Tỷ lệ hoàn thành (%)" in rows[0] and "Quá hạn" in rows[0] and "Đã kiểm tra xác nhận" in rows[0]
    assert len(rows) == 1 + 2 * 12
    assert {row[0] for row in rows[1:]} == {"Phường Long Biên", "Phường B"}

    document = json.loads(client.get("/city.json").get_data(as_text=True))
    assert {"city", "authority", "plan", "school_year", "as_of", "indicators", "wards", "totals"} <= set(document)
    assert document["authority"] == "Sở Giáo dục và Đào tạo Hà Nội" and document["plan"] == "75/KH-SGDĐT"
    ward = next(w for w in document["wards"] if w["slug"] == "phuong-b")
    assert ward["schools"] == 2 and set(ward["indicators"]) == {i["code"] for i in document["indicators"]}
    assert {"required", "done", "percent", "on_time", "late", "verified"} <= set(ward["indicators"]["HN-M03"])

    book = load_workbook(io.BytesIO(client.get("/city.xlsx").get_data()))
    assert book.sheetnames == ["Toàn thành phố", "Theo phường", "Chi tiết"]
    detail = list(book["Chi tiết"].iter_rows(values_only=True))
    assert detail[0][2] == "Mã chỉ tiêu" and len(detail) == 1 + 2 * 12
    matrix_names = {row[0] for row in book["Theo phường"].iter_rows(min_row=4, values_only=True)}
    assert matrix_names == {"Phường Long Biên", "Phường B"}


def test_the_city_report_opens_and_names_the_so_and_every_ward(city_app, as_persona):
    response = as_persona("so-hn").get("/city/report.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.get_data()))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI" in cells + text
    assert "BÁO CÁO" in text and "75/KH-SGDĐT" in text and "3706/KH-SGDĐT" in text
    assert "Phường Long Biên" in cells and "Phường B" in cells and "HN-T05" in cells


def test_an_account_of_another_city_sees_none_of_this_one(city_app, as_persona):
    with city_app.app_context():
        add_ward("phuong-hp", "Phường Hải An", city="Thành phố Hải Phòng")
        create_user(
            "so-hp", Role.CITY_VIEWER, PASSWORD, city=db.session.scalar(select(City).filter_by(slug="hai-phong"))
        )
    client = as_persona("so-hp")
    assert client.get("/city/wards/long-bien").status_code == 404
    assert client.get("/city/wards/phuong-b").status_code == 404
    page = client.get("/city").get_data(as_text=True)
    assert "Phường Hải An" in page and "Phường Long Biên" not in page and "Phường B" not in page
    # Hải Phòng has no city plan: its wards are listed, with nothing to download yet
    assert "Thành phố chưa nạp kế hoạch" in page and "/city.xlsx" not in page
    document = json.loads(client.get("/city.json").get_data(as_text=True))
    assert [w["slug"] for w in document["wards"]] == ["phuong-hp"]
    # and the Hà Nội account does not see Hải Phòng's ward
    assert as_persona("so-hn").get("/city/wards/phuong-hp").status_code == 404


@pytest.mark.parametrize("persona", ["ward_admin", "viewer", "supervisor", "staff_a"])
def test_the_ward_s_accounts_are_refused_the_city_pages(city_app, as_persona, persona):
    client = as_persona(persona)
    for url in ("/city", "/city.json", "/city.csv", "/city.xlsx", "/city/report.docx"):
        assert client.get(url).status_code == 403, url


def test_a_ward_loaded_before_its_city_plan_is_shown_as_unmapped(app, as_persona):
    with app.app_context():
        ward = db.session.scalar(select(Ward).filter_by(slug="long-bien"))
        for milestone in db.session.scalars(select(Milestone)):
            milestone.city_indicator = None
        for target in db.session.scalars(select(Target)):
            target.city_indicator = None
        db.session.commit()
        load_city_plan(read_city_plan_file(BUNDLED_CITY_PLAN))
        r = city_rollup(ward.city_unit, select(Ward.id), today=AFTER_THE_YEAR - timedelta(days=1))
        assert [line.unmapped for line in r.wards] == [True]
        create_user("so-hn", Role.CITY_ADMIN, PASSWORD, city=ward.city_unit)
    assert "Kế hoạch chưa gắn mã chỉ tiêu của thành phố" in as_persona("so-hn").get("/city").get_data(as_text=True)


def test_load_city_plan_loads_the_so_s_indicators_and_refuses_a_bad_file_changing_nothing(app, runner, tmp_path):
    bad = tmp_path / "ha-noi.toml"
    bad.write_text(
        BUNDLED_CITY_PLAN.read_text(encoding="utf-8").replace(
            '"HN-T01"\nkind = "target"', '"HN-T01"\nkind = "chi-tieu"'
        )
    )
    refused = runner.invoke(args=["load-city-plan", str(bad)])
    assert refused.exit_code == 1
    assert "không nạp được kế hoạch của thành phố từ ha-noi.toml" in refused.output
    assert "'chi-tieu' không hợp lệ" in refused.output
    with app.app_context():
        assert db.session.scalar(select(CityPlan)) is None

    loaded = runner.invoke(args=["load-city-plan", str(BUNDLED_CITY_PLAN)])
    assert loaded.exit_code == 0, loaded.output
    assert "Đã nạp kế hoạch 75/KH-SGDĐT của Thành phố Hà Nội" in loaded.output and "12 chỉ tiêu, mốc" in loaded.output
    with app.app_context():
        plan = db.session.scalar(select(CityPlan))
        assert plan.city.authority == "Sở Giáo dục và Đào tạo Hà Nội" and len(plan.indicators) == 12
        # the seeded Long Biên's ward is the city's: the city plan's own city, not a second one
        assert db.session.scalar(select(Ward).filter_by(slug="long-bien")).city_id == plan.city_id
    assert "Lưu ý" not in loaded.output  # Long Biên's plan maps every indicator


def test_load_city_plan_names_the_wards_whose_plans_were_loaded_before_it_unmapped(app, runner):
    with app.app_context():
        db.session.execute(update(Milestone).where(Milestone.number.in_((2, 9))).values(city_indicator=None))
        db.session.commit()
    loaded = runner.invoke(args=["load-city-plan", str(BUNDLED_CITY_PLAN)])
    assert loaded.exit_code == 0, loaded.output
    assert "Lưu ý: kế hoạch của Phường Long Biên chưa gắn HN-M02, HN-M09" in loaded.output


def test_the_plan_page_shows_which_city_indicator_each_milestone_and_target_reports_on(app, as_persona):
    page = as_persona("viewer").get("/plan").get_data(as_text=True)
    assert "Báo cáo về Sở theo mã HN-M03" in page and "HN-T05" in page
