"""Evidence files (minh chứng) attached to checklist items and activities."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .activity import Activity
    from .checklist import ChecklistItem
    from .partner import Partner
    from .resource import Resource
    from .user import User
    from .ward import School


class EvidenceFile(Model):
    """One uploaded file. Its bytes live in the evidence store under their SHA-256, so the
    same file uploaded twice is stored once; deleting only marks the row.

    A file of the ward's own records (on a ward checklist item or a ward activity) has no school;
    its ward is that of the item's or activity's plan (`ward_id`)."""

    __table_args__ = (
        CheckConstraint(
            "item_id IS NOT NULL OR activity_id IS NOT NULL OR resource_id IS NOT NULL OR partner_id IS NOT NULL",
            name="attached",
        ),
        Index("ix_evidence_file_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_item.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), index=True)
    # The document of an entry of the resources register (a decision, a gift agreement).
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"), index=True)
    # A partner's agreement (thỏa thuận hợp tác): its school's, or the ward's for the ward's partners.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    # Shows pupils' faces or personal data: only the school, supervisors and ward admins see it,
    # and it never goes into bundles or exports.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    school: Mapped["School | None"] = relationship()
    item: Mapped["ChecklistItem | None"] = relationship()
    activity: Mapped["Activity | None"] = relationship()
    resource: Mapped["Resource | None"] = relationship()
    partner: Mapped["Partner | None"] = relationship()
    uploaded_by: Mapped["User | None"] = relationship(foreign_keys=[uploaded_by_id])

    # Not a column: figures.evidence sets it on the files a page lists whose bytes are missing
    # from the store, and the list then says so and offers no download.
    lost = False

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def owner(self) -> "ChecklistItem | Activity | Resource | Partner":
        """The item, activity, resource or partner the file belongs to (one always is: check constraint
        "attached")."""
        owner = self.item or self.activity or self.resource or self.partner
        assert owner is not None
        return owner

    @property
    def ward_id(self) -> int:
        """The ward whose records hold the file: its school's, or for the ward's own files, its plan's."""
        return self.school.ward_id if self.school is not None else self.owner.plan.ward_id
