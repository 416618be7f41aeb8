"""A plan as a plan file (TOML, format 1, docs/plan-format.md), so an edited plan can be kept,
reviewed and loaded again. Written by hand for this one schema: every value is a string, an
integer, a boolean, a date or a list of those, and strings are always TOML basic strings."""

from datetime import date

from ..models import Plan
from .spec import CALENDAR_FIELDS, FORMAT_VERSION

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def plan_filename(plan: Plan) -> str:
    return f"ke-hoach-{plan.ward.slug}-{plan.school_year.name}.toml"


def plan_to_toml(plan: Plan, exported_on: date | None = None) -> str:
    """The plan, its year's calendar and its ward as the text of a plan file."""
    ward, year = plan.ward, plan.school_year
    out = [
        f"# {plan.title}",
        f"# Năm học {year.name}. Tệp kế hoạch xuất từ ứng dụng"
        + (f" ngày {exported_on:%d/%m/%Y}" if exported_on else "")
        + "; định dạng: docs/plan-format.md.",
        "",
        f"format = {FORMAT_VERSION}",
    ]
    _table(out, "[ward]", [(name, getattr(ward, name)) for name in ("slug", "name", "city", "authority", "office")])
    _table(
        out,
        "[plan]",
        [
            ("school_year", year.name),
            ("number", plan.number),
            ("issued_on", plan.issued_on),
            ("title", plan.title),
            ("signer", plan.signer),
            ("signer_title", plan.signer_title),
            ("targets_note", plan.targets_note),
            ("schedule_note", plan.schedule_note or None),
        ],
    )
    _table(out, "[calendar]", [(name, getattr(year, name)) for name in CALENDAR_FIELDS])
    for area in plan.content_areas:
        _table(
            out,
            "[[content_area]]",
            [("code", area.code), ("framework_code", area.framework_code or None), ("title", area.title)],
        )
    for form in plan.delivery_forms:
        _table(
            out,
            "[[delivery_form]]",
            [
                ("code", form.code),
                ("section", form.section or None),
                ("title", form.title),
                ("description", form.description or None),
            ],
        )
    for m in plan.milestones:
        _table(
            out,
            "[[milestone]]",
            [
                ("number", m.number),
                ("title", m.title),
                ("timing", m.timing.value),
                ("timing_text", m.timing_text),
                ("owners", [owner.value for owner in m.owners]),
                ("owner_text", m.owner_text),
                ("required_of", m.required_of.value),
                ("school_deadline", m.school_deadline_key),
                ("ward_deadline", m.ward_deadline_key),
                ("tracks", m.tracks),
                ("pilot_rule", m.pilot_rule or None),
                ("others_rule", m.others_rule or None),
                ("city_indicator", m.city_indicator),
            ],
        )
    for d in plan.deadlines:
        _table(
            out,
            "[[deadline]]",
            [
                ("key", d.key),
                ("title", d.title),
                # Always written: "" says the plan names no sender, and then owner_text may be "".
                ("sender", d.sender_code or ""),
                ("owner_text", d.owner_text),
                ("receiver", d.receiver or None),
                ("document", d.document or None),
                ("before", d.before),
                ("yearly_before", d.yearly_before),
                ("ward_sets", d.ward_sets or None),
                ("feeds", d.feeds),
                ("basis", d.basis or None),
            ],
        )
    for criterion in plan.criteria:
        _table(out, "[[criterion]]", [("title", criterion.title)])
    out += ["", "[roadmap]", "steps = [", *(f"    {value(step.text)}," for step in plan.roadmap), "]"]
    for t in plan.targets:
        _table(
            out,
            "[[target]]",
            [
                ("stt", t.stt),
                ("category", t.category),
                ("managing_body", t.managing_body),
                ("minimum", t.minimum),
                ("forms_text", t.forms_text),
                ("evidence_text", t.evidence_text),
                ("levels", [level.value for level in t.levels]),
                ("pilot", t.pilot),
                ("measure", t.measure),
                ("measure_min", t.measure_min),
                ("timing", t.timing.value),
                ("city_indicator", t.city_indicator),
            ],
        )
        out.append("evidence = [")
        for e in t.evidence:
            out.append(f"    {{ key = {value(e.key)}, title = {value(e.title)}, timing = {value(e.timing.value)} }},")
        out.append("]")
    return "\n".join(out) + "\n"


def _table(out: list[str], header: str, pairs: list[tuple[str, object]]) -> None:
    """A table's header and its `key = value` lines; None leaves the key out (the file's "optional")."""
    out += ["", header]
    out += [f"{key} = {value(item)}" for key, item in pairs if item is not None]


def value(item) -> str:
    """One TOML value."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, date):
        return item.isoformat()
    if isinstance(item, list):
        return "[" + ", ".join(value(element) for element in item) + "]"
    if isinstance(item, str):
        return '"' + "".join(_char(ch) for ch in item) + '"'
    raise TypeError(f"no TOML form for {type(item).__name__}")


def _char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"\\u{ord(ch):04X}"
    return ch
