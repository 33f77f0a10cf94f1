"""Views of the consultation blueprint: anyone can ask for a free consultation."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from shop.consultation.forms import ConsultationForm
from shop.ratelimits import form_limits
from shop.services import consultations
from shop.services.consultations import ConsultationError, ConsultationInput

blueprint = Blueprint("consultation", __name__)

# Each request sends an email, so the form must not become a way to flood someone's inbox.
consultation_limits = form_limits("CONSULTATION_RATE_LIMIT", "consultation")


@blueprint.route("/consultation", methods=["GET", "POST"])
@consultation_limits
def request_form():
    """Show the request form; save a valid request (confirmed by email) and say thank you."""
    treatments = consultations.treatment_choices()
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


@blueprint.get("/consultation/thanks")
def thanks():
    """Confirm the request was received."""
    return render_template("consultation/thanks.html")
