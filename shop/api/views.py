"""The JSON API: the aftercare plan for a treatment, date and skin profile."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from shop import clock
from shop.api.schema import FieldProblem, parse_plan_input
from shop.extensions import csrf, limiter
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
@limiter.limit(lambda: current_app.config["PLAN_API_RATE_LIMIT"])
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
    result = plans.build_plan(plan_request, today)
    body = result.plan.to_dict()
    skus = {slug: product.sku for slug, product in result.products.items()}
    if body["kit"]:
        for item in body["kit"]["items"]:
            item["sku"] = skus.get(item["slug"])
    return jsonify(body)
