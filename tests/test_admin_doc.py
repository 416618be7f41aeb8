"""DOCX administrative documents laid out per Nghị định 30/2020/NĐ-CP: what a clerk opening the
file in Word would check before printing it for signature. No app needed."""

import io
import unicodedata
from datetime import date

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from aiplan.documents.admin_doc import (
    AdminDocument,
    Authority,
    Heading,
    Signature,
    format_number_line,
    format_vietnamese_date,
    render,
)

FONT = "Times New Roman"
SCHOOL = "Trường Tiểu học Đoàn Kết"
OPENING = "Hôm nay, vào hồi 8 giờ 30 phút, Đoàn kiểm tra làm việc tại Trường Tiểu học Đoàn Kết."


def minutes(**changes) -> AdminDocument:
    fields = dict(
        authority=Authority("UBND PHƯỜNG LONG BIÊN", "Phòng Văn hóa - Xã hội"),
        number="12/BB-VHXH",
        place="Long Biên",
        date=date(2026, 3, 5),
        kind="Biên bản",
        subject=f"Kiểm tra việc triển khai thí điểm giáo dục AI tại {SCHOOL}",
        recipients=["- UBND phường;", "Lưu: VT, VHXH."],
        signatures=[
            Signature("Đại diện nhà trường", "Hiệu trưởng", "Nguyễn Thị Hoa"),
            Signature("TM. Đoàn kiểm tra", "Trưởng đoàn", "Trần Văn Minh"),
        ],
        members=["Lê Thị Thu", "Phạm Quốc Anh"],
    )
    fields.update(changes)
    doc = AdminDocument(**fields)
    doc.paragraph(OPENING)
    doc.heading("I. KẾT QUẢ KIỂM TRA")
    doc.bullets(["Nhà trường đã ban hành kế hoạch;", "- Có hồ sơ lớp học 5A."])
    doc.table(
        ["STT", "Trường", "Số học sinh", "Kết quả"],
        [[1, SCHOOL, 1250, "Đạt"], [2, SCHOOL, 35, "Cần bổ sung"]],
        widths=[1, 4, 2, 2],
        align=["center", None, None, None],
    )
    return doc


def opened(document: AdminDocument):
    return Document(io.BytesIO(render(document)))


def paragraphs(docx) -> list[Paragraph]:
    """Every paragraph, inside tables too, in reading order."""
    return [Paragraph(p, docx._body) for p in docx.element.body.iter(qn("w:p"))]


def texts(docx) -> list[str]:
    return [p.text for p in paragraphs(docx)]


def the(docx, text: str) -> Paragraph:
    found = [p for p in paragraphs(docx) if p.text == text]
    assert len(found) == 1, (text, texts(docx))
    return found[0]


def is_bold(p: Paragraph) -> bool:
    return all(run.bold for run in p.runs)


def size(p: Paragraph) -> float:
    (points,) = {run.font.size.pt for run in p.runs}
    return points


def test_a_document_renders_to_docx_bytes_that_python_docx_opens():
    data = render(minutes())
    assert data[:2] == b"PK"
    assert Document(io.BytesIO(data)).tables


def test_the_first_page_carries_the_national_title_and_the_motto_in_bold():
    docx = opened(minutes())
    title, motto = the(docx, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), the(docx, "Độc lập - Tự do - Hạnh phúc")
    assert is_bold(title) and 12 <= size(title) <= 13
    assert is_bold(motto) and 13 <= size(motto) <= 14


def test_the_motto_has_a_solid_line_under_it_as_wide_as_the_text():
    docx = opened(minutes())
    found = paragraphs(docx)
    rule = found[texts(docx).index("Độc lập - Tự do - Hạnh phúc") + 1]
    assert rule._p.pPr.find(qn("w:pBdr")).find(qn("w:top")).get(qn("w:val")) == "single"
    cell_width = docx.tables[0].rows[0].cells[1].width
    line = cell_width - rule.paragraph_format.left_indent - rule.paragraph_format.right_indent
    assert Cm(5.4) < line < Cm(5.8)  # Times New Roman bold 13 pt: 5.6 cm


def test_the_letterhead_names_the_authority_in_upper_case_and_the_number():
    docx = opened(minutes())
    letterhead = docx.tables[0].rows[0].cells[0]
    assert [p.text for p in letterhead.paragraphs if p.text] == ["UBND PHƯỜNG LONG BIÊN", "PHÒNG VĂN HÓA - XÃ HỘI"]
    assert not is_bold(letterhead.paragraphs[0]) and is_bold(letterhead.paragraphs[1])
    assert "Số: 12/BB-VHXH" in texts(docx)


def test_the_place_and_date_line_is_in_italics_with_leading_zeros():
    docx = opened(minutes(date=date(2026, 2, 5)))
    line = the(docx, "Long Biên, ngày 05 tháng 02 năm 2026")
    assert all(run.italic for run in line.runs)


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),
        (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
        (date(2027, 1, 1), "ngày 01 tháng 01 năm 2027"),
        (date(2026, 10, 9), "ngày 09 tháng 10 năm 2026"),
        (date(2026, 12, 15), "ngày 15 tháng 12 năm 2026"),
    ],
)
def test_days_below_10_and_months_1_and_2_take_a_leading_zero(day, expected):
    assert format_vietnamese_date(day) == expected


def test_a_blank_date_leaves_room_to_write_it_by_hand_in_the_given_year():
    assert format_vietnamese_date(None, 2026) == "ngày      tháng      năm 2026"
    docx = opened(minutes(date=None, year=2026))
    assert "Long Biên, ngày      tháng      năm 2026" in texts(docx)


@pytest.mark.parametrize(
    "number, expected",
    [
        ("12/BB-VHXH", "Số: 12/BB-VHXH"),
        ("5/BB-VHXH", "Số: 05/BB-VHXH"),
        ("/BC-VHXH", "Số:      /BC-VHXH"),
        ("Số: 07/BC-THĐK", "Số: 07/BC-THĐK"),
        ("", ""),
    ],
)
def test_the_number_line_pads_small_numbers_and_leaves_a_blank_when_unnumbered(number, expected):
    assert format_number_line(number) == expected


def test_the_kind_and_the_subject_are_centered_bold_14_pt_titles():
    docx = opened(minutes())
    for text in ("BIÊN BẢN", f"Kiểm tra việc triển khai thí điểm giáo dục AI tại {SCHOOL}"):
        title = the(docx, text)
        assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert is_bold(title) and size(title) == 14


def test_table_cells_keep_vietnamese_values_and_right_align_numbers():
    docx = opened(minutes())
    table = next(t for t in docx.tables if t.rows[0].cells[0].text == "STT")
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [
        ["STT", "Trường", "Số học sinh", "Kết quả"],
        ["1", SCHOOL, "1.250", "Đạt"],
        ["2", SCHOOL, "35", "Cần bổ sung"],
    ]
    header, first = table.rows[0], table.rows[1]
    assert all(is_bold(c.paragraphs[0]) for c in header.cells)
    assert [c.paragraphs[0].alignment for c in first.cells] == [
        WD_ALIGN_PARAGRAPH.CENTER,
        WD_ALIGN_PARAGRAPH.LEFT,
        WD_ALIGN_PARAGRAPH.RIGHT,
        WD_ALIGN_PARAGRAPH.LEFT,
    ]
    assert all(12 <= size(c.paragraphs[0]) <= 13 for c in first.cells)
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"single"}
    widths = [col.w for col in table._tbl.tblGrid.gridCol_lst]
    assert widths[1] == pytest.approx(4 * widths[0], rel=0.01)
    assert sum(widths) == pytest.approx(Cm(16.5), rel=0.01)  # the text width


def test_a_table_rejects_rows_that_do_not_match_its_headers():
    with pytest.raises(ValueError):
        minutes().table(["STT", "Trường"], [[1, SCHOOL, "Đạt"]])
    with pytest.raises(ValueError):
        minutes().table(["STT", "Trường"], [[1, SCHOOL]], widths=[1])


def test_a_200_row_table_renders_and_repeats_its_header_row_on_every_page():
    doc = minutes()
    doc.table(["STT", "Trường", "Kết quả"], [[i, SCHOOL, "Đạt"] for i in range(1, 201)])
    (table,) = [t for t in opened(doc).tables if len(t.rows) == 201]
    assert table.rows[200].cells[0].text == "200" and table.rows[200].cells[1].text == SCHOOL
    repeated = [row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows]
    assert repeated == [True] + [False] * 200


def test_recipients_and_signatures_close_the_document():
    lone = Signature("KT. Trưởng phòng", "Phó trưởng phòng", "Trần Văn Minh")
    docx = opened(minutes(signatures=[lone], members=[]))
    closing = docx.tables[-1].rows[0].cells
    recipients, signature = closing[0].paragraphs, closing[1].paragraphs
    assert [p.text for p in recipients] == ["Nơi nhận:", "- UBND phường;", "- Lưu: VT, VHXH."]
    assert all(r.bold and r.italic for r in recipients[0].runs) and size(recipients[0]) == 12
    assert size(recipients[1]) == 11
    assert [p.text for p in signature] == ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "Trần Văn Minh"]
    assert all(is_bold(p) and 13 <= size(p) <= 14 for p in signature)
    assert signature[2].paragraph_format.space_before >= Pt(48)  # room to sign


def test_minutes_put_the_two_signatures_side_by_side_then_the_team():
    docx = opened(minutes())
    rows = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    assert ["ĐẠI DIỆN NHÀ TRƯỜNG\nHIỆU TRƯỞNG\nNguyễn Thị Hoa", "TM. ĐOÀN KIỂM TRA\nTRƯỞNG ĐOÀN\nTrần Văn Minh"] in rows
    assert ["Lê Thị Thu", "Phạm Quốc Anh", ""] in rows
    found = texts(docx)
    assert found.index("THÀNH VIÊN ĐOÀN KIỂM TRA") < found.index("Nơi nhận:")


def test_the_page_is_a4_portrait_with_margins_inside_the_nd30_ranges():
    (section,) = opened(minutes()).sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.orientation == WD_ORIENT.PORTRAIT
    top, bottom, left, right = (
        round(getattr(section, f"{side}_margin").mm, 1) for side in ("top", "bottom", "left", "right")
    )  # Word keeps twips
    assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20


def test_text_is_times_new_roman_in_every_script_at_13_to_14_pt():
    docx = opened(minutes())
    scripts = [qn(f"w:{a}") for a in ("ascii", "hAnsi", "eastAsia", "cs")]
    defaults = docx.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    default_fonts = defaults.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert [default_fonts.get(s) for s in scripts] == [FONT] * 4
    assert not [a for a in default_fonts.attrib if a.endswith("Theme") or a.endswith("theme")]
    normal = docx.styles["Normal"]
    assert normal.font.name == FONT and 13 <= normal.font.size.pt <= 14
    runs = [r for p in paragraphs(docx) for r in p.runs if r.text.strip()]
    assert {tuple(r._r.rPr.rFonts.get(s) for s in scripts) for r in runs} == {(FONT,) * 4}
    assert 13 <= size(the(docx, OPENING)) <= 14


def test_body_paragraphs_are_justified_with_a_first_line_indent_and_6_pt_apart():
    fmt = the(opened(minutes()), OPENING).paragraph_format
    assert fmt.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert Cm(1) <= fmt.first_line_indent <= Cm(1.27)
    assert fmt.space_after >= Pt(6)
    assert 1.0 <= fmt.line_spacing <= 1.5


def test_headings_take_their_level_from_their_numbering():
    doc = AdminDocument(Authority(), "BÁO CÁO")
    doc.heading("I. KẾT QUẢ").heading("1. Lồng ghép trong môn học").heading("1.1. Tin học")
    doc.heading("a) Ưu điểm").heading("Kết luận")
    assert [b.level for b in doc.body if isinstance(b, Heading)] == [1, 2, 3, 3, 1]
    docx = opened(doc)
    assert is_bold(the(docx, "I. KẾT QUẢ")) and is_bold(the(docx, "1. Lồng ghép trong môn học"))
    assert all(r.italic and not r.bold for r in the(docx, "a) Ưu điểm").runs)


def test_bullets_start_with_a_dash_once():
    found = texts(opened(minutes()))
    assert "- Nhà trường đã ban hành kế hoạch;" in found and "- Có hồ sơ lớp học 5A." in found


def test_vietnamese_text_comes_out_exactly_and_in_nfc():
    decomposed = unicodedata.normalize("NFD", SCHOOL)
    assert decomposed != SCHOOL
    doc = minutes(subject=unicodedata.normalize("NFD", "Kiểm tra tại " + SCHOOL))
    doc.paragraph(decomposed)
    found = texts(opened(doc))
    assert SCHOOL in found and "Kiểm tra tại " + SCHOOL in found
    assert all(unicodedata.is_normalized("NFC", text) for text in found)


def test_pages_are_numbered_from_the_second_page_on():
    docx = opened(minutes())
    section = docx.sections[0]
    assert section.different_first_page_header_footer
    instructions = [t.text for t in section.header._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE"]
    assert not list(section.first_page_header._element.iter(qn("w:instrText")))
