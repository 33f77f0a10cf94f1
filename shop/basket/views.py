"""Views of the basket blueprint."""

from flask import Blueprint

blueprint = Blueprint("basket", __name__)
