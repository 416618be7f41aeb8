"""Vietnamese administrative documents as DOCX, laid out per Nghị định 30/2020/NĐ-CP, Phụ lục I.

Data in, bytes out: describe an `AdminDocument`, add body blocks, call `render`. No Flask or
database here, so the minutes and the reports build on it and tests need no app.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal
from typing import Any

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from flask_babel.speaklater import LazyString

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
PAGE_MM = (210, 297)  # A4 portrait
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
BODY_CM = (PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]) / 10
FIRST_LINE_CM = 1.27
BLANK = " " * 6  # room to write a number or a day by hand
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
MOTTO_CM = 5.61  # the motto's width in Times New Roman bold 13 pt: its rule is exactly as wide
# authority | national title, without cell margins: the title at 12 pt needs 8.9 cm and
# "TRƯỜNG TIỂU HỌC ĐOÀN KẾT" at 13 pt 7.0 cm
LETTERHEAD_CM = (7.4, 9.1)

Cell = str | int | float | Decimal | None
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
_LEVELS = (
    (re.compile(r"[IVXLC]+\.\s"), 1),
    (re.compile(r"\d+\.\d+"), 3),
    (re.compile(r"\d+\.\s"), 2),
    (re.compile(r"[a-zđ]\)\s"), 3),
)


@dataclass(frozen=True)
class Authority:
    parent: str = ""  # cơ quan chủ quản, e.g. "UBND PHƯỜNG LONG BIÊN"
    issuer: str = ""  # cơ quan ban hành, e.g. "PHÒNG VĂN HÓA - XÃ HỘI"


@dataclass(frozen=True)
class Signature:
    role: str  # quyền hạn / tập thể: "TM. ĐOÀN KIỂM TRA", "KT. TRƯỞNG PHÒNG", "TRƯỞNG PHÒNG"
    title: str = ""  # chức vụ: "TRƯỞNG ĐOÀN", "PHÓ TRƯỞNG PHÒNG"
    name: str = ""  # left empty, the signer writes it by hand
    note: str = ""  # e.g. "(Ký, ghi rõ họ tên)"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]  # proportions of the text width
    align: tuple[str | None, ...]  # per column; None: numbers right, text left


Block = Heading | Paragraph | Bullets | Table


@dataclass
class AdminDocument:
    authority: Authority
    kind: str  # tên loại: "BIÊN BẢN", "BÁO CÁO"
    subject: str = ""  # trích yếu
    number: str = ""  # "12/BB-VHXH"; "/BC-VHXH" leaves the number blank; "" omits the line
    place: str = ""
    date: Date | None = None  # None: blanks to fill by hand, in `year`
    year: int | None = None
    recipients: list[str] = field(default_factory=list)  # nơi nhận
    signatures: list[Signature] = field(default_factory=list)  # side by side, two per row
    members: list[str] = field(default_factory=list)  # further signers, e.g. the team
    members_title: str = "THÀNH VIÊN ĐOÀN KIỂM TRA"
    body: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int | None = None) -> AdminDocument:
        """Add "I. …" (level 1), "1. …" (2) or "a) …" (3); the level follows the numbering."""
        text = _fixed(text)
        if level is None:
            level = next((lv for pattern, lv in _LEVELS if pattern.match(text)), 1)
        if level not in (1, 2, 3):
            raise ValueError("heading levels are 1 (I.), 2 (1.) and 3 (a))")
        self.body.append(Heading(text, level))
        return self

    def paragraph(self, text: str, *, bold: bool = False, italic: bool = False) -> AdminDocument:
        self.body.append(Paragraph(_fixed(text), bold, italic))
        return self

    def bullets(self, items: Sequence[str]) -> AdminDocument:
        self.body.append(Bullets(tuple(_fixed(item) for item in items)))
        return self

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float] | None = None,
        align: Sequence[str | None] | None = None,
    ) -> AdminDocument:
        n = len(headers)
        widths = tuple(widths) if widths else (1.0,) * n
        align = tuple(align) if align else (None,) * n
        bad = [i for i, row in enumerate(rows) if len(row) != n]
        if bad or len(widths) != n or len(align) != n or min(widths, default=0) <= 0:
            raise ValueError(f"table of {n} columns: widths, align and rows {bad} must match")
        if not set(align) <= set(_ALIGN) | {None}:
            raise ValueError(f"align must be one of {sorted(_ALIGN)} or None")
        fixed_rows = tuple(tuple(_fixed(cell) for cell in row) for row in rows)
        self.body.append(Table(tuple(_fixed(h) for h in headers), fixed_rows, widths, align))
        return self


def _fixed(value):
    """A label (a lazy string) as text in the language the document is being built in, so that it
    does not change with the language of whoever renders or previews the document later."""
    return str(value) if isinstance(value, LazyString) else value


def format_vietnamese_date(day: Date | None, year: int | None = None) -> str:
    """ "ngày 05 tháng 3 năm 2026"; days below 10 and months 1-2 take a leading zero (NĐ 30).

    Without a date, blanks to fill by hand: "ngày      tháng      năm 2026" (year defaults to now).
    """
    if day is None:
        return f"ngày{BLANK}tháng{BLANK}năm {year or Date.today().year}"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def format_number_line(number: str) -> str:
    """ "5/BB-VHXH" -> "Số: 05/BB-VHXH"; "/BC-VHXH" -> "Số:      /BC-VHXH"; "" -> ""."""
    number = _nfc(number).strip()
    if not number or number.lower().startswith("số"):
        return number
    if number.startswith("/"):
        return f"Số:{BLANK}{number}"
    return "Số: " + re.sub(r"^(\d)(?=\D|$)", r"0\1", number)


def office_code(office: str) -> str:
    """The office's initials, as in its document numbers: "Phòng Văn hóa - Xã hội" -> "VHXH"."""
    words = re.findall(r"\w+", office)
    if words and words[0].lower() == "phòng":
        words = words[1:]
    return "".join(word[0] for word in words).upper()


def render(document: AdminDocument, progress: Callable[[int, int, str], None] | None = None) -> bytes:
    """The document as DOCX bytes, ready to print and sign. `progress(done, total, step)` is told of
    each block written (a background job shows it)."""
    docx = Document()
    _setup(docx, document)
    _letterhead(docx, document)
    _paragraph(docx, document.kind.upper(), bold=True, before=18)
    if document.subject:
        _paragraph(docx, document.subject, bold=True)
        _rule(docx, 0.4 * min(_width_cm(document.subject, BODY_PT), BODY_CM), BODY_CM)
    _paragraph(docx, size=6)
    for number, block in enumerate(document.body, start=1):
        _BLOCKS[type(block)](docx, block)
        if progress is not None:
            progress(number, len(document.body), "")
    _closing(docx, document)
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _width_cm(text: str, pt: float) -> float:
    """Rough width of a line in Times New Roman, enough to size a rule 1/3-1/2 as long."""
    em = sum(0.68 if c.isupper() else 0.48 if c.isalnum() else 0.28 for c in text)
    return em * pt * 2.54 / 72


def _set_fonts(rpr) -> None:
    # Word picks a font per script: set all four, and drop the theme fonts that would win.
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)


def _setup(docx, document: AdminDocument) -> None:
    defaults = docx.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr)
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(BODY_PT * 2))
    for attr in ("val", "eastAsia"):
        rpr.find(qn("w:lang")).set(qn(f"w:{attr}"), "vi-VN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    normal = docx.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    _set_fonts(normal.element.get_or_add_rPr())

    section = docx.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    for side, mm in MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(mm))
    section.header_distance = section.footer_distance = Mm(10)
    # Page numbers centred in the top margin, not on the first page (NĐ 30, Phụ lục I).
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", ""), ("instr", "PAGE"), ("separate", ""), ("end", "")):
        run = number.add_run()
        run.font.size = Pt(BODY_PT)
        _set_fonts(run._r.get_or_add_rPr())
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.text = text
            run._r.append(instr)
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)

    props = docx.core_properties
    props.title = _nfc(document.subject or document.kind)
    props.author = props.last_modified_by = _nfc(document.authority.issuer)
    props.language = "vi-VN"


def _paragraph(
    container,
    text: str = "",
    *,
    size: float = BODY_PT,
    bold=False,
    italic=False,
    align: str = "center",
    before: float = 0,
    after: float = 0,
    indent: float = 0,
    line: float = 1.0,
):
    cell_fresh = (
        isinstance(container, _Cell)
        and len(container.paragraphs) == 1
        and container.paragraphs[0]._p.pPr is None
        and not container.paragraphs[0].runs
    )
    p = container.paragraphs[0] if cell_fresh else container.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = _ALIGN[align]
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = line
    if indent:
        fmt.first_line_indent = Cm(indent)
    if text:
        run = p.add_run(_nfc(text))
        run.font.size, run.bold, run.italic = Pt(size), bold or None, italic or None
        _set_fonts(run._r.get_or_add_rPr())
    else:
        fmt.line_spacing = Pt(size)  # an empty line as tall as asked, whatever the font
    return p


def _rule(container, length_cm: float, room_cm: float) -> None:
    """A solid line `length_cm` long, centred under the previous line: a thin bordered paragraph."""
    p = _paragraph(container, size=1, before=3)  # 3 pt clear of the descenders
    border = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for attr, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "auto")):
        top.set(qn(f"w:{attr}"), value)
    border.append(top)
    p._p.get_or_add_pPr().insert_element_before(border, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr")
    side = Cm(max(room_cm - length_cm, 0) / 2)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side


# w:tblPr children must keep the schema's order, or Word calls the file damaged.
_AFTER_BORDERS = (
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
    "w:tblCaption",
    "w:tblDescription",
    "w:tblPrChange",
)


def _no_borders(table, value: str = "nil") -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), value)
        if value != "nil":
            el.set(qn("w:sz"), "4")
            el.set(qn("w:color"), "auto")
        borders.append(el)
    table._tbl.tblPr.insert_element_before(borders, *_AFTER_BORDERS)


def _layout_table(docx, widths_cm: Sequence[float], rows: int, borders: str = "nil", padded: bool = True):
    table = docx.add_table(rows=rows, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # fixed layout: Word and LibreOffice keep the given widths
    _no_borders(table, borders)
    width = table._tbl.tblPr.find(qn("w:tblW"))
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(Cm(sum(widths_cm)).twips))
    if not padded:
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), "0")
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        table._tbl.tblPr.insert_element_before(margins, *_AFTER_BORDERS[2:])
    for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths_cm):
        col.w = Cm(width)
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a signature stays whole
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    return table


def _letterhead(docx, document: AdminDocument) -> None:
    left, right = LETTERHEAD_CM
    table = _layout_table(docx, LETTERHEAD_CM, rows=2, padded=False)
    authority, nation = table.rows[0].cells
    lines = [(t, i == 1) for i, t in enumerate((document.authority.parent, document.authority.issuer)) if t]
    for text, bold in lines:
        _paragraph(authority, text.upper(), size=13, bold=bold)
    if lines:
        _rule(authority, 0.4 * min(_width_cm(lines[-1][0].upper(), 13), left), left)
    _paragraph(nation, NATIONAL_TITLE, size=12, bold=True)
    _paragraph(nation, MOTTO, size=13, bold=True)
    _rule(nation, MOTTO_CM, right)
    number, dated = table.rows[1].cells
    _paragraph(number, format_number_line(document.number), size=13, before=6)
    place = f"{_nfc(document.place)}, " if document.place else ""
    _paragraph(dated, place + format_vietnamese_date(document.date, document.year), italic=True, before=6)


def _heading(docx, block: Heading) -> None:
    p = _paragraph(
        docx,
        block.text,
        bold=block.level < 3,
        italic=block.level >= 3,
        align="justify",
        before=6,
        after=6,
        indent=FIRST_LINE_CM,
        line=1.15,
    )
    p.paragraph_format.keep_with_next = True


def _body_paragraph(docx, block: Paragraph) -> None:
    _paragraph(
        docx,
        block.text,
        bold=block.bold,
        italic=block.italic,
        align="justify",
        after=6,
        indent=FIRST_LINE_CM,
        line=1.15,
    )


def _bullets(docx, block: Bullets) -> None:
    for item in block.items:
        text = item if item.lstrip()[:1] in ("-", "+", "•") else f"- {item}"
        _paragraph(docx, text, align="justify", after=6, indent=FIRST_LINE_CM, line=1.15)


def _cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.translate(str.maketrans(",.", ".,"))  # Vietnamese: 1.234,5


def _table(docx, block: Table) -> None:
    total = sum(block.widths)
    widths = [BODY_CM * w / total for w in block.widths]
    table = _layout_table(docx, widths, rows=1, borders="single")
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeated on every page
    for cell, text in zip(header.cells, block.headers):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _paragraph(cell, text, size=TABLE_PT, bold=True, before=3, after=3)
    for values in block.rows:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, value, align in zip(row.cells, values, block.align):
            number = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _paragraph(
                cell,
                _cell_text(value),
                size=TABLE_PT,
                before=2,
                after=2,
                align=align or ("right" if number else "left"),
            )
    _paragraph(docx, size=6)  # keeps two tables apart and the next paragraph off the border


def _signature(cell, signature: Signature) -> None:
    _paragraph(cell, signature.role.upper(), bold=True)
    if signature.title:
        _paragraph(cell, signature.title.upper(), bold=True)
    if signature.note:
        _paragraph(cell, signature.note, size=13, italic=True)
    _paragraph(cell, signature.name or " ", bold=True, before=72)  # room to sign


def _recipients(cell, recipients: Sequence[str]) -> None:
    _paragraph(cell, "Nơi nhận:", size=12, bold=True, italic=True, align="left")
    for line in recipients:
        _paragraph(cell, line if line.startswith("-") else f"- {line}", size=11, align="left")


def _closing(docx, document: AdminDocument) -> None:
    """Nơi nhận on the left of a lone signature; two signatures side by side; then the members."""
    signatures, recipients = document.signatures, document.recipients
    if docx.paragraphs:  # the signatures never stand alone on the last page
        docx.paragraphs[-1].paragraph_format.keep_with_next = True
    _paragraph(docx, size=6).paragraph_format.keep_with_next = True
    beside = len(signatures) <= 1 and recipients
    if beside or signatures:
        pairs = [signatures[i : i + 2] for i in range(0, len(signatures), 2)] or [[]]
        widths = (7.5, BODY_CM - 7.5) if len(signatures) <= 1 else (BODY_CM / 2,) * 2
        table = _layout_table(docx, widths, rows=len(pairs))
        for row, pair in zip(table.rows, pairs):
            for cell, signature in zip(row.cells[2 - len(pair) :], pair):
                _signature(cell, signature)
        if beside:
            _recipients(table.rows[0].cells[0], recipients)
    if document.members:
        title = _paragraph(docx, document.members_title.upper(), bold=True, before=12)
        title.paragraph_format.keep_with_next = True
        groups = [document.members[i : i + 3] for i in range(0, len(document.members), 3)]
        table = _layout_table(docx, (BODY_CM / 3,) * 3, rows=len(groups))
        for row, names in zip(table.rows, groups):
            for cell, name in zip(row.cells, names):
                _paragraph(cell, name, bold=True, before=60)
    if recipients and not beside:
        _paragraph(docx, size=12)
        _recipients(docx, recipients)


_BLOCKS: dict[type, Callable[[Any, Any], None]] = {
    Heading: _heading,
    Paragraph: _body_paragraph,
    Bullets: _bullets,
    Table: _table,
}
