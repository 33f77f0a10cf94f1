"""Reading and checking the aftercare-plan API's input, from a query string or a JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shop.aftercare import Screening
from shop.aftercare.vocabulary import (
    CONCERNS,
    MAX_ISOTRETINOIN_MONTHS_AGO,
    SCREENING_QUESTIONS,
    TREATMENTS,
)
from shop.forms import treatment_date_problem
from shop.services.plans import PlanRequest

MONTHS_FIELD = "isotretinoin_months_ago"
FIELDS = ("treatment", "treated_on", "fitzpatrick", "concerns", *SCREENING_QUESTIONS, MONTHS_FIELD)
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input, named by field."""

    field: str
    problem: str

    def to_dict(self) -> dict[str, str]:
        """Return the problem as the API reports it."""
        return {"field": self.field, "problem": self.problem}


def _treatment(value: Any, problems: list[FieldProblem]) -> str | None:
    if value is None or value == "":
        problems.append(FieldProblem("treatment", "is required"))
    elif not isinstance(value, str):
        problems.append(FieldProblem("treatment", "must be a string"))
    elif value not in TREATMENTS:
        problems.append(
            FieldProblem("treatment", f"unknown treatment; use one of: {', '.join(TREATMENTS)}")
        )
    else:
        return value
    return None


def _treated_on(value: Any, today: date, problems: list[FieldProblem]) -> date | None:
    if value is None or value == "":
        problems.append(FieldProblem("treated_on", "is required (YYYY-MM-DD)"))
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem("treated_on", "must be a date string (YYYY-MM-DD)"))
        return None
    try:
        treated_on = date.fromisoformat(value)
    except ValueError:
        problems.append(FieldProblem("treated_on", "is not a valid date (use YYYY-MM-DD)"))
        return None
    if len(value) != 10:
        problems.append(FieldProblem("treated_on", "is not a valid date (use YYYY-MM-DD)"))
        return None
    out_of_range = treatment_date_problem(treated_on, today)
    if out_of_range:
        problems.append(FieldProblem("treated_on", out_of_range.rstrip(".").lower()))
        return None
    return treated_on


def _fitzpatrick(value: Any, from_json: bool, problems: list[FieldProblem]) -> int | None:
    if value is None or value == "":
        problems.append(FieldProblem("fitzpatrick", "is required (a whole number from 1 to 6)"))
        return None
    if from_json:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(FieldProblem("fitzpatrick", "must be a whole number from 1 to 6"))
            return None
        number = value
    else:
        if not (value.isascii() and value.isdigit()):
            problems.append(FieldProblem("fitzpatrick", "must be a whole number from 1 to 6"))
            return None
        number = int(value)
    if not 1 <= number <= 6:
        problems.append(FieldProblem("fitzpatrick", "must be from 1 to 6"))
        return None
    return number


def _concerns(value: Any, from_json: bool, problems: list[FieldProblem]) -> frozenset[str]:
    if value is None or value == "":
        return frozenset()
    if from_json:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(FieldProblem("concerns", "must be a list of strings"))
            return frozenset()
        items = value
    else:
        items = [part.strip() for part in value.split(",") if part.strip()]
    unknown = sorted(set(items) - set(CONCERNS))
    if unknown:
        problems.append(
            FieldProblem(
                "concerns",
                f"unknown concern '{unknown[0]}'; use any of: {', '.join(CONCERNS)}",
            )
        )
        return frozenset()
    return frozenset(items)


def _answer(key: str, value: Any, from_json: bool, problems: list[FieldProblem]) -> bool:
    if value is None:
        return False
    if from_json:
        if not isinstance(value, bool):
            problems.append(FieldProblem(key, "must be true or false"))
            return False
        return value
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    problems.append(FieldProblem(key, "must be true or false"))
    return False


def _months_ago(value: Any, from_json: bool, problems: list[FieldProblem]) -> int | None:
    """Read how many whole months ago isotretinoin was last taken (absent: never or long ago)."""
    if value is None or value == "":
        return None
    wrong = FieldProblem(
        MONTHS_FIELD, f"must be a whole number of months from 0 to {MAX_ISOTRETINOIN_MONTHS_AGO}"
    )
    if from_json:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(wrong)
            return None
        months = value
    else:
        if not (value.isascii() and value.isdigit()) or len(value) > 4:
            problems.append(wrong)
            return None
        months = int(value)
    if not 0 <= months <= MAX_ISOTRETINOIN_MONTHS_AGO:
        problems.append(wrong)
        return None
    return months


def parse_plan_input(
    data: Mapping[str, Any], *, from_json: bool, today: date
) -> tuple[PlanRequest | None, list[FieldProblem]]:
    """Check every field; return the request, or None with every problem found."""
    problems: list[FieldProblem] = [
        FieldProblem(name, "is not a field of this API") for name in data if name not in FIELDS
    ]
    treatment = _treatment(data.get("treatment"), problems)
    treated_on = _treated_on(data.get("treated_on"), today, problems)
    fitzpatrick = _fitzpatrick(data.get("fitzpatrick"), from_json, problems)
    concerns = _concerns(data.get("concerns"), from_json, problems)
    answers = {key: _answer(key, data.get(key), from_json, problems) for key in SCREENING_QUESTIONS}
    months = _months_ago(data.get(MONTHS_FIELD), from_json, problems)
    if problems or treatment is None or treated_on is None or fitzpatrick is None:
        return None, problems
    return (
        PlanRequest(
            treatment=treatment,
            treated_on=treated_on,
            fitzpatrick=fitzpatrick,
            concerns=concerns,
            screening=Screening(**answers, isotretinoin_months_ago=months),
        ),
        [],
    )
