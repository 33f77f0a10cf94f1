"""Liveness and database check for load balancers and monitoring."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from models import db

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz():
    """Answer 200 when the app and its database respond, 503 when the database does not."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    healthy = database == "ok"
    return jsonify(status="ok" if healthy else "degraded", database=database), (
        200 if healthy else 503
    )
