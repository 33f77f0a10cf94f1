"""Views of the webhooks blueprint."""

from flask import Blueprint

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
