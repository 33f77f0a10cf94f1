"""The database and the aftercare engine speak the same vocabulary."""

from models import vocabulary as stored
from shop import labels
from shop.aftercare import vocabulary as engine


def test_engine_and_database_vocabularies_match():
    for name in ("TREATMENTS", "CATEGORIES", "ACTIVES", "UV_FILTERS", "SKIN_TYPES", "CONCERNS"):
        assert tuple(getattr(engine, name)) == tuple(getattr(stored, name)), name


def test_every_code_has_a_label():
    assert set(labels.CATEGORY_LABELS) == set(stored.CATEGORIES)
    assert set(labels.SKIN_TYPE_LABELS) == set(stored.SKIN_TYPES)
    assert set(labels.CONCERN_LABELS) == set(stored.CONCERNS)
    assert set(labels.ACTIVE_LABELS) == set(stored.ACTIVES)
