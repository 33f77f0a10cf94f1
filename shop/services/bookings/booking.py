"""Booking a consultation slot, and the patient's private link to move or cancel it.

A booking is a consultation request (name, contact, treatment, question: the personal data,
in one place for the clinic, export and erasure) plus the slot it holds. The unique index on
(clinician, start) is what keeps a slot to one patient: under concurrent requests the losers'
inserts fail there and they are told at once, with the next free times.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import Booking, ConsultationRequest, Treatment, db
from shop import clock
from shop.services import audit
from shop.services.bookings import schedule
from shop.services.bookings.slots import Slot, free_slots, parse_slot_key
from shop.services.notifications import queue_email
from shop.services.plan_calendar import long_date
from shop.services.tokens import hash_token
from shop.services.unit_of_work import unit_of_work

# secrets.token_urlsafe(32) gives 43 characters; anything else is not one of our links.
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
PRODUCT_ID = "-//Lumen Skin Clinic//Consultation//EN"
STATUS_LABELS = {
    "booked": "Booked",
    "attended": "Attended",
    "no_show": "Did not attend",
    "cancelled": "Cancelled",
}


class BookingError(ValueError):
    """A booking, move or cancellation that cannot be made; the message is for the person."""


class SlotTaken(BookingError):
    """Someone else booked the slot a moment before."""


class BookingLinkInvalid(LookupError):
    """The manage link is not one of this shop's (forged, garbled or erased)."""


class BookingLinkExpired(LookupError):
    """The link is genuine but its consultation time has passed."""


@dataclass(frozen=True)
class BookingInput:
    """What the booking form collected, already validated field by field."""

    slot: str
    name: str
    email: str
    phone: str
    treatment_slug: str | None
    question: str
    consent: bool


@dataclass(frozen=True)
class SlotDay:
    """The free slots of one clinic day, with each slot's clinician named."""

    day: date
    slots: list[tuple[Slot, str]]


@dataclass(frozen=True)
class SlotListing:
    """Days with free slots from a date on, and where the next page of days starts."""

    days: list[SlotDay]
    next_from: date | None


def _booked_between(first: date, last: date, clinician_ids: list[int]) -> set[tuple[int, datetime]]:
    """Return (clinician id, UTC start) of every slot held from `first` to `last`."""
    rows = db.session.execute(
        select(Booking.clinician_id, Booking.starts_at).where(
            Booking.status != "cancelled",
            Booking.starts_at >= clock.day_starts(first),
            Booking.starts_at < clock.day_starts(last + timedelta(days=1)),
            Booking.clinician_id.in_(clinician_ids),
        )
    ).all()
    return {(clinician_id, clock.aware_utc(moment)) for clinician_id, moment in rows}


def _free(
    clinician_id: int | None,
    now: datetime,
    first: date | None = None,
    last: date | None = None,
    with_notice: bool = True,
    count_bookings: bool = True,
) -> list[Slot]:
    """Return the free slots of one clinician (or every bookable one) between two dates.

    Without counting bookings it returns every slot the hours offer, booked or not.

    Without notice (the clinic moving a booking it agreed by phone) any time from now counts.
    """
    rules = schedule.current_rules()
    if not with_notice:
        rules = replace(rules, notice_minutes=0)
    hours = schedule.weekly_hours([clinician_id] if clinician_id is not None else None)
    ids = sorted({row.clinician_id for row in hours})
    if not ids:
        return []
    zone = clock.zone()
    today = now.astimezone(zone).date()
    start = max(first or today, today)
    end = min(
        last or today + timedelta(days=rules.horizon_days),
        today + timedelta(days=rules.horizon_days),
    )
    if start > end:
        return []
    return free_slots(
        hours,
        schedule.days_off_between(start, end),
        _booked_between(start, end, ids) if count_bookings else (),
        rules,
        now,
        zone,
        start,
        end,
    )


def slot_listing(
    clinician_id: int | None,
    from_day: date | None,
    days_wanted: int,
    now: datetime,
    with_notice: bool = True,
) -> SlotListing:
    """Return up to `days_wanted` days that have free slots, from `from_day` (or today) on.

    Five queries whatever the number of slots: settings, hours, days off, bookings, names.
    """
    slots = _free(clinician_id, now, from_day, with_notice=with_notice)
    names = dict(schedule.bookable_clinicians())
    days: list[SlotDay] = []
    next_from = None
    for slot in slots:
        day = slot.local_start.date()
        if days and days[-1].day == day:
            days[-1].slots.append((slot, names.get(slot.clinician_id, "")))
            continue
        if len(days) == days_wanted:
            next_from = day
            break
        days.append(SlotDay(day, [(slot, names.get(slot.clinician_id, ""))]))
    return SlotListing(days, next_from)


def next_free_slots(
    clinician_id: int | None, now: datetime, count: int = 6
) -> list[tuple[Slot, str]]:
    """Return the next few free slots, for someone whose choice was just taken."""
    listing = slot_listing(clinician_id, None, count, now)
    return [pair for day in listing.days for pair in day.slots][:count]


def _bookable_slot(key: str, now: datetime, with_notice: bool = True) -> Slot:
    """Return the free slot a form named, or raise BookingError saying why it cannot be had."""
    try:
        clinician_id, starts_at = parse_slot_key(key)
    except ValueError as error:
        raise BookingError("Please choose one of the times listed.") from error
    rules = schedule.current_rules()
    if starts_at <= now:
        raise BookingError("That time has already passed; please choose a later one.")
    if with_notice and starts_at < now + timedelta(minutes=rules.notice_minutes):
        raise BookingError(
            "That time is too soon to book online; please choose a later one or call us."
        )
    day = clock.local(starts_at).date()
    for slot in _free(clinician_id, now, day, day, with_notice):
        if slot.starts_at == starts_at:
            return slot
    offered = any(
        slot.starts_at == starts_at
        for slot in _free(clinician_id, now, day, day, with_notice, count_bookings=False)
    )
    if offered:
        raise SlotTaken("Sorry, that time was just taken. Here are the next free times.")
    raise BookingError("That time is not one we offer; please choose one of the times listed.")


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def manage_url(token: str) -> str:
    """Return the absolute address of a booking's manage link, for emails."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/consultation/{token}"


def _email_context(booking: Booking, token: str | None) -> dict:
    """Return what the booking emails say; without a token (a change the clinic made) the
    email points to the link sent before instead of carrying one."""
    local_start = clock.local(booking.starts_at)
    return {
        "name": booking.consultation.name,
        "when": f"{long_date(local_start.date())} at {local_start:%H:%M}",
        "clinician": schedule.display_name(booking.clinician),
        "treatment_name": booking.consultation.treatment.name
        if booking.consultation.treatment
        else None,
        "manage_url": manage_url(token) if token else None,
        "calendar_url": manage_url(token) + ".ics" if token else None,
        "clinic_address": current_app.config["CLINIC_ADDRESS"],
        "clinic_phone": current_app.config["CLINIC_PHONE"],
    }


def _when_words(slot_start: datetime) -> str:
    local_start = clock.local(slot_start)
    return f"Booked for {long_date(local_start.date())} at {local_start:%H:%M}"


def book(data: BookingInput, now: datetime | None = None) -> tuple[Booking, str]:
    """Book a free slot and queue the confirmation email, in one transaction.

    Returns the booking and the plain token of its manage link (which exists only now).
    Raises SlotTaken when another patient has the slot, BookingError for any other refusal.
    """
    moment = now or clock.utc_now()
    if not data.consent:
        raise BookingError("Please agree to us contacting you about your consultation.")
    treatment = None
    if data.treatment_slug:
        treatment = db.session.execute(
            select(Treatment).where(Treatment.slug == data.treatment_slug)
        ).scalar_one_or_none()
        if treatment is None:
            raise BookingError("We do not offer that treatment; please choose from the list.")
    slot = _bookable_slot(data.slot, moment)
    token = _new_token()
    try:
        with unit_of_work():
            request = ConsultationRequest(
                name=data.name,
                email=data.email.lower(),
                phone=data.phone,
                treatment_id=treatment.id if treatment is not None else None,
                preferred_times=_when_words(slot.starts_at),
                question=data.question,
                contact_consent_at=moment,
                status="booked",
                created_at=moment,
                updated_at=moment,
            )
            booking = Booking(
                consultation=request,
                clinician_id=slot.clinician_id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                status="booked",
                manage_token_hash=hash_token(token),
                created_at=moment,
                updated_at=moment,
            )
            db.session.add_all([request, booking])
            # The insert runs here, so a slot taken a moment ago fails before any email.
            db.session.flush()
            queue_email(
                request.email,
                "Your free consultation is booked",
                "booking_confirmation",
                **_email_context(booking, token),
            )
    except IntegrityError as error:
        raise SlotTaken("Sorry, that time was just taken. Here are the next free times.") from error
    return booking, token


def _load(condition) -> Booking | None:
    return db.session.execute(
        select(Booking)
        .where(condition)
        .options(
            selectinload(Booking.consultation).selectinload(ConsultationRequest.treatment),
            selectinload(Booking.clinician),
        )
    ).scalar_one_or_none()


def booking_for_token(token: str, now: datetime | None = None) -> Booking:
    """Return the booking a manage link opens.

    Raises BookingLinkInvalid for a token this shop did not give out (or erased), and
    BookingLinkExpired once the consultation's time has passed.
    """
    if not _TOKEN_PATTERN.match(token or ""):
        raise BookingLinkInvalid("not a booking link")
    digest = hash_token(token)
    booking = _load(or_(Booking.manage_token_hash == digest, Booking.reminder_token_hash == digest))
    if booking is None:
        raise BookingLinkInvalid("not a booking link")
    if clock.aware_utc(booking.ends_at) <= (now or clock.utc_now()):
        raise BookingLinkExpired("the consultation has passed")
    return booking


def get_booking(booking_id: int) -> Booking | None:
    """Return one booking with its request, treatment and clinician, or None."""
    return _load(Booking.id == booking_id)


def change_deadline(booking: Booking) -> datetime:
    """Return the last moment the patient may move or cancel online (the shortest notice)."""
    notice = schedule.current_rules().notice_minutes
    return clock.aware_utc(booking.starts_at) - timedelta(minutes=notice)


def can_change(booking: Booking, now: datetime | None = None) -> bool:
    """Tell whether the patient may still move or cancel the booking online."""
    return booking.status == "booked" and (now or clock.utc_now()) < change_deadline(booking)


def _check_changeable(booking: Booking, moment: datetime) -> None:
    if booking.status == "cancelled":
        raise BookingError("This consultation is already cancelled.")
    if not can_change(booking, moment):
        raise BookingError(
            "It is too close to your consultation to change it online; please call the clinic."
        )


def _cancel(booking: Booking, moment: datetime, token: str | None) -> Booking:
    """Cancel a booking and email the patient, in one transaction."""
    with unit_of_work():
        booking.status = "cancelled"
        booking.updated_at = moment
        booking.consultation.status = "closed"
        booking.consultation.updated_at = moment
        queue_email(
            booking.consultation.email,
            "Your consultation is cancelled",
            "booking_cancelled",
            **_email_context(booking, token),
        )
    return booking


def _move(booking: Booking, slot: Slot, moment: datetime, token: str | None) -> Booking:
    """Move a booking to a free slot and email the patient, in one transaction.

    The old slot is free the moment this commits; SlotTaken if the new one went first.
    """
    try:
        with unit_of_work():
            booking.clinician_id = slot.clinician_id
            booking.starts_at = slot.starts_at
            booking.ends_at = slot.ends_at
            # A new time deserves its own day-before reminder.
            booking.reminder_queued_at = None
            booking.updated_at = moment
            booking.consultation.preferred_times = _when_words(slot.starts_at)
            booking.consultation.updated_at = moment
            db.session.flush()
            db.session.refresh(booking, ["clinician"])
            queue_email(
                booking.consultation.email,
                "Your consultation has moved",
                "booking_moved",
                **_email_context(booking, token),
            )
    except IntegrityError as error:
        raise SlotTaken("Sorry, that time was just taken. Here are the next free times.") from error
    return booking


def cancel(token: str, now: datetime | None = None) -> Booking:
    """Cancel the booking behind a manage link (before the shortest notice); commits."""
    moment = now or clock.utc_now()
    booking = booking_for_token(token, moment)
    _check_changeable(booking, moment)
    return _cancel(booking, moment, token)


def move(token: str, slot_key: str, now: datetime | None = None) -> Booking:
    """Move the booking behind a manage link to another free slot; commits."""
    moment = now or clock.utc_now()
    booking = booking_for_token(token, moment)
    _check_changeable(booking, moment)
    return _move(booking, _bookable_slot(slot_key, moment), moment, token)


def clinic_booking(booking_id: int, user_id: int, is_admin: bool) -> Booking:
    """Return a booking its clinician (or an admin) may change; LookupError otherwise."""
    booking = get_booking(booking_id)
    if booking is None or (not is_admin and booking.clinician_id != user_id):
        raise LookupError(booking_id)
    return booking


def _check_clinic_changeable(booking: Booking, moment: datetime) -> None:
    if booking.status != "booked":
        raise BookingError("Only a booking still to come can be moved or cancelled.")
    if clock.aware_utc(booking.starts_at) <= moment:
        raise BookingError("This consultation's time has already come.")


def move_by_clinic(
    booking_id: int, slot_key: str, user_id: int, is_admin: bool, now: datetime | None = None
) -> Booking:
    """Move a booking for the patient (agreed with them, so the shortest notice does not
    apply); commits and emails the patient the new time."""
    moment = now or clock.utc_now()
    booking = clinic_booking(booking_id, user_id, is_admin)
    _check_clinic_changeable(booking, moment)
    slot = _bookable_slot(slot_key, moment, with_notice=False)
    before = {"clinician_id": booking.clinician_id, "starts_at": booking.starts_at.isoformat()}
    audit.record(
        user_id,
        "booking.moved",
        "booking",
        booking.id,
        before,
        {"clinician_id": slot.clinician_id, "starts_at": slot.starts_at.isoformat()},
    )
    return _move(booking, slot, moment, None)


def cancel_by_clinic(
    booking_id: int, user_id: int, is_admin: bool, now: datetime | None = None
) -> Booking:
    """Cancel a booking for the patient; commits and emails the patient."""
    moment = now or clock.utc_now()
    booking = clinic_booking(booking_id, user_id, is_admin)
    _check_clinic_changeable(booking, moment)
    audit.record(user_id, "booking.cancelled", "booking", booking.id, {"status": "booked"})
    return _cancel(booking, moment, None)


def calendar_file(booking: Booking, token: str, now: datetime | None = None) -> bytes:
    """Return the consultation as an iCalendar invitation (one event; cancelled when it is)."""
    url = manage_url(token)
    config = current_app.config
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    # Keyed by the booking, not the link, so every download updates the same event.
    digest = hashlib.sha256(f"booking-{booking.id}-{config['SECRET_KEY']}".encode()).hexdigest()
    event.add("uid", f"consultation-{digest[:32]}@{urlsplit(url).hostname or 'localhost'}")
    event.add("dtstamp", now or clock.utc_now())
    event.add("dtstart", clock.aware_utc(booking.starts_at))
    event.add("dtend", clock.aware_utc(booking.ends_at))
    event.add("summary", f"Free consultation at {config['SHOP_NAME']}")
    event.add("location", config["CLINIC_ADDRESS"])
    event.add(
        "description",
        f"With {schedule.display_name(booking.clinician)}. To move or cancel: {url}\n"
        f"Questions? Call {config['CLINIC_PHONE']}.",
    )
    event.add("url", url)
    event.add("sequence", int(clock.aware_utc(booking.updated_at).timestamp()) % 2**31)
    event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def queue_day_before_reminders(now: datetime | None = None) -> tuple[int, int]:
    """Queue a reminder for every booking tomorrow (clinic date) not yet reminded.

    Each is claimed with one conditional update in the transaction that queues its email, so
    overlapping or repeated runs queue it once. Returns (queued, already queued).
    """
    moment = now or clock.utc_now()
    tomorrow = clock.local(moment).date() + timedelta(days=1)
    low, high = clock.day_starts(tomorrow), clock.day_starts(tomorrow + timedelta(days=1))
    in_window = (Booking.status == "booked", Booking.starts_at >= low, Booking.starts_at < high)
    due = list(
        db.session.execute(
            select(Booking)
            .where(*in_window)
            .options(
                selectinload(Booking.consultation).selectinload(ConsultationRequest.treatment),
                selectinload(Booking.clinician),
            )
            .order_by(Booking.id)
        ).scalars()
    )
    queued = already = 0
    for booking in due:
        token = _new_token()
        with unit_of_work():
            claimed = db.session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.reminder_queued_at.is_(None), *in_window)
                .values(reminder_queued_at=moment, reminder_token_hash=hash_token(token))
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed:
                queue_email(
                    booking.consultation.email,
                    "Your free consultation is tomorrow",
                    "booking_reminder",
                    **_email_context(booking, token),
                )
        if claimed:
            queued += 1
        else:
            already += 1
    return queued, already
