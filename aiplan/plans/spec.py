"""Reading and validating a plan file (TOML) into plain data, before anything touches the database.

Every problem is reported with the file, the entry and the field, in Vietnamese, so that a
ward official who edits a plan file can fix it without a developer.
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import cast

from ..inputs import has_nul
from ..models import Owner, RequiredOf, SchoolLevel, Timing
from ..models.plan import ContentArea, Deadline, DeliveryForm, EvidenceRequirement, Milestone, Plan, Target
from ..models.ward import Ward

FORMAT_VERSION = 1
TRACKS = {
    "inspections": "các đợt kiểm tra của phường tại trường (mốc kiểm tra, giám sát)",
    "self_evaluation": "bản tự đánh giá của nhà trường theo các tiêu chí",
}
MEASURES = {
    "elective_classes": "số lớp học chuyên đề học tập lựa chọn (hình thức 2.2)",
    "integration_share": "tỷ lệ trường có hoạt động lồng ghép (hình thức 2.1), %",
}
# TOML writes it as \u0000; PostgreSQL cannot store it, and no plan means it.
NUL_IN_TEXT = "trường '{}' chứa ký tự NUL (mã 0, trong tệp là \\u0000), không được phép; hãy xóa ký tự này"
# How long a text field may be: the length of the column that keeps it (PostgreSQL refuses longer
# with an error, SQLite would keep it). Fields kept as Text have no limit.
TEXT_LIMITS = {
    key: column.type.length
    for key, column in {
        "slug": Ward.slug,
        "name": Ward.name,
        "city": Ward.city,
        "authority": Ward.authority,
        "office": Ward.office,
        "number": Plan.number,
        "receiver": Deadline.receiver,
        "feeds": Deadline.feeds,
        "signer": Plan.signer,
        "signer_title": Plan.signer_title,
        "timing_text": Milestone.timing_text,
        "owner_text": Milestone.owner_text,
        "school_deadline": Milestone.school_deadline_key,
        "ward_deadline": Milestone.ward_deadline_key,
        "key": Deadline.key,
        "managing_body": Target.managing_body,
        "code": ContentArea.code,
        "framework_code": ContentArea.framework_code,
        "section": DeliveryForm.section,
        "city_indicator": Milestone.city_indicator,
    }.items()
}
EVIDENCE_LIMITS = {"key": EvidenceRequirement.key.type.length, "title": EvidenceRequirement.title.type.length}
CALENDAR_FIELDS = (
    "hk1_start",
    "hk1_end",
    "hk2_start",
    "hk2_end",
    "midterm_start",
    "midterm_end",
    "ends_on",
    "closes_on",
)


class PlanFileError(Exception):
    """A plan file that cannot be loaded; `problems` lists every reason, one line each."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass
class EvidenceSpec:
    key: str
    title: str
    timing: Timing


@dataclass
class TargetSpec:
    stt: int
    category: str
    managing_body: str
    minimum: str
    forms_text: str
    evidence_text: str
    levels: list[SchoolLevel]
    pilot: bool | None
    measure: str
    measure_min: int
    timing: Timing
    evidence: list[EvidenceSpec]
    city_indicator: str | None = None  # the city plan's code ("HN-T05"), when the ward reports on one


@dataclass
class MilestoneSpec:
    number: int
    title: str
    timing: Timing
    timing_text: str
    owners: list[Owner]
    owner_text: str
    required_of: RequiredOf
    school_deadline: str | None
    ward_deadline: str | None
    tracks: str | None = None
    pilot_rule: str = ""
    others_rule: str = ""
    city_indicator: str | None = None  # the city plan's code ("HN-M03"), when the ward reports on one


@dataclass
class DeadlineSpec:
    key: str
    title: str
    owner_text: str
    before: date | None
    yearly_before: str | None
    sender: Owner | None = None
    receiver: str = ""
    document: str = ""
    basis: str = ""
    ward_sets: bool = False
    feeds: str | None = None


@dataclass
class PlanSpec:
    source_name: str
    sha256: str
    ward: dict
    school_year: str
    number: str
    title: str
    signer: str
    signer_title: str
    targets_note: str
    calendar: dict[str, date]
    issued_on: date | None = None
    schedule_note: str = ""
    content_areas: list[dict] = field(default_factory=list)
    delivery_forms: list[dict] = field(default_factory=list)
    milestones: list[MilestoneSpec] = field(default_factory=list)
    deadlines: list[DeadlineSpec] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)
    roadmap: list[str] = field(default_factory=list)
    targets: list[TargetSpec] = field(default_factory=list)


def read_plan_file(path: str | Path) -> PlanSpec:
    path = Path(path)
    return parse_plan(read_bytes(path), path.name)


def read_bytes(path: Path) -> bytes:
    """A plan file's bytes (the ward's or the city's); PlanFileError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PlanFileError(path.name, [f"không đọc được tệp: {exc.strerror}"]) from exc


def load_toml(raw: bytes, source_name: str) -> dict:
    """A plan file's TOML (the ward's or the city's); PlanFileError naming the line that breaks it."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanFileError(source_name, ["tệp không phải văn bản UTF-8"]) from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        place = f" ở dòng {where[1]}, cột {where[2]}" if where else ""
        raise PlanFileError(source_name, [f"sai cú pháp TOML{place} (chi tiết: {exc})"]) from None


def parse_plan(raw: bytes, source_name: str) -> PlanSpec:
    """Validate a plan file's bytes; raise PlanFileError listing every problem found."""
    data = load_toml(raw, source_name)
    checker = _Checker()
    spec = checker.plan(data, source_name, hashlib.sha256(raw).hexdigest())
    if checker.problems:
        raise PlanFileError(source_name, checker.problems)
    return spec


class _Checker:
    """Collects problems instead of stopping at the first, so one run shows them all."""

    def __init__(self):
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    # -- field readers ---------------------------------------------------------------------
    def table(self, data: dict, name: str) -> dict:
        value = data.get(name)
        if value is None:
            self.fail(f"[{name}]", "thiếu mục này")
            return {}
        if not isinstance(value, dict):
            self.fail(f"[{name}]", "phải là một bảng [ ]")
            return {}
        return value

    def entries(self, data: dict, name: str, required: bool = True) -> list[tuple[str, dict]]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(f"[[{name}]]", "phải là danh sách các bảng [[" + name + "]]")
            return []
        if required and not value:
            self.fail(f"[[{name}]]", "cần ít nhất một mục")
        return [(f"[[{name}]] thứ {i}", entry) for i, entry in enumerate(value, start=1)]

    def unknown(self, entry: dict, where: str, allowed: set[str]) -> None:
        for key in sorted(set(entry) - allowed):
            self.fail(where, f"trường '{key}' không có trong định dạng kế hoạch (gõ sai tên?)")

    def text(
        self, entry: dict, where: str, key: str, required: bool = True, default: str = "", limit: int | None = None
    ) -> str:
        if key not in entry:
            if required:
                self.fail(where, f"thiếu trường '{key}'")
            return default
        value = entry[key]
        if not isinstance(value, str):
            self.fail(where, f"trường '{key}' phải là chuỗi ký tự, không phải {_type_name(value)}")
            return default
        if has_nul(value):
            self.fail(where, NUL_IN_TEXT.format(key))
            return default
        limit = limit or TEXT_LIMITS.get(key)
        if limit and len(value.strip()) > limit:
            self.fail(where, f"trường '{key}' dài quá {limit} ký tự (đang có {len(value.strip())})")
            return default
        if required and not value.strip():
            self.fail(where, f"trường '{key}' không được để trống")
        return value.strip()

    def integer(self, entry: dict, where: str, key: str, minimum: int = 0) -> int:
        if key not in entry:
            self.fail(where, f"thiếu trường '{key}'")
            return 0
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"trường '{key}' phải là số nguyên, không phải {_type_name(value)}")
            return 0
        if value < minimum:
            self.fail(where, f"trường '{key}' phải từ {minimum} trở lên (đang là {value})")
        return value

    def day(self, entry: dict, where: str, key: str, required: bool = True) -> date | None:
        if key not in entry:
            if required:
                self.fail(where, f"thiếu trường '{key}'")
            return None
        value = entry[key]
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail(where, f"trường '{key}' phải là ngày dạng 2026-06-15 (không có giờ, không có ngoặc kép)")
            return None
        return value

    def choice(self, entry: dict, where: str, key: str, enum_cls, default=None):
        if key not in entry:
            if default is None:
                self.fail(where, f"thiếu trường '{key}'")
            return default
        value = entry[key]
        try:
            return enum_cls(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_cls)
            self.fail(where, f"trường '{key}': '{value}' không hợp lệ; dùng một trong: {allowed}")
            return default

    def choices(self, entry: dict, where: str, key: str, enum_cls) -> list:
        value = entry.get(key)
        if not isinstance(value, list) or not value:
            self.fail(where, f"trường '{key}' phải là danh sách không rỗng, ví dụ {key} = [\"…\"]")
            return []
        found = []
        for item in value:
            member = self.choice({key: item}, where, key, enum_cls, default=False)
            if member:
                found.append(member)
        return found

    def unique(self, where: str, label: str, values: list) -> None:
        seen = set()
        for value in values:
            if value in seen:
                self.fail(where, f"{label} '{value}' bị trùng")
            seen.add(value)

    # -- sections ----------------------------------------------------------------------------
    def plan(self, data: dict, source_name: str, sha256: str) -> PlanSpec:
        self.unknown(
            data,
            "tệp",
            {
                "format",
                "ward",
                "plan",
                "calendar",
                "content_area",
                "delivery_form",
                "milestone",
                "deadline",
                "criterion",
                "roadmap",
                "target",
            },
        )
        if data.get("format") != FORMAT_VERSION:
            self.fail("format", f"phải là {FORMAT_VERSION} (đang là {data.get('format')!r})")
        ward = self.table(data, "ward")
        self.unknown(ward, "[ward]", {"slug", "name", "city", "authority", "office"})
        ward_values = {key: self.text(ward, "[ward]", key) for key in ("slug", "name", "city", "authority", "office")}
        if ward_values["slug"] and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", ward_values["slug"]):
            self.fail("[ward]", f"trường 'slug': '{ward_values['slug']}' chỉ được gồm chữ thường không dấu, số và '-'")
        head = self.table(data, "plan")
        self.unknown(
            head,
            "[plan]",
            {"school_year", "number", "issued_on", "title", "signer", "signer_title", "targets_note", "schedule_note"},
        )
        school_year = self.text(head, "[plan]", "school_year")
        if school_year and not _is_school_year(school_year):
            self.fail("[plan]", f"trường 'school_year': '{school_year}' phải có dạng 2025-2026 (hai năm liền nhau)")
        spec = PlanSpec(
            source_name=source_name,
            sha256=sha256,
            ward=ward_values,
            school_year=school_year,
            number=self.text(head, "[plan]", "number"),
            title=self.text(head, "[plan]", "title"),
            signer=self.text(head, "[plan]", "signer", required=False),
            signer_title=self.text(head, "[plan]", "signer_title", required=False),
            targets_note=self.text(head, "[plan]", "targets_note", required=False),
            calendar=self.calendar(data),
            issued_on=self.day(head, "[plan]", "issued_on", required=False),
            schedule_note=self.text(head, "[plan]", "schedule_note", required=False),
        )
        spec.content_areas = self.content_areas(data)
        spec.delivery_forms = self.delivery_forms(data)
        spec.deadlines = self.deadlines(data)
        spec.milestones = self.milestones(data, {d.key for d in spec.deadlines})
        for where, entry in self.entries(data, "criterion"):
            self.unknown(entry, where, {"title"})
            spec.criteria.append(self.text(entry, where, "title"))
        roadmap = data.get("roadmap", {"steps": []})
        steps = roadmap.get("steps") if isinstance(roadmap, dict) else None
        if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
            self.fail("[roadmap]", "trường 'steps' phải là danh sách các câu")
        elif any(has_nul(s) for s in steps):
            self.fail("[roadmap]", NUL_IN_TEXT.format("steps"))
        else:
            spec.roadmap = [s.strip() for s in steps]
        spec.targets = self.targets(data)
        return spec

    def calendar(self, data: dict) -> dict[str, date]:
        table = self.table(data, "calendar")
        self.unknown(table, "[calendar]", set(CALENDAR_FIELDS))
        days = {key: self.day(table, "[calendar]", key) for key in CALENDAR_FIELDS}
        if all(days.values()):
            known = cast(dict[str, date], days)  # all set: all() just said so
            order = ("hk1_start", "hk1_end", "hk2_start", "hk2_end", "ends_on", "closes_on")
            for earlier, later in pairwise(order):
                if known[earlier] > known[later]:
                    self.fail(
                        "[calendar]",
                        f"'{earlier}' ({known[earlier]:%d/%m/%Y}) phải trước '{later}' ({known[later]:%d/%m/%Y})",
                    )
            if not (known["hk2_start"] <= known["midterm_start"] <= known["midterm_end"] <= known["hk2_end"]):
                self.fail("[calendar]", "khoảng giữa HK II (midterm_start…midterm_end) phải nằm trong HK II")
        # A missing day was reported by self.fail, and a spec with problems is never handed out.
        return cast(dict[str, date], days)

    def content_areas(self, data: dict) -> list[dict]:
        areas = []
        for where, entry in self.entries(data, "content_area"):
            self.unknown(entry, where, {"code", "title", "framework_code"})
            areas.append(
                {
                    "code": self.text(entry, where, "code"),
                    "title": self.text(entry, where, "title"),
                    "framework_code": self.text(entry, where, "framework_code", required=False),
                }
            )
        self.unique("[[content_area]]", "mã", [a["code"] for a in areas])
        return areas

    def delivery_forms(self, data: dict) -> list[dict]:
        forms = []
        for where, entry in self.entries(data, "delivery_form"):
            self.unknown(entry, where, {"code", "title", "section", "description"})
            forms.append(
                {
                    "code": self.text(entry, where, "code"),
                    "title": self.text(entry, where, "title"),
                    "section": self.text(entry, where, "section", required=False),
                    "description": self.text(entry, where, "description", required=False),
                }
            )
        self.unique("[[delivery_form]]", "mã", [f["code"] for f in forms])
        return forms

    def deadlines(self, data: dict) -> list[DeadlineSpec]:
        """The links of the reporting chain; each names its sender (or none), receiver, document and
        the plan line it rests on, and the link it feeds must not be due before it."""
        deadlines = []
        for where, entry in self.entries(data, "deadline", required=False):
            self.unknown(
                entry,
                where,
                {
                    "key",
                    "title",
                    "owner_text",
                    "before",
                    "yearly_before",
                    "sender",
                    "receiver",
                    "document",
                    "basis",
                    "ward_sets",
                    "feeds",
                },
            )
            before = self.day(entry, where, "before", required=False)
            yearly = self.text(entry, where, "yearly_before", required=False) or None
            if (before is None and "before" not in entry) == (yearly is None):
                self.fail(
                    where, "cần đúng một trong hai trường 'before' (một ngày) hoặc 'yearly_before' (dd/mm hằng năm)"
                )
            if yearly and not _is_day_month(yearly):
                self.fail(where, f"trường 'yearly_before': '{yearly}' phải có dạng dd/mm, ví dụ 09/06")
            sender_code = self.text(entry, where, "sender", required=False)
            sender = self.choice(entry, where, "sender", Owner, default=False) if sender_code else None
            ward_sets = entry.get("ward_sets", False)
            if not isinstance(ward_sets, bool):
                self.fail(where, f"trường 'ward_sets' phải là true hoặc false, không phải {_type_name(ward_sets)}")
                ward_sets = False
            deadlines.append(
                DeadlineSpec(
                    key=self.text(entry, where, "key"),
                    title=self.text(entry, where, "title"),
                    # Required unless the plan names nobody: then the file says sender = "".
                    owner_text=self.text(
                        entry, where, "owner_text", required=bool(sender_code) or "sender" not in entry
                    ),
                    before=before,
                    yearly_before=yearly,
                    sender=sender or None,
                    receiver=self.text(entry, where, "receiver", required=False),
                    document=self.text(entry, where, "document", required=False),
                    basis=self.text(entry, where, "basis", required=False),
                    ward_sets=ward_sets,
                    feeds=self.text(entry, where, "feeds", required=False) or None,
                )
            )
        self.unique("[[deadline]]", "key", [d.key for d in deadlines])
        by_key = {d.key: d for d in deadlines}
        for i, link in enumerate(deadlines, start=1):
            if not link.feeds:
                continue
            where = f"[[deadline]] thứ {i} (key = {link.key!r})"
            if link.feeds not in by_key or link.feeds == link.key:
                self.fail(where, f"trường 'feeds': không có [[deadline]] nào khác có key = '{link.feeds}'")
        return deadlines

    def milestones(self, data: dict, deadline_keys: set[str]) -> list[MilestoneSpec]:
        milestones = []
        for where, entry in self.entries(data, "milestone"):
            self.unknown(
                entry,
                where,
                {
                    "number",
                    "title",
                    "timing",
                    "timing_text",
                    "owners",
                    "owner_text",
                    "required_of",
                    "school_deadline",
                    "ward_deadline",
                    "tracks",
                    "pilot_rule",
                    "others_rule",
                    "city_indicator",
                },
            )
            number = self.integer(entry, where, "number", minimum=1)
            where = f"{where} (number = {entry.get('number')!r})" if "number" in entry else where
            milestone = MilestoneSpec(
                number=number,
                title=self.text(entry, where, "title"),
                timing=self.choice(entry, where, "timing", Timing),
                timing_text=self.text(entry, where, "timing_text"),
                owners=self.choices(entry, where, "owners", Owner),
                owner_text=self.text(entry, where, "owner_text"),
                required_of=self.choice(entry, where, "required_of", RequiredOf, default=RequiredOf.ALL),
                school_deadline=self.text(entry, where, "school_deadline", required=False) or None,
                ward_deadline=self.text(entry, where, "ward_deadline", required=False) or None,
                tracks=self.text(entry, where, "tracks", required=False) or None,
                pilot_rule=self.text(entry, where, "pilot_rule", required=False),
                others_rule=self.text(entry, where, "others_rule", required=False),
                city_indicator=self.text(entry, where, "city_indicator", required=False) or None,
            )
            if milestone.tracks and milestone.tracks not in TRACKS:
                self.fail(
                    where, f"trường 'tracks': '{milestone.tracks}' không hợp lệ; dùng một trong: {', '.join(TRACKS)}"
                )
            for key in ("school_deadline", "ward_deadline"):
                ref = getattr(milestone, key)
                if ref and ref not in deadline_keys:
                    self.fail(where, f"trường '{key}': không có [[deadline]] nào có key = '{ref}'")
            milestones.append(milestone)
        self.unique("[[milestone]]", "số thứ tự (number)", [m.number for m in milestones if m.number])
        return milestones

    def targets(self, data: dict) -> list[TargetSpec]:
        targets = []
        for where, entry in self.entries(data, "target"):
            self.unknown(
                entry,
                where,
                {
                    "stt",
                    "category",
                    "managing_body",
                    "minimum",
                    "forms_text",
                    "evidence_text",
                    "levels",
                    "pilot",
                    "measure",
                    "measure_min",
                    "timing",
                    "evidence",
                    "city_indicator",
                },
            )
            stt = self.integer(entry, where, "stt", minimum=1)
            where = f"{where} (stt = {entry.get('stt')!r})" if "stt" in entry else where
            pilot = entry.get("pilot")
            if pilot is not None and not isinstance(pilot, bool):
                self.fail(where, f"trường 'pilot' phải là true hoặc false, không phải {_type_name(pilot)}")
                pilot = None
            measure = self.text(entry, where, "measure")
            if measure and measure not in MEASURES:
                self.fail(where, f"trường 'measure': '{measure}' không hợp lệ; dùng một trong: {', '.join(MEASURES)}")
            target_timing = self.choice(entry, where, "timing", Timing)
            targets.append(
                TargetSpec(
                    stt=stt,
                    category=self.text(entry, where, "category"),
                    managing_body=self.text(entry, where, "managing_body"),
                    minimum=self.text(entry, where, "minimum"),
                    forms_text=self.text(entry, where, "forms_text"),
                    evidence_text=self.text(entry, where, "evidence_text"),
                    levels=self.choices(entry, where, "levels", SchoolLevel),
                    pilot=pilot,
                    measure=measure,
                    measure_min=self.integer(entry, where, "measure_min", minimum=1),
                    timing=target_timing,
                    evidence=self.evidence(entry, where, target_timing),
                    city_indicator=self.text(entry, where, "city_indicator", required=False) or None,
                )
            )
        self.unique("[[target]]", "STT", [t.stt for t in targets if t.stt])
        return targets

    def evidence(self, target: dict, target_where: str, default_timing: Timing | None) -> list[EvidenceSpec]:
        items = target.get("evidence")
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            self.fail(target_where, "trường 'evidence' phải là danh sách minh chứng { key = …, title = … }")
            return []
        evidence = []
        for i, item in enumerate(items, start=1):
            where = f"{target_where}, minh chứng thứ {i}"
            self.unknown(item, where, {"key", "title", "timing"})
            evidence.append(
                EvidenceSpec(
                    key=self.text(item, where, "key", limit=EVIDENCE_LIMITS["key"]),
                    title=self.text(item, where, "title", limit=EVIDENCE_LIMITS["title"]),
                    timing=self.choice(item, where, "timing", Timing, default=default_timing),
                )
            )
        self.unique(target_where, "key minh chứng", [e.key for e in evidence])
        return evidence


def _type_name(value) -> str:
    return {
        bool: "true/false",
        int: "số",
        float: "số thực",
        str: "chuỗi",
        list: "danh sách",
        dict: "bảng",
        date: "ngày",
        datetime: "ngày giờ",
    }.get(type(value), type(value).__name__)


def _is_school_year(name: str) -> bool:
    match = re.fullmatch(r"(\d{4})-(\d{4})", name)
    return match is not None and int(match[2]) == int(match[1]) + 1


def _is_day_month(text: str) -> bool:
    match = re.fullmatch(r"(\d{2})/(\d{2})", text)
    if not match:
        return False
    try:
        date(2024, int(match[2]), int(match[1]))  # a leap year accepts 29/02
    except ValueError:
        return False
    return True
