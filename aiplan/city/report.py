"""The city's consolidated report, from the Sở GD&ĐT's side: the city plan's indicators over every
ward, as a DOCX laid out per Nghị định 30/2020 (documents/admin_doc.py, as the wards' reports).

Its figures are the /city page's (figures/city.py), so the report never counts differently from
the rollup the Sở reads on screen."""

import re

from ..documents.admin_doc import AdminDocument, Authority, Signature
from ..documents.language import in_vietnamese
from ..figures.city import CityRollup
from ..models import IndicatorKind
from ..reports.parts import ROMAN

KIND = "BÁO CÁO"
NUMBER = "/BC-SGDĐT"
_PROVINCE = re.compile(r"^(thành phố|tỉnh)\s+", re.IGNORECASE)
_SO = re.compile(r"^\s*Sở\s+", re.IGNORECASE)


def _short(name: str) -> str:
    """ "Thành phố Hà Nội" -> "Hà Nội"."""
    return _PROVINCE.sub("", name).strip()


def _in_sentence(name: str) -> str:
    """ "Thành phố Hà Nội" -> "thành phố Hà Nội"."""
    return _PROVINCE.sub(lambda m: m.group(0).lower(), name)


def _percent(done: int, required: int) -> str:
    return f"{done}/{required} ({round(100 * done / required)}%)" if required else "—"


@in_vietnamese
def build_city_report(r: CityRollup) -> AdminDocument:
    """The Sở's report on its wards as an administrative document, ready to render."""
    city, plan = r.city, r.plan
    year = plan.school_year if plan else ""
    authority = city.authority or f"Sở Giáo dục và Đào tạo {_short(city.name)}"
    doc = AdminDocument(
        Authority(f"UBND {city.name}".upper(), authority.upper()),
        KIND,
        subject=f"Kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo trên địa bàn {_in_sentence(city.name)}"
        + (f" năm học {year}" if year else ""),
        number=NUMBER,
        place=_short(city.name),
        date=None,
        year=r.today.year,
        recipients=[
            f"- UBND {city.name} (để báo cáo);",
            "- Bộ Giáo dục và Đào tạo (để báo cáo);",
            "- UBND các phường, xã;",
            "- Lưu: VT, GDPT.",
        ],
        signatures=[_signature(r)],
    )
    basis = "; ".join(plan.basis_lines) if plan and plan.basis_lines else "kế hoạch của Sở"
    doc.paragraph(
        f"Căn cứ {basis}, {authority} báo cáo kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo tại "
        f"{len(r.wards)} phường, xã với {r.schools} trường trên địa bàn {_in_sentence(city.name)} "
        f"(số liệu tổng hợp từ báo cáo của các phường, xã, tính đến ngày {r.today:%d/%m/%Y}) như sau:"
    )
    numerals = iter(ROMAN)
    _indicators(doc, next(numerals), r)
    _wards(doc, next(numerals), r)
    _late(doc, next(numerals), r)
    doc.paragraph(
        f"Trên đây là báo cáo kết quả triển khai thí điểm giáo dục trí tuệ nhân tạo trên địa bàn "
        f"{_in_sentence(city.name)}" + (f" năm học {year}" if year else "") + f" của {authority}./."
    )
    return doc


def _signature(r: CityRollup):
    plan = r.plan
    if plan and plan.signer_title:
        parts = [part.strip() for part in re.split(r"/|\n", plan.signer_title) if part.strip()]
        return Signature(parts[0].upper(), title="\n".join(parts[1:]).upper(), name=plan.signer)
    return Signature("KT. GIÁM ĐỐC", title="PHÓ GIÁM ĐỐC", name=plan.signer if plan else "")


def _indicators(doc: AdminDocument, numeral: str, r: CityRollup) -> None:
    doc.heading(f"{numeral}. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU, MỐC CỦA KẾ HOẠCH")
    if not r.indicators:
        doc.paragraph("Thành phố chưa nạp kế hoạch với các chỉ tiêu mà các phường, xã báo cáo.")
        return
    doc.table(
        ("Mã", "Nội dung", "Hoàn thành", "Đúng hạn", "Quá hạn", "Đã kiểm tra xác nhận", "Số phường, xã quá hạn"),
        [
            (
                t.indicator.code,
                t.indicator.title,
                _percent(t.cell.done, t.cell.required),
                t.cell.on_time,
                t.cell.late,
                t.cell.verified,
                t.wards_late,
            )
            for t in r.indicators
        ],
        widths=(1.6, 5, 2.4, 1.5, 1.4, 1.8, 1.8),
        align=("center", None, "center", "center", "center", "center", "center"),
    )
    doc.paragraph(
        "Mỗi mốc tính trên các việc bắt buộc của các trường và của phường, xã; mỗi chỉ tiêu tính trên số "
        "trường phải thực hiện, là đạt khi các hoạt động đã ghi nhận của trường đáp ứng chỉ tiêu. “Đúng hạn”: "
        "hoàn thành trước hoặc đúng thời hạn; “Đã kiểm tra xác nhận”: được đoàn kiểm tra xác nhận đạt."
    )
    targets = [t for t in r.indicators if t.indicator.kind is IndicatorKind.TARGET]
    if targets:
        doc.bullets(
            [
                f"{t.indicator.code} ({t.indicator.basis or 'Phụ lục II'}): "
                f"{_percent(t.cell.done, t.cell.required)} trường đạt."
                for t in targets
            ]
        )


def _wards(doc: AdminDocument, numeral: str, r: CityRollup) -> None:
    doc.heading(f"{numeral}. KẾT QUẢ CỦA TỪNG PHƯỜNG, XÃ")
    if not r.wards:
        doc.paragraph("Thành phố chưa có phường, xã nào.")
        return
    doc.table(
        ("STT", "Phường, xã", "Số trường", "Hoàn thành", "Quá hạn", "Đã kiểm tra xác nhận", "Ghi chú"),
        [
            (
                number,
                line.ward.name,
                line.schools,
                _percent(line.total.done, line.total.required),
                line.total.late,
                line.total.verified,
                "Chưa có kế hoạch năm học" if not line.has_plan else ("Chưa gắn mã chỉ tiêu" if line.unmapped else ""),
            )
            for number, line in enumerate(r.wards, start=1)
        ],
        widths=(1.1, 4, 1.5, 2.6, 1.5, 1.9, 2.4),
        align=("center", None, "center", "center", "center", "center", None),
    )
    doc.paragraph("Các phường, xã xếp theo số việc quá hạn, nhiều nhất trước.")


def _late(doc: AdminDocument, numeral: str, r: CityRollup) -> None:
    doc.heading(f"{numeral}. CÁC PHƯỜNG, XÃ CÒN VIỆC QUÁ HẠN")
    late = [line for line in r.wards if line.total.late]
    if not late:
        doc.paragraph(f"Đến ngày {r.today:%d/%m/%Y}, không phường, xã nào có việc quá hạn.")
        return
    doc.bullets(
        [
            f"{line.ward.name}: {line.total.late} việc quá hạn ("
            + ", ".join(
                f"{t.indicator.code}: {line.cell(t.indicator.code).late}"
                for t in r.indicators
                if line.cell(t.indicator.code).late
            )
            + ")."
            for line in late
        ]
    )
    doc.paragraph(
        f"Đề nghị UBND các phường, xã nêu trên chỉ đạo hoàn thành các việc quá hạn và báo cáo về {r.city.authority}."
    )


def city_report_filename(r: CityRollup) -> str:
    """An ASCII download name: "bao-cao-tong-hop-ha-noi-2025-2026.docx"."""
    year = re.sub(r"[^0-9-]+", "", r.plan.school_year) if r.plan else ""
    return f"bao-cao-tong-hop-{r.city.slug}" + (f"-{year}" if year else "") + ".docx"
