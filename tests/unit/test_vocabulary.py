"""Every stored code has words for the pages."""

from models import vocabulary as stored
from shop import labels


def test_every_code_has_a_label():
    assert set(labels.CATEGORY_LABELS) == set(stored.CATEGORIES)
    assert set(labels.SKIN_TYPE_LABELS) == set(stored.SKIN_TYPES)
    assert set(labels.CONCERN_LABELS) == set(stored.CONCERNS)
    assert set(labels.ACTIVE_LABELS) == set(stored.ACTIVES)


def test_treatment_slugs_are_the_public_ones():
    """URLs and the plan API use these slugs: changing one breaks patients' links."""
    assert stored.TREATMENTS == (
        "microneedling",
        "chemical-peel-superficial",
        "chemical-peel-medium",
        "laser-ablative",
        "laser-non-ablative",
        "ipl",
        "dermaplaning",
        "microdermabrasion",
        "hydrafacial",
        "rf-microneedling",
        "botulinum-toxin",
        "dermal-filler",
    )
