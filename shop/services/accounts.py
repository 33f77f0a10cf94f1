"""Account use cases: register, sign in, reset passwords, roles, saved plans, export and erasure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Text, cast, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from models import (
    AuditEntry,
    BasketItem,
    ConsultationRequest,
    Order,
    OrderEvent,
    OutboxEmail,
    Recommendation,
    Refund,
    SavedPlan,
    Treatment,
    User,
    db,
)
from models.vocabulary import CONCERNS, ROLES
from shop import clock
from shop.aftercare import Catalogue, Profile, ProtocolError, Screening, protocol_from_dict
from shop.aftercare import plan as build_plan
from shop.services import audit
from shop.services.notifications import queue_email
from shop.services.pagination import Page, clamp_page
from shop.services.protocols import protocols_by_hash
from shop.services.unit_of_work import unit_of_work

PASSWORD_RESET_SALT = "password-reset"
EMAIL_CONFIRMATION_SALT = "email-confirmation"
ACCOUNT_EMAIL_KINDS = ("password_reset", "email_confirmation")
MIN_PASSWORD_LENGTH = 10
ERASED_NAME = "Erased customer"
ERASED_DOMAIN = "erased.invalid"
ERASED_TEXT = "[erased]"

# The passwords people pick first; checked case-insensitively, also with digits and
# symbols stripped from the end ("Password123!" is still "password").
COMMON_PASSWORDS = frozenset(
    """
    password passw0rd p@ssword p@ssw0rd password1 letmein welcome welcome1 qwerty qwertyuiop
    qwerty123 asdfghjkl zxcvbnm 123456 1234567 12345678 123456789 1234567890 0123456789
    1q2w3e4r 1q2w3e4r5t 1qaz2wsx iloveyou sunshine monkey dragon football baseball princess
    trustno1 starwars superman batman master shadow michael jennifer abc123 abcdef abcdefgh
    abcdefghij admin administrator changeme changeit secret default login guest test tester
    summer winter spring autumn skincare clinic beautiful
    """.split()  # noqa: SIM905 - a word list reads better than a 60-item literal
)

# A hash to check against when the email is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is safe to show."""


class EmailTaken(AccountError):
    """An account with that email (in any letter case) already exists."""


class InvalidCredentials(AccountError):
    """Wrong email or password."""


class AccountInactive(AccountError):
    """The account was deactivated by the clinic and may not sign in."""


class InvalidResetToken(AccountError):
    """A password reset link that is wrong, expired or already used."""


class InvalidConfirmationLink(AccountError):
    """An email confirmation link that is forged, expired or for an address no longer used."""


@dataclass(frozen=True)
class EmailConfirmation:
    """How to make the link proving an email address: signing key, address builder, lifetime."""

    secret_key: str
    link_for: Callable[[str], str]
    max_age: int


class WeakPassword(AccountError):
    """A password that does not meet the strength rule."""


# --- emails and passwords ------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """Return the email checked for shape and lower-cased; raise AccountError when invalid."""
    try:
        checked = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(f"Please enter a valid email address ({error}).") from error
    return checked.normalized.lower()


def password_problems(password: str, email: str = "") -> list[str]:
    """Return what is wrong with `password` (an empty list when it is strong enough)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    classes = sum(
        bool(re.search(pattern, password))
        for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")
    )
    if password and classes < 2:
        problems.append("Mix letters with numbers or symbols, or use both upper and lower case.")
    lowered = password.lower()
    core = lowered.rstrip("0123456789!@#$%^&*.?-_ ")
    if lowered in COMMON_PASSWORDS or core in COMMON_PASSWORDS:
        problems.append("That password is too common; please choose another.")
    email = (email or "").strip().lower()
    if email:
        local = email.split("@", 1)[0]
        if lowered in (email, local) or (len(local) >= 4 and local in lowered):
            problems.append("Your password must not contain your email address.")
    return problems


def _check_password_strength(password: str, email: str) -> None:
    problems = password_problems(password, email)
    if problems:
        raise WeakPassword(" ".join(problems))


def get_user(user_id: int) -> User | None:
    """Return the user with that id, or None."""
    return db.session.get(User, user_id)


def user_by_email(email: str) -> User | None:
    """Return the user with that email (any letter case), or None."""
    return db.session.execute(
        select(User).where(User.email == (email or "").strip().lower())
    ).scalar_one_or_none()


# --- registration and sign-in ---------------------------------------------------------------


def register(
    email: str,
    name: str,
    password: str,
    health_data_consent: bool,
    marketing_consent: bool = False,
    now: datetime | None = None,
    *,
    confirmation: EmailConfirmation,
) -> User:
    """Create a customer account and email a link confirming its address; commits.

    Refuses a taken email, a weak password or missing consent. The account can shop at once;
    records filed under the address alone become its own once the link is followed.
    """
    email = normalise_email(email)
    if not health_data_consent:
        raise AccountError("Please agree to how we store your aftercare information.")
    _check_password_strength(password, email)
    if user_by_email(email) is not None:
        raise EmailTaken(
            "An account with this email already exists. Sign in or reset your password."
        )
    moment = now or clock.utc_now()
    user = User(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        role="customer",
        health_data_consent_at=moment,
        marketing_consent=bool(marketing_consent),
        password_changed_at=moment,
        last_login_at=moment,
    )
    try:
        with unit_of_work():
            db.session.add(user)
            db.session.flush()
            _queue_email_confirmation(user, confirmation)
    except IntegrityError as error:
        # Two sign-ups racing for one address: the UNIQUE constraint decides.
        raise EmailTaken(
            "An account with this email already exists. Sign in or reset your password."
        ) from error
    return user


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """Return the user when the email and password match an active account; record the login."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise InvalidCredentials("That email and password do not match an account.")
    if not check_password_hash(user.password_hash, password or ""):
        raise InvalidCredentials("That email and password do not match an account.")
    if not user.active:
        raise AccountInactive(
            "This account has been deactivated. Please contact the clinic if you need help."
        )
    with unit_of_work():
        user.last_login_at = now or clock.utc_now()
    return user


def create_user(
    email: str, role: str, password: str, name: str = "", now: datetime | None = None
) -> User:
    """Create an account with any role (the `flask users create` command)."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    _check_password_strength(password, email)
    if user_by_email(email) is not None:
        raise EmailTaken(f"An account for {email} already exists.")
    moment = now or clock.utc_now()
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=generate_password_hash(password),
        password_changed_at=moment,
    )
    try:
        with unit_of_work():
            db.session.add(user)
    except IntegrityError as error:
        raise EmailTaken(f"An account for {email} already exists.") from error
    return user


def change_password(
    user_id: int, current_password: str, new_password: str, now: datetime | None = None
) -> User:
    """Change a signed-in user's password; every session of the account ends."""
    user = db.session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current_password or ""):
        raise InvalidCredentials("Your current password is not right.")
    with unit_of_work():
        _check_password_strength(new_password, user.email)
        _set_password(user, new_password, now or clock.utc_now())
    return user


def _set_password(user: User, password: str, moment: datetime) -> None:
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = moment
    user.end_all_sessions()


# --- password reset -------------------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=PASSWORD_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """A digest of the current password hash and email: it changes once the link is used."""
    material = f"{user.id}:{user.email}:{user.password_hash}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def make_reset_token(user: User, secret_key: str) -> str:
    """Return a signed token for resetting `user`'s password (valid until the password changes)."""
    return _serializer(secret_key).dumps({"u": user.id, "f": _password_fingerprint(user)})


def user_for_reset_token(token: str, secret_key: str, max_age: int) -> User:
    """Return the user a reset token belongs to; raise InvalidResetToken when it cannot be used."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise InvalidResetToken("That reset link has expired. Please ask for a new one.") from error
    except BadSignature as error:
        raise InvalidResetToken(
            "That reset link is not valid. Please ask for a new one."
        ) from error
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _password_fingerprint(user):
        raise InvalidResetToken("That reset link has already been used or is no longer valid.")
    return user


def request_password_reset(
    email: str, secret_key: str, link_for: Callable[[str], str], max_age: int
) -> bool:
    """Queue a reset email when an active account has that email; return whether one was queued.

    The caller answers the same either way, so the form does not reveal who has an account.
    """
    try:
        user = user_by_email(normalise_email(email))
    except AccountError:
        return False
    if user is None or not user.active:
        return False
    with unit_of_work():
        token = make_reset_token(user, secret_key)
        queue_email(
            user.email,
            "Reset your password",
            "password_reset",
            name=user.name,
            link=link_for(token),
            valid_minutes=max(1, max_age // 60),
        )
    return True


def reset_password(
    token: str, new_password: str, secret_key: str, max_age: int, now: datetime | None = None
) -> User:
    """Set a new password from a reset link; the link stops working and all sessions end."""
    with unit_of_work():
        user = user_for_reset_token(token, secret_key, max_age)
        _check_password_strength(new_password, user.email)
        _set_password(user, new_password, now or clock.utc_now())
    return user


# --- proving the email address (before showing or erasing records tied to it) ---------------


def _email_fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.email}".encode()).hexdigest()[:24]


def _confirmation_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=EMAIL_CONFIRMATION_SALT)


def _queue_email_confirmation(user: User, confirmation: EmailConfirmation) -> None:
    """Write the confirmation email for `user` to the outbox (the caller commits)."""
    token = _confirmation_serializer(confirmation.secret_key).dumps(
        {"u": user.id, "e": _email_fingerprint(user)}
    )
    queue_email(
        user.email,
        "Confirm your email address",
        "email_confirmation",
        name=user.name,
        link=confirmation.link_for(token),
        valid_hours=max(1, confirmation.max_age // 3600),
    )


def request_email_confirmation(user_id: int, confirmation: EmailConfirmation) -> None:
    """Email the account holder a fresh link proving the account's address is theirs; commits."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    with unit_of_work():
        _queue_email_confirmation(user, confirmation)


def confirm_email_address(
    token: str, secret_key: str, max_age: int, now: datetime | None = None
) -> User:
    """Record that the holder of a confirmation link reads the account's mail; commits.

    Raises InvalidConfirmationLink for a forged or expired link, or one sent to an address the
    account no longer has. Following a link again changes nothing.
    """
    try:
        data = _confirmation_serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise InvalidConfirmationLink(
            "That confirmation link has expired. Sign in and ask for a new one on the "
            "Your data page."
        ) from error
    except BadSignature as error:
        raise InvalidConfirmationLink("That confirmation link is not valid.") from error
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("e") != _email_fingerprint(user):
        raise InvalidConfirmationLink("That confirmation link is not valid.")
    if user.email_confirmed_at is None:
        with unit_of_work():
            user.email_confirmed_at = now or clock.utc_now()
    return user


# --- the admin screen -----------------------------------------------------------------------


def list_users(page: int, per_page: int, role: str | None = None, search: str = "") -> Page:
    """Return one page of users, filtered by role and by part of the email; two queries."""
    query = select(User)
    if role:
        query = query.where(User.role == role)
    search = (search or "").strip().lower()
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(User.email.like(f"%{escaped}%", escape="\\"))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = clamp_page(page, total, per_page)
    users = (
        db.session.execute(query.order_by(User.email).limit(per_page).offset((page - 1) * per_page))
        .scalars()
        .all()
    )
    return Page(items=list(users), page=page, per_page=per_page, total=total)


def change_role(actor_id: int | None, user_id: int, role: str) -> User:
    """Give a user another role, recorded in the audit log; an admin cannot demote themselves."""
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such user.")
    if actor_id is not None and user.id == actor_id and role != user.role:
        raise AccountError("You cannot change your own role; ask another admin.")
    if user.role == role:
        return user
    with unit_of_work():
        before = {"role": user.role}
        user.role = role
        # A new role means new permissions: make the user sign in again.
        user.end_all_sessions()
        audit.record(actor_id, "user.role_changed", "user", user.id, before, {"role": role})
    return user


def set_active(actor_id: int | None, user_id: int, active: bool) -> User:
    """Deactivate (ending every session) or reactivate an account, recorded in the audit log."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such user.")
    if actor_id is not None and user.id == actor_id and not active:
        raise AccountError("You cannot deactivate your own account.")
    if user.active == active:
        return user
    user.active = active
    if not active:
        user.end_all_sessions()
    with unit_of_work():
        audit.record(
            actor_id,
            "user.activated" if active else "user.deactivated",
            "user",
            user.id,
            {"active": not active},
            {"active": active},
        )
    return user


def set_role_by_email(email: str, role: str) -> User:
    """Change the role of the account with that email (the `flask users set-role` command)."""
    user = user_by_email(email)
    if user is None:
        raise AccountError(f"There is no account for {email}.")
    return change_role(None, user.id, role)


# --- saved plans and today's step ------------------------------------------------------------


@dataclass(frozen=True)
class PlanToday:
    """A saved plan and where the patient is in it today."""

    plan: SavedPlan
    treatment: Treatment | None
    day: int
    last_day: int | None
    use: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    suitable: bool = True
    reasons: tuple[str, ...] = ()

    @property
    def upcoming(self) -> bool:
        """True before the treatment day."""
        return self.day < 0

    @property
    def finished(self) -> bool:
        """True once the aftercare timeline is over."""
        return self.last_day is not None and self.day > self.last_day

    @property
    def active(self) -> bool:
        """True from the treatment day to the last day of the timeline (or upcoming)."""
        return not self.finished


def save_plan(
    user_id: int,
    treatment_slug: str,
    treated_on: date,
    fitzpatrick: int,
    concerns: Iterable[str],
    pregnant_or_breastfeeding: bool,
    consent: bool,
    now: datetime | None = None,
    recommendation_id: int | None = None,
) -> SavedPlan:
    """Keep a kit-finder plan (or a clinician's recommended one); refused without consent."""
    if not consent:
        raise AccountError("Please tick the box to agree to us keeping this plan.")
    treatment = db.session.execute(
        select(Treatment).where(Treatment.slug == treatment_slug)
    ).scalar_one_or_none()
    if treatment is None:
        raise AccountError("We do not know that treatment.")
    if isinstance(fitzpatrick, bool) or fitzpatrick not in range(1, 7):
        raise AccountError("Skin type must be Fitzpatrick I to VI.")
    concerns = sorted(set(concerns))
    unknown = [c for c in concerns if c not in CONCERNS]
    if unknown:
        raise AccountError(f"Unknown concern: {', '.join(unknown)}.")
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    moment = now or clock.utc_now()
    # The plan keeps the protocol it was shown with: a clinician's, or the current one.
    version, digest = treatment.protocol_version, treatment.protocol_hash
    source = db.session.get(Recommendation, recommendation_id) if recommendation_id else None
    if source is not None and source.treatment_id == treatment.id and source.protocol_hash:
        version, digest = source.protocol_version, source.protocol_hash
    plan = SavedPlan(
        user_id=user.id,
        treatment_id=treatment.id,
        protocol_version=version,
        protocol_hash=digest,
        treated_on=treated_on,
        fitzpatrick=fitzpatrick,
        concerns=concerns,
        pregnant_or_breastfeeding=bool(pregnant_or_breastfeeding),
        recommendation_id=recommendation_id,
        consent_at=moment,
    )
    if user.health_data_consent_at is None:
        user.health_data_consent_at = moment
    with unit_of_work():
        db.session.add(plan)
    return plan


def delete_plan(user_id: int, plan_id: int) -> bool:
    """Delete one of the user's own plans; return False when there is no such plan of theirs."""
    plan = db.session.execute(
        select(SavedPlan).where(SavedPlan.id == plan_id, SavedPlan.user_id == user_id)
    ).scalar_one_or_none()
    if plan is None:
        return False
    with unit_of_work():
        db.session.delete(plan)
    return True


def _plan_today(
    plan: SavedPlan, treatment: Treatment | None, today: date, protocols: dict[int, Any]
) -> PlanToday:
    """Work out today's step of a plan with the aftercare engine (or just the day number)."""
    day = (today - plan.treated_on).days
    protocol = protocols.get(plan.id)
    if protocol is None:
        return PlanToday(plan=plan, treatment=treatment, day=day, last_day=None)
    try:
        result = build_plan(
            protocol,
            Profile(plan.fitzpatrick, frozenset(plan.concerns or ())),
            Screening(pregnant_or_breastfeeding=plan.pregnant_or_breastfeeding),
            plan.treated_on,
            today,
            # No products: today's step names what to use, not which bottle to buy again.
            Catalogue.of([]),
        )
    except ValueError:
        return PlanToday(plan=plan, treatment=treatment, day=day, last_day=protocol.last_day)
    steps = [entry for entry in result.timeline if entry.is_today]
    step = steps[0] if steps else None
    return PlanToday(
        plan=plan,
        treatment=treatment,
        day=day,
        last_day=protocol.last_day,
        use=step.use if step else (),
        avoid=step.avoid if step else (),
        suitable=result.suitable,
        reasons=result.reasons,
    )


def _protocols_for(rows: Iterable[tuple[SavedPlan, Treatment | None]]) -> dict[int, Any]:
    """Return each plan's protocol (the version it was saved with) by plan id; one query.

    A plan whose version is unknown falls back to the treatment's current protocol; a missing
    or broken one leaves just the day count.
    """
    rows = list(rows)
    stored = protocols_by_hash((plan.treatment_id, plan.protocol_hash) for plan, _ in rows)
    protocols: dict[int, Any] = {}
    for plan, treatment in rows:
        protocol = stored.get((plan.treatment_id, plan.protocol_hash or ""))
        if protocol is None and treatment is not None and treatment.protocol:
            try:
                protocol = protocol_from_dict(treatment.protocol)
            except ProtocolError:
                protocol = None
        protocols[plan.id] = protocol
    return protocols


def _plans_with_treatments(user_id: int) -> list[tuple[SavedPlan, Treatment | None]]:
    """Load the user's plans (newest treatment first) and their treatments in two queries."""
    plans = (
        db.session.execute(
            select(SavedPlan)
            .where(SavedPlan.user_id == user_id)
            .order_by(SavedPlan.treated_on.desc(), SavedPlan.id.desc())
        )
        .scalars()
        .all()
    )
    ids = {plan.treatment_id for plan in plans}
    treatments: dict[int, Treatment] = {}
    if ids:
        rows = db.session.execute(select(Treatment).where(Treatment.id.in_(ids))).scalars()
        treatments = {treatment.id: treatment for treatment in rows}
    return [(plan, treatments.get(plan.treatment_id)) for plan in plans]


def list_plans(user_id: int, today: date) -> list[PlanToday]:
    """Return the user's saved plans with today's step, newest treatment first; two queries."""
    rows = _plans_with_treatments(user_id)
    protocols = _protocols_for(rows)
    return [_plan_today(plan, treatment, today, protocols) for plan, treatment in rows]


# --- overview and orders --------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """What the account page shows: how many orders, and the plans still running."""

    orders_count: int
    plans: list[PlanToday] = field(default_factory=list)


def overview(user_id: int, today: date) -> Overview:
    """Return the account overview: order count and active plans with today's step."""
    count = db.session.execute(
        select(func.count()).select_from(Order).where(Order.user_id == user_id)
    ).scalar_one()
    return Overview(orders_count=count, plans=[p for p in list_plans(user_id, today) if p.active])


def list_orders(user_id: int, page: int, per_page: int) -> Page:
    """Return one page of the user's own orders, newest first, with their lines; three queries."""
    total = db.session.execute(
        select(func.count()).select_from(Order).where(Order.user_id == user_id)
    ).scalar_one()
    page = clamp_page(page, total, per_page)
    orders = (
        db.session.execute(
            select(Order)
            .where(Order.user_id == user_id)
            .options(selectinload(Order.lines))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    return Page(items=list(orders), page=page, per_page=per_page, total=total)


# --- export and erasure ---------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _same_email(column, email: str, email_confirmed: bool):
    """Match rows addressed to `email`, but only once the account proved it reads that mailbox.

    Anyone can open an account with any address, so records tied to an address only (guest
    orders, consultation requests, clinicians' recommendations) are shown or erased only after
    the account holder followed a link sent to it.
    """
    return func.lower(column) == email if email_confirmed else false()


def export_data(user_id: int) -> dict[str, Any]:
    """Return everything the shop holds about the user, as JSON-ready data.

    Records tied only to the email address are included once the address is confirmed.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    email_confirmed = user.email_confirmed_at is not None
    orders = (
        db.session.execute(
            select(Order)
            .where(
                or_(Order.user_id == user.id, _same_email(Order.email, user.email, email_confirmed))
            )
            .options(selectinload(Order.lines))
            .order_by(Order.placed_at)
        )
        .scalars()
        .all()
    )
    plans = _plans_with_treatments(user.id)
    consultations = (
        db.session.execute(
            select(ConsultationRequest)
            .where(_same_email(ConsultationRequest.email, user.email, email_confirmed))
            .options(selectinload(ConsultationRequest.treatment))
            .order_by(ConsultationRequest.created_at)
        )
        .scalars()
        .all()
    )
    recommendations = (
        db.session.execute(
            select(Recommendation)
            .where(_same_email(Recommendation.patient_email, user.email, email_confirmed))
            .options(
                selectinload(Recommendation.treatment),
                selectinload(Recommendation.items),
            )
            .order_by(Recommendation.created_at)
        )
        .scalars()
        .all()
    )
    basket = (
        db.session.execute(select(BasketItem).where(BasketItem.user_id == user.id)).scalars().all()
    )
    return {
        "exported_at": _iso(clock.utc_now()),
        "includes_records_sent_to_the_email": email_confirmed,
        "profile": {
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "active": user.active,
            "created_at": _iso(user.created_at),
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "last_login_at": _iso(user.last_login_at),
            "password_changed_at": _iso(user.password_changed_at),
        },
        "consents": {
            "health_data_consent_at": _iso(user.health_data_consent_at),
            "marketing_consent": user.marketing_consent,
        },
        "orders": [
            {
                "reference": order.reference,
                "placed_at": _iso(order.placed_at),
                "status": order.status,
                "name": order.name,
                "email": order.email,
                "phone": order.phone,
                "fulfilment": order.fulfilment,
                "address": {
                    "line1": order.address_line1,
                    "line2": order.address_line2,
                    "town": order.town,
                    "postcode": order.postcode,
                },
                "payment_method": order.payment_method,
                "total_pence": order.total_pence,
                "delivery_pence": order.delivery_pence,
                "refunded_pence": order.refunded_pence,
                "currency": order.currency,
                "lines": [
                    {
                        "name": line.name,
                        "kind": line.kind,
                        "quantity": line.quantity,
                        "unit_price_pence": line.unit_price_pence,
                        "line_total_pence": line.line_total_pence,
                    }
                    for line in order.lines
                ],
            }
            for order in orders
        ],
        "saved_plans": [
            {
                "treatment": treatment.slug if treatment else None,
                "treated_on": _iso(plan.treated_on),
                "fitzpatrick": plan.fitzpatrick,
                "concerns": list(plan.concerns or []),
                "pregnant_or_breastfeeding": plan.pregnant_or_breastfeeding,
                "consent_at": _iso(plan.consent_at),
                "created_at": _iso(plan.created_at),
            }
            for plan, treatment in plans
        ],
        "consultation_requests": [
            {
                "created_at": _iso(request.created_at),
                "name": request.name,
                "email": request.email,
                "phone": request.phone,
                "treatment": request.treatment.slug if request.treatment else None,
                "preferred_times": request.preferred_times,
                "question": request.question,
                "status": request.status,
                "contact_consent_at": _iso(request.contact_consent_at),
            }
            for request in consultations
        ],
        "recommendations": [
            {
                "created_at": _iso(rec.created_at),
                "patient_name": rec.patient_name,
                "patient_email": rec.patient_email,
                "treatment": rec.treatment.slug if rec.treatment else None,
                "treated_on": _iso(rec.treated_on),
                "fitzpatrick": rec.fitzpatrick,
                "concerns": list(rec.concerns or []),
                "screening": dict(rec.screening or {}),
                "notes": rec.notes,
                "status": rec.status,
                "items": [
                    {
                        "product_id": item.product_id,
                        "quantity": item.quantity,
                        "reason": item.reason,
                    }
                    for item in rec.items
                ],
            }
            for rec in recommendations
        ],
        "basket": [{"item": item.item_key, "quantity": item.quantity} for item in basket],
    }


def _scrubber(*needles: str) -> Callable[[Any], Any]:
    """Return a function replacing every occurrence of `needles` (any case) in text and JSON."""
    words = [re.escape(n) for n in needles if n and len(n.strip()) >= 3]
    if not words:
        return lambda value: value
    pattern = re.compile("|".join(words), re.IGNORECASE)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(ERASED_TEXT, value)
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    return scrub


def erase_account(user_id: int, password: str) -> None:
    """Erase a customer's personal and health data; orders stay, anonymised, for sales records.

    Deletes saved plans, basket and the account; removes name, email, phone and address from
    orders; anonymises consultation requests and recommendations sent to the email; scrubs the
    name and email from notes, refund reasons and audit entries; cancels every email still
    waiting to go to the address. Records tied only to the email address are included once
    the address is confirmed. One transaction.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    if not check_password_hash(user.password_hash, password or ""):
        raise InvalidCredentials("Your password is not right, so nothing was deleted.")
    if user.role != "customer":
        raise AccountError(
            "Clinic accounts cannot be deleted here; please ask an admin to deactivate it."
        )
    email, name = user.email, user.name
    email_confirmed = user.email_confirmed_at is not None
    scrub = _scrubber(email, name)
    erased_email = f"erased-{hashlib.sha256(email.encode()).hexdigest()[:12]}@{ERASED_DOMAIN}"

    with unit_of_work():
        orders = (
            db.session.execute(
                select(Order)
                .where(
                    or_(Order.user_id == user.id, _same_email(Order.email, email, email_confirmed))
                )
                .options(selectinload(Order.events))
            )
            .scalars()
            .all()
        )
        for order in orders:
            order.user_id = None
            order.email = erased_email
            order.name = ERASED_NAME
            order.phone = ""
            order.address_line1 = order.address_line2 = ""
            order.town = ""
            order.postcode = ""
            order.tracking_reference = ""
            for event in order.events:
                event.note = scrub(event.note)
        order_ids = [order.id for order in orders]
        if order_ids:
            for refund in db.session.execute(
                select(Refund).where(Refund.order_id.in_(order_ids))
            ).scalars():
                refund.reason = scrub(refund.reason)
        for event in db.session.execute(
            select(OrderEvent).where(OrderEvent.user_id == user.id)
        ).scalars():
            event.user_id = None

        for request in db.session.execute(
            select(ConsultationRequest).where(
                _same_email(ConsultationRequest.email, email, email_confirmed)
            )
        ).scalars():
            request.name = ERASED_NAME
            request.email = erased_email
            request.phone = ""
            request.treatment_id = None
            request.preferred_times = ""
            request.question = ""
            request.staff_note = ""
            request.status = "closed"
        for rec in db.session.execute(
            select(Recommendation).where(
                _same_email(Recommendation.patient_email, email, email_confirmed)
            )
        ).scalars():
            rec.patient_name = ERASED_NAME
            rec.patient_email = erased_email
            rec.notes = ""
            rec.screening = {}
            rec.concerns = []
            # The link must stop working: it would show the erased recommendation.
            rec.token_hash = None
            rec.status = "revoked"

        mentions = [
            cast(column, Text).ilike(f"%{needle}%")
            for column in (AuditEntry.before, AuditEntry.after)
            for needle in (email, name)
            if email_confirmed and needle and len(needle.strip()) >= 3
        ]
        if order_ids:
            order_targets = [str(order_id) for order_id in order_ids]
            mentions.append(
                (AuditEntry.target_type == "order") & AuditEntry.target_id.in_(order_targets)
            )
        for entry in db.session.execute(
            select(AuditEntry).where(
                or_(
                    AuditEntry.user_id == user.id,
                    (AuditEntry.target_type == "user") & (AuditEntry.target_id == str(user.id)),
                    *mentions,
                )
            )
        ).scalars():
            if entry.user_id == user.id:
                entry.user_id = None
            entry.before = scrub(entry.before)
            entry.after = scrub(entry.after)
        # Nothing more may be mailed to a person who asked to be forgotten, so every email still
        # waiting for the address is cancelled. Of those already sent, only the account's own are
        # known to be this person's until the address is confirmed.
        own_emails = (
            (OutboxEmail.status == "pending")
            | OutboxEmail.kind.in_(ACCOUNT_EMAIL_KINDS)
            | _same_email(OutboxEmail.to_address, email, email_confirmed)
        )
        for email_row in db.session.execute(
            select(OutboxEmail).where(func.lower(OutboxEmail.to_address) == email, own_emails)
        ).scalars():
            db.session.delete(email_row)

        for item in db.session.execute(
            select(BasketItem).where(BasketItem.user_id == user.id)
        ).scalars():
            db.session.delete(item)
        for plan in db.session.execute(
            select(SavedPlan).where(SavedPlan.user_id == user.id)
        ).scalars():
            db.session.delete(plan)
        db.session.flush()
        db.session.delete(user)
