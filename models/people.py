"""People who sign in: customers, clinicians, staff and admins."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, sql_in, utcnow
from models.catalogue import Product
from models.vocabulary import ROLES

# Which roles include which: an admin may do all that staff may.
ROLE_GRANTS = {
    "customer": {"customer"},
    "clinician": {"clinician"},
    "staff": {"staff"},
    "admin": {"admin", "staff", "clinician"},
}


class User(UserMixin, db.Model):
    """An account; the email is stored lower-cased so it is unique whatever the letter case."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(sql_in("role", ROLES), name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="customer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The id Flask-Login keeps in the session; changing it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    # Explicit, separate consents: health data for saved plans, and marketing emails.
    health_data_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the holder followed a link mailed to `email`: only then are records filed under
    # that address alone (guest orders, consultation requests, recommendations) known to be theirs.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    plans: Mapped[list[SavedPlan]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="SavedPlan.treated_on"
    )

    def get_id(self) -> str:
        """Return the session identifier Flask-Login stores (not the database id)."""
        return self.session_token

    def end_all_sessions(self) -> None:
        """Invalidate every session of this user by rotating the session identifier."""
        self.session_token = secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts.
        """Tell Flask-Login whether the account may sign in."""
        return self.active

    def has_role(self, role: str) -> bool:
        """Tell whether this user's role grants `role`."""
        return role in ROLE_GRANTS.get(self.role, set())

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class SavedPlan(db.Model):
    """An aftercare plan a patient chose to keep, stored only with their consent."""

    __tablename__ = "saved_plan"
    __table_args__ = (
        CheckConstraint("fitzpatrick >= 1 AND fitzpatrick <= 6", name="fitzpatrick_range"),
        Index("ix_saved_plan_user_id", "user_id", "treated_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatment.id", ondelete="RESTRICT"))
    treated_on: Mapped[date] = mapped_column(Date)
    fitzpatrick: Mapped[int] = mapped_column(Integer)
    concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Every screening answer, as shop.aftercare.Screening.to_mapping gives them: the plan is
    # rendered again from these, so it shows the same warnings and product rules as when saved.
    screening: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The curated kit the products came as (None when assembled from single products).
    kit_slug: Mapped[str | None] = mapped_column(String(80))
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id", ondelete="SET NULL")
    )
    # The protocol the advice was made with; it renders against that version, not the newest.
    protocol_version: Mapped[str | None] = mapped_column(String(40))
    protocol_hash: Mapped[str | None] = mapped_column(String(64))
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="plans")
    lines: Mapped[list[SavedPlanLine]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="SavedPlanLine.position"
    )


class SavedPlanLine(db.Model):
    """A product the saved plan was made with: how many, for which need, on which days."""

    __tablename__ = "saved_plan_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("use_until_day >= use_from_day", name="window_ordered"),
        Index("ix_saved_plan_line_saved_plan_id", "saved_plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_plan_id: Mapped[int] = mapped_column(ForeignKey("saved_plan.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    need_id: Mapped[str] = mapped_column(String(60), default="")
    # Why the product was chosen, as the plan said it; product advice, not the patient's answers.
    reason: Mapped[str] = mapped_column(Text, default="")
    use_from_day: Mapped[int] = mapped_column(Integer, default=0)
    use_until_day: Mapped[int] = mapped_column(Integer, default=0)
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[SavedPlan] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
