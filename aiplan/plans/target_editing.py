"""Editing a target of Phụ lục II and its evidence requirements from the browser. A change is
checked, audited and synced as in editing.py; the fingerprint covers the target and its evidence."""

import re
import unicodedata

from sqlalchemy import select

from .. import audit
from ..activities.services import refresh_target_items
from ..checklists.services import items_with_files
from ..extensions import db
from ..models import ChecklistItem, EvidenceRequirement, Plan, School, SchoolLevel, Target, Timing
from .editing import PlanEdit, PlanEditError, check_retiring, line, record_change
from .spec import MEASURES

TEXT_FIELDS = {
    "category": "Nhập cấp học / đối tượng triển khai.",
    "managing_body": "Nhập đơn vị quản lý, chỉ đạo.",
    "minimum": "Nhập chỉ tiêu triển khai tối thiểu.",
    "forms_text": "Nhập hình thức tổ chức thực hiện.",
    "evidence_text": "Nhập minh chứng thực hiện như kế hoạch ghi.",
}


def target_values(target: Target) -> dict:
    return {
        "category": target.category,
        "managing_body": target.managing_body,
        "minimum": target.minimum,
        "forms_text": target.forms_text,
        "evidence_text": target.evidence_text,
        "levels": [level.value for level in target.levels],
        "pilot": target.pilot,
        "measure": target.measure,
        "measure_min": target.measure_min,
        "timing": target.timing.value,
    }


def evidence_values(evidence: EvidenceRequirement) -> dict:
    return {"title": evidence.title, "timing": evidence.timing.value}


def target_state(target: Target) -> dict:
    """What the target's form shows, its evidence included: the base of its fingerprint."""
    return target_values(target) | {"evidence": [[e.key, evidence_values(e)] for e in target.evidence]}


def update_target(
    plan: Plan,
    target: Target,
    values: dict,
    evidence: dict[str, dict],
    new_evidence: dict | None,
    *,
    version: str,
    actor,
    confirm: bool = False,
) -> bool:
    """Set a target's row, the titles and timings of its evidence, and add one evidence requirement
    (`new_evidence`, if given). Commits; returns whether anything changed.

    Changing the levels or the pilot flag so that schools with recorded work on the target no
    longer owe it raises WouldRetire unless `confirm`ed (their items are then kept, retired).
    Errors of an evidence row are keyed "evidence:<key>", of the new one "new_evidence".
    """
    clean = {name: line(values.get(name)) for name in TEXT_FIELDS}
    errors = {name: message for name, message in TEXT_FIELDS.items() if not clean[name]}
    if len(clean["managing_body"]) > 200:
        errors["managing_body"] = "Tối đa 200 ký tự."
    levels = [level for level in SchoolLevel if level.value in (values.get("levels") or [])]
    if not levels:
        errors["levels"] = "Chọn ít nhất một cấp học."
    if values.get("measure") not in MEASURES:
        errors["measure"] = "Chọn cách tính chỉ tiêu trong danh sách."
    if not isinstance(values.get("measure_min"), int) or values["measure_min"] < 1:
        errors["measure_min"] = "Nhập một số nguyên từ 1 trở lên."
    timings = {timing.value for timing in Timing}
    if values.get("timing") not in timings:
        errors["timing"] = "Chọn thời gian trong danh sách."
    titles = {key: line(row.get("title")) for key, row in evidence.items()}
    for key, title in titles.items():
        if not title or len(title) > 300 or evidence[key].get("timing") not in timings:
            errors[f"evidence:{key}"] = "Nhập tên minh chứng (tối đa 300 ký tự) và chọn thời gian."
    new_title = line((new_evidence or {}).get("title"))
    if len(new_title) > 300 or (new_title and (new_evidence or {}).get("timing") not in timings | {"", None}):
        errors["new_evidence"] = "Tên minh chứng tối đa 300 ký tự; chọn thời gian trong danh sách."
    if errors:
        raise PlanEditError(errors)
    with PlanEdit(plan, version, lambda p: target_state(target)) as edit:
        for name, value in clean.items():
            setattr(target, name, value)
        target.levels_code = ",".join(level.value for level in levels)
        target.pilot, target.measure, target.measure_min = values.get("pilot"), values["measure"], values["measure_min"]
        target.timing = Timing(values["timing"])
        changed = []
        for requirement in target.evidence:
            if requirement.key in evidence:
                changed.append((requirement, evidence_values(requirement)))
                requirement.title = titles[requirement.key]
                requirement.timing = Timing(evidence[requirement.key]["timing"])
        added = None
        if new_title:
            assert new_evidence is not None  # new_title was read from it
            added = EvidenceRequirement(
                key=evidence_key(new_title, {e.key for e in target.evidence}),
                position=len(target.evidence) + 1,
                title=new_title,
                timing=Timing(new_evidence.get("timing") or target.timing.value),
            )
            target.evidence.append(added)
        retiring = check_retiring(plan, confirm)
        before = {name: edit.before[name] for name in target_values(target)}
        any_change = record_change(
            "plan.target", target, plan, before, target_values(target), actor, retired=len(retiring)
        )
        for requirement, was in changed:
            any_change |= record_change("plan.evidence", requirement, plan, was, evidence_values(requirement), actor)
        if added is not None:
            audit.record(
                "plan.evidence_add",
                added,
                ward_id=plan.ward_id,
                actor=actor,
                after={"target": target.stt, "key": added.key} | evidence_values(added),
            )
            any_change = True
        if (before["measure"], before["measure_min"]) != (target.measure, target.measure_min):
            # Target items are computed from the schools' activities: a new measure recounts them.
            edit.after_sync = lambda: _recount(plan, actor)
        return any_change


def remove_evidence(plan: Plan, target: Target, key: str, *, version: str, actor) -> EvidenceRequirement:
    """Drop an evidence requirement with its checklist items, only if no school worked on them
    (status, note, verdict or files); refused otherwise, and for a target's last one. Commits."""
    with PlanEdit(plan, version, lambda p: target_state(target)):
        requirement = next((e for e in target.evidence if e.key == key), None)
        if requirement is None:
            raise PlanEditError({"evidence": "Minh chứng này không còn trong chỉ tiêu."})
        if len(target.evidence) == 1:
            raise PlanEditError(
                {"evidence": "Mỗi chỉ tiêu cần ít nhất một minh chứng; hãy sửa minh chứng này thay vì bỏ."}
            )
        items = db.session.scalars(
            select(ChecklistItem).where(ChecklistItem.evidence_requirement_id == requirement.id)
        ).all()
        with_files = items_with_files([item.id for item in items])
        worked = {item.school_id for item in items if item.has_progress or item.id in with_files}
        if worked:
            raise PlanEditError(
                {
                    "evidence": (
                        f"Không bỏ được minh chứng “{requirement.title}”: {len(worked)} trường đã ghi nhận tiến độ "
                        "hoặc tải tệp lên cho minh chứng này. Có thể sửa tên, thời gian của minh chứng thay vì bỏ."
                    )
                }
            )
        for item in items:
            db.session.delete(item)
        db.session.flush()
        target.evidence.remove(requirement)
        for position, remaining in enumerate(target.evidence, start=1):
            remaining.position = position
        audit.record(
            "plan.evidence_remove",
            target,
            ward_id=plan.ward_id,
            actor=actor,
            before={"target": target.stt, "key": requirement.key} | evidence_values(requirement),
            after={"items_removed": len(items)},
        )
    return requirement


def evidence_key(title: str, taken: set[str]) -> str:
    """A new evidence requirement's key from its title: "Hồ sơ lớp học" → "ho-so-lop-hoc", unique in the target."""
    text = unicodedata.normalize("NFKD", title.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-") or "minh-chung"
    key, n = slug, 2
    while key in taken:
        key, n = f"{slug}-{n}", n + 1
    return key


def _recount(plan: Plan, actor) -> None:
    for school in db.session.scalars(select(School).filter_by(ward_id=plan.ward_id, is_active=True)):
        refresh_target_items(plan, school, actor=actor)
