"""Recording a pilot class's result; commits with its audit record, or changes nothing."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..extensions import db
from ..models import Activity, PilotLessons, PilotLevel, PilotLevelCount, PilotResult, utcnow


class StaleResult(Exception):
    """The result changed (or was first written) after the form was loaded."""


def describe(result: PilotResult) -> dict:
    """The result as the audit log keeps it: counts only, never a pupil."""
    return {
        "class_plan": result.class_plan,
        "assessment": result.assessment,
        "lessons_by_area": {str(row.content_area_id): row.lessons for row in result.lessons if row.lessons},
        "pupils_by_level": {row.level.value: row.pupils for row in result.levels if row.pupils},
    }


def save_result(activity: Activity, result: PilotResult | None, values: dict, version: int, actor=None) -> bool:
    """Write the class's result, edited on `version` (0: none existed). Returns whether it changed. Commits."""
    if (result.version if result else 0) != version:
        raise StaleResult()
    assert activity.school is not None  # a pilot class is a school's activity
    before = describe(result) if result else None
    try:
        if result is None:
            result = PilotResult(activity_id=activity.id, plan_id=activity.plan_id, school_id=activity.school_id)
            db.session.add(result)
        result.class_plan, result.assessment = values["class_plan"], values["assessment"]
        result.lessons = [
            PilotLessons(content_area_id=area_id, lessons=lessons)
            for area_id, lessons in values["lessons"].items()
            if lessons
        ]
        result.levels = [
            PilotLevelCount(level=PilotLevel(level), pupils=pupils)
            for level, pupils in values["levels"].items()
            if pupils
        ]
        after = describe(result)
        if after == before:
            db.session.rollback()
            return False
        result.updated_at, result.updated_by_id = utcnow(), getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            "pilot.result",
            result,
            before=before,
            after=after | {"class": activity.class_name},
            school_id=activity.school_id,
            ward_id=activity.school.ward_id,
            actor=actor,
        )
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise StaleResult() from None
    except BaseException:
        db.session.rollback()
        raise
    return True
