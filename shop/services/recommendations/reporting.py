"""Statuses, the clinician's list of recommendations, and the recommendation funnel report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Order, Recommendation, Treatment, User, db
from shop import clock
from shop.services.pagination import Page, paginate
from shop.services.recommendations.records import Actor

# Orders in these states did not turn into a sale, so they do not count as a purchase.
NOT_PURCHASED_STATUSES = ("expired", "cancelled", "refunded")
STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "opened": "Opened",
    "acknowledged": "Advice acknowledged",
    "purchased": "Purchased",
    "expired": "Expired",
    "revoked": "Revoked",
}


@dataclass(frozen=True)
class Purchase:
    """An order placed through a recommendation link."""

    reference: str
    status: str
    total_pence: int


def link_status(
    rec: Recommendation, purchases: Iterable[Purchase], now: datetime | None = None
) -> str:
    """Return the recommendation's status as the clinician reads it (a STATUS_LABELS key)."""
    if rec.status in ("draft", "revoked"):
        return rec.status
    if any(p.status not in NOT_PURCHASED_STATUSES for p in purchases):
        return "purchased"
    expires_at = clock.aware_utc(rec.expires_at)
    if expires_at is not None and expires_at <= (now or clock.utc_now()):
        return "expired"
    if rec.acknowledged_at is not None:
        return "acknowledged"
    if rec.opened_at is not None:
        return "opened"
    return "sent"


def purchases_for(rec_ids: Iterable[int]) -> dict[int, list[Purchase]]:
    """Return the orders placed through each recommendation, in one query."""
    ids = list(set(rec_ids))
    found: dict[int, list[Purchase]] = {rec_id: [] for rec_id in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(Order.recommendation_id, Order.reference, Order.status, Order.total_pence)
        .where(Order.recommendation_id.in_(ids))
        .order_by(Order.placed_at, Order.id)
    ).all()
    for rec_id, reference, status, total in rows:
        found[rec_id].append(Purchase(reference, status, total))
    return found


@dataclass(frozen=True)
class RecommendationRow:
    """A line of the recommendations list."""

    recommendation: Recommendation
    status: str
    purchases: list[Purchase]
    clinician_name: str

    @property
    def status_label(self) -> str:
        """Return the status in words."""
        return STATUS_LABELS[self.status]


def list_recommendations(
    actor: Actor, page: int, per_page: int, now: datetime | None = None
) -> Page:
    """Return a page of the actor's recommendations (an admin's: all of them), newest first.

    The page's items are RecommendationRow. Five queries whatever the number of rows: count,
    page, treatments, clinicians, orders.
    """
    condition = True if actor.is_admin else Recommendation.clinician_id == actor.user_id
    moment = now or clock.utc_now()

    def rows(recs: list[Recommendation]) -> list[RecommendationRow]:
        clinician_ids = {rec.clinician_id for rec in recs if rec.clinician_id is not None}
        names: dict[int, str] = {}
        if clinician_ids:
            names = {
                user_id: name or email
                for user_id, name, email in db.session.execute(
                    select(User.id, User.name, User.email).where(User.id.in_(clinician_ids))
                ).all()
            }
        purchases = purchases_for(rec.id for rec in recs)
        return [
            RecommendationRow(
                recommendation=rec,
                status=link_status(rec, purchases.get(rec.id, []), moment),
                purchases=purchases.get(rec.id, []),
                clinician_name=names.get(rec.clinician_id, "") if rec.clinician_id else "",
            )
            for rec in recs
        ]

    query = (
        select(Recommendation)
        .where(condition)
        .options(selectinload(Recommendation.treatment))
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())
    )
    return paginate(query, page, per_page, rows, scalars=True)


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """The funnel of one clinician or treatment: sent, opened, acknowledged, purchased."""

    label: str
    sent: int
    opened: int
    acknowledged: int
    purchased: int

    @property
    def conversion_percent(self) -> int:
        """Return the share of sent recommendations that led to a purchase, in whole percent."""
        return round(100 * self.purchased / self.sent) if self.sent else 0


@dataclass(frozen=True)
class Report:
    """The recommendation funnel over a date range, per clinician and per treatment."""

    date_from: date
    date_to: date
    by_clinician: list[ReportRow]
    by_treatment: list[ReportRow]

    @property
    def total(self) -> ReportRow:
        """Return the whole range's funnel."""
        rows = self.by_clinician
        return ReportRow(
            "All",
            sum(r.sent for r in rows),
            sum(r.opened for r in rows),
            sum(r.acknowledged for r in rows),
            sum(r.purchased for r in rows),
        )


def recommendation_report(date_from: date, date_to: date, actor: Actor) -> Report:
    """Count recommendations sent in the range and how far each got; two grouped queries.

    A clinician sees their own figures; an admin sees every clinician's.
    """
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    bought = (
        select(Order.recommendation_id.label("rec_id"))
        .where(
            Order.recommendation_id.is_not(None),
            Order.status.not_in(NOT_PURCHASED_STATUSES),
        )
        .distinct()
        .subquery()
    )
    measures = (
        func.count(Recommendation.id),
        func.count(Recommendation.opened_at),
        func.count(Recommendation.acknowledged_at),
        func.count(bought.c.rec_id),
    )
    conditions = [Recommendation.sent_at >= start, Recommendation.sent_at < end]
    if not actor.is_admin:
        conditions.append(Recommendation.clinician_id == actor.user_id)
    by_clinician = db.session.execute(
        select(User.name, User.email, *measures)
        .select_from(Recommendation)
        .outerjoin(User, User.id == Recommendation.clinician_id)
        .outerjoin(bought, bought.c.rec_id == Recommendation.id)
        .where(*conditions)
        .group_by(Recommendation.clinician_id, User.name, User.email)
        .order_by(User.name)
    ).all()
    by_treatment = db.session.execute(
        select(Treatment.name, *measures)
        .select_from(Recommendation)
        .join(Treatment, Treatment.id == Recommendation.treatment_id)
        .outerjoin(bought, bought.c.rec_id == Recommendation.id)
        .where(*conditions)
        .group_by(Treatment.id, Treatment.name)
        .order_by(Treatment.name)
    ).all()
    return Report(
        date_from=date_from,
        date_to=date_to,
        by_clinician=[
            ReportRow(name or email or "Former clinician", *counts)
            for name, email, *counts in by_clinician
        ],
        by_treatment=[ReportRow(name, *counts) for name, *counts in by_treatment],
    )
