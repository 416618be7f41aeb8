"""Giving a school's checklist item an owner and co-owners: checked, audited and version-checked."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..extensions import db
from ..models import ChecklistItem, ItemDuty, Role, User, utcnow


class StaleDuty(Exception):
    """Someone changed the item's owners since the form was loaded."""


class DutyRuleError(ValueError):
    """An assignment the rules do not allow; the message is for the user."""


def _snapshot(duty: ItemDuty | None) -> dict:
    if duty is None:
        return {"assignee": None, "co_owners": []}
    return {
        "assignee": duty.assignee.display_name if duty.assignee else None,
        "co_owners": [user.display_name for user in duty.co_owners],
    }


def set_duty(
    item: ChecklistItem, *, version: int, assignee: User | None, co_owners: list[User], actor
) -> ItemDuty | None:
    """Set who answers for `item` (None: nobody) and who shares it, with its audit record; commits.
    `version` is the assignment's version as the form showed it (0: none yet). Setting the same
    people again changes nothing. Raises StaleDuty on a stale version or a lost race."""
    duty = db.session.scalar(db.select(ItemDuty).filter_by(item_id=item.id))
    if (duty.version if duty else 0) != version:
        raise StaleDuty()
    for person in [assignee, *co_owners]:
        if person is not None and (person.role is not Role.SCHOOL_STAFF or person.school_id != item.school_id):
            raise DutyRuleError("Chỉ giao việc cho cán bộ của chính nhà trường.")
    if co_owners and assignee is None:
        raise DutyRuleError("Hãy chọn người phụ trách trước khi chọn người phối hợp.")
    co_owners = [person for person in co_owners if assignee is None or person.id != assignee.id]
    before = _snapshot(duty)
    if duty is None:
        duty = ItemDuty(item_id=item.id, item=item)
        db.session.add(duty)
    duty.assignee = assignee
    duty.co_owners = sorted(co_owners, key=lambda user: (user.full_name, user.username))
    after = _snapshot(duty)
    if after == before:
        db.session.rollback()
        return duty if duty.id else None
    duty.updated_at, duty.updated_by_id = utcnow(), actor.id
    audit.record("item.duty", duty, before=before, after=after | {"item": item.title}, school_id=item.school_id)
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise StaleDuty() from None
    return duty
