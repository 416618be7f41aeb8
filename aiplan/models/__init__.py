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
from .aitool import AccountType, AiTool, PupilConsent, PupilData, consent_tool
from .audit import AuditEvent, AuditHead
from .checklist import RESUBMITTED, ChecklistItem, ItemKind, ItemStatus, Verdict
from .city_plan import CityIndicator, CityPlan, IndicatorKind
from .duties import ItemDuty, duty_co_owner
from .equipment import EquipmentGap, EquipmentSurvey
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
from .mail import Digest, DigestKind, DigestStatus, digest_notification
from .notification import Notification, NotificationKind
from .partner import Partner, PartnerKind, partner_activity
from .pilot import PilotLessons, PilotLevel, PilotLevelCount, PilotResult
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
from .problems import Problem, ProblemFile, ProblemMessage, ProblemStatus
from .report import ReportKind, ReportText, UpwardKind, UpwardReport
from .resource import Condition, Resource, ResourceKind
from .training import Organiser, Teacher, TrainingPlan, TrainingSession, carry_roster, training_attendance
from .types import utcnow
from .user import CITY_ROLES, DigestFrequency, Role, User, UserSession
from .ward import City, School, SchoolLevel, Ward

__all__ = [
    "CITY_ROLES",
    "RESUBMITTED",
    "AccountType",
    "Activity",
    "AiTool",
    "Attendee",
    "AuditEvent",
    "AuditHead",
    "ChecklistItem",
    "City",
    "CityIndicator",
    "CityPlan",
    "Condition",
    "ContentArea",
    "CriterionRating",
    "DayOff",
    "Deadline",
    "DeliveryForm",
    "Digest",
    "DigestFrequency",
    "DigestKind",
    "DigestStatus",
    "EquipmentGap",
    "EquipmentSurvey",
    "EvaluationCriterion",
    "EvaluationState",
    "EvidenceFile",
    "EvidenceRequirement",
    "IndicatorKind",
    "Inspection",
    "InspectionDecision",
    "InspectionKind",
    "InspectionStatus",
    "ItemDuty",
    "ItemKind",
    "ItemStatus",
    "Job",
    "JobKind",
    "JobStatus",
    "Milestone",
    "Notification",
    "NotificationKind",
    "Organiser",
    "Owner",
    "Partner",
    "PartnerKind",
    "PilotLessons",
    "PilotLevel",
    "PilotLevelCount",
    "PilotResult",
    "Plan",
    "Problem",
    "ProblemFile",
    "ProblemMessage",
    "ProblemStatus",
    "PupilConsent",
    "PupilData",
    "Rating",
    "ReportKind",
    "ReportText",
    "RequiredOf",
    "Resource",
    "ResourceKind",
    "RoadmapStep",
    "Role",
    "School",
    "SchoolLevel",
    "SchoolYear",
    "SelfEvaluation",
    "Target",
    "TargetOutcome",
    "Teacher",
    "Timing",
    "TrainingPlan",
    "TrainingSession",
    "UpwardKind",
    "UpwardReport",
    "User",
    "UserSession",
    "Verdict",
    "VerdictRecord",
    "Ward",
    "WardActivityKind",
    "activity_content_area",
    "carry_roster",
    "consent_tool",
    "digest_notification",
    "duty_co_owner",
    "inspection_member",
    "partner_activity",
    "plan_pilot_school",
    "training_attendance",
    "utcnow",
]
