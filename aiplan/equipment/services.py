"""Writing the equipment survey: a school's own answers, and the ward's import for all its schools.
Every write is audited with what was there before."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..documents.tables import ImportFileError, Table, cells_of, formula_problem, match_columns
from ..extensions import db
from ..inputs import has_nul
from ..models import EquipmentSurvey, Plan, School, utcnow
from .forms import COUNTS, TEXT_MAX

FIELDS = (*COUNTS, "ai_devices_note", "notes")


class StaleSurvey(Exception):
    """The survey changed (or was first saved by someone else) since the form was loaded."""


def describe(survey: EquipmentSurvey | None) -> dict:
    return {name: getattr(survey, name) for name in FIELDS} if survey is not None else {}


def save_survey(plan: Plan, school: School, values: dict, version: int, actor) -> bool:
    """Create or update the school's survey of the plan's year, as loaded at `version` (0: none yet).
    Returns whether anything changed. Commits."""
    survey = db.session.scalar(select(EquipmentSurvey).filter_by(plan_id=plan.id, school_id=school.id))
    if version != (survey.version if survey else 0):
        raise StaleSurvey()
    before = describe(survey)
    if survey is None:
        survey = EquipmentSurvey(plan_id=plan.id, school_id=school.id, created_by_id=actor.id, created_at=utcnow())
        db.session.add(survey)
    elif {name: values[name] for name in FIELDS} == before:
        return False
    else:
        survey.updated_at, survey.updated_by_id = utcnow(), actor.id
    _assign_and_record(survey, values, before, "equipment.save", school, actor)
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise StaleSurvey() from None
    return True


def _assign_and_record(survey, values, before, action, school, actor):
    for name in FIELDS:
        setattr(survey, name, values[name])
    audit.record(
        action,
        survey,
        before=before or None,
        after=describe(survey),
        school_id=school.id,
        ward_id=school.ward_id,
        actor=actor,
    )


# -- the ward's import --------------------------------------------------------------------------

COLUMNS = {
    "school": ("mã trường", "ma truong", "slug", "trường"),
    "computer_rooms": ("số phòng máy tính", "phòng máy tính", "computer_rooms"),
    "rooms_online": ("phòng máy có internet ổn định", "phòng có internet", "rooms_online"),
    "working_machines": ("máy tính dùng được", "số máy tính dùng được", "working_machines"),
    "pupils": ("số học sinh", "học sinh", "pupils"),
    "bandwidth_mbps": ("băng thông (mbps)", "băng thông", "bandwidth_mbps"),
    "ai_devices": ("thiết bị cho bài học ai", "thiết bị ai", "ai_devices"),
    "ai_devices_note": ("thiết bị là gì", "mô tả thiết bị", "ai_devices_note"),
    "notes": ("ghi chú", "notes"),
}
REQUIRED = ("school", "computer_rooms", "rooms_online", "working_machines", "pupils", "bandwidth_mbps")


def read_import(tables: list[Table], schools: list[School]) -> tuple[dict[int, dict], list[str]]:
    """school id → values from the first table of the file, and every problem found (line by line)."""
    table = tables[0]
    if not table.rows:
        raise ImportFileError(["Tệp không có dòng nào."])
    (_, header), *body = table.rows
    columns = match_columns(header, COLUMNS, REQUIRED)
    by_slug = {school.slug: school for school in schools}
    by_name = {school.name.casefold(): school for school in schools}
    found: dict[int, dict] = {}
    problems = []
    for line, cells in body:
        if not any(c.strip() for c in cells):
            continue
        row = cells_of(cells, columns)
        where = table.where(line)
        bad = [p for index, value in enumerate(cells) if (p := formula_problem(table, line, index, value))]
        if bad:
            problems.append(f"{where}: {bad[0]}")
            continue
        school = by_slug.get(row["school"]) or by_name.get(row["school"].casefold())
        if school is None:
            problems.append(f"{where}: không có trường “{row['school']}” trong phường")
            continue
        if school.id in found:
            problems.append(f"{where}: trường “{school.name}” có hơn một dòng")
            continue
        values: dict = {}
        for name, maximum in COUNTS.items():
            text = row.get(name, "").replace(".", "").replace(" ", "") or ("0" if name not in REQUIRED else "")
            if not text.isdigit() or not 0 <= int(text) <= maximum:
                problems.append(f"{where}: cột “{COLUMNS[name][0]}” cần một số từ 0 đến {maximum}")
                break
            values[name] = int(text)
        else:
            if values["rooms_online"] > values["computer_rooms"]:
                problems.append(f"{where}: số phòng có Internet lớn hơn số phòng máy tính")
                continue
            for name in ("ai_devices_note", "notes"):
                text = row.get(name, "")
                if has_nul(text) or len(text) > TEXT_MAX:
                    problems.append(f"{where}: cột “{COLUMNS[name][0]}” quá dài hoặc chứa ký tự không hợp lệ")
                values[name] = text
            found[school.id] = values
    return found, problems


def apply_import(plan: Plan, schools: list[School], found: dict[int, dict], actor) -> dict[str, list[School]]:
    """Write every row read (all of them in one transaction), each audited. Commits."""
    by_id = {school.id: school for school in schools}
    existing = {
        s.school_id: s
        for s in db.session.scalars(
            select(EquipmentSurvey).where(EquipmentSurvey.plan_id == plan.id, EquipmentSurvey.school_id.in_(found))
        )
    }
    result: dict[str, list[School]] = {"created": [], "updated": [], "unchanged": []}
    try:
        for school_id, values in found.items():
            school, survey = by_id[school_id], existing.get(school_id)
            before = describe(survey)
            if survey is None:
                survey = EquipmentSurvey(
                    plan_id=plan.id, school_id=school_id, created_by_id=actor.id, created_at=utcnow()
                )
                db.session.add(survey)
                result["created"].append(school)
            elif before == values:
                result["unchanged"].append(school)
                continue
            else:
                survey.updated_at, survey.updated_by_id = utcnow(), actor.id
                result["updated"].append(school)
            _assign_and_record(survey, values, before, "equipment.import", school, actor)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise StaleSurvey() from None
    return result
