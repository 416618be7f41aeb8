"""Partners (đối tác) of a school or of the ward: the research institutes, universities and
businesses the plan asks them to work with (II.2, form 2.3; II.3), linked to the activities they
took part in. Their agreement files are evidence files (`EvidenceFile.partner_id`)."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .plan import Plan, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .activity import Activity
    from .ward import School

partner_activity = Table(
    "partner_activity",
    db.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
)


class PartnerKind(Vocabulary):
    """What kind of body a partner is, in the plan's words ("viện nghiên cứu, trường đại học, doanh nghiệp")."""

    INSTITUTE = "vien_nghien_cuu", _l("Viện nghiên cứu")
    UNIVERSITY = "dai_hoc", _l("Trường đại học")
    BUSINESS = "doanh_nghiep", _l("Doanh nghiệp")
    OTHER = "khac", _l("Tổ chức, cá nhân khác")


class Partner(Model):
    """One partner of a school (`school_id`) or of the ward itself (no school), for one school
    year (`plan_id`): the year rollover copies it, with its agreement files, into the next year."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[PartnerKind] = mapped_column(str_enum(PartnerKind))
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    agreement_from: Mapped[date | None] = mapped_column(Date)  # thỏa thuận hợp tác: từ ngày
    agreement_to: Mapped[date | None] = mapped_column(Date)  # đến ngày (none: no end date)
    notes: Mapped[str] = mapped_column(Text, default="")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))  # last year's row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    school: Mapped["School | None"] = relationship()
    activities: Mapped[list["Activity"]] = relationship(secondary=partner_activity, order_by="Activity.starts_on")

    __mapper_args__ = {"version_id_col": version}
