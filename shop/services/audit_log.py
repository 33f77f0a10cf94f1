"""Reading the audit trail: filtered, paginated, never edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEntry, User, db
from shop import clock
from shop.services.audit_sentences import describe
from shop.services.pagination import Page, paginate


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to; empty values mean no restriction."""

    user_email: str = ""
    action: str = ""
    target_type: str = ""
    start: date | None = None
    end: date | None = None


def list_entries(filters: AuditFilters, page: int = 1, per_page: int = 50) -> Page:
    """Return one page of audit entries, newest first, each told as a sentence.

    Three queries whatever the page size: the count, the page, and the names of the records
    the page mentions.
    """
    query = select(AuditEntry, User.email, User.name).outerjoin(User, User.id == AuditEntry.user_id)
    if filters.user_email:
        query = query.where(User.email == filters.user_email.strip().lower())
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.start:
        query = query.where(AuditEntry.created_at >= clock.day_starts(filters.start))
    if filters.end:
        query = query.where(
            AuditEntry.created_at < clock.day_starts(filters.end + timedelta(days=1))
        )
    return paginate(
        query.order_by(AuditEntry.id.desc()),
        page,
        per_page,
        lambda rows: describe([tuple(row) for row in rows]),
    )


def known_values() -> tuple[list[str], list[str]]:
    """Return the actions and target types present in the log, for the filter menus."""
    actions = db.session.execute(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).scalars()
    targets = db.session.execute(
        select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)
    ).scalars()
    return list(actions), list(targets)
