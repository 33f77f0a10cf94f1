"""Views of the account blueprint."""

from flask import Blueprint

blueprint = Blueprint("account", __name__, url_prefix="/account")
