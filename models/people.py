"""People who sign in: customers, clinicians, staff and admins."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, sql_in, utcnow
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts.
        """Tell Flask-Login whether the account may sign in."""
        return self.active

    def has_role(self, role: str) -> bool:
        """Tell whether this user's role grants `role`."""
        return role in ROLE_GRANTS.get(self.role, set())

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
