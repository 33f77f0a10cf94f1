"""Views of the treatments blueprint."""

from flask import Blueprint

blueprint = Blueprint("treatments", __name__)
