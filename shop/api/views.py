"""The JSON API: the aftercare plan for a treatment, date and skin profile."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from shop import clock
from shop.api.schema import FieldProblem, parse_plan_input
from shop.extensions import csrf
from shop.ratelimits import plan_api_limit
from shop.services import plans

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


def _bad_request(problems: list[FieldProblem]):
    body = {
        "error": {
            "status": 400,
            "title": "The request has invalid fields",
            "errors": [problem.to_dict() for problem in problems],
        }
    }
    return jsonify(body), 400


@blueprint.route("/aftercare-plan", methods=["GET", "POST"])
@csrf.exempt  # a JSON API without cookies-based state changes; it only computes a plan
@plan_api_limit
def aftercare_plan():
    """Return the aftercare plan as JSON: GET with query parameters or POST a JSON object."""
    if request.method == "POST":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _bad_request([FieldProblem("body", "must be a JSON object")])
        from_json = True
    else:
        data = request.args.to_dict()
        from_json = False
    today = clock.today()
    plan_request, problems = parse_plan_input(data, from_json=from_json, today=today)
    if plan_request is None:
        return _bad_request(problems)
    try:
        body = plans.plan_for(plan_request, today).to_dict()
    except plans.UnknownTreatment:
        # A treatment the engine knows that this shop does not offer (yet): the field's fault.
        return _bad_request([FieldProblem("treatment", "is not offered by this clinic")])
    if body["kit"]:
        skus = plans.product_skus()
        for item in body["kit"]["items"]:
            item["sku"] = skus.get(item["slug"])
    return jsonify(body)
