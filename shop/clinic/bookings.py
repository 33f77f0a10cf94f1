"""Views of the clinic's bookings: availability at /clinic/schedule and marking attendance.

Clinicians set their own weekly hours and days off; admins set anyone's, and the clinic's
booking settings. A change that leaves a booking outside the new hours lists it for the
clinic to move: nothing is cancelled behind a patient's back.
"""

from __future__ import annotations

from datetime import date, time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from shop import clock
from shop.auth import admin_required, clinician_required
from shop.clinic.booking_forms import (
    DAY_PARTS,
    AttendanceForm,
    DayOffForm,
    MoveBookingForm,
    SettingsForm,
    WeekForm,
)
from shop.clinic.forms import ConfirmForm
from shop.labels import plural
from shop.services.bookings import booking as bookings
from shop.services.bookings import clinic_day, schedule
from shop.services.bookings.booking import STATUS_LABELS, BookingError, SlotTaken
from shop.services.bookings.clinic_day import AttendanceError
from shop.services.bookings.schedule import DayHours, ScheduleError
from shop.services.bookings.slots import SlotRules

blueprint = Blueprint("clinic_bookings", __name__, url_prefix="/clinic")


def _is_admin() -> bool:
    return current_user.has_role("admin")


def _chosen_clinician() -> int:
    """Return whose schedule the page is about: ?clinician= for admins, else the user's own."""
    raw = request.args.get("clinician", "")
    if not raw:
        return current_user.id
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31:
        abort(400, description="The clinician must be given by number.")
    clinician_id = int(raw)
    if clinician_id != current_user.id and not _is_admin():
        abort(403)
    if schedule.get_clinician(clinician_id) is None:
        abort(404, description="There is no clinician with that number.")
    return clinician_id


def dashboard_context() -> dict:
    """Return what the clinic dashboard needs to show today's and upcoming bookings."""
    return {
        "day": clinic_day.clinic_bookings(clock.today()),
        "booking_status_labels": STATUS_LABELS,
        "now_local": clock.now(),
        "can_mark_all": _is_admin(),
        "attendance_form": AttendanceForm(formdata=None),
    }


def _minute(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _as_time(minute: int | None) -> time | None:
    if minute is None:
        return None
    return time(23, 59) if minute >= 24 * 60 else time(minute // 60, minute % 60)


def _week_from(form: WeekForm) -> dict[int, DayHours | None]:
    """Read the week's form into hours; a day with neither opening nor closing is closed."""
    week: dict[int, DayHours | None] = {}
    for weekday in range(7):
        starts, ends, break_starts, break_ends = (_minute(f.data) for f in form.day_fields(weekday))
        if starts is None and ends is None:
            if break_starts is not None or break_ends is not None:
                raise ScheduleError(
                    f"{schedule.WEEKDAYS[weekday]}: give the opening and closing times too."
                )
            week[weekday] = None
            continue
        if starts is None or ends is None:
            raise ScheduleError(
                f"{schedule.WEEKDAYS[weekday]}: give both the opening and the closing time."
            )
        week[weekday] = DayHours(starts, ends, break_starts, break_ends)
    return week


def _fill_week(form: WeekForm, clinician_id: int) -> None:
    rows = schedule.hours_by_weekday(clinician_id)
    for weekday in range(7):
        row = rows.get(weekday)
        values = (
            (row.starts_minute, row.ends_minute, row.break_starts_minute, row.break_ends_minute)
            if row
            else (None,) * 4
        )
        for field, minute in zip(form.day_fields(weekday), values, strict=True):
            field.data = _as_time(minute)


def _page(
    clinician_id: int, status: int = 200, week_form=None, day_off_form=None, settings_form=None
):
    if week_form is None:
        week_form = WeekForm(formdata=None)
        _fill_week(week_form, clinician_id)
    rules = schedule.current_rules()
    if settings_form is None:
        settings_form = SettingsForm(formdata=None, obj=rules)
    clinician = schedule.get_clinician(clinician_id)
    return render_template(
        "clinic/schedule.html",
        clinician=clinician,
        clinicians=schedule.clinicians() if _is_admin() else [],
        is_admin=_is_admin(),
        week_form=week_form,
        weekdays=schedule.WEEKDAYS,
        day_parts=DAY_PARTS,
        day_off_form=day_off_form or DayOffForm(formdata=None),
        days_off=schedule.upcoming_days_off(clinician_id, clock.today()),
        settings_form=settings_form,
        rules=rules,
        defaults=schedule.default_rules(),
        stranded=schedule.stranded_bookings(None if _is_admin() else clinician_id),
    ), status


def _after_change(clinician_id: int, stranded: int, done: str):
    if stranded:
        flash(
            f"{done} {stranded} "
            f"{plural(stranded, 'booked consultation is', 'booked consultations are')} now "
            "outside the hours: see the list below and move them with the patient.",
            "warning",
        )
    else:
        flash(done, "success")
    target = url_for("clinic_bookings.schedule_page", clinician=clinician_id)
    return redirect(target, 303)


@blueprint.route("/schedule", methods=["GET", "POST"])
@clinician_required
def schedule_page():
    """Weekly hours with breaks, days off, bookings stranded by changes, and (admins) settings."""
    clinician_id = _chosen_clinician()
    if request.method == "GET":
        return _page(clinician_id)
    form = WeekForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            form.form_errors.append("The form expired; please submit it again.")
        else:
            form.form_errors.append("Please give times as hours and minutes, like 09:30.")
        return _page(clinician_id, 422, week_form=form)
    try:
        stranded = schedule.save_week(clinician_id, _week_from(form), current_user.id)
    except ScheduleError as error:
        form.form_errors.append(str(error))
        return _page(clinician_id, 422, week_form=form)
    return _after_change(clinician_id, stranded, "Weekly hours saved.")


@blueprint.post("/schedule/days-off")
@clinician_required
def day_off_add():
    """Add a day off for the chosen clinician."""
    clinician_id = _chosen_clinician()
    form = DayOffForm()
    if not form.validate_on_submit():
        return _page(clinician_id, 422, day_off_form=form)
    try:
        stranded = schedule.add_day_off(
            clinician_id, form.day.data, form.note.data or "", current_user.id, clock.today()
        )
    except ScheduleError as error:
        form.day.errors = [str(error)]
        return _page(clinician_id, 422, day_off_form=form)
    return _after_change(clinician_id, stranded, "Day off added.")


@blueprint.post("/schedule/days-off/<int:day_off_id>/remove")
@clinician_required
def day_off_remove(day_off_id: int):
    """Take a day off away again."""
    clinician_id = _chosen_clinician()
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The form expired; please try again.")
    try:
        schedule.remove_day_off(clinician_id, day_off_id, current_user.id)
    except LookupError:
        abort(404, description="There is no such day off.")
    flash("Day off removed.", "success")
    return redirect(url_for("clinic_bookings.schedule_page", clinician=clinician_id), 303)


@blueprint.post("/schedule/settings")
@admin_required
def settings_save():
    """Save the clinic's booking settings (admins)."""
    clinician_id = _chosen_clinician()
    form = SettingsForm()
    if not form.validate_on_submit():
        return _page(clinician_id, 422, settings_form=form)
    try:
        schedule.save_rules(
            SlotRules(
                consultation_minutes=form.consultation_minutes.data,
                gap_minutes=form.gap_minutes.data,
                horizon_days=form.horizon_days.data,
                notice_minutes=form.notice_minutes.data,
            ),
            current_user.id,
        )
    except ScheduleError as error:
        form.form_errors.append(str(error))
        return _page(clinician_id, 422, settings_form=form)
    return _after_change(clinician_id, len(schedule.stranded_bookings()), "Booking settings saved.")


@blueprint.post("/bookings/<int:booking_id>/attendance")
@clinician_required
def attendance(booking_id: int):
    """Mark a booking attended or did not attend (its clinician, or an admin)."""
    form = AttendanceForm()
    if not form.validate_on_submit():
        abort(400, description="Choose attended or did not attend.")
    try:
        clinic_day.mark_attendance(booking_id, form.status.data, current_user.id, _is_admin())
    except LookupError:
        abort(404, description="You have no booking at that address.")
    except AttendanceError as error:
        abort(409, description=str(error))
    label = "attended" if form.status.data == "attended" else "did not attend"
    flash(f"Marked {label}.", "success")
    return redirect(url_for("clinic.dashboard") + "#bookings", 303)


def _clinic_booking_or_abort(booking_id: int):
    try:
        return bookings.clinic_booking(booking_id, current_user.id, _is_admin())
    except LookupError:
        abort(404, description="You have no booking at that address.")


def _move_page(booking, status: int = 200, form=None, next_free=None):
    any_clinician = request.args.get("clinician") == "any"
    from_day = None
    if request.args.get("from"):
        try:
            from_day = date.fromisoformat(request.args["from"])
        except ValueError:
            abort(400, description="The date to show times from must look like 2026-03-28.")
    listing = bookings.slot_listing(
        None if any_clinician else booking.clinician_id,
        from_day,
        current_app.config["BOOKING_DAYS_SHOWN"],
        clock.utc_now(),
        with_notice=False,
    )
    return render_template(
        "clinic/booking_move.html",
        booking=booking,
        listing=listing,
        any_clinician=any_clinician,
        form=form or MoveBookingForm(formdata=None),
        cancel_form=ConfirmForm(formdata=None),
        next_free=next_free,
        stranded=booking.id in {b.id for b in schedule.stranded_bookings(booking.clinician_id)},
    ), status


@blueprint.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@clinician_required
def booking_move(booking_id: int):
    """Move a booking to another free time agreed with the patient (no shortest notice)."""
    booking = _clinic_booking_or_abort(booking_id)
    if request.method == "GET":
        return _move_page(booking)
    form = MoveBookingForm()
    if not form.validate_on_submit():
        return _move_page(booking, 422, form)
    try:
        bookings.move_by_clinic(booking_id, form.slot.data, current_user.id, _is_admin())
    except SlotTaken as error:
        form.slot.errors = [str(error)]
        return _move_page(booking, 409, form, bookings.next_free_slots(None, clock.utc_now()))
    except BookingError as error:
        form.slot.errors = [str(error)]
        return _move_page(booking, 422, form)
    flash("Moved. The patient has been emailed the new time.", "success")
    return redirect(url_for("clinic.dashboard") + "#bookings", 303)


@blueprint.post("/bookings/<int:booking_id>/cancel")
@clinician_required
def booking_cancel(booking_id: int):
    """Cancel a booking for the patient; the time is free again."""
    booking = _clinic_booking_or_abort(booking_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The form expired; please try again.")
    try:
        bookings.cancel_by_clinic(booking_id, current_user.id, _is_admin())
    except BookingError as error:
        abort(409, description=str(error))
    flash(f"Cancelled the consultation with {booking.consultation.name}; they have been emailed.")
    return redirect(url_for("clinic.dashboard") + "#bookings", 303)
