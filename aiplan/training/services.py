"""Teacher training writes: the roster (one by one or from a CSV/XLSX list), the training plans and
the sessions. Each write commits with its audit record, or changes nothing."""

from flask_babel import lazy_gettext as _l

from .. import audit
from ..database import committing
from ..documents.tables import ImportFileError, Table, cells_of, formula_problem, match_columns
from ..extensions import db
from ..inputs import BadEmail, clean_email
from ..models import Plan, School, Teacher, TrainingPlan, TrainingSession, utcnow

# The roster list's columns: the first title of each is the sample file's.
COLUMNS = {
    "name": ("họ và tên", "họ tên", "tên giáo viên", "giáo viên", "name"),
    "subject": ("môn dạy", "môn", "môn học", "subject"),
    "email": ("email", "e-mail", "thư điện tử"),
}
REQUIRED = ("name",)
NAME_MAX, SUBJECT_MAX = 200, 120


class TrainingRefused(Exception):
    """A write the services would not carry out; nothing was changed."""


class Invalid(TrainingRefused):
    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(", ".join(errors))


class Stale(TrainingRefused):
    """The record changed after the form was loaded."""


def _transaction():
    return committing(Stale)


def _id(actor):
    return getattr(actor, "id", None)


# -- training plans --------------------------------------------------------------------------


def save_training_plan(plan: Plan, school: School | None, text: str, version: int, actor=None) -> bool:
    """Write the school's (or with None, the ward's) training plan, edited on `version` (0: none
    existed). Returns whether it changed. Commits."""
    query = db.session.query(TrainingPlan).filter(TrainingPlan.plan_id == plan.id)
    query = query.filter(TrainingPlan.school_id.is_(None) if school is None else TrainingPlan.school_id == school.id)
    record = query.order_by(TrainingPlan.id).first()
    if (record.version if record else 0) != version:
        raise Stale()
    before = record.text if record else ""
    if before == text:
        return False
    with _transaction():
        if record is None:
            record = TrainingPlan(plan_id=plan.id, school_id=school.id if school else None)
            db.session.add(record)
        record.text, record.updated_at, record.updated_by_id = text, utcnow(), _id(actor)
        db.session.flush()
        audit.record(
            "training.plan",
            record,
            before={"text": before},
            after={"text": text},
            school_id=school.id if school else None,
            ward_id=plan.ward_id,
            actor=actor,
        )
    return True


# -- the roster ------------------------------------------------------------------------------


def describe_teacher(teacher: Teacher) -> dict:
    return {
        "name": teacher.name,
        "subject": teacher.subject,
        "email": teacher.email,
        "deleted": bool(teacher.deleted_at),
    }


def add_teacher(plan: Plan, school: School, values: dict, actor=None) -> Teacher:
    with _transaction():
        teacher = Teacher(plan_id=plan.id, school_id=school.id, **values)
        db.session.add(teacher)
        db.session.flush()
        audit.record(
            "teacher.create",
            teacher,
            after=describe_teacher(teacher),
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
    return teacher


def update_teacher(teacher: Teacher, values: dict, version: int, actor=None) -> bool:
    if version != teacher.version:
        raise Stale()
    before = describe_teacher(teacher)
    for name, value in values.items():
        setattr(teacher, name, value)
    after = describe_teacher(teacher)
    if before == after:
        db.session.rollback()
        return False
    with _transaction():
        teacher.updated_at = utcnow()
        audit.record(
            "teacher.update",
            teacher,
            before=before,
            after=after,
            school_id=teacher.school_id,
            ward_id=teacher.school.ward_id,
            actor=actor,
        )
    return True


def delete_teacher(teacher: Teacher, version: int, actor=None) -> None:
    """Take a teacher off the roster (the row and the sessions they attended stay). Commits."""
    if version != teacher.version:
        raise Stale()
    before = describe_teacher(teacher)
    with _transaction():
        teacher.deleted_at = teacher.updated_at = utcnow()
        audit.record(
            "teacher.delete",
            teacher,
            before=before,
            after=describe_teacher(teacher),
            school_id=teacher.school_id,
            ward_id=teacher.school.ward_id,
            actor=actor,
        )


def read_roster(tables: list[Table]) -> tuple[list[dict], list[str]]:
    """The teachers of the list's first sheet, and the problems of its rows ("Dòng 4: …")."""
    table = tables[0]
    if not table.rows:
        raise ImportFileError(["Tệp không có dòng nào."])
    _line, header = table.rows[0]
    column_of = match_columns(header, COLUMNS, REQUIRED)
    teachers, problems = [], []
    for line, values in table.rows[1:]:
        cells = cells_of(values, column_of)
        if not any(cells.values()):
            continue
        where = table.where(line)
        for name, index in column_of.items():
            problem = formula_problem(table, line, index, cells[name])
            if problem:
                problems.append(f"{where}: {problem}")
        if not cells["name"]:
            problems.append(f"{where}: thiếu họ và tên giáo viên")
        elif len(cells["name"]) > NAME_MAX:
            problems.append(f"{where}: họ và tên dài quá {NAME_MAX} ký tự")
        if len(cells.get("subject", "")) > SUBJECT_MAX:
            problems.append(f"{where}: môn dạy dài quá {SUBJECT_MAX} ký tự")
        try:
            email = clean_email(cells.get("email", "")) or ""
        except BadEmail as refused:
            problems.append(f"{where}: {refused}")
            email = ""
        teachers.append({"name": cells["name"], "subject": cells.get("subject", ""), "email": email})
    if not teachers and not problems:
        problems.append("Tệp chưa có giáo viên nào (chỉ có dòng tiêu đề).")
    return teachers, problems


def import_roster(
    plan: Plan, school: School, teachers: list[dict], existing: list[Teacher], actor=None
) -> tuple[int, int]:
    """Add the listed teachers to the roster, every one or none; a teacher already on it (same name
    and e-mail, letter case aside) is skipped. Returns (added, skipped). Commits."""
    known = {(t.name.casefold(), t.email.casefold()) for t in existing}
    added = skipped = 0
    with _transaction():
        for values in teachers:
            key = (values["name"].casefold(), values["email"].casefold())
            if key in known:
                skipped += 1
                continue
            known.add(key)
            db.session.add(Teacher(plan_id=plan.id, school_id=school.id, **values))
            added += 1
        audit.record(
            "teacher.import",
            school,
            after={"added": added, "skipped": skipped, "names": [t["name"] for t in teachers][:500]},
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
    return added, skipped


# -- sessions --------------------------------------------------------------------------------


def check_session(plan: Plan, roster: list[Teacher], values: dict) -> dict:
    errors = {}
    if not any(area.id == values.get("content_area_id") for area in plan.content_areas):
        errors["content_area_id"] = _l("Chọn một nội dung trong danh sách.")
    if not set(values.get("teacher_ids", [])) <= {t.id for t in roster}:
        errors["teacher_ids"] = _l("Chỉ chọn giáo viên trong danh sách của trường.")
    return errors


def describe_session(session: TrainingSession) -> dict:
    return {
        "held_on": session.held_on.isoformat(),
        "title": session.title,
        "content_area": session.content_area.code if session.content_area else None,
        "organiser": session.organiser.value,
        "organiser_name": session.organiser_name,
        "teachers": sorted(t.id for t in session.teachers),
        "notes": session.notes,
        "deleted": session.deleted_at is not None,
    }


def _assign(session: TrainingSession, plan: Plan, roster: list[Teacher], values: dict) -> None:
    for name in ("held_on", "title", "organiser", "organiser_name", "notes"):
        setattr(session, name, values[name])
    session.content_area = next(a for a in plan.content_areas if a.id == values["content_area_id"])
    wanted = set(values["teacher_ids"])
    session.teachers = [t for t in roster if t.id in wanted]


def create_session(plan: Plan, school: School, roster: list[Teacher], values: dict, actor=None) -> TrainingSession:
    errors = check_session(plan, roster, values)
    if errors:
        raise Invalid(errors)
    with _transaction():
        session = TrainingSession(plan_id=plan.id, school_id=school.id, created_by_id=_id(actor))
        _assign(session, plan, roster, values)
        db.session.add(session)
        db.session.flush()
        audit.record(
            "training.session_create",
            session,
            after=describe_session(session),
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
    return session


def update_session(
    session: TrainingSession, school: School, roster: list[Teacher], values: dict, version: int, actor=None
) -> bool:
    if version != session.version:
        raise Stale()
    errors = check_session(session.plan, roster, values)
    if errors:
        raise Invalid(errors)
    before = describe_session(session)
    _assign(session, session.plan, roster, values)
    after = describe_session(session)
    if before == after:
        db.session.rollback()
        return False
    with _transaction():
        session.updated_at, session.updated_by_id = utcnow(), _id(actor)
        db.session.flush()
        audit.record(
            "training.session_update",
            session,
            before=before,
            after=after,
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
    return True


def delete_session(session: TrainingSession, school: School, version: int, actor=None) -> None:
    if version != session.version:
        raise Stale()
    before = describe_session(session)
    with _transaction():
        session.deleted_at = session.updated_at = utcnow()
        audit.record(
            "training.session_delete",
            session,
            before=before,
            after=describe_session(session),
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
