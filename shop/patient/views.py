"""Views of the patient blueprint."""

from flask import Blueprint

blueprint = Blueprint("patient", __name__)
