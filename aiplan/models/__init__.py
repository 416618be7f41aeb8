"""The data model, by domain. Importing this package registers every table."""

from .activity import (
    Activity,
    Attendee,
    CriterionRating,
    EvaluationState,
    Rating,
    SelfEvaluation,
    WardActivityKind,
    activity_content_area,
)
from .audit import AuditEvent, AuditHead
from .checklist import RESUBMITTED, ChecklistItem, ItemKind, ItemStatus, Verdict
from .evidence import EvidenceFile
from .inspection import (
    Inspection,
    InspectionDecision,
    InspectionKind,
    InspectionStatus,
    VerdictRecord,
    inspection_member,
)
from .job import Job, JobKind, JobStatus
from .notification import Notification, NotificationKind
from .plan import (
    ContentArea,
    DayOff,
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
    Target,
    TargetOutcome,
    Timing,
    plan_pilot_school,
)
from .report import ReportKind, ReportText, UpwardKind, UpwardReport
from .types import utcnow
from .user import Role, User, UserSession
from .ward import School, SchoolLevel, Ward

__all__ = [
    "RESUBMITTED",
    "Activity",
    "Attendee",
    "AuditEvent",
    "AuditHead",
    "ChecklistItem",
    "ContentArea",
    "CriterionRating",
    "DayOff",
    "Deadline",
    "DeliveryForm",
    "EvaluationCriterion",
    "EvaluationState",
    "EvidenceFile",
    "EvidenceRequirement",
    "Inspection",
    "InspectionDecision",
    "InspectionKind",
    "InspectionStatus",
    "ItemKind",
    "ItemStatus",
    "Job",
    "JobKind",
    "JobStatus",
    "Milestone",
    "Notification",
    "NotificationKind",
    "Owner",
    "Plan",
    "Rating",
    "ReportKind",
    "ReportText",
    "RequiredOf",
    "RoadmapStep",
    "Role",
    "School",
    "SchoolLevel",
    "SchoolYear",
    "SelfEvaluation",
    "Target",
    "TargetOutcome",
    "Timing",
    "UpwardKind",
    "UpwardReport",
    "User",
    "UserSession",
    "Verdict",
    "VerdictRecord",
    "Ward",
    "WardActivityKind",
    "activity_content_area",
    "inspection_member",
    "plan_pilot_school",
    "utcnow",
]
