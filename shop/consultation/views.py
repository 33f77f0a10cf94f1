"""Views of the consultation blueprint."""

from flask import Blueprint

blueprint = Blueprint("consultation", __name__)
