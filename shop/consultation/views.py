"""Views of the consultation blueprint: book a free consultation (or ask for one), manage it.

When some clinician has weekly hours, /consultation lists real free times to book; until
then it is the request form, and a clinician phones back to arrange a time.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from shop import clock
from shop.consultation.forms import BookingForm, CancelForm, ConsultationForm, MoveForm
from shop.extensions import limiter
from shop.ratelimits import form_limits
from shop.security import keep_private
from shop.services import consultations
from shop.services.bookings import booking as bookings
from shop.services.bookings import schedule
from shop.services.bookings.booking import (
    BookingError,
    BookingInput,
    BookingLinkExpired,
    BookingLinkInvalid,
    SlotTaken,
)
from shop.services.consultations import ConsultationError, ConsultationInput

blueprint = Blueprint("consultation", __name__)

# Each request sends an email, so the form must not become a way to flood someone's inbox.
consultation_limits = form_limits("CONSULTATION_RATE_LIMIT", "consultation")
# Every manage-link page and button shares one budget per client address: no token guessing.
booking_link_limit = limiter.shared_limit(
    lambda: current_app.config["BOOKING_LINK_RATE_LIMIT"], scope="booking-link"
)
# The booking just made, for its confirmation page: the plain token exists nowhere else.
BOOKED_SESSION_KEY = "booked_consultation"


@blueprint.route("/consultation", methods=["GET", "POST"])
@consultation_limits
def request_form():
    """Book a free time when clinicians have hours set; otherwise take a request."""
    treatments = consultations.treatment_choices()
    if schedule.booking_open():
        return _booking_page(treatments)
    form = ConsultationForm(treatments=treatments)
    if request.method == "GET" and request.args.get("treatment") in dict(treatments):
        form.treatment.data = request.args["treatment"]
    if form.validate_on_submit():
        try:
            consultations.request_consultation(
                ConsultationInput(
                    name=form.name.data.strip(),
                    email=form.email.data.strip(),
                    phone=(form.phone.data or "").strip(),
                    treatment_slug=form.treatment.data or None,
                    preferred_times=form.preferred_times.data.strip(),
                    question=(form.question.data or "").strip(),
                    consent=bool(form.consent.data),
                )
            )
        except ConsultationError as error:
            form.form_errors.append(str(error))
        else:
            return redirect(url_for("consultation.thanks"))
    status = 422 if request.method == "POST" else 200
    return render_template("consultation/request.html", form=form), status


def _slot_filters() -> tuple[int | None, date | None]:
    """Read ?clinician= and ?from= (400 with a clear message when they make no sense)."""
    clinician_arg = request.args.get("clinician", "")
    clinician_id = None
    if clinician_arg:
        names = dict(schedule.bookable_clinicians())
        if not clinician_arg.isdigit() or int(clinician_arg) not in names:
            abort(400, description="Choose a clinician from the list, or any clinician.")
        clinician_id = int(clinician_arg)
    from_arg = request.args.get("from", "")
    from_day = None
    if from_arg:
        try:
            from_day = date.fromisoformat(from_arg)
        except ValueError:
            abort(400, description="The date to show times from must look like 2026-03-28.")
    return clinician_id, from_day


def _listing(clinician_id: int | None, from_day: date | None):
    return bookings.slot_listing(
        clinician_id, from_day, current_app.config["BOOKING_DAYS_SHOWN"], clock.utc_now()
    )


def _booking_page(treatments: list[tuple[str, str]]):
    """The booking page: free times by day, then the patient's details; books on POST."""
    clinician_id, from_day = _slot_filters()
    form = BookingForm(treatments=treatments)
    if request.method == "GET" and request.args.get("treatment") in dict(treatments):
        form.treatment.data = request.args["treatment"]
    clinicians = schedule.bookable_clinicians()
    status = 200
    next_free = None
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                _, token = bookings.book(
                    BookingInput(
                        slot=form.slot.data,
                        name=form.name.data.strip(),
                        email=form.email.data.strip(),
                        phone=form.phone.data.strip(),
                        treatment_slug=form.treatment.data or None,
                        question=(form.question.data or "").strip(),
                        consent=bool(form.consent.data),
                    )
                )
            except SlotTaken as error:
                form.slot.errors = [str(error)]
                status = 409
                next_free = bookings.next_free_slots(clinician_id, clock.utc_now())
                form.slot.data = ""
            except BookingError as error:
                form.slot.errors = [str(error)]
                form.slot.data = ""
            else:
                session[BOOKED_SESSION_KEY] = token
                return redirect(url_for("consultation.booked"), 303)
    response = render_template(
        "consultation/book.html",
        form=form,
        listing=_listing(clinician_id, from_day),
        next_free=next_free,
        clinicians=clinicians,
        clinician_id=clinician_id,
        # "with whom" is said on each time only when there is a choice of clinician.
        any_clinician=clinician_id is None and len(clinicians) > 1,
        rules=schedule.current_rules(),
    )
    return keep_private(Response(response, status))


@blueprint.get("/consultation/thanks")
def thanks():
    """Confirm the request was received."""
    return render_template("consultation/thanks.html")


@blueprint.get("/consultation/booked")
def booked():
    """Confirm the booking just made, with its manage link and calendar invitation."""
    token = session.get(BOOKED_SESSION_KEY, "")
    try:
        booking = bookings.booking_for_token(token)
    except (BookingLinkInvalid, BookingLinkExpired):
        return redirect(url_for("consultation.request_form"))
    page = render_template(
        "consultation/booked.html",
        booking=booking,
        token=token,
        manage_url=bookings.manage_url(token),
        deadline=clock.local(bookings.change_deadline(booking)),
    )
    return keep_private(Response(page))


def _open_or_abort(token: str):
    try:
        return bookings.booking_for_token(token)
    except BookingLinkInvalid:
        abort(404, description="This booking link is not valid. Please check the address.")
    except BookingLinkExpired:
        abort(410, description="This consultation's time has passed, so its link has closed.")


def _manage_page(token: str, booking, status: int = 200, move_form=None, next_free=None):
    clinician_id = booking.clinician_id
    if request.args.get("clinician") == "any":
        clinician_id = None
    from_day = None
    if request.args.get("from"):
        try:
            from_day = date.fromisoformat(request.args["from"])
        except ValueError:
            abort(400, description="The date to show times from must look like 2026-03-28.")
    changeable = bookings.can_change(booking)
    page = render_template(
        "consultation/manage.html",
        booking=booking,
        token=token,
        changeable=changeable,
        deadline=clock.local(bookings.change_deadline(booking)),
        listing=_listing(clinician_id, from_day) if changeable else None,
        any_clinician=clinician_id is None,
        several_clinicians=len(schedule.bookable_clinicians()) > 1,
        move_form=move_form or MoveForm(formdata=None),
        cancel_form=CancelForm(formdata=None),
        next_free=next_free,
        status_labels=bookings.STATUS_LABELS,
    )
    return keep_private(Response(page, status))


@blueprint.get("/consultation/<token>")
@booking_link_limit
def manage(token: str):
    """The patient's booking: when, with whom, calendar, and move or cancel until the notice."""
    return _manage_page(token, _open_or_abort(token))


@blueprint.post("/consultation/<token>/move")
@booking_link_limit
def move(token: str):
    """Move the booking to another free time."""
    booking = _open_or_abort(token)
    form = MoveForm()
    if not form.validate_on_submit():
        return _manage_page(token, booking, 422, form)
    try:
        bookings.move(token, form.slot.data)
    except SlotTaken as error:
        form.slot.errors = [str(error)]
        next_free = bookings.next_free_slots(None, clock.utc_now())
        return _manage_page(token, booking, 409, form, next_free)
    except BookingError as error:
        form.slot.errors = [str(error)]
        return _manage_page(token, booking, 422, form)
    flash("Your consultation has moved. We have emailed you the new time.", "success")
    return redirect(url_for("consultation.manage", token=token), 303)


@blueprint.post("/consultation/<token>/cancel")
@booking_link_limit
def cancel(token: str):
    """Cancel the booking; the time is free for someone else at once."""
    booking = _open_or_abort(token)
    form = CancelForm()
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "danger")
        return _manage_page(token, booking, 400)
    try:
        bookings.cancel(token)
    except BookingError as error:
        flash(str(error), "danger")
        return _manage_page(token, booking, 409)
    flash("Your consultation is cancelled. We have emailed you to confirm.", "success")
    return redirect(url_for("consultation.manage", token=token), 303)


@blueprint.get("/consultation/<token>.ics")
@booking_link_limit
def calendar(token: str):
    """The consultation as an iCalendar file for the patient's calendar."""
    booking = _open_or_abort(token)
    response = Response(
        bookings.calendar_file(booking, token),
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="consultation.ics"'},
    )
    return keep_private(response)


@blueprint.app_template_filter("clinic_time")
def clinic_time(moment):
    """Show a stored instant on the clinic's clock (templates never see raw UTC)."""
    return clock.local(moment)
