"""The data model, by domain. Importing this package registers every table."""
from .activity import Activity, CriterionRating, Rating, SelfEvaluation, activity_content_area
from .audit import AuditEvent, AuditHead
from .checklist import ChecklistItem, ItemKind, ItemStatus, Verdict
from .evidence import EvidenceFile
from .inspection import Inspection, InspectionStatus, VerdictRecord, inspection_member
from .plan import (
    ContentArea,
    Deadline,
    DeliveryForm,
    EvaluationCriterion,
    EvidenceRequirement,
    Milestone,
    Owner,
    Plan,
    RequiredOf,
    RoadmapStep,
    SchoolYear,
    plan_pilot_school,
    Target,
    Timing,
)
from .report import ReportKind, ReportText
from .types import utcnow
from .user import Role, User, UserSession
from .ward import School, SchoolLevel, Ward

__all__ = [
    "Inspection", "InspectionStatus", "VerdictRecord", "inspection_member",
    "Activity", "CriterionRating", "EvidenceFile", "Rating", "SelfEvaluation", "activity_content_area",
    "AuditEvent", "AuditHead", "ChecklistItem", "ContentArea", "Deadline", "DeliveryForm", "EvaluationCriterion",
    "EvidenceRequirement", "ItemKind", "ItemStatus", "Milestone", "Owner", "Plan", "RequiredOf",
    "Role", "RoadmapStep", "School", "SchoolLevel", "SchoolYear", "plan_pilot_school", "Target", "Timing", "User",
    "UserSession",
    "Verdict", "Ward", "utcnow",
    "ReportKind", "ReportText",
]
