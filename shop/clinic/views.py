"""Views of the clinic: consultations, patients' concerns, recommendations, printing, reports.

Every view is for clinicians (and admins); a clinician sees only their own recommendations.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user
from wtforms import SelectChoice

from shop import clock
from shop.auth import clinician_required
from shop.clinic.bookings import dashboard_context
from shop.clinic.forms import (
    MAX_REPORT_DAYS,
    AddItemForm,
    ConcernFollowUpForm,
    ConfirmForm,
    FollowUpForm,
    QuantityForm,
    RecommendationForm,
    ReportForm,
    SendForm,
    SwapForm,
)
from shop.security import keep_private
from shop.services import concerns, consultations, recommendations
from shop.services.bookings import clinic_day
from shop.services.concerns import ConcernError
from shop.services.consultations import ConsultationError
from shop.services.recommendations import (
    Actor,
    PatientDetails,
    RecommendationError,
    RecommendationNotFound,
)

blueprint = Blueprint("clinic", __name__, url_prefix="/clinic")


def _actor() -> Actor:
    return Actor(user_id=current_user.id, is_admin=current_user.has_role("admin"))


# --- consultation requests ---------------------------------------------------------------------


@blueprint.get("/")
@clinician_required
def dashboard():
    """Consultation requests in one status (open by default), oldest first."""
    status = request.args.get("status", "open")
    if status not in consultations.STATUS_LABELS:
        abort(400, description="Choose open, contacted, booked or closed.")
    return render_template(
        "clinic/dashboard.html",
        status=status,
        requests=consultations.list_requests(status),
        counts=consultations.count_by_status(),
        status_labels=consultations.STATUS_LABELS,
        # Booked consultations (shop/clinic/bookings.py): today's and upcoming per clinician.
        **dashboard_context(),
    )


@blueprint.route("/requests/<int:request_id>", methods=["GET", "POST"])
@clinician_required
def consultation_request(request_id: int):
    """One request in full, and the form to mark it contacted, booked or closed."""
    found = consultations.get_request(request_id)
    if found is None:
        abort(404, description="There is no consultation request at that address.")
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            consultations.update_status(
                request_id, form.status.data, form.note.data or "", current_user.id
            )
        except ConsultationError as error:
            form.status.errors.append(str(error))
        else:
            flash(f"Marked {consultations.STATUS_LABELS[form.status.data].lower()}.", "success")
            return redirect(url_for("clinic.dashboard"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "clinic/request.html",
        item=found,
        form=form,
        handled_by=consultations.handler_name(found),
        status_labels=consultations.STATUS_LABELS,
    ), status


# --- recommendations ---------------------------------------------------------------------------


@blueprint.get("/recommendations")
@clinician_required
def recommendation_list():
    """The clinician's recommendations (everyone's for an admin) with how far each got."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100000:
        abort(400, description="The page number must be a whole number from 1.")
    listing = recommendations.list_recommendations(
        _actor(), int(page), current_app.config["RECOMMENDATIONS_PER_PAGE"]
    )
    return render_template("clinic/recommendations.html", listing=listing, actor=_actor())


def _details(form: RecommendationForm) -> PatientDetails:
    return PatientDetails(
        patient_name=form.patient_name.data.strip(),
        patient_email=form.patient_email.data.strip(),
        treatment_slug=form.treatment.data,
        treated_on=form.treated_on.data,
        fitzpatrick=int(form.fitzpatrick.data),
        concerns=tuple(form.concerns.data or ()),
        screening=form.screening(),
        notes=(form.notes.data or "").strip(),
        consent=bool(form.consent.data),
        consultation_id=form.consultation(),
    )


@blueprint.route("/recommendations/new", methods=["GET", "POST"])
@clinician_required
def recommendation_new():
    """Record a patient's profile (from a consultation request or from scratch); draft the kit."""
    form = RecommendationForm(treatments=recommendations.treatment_choices())
    if request.method == "GET" and "from" in request.args:
        # A new recommendation for the same patient, e.g. after the last one was bought.
        earlier = request.args["from"]
        if not earlier.isdigit() or not 1 <= int(earlier) <= 2**31:
            abort(400, description="The recommendation to start from must be a whole number.")
        _fill_from(form, _load(int(earlier)))
        form.consent.data = False
    elif request.method == "GET":
        source = request.args.get("consultation", "")
        found = recommendations.prefill_from_consultation(int(source)) if source.isdigit() else None
        if source and found is None:
            abort(404, description="There is no consultation request with that number.")
        if found is not None:
            form.consultation_id.data = str(found.id)
            form.patient_name.data = found.name
            form.patient_email.data = found.email
            form.treatment.data = found.treatment.slug if found.treatment else ""
    if form.validate_on_submit():
        try:
            rec = recommendations.create_recommendation(
                _details(form), current_user.id, clock.today()
            )
        except RecommendationError as error:
            form.form_errors.append(str(error))
        else:
            flash("Draft saved. Check the kit, change it if needed, then send the link.", "success")
            return redirect(url_for("clinic.recommendation", rec_id=rec.id))
    status = 422 if request.method == "POST" else 200
    return render_template("clinic/recommendation_form.html", form=form, rec=None), status


def _fill_from(form: RecommendationForm, rec) -> None:
    """Show a recommendation's recorded details in the form."""
    form.consultation_id.data = str(rec.consultation_id or "")
    form.patient_name.data = rec.patient_name
    form.patient_email.data = rec.patient_email
    form.treatment.data = rec.treatment.slug
    form.treated_on.data = rec.treated_on
    form.fitzpatrick.data = str(rec.fitzpatrick)
    form.concerns.data = list(rec.concerns or ())
    form.notes.data = rec.notes
    form.fill_screening(recommendations.stored_screening(rec))


def _load(rec_id: int):
    try:
        return recommendations.get_recommendation(rec_id, _actor())
    except RecommendationNotFound:
        abort(404, description="You have no recommendation at that address.")


@blueprint.route("/recommendations/<int:rec_id>/edit", methods=["GET", "POST"])
@clinician_required
def recommendation_edit(rec_id: int):
    """Change the patient's details; a changed profile proposes the kit again."""
    rec = _load(rec_id)
    refusal = recommendations.change_refusal(rec)
    if refusal is not None:
        abort(409, description=refusal)
    form = RecommendationForm(treatments=recommendations.treatment_choices())
    if request.method == "GET":
        _fill_from(form, rec)
    if form.validate_on_submit():
        try:
            _, replanned = recommendations.update_recommendation(
                rec_id, _actor(), _details(form), clock.today()
            )
        except RecommendationError as error:
            form.form_errors.append(str(error))
        except RecommendationNotFound:
            abort(404)
        else:
            flash(
                "Saved. The profile changed, so the kit was proposed again: please check it."
                if replanned
                else "Saved.",
                "success",
            )
            return redirect(url_for("clinic.recommendation", rec_id=rec_id))
    status = 422 if request.method == "POST" else 200
    return render_template("clinic/recommendation_form.html", form=form, rec=rec), status


def _option_label(option) -> str:
    label = option.product.name
    if option.stock is not None and (option.stock.out or option.stock.low):
        label += f" ({option.stock.label.lower()})"
    if option.problem:
        label += f" (not suitable: {option.problem})"
    return label


def _product_choices(options) -> list[SelectChoice]:
    """Options of a product list: an unsuitable one stays listed with its reason, but disabled."""
    return [
        SelectChoice(
            option.product.slug,
            _option_label(option),
            render_kw={"disabled": True} if option.problem else None,
        )
        for option in options
    ]


def _render_editor(rec_id: int, status: int = 200, problem: tuple[str, str] | None = None):
    """Show the recommendation with its kit and every change form; `problem` = (form id, why)."""
    try:
        view = recommendations.editor_view(rec_id, _actor(), clock.today())
    except RecommendationNotFound:
        abort(404, description="You have no recommendation at that address.")
    swap_forms = {}
    quantity_forms = {}
    for item in view.recommendation.items:
        swap = SwapForm(prefix=f"swap-{item.id}", formdata=None)
        swap.product.choices = _product_choices(view.swap_options[item.id])
        swap_forms[item.id] = swap
        quantity = QuantityForm(prefix=f"qty-{item.id}", formdata=None)
        quantity.quantity.data = item.quantity
        quantity_forms[item.id] = quantity
    add_form = AddItemForm(prefix="add", formdata=None)
    add_form.product.choices = [
        SelectChoice("", "Choose a product"),
        *_product_choices(view.add_options),
    ]
    printable = recommendations.print_token(session, view.recommendation) is not None
    return render_template(
        "clinic/recommendation.html",
        view=view,
        rec=view.recommendation,
        swap_forms=swap_forms,
        quantity_forms=quantity_forms,
        add_form=add_form,
        confirm_form=ConfirmForm(),
        send_form=SendForm(formdata=None),
        problem=problem,
        printable=printable,
        status_labels=recommendations.STATUS_LABELS,
    ), status


# A refused kit change survives the redirect here, as a flash would, so the page can show the
# reason beside the form it belongs to (a flash shows only at the top of the page).
KIT_PROBLEM_SESSION_KEY = "clinic_kit_problem"


def _kept_problem(rec_id: int) -> tuple[str, str] | None:
    """Return (form id, why) of the kit change just refused on this recommendation, once."""
    kept = session.pop(KIT_PROBLEM_SESSION_KEY, None)
    if not isinstance(kept, dict) or kept.get("rec") != rec_id:
        return None
    form_id, message = kept.get("form"), kept.get("message")
    if not isinstance(form_id, str) or not isinstance(message, str):
        return None
    return form_id, message


@blueprint.get("/recommendations/<int:rec_id>")
@clinician_required
def recommendation(rec_id: int):
    """The recommendation: profile, kit with change forms, status, and send/print/revoke."""
    return _render_editor(rec_id, problem=_kept_problem(rec_id))


def _refuse_kit_change(rec_id: int, form_id: str, message: str):
    """Send the clinician back to the recommendation's own address with the reason shown.

    Redirect after POST: the address bar shows the recommendation, and reloading the page
    does not post the refused change again. The address leads to the reason at the top of the
    page (the form it belongs to may be far down, or not shown at all once the kit is final).
    """
    session[KIT_PROBLEM_SESSION_KEY] = {"rec": rec_id, "form": form_id, "message": message}
    return redirect(url_for("clinic.recommendation", rec_id=rec_id) + "#problem", 303)


def _kit_change(rec_id: int, form_id: str, change) -> object:
    """Run a kit change; when the rules refuse it, go back to the recommendation with the reason.

    A form that does not even validate (the page never sends one) is answered 4xx in place by
    its caller instead: nothing was refused, the request itself was malformed.
    """
    try:
        change()
    except RecommendationNotFound:
        abort(404, description="You have no recommendation or kit line at that address.")
    except RecommendationError as error:
        return _refuse_kit_change(rec_id, form_id, str(error))
    flash("The kit is updated.", "success")
    return redirect(url_for("clinic.recommendation", rec_id=rec_id) + "#kit")


def _form_problem(form) -> str:
    if "csrf_token" in form.errors:
        return "The form expired; please try again."
    return " ".join(error for errors in form.errors.values() for error in errors)


@blueprint.post("/recommendations/<int:rec_id>/items/<int:item_id>/swap")
@clinician_required
def item_swap(rec_id: int, item_id: int):
    """Swap a line's product for another of the same need (rule-checked)."""
    _load(rec_id)
    form = SwapForm(prefix=f"swap-{item_id}")
    form.product.choices = None  # any slug: the service checks it exists and fits
    form.product.validate_choice = False
    if not form.validate_on_submit():
        return _render_editor(rec_id, 422, (f"swap-{item_id}", _form_problem(form)))
    return _kit_change(
        rec_id,
        f"swap-{item_id}",
        lambda: recommendations.swap_item(rec_id, item_id, form.product.data, _actor()),
    )


@blueprint.post("/recommendations/<int:rec_id>/items/<int:item_id>/quantity")
@clinician_required
def item_quantity(rec_id: int, item_id: int):
    """Change a line's quantity."""
    _load(rec_id)
    form = QuantityForm(prefix=f"qty-{item_id}")
    if not form.validate_on_submit():
        return _render_editor(rec_id, 422, (f"qty-{item_id}", _form_problem(form)))
    return _kit_change(
        rec_id,
        f"qty-{item_id}",
        lambda: recommendations.set_item_quantity(rec_id, item_id, form.quantity.data, _actor()),
    )


@blueprint.post("/recommendations/<int:rec_id>/items/<int:item_id>/remove")
@clinician_required
def item_remove(rec_id: int, item_id: int):
    """Take an optional line out of the kit."""
    _load(rec_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_editor(rec_id, 400, (f"remove-{item_id}", _form_problem(form)))
    return _kit_change(
        rec_id,
        f"remove-{item_id}",
        lambda: recommendations.remove_item(rec_id, item_id, _actor()),
    )


@blueprint.post("/recommendations/<int:rec_id>/items")
@clinician_required
def item_add(rec_id: int):
    """Add a product to the kit (rule-checked)."""
    _load(rec_id)
    form = AddItemForm(prefix="add")
    form.product.choices = None
    form.product.validate_choice = False
    if not form.validate_on_submit() or not form.product.data:
        return _render_editor(rec_id, 422, ("add", _form_problem(form) or "Choose a product."))
    return _kit_change(
        rec_id,
        "add",
        lambda: recommendations.add_item(rec_id, form.product.data, form.quantity.data, _actor()),
    )


@blueprint.post("/recommendations/<int:rec_id>/send")
@clinician_required
def recommendation_send(rec_id: int):
    """Send the link (a resend makes a new one and the old stops working); keep it to print."""
    _load(rec_id)
    form = SendForm()
    if not form.validate_on_submit():
        return _render_editor(rec_id, 400, ("send", _form_problem(form)))
    try:
        rec, token = recommendations.send_recommendation(rec_id, _actor())
    except RecommendationError as error:
        return _render_editor(rec_id, 409, ("send", str(error)))
    # The plain token exists only now: keep it in this clinician's session to print the sheet.
    recommendations.remember_print_token(session, rec.id, token)
    flash(f"The link is on its way to {rec.patient_email}.", "success")
    if form.print_sheet.data:
        return redirect(url_for("clinic.recommendation_print", rec_id=rec.id))
    return redirect(url_for("clinic.recommendation", rec_id=rec.id))


@blueprint.post("/recommendations/<int:rec_id>/revoke")
@clinician_required
def recommendation_revoke(rec_id: int):
    """Stop the link working for good."""
    _load(rec_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_editor(rec_id, 400, ("revoke", _form_problem(form)))
    try:
        recommendations.revoke_recommendation(rec_id, _actor())
    except RecommendationError as error:
        return _render_editor(rec_id, 409, ("revoke", str(error)))
    session.pop(recommendations.PRINT_SESSION_KEY, None)
    flash("Revoked: the link no longer works.", "success")
    return redirect(url_for("clinic.recommendation", rec_id=rec_id))


@blueprint.get("/recommendations/<int:rec_id>/print")
@clinician_required
def recommendation_print(rec_id: int):
    """The printable aftercare sheet with a QR code of the link (right after sending)."""
    rec = _load(rec_id)
    token = recommendations.print_token(session, rec)
    if token is None:
        return render_template(
            "clinic/print_unavailable.html", rec=rec, send_form=SendForm(formdata=None)
        ), 409
    link = recommendations.link_url(token)
    return render_template(
        "clinic/print.html",
        rec=rec,
        clinician=recommendations.clinician_name(rec),
        patient=recommendations.patient_plan(rec, clock.today()),
        link=link,
        qr_svg=recommendations.qr_svg(link),
    )


# --- patients' concerns ------------------------------------------------------------------------


@blueprint.get("/concerns")
@clinician_required
def concern_list():
    """Concerns patients reported: urgent first, then oldest first, open ones by default."""
    list_filter = request.args.get("status", "open")
    if list_filter not in concerns.LIST_FILTERS:
        abort(400, description="Choose open or resolved concerns.")
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100000:
        abort(400, description="The page number must be a whole number from 1.")
    listing = concerns.list_concerns(
        list_filter, int(page), current_app.config["CONCERNS_PER_PAGE"]
    )
    return keep_private(
        make_response(
            render_template(
                "clinic/concerns.html",
                listing=listing,
                list_filter=list_filter,
                status_labels=concerns.STATUS_LABELS,
            )
        )
    )


@blueprint.route("/concerns/<int:concern_id>", methods=["GET", "POST"])
@clinician_required
def concern_detail(concern_id: int):
    """One concern in full, and the form to mark it contacted or resolved with a note."""
    row = concerns.get_concern(concern_id)
    if row is None:
        abort(404, description="There is no concern at that address.")
    form = ConcernFollowUpForm()
    if form.validate_on_submit():
        try:
            concerns.update_status(concern_id, form.status.data, form.note.data, current_user.id)
        except ConcernError as error:
            form[error.field or "note"].errors.append(str(error))
        else:
            label = concerns.STATUS_LABELS[form.status.data].lower()
            flash(f"Concern from {row.concern.name} marked {label}.", "success")
            return redirect(url_for("clinic.concern_list"), 303)
    status = 422 if request.method == "POST" else 200
    response = make_response(
        render_template(
            "clinic/concern.html",
            row=row,
            form=form,
            status_labels=concerns.STATUS_LABELS,
            source_labels=concerns.SOURCE_LABELS,
        ),
        status,
    )
    return keep_private(response)


@blueprint.get("/concerns/<int:concern_id>/photo")
@clinician_required
def concern_photo(concern_id: int):
    """Send a concern's photo to a clinician, never cached and never for anyone else."""
    path = concerns.concern_photo(concern_id)
    if path is None:
        abort(404, description="That concern has no photo.")
    response = send_file(path, mimetype="image/webp", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return keep_private(response)


# --- reports -----------------------------------------------------------------------------------


@blueprint.get("/reports")
@clinician_required
def reports():
    """Recommendations sent, opened, acknowledged and purchased, per clinician and treatment."""
    form = ReportForm(request.args)
    today = clock.today()
    if not form.validate():
        return render_template("clinic/reports.html", form=form, report=None), 400
    date_to = form.date_to.data or today
    date_from = form.date_from.data or date_to - timedelta(
        days=current_app.config["REPORT_DEFAULT_DAYS"] - 1
    )
    problem = None
    if date_from > date_to:
        problem = "The start date must be on or before the end date."
    elif (date_to - date_from).days > MAX_REPORT_DAYS:
        problem = "Choose a range of at most two years."
    if problem:
        form.date_from.errors = [problem]
        return render_template("clinic/reports.html", form=form, report=None), 400
    form.date_from.data, form.date_to.data = date_from, date_to
    report = recommendations.recommendation_report(date_from, date_to, _actor())
    # Booked consultations and where they led (shop/services/bookings/clinic_day.py).
    booking_rows = clinic_day.booking_report(
        date_from, date_to, current_user.id, current_user.has_role("admin")
    )
    return render_template(
        "clinic/reports.html", form=form, report=report, actor=_actor(), booking_rows=booking_rows
    )


@blueprint.app_context_processor
def link_lifetime() -> dict:
    """Tell clinic templates how long links last."""
    return {"link_days": current_app.config["RECOMMENDATION_LINK_DAYS"]}
