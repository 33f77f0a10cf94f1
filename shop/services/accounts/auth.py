"""Registering, signing in, passwords, and the reset and email confirmation links."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from models import User, db
from models.vocabulary import ROLES
from shop import clock
from shop.services.accounts.errors import (
    AccountError,
    AccountInactive,
    EmailTaken,
    InvalidConfirmationLink,
    InvalidCredentials,
    InvalidResetToken,
    WeakPassword,
)
from shop.services.notifications import queue_email
from shop.services.unit_of_work import unit_of_work

PASSWORD_RESET_SALT = "password-reset"
EMAIL_CONFIRMATION_SALT = "email-confirmation"
ACCOUNT_EMAIL_KINDS = ("password_reset", "email_confirmation")
MIN_PASSWORD_LENGTH = 10

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


@dataclass(frozen=True)
class EmailConfirmation:
    """How to make the link proving an email address: signing key, address builder, lifetime."""

    secret_key: str
    link_for: Callable[[str], str]
    max_age: int


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
