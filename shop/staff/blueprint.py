"""The staff blueprint every back-office area adds its routes to, with route decorators."""

from flask import Blueprint

blueprint = Blueprint("staff", __name__, url_prefix="/staff")
