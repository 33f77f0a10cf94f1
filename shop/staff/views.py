"""Views of the staff blueprint."""

from flask import Blueprint

blueprint = Blueprint("staff", __name__, url_prefix="/staff")
