"""Items named in the plan's own numbering, as documents and exports print them: "03", "PL2-STT1.2",
"Mốc 3: Xây dựng kế hoạch…". One place, whether the item is loaded (ChecklistItem) or a group of
late items of the rollup (LateGroup)."""

from ..models import ChecklistItem, EvidenceRequirement, ItemKind, Milestone, Target


def item_code(item: ChecklistItem) -> str:
    """An item in the plan's numbering: milestone "03", target "PL2-STT1", its evidence "PL2-STT1.2"."""
    if item.kind is ItemKind.MILESTONE:
        assert item.milestone is not None
        return f"{item.milestone.number:02d}"
    assert item.target is not None
    code = f"PL2-STT{item.target.stt}"
    if item.kind is ItemKind.TARGET:
        return code
    assert item.evidence_requirement is not None
    return f"{code}.{item.evidence_requirement.position}"


def item_label(item: ChecklistItem) -> str:
    """An item as the reports name it: "Mốc 3: …", "Chỉ tiêu STT 1 (Phụ lục II): …", "Minh chứng STT 1: …"."""
    return label_of(item.kind, item.milestone, item.target, item.evidence_requirement)


def label_of(
    kind: ItemKind, milestone: Milestone | None, target: Target | None, evidence: EvidenceRequirement | None
) -> str:
    """item_label from the plan's rows the item belongs to (what a grouped query reads)."""
    if kind is ItemKind.MILESTONE:
        assert milestone is not None
        return f"Mốc {milestone.number}: {capitalised(milestone.title)}"
    assert target is not None
    if kind is ItemKind.TARGET:
        return f"Chỉ tiêu STT {target.stt} (Phụ lục II): {capitalised(target.minimum)}"
    assert evidence is not None
    return f"Minh chứng chỉ tiêu STT {target.stt}: {capitalised(evidence.title)}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
