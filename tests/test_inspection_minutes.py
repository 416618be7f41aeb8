"""The inspection minutes (biên bản kiểm tra) of a visit, as DOCX and as a print view: what the
team and the school sign at the end of the visit."""

import io
import re
import unicodedata
from datetime import timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from flask import render_template
from helpers import PERSONAS, SCHOOL_A, SCHOOL_B

from aiplan.auth.services import create_user
from aiplan.documents.admin_doc import office_code
from aiplan.extensions import db
from aiplan.inspections.minutes import minutes_context, minutes_filename, minutes_rows, render_minutes_docx
from aiplan.models import (
    ChecklistItem,
    EvidenceFile,
    Inspection,
    ItemKind,
    ItemStatus,
    Plan,
    Role,
    School,
    User,
    Verdict,
    VerdictRecord,
    utcnow,
)

LEAD = "Trần Văn Minh"
MEMBER = "Lê Thị Thu"
REPRESENTATIVE = "Nguyễn Thị Hoa, Hiệu trưởng"
REASON = "Thiếu hồ sơ lớp học"
CONCLUSION = "Nhà trường đã triển khai nghiêm túc; hồ sơ lưu trữ đầy đủ, khoa học."
RECOMMENDATION = "Bổ sung hồ sơ lớp học 5A trước ngày 20/3/2026; tiếp tục nhân rộng mô hình."
SCHOOL_NAME = "Trường Tiểu học Đoàn Kết"
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def record(
    item: ChecklistItem,
    inspection: Inspection | None,
    verdict: Verdict,
    reason: str = "",
    status: ItemStatus = ItemStatus.DONE,
) -> VerdictRecord:
    """A verdict given now; flushed at once so that ids follow the order verdicts were given."""
    verdict_record = VerdictRecord(
        item=item, inspection=inspection, verdict=verdict, reason=reason, school_status=status.value
    )
    db.session.add(verdict_record)
    db.session.flush()
    return verdict_record


def evidence(item: ChecklistItem, name: str, deleted: bool = False) -> EvidenceFile:
    file = EvidenceFile(
        school_id=item.school_id,
        item=item,
        sha256=f"{len(name):064x}",
        size=1024,
        content_type="application/pdf",
        original_name=name,
    )
    if deleted:
        file.deleted_at = utcnow()
    db.session.add(file)
    return file


def school_items(slug: str) -> list[ChecklistItem]:
    school = db.session.scalar(db.select(School).filter_by(slug=slug))
    return list(
        db.session.scalars(db.select(ChecklistItem).filter_by(school_id=school.id).order_by(ChecklistItem.position))
    )


def new_inspection(slug: str, *, days: int = 3, **fields) -> Inspection:
    """A visit inside the plan's mid-HK II window, led by the supervisor persona."""
    plan = db.session.scalar(db.select(Plan))
    lead = db.session.scalar(db.select(User).filter_by(username=PERSONAS["supervisor"][0]))
    inspection = Inspection(
        plan=plan,
        school=db.session.scalar(db.select(School).filter_by(slug=slug)),
        visit_on=plan.school_year.midterm_start + timedelta(days=days),
        lead=lead,
        members=[lead],
        **fields,
    )
    db.session.add(inspection)
    db.session.flush()
    return inspection


@pytest.fixture
def visit(app) -> int:
    """A visit to school A: one item passed, one sent back, one changed twice during the visit;
    another visit and the re-verification queue also gave verdicts that are not part of it."""
    with app.app_context():
        lead = db.session.scalar(db.select(User).filter_by(username=PERSONAS["supervisor"][0]))
        lead.full_name = LEAD
        member = create_user("giamsat-2", Role.SUPERVISOR, "mat-khau-thu-nghiem", ward=lead.ward, full_name=MEMBER)
        inspection = new_inspection(
            SCHOOL_A,
            minutes_number="5",
            school_representative=REPRESENTATIVE,
            conclusion=CONCLUSION,
            recommendations=RECOMMENDATION,
        )
        inspection.members.append(member)
        items = school_items(SCHOOL_A)
        plan_item, lessons_item, school_plan_evidence = items[0], items[1], items[6]
        assert school_plan_evidence.kind is ItemKind.EVIDENCE
        # Given in reverse checklist order: the minutes follow the checklist, not the clock.
        record(school_plan_evidence, inspection, Verdict.NEEDS_MORE, "Kế hoạch chưa có chữ ký")
        record(school_plan_evidence, inspection, Verdict.PASSED)
        record(lessons_item, inspection, Verdict.NEEDS_MORE, REASON, ItemStatus.IN_PROGRESS)
        record(plan_item, inspection, Verdict.PASSED)
        record(school_plan_evidence, inspection, Verdict.NEEDS_MORE, "Kế hoạch chưa đóng dấu")
        record(school_plan_evidence, inspection, Verdict.PASSED, "Đã đóng dấu tại buổi kiểm tra")
        evidence(lessons_item, "Hồ sơ lớp 5A.pdf")
        evidence(lessons_item, "Giáo án tiết 1.pdf")
        evidence(lessons_item, "Bản cũ.pdf", deleted=True)
        evidence(plan_item, "Kế hoạch.pdf")

        later = new_inspection(SCHOOL_A, days=10)
        record(items[2], later, Verdict.NEEDS_MORE, "Thiếu sản phẩm học sinh")
        record(plan_item, None, Verdict.NEEDS_MORE, "Kiểm tra lại sau khi nhà trường sửa")  # the queue
        db.session.commit()
        return inspection.id


def opened(app, inspection_id: int):
    with app.app_context():
        return Document(io.BytesIO(render_minutes_docx(db.session.get(Inspection, inspection_id))))


def texts(docx) -> list[str]:
    """Every paragraph, inside tables too, in reading order."""
    return [Paragraph(p, docx._body).text for p in docx.element.body.iter(qn("w:p"))]


def results_table(docx) -> list[list[str]]:
    (table,) = [t for t in docx.tables if t.rows[0].cells[0].text == "STT"]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_rows_are_the_items_checked_in_the_visit_in_checklist_order_with_their_last_verdict(app, visit):
    with app.app_context():
        rows = minutes_rows(db.session.get(Inspection, visit))
        items = school_items(SCHOOL_A)
        titles = [items[0].title, items[1].title, items[6].title]
    assert [row.number for row in rows] == [1, 2, 3]
    assert [row.item_id for row in rows] == [items[0].id, items[1].id, items[6].id]
    assert [row.title for row in rows] == titles
    assert titles[0].startswith("Xây dựng kế hoạch") and titles[2] == "Kế hoạch nhà trường"
    assert [(row.verdict_label, row.reason) for row in rows] == [
        ("Đạt", ""),
        ("Cần bổ sung", REASON),
        ("Đạt", "Đã đóng dấu tại buổi kiểm tra"),
    ]
    assert [row.school_status for row in rows] == ["Đã hoàn thành", "Đang thực hiện", "Đã hoàn thành"]
    assert [row.evidence_count for row in rows] == [1, 2, 0]  # the deleted file does not count


def test_item_titles_start_with_a_capital_letter(app, visit):
    with app.app_context():
        class_records = next(item for item in school_items(SCHOOL_A) if item.title == "hồ sơ lớp học")
        inspection = db.session.get(Inspection, visit)
        record(class_records, inspection, Verdict.PASSED)
        (row,) = [row for row in minutes_rows(inspection) if row.item_id == class_records.id]
    assert row.title == "Hồ sơ lớp học"  # as the plan prints it, "hồ sơ lớp học", starting a cell


def test_the_docx_is_the_minutes_of_the_visit_as_an_administrative_document(app, visit):
    found = texts(opened(app, visit))
    for line in (
        NATIONAL_TITLE,
        MOTTO,
        "UBND PHƯỜNG LONG BIÊN",
        "PHÒNG VĂN HÓA - XÃ HỘI",
        "Số: 05/BB-VHXH",
        "Long Biên, ngày 12 tháng 3 năm 2026",
        "BIÊN BẢN",
        f"Kiểm tra giữa học kỳ II việc triển khai thí điểm giáo dục trí tuệ nhân tạo tại {SCHOOL_NAME}",
        "I. THÀNH PHẦN",
        "II. KẾT QUẢ KIỂM TRA",
        "III. KẾT LUẬN",
        "IV. KIẾN NGHỊ",
        CONCLUSION,
        RECOMMENDATION,
    ):
        assert line in found, line
    opening = next(text for text in found if text.startswith("Hôm nay"))
    assert opening.startswith(
        f"Hôm nay, ngày 12 tháng 3 năm 2026, vào hồi … giờ … phút, tại {SCHOOL_NAME}, Đoàn kiểm tra của "
        "Phòng Văn hóa - Xã hội phường Long Biên tiến hành kiểm tra giữa học kỳ II việc triển khai Kế hoạch"
    )
    assert opening.endswith("năm học 2025-2026.")
    team = found[found.index("1. Đoàn kiểm tra") + 1 : found.index("2. Đại diện nhà trường")]
    assert team == [f"- {LEAD}, Trưởng đoàn;", f"- {MEMBER}, thành viên;"]
    assert found[found.index("2. Đại diện nhà trường") + 1] == f"- {REPRESENTATIVE}"
    assert (
        "Tổng số nội dung đã kiểm tra: 3 mục, trong đó Đạt: 2 mục; Cần bổ sung: 1 mục; Chưa kiểm tra: 0 mục."
    ) in found
    # One copy per line under "Nơi nhận" (three), not the "02 bản" the minutes used to say.
    assert (
        "Buổi kiểm tra kết thúc vào hồi … giờ … phút cùng ngày. Biên bản được lập thành 03 bản có giá trị "
        "như nhau: nhà trường giữ 01 bản, gửi UBND phường 01 bản, lưu 01 bản tại Phòng Văn hóa - Xã hội. "
        "Biên bản đã được đọc lại cho các thành viên cùng nghe, đã thông qua, nhất trí ký tên."
    ) in found
    assert not any(text.startswith("Căn cứ Quyết định") for text in found)  # the visit cites none
    assert found.index("IV. KIẾN NGHỊ") < found.index(RECOMMENDATION) < found.index("ĐẠI DIỆN NHÀ TRƯỜNG")
    assert found[found.index("Nơi nhận:") + 1 :][:3] == [
        "- Trường Tiểu học Đoàn Kết (để thực hiện);",
        "- UBND phường (để báo cáo);",
        "- Lưu: VT, VHXH.",
    ]


def test_the_results_table_shows_each_items_self_assessment_verdict_reason_and_evidence(app, visit):
    table = results_table(opened(app, visit))
    assert table[0] == [
        "STT",
        "Nội dung kiểm tra",
        "Nhà trường tự đánh giá",
        "Kết quả kiểm tra",
        "Ghi chú / yêu cầu bổ sung",
        "Số minh chứng",
    ]
    assert [row[0] for row in table[1:]] == ["1", "2", "3"]
    assert table[1][1].startswith("Xây dựng kế hoạch triển khai giáo dục AI")
    assert table[1][2:] == ["Đã hoàn thành", "Đạt", "", "1"]
    assert table[2][2:] == ["Đang thực hiện", "Cần bổ sung", REASON, "2"]
    assert table[3][1:] == ["Kế hoạch nhà trường", "Đã hoàn thành", "Đạt", "Đã đóng dấu tại buổi kiểm tra", "0"]


def test_an_item_changed_twice_during_the_visit_appears_once_with_its_final_verdict(app, visit):
    docx = opened(app, visit)
    table = results_table(docx)
    assert [row[1] for row in table].count("Kế hoạch nhà trường") == 1
    everything = "\n".join(texts(docx))
    assert "Kế hoạch chưa có chữ ký" not in everything and "Kế hoạch chưa đóng dấu" not in everything


def test_verdicts_of_another_visit_or_of_the_queue_are_not_in_the_minutes(app, visit):
    docx = opened(app, visit)
    everything = "\n".join(texts(docx))
    assert "Thiếu sản phẩm học sinh" not in everything
    assert "Kiểm tra lại sau khi nhà trường sửa" not in everything
    assert len(results_table(docx)) == 1 + 3
    with app.app_context():
        later = db.session.scalar(db.select(Inspection).where(Inspection.id != visit))
        (row,) = minutes_rows(later)
    assert (row.verdict_label, row.reason) == ("Cần bổ sung", "Thiếu sản phẩm học sinh")


def test_the_lead_and_the_schools_representative_sign_side_by_side_above_the_team(app, visit):
    docx = opened(app, visit)
    rows = [[cell.text for cell in row.cells] for table in docx.tables for row in table.rows]
    assert [
        "ĐẠI DIỆN NHÀ TRƯỜNG\n(Ký, ghi rõ họ tên)\nNguyễn Thị Hoa",
        f"TRƯỞNG ĐOÀN KIỂM TRA\n(Ký, ghi rõ họ tên)\n{LEAD}",
    ] in rows
    assert [MEMBER, "", ""] in rows, "the other members sign under the lead; the lead signs once"
    assert "THÀNH VIÊN ĐOÀN KIỂM TRA" in texts(docx)


def test_minutes_without_a_number_representative_or_conclusion_leave_blanks_to_fill_by_hand(app):
    with app.app_context():
        inspection = new_inspection(SCHOOL_B)
        record(school_items(SCHOOL_B)[0], inspection, Verdict.UNCHECKED, status=ItemStatus.NOT_STARTED)
        db.session.commit()
        found = texts(Document(io.BytesIO(render_minutes_docx(inspection))))
        name = inspection.lead.display_name
    assert "Số:      /BB-VHXH" in found
    representative = found[found.index("2. Đại diện nhà trường") + 1]
    assert representative.startswith("- Họ và tên, chức vụ: ……")
    section_3 = found[found.index("III. KẾT LUẬN") + 1 : found.index("IV. KIẾN NGHỊ")]
    assert section_3 and all(set(text) == {"…"} for text in section_3)
    assert (
        "Tổng số nội dung đã kiểm tra: 1 mục, trong đó Đạt: 0 mục; Cần bổ sung: 0 mục; Chưa kiểm tra: 1 mục."
    ) in found
    assert "- Trường THCS Thạch Bàn (để thực hiện);" in found
    assert name in found and "THÀNH VIÊN ĐOÀN KIỂM TRA" not in found


def test_a_visit_without_a_team_yet_leaves_the_team_to_fill_by_hand(app):
    with app.app_context():
        inspection = new_inspection(SCHOOL_B)
        inspection.lead, inspection.members = None, []
        db.session.commit()
        found = texts(Document(io.BytesIO(render_minutes_docx(inspection))))
        html = rendered_page(app, inspection.id)
    team = found[found.index("1. Đoàn kiểm tra") + 1 : found.index("2. Đại diện nhà trường")]
    assert len(team) == 1 and team[0].startswith("- Họ và tên, chức vụ: ……")
    assert "TRƯỞNG ĐOÀN KIỂM TRA" in found and "TRƯỞNG ĐOÀN KIỂM TRA" in html


def test_a_visit_with_no_verdict_yet_still_gives_minutes_without_an_empty_table(app):
    with app.app_context():
        inspection = new_inspection(SCHOOL_A, minutes_number="12/BB-VHXH")
        db.session.commit()
        assert minutes_rows(inspection) == []
        docx = Document(io.BytesIO(render_minutes_docx(inspection)))
    assert "Số: 12/BB-VHXH" in texts(docx)
    assert not [t for t in docx.tables if t.rows[0].cells[0].text == "STT"]


@pytest.mark.parametrize("size", [3, 30])
def test_the_rows_load_in_a_fixed_number_of_queries(app, count_queries, size):
    with app.app_context():
        inspection = new_inspection(SCHOOL_A)
        items = school_items(SCHOOL_A)
        milestone, target, requirement = items[0].milestone_id, items[5].target_id, items[6].evidence_requirement_id
        kinds = [
            (ItemKind.MILESTONE, {"milestone_id": milestone}),
            (ItemKind.TARGET, {"target_id": target}),
            (ItemKind.EVIDENCE, {"evidence_requirement_id": requirement}),
        ]
        for n in range(size):
            kind, link = kinds[n % 3]
            item = ChecklistItem(
                plan_id=inspection.plan_id,
                school_id=inspection.school_id,
                key=f"them-{n}",
                kind=kind,
                position=2000 + n,
                due_on=inspection.visit_on,
                **link,
            )
            record(item, inspection, Verdict.PASSED if n % 2 else Verdict.NEEDS_MORE, f"Lý do {n}")
            record(item, inspection, Verdict.PASSED)
            evidence(item, f"Minh chứng {n}.pdf")
        db.session.commit()
        inspection_id = inspection.id
        db.session.expunge_all()
        inspection = db.session.get(Inspection, inspection_id)
        with count_queries() as counter:
            rows = minutes_rows(inspection)
            titles = [row.title for row in rows]
    assert len(rows) == len(titles) == size
    assert all(row.evidence_count == 1 and row.verdict is Verdict.PASSED for row in rows)
    assert counter.count == 2, counter.statements


def test_the_download_name_is_ascii_with_the_school_and_the_visit_date(app, visit):
    with app.app_context():
        name = minutes_filename(db.session.get(Inspection, visit))
    assert name == "bien-ban-kiem-tra-th-doan-ket-2026-03-12.docx"
    assert name.isascii()


@pytest.mark.parametrize(
    "office, code", [("Phòng Văn hóa - Xã hội", "VHXH"), ("Phòng Kinh tế, Hạ tầng và Đô thị", "KTHTVĐT")]
)
def test_the_office_code_is_made_of_its_initials(office, code):
    assert office_code(office) == code


def rendered_page(app, inspection_id: int) -> str:
    with app.test_request_context(f"/inspections/{inspection_id}/minutes"):
        return render_template("inspections/minutes.html", **minutes_context(db.session.get(Inspection, inspection_id)))


def plain(html: str) -> str:
    """The page's text, as a reader sees it."""
    text = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&#34;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return re.sub(r"\s+", " ", text)


def test_the_print_view_says_what_the_docx_says(app, visit):
    html = rendered_page(app, visit)
    page = plain(html)
    docx = opened(app, visit)
    for line in texts(docx):
        line = line.strip()
        if line and line not in ("Nơi nhận:",) and not line.isdigit():
            assert re.sub(r"^- ", "", line) in page, line
    assert '<h1 id="minutes-kind" class="minutes-kind">BIÊN BẢN</h1>' in html
    table = re.search(r'<table class="minutes-table">.*?</table>', html, re.DOTALL).group(0)
    assert len(re.findall(r"<tr class=\"minutes-row-", table)) == 3
    assert plain(table).count("Kế hoạch nhà trường") == 1
    assert "Thiếu sản phẩm học sinh" not in page


def test_the_print_view_has_no_inline_script_or_style_and_tells_how_to_print(app, visit):
    html = rendered_page(app, visit)
    assert "style=" not in html and "onclick" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "the CSP forbids inline scripts"
    assert "Dùng lệnh In của trình duyệt (Ctrl+P" in plain(html)
    assert "Đợt kiểm tra chưa kết thúc" in html  # planned, not yet closed


def test_vietnamese_text_survives_exactly_and_markup_in_it_is_escaped(app, visit):
    odd = "Thầy Nguyễn Hữu Quỳnh nộp “sản phẩm” <b>muộn</b> & thiếu chữ ký"
    with app.app_context():
        inspection = db.session.get(Inspection, visit)
        inspection.conclusion = unicodedata.normalize("NFD", CONCLUSION) + "\n\n" + odd
        db.session.commit()
    html = rendered_page(app, visit)
    found = texts(opened(app, visit))
    assert CONCLUSION in found and odd in found
    assert all(unicodedata.is_normalized("NFC", text) for text in found)
    assert REASON in html and LEAD in html and SCHOOL_NAME in html and REPRESENTATIVE in html
    assert "<b>muộn</b>" not in html and "&lt;b&gt;muộn&lt;/b&gt; &amp; thiếu chữ ký" in html


@pytest.mark.browser
def test_the_print_view_prints_the_sheet_alone_in_times_new_roman_and_fits_a_phone(app, visit, new_page):
    html = rendered_page(app, visit)
    page = new_page(width=360, height=740)
    page.goto("/login")  # a page of the app, so that the stylesheet's URL resolves
    page.set_content(html)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the sheet overflows the phone"
    assert page.locator(".minutes-table").bounding_box()["width"] > 360  # the table scrolls on its own
    page.emulate_media(media="print")
    style = page.evaluate("""() => {
        const s = getComputedStyle(document.querySelector('.minutes-page'));
        return [s.fontFamily, s.fontSize, getComputedStyle(document.querySelector('.site-header')).display,
                getComputedStyle(document.querySelector('.minutes-tools')).display,
                getComputedStyle(document.querySelector('.minutes-letterhead')).gridTemplateColumns];
    }""")
    family, size, header, tools, columns = style
    assert family.startswith('"Times New Roman"') and size == "17.3333px"  # 13 pt
    assert header == "none" and tools == "none"
    assert len(columns.split()) == 2, "quốc hiệu beside the authority, as on paper"
