"""What the school's and the ward's reports share: the number, the signature, the sentence that cites
the plan, the parts people write, and a preview of the document for the page.

The page shows `preview(document)`, built from the very `AdminDocument` that becomes the DOCX,
so the page and the file never say different things.
"""

import re

from ..documents.admin_doc import (
    AdminDocument,
    Bullets,
    Heading,
    Paragraph,
    Signature,
    Table,
    _cell_text,
    format_number_line,
    format_vietnamese_date,
)
from ..models import Plan, Problem, ProblemStatus, ReportText, School, UpwardReport, Ward
from ..timeutil import local_day
from .services import paragraphs

DOTS = "…" * 28  # a line to fill by hand, as in the minutes
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_LOCALITY = re.compile(r"^(phường|xã|thị trấn)\s+", re.IGNORECASE)
_PROVINCE = re.compile(r"^(thành phố|tỉnh)\s+", re.IGNORECASE)


def place_name(ward: Ward) -> str:
    """Where documents are signed: "Phường Long Biên" -> "Long Biên"."""
    return _LOCALITY.sub("", ward.name).strip()


def education_department(ward: Ward) -> str:
    """The Sở GD&ĐT above the ward: "Thành phố Hà Nội" -> "Sở Giáo dục và Đào tạo Hà Nội"."""
    return f"Sở Giáo dục và Đào tạo {_PROVINCE.sub('', ward.city).strip()}".strip()


def in_sentence(name: str) -> str:
    """ "Phường Long Biên" -> "phường Long Biên", as a ward is named inside a sentence."""
    return _LOCALITY.sub(lambda m: m.group(0).lower(), name)


def school_code(school: School) -> str:
    """A school's initials as in its document numbers: "Trường Tiểu học Đoàn Kết" -> "THĐK",
    "Trường THCS Thạch Bàn" -> "THCSTB" (a word in capitals is kept whole)."""
    words = re.findall(r"\w+", school.name)
    if words and words[0].lower() == "trường":
        words = words[1:]
    return "".join(word if word.isupper() else word[0].upper() for word in words)


def document_number(typed: str, suffix: str) -> str:
    """The number a report carries: nothing typed -> "/BC-THĐK" (a blank to fill by hand);
    "12" -> "12/BC-THĐK"; anything else as typed."""
    typed = (typed or "").strip()
    if not typed or typed.isdigit():
        return typed + suffix
    return typed


def signature(text: ReportText | UpwardReport | None, default_role: str) -> Signature:
    """The signature block: the typed title (or else the default role), split on "/" or a line break
    into authority and title lines ("KT. HIỆU TRƯỞNG / PHÓ HIỆU TRƯỞNG"; "TM. ỦY BAN NHÂN DÂN / KT. CHỦ
    TỊCH / PHÓ CHỦ TỊCH" prints three lines); the signer's name below."""
    typed = text.signer_title if text is not None else ""
    parts = _lines(typed) or _lines(default_role)
    return Signature(parts[0], title="\n".join(parts[1:]), name=text.signer_name if text is not None else "")


def _lines(title: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"/|\n", title or "") if part.strip()]


def plan_reference(plan: Plan) -> str:
    """ "Kế hoạch số 123/KH-UBND ngày 10/01/2026 của UBND phường Long Biên về việc triển khai thực hiện
    thí điểm …"; a number not yet filled in reads "…/KH-UBND", and an unknown date is left out."""
    number = plan.number.strip()
    number = f"…{number}" if number.startswith("/") else number
    title = plan.title.strip()
    head = "Kế hoạch"
    about = title[len(head) :].strip() if title.lower().startswith(head.lower()) else title
    cited = f"{head} số {number}" if number else head
    if plan.issued_on:
        cited += f" ngày {plan.issued_on:%d/%m/%Y}"
    return f"{cited} của {plan.ward.authority} về việc {about}"


def written_parts(
    doc: AdminDocument, numeral: str, text: ReportText | None, raised: list[Problem] | None = None, *, by_school=False
) -> None:
    """The last section: what people wrote about difficulties and proposals, or lines to fill by hand;
    under the difficulties, the problems raised through the app (`raised`, if given), after the text."""
    doc.heading(f"{numeral}. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ")
    for number, (heading, value) in enumerate(
        (
            ("1. Khó khăn, vướng mắc", text.difficulties if text else ""),
            ("2. Đề xuất, kiến nghị", text.proposals if text else ""),
        )
    ):
        doc.heading(heading)
        for line in paragraphs(value) or [DOTS, DOTS]:
            doc.paragraph(line)
        if number == 0 and raised is not None:
            raised_problems(doc, raised, by_school=by_school)


def raised_problems(doc: AdminDocument, raised: list[Problem], *, by_school: bool) -> None:
    """The problems raised with the Phòng VHXH through the app: how many, how many still open, and
    each open one (its school, subject, the day it was raised, who handles it); closed ones summarised."""
    open_ = [problem for problem in raised if problem.status is ProblemStatus.OPEN]
    if not raised:
        doc.paragraph("Không có vướng mắc nào được báo cáo qua hệ thống theo dõi trong năm học.", italic=True)
        return
    doc.paragraph(
        f"Vướng mắc đã báo cáo về Phòng Văn hóa - Xã hội qua hệ thống theo dõi: {len(raised)}, trong đó "
        f"đã giải quyết, đóng: {len(raised) - len(open_)}; đang xử lý: {len(open_)}."
    )
    if open_:
        doc.bullets(
            [
                f"- {problem.school.name + ': ' if by_school else ''}{problem.subject} (báo cáo ngày "
                f"{local_day(problem.raised_at):%d/%m/%Y}"
                f"{'; ' + problem.assignee.display_name + ' xử lý' if problem.assignee else ''})"
                for problem in open_
            ]
        )


def preview(doc: AdminDocument) -> dict:
    """The document as templates/reports/_document.html shows it."""
    blocks = []
    for block in doc.body:
        if isinstance(block, Heading):
            blocks.append({"type": "heading", "text": block.text, "level": block.level})
        elif isinstance(block, Paragraph):
            blocks.append({"type": "paragraph", "text": block.text, "bold": block.bold, "italic": block.italic})
        elif isinstance(block, Bullets):
            blocks.append({"type": "bullets", "items": [item.lstrip("-+• ").strip() for item in block.items]})
        elif isinstance(block, Table):
            rows = [
                [
                    {"text": _cell_text(value), "align": align or _default_align(value)}
                    for value, align in zip(row, block.align)
                ]
                for row in block.rows
            ]
            blocks.append(
                {
                    "type": "table",
                    "headers": block.headers,
                    "rows": rows,
                    "align": [align or "left" for align in block.align],
                }
            )
    place = f"{doc.place}, " if doc.place else ""
    return {
        "authority": doc.authority,
        "number_line": format_number_line(doc.number),
        "date_line": place + format_vietnamese_date(doc.date, doc.year),
        "kind": doc.kind,
        "subject": doc.subject,
        "blocks": blocks,
        "signatures": doc.signatures,
        "recipients": [line.lstrip("- ").strip() for line in doc.recipients],
    }


def _default_align(value) -> str:
    return "right" if isinstance(value, (int, float)) and not isinstance(value, bool) else "left"
