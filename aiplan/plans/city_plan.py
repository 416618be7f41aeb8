"""The city's plan file (TOML): the Sở GD&ĐT's indicators that every ward of the city reports on,
read and checked like a ward's plan (every problem at once, in Vietnamese), then written into the
database; and the check that a ward's plan maps each of them (docs/plan-format.md).

Loading the city's plan is all or nothing; so is a ward's plan that leaves one of the city's
indicators unmapped, or names a code the city does not have."""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import City, CityIndicator, CityPlan, IndicatorKind, Milestone, Plan, SchoolYear, Target, Ward
from .spec import FORMAT_VERSION, PlanFileError, PlanSpec, _Checker, _is_school_year, load_toml, read_bytes

BUNDLED_CITY_PLAN = Path(__file__).with_name("ha-noi-city.toml")
CODE = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)*")
KIND_NAMES = {IndicatorKind.MILESTONE: "mốc", IndicatorKind.TARGET: "chỉ tiêu"}


@dataclass
class IndicatorSpec:
    code: str
    kind: IndicatorKind
    title: str
    basis: str


@dataclass
class CityPlanSpec:
    source_name: str
    sha256: str
    city: dict
    school_year: str
    number: str
    title: str
    basis: list[str]
    signer: str = ""
    signer_title: str = ""
    indicators: list[IndicatorSpec] = field(default_factory=list)


def read_city_plan_file(path: str | Path) -> CityPlanSpec:
    path = Path(path)
    return parse_city_plan(read_bytes(path), path.name)


def parse_city_plan(raw: bytes, source_name: str) -> CityPlanSpec:
    """Validate a city plan file's bytes; raise PlanFileError listing every problem found."""
    data = load_toml(raw, source_name)
    check = _Checker()
    check.unknown(data, "tệp", {"format", "city", "plan", "indicator"})
    if data.get("format") != FORMAT_VERSION:
        check.fail("format", f"phải là {FORMAT_VERSION} (đang là {data.get('format')!r})")
    city = check.table(data, "city")
    check.unknown(city, "[city]", {"slug", "name", "authority"})
    limits = {"slug": 80, "name": 200, "authority": 200}
    city_values = {key: check.text(city, "[city]", key, limit=limit) for key, limit in limits.items()}
    if city_values["slug"] and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", city_values["slug"]):
        check.fail("[city]", f"trường 'slug': '{city_values['slug']}' chỉ được gồm chữ thường không dấu, số và '-'")
    head = check.table(data, "plan")
    check.unknown(head, "[plan]", {"school_year", "number", "title", "basis", "signer", "signer_title"})
    school_year = check.text(head, "[plan]", "school_year")
    if school_year and not _is_school_year(school_year):
        check.fail("[plan]", f"trường 'school_year': '{school_year}' phải có dạng 2025-2026 (hai năm liền nhau)")
    basis = head.get("basis", [])
    if not isinstance(basis, list) or not all(isinstance(line, str) and line.strip() for line in basis):
        check.fail("[plan]", "trường 'basis' phải là danh sách các văn bản căn cứ, mỗi văn bản một chuỗi")
        basis = []
    spec = CityPlanSpec(
        source_name=source_name,
        sha256=hashlib.sha256(raw).hexdigest(),
        city=city_values,
        school_year=school_year,
        number=check.text(head, "[plan]", "number", limit=100),
        title=check.text(head, "[plan]", "title"),
        basis=[line.strip() for line in basis],
        signer=check.text(head, "[plan]", "signer", required=False, limit=200),
        signer_title=check.text(head, "[plan]", "signer_title", required=False, limit=200),
    )
    for where, entry in check.entries(data, "indicator"):
        check.unknown(entry, where, {"code", "kind", "title", "basis"})
        code = check.text(entry, where, "code", limit=20)
        where = f"{where} (code = {code!r})" if code else where
        if code and not CODE.fullmatch(code):
            check.fail(where, f"trường 'code': '{code}' chỉ được gồm chữ in hoa không dấu, số và '-' (ví dụ HN-T05)")
        spec.indicators.append(
            IndicatorSpec(
                code=code,
                kind=check.choice(entry, where, "kind", IndicatorKind),
                title=check.text(entry, where, "title"),
                basis=check.text(entry, where, "basis", required=False, limit=200),
            )
        )
    check.unique("[[indicator]]", "mã", [i.code for i in spec.indicators if i.code])
    if check.problems:
        raise PlanFileError(source_name, check.problems)
    return spec


def load_city_plan(spec: CityPlanSpec) -> CityPlan:
    """Create or update the city and its plan as the file says, and commit; raises and changes
    nothing when an indicator the file drops is still mapped by a ward's plan."""
    try:
        city = db.session.scalar(select(City).filter_by(slug=spec.city["slug"]))
        if city is None:
            city = City(**spec.city)
            db.session.add(city)
        else:
            city.name, city.authority = spec.city["name"], spec.city["authority"]
        db.session.flush()
        plan = db.session.scalar(select(CityPlan).filter_by(city_id=city.id))
        if plan is None:
            plan = CityPlan(city=city)
            db.session.add(plan)
        plan.school_year, plan.number, plan.title = spec.school_year, spec.number, spec.title
        plan.basis = "\n".join(spec.basis)
        plan.signer, plan.signer_title = spec.signer, spec.signer_title
        plan.source_name, plan.source_sha256 = spec.source_name, spec.sha256
        existing = {indicator.code: indicator for indicator in plan.indicators}
        wanted = {indicator.code for indicator in spec.indicators}
        for code, indicator in existing.items():
            if code not in wanted:
                plan.indicators.remove(indicator)
        for position, item in enumerate(spec.indicators, start=1):
            indicator = existing.get(item.code) or CityIndicator(code=item.code)
            if indicator.id is None:
                plan.indicators.append(indicator)
            indicator.position, indicator.kind, indicator.title, indicator.basis = (
                position,
                item.kind,
                item.title,
                item.basis,
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return plan


def unmapped_wards(plan: CityPlan) -> dict[str, list[str]]:
    """Ward name -> the city's indicator codes its plan of the city plan's year does not map: the
    wards whose plans were loaded before the city's (load-city-plan names them; loading each ward's
    plan again, mapped, clears it). Two queries."""
    wanted = [indicator.code for indicator in plan.indicators]
    wards = db.session.execute(
        select(Plan.id, Ward.name)
        .join(Ward, Ward.id == Plan.ward_id)
        .join(SchoolYear, SchoolYear.id == Plan.school_year_id)
        .where(Ward.city_id == plan.city_id, SchoolYear.name == plan.school_year)
        .order_by(Ward.name)
    ).all()
    mapped: dict[int, set[str | None]] = {plan_id: set() for plan_id, _ in wards}
    for model in (Milestone, Target):
        for plan_id, code in db.session.execute(
            select(model.plan_id, model.city_indicator).where(
                model.plan_id.in_(list(mapped)), model.city_indicator.is_not(None)
            )
        ):
            mapped[plan_id].add(code)
    return {
        name: missing
        for plan_id, name in wards
        if (missing := [code for code in wanted if code not in mapped[plan_id]])
    }


def city_plan_of(city: City | None) -> CityPlan | None:
    if city is None or city.id is None:
        return None
    return db.session.scalar(select(CityPlan).filter_by(city_id=city.id))


def mapping_problems(spec: PlanSpec, city_plan: CityPlan) -> list[str]:
    """Why a ward's plan does not report on the city's indicators: each indicator it leaves
    unmapped, each code the city does not have, each code of the wrong kind (a milestone mapped
    to a target's code). Empty when every indicator is mapped. Several milestones may report on
    one indicator (a ward that splits one of the Sở's steps in two)."""
    indicators = {indicator.code: indicator for indicator in city_plan.indicators}
    city = city_plan.city.name
    problems, mapped = [], set()
    named = [
        (f"[[milestone]] number = {m.number}", m.city_indicator, IndicatorKind.MILESTONE) for m in spec.milestones
    ] + [(f"[[target]] stt = {t.stt}", t.city_indicator, IndicatorKind.TARGET) for t in spec.targets]
    for where, code, kind in named:
        if not code:
            continue
        indicator = indicators.get(code)
        if indicator is None:
            problems.append(
                f"{where}: trường 'city_indicator': kế hoạch của {city} không có chỉ tiêu/mốc nào mã '{code}'"
            )
        elif indicator.kind is not kind:
            problems.append(
                f"{where}: trường 'city_indicator': '{code}' là {KIND_NAMES[indicator.kind]} của {city}, "
                f"không gắn được cho một {KIND_NAMES[kind]}"
            )
        else:
            mapped.add(code)
    for code, indicator in indicators.items():
        if code not in mapped:
            problems.append(
                f"chưa gắn {KIND_NAMES[indicator.kind]} {code} ({indicator.title}) của {city}: thêm "
                f'city_indicator = "{code}" vào {KIND_NAMES[indicator.kind]} tương ứng của kế hoạch phường'
            )
    return problems
