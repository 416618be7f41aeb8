"""The AI tools register and the parental consents: their rules and writes, and carrying the register
into the next school year (consents stay with their year). Every write commits with its audit record."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..database import committing
from ..evidence.services import Upload, save_uploads
from ..extensions import db
from ..models import AccountType, Activity, AiTool, Plan, PupilConsent, PupilData, School, utcnow

TOOL_TEXT = ("name", "provider", "age_suitability", "pupil_data_other", "notes")


class RegisterRefused(Exception):
    """A write the services would not carry out; nothing was changed."""


class InvalidEntry(RegisterRefused):
    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(f"rules broken: {', '.join(errors)}")


class StaleEntry(RegisterRefused):
    """The tool or consent changed after the form was loaded."""


# -- tools -------------------------------------------------------------------------------------


def check_tool(values: dict) -> dict:
    errors = {}
    if not values.get("name"):
        errors["name"] = _l("Nhập tên công cụ hoặc nền tảng.")
    if values.get("account_type") not in {member.value for member in AccountType}:
        errors["account_type"] = _l("Chọn loại tài khoản học sinh dùng.")
    if not set(values.get("pupil_data", [])) <= {member.value for member in PupilData}:
        errors["pupil_data"] = _l("Chọn loại dữ liệu trong danh sách.")
    return errors


def create_tool(plan: Plan, school: School, values: dict, actor) -> AiTool:
    """Add a tool to the school's register of the plan's year (both from the URL). Commits."""
    errors = check_tool(values)
    if errors:
        raise InvalidEntry(errors)
    with _transaction():
        tool = AiTool(plan_id=plan.id, school_id=school.id, created_by_id=actor.id)
        _assign(tool, values)
        db.session.add(tool)
        db.session.flush()
        audit.record(
            "ai_tool.create", tool, after=describe(tool), school_id=school.id, ward_id=school.ward_id, actor=actor
        )
    return tool


def update_tool(tool: AiTool, values: dict, version: int, actor) -> bool:
    if version != tool.version:
        raise StaleEntry()
    errors = check_tool(values)
    if errors:
        raise InvalidEntry(errors)
    before = describe(tool)
    _assign(tool, values)
    after = describe(tool)
    if after == before:
        db.session.rollback()
        return False
    with _transaction():
        tool.updated_at, tool.updated_by_id = utcnow(), actor.id
        audit.record(
            "ai_tool.update",
            tool,
            before=before,
            after=after,
            school_id=tool.school_id,
            ward_id=tool.school.ward_id,
            actor=actor,
        )
    return True


def delete_tool(tool: AiTool, version: int, actor) -> None:
    if version != tool.version:
        raise StaleEntry()
    before = describe(tool)
    with _transaction():
        tool.deleted_at = tool.updated_at = utcnow()
        tool.updated_by_id = actor.id
        audit.record(
            "ai_tool.delete",
            tool,
            before=before,
            after=describe(tool),
            school_id=tool.school_id,
            ward_id=tool.school.ward_id,
            actor=actor,
        )


def describe(tool: AiTool) -> dict:
    return {
        "name": tool.name,
        "provider": tool.provider,
        "age_suitability": tool.age_suitability,
        "pupil_data": [member.value for member in tool.data_kinds],
        "pupil_data_other": tool.pupil_data_other,
        "account_type": tool.account_type.value if tool.account_type else None,
        "notes": tool.notes,
        "deleted": tool.deleted_at is not None,
    }


def _assign(tool: AiTool, values: dict) -> None:
    for name in TOOL_TEXT:
        setattr(tool, name, values[name])
    wanted = set(values["pupil_data"])
    tool.pupil_data = ",".join(member.value for member in PupilData if member.value in wanted)
    tool.account_type = AccountType(values["account_type"])


# -- consents ----------------------------------------------------------------------------------


def check_consent(values: dict, activities: list[Activity], tools: list[AiTool], upload: Upload | None) -> dict:
    errors = {}
    if values.get("activity_id") not in {activity.id for activity in activities}:
        errors["activity_id"] = _l("Chọn lớp hoặc hoạt động có hình ảnh, sản phẩm của học sinh.")
    if not values.get("group_name"):
        errors["group_name"] = _l("Nhập lớp hoặc nhóm học sinh, ví dụ 4A1.")
    if values.get("consented_on") is None:
        errors["consented_on"] = _l("Nhập ngày cha mẹ học sinh đồng ý.")
    if not set(values.get("tool_ids", [])) <= {tool.id for tool in tools}:
        errors["tool_ids"] = _l("Chọn công cụ trong danh sách.")
    if upload is None:
        errors["file"] = _l("Chọn tệp bản đồng ý (ảnh chụp hoặc bản quét).")
    return errors


def create_consent(
    plan: Plan,
    school: School,
    values: dict,
    upload: Upload | None,
    activities: list[Activity],
    tools: list[AiTool],
    actor,
) -> PupilConsent:
    """Record parents' consent for a class or pupil group: its form is stored first as a restricted
    evidence file of the class's activity (evidence.save_uploads, which commits it with its own
    audit record, or refuses it: UploadRefused, and nothing is kept), then the consent naming it.
    Commits."""
    errors = check_consent(values, activities, tools, upload)
    if errors:
        raise InvalidEntry(errors)
    assert upload is not None
    activity = next(a for a in activities if a.id == values["activity_id"])
    upload.restricted = True  # a consent form names pupils and parents: never in a bundle or an export
    [file] = save_uploads([upload], school=school, actor=actor, activity=activity)
    wanted = set(values["tool_ids"])
    with _transaction():
        consent = PupilConsent(
            plan_id=plan.id,
            school_id=school.id,
            activity_id=activity.id,
            file_id=file.id,
            group_name=values["group_name"],
            consented_on=values["consented_on"],
            notes=values["notes"],
            tools=[tool for tool in tools if tool.id in wanted],
            created_by_id=actor.id,
        )
        db.session.add(consent)
        db.session.flush()
        audit.record(
            "consent.create",
            consent,
            after=describe_consent(consent),
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
    return consent


def delete_consent(consent: PupilConsent, version: int, actor) -> None:
    """Take a consent off file (withdrawn or recorded by mistake); its form stays on the activity. Commits."""
    if version != consent.version:
        raise StaleEntry()
    before = describe_consent(consent)
    with _transaction():
        consent.deleted_at, consent.deleted_by_id = utcnow(), actor.id
        audit.record(
            "consent.delete",
            consent,
            before=before,
            after=describe_consent(consent),
            school_id=consent.school_id,
            ward_id=consent.school.ward_id,
            actor=actor,
        )


def describe_consent(consent: PupilConsent) -> dict:
    return {
        "group_name": consent.group_name,
        "consented_on": _iso(consent.consented_on),
        "activity_id": consent.activity_id,
        "file_id": consent.file_id,
        "tools": [tool.name for tool in consent.tools],
        "notes": consent.notes,
        "deleted": consent.deleted_at is not None,
    }


def _transaction():
    return committing(StaleEntry)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- the year rollover -------------------------------------------------------------------------


def carry_over(source: Plan, target: Plan, actor=None) -> int:
    """Copy the register of `source`'s year (active schools' live tools) into `target`'s; the
    consents stay with their year, so a tool that receives pupil data needs a new one. Does not
    commit: the rollover commits it with the new year. The count."""
    tools = db.session.scalars(
        select(AiTool).where(AiTool.plan_id == source.id, AiTool.deleted_at.is_(None)).order_by(AiTool.id)
    ).all()
    copies = 0
    for old in tools:
        if not old.school.is_active:
            continue
        db.session.add(
            AiTool(
                plan=target,
                school_id=old.school_id,
                name=old.name,
                provider=old.provider,
                age_suitability=old.age_suitability,
                pupil_data=old.pupil_data,
                pupil_data_other=old.pupil_data_other,
                account_type=old.account_type,
                notes=old.notes,
                carried_from_id=old.id,
                created_by_id=getattr(actor, "id", None),
            )
        )
        copies += 1
    if copies:
        db.session.flush()
        audit.record(
            "ai_tool.carry_over",
            target,
            ward_id=target.ward_id,
            actor=actor,
            after={"from": source.school_year.name, "tools": copies},
        )
    return copies
