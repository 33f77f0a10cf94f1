"""Views of the clinic blueprint."""

from flask import Blueprint

blueprint = Blueprint("clinic", __name__, url_prefix="/clinic")
