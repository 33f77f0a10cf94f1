"""Where a patient is in their plan today: before it, on one of its days, or after it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from shop.aftercare.engine import Plan
from shop.aftercare.timeline import Change, TimelineDay, day_number


class Stage(Enum):
    """Whether today is before the treatment, within the plan, or after its last day."""

    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


@dataclass(frozen=True)
class TodayStep:
    """What a plan asks of the patient today and what is different tomorrow."""

    stage: Stage
    today: date
    last_day: int
    # Today's day of the plan (DURING only).
    day: TimelineDay | None
    # Days to wait for the treatment (BEFORE only).
    days_until: int
    # What changes tomorrow, if anything does (the day-of-treatment change the day before it).
    tomorrow: Change | None
    # The first change after tomorrow, so a quiet tomorrow still says when the next one comes.
    next_change: Change | None
    # The last day of the plan.
    ends_on: date

    @property
    def is_before(self) -> bool:
        """Tell whether the treatment is still to come."""
        return self.stage is Stage.BEFORE

    @property
    def is_during(self) -> bool:
        """Tell whether today is one of the plan's days."""
        return self.stage is Stage.DURING

    @property
    def is_after(self) -> bool:
        """Tell whether the plan has ended."""
        return self.stage is Stage.AFTER


def today_step(plan: Plan, today: date) -> TodayStep | None:
    """Return today's step of a plan with days, or None for a plan without a timeline."""
    if not plan.timeline:
        return None
    last_day = plan.timeline[-1].day
    number = day_number(plan.treated_on, today)
    if number < 0:
        stage = Stage.BEFORE
    elif number <= last_day:
        stage = Stage.DURING
    else:
        stage = Stage.AFTER
    # The one list of change days the calendar and reminders use, so the page cannot differ.
    upcoming = [change for change in plan.changes() if change.day > number]
    tomorrow = upcoming[0] if upcoming and upcoming[0].day == number + 1 else None
    later = [change for change in upcoming if change is not tomorrow]
    return TodayStep(
        stage=stage,
        today=today,
        last_day=last_day,
        day=plan.timeline[number] if stage is Stage.DURING else None,
        days_until=max(-number, 0),
        tomorrow=tomorrow,
        next_change=later[0] if later else None,
        ends_on=plan.treated_on + timedelta(days=last_day),
    )
