"""Views of the kitfinder blueprint."""

from flask import Blueprint

blueprint = Blueprint("kitfinder", __name__)
