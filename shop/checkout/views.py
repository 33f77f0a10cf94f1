"""Views of the checkout blueprint."""

from flask import Blueprint

blueprint = Blueprint("checkout", __name__)
