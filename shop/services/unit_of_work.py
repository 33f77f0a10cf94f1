"""One unit of work per use case: the block commits when it succeeds and rolls back if it raises."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import scoped_session

from models import db


@contextmanager
def unit_of_work() -> Iterator[scoped_session]:
    """Run the block as one transaction: commit at the end, or roll back and re-raise.

    Every service function that changes state wraps its changes in one of these, so nothing
    is half-stored and no view ever commits.
    """
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
