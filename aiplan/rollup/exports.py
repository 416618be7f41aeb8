"""The rollup as JSON, CSV and XLSX, written from the same read model as the page.

Exports are documents for the offices above the ward: their headers and labels are the
plan's Vietnamese whatever the reader's interface language (the labels are the vocabulary's, read
under force_locale("vi"): aiplan/documents/language.py). No file is ever named in them (restricted
ones are only counted).
"""

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from flask_babel import force_locale

from ..documents.language import VIETNAMESE, in_vietnamese
from ..documents.tables import csv_value
from ..figures.duties import duties_json, duty_rows
from ..figures.pilot import pilot_by_school, pilot_json
from ..figures.readmodel import ItemState, Rollup, SchoolRow
from ..figures.training import training_by_school, training_json
from ..models import RESUBMITTED, ItemStatus, TargetOutcome, Verdict
from ..timeutil import LOCAL_TZ
from . import aitools as tools_export
from . import partners as partners_export

YES, NO = "Có", "Không"
CHUNK = 200  # schools per piece of a streamed export


def item_status_text(item: ItemState | None) -> str:
    """ "Đã hoàn thành", with "(khuyến khích)" for an item the school is only encouraged to do."""
    if item is None:
        return ""
    return str(item.status.label) + ("" if item.required else " (khuyến khích)")


def verdict_text(item: ItemState | None) -> str:
    """ "Cần bổ sung", or "Đạt (đã bổ sung, chờ kiểm tra lại)" for a verdict the school's change has reopened."""
    if item is None:
        return ""
    if item.shown_verdict == RESUBMITTED.value:
        return f"{item.verdict.label} ({str(RESUBMITTED.label).lower()})"
    return str(item.verdict.label)


def met_text(met: bool | None) -> str:
    return "" if met is None else str(TargetOutcome.of(met).short)


def unit_of(target) -> str:
    return "hoạt động lồng ghép" if target.measure == "integration_share" else "lớp"


# -- one row per school: the CSV, and the "Theo trường" sheet --------------------------------------


def school_headers(r: Rollup) -> list[str]:
    headers = [
        "STT",
        "Mã trường",
        "Tên trường",
        "Cấp học",
        "Trường thí điểm",
        "Số mục bắt buộc",
        str(ItemStatus.DONE.label),
        "Tỷ lệ hoàn thành (%)",
        "Đã xác minh đạt",
        str(Verdict.NEEDS_MORE.label),
        "Quá hạn",
    ]
    for summary in r.school_milestones:
        number = summary.milestone.number
        headers += [f"Mốc {number}: trạng thái", f"Mốc {number}: kết quả kiểm tra"]
    for target_summary in r.targets:
        stt = target_summary.target.stt
        headers += [f"STT {stt}: kết quả (số {unit_of(target_summary.target)})", f"STT {stt}: đánh giá"]
    headers += ["Minh chứng phải có", "Minh chứng đã hoàn thành", "Minh chứng đạt"]
    for form in r.forms:
        headers += [f"Số hoạt động ({form.short})", f"Người tham gia ({form.short})", f"Số tiết ({form.short})"]
    return headers + [
        "Lượt học sinh tham gia (2.1–2.3)",
        "Số tiết dạy về AI (2.1–2.3)",
        "Lượt giáo viên được bồi dưỡng",
        "Tệp minh chứng",
        "Trong đó tệp hạn chế",
        "Đã được kiểm tra giữa HK II",
    ]


def school_lines(r: Rollup) -> Iterator[list]:
    """One line per school under school_headers(r), with numbers as numbers."""
    milestone_ids = [summary.milestone.id for summary in r.school_milestones]
    target_ids = [summary.target.id for summary in r.targets]
    form_ids = [form.form.id for form in r.forms]
    for number, row in enumerate(r.rows, start=1):
        school = row.school
        line = [
            number,
            school.slug,
            school.name,
            str(school.level.label),
            YES if row.pilot else NO,
            row.required,
            row.done,
            row.percent,
            row.verified,
            row.needs_more,
            row.late,
        ]
        for milestone_id in milestone_ids:
            item = row.by_milestone.get(milestone_id)
            line += [item_status_text(item), verdict_text(item)]
        by_target = {t.target.id: t for t in row.targets}
        for target_id in target_ids:
            mine = by_target.get(target_id)
            line += [mine.amount, met_text(mine.actual.met)] if mine else [None, ""]
        line += [row.evidence_total, row.evidence_done, row.evidence_verified]
        for form_id in form_ids:
            line += row.activities_of(form_id)
        line += [
            row.pupils,
            row.lessons_taught,
            row.teachers_trained,
            row.evidence_files,
            row.restricted_files,
            YES if row.inspected else NO,
        ]
        yield line


def school_table(r: Rollup) -> tuple[list[str], list[list]]:
    """Headers and one row per school, with numbers as numbers."""
    return school_headers(r), list(school_lines(r))


@in_vietnamese
def csv_chunks(r: Rollup) -> Iterator[bytes]:
    """UTF-8 with a BOM, so that Excel opens the Vietnamese correctly; one row per school, sent
    CHUNK rows at a time. Everything read from the database is read before this returns."""
    headers = school_headers(r)

    def chunks():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        out.write("\ufeff")
        writer.writerow(headers)
        lines = school_lines(r)
        while batch := _vietnamese_rows(lines):
            writer.writerows(batch)
            yield _take(out)
        yield _take(out)

    return chunks()


def _vietnamese_rows(lines: Iterator[list]) -> list[list[str]]:
    """The next CHUNK lines as CSV cells, their labels in Vietnamese. The chunks are mostly written
    after the request, when no language is chosen and the labels are their Vietnamese msgids; the
    locale is forced only while writing, never across a yield, where it would outlive its caller's."""
    with force_locale(VIETNAMESE):
        return [[csv_value(value) for value in line] for line in islice(lines, CHUNK)]


def _take(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode("utf-8")


# -- JSON ------------------------------------------------------------------------------------------


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _item_json(item: ItemState) -> dict:
    return {
        "required": item.required,
        "status": item.status.value,
        "verdict": item.verdict.value,
        "resubmitted": item.resubmitted,
        "due_on": _iso(item.due_on),
        "completed_on": _iso(item.completed_on),
        "on_time": item.on_time,
        "late": item.late,
    }


def to_json(r: Rollup) -> dict:
    """An object with `schools` and `targets` (and the milestones and totals) for other systems."""
    layout = _Layout.of(r)
    return _document(r, [_school_json(row, layout) for row in r.rows])


def json_chunks(r: Rollup) -> Iterator[str]:
    """json_text(to_json(r)), written CHUNK schools at a time. Everything read from the database is
    read before this returns."""
    document, layout = _document(r, []), _Layout.of(r)

    def chunks():
        parts = []
        for index, (key, value) in enumerate(document.items()):
            parts.append(("{" if index == 0 else ",") + json_text(key) + ":")
            if key != "schools":
                parts.append(json_text(value))
                continue
            parts.append("[")
            for number, row in enumerate(r.rows):
                parts.append(("," if number else "") + json_text(_school_json(row, layout)))
                if len(parts) >= CHUNK:
                    yield "".join(parts)
                    parts.clear()
            parts.append("]")
        parts.append("}")
        yield "".join(parts)

    return chunks()


def json_text(value) -> str:
    """Compact, and keeping the letters themselves rather than \\u escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _document(r: Rollup, schools: list[dict]) -> dict:
    return {
        "ward": r.plan.ward.name,
        "school_year": r.year.name,
        "plan": {
            "number": r.plan.number,
            "issued_on": r.plan.issued_on.isoformat() if r.plan.issued_on else None,
            "title": r.plan.title,
        },
        "generated_at": r.generated_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
        "scope": r.single_school.slug if r.single_school else "ward",
        "schools": schools,
        "targets": [
            {
                "stt": s.target.stt,
                "category": s.target.category,
                "target": s.target.minimum,
                "actual": s.met_count,
                "of": s.total,
                "percent": s.percent,
                "required_percent": s.required_percent,
                "met": s.met,
            }
            for s in r.targets
        ],
        "milestones": [
            {
                "number": s.milestone.number,
                "title": s.milestone.title,
                "for_schools": s.milestone.for_schools,
                "required": s.required,
                "done": s.done,
                "on_time": s.on_time,
                "on_time_percent": s.on_time_percent,
                "late": s.late,
                "verified": s.verified,
                "due_on": _iso(s.due_on),
                "ward": _item_json(s.ward_item) if s.ward_item else None,
            }
            for s in r.milestones
        ],
        "totals": {
            "schools": len(r.rows),
            "items": {
                "total": r.total("required"),
                "done": r.total("done"),
                "verified": r.total("verified"),
                "late": r.total("late"),
            },
            "activities": {f.form.code: f.activities for f in r.forms},
            "participants": {f.form.code: f.participants for f in r.forms},
            "lessons": {f.form.code: f.lessons for f in r.forms},
            "pupils": r.pupils,
            "lessons_taught": r.lessons_taught,
            "teachers_trained": r.teachers_trained,
            "pilot_class_content_areas": {c.area.code: c.classes for c in r.coverage},
            "evidence_files": r.total("evidence_files"),
            "restricted_files": r.total("restricted_files"),
        },
        # Who does what and the problems raised (issue 17): a key of its own, the others unchanged.
        "duties": duties_json(duty_rows(r.plan, [row.school for row in r.rows], r.today)),
        **{part.key: part.json() for part in r.parts},
        "partners": partners_export.partners_json(partners_export.figures_of(r)),
        "ai_tools": tools_export.tools_json(tools_export.figures_of(r)),
        # Issue 17, parts 1 and 8: new keys only, every key above stays as it was.
        "teacher_training": training_json(training_by_school(r.plan, [row.school for row in r.rows])),
        "pilot_classes": pilot_json(pilot_by_school(r.plan, [row.school for row in r.rows])),
    }


@dataclass(frozen=True)
class _Layout:
    """What every school's JSON object is laid out by, read from the plan once per export."""

    milestones: list[tuple[int, str]]  # (id, number as the key)
    forms: list[tuple[int, str, bool]]  # (id, code, teaches pupils)

    @classmethod
    def of(cls, r: Rollup) -> "_Layout":
        return cls(
            [(m.id, str(m.number)) for m in r.plan.milestones], [(f.form.id, f.form.code, f.teaching) for f in r.forms]
        )


def _school_json(row: SchoolRow, layout: _Layout) -> dict:
    school = row.school
    forms = [(code, teaching, row.activities_of(form_id)) for form_id, code, teaching in layout.forms]
    return {
        "slug": school.slug,
        "name": school.name,
        "level": school.level.value,
        "pilot": row.pilot,
        "items": {
            "total": row.required,
            "done": row.done,
            "verified": row.verified,
            "late": row.late,
            "needs_more": row.needs_more,
        },
        "milestones": {
            number: _item_json(row.by_milestone[milestone_id])
            for milestone_id, number in layout.milestones
            if milestone_id in row.by_milestone
        },
        "evidence_items": {"total": row.evidence_total, "done": row.evidence_done, "verified": row.evidence_verified},
        "activities": {code: numbers[0] for code, _, numbers in forms},
        "pupils": {code: numbers[1] for code, teaching, numbers in forms if teaching},
        "lessons": {code: numbers[2] for code, _, numbers in forms},
        "teachers_trained": row.teachers_trained,
        "targets_met": {str(stt): met for stt, met in row.targets_met.items()},
        "target_actuals": {str(t.target.stt): t.amount for t in row.targets},
        "evidence_files": row.evidence_files,
        "inspected": row.inspected,
    }


def as_of(r: Rollup) -> str:
    return f"Số liệu đến ngày {r.today:%d/%m/%Y}, {r.plan.ward.name}"


# -- download names --------------------------------------------------------------------------------


def download_name(r: Rollup, extension: str) -> tuple[str, str]:
    """(Vietnamese name, ASCII fallback) for the Content-Disposition of an export."""
    name = f"Tổng hợp giáo dục AI năm học {r.year.name}"
    if r.single_school is not None:
        name += f" - {r.single_school.name}"
    return f"{name}.{extension}", f"{ascii_slug(name)}.{extension}"


def ascii_slug(text: str) -> str:
    """ "Tổng hợp – Đoàn Kết" -> "tong-hop-doan-ket": đ is a letter of its own, not a d with a mark."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "tong-hop"
