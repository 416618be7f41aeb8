"""The guide as a printable DOCX: A4, Times New Roman, the margins of the house's documents
(aiplan/documents/admin_doc.py), a title page line, each task with its screenshot, then the FAQ.

It is a guide, not an administrative document: no quốc hiệu, number or signature; it borrows the
page and type of the documents the ward already prints so that it sits in the same binder.
"""

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from flask import current_app

from ..documents.admin_doc import BODY_CM, BODY_PT, FONT, MARGINS_MM, PAGE_MM
from .content import Guide, Question

SMALL_PT = 12


def guide_docx(guide: Guide, questions: tuple[Question, ...]) -> io.BytesIO:
    """The guide of one role, with the FAQ, as DOCX bytes."""
    doc = Document()
    _setup(doc, guide)
    _para(doc, "HƯỚNG DẪN SỬ DỤNG", bold=True, size=16, align="center")
    _para(doc, "Hệ thống theo dõi kế hoạch thí điểm giáo dục trí tuệ nhân tạo", bold=True, align="center")
    _para(doc, f"Dành cho: {guide.title}", italic=True, align="center", after=12)
    _para(doc, guide.audience, after=6)
    _para(doc, guide.intro, after=6)
    for number, task in enumerate(guide.tasks, start=1):
        _para(doc, f"{number}. {task.title}", bold=True, before=12, after=3, keep=True)
        _para(doc, f"Thời điểm: {task.phase}. {task.when}", keep=True)
        _para(doc, f"Căn cứ: “{task.why}” ({task.why_source})", italic=True, size=SMALL_PT, after=3)
        for step_number, step in enumerate(task.steps, start=1):
            _para(doc, f"Bước {step_number}. {step.text}", indent=0.6)
        shot = guide.shots.get(task.screenshot)
        if shot is not None:
            _picture(doc, shot.file("desktop"), BODY_CM)
            _para(doc, f"Hình {number}. {shot.alt}", italic=True, size=SMALL_PT, align="center", after=6)
        if task.problems:
            _para(doc, "Khi gặp thông báo:", bold=True, before=3)
            for problem in task.problems:
                _para(doc, f"“{problem.shown}” — {problem.meaning}", indent=0.6)
    _para(doc, "CÂU HỎI THƯỜNG GẶP", bold=True, before=18, after=6, align="center")
    for question in questions:
        _para(doc, question.question, bold=True, before=6, keep=True)
        _para(doc, question.answer)
        for message in question.shown_messages:
            _para(doc, f"“{message}”", italic=True, size=SMALL_PT, indent=0.6)
    out = io.BytesIO()
    doc.save(out)
    out.seek(0)
    return out


def _setup(doc, guide: Guide) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    for side, mm in MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(mm))
    # Page numbers centred in the top margin, from the second page, as the house's documents have them.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind in ("begin", "instr", "end"):
        run = number.add_run()
        if kind == "instr":
            field = OxmlElement("w:instrText")
            field.text = "PAGE"
        else:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
        run._r.append(field)
    props = doc.core_properties
    props.title = f"Hướng dẫn sử dụng — {guide.title}"
    props.language = "vi-VN"


def _para(
    doc,
    text: str,
    *,
    bold=False,
    italic=False,
    size: float = BODY_PT,
    align: str = "justify",
    before: float = 0,
    after: float = 0,
    indent: float = 0,
    keep: bool = False,
):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.keep_with_next = keep
    if indent:
        fmt.left_indent = Cm(indent)
    run = p.add_run(text)
    run.bold, run.italic, run.font.size = bold or None, italic or None, Pt(size)
    return p


def _picture(doc, static_file: str, width_cm: float) -> None:
    """A screenshot from static/, centred; a missing one (before `make guide`) is said, not hidden."""
    assert current_app.static_folder is not None
    path = Path(current_app.static_folder) / static_file
    if not path.is_file():
        _para(doc, f"[Chưa có ảnh {static_file}: chạy “make guide”.]", italic=True, align="center")
        return
    p = doc.add_paragraph()
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(str(path), width=Cm(width_cm))
