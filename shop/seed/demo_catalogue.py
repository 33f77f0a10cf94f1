"""Demo catalogue: products, aftercare kits and stock lots, as plain data for the seed command.

Conventions used throughout:
- Prices are in pence, VAT included; every item here is standard-rated (vat_rate_bp 2000).
- Day windows count from the treatment day (D0) and are inclusive: "D0-D14" is 15 days.
- A kit item's quantity is ceil(window days / days_per_unit) for the window its purpose names.
- days_per_unit is None for reusable items (compress, hat) that last the whole aftercare.
- Lot expiry is relative to the day the seed runs (expires_in_days), so the demo never goes stale.
- Brands (Harlow Clinic, Umbra, Verity Lab, Cloakwell) and all wording are invented for the demo.
"""

from typing import Any

# A tuple, copied into each product, so no two products share one mutable list.
ALL_SKIN_TYPES = ("normal", "dry", "oily", "combination", "sensitive", "acne-prone")

PRODUCTS: list[dict[str, Any]] = [
    # --- Sunscreens -------------------------------------------------------------------------
    {
        "sku": "SPF-MIN50-50",
        "slug": "umbra-sheer-mineral-fluid-spf50",
        "name": "Umbra Sheer Mineral Fluid SPF50+",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": (
            "A fragrance-free zinc oxide and titanium dioxide fluid with high UVA protection."
        ),
        "description": (
            "Our everyday mineral sunscreen for skin that has just been treated. Zinc oxide and "
            "titanium dioxide sit on the surface to reflect UVA and UVB, in a fluid base that "
            "spreads thinly and leaves only a faint veil. It contains no fragrance, alcohol or "
            "silicones, so it can go on from the first days of healing."
        ),
        "how_to_use": (
            "Apply two finger-lengths to face and neck as the last step each morning. Reapply "
            "every two hours outdoors and after washing or sweating."
        ),
        "size_label": "50 ml",
        "price_pence": 2600,
        "vat_rate_bp": 2000,
        "spf": 50,
        "uv_filter": "mineral",
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        # A full face dose (~1.2 ml) two or three times a day uses about 3 ml: 50 ml lasts ~16 days.
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 10,
        "image": None,
    },
    {
        "sku": "SPF-TIN50-LT",
        "slug": "umbra-tinted-mineral-fluid-spf50-light",
        "name": "Umbra Tinted Mineral Fluid SPF50 (Light)",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": "Tinted mineral SPF50 with iron oxides, in a light shade for fair skin.",
        "description": (
            "A mineral sunscreen tinted with iron oxides, which also help to screen visible light "
            "that can darken pigment marks. The Light shade suits fair skin that tends to freckle "
            "or mark after treatments. Fragrance-free, silicone-free and alcohol-free."
        ),
        "how_to_use": (
            "Smooth two finger-lengths over face and neck each morning and blend outwards. "
            "Reapply every two hours outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 2800,
        "vat_rate_bp": 2000,
        "spf": 50,
        "uv_filter": "mineral",
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "SPF-TIN50-MD",
        "slug": "umbra-tinted-mineral-fluid-spf50-medium",
        "name": "Umbra Tinted Mineral Fluid SPF50 (Medium)",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": (
            "Tinted mineral SPF50 with iron oxides, in a medium shade for olive and light tan skin."
        ),
        "description": (
            "The same iron-oxide tinted mineral fluid in a warm Medium shade, made for olive and "
            "light brown skin. The tint evens out redness while the zinc oxide base protects. "
            "Free from fragrance, silicones and alcohol."
        ),
        "how_to_use": (
            "Smooth two finger-lengths over face and neck each morning and blend outwards. "
            "Reapply every two hours outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 2800,
        "vat_rate_bp": 2000,
        "spf": 50,
        "uv_filter": "mineral",
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "SPF-TIN50-TN",
        "slug": "umbra-tinted-mineral-fluid-spf50-tan",
        "name": "Umbra Tinted Mineral Fluid SPF50 (Tan)",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": "Tinted mineral SPF50 with iron oxides, in a golden tan shade for brown skin.",
        "description": (
            "Our tinted mineral fluid in a golden Tan shade for brown skin, blended so zinc oxide "
            "does not leave a grey cast. Iron oxides add visible-light cover to the broad-spectrum "
            "protection. Fragrance-free, silicone-free and alcohol-free."
        ),
        "how_to_use": (
            "Smooth two finger-lengths over face and neck each morning and blend outwards. "
            "Reapply every two hours outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 2800,
        "vat_rate_bp": 2000,
        "spf": 50,
        "uv_filter": "mineral",
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "SPF-TIN50-DP",
        "slug": "umbra-tinted-mineral-fluid-spf50-deep",
        "name": "Umbra Tinted Mineral Fluid SPF50 (Deep)",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": (
            "Tinted mineral SPF50 with iron oxides, in a rich deep shade for dark brown skin."
        ),
        "description": (
            "A deep, rich shade of our tinted mineral fluid for dark brown to black skin, where "
            "marks after treatment can linger for months. Iron oxides screen visible light as "
            "well as UV, and the finish stays invisible rather than ashy. Fragrance-free, "
            "silicone-free and alcohol-free."
        ),
        "how_to_use": (
            "Smooth two finger-lengths over face and neck each morning and blend outwards. "
            "Reapply every two hours outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 2800,
        "vat_rate_bp": 2000,
        "spf": 50,
        "uv_filter": "mineral",
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "SPF-MIN30-50",
        "slug": "umbra-mineral-day-cream-spf30",
        "name": "Umbra Mineral Day Cream SPF30",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": "A soft mineral day cream with SPF30 for everyday wear on untreated, dry skin.",
        "description": (
            "A creamy zinc oxide moisturiser with SPF30 for ordinary days indoors and on the "
            "commute. It is fragrance-free and comfortable on dry skin. For treated skin we "
            "recommend one of our SPF50 fluids instead."
        ),
        "how_to_use": (
            "Apply generously as the last step of your morning routine and reapply if you spend "
            "time outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 1900,
        "vat_rate_bp": 2000,
        "spf": 30,
        "uv_filter": "mineral",
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": False,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["silicone"],
        "skin_types": ["normal", "dry", "sensitive"],
        "days_per_unit": 16,
        # Independent SPF/UVA results have not arrived from the supplier yet, so no kit uses it.
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
    {
        "sku": "SPF-CHEM30-50",
        "slug": "umbra-silky-daily-cream-spf30",
        "name": "Umbra Silky Daily Cream SPF30",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": "A lightweight, silky chemical SPF30 cream that sits well under make-up.",
        "description": (
            "Our silky SPF30 cream for daily wear once the skin has fully settled. Modern "
            "chemical filters give broad-spectrum protection in a light texture with a soft "
            "silicone finish that does not clog pores. Fragrance-free."
        ),
        "how_to_use": (
            "Apply two finger-lengths to face and neck every morning. Reapply every two hours "
            "when outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 1800,
        "vat_rate_bp": 2000,
        "spf": 30,
        "uv_filter": "chemical",
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["silicone"],
        "skin_types": ["normal", "oily", "combination", "acne-prone"],
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 6,
        "image": None,
    },
    {
        "sku": "SPF-CHEM50-50",
        "slug": "umbra-featherlight-fluid-spf50",
        "name": "Umbra Featherlight Fluid SPF50+",
        "brand": "Umbra",
        "category": "sunscreen",
        "summary": "A weightless, matte chemical SPF50+ fluid for oily and breakout-prone skin.",
        "description": (
            "A thin, fast-drying fluid with high chemical-filter protection and a matte finish "
            "that suits oily and combination skin. It is non-comedogenic and fragrance-free. The "
            "quick-dry base contains alcohol, so choose a mineral fluid while skin is healing."
        ),
        "how_to_use": (
            "Shake well and apply two finger-lengths to face and neck each morning. Reapply "
            "every two hours outdoors."
        ),
        "size_label": "50 ml",
        "price_pence": 2100,
        "vat_rate_bp": 2000,
        "spf": 50,
        "uv_filter": "chemical",
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": False,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": ["normal", "oily", "combination", "acne-prone"],
        "days_per_unit": 16,
        "spf_test_on_file": True,
        "low_stock_threshold": 6,
        "image": None,
    },
    # --- Cleansers --------------------------------------------------------------------------
    {
        "sku": "CLN-CREAM-200",
        "slug": "harlow-clinic-gentle-cream-cleanser",
        "name": "Harlow Clinic Gentle Cream Cleanser",
        "brand": "Harlow Clinic",
        "category": "cleanser",
        "summary": "A soap-free, non-foaming cream cleanser that washes without stripping.",
        "description": (
            "The cleanser our clinicians hand out after every skin treatment. A soft cream with "
            "ceramides lifts away sunscreen and grime without foam, soap or fragrance, so tender "
            "skin does not feel tight afterwards. No exfoliating acids."
        ),
        "how_to_use": (
            "Massage a small amount over damp skin with light fingertips, rinse with lukewarm "
            "water and pat dry with a clean towel. Use morning and night."
        ),
        "size_label": "200 ml",
        "price_pence": 1200,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["ceramides"],
        "skin_types": ["normal", "dry", "combination", "sensitive"],
        "days_per_unit": 60,
        "spf_test_on_file": False,
        "low_stock_threshold": 8,
        "image": None,
    },
    {
        "sku": "CLN-GEL-200",
        "slug": "harlow-clinic-soft-gel-cleanser",
        "name": "Harlow Clinic Soft Gel Cleanser",
        "brand": "Harlow Clinic",
        "category": "cleanser",
        "summary": "A low-foam, soap-free gel cleanser for oily and combination skin.",
        "description": (
            "A clear gel that turns into a light lather and rinses away excess oil without "
            "leaving skin squeaky. It is soap-free, acid-free and fragrance-free, so it is kind "
            "enough for the days after a facial treatment."
        ),
        "how_to_use": (
            "Work a pea-sized amount into damp skin, rinse with lukewarm water and pat dry. Use "
            "morning and night."
        ),
        "size_label": "200 ml",
        "price_pence": 1100,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": ["normal", "oily", "combination", "acne-prone"],
        "days_per_unit": 60,
        "spf_test_on_file": False,
        "low_stock_threshold": 6,
        "image": None,
    },
    {
        "sku": "CLN-BHA-150",
        "slug": "verity-lab-salicylic-clarifying-cleanser",
        "name": "Verity Lab Salicylic Clarifying Cleanser",
        "brand": "Verity Lab",
        "category": "cleanser",
        "summary": "A 2% salicylic acid wash that keeps pores clear on oily, breakout-prone skin.",
        "description": (
            "A gel wash with 2% salicylic acid to loosen the oil and dead cells that block "
            "pores. It is made for acne-prone skin in a normal routine, not for the healing "
            "days after a treatment, when exfoliating acids should wait."
        ),
        "how_to_use": (
            "Once skin has healed, massage over damp skin for 30 seconds and rinse well. Start "
            "with once a day."
        ),
        "size_label": "150 ml",
        "price_pence": 1300,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        # A rinse-off 2% wash counts as wash-off strength, which the pregnancy rule allows.
        "pregnancy_safe": True,
        "actives": ["bha"],
        "skin_types": ["oily", "combination", "acne-prone"],
        "days_per_unit": 45,
        "spf_test_on_file": False,
        "low_stock_threshold": 5,
        "image": None,
    },
    # --- Moisturisers -----------------------------------------------------------------------
    {
        "sku": "MOI-CER-50",
        "slug": "harlow-clinic-ceramide-recovery-cream",
        "name": "Harlow Clinic Ceramide Recovery Cream",
        "brand": "Harlow Clinic",
        "category": "moisturiser",
        "summary": (
            "A rich, fragrance-free ceramide cream that comforts dry, tight, freshly treated skin."
        ),
        "description": (
            "An intensive cream with three ceramides and cholesterol to top up the lipids that "
            "treatments disturb. It cushions skin that feels tight or flaky and helps it hold on "
            "to water. Free from fragrance, essential oils and exfoliating acids."
        ),
        "how_to_use": (
            "Smooth a generous layer over clean, slightly damp skin morning and night, and "
            "whenever the skin feels tight."
        ),
        "size_label": "50 ml",
        "price_pence": 1600,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": False,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["ceramides"],
        "skin_types": ["normal", "dry", "sensitive"],
        # Applied generously twice a day or more during aftercare, not the usual pea-sized dose.
        "days_per_unit": 30,
        "spf_test_on_file": False,
        "low_stock_threshold": 8,
        "image": None,
    },
    {
        "sku": "MOI-GEL-50",
        "slug": "harlow-clinic-oil-free-gel-cream",
        "name": "Harlow Clinic Oil-Free Gel-Cream",
        "brand": "Harlow Clinic",
        "category": "moisturiser",
        "summary": "A cooling, oil-free gel-cream with niacinamide for oily and acne-prone skin.",
        "description": (
            "A water-light gel-cream that hydrates without oils or heavy occlusives. Niacinamide "
            "helps calm redness and balance shine, and hyaluronic acid keeps skin supple. "
            "Non-comedogenic and fragrance-free."
        ),
        "how_to_use": "Apply a thin layer to clean skin morning and night.",
        "size_label": "50 ml",
        "price_pence": 1500,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["niacinamide", "hyaluronic-acid"],
        "skin_types": ["normal", "oily", "combination", "acne-prone"],
        "days_per_unit": 30,
        "spf_test_on_file": False,
        "low_stock_threshold": 6,
        "image": None,
    },
    {
        "sku": "MOI-ROSE-50",
        "slug": "verity-lab-rose-ritual-cream",
        "name": "Verity Lab Rose Ritual Cream",
        "brand": "Verity Lab",
        "category": "moisturiser",
        "summary": "A rich, rose-scented treat-yourself cream for dry skin on ordinary days.",
        "description": (
            "A velvety night cream scented with rose and geranium oils, for the pleasure of it. "
            "It is lovely on dry, healthy skin but the fragrance and essential oils make it a "
            "poor choice while skin is healing, so keep it for after your aftercare."
        ),
        "how_to_use": "Warm a small amount between your fingertips and press into skin at night.",
        "size_label": "50 ml",
        "price_pence": 2400,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": False,
        "non_comedogenic": False,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["essential-oils"],
        "skin_types": ["normal", "dry"],
        "days_per_unit": 30,
        "spf_test_on_file": False,
        "low_stock_threshold": 3,
        "image": None,
    },
    # --- Balm and ointment ------------------------------------------------------------------
    {
        "sku": "BLM-PAN-40",
        "slug": "harlow-clinic-panthenol-cica-balm",
        "name": "Harlow Clinic Panthenol Cica Balm",
        "brand": "Harlow Clinic",
        "category": "balm",
        "summary": "A soothing panthenol and centella balm for raw, tender or flaking skin.",
        "description": (
            "A cushiony balm with 5% panthenol and centella asiatica to comfort skin that feels "
            "hot, raw or itchy while it repairs. It is fragrance-free and made without "
            "petrolatum or silicones, so it can be used from the day of treatment."
        ),
        "how_to_use": (
            "Pat a thin layer over the treated area two to four times a day with clean fingers; "
            "do not rub."
        ),
        "size_label": "40 ml",
        "price_pence": 1100,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": False,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["panthenol"],
        "skin_types": ["normal", "dry", "combination", "sensitive"],
        "days_per_unit": 20,
        "spf_test_on_file": False,
        "low_stock_threshold": 6,
        "image": None,
    },
    {
        "sku": "OIN-PET-50",
        "slug": "harlow-clinic-pure-petrolatum-ointment",
        "name": "Harlow Clinic Pure Petrolatum Ointment",
        "brand": "Harlow Clinic",
        "category": "ointment",
        "summary": "Plain white petrolatum that seals in moisture over freshly resurfaced skin.",
        "description": (
            "A single-ingredient ointment of highly refined white petrolatum. It forms a "
            "protective seal that keeps peeled or lasered skin moist while new skin forms, with "
            "nothing added that could sting. Unscented and free from lanolin."
        ),
        "how_to_use": (
            "Keep a thin, even layer on the treated skin, reapplying whenever it starts to feel "
            "dry. Apply with clean fingers or a clean spatula."
        ),
        "size_label": "50 g",
        "price_pence": 600,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": False,
        "occlusive": True,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["petrolatum"],
        "skin_types": ["normal", "dry", "sensitive"],
        # Frequent full-face reapplication in the first week uses roughly 3-4 g a day.
        "days_per_unit": 14,
        "spf_test_on_file": False,
        "low_stock_threshold": 8,
        "image": None,
    },
    # --- Serums and toner -------------------------------------------------------------------
    {
        "sku": "SER-HA-30",
        "slug": "harlow-clinic-hyaluronic-hydration-serum",
        "name": "Harlow Clinic Hyaluronic Hydration Serum",
        "brand": "Harlow Clinic",
        "category": "serum",
        "summary": "An acid-free hyaluronic serum that floods freshly treated skin with water.",
        "description": (
            "A fluid serum with hyaluronic acid in two molecule sizes to hydrate at the surface "
            "and just below it. Despite the name it is not an exfoliating acid and contains no "
            "AHAs, BHAs or fragrance."
        ),
        "how_to_use": (
            "Press three or four drops into clean, damp skin morning and night, then follow with "
            "moisturiser."
        ),
        "size_label": "30 ml",
        "price_pence": 1800,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["hyaluronic-acid"],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 45,
        "spf_test_on_file": False,
        "low_stock_threshold": 6,
        "image": None,
    },
    {
        "sku": "SER-AZE10-30",
        "slug": "verity-lab-azelaic-acid-10-serum",
        "name": "Verity Lab Azelaic Acid 10% Serum",
        "brand": "Verity Lab",
        "category": "serum",
        "summary": "A cosmetic-strength 10% azelaic acid serum to fade marks once skin has healed.",
        "description": (
            "A smooth cream-serum with 10% azelaic acid to help even out dark marks and "
            "redness left behind after breakouts or treatments. It is for the later phase, once "
            "the skin has fully healed, and may tingle for the first few uses."
        ),
        "how_to_use": (
            "After healing, apply a thin layer once a day in the evening, building up to twice "
            "a day. Always wear SPF in the daytime."
        ),
        "size_label": "30 ml",
        "price_pence": 2000,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["azelaic-acid"],
        "skin_types": ["normal", "oily", "combination", "acne-prone"],
        "days_per_unit": 45,
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
    {
        "sku": "SER-TXA-30",
        "slug": "verity-lab-tranexamic-tone-serum",
        "name": "Verity Lab Tranexamic Tone Serum",
        "brand": "Verity Lab",
        "category": "serum",
        "summary": "A tranexamic acid and niacinamide serum for stubborn pigment, after healing.",
        "description": (
            "A light serum pairing 3% tranexamic acid with niacinamide to target patchy "
            "darkening and marks that linger after treatments. It is gentle, but still belongs "
            "to the later phase once the skin has closed and settled."
        ),
        "how_to_use": (
            "Once healed, smooth two or three drops over the face morning and night before "
            "moisturiser, and wear SPF50 in the daytime."
        ),
        "size_label": "30 ml",
        "price_pence": 2400,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        # Little data on topical tranexamic acid in pregnancy, so the shop stays cautious.
        "pregnancy_safe": False,
        "actives": ["tranexamic-acid", "niacinamide"],
        "skin_types": ["normal", "dry", "oily", "combination", "sensitive"],
        "days_per_unit": 45,
        "spf_test_on_file": False,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "SER-RET-30",
        "slug": "verity-lab-retinol-night-serum",
        "name": "Verity Lab Retinol Night Serum",
        "brand": "Verity Lab",
        "category": "serum",
        "summary": (
            "A 0.3% retinol night serum for smoother texture; not for use around treatments."
        ),
        "description": (
            "An encapsulated 0.3% retinol in a squalane base for gradual improvement in texture "
            "and fine lines. Retinoids make skin more reactive, so stop it before treatments and "
            "restart only when your clinician says so. Not for use in pregnancy or while "
            "breastfeeding."
        ),
        "how_to_use": (
            "Apply two drops at night, two or three nights a week at first, and always wear SPF "
            "the next day."
        ),
        "size_label": "30 ml",
        "price_pence": 2600,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": False,
        "actives": ["retinoid"],
        "skin_types": ["normal", "oily", "combination", "acne-prone"],
        "days_per_unit": 60,
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
    {
        "sku": "SER-VITC-30",
        "slug": "verity-lab-vitamin-c-brightening-serum",
        "name": "Verity Lab Vitamin C Brightening Serum",
        "brand": "Verity Lab",
        "category": "serum",
        "summary": "A 15% vitamin C morning serum for a brighter tone on healthy skin.",
        "description": (
            "A fresh 15% ascorbic acid serum with vitamin E to brighten dull skin and back up "
            "your sunscreen against daily stress. Its low pH can sting freshly treated skin, so "
            "leave it out of your routine until your aftercare is over."
        ),
        "how_to_use": "Apply four drops to dry skin each morning before moisturiser and SPF.",
        "size_label": "30 ml",
        "price_pence": 2200,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["vitamin-c"],
        "skin_types": ["normal", "oily", "combination"],
        "days_per_unit": 60,
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
    {
        "sku": "TON-GLY-150",
        "slug": "verity-lab-glycolic-resurfacing-toner",
        "name": "Verity Lab Glycolic Resurfacing Toner",
        "brand": "Verity Lab",
        "category": "serum",  # the vocabulary has no toner category; a leave-on liquid fits best
        "summary": "A 7% glycolic acid toner that polishes away dullness on untreated skin.",
        "description": (
            "A leave-on liquid exfoliant with 7% glycolic acid to loosen dead surface cells and "
            "smooth rough texture. It is too active for skin that has just been treated, so "
            "pause it before and after any procedure."
        ),
        "how_to_use": (
            "In the evening, sweep over dry skin with a cotton pad two or three times a week. "
            "Do not rinse; wear SPF the next day."
        ),
        "size_label": "150 ml",
        "price_pence": 1400,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": False,
        "pregnancy_safe": True,
        "actives": ["aha"],
        "skin_types": ["normal", "oily", "combination"],
        "days_per_unit": 60,
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
    # --- Soothing: mist, compress, sheet mask -----------------------------------------------
    {
        "sku": "MST-THERM-150",
        "slug": "harlow-clinic-thermal-water-mist",
        "name": "Harlow Clinic Thermal Water Mist",
        "brand": "Harlow Clinic",
        "category": "mist",
        "summary": "A fine spray of mineral-rich spring water to cool hot, tight skin in seconds.",
        "description": (
            "Pure thermal spring water in a pressurised can that gives a very fine, even mist. "
            "It cools and refreshes skin that feels warm or prickly after treatment, with "
            "nothing else added."
        ),
        "how_to_use": (
            "Hold 20 cm from the face and mist whenever skin feels hot, then pat off the excess "
            "with a clean tissue after a minute."
        ),
        "size_label": "150 ml",
        "price_pence": 900,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        # Water alone leaves nothing on the skin that could block pores.
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 30,
        "spf_test_on_file": False,
        "low_stock_threshold": 6,
        "image": None,
    },
    {
        "sku": "CMP-GEL-1",
        "slug": "harlow-clinic-reusable-cooling-gel-mask",
        "name": "Harlow Clinic Reusable Cooling Gel Mask",
        "brand": "Harlow Clinic",
        "category": "compress",
        "summary": "A washable gel face mask you chill in the fridge to ease swelling and heat.",
        "description": (
            "A soft, flexible gel mask with eye and mouth openings and a fabric backing. Chilled "
            "in the fridge, it gives a gentle, even cold that calms heat and swelling without "
            "the shock of ice. It contains no medicine and can be reused for years."
        ),
        "how_to_use": (
            "Chill for an hour in the fridge (never the freezer), wrap in a clean cloth and rest "
            "on the skin for up to 10 minutes at a time."
        ),
        "size_label": "one size",
        "price_pence": 1200,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": None,
        "spf_test_on_file": False,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "MSK-HYD-1",
        "slug": "harlow-clinic-sterile-hydrogel-sheet-mask",
        "name": "Harlow Clinic Sterile Hydrogel Sheet Mask",
        "brand": "Harlow Clinic",
        "category": "sheet-mask",
        "summary": "A single-use, sterile hydrogel mask that cools and hydrates just-treated skin.",
        "description": (
            "A sterile, individually sealed hydrogel sheet soaked in hyaluronic acid and "
            "panthenol. It clings to the face to cool and hydrate skin in the first days after "
            "needling or laser. Fragrance-free and made without oils."
        ),
        "how_to_use": (
            "With clean hands, open the sachet, peel off the film and lay the mask on the face "
            "for 20 minutes; discard after one use."
        ),
        "size_label": "1 mask",
        "price_pence": 700,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["hyaluronic-acid", "panthenol"],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 1,
        "spf_test_on_file": False,
        "low_stock_threshold": 10,
        "image": None,
    },
    # --- Bruising and cover -----------------------------------------------------------------
    {
        "sku": "BRU-ARN-50",
        "slug": "harlow-clinic-arnica-cream",
        "name": "Harlow Clinic Arnica Cream",
        "brand": "Harlow Clinic",
        "category": "bruise-cream",
        "summary": (
            "A traditional arnica cream that many clients like to use on bruises after injections."
        ),
        "description": (
            "A light cream with arnica montana extract, a traditional herbal ingredient many "
            "people reach for when they bruise. The evidence that it speeds healing is weak, so "
            "we offer it as a comfort product. Use on unbroken skin only, and not if you are "
            "allergic to daisies or related plants."
        ),
        "how_to_use": (
            "Smooth a thin layer lightly over an unbroken bruise two or three times a day, "
            "without rubbing, away from the eyes and any injection points."
        ),
        "size_label": "50 g",
        "price_pence": 700,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": False,
        "occlusive": False,
        "alcohol_free": True,
        # A herbal extract without pregnancy safety data: the shop errs on the cautious side.
        "pregnancy_safe": False,
        "actives": ["arnica"],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 30,
        "spf_test_on_file": False,
        "low_stock_threshold": 5,
        "image": None,
    },
    {
        "sku": "MKP-GRN-4",
        "slug": "cloakwell-green-colour-corrector",
        "name": "Cloakwell Green Colour Corrector",
        "brand": "Cloakwell",
        "category": "makeup",
        "summary": (
            "A creamy green corrector that cancels out redness and bruising before concealer."
        ),
        "description": (
            "A soft, blendable green cream that neutralises red patches, broken veins and fresh "
            "bruises so foundation or concealer covers them easily. It is fragrance-free with a "
            "silicone slip, and comes in a slim pot that fits in a pocket."
        ),
        "how_to_use": (
            "Once the skin is closed, dab a tiny amount onto the red area with a clean brush "
            "and blend the edges, then cover with your usual base."
        ),
        "size_label": "4 g",
        "price_pence": 1800,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": ["silicone"],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 60,
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
    {
        "sku": "MKP-POW-LM",
        "slug": "cloakwell-mineral-cover-powder-light-medium",
        "name": "Cloakwell Mineral Cover Powder (Light to Medium)",
        "brand": "Cloakwell",
        "category": "makeup",
        "summary": (
            "A loose mineral powder foundation for light to medium skin, gentle enough after "
            "treatments."
        ),
        "description": (
            "A loose powder of zinc oxide, mica and iron oxides that gives buildable, breathable "
            "cover. With no fragrance, talc, oils or preservatives, it is the make-up clinics "
            "tend to allow first once the skin is unbroken."
        ),
        "how_to_use": (
            "Tap a little into the lid, swirl a freshly washed brush through it and buff onto "
            "the face in light layers."
        ),
        "size_label": "8 g",
        "price_pence": 2200,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 90,
        "spf_test_on_file": False,
        "low_stock_threshold": 3,
        "image": None,
    },
    {
        "sku": "MKP-POW-MD",
        "slug": "cloakwell-mineral-cover-powder-medium-deep",
        "name": "Cloakwell Mineral Cover Powder (Medium to Deep)",
        "brand": "Cloakwell",
        "category": "makeup",
        "summary": (
            "A loose mineral powder foundation for medium to deep skin, gentle enough after "
            "treatments."
        ),
        "description": (
            "Our loose mineral foundation in warmer, deeper tones, made with zinc oxide, mica "
            "and iron oxides and nothing that tends to irritate. It gives light to medium cover "
            "that can be built up over redness without looking heavy."
        ),
        "how_to_use": (
            "Tap a little into the lid, swirl a freshly washed brush through it and buff onto "
            "the face in light layers."
        ),
        "size_label": "8 g",
        "price_pence": 2200,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": True,
        "fragrance_free": True,
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": 90,
        "spf_test_on_file": False,
        "low_stock_threshold": 3,
        "image": None,
    },
    # --- Accessories ------------------------------------------------------------------------
    {
        "sku": "ACC-HAT-UPF50",
        "slug": "umbra-wide-brim-sun-hat-upf50",
        "name": "Umbra Wide-Brim Sun Hat UPF50+",
        "brand": "Umbra",
        "category": "accessory",
        "summary": "A packable wide-brim hat in UPF50+ fabric that shades face, ears and neck.",
        "description": (
            "A soft cotton-blend hat with a 10 cm brim and a UPF50+ rating, so it blocks almost "
            "all UV reaching the face. It folds flat into a bag and has an adjustable inner band. "
            "Wear it with sunscreen, not instead of it."
        ),
        "how_to_use": (
            "Wear whenever you are outdoors in daylight during your aftercare and beyond."
        ),
        "size_label": "one size",
        "price_pence": 2200,
        "vat_rate_bp": 2000,
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        # Worn, not applied: nothing is left on the skin.
        "non_comedogenic": True,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": [],
        "skin_types": list(ALL_SKIN_TYPES),
        "days_per_unit": None,
        "spf_test_on_file": False,
        "low_stock_threshold": 4,
        "image": None,
    },
]

# Every item below respects the "avoid" windows of its kit's treatments: no retinoid, AHA, BHA,
# vitamin C or fragrance in resurfacing kits, no arnica outside the injectables kits, no
# petrolatum or silicone in the RF micro-needling kits, and SPF50 wherever Fitzpatrick IV-VI
# is in range. Each purpose names the day window its quantity was sized for.
KITS: list[dict[str, Any]] = [
    {
        "slug": "microneedling-recovery-kit",
        "name": "Micro-needling Recovery Kit",
        "summary": (
            "Everything for the first two weeks after micro-needling on fair to medium skin."
        ),
        "description": (
            "The kit our clinicians give after collagen induction for Fitzpatrick types I to "
            "III. A soap-free cleanser, a ceramide cream and a mineral SPF50 fluid cover D0 to "
            "D14, with a thermal mist for the warm, tight first days. Every item is "
            "fragrance-free and free from exfoliating acids."
        ),
        "treatments": ["microneedling"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 15,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse gently with lukewarm water morning and night from the day of "
                    "treatment to D14, patting dry with a clean towel."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Moisturise generously from D0 for at least the first week, and on to D14 "
                    "while the skin still feels dry or tight."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Protect every day from D0 to D14, reapplying every two hours outdoors, "
                    "with a hat and shade in the sun."
                ),
            },
            {
                "sku": "MST-THERM-150",
                "quantity": 1,
                "purpose": (
                    "Cool warm, prickly skin from D0 to D5 with a spray rather than touching or "
                    "rubbing the face."
                ),
            },
        ],
        "is_featured": True,
        "position": 10,
    },
    {
        "slug": "microneedling-recovery-kit-deeper-skin",
        "name": "Micro-needling Recovery Kit (Fitzpatrick IV-VI)",
        "summary": "Micro-needling aftercare for brown and dark skin, with a tinted mineral SPF50.",
        "description": (
            "Brown and dark skin is more likely to develop marks after needling, so this "
            "version swaps in our Deep tinted mineral SPF50, whose iron oxides also screen "
            "visible light, and adds a UPF50+ hat. Other shades of the tinted fluid are sold "
            "separately if Deep is not your match."
        ),
        "treatments": ["microneedling"],
        "fitzpatrick_min": 4,
        "fitzpatrick_max": 6,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 15,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse gently with lukewarm water morning and night from the day of "
                    "treatment to D14, patting dry with a clean towel."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Moisturise generously from D0 for at least the first week, and on to D14 "
                    "while the skin still feels dry or tight."
                ),
            },
            {
                "sku": "SPF-TIN50-DP",
                "quantity": 1,
                "purpose": (
                    "Wear this tinted SPF50 every day from D0 to D14, reapplied every two hours "
                    "outdoors, to keep pigment marks from forming."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": (
                    "Shade the face whenever you are outdoors from D0 to D14, on top of "
                    "sunscreen, never instead of it."
                ),
            },
        ],
        "is_featured": True,
        "position": 20,
    },
    {
        "slug": "microneedling-sensitive-skin-kit",
        "name": "Micro-needling Recovery Kit for Sensitive Skin",
        "summary": (
            "A pared-back needling kit for reactive or rosacea-prone skin on fair to medium tones."
        ),
        "description": (
            "For skin that flushes and stings easily, this kit adds a panthenol balm to the "
            "ceramide cream and keeps everything fragrance-free, alcohol-free and mineral-only. "
            "It covers D0 to D14."
        ),
        "treatments": ["microneedling"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": ["sensitive"],
        "cover_days": 14,
        "price_rule": "fixed",
        "fixed_price_pence": 6200,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse with lukewarm water and no soap morning and night from D0 to D14, "
                    "patting dry rather than rubbing."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Moisturise morning and night from D0 for at least a week, and on to D14 "
                    "while the skin still feels tight."
                ),
            },
            {
                "sku": "BLM-PAN-40",
                "quantity": 1,
                "purpose": (
                    "Pat a thin layer over any spot that stings or itches from D0 to D14 while "
                    "the skin barrier rebuilds."
                ),
            },
            {
                "sku": "MST-THERM-150",
                "quantity": 1,
                "purpose": (
                    "Mist over hot or tingling skin from D0 to D5 instead of touching the face."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Mineral-only protection every day from D0 to D14, reapplied every two "
                    "hours outdoors."
                ),
            },
        ],
        "is_featured": False,
        "position": 30,
    },
    {
        "slug": "microneedling-pigment-prone-kit",
        "name": "Micro-needling Recovery Kit for Pigment-Prone Skin",
        "summary": (
            "Needling aftercare for fair to medium skin that freckles or marks, with a tinted "
            "SPF50."
        ),
        "description": (
            "If your skin tends to darken after spots, sun or treatments, this kit pairs the "
            "usual cleanser and ceramide cream with our Light tinted mineral SPF50 for D0 to "
            "D14. Iron oxides in the tint add protection against visible light."
        ),
        "treatments": ["microneedling"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": ["pigmentation-prone"],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 10,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse gently with lukewarm water morning and night from the day of "
                    "treatment to D14."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Moisturise generously from D0 for at least the first week, and on to D14 "
                    "while the skin still feels dry."
                ),
            },
            {
                "sku": "SPF-TIN50-LT",
                "quantity": 1,
                "purpose": (
                    "Wear this tinted SPF50 every day from D0 to D14, reapplied every two hours "
                    "outdoors, to stop new marks forming."
                ),
            },
        ],
        "is_featured": False,
        "position": 40,
    },
    {
        "slug": "peel-and-polish-recovery-kit",
        "name": "Peel and Polish Recovery Kit",
        "summary": "Calm, acid-free aftercare for a light chemical peel or microdermabrasion.",
        "description": (
            "Light peels and microdermabrasion leave skin pink, tight and flaky for a few days "
            "and much more sun-sensitive for weeks. This kit keeps the routine simple and "
            "acid-free for two weeks: a soft cleanser, a ceramide cream and a mineral SPF50."
        ),
        "treatments": ["chemical-peel-superficial", "microdermabrasion"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 10,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse gently from the day of treatment to D14, with no scrubs, brushes "
                    "or acid washes in that time."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Moisturise from D0 to D14 to ease tightness and flaking; it is "
                    "fragrance-free for the sensitive first days."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Protect daily from D0 after microdermabrasion or D1 after a peel, to D14 "
                    "and beyond, as treated skin burns easily for weeks."
                ),
            },
        ],
        "is_featured": False,
        "position": 50,
    },
    {
        "slug": "peel-recovery-kit-oily-acne-prone",
        "name": "Peel Recovery Kit for Oily and Acne-Prone Skin",
        "summary": "Light, non-comedogenic peel aftercare that will not clog breakout-prone skin.",
        "description": (
            "Rich creams can trigger breakouts on oily skin as it heals, so this kit uses our "
            "soap-free gel cleanser and an oil-free niacinamide gel-cream. A non-comedogenic "
            "mineral SPF50 completes two weeks of care, with no exfoliating acids until D10 has "
            "passed."
        ),
        "treatments": ["chemical-peel-superficial"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": ["oily", "acne-prone"],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 10,
        "items": [
            {
                "sku": "CLN-GEL-200",
                "quantity": 1,
                "purpose": (
                    "Wash gently morning and night from D0 to D14 in place of your usual acne "
                    "cleanser."
                ),
            },
            {
                "sku": "MOI-GEL-50",
                "quantity": 1,
                "purpose": (
                    "Hydrate from D0 to D14 without oils or heavy occlusives that could block "
                    "pores."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Protect daily from D1 to D14 and keep up careful sun care for the months "
                    "after."
                ),
            },
        ],
        "is_featured": False,
        "position": 60,
    },
    {
        "slug": "peel-recovery-kit-pigment-prone",
        "name": "Peel Recovery Kit for Pigment-Prone Skin",
        "summary": (
            "Light peel aftercare with a tinted mineral SPF50 and hat for skin that marks easily."
        ),
        "description": (
            "For medium to dark skin, or any skin prone to melasma, which can darken after a "
            "peel. It pairs gentle cleansing and a ceramide cream with our Medium tinted "
            "mineral SPF50 and a UPF50+ hat for the first two weeks."
        ),
        "treatments": ["chemical-peel-superficial"],
        "fitzpatrick_min": 3,
        "fitzpatrick_max": 6,
        "concerns": ["pigmentation-prone"],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 15,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse gently from the day of treatment to D14, with no scrubs or acid "
                    "washes."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": "Moisturise from D0 to D14 to ease tightness and flaking.",
            },
            {
                "sku": "SPF-TIN50-MD",
                "quantity": 1,
                "purpose": (
                    "Wear this tinted SPF50 every day from D1 to D14, reapplied every two hours "
                    "outdoors, and keep going for three months."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": (
                    "Shade the face outdoors from D0 to D14, when sun exposure is most likely "
                    "to leave marks."
                ),
            },
        ],
        "is_featured": False,
        "position": 70,
    },
    {
        "slug": "medium-peel-recovery-kit",
        "name": "Medium Peel Recovery Kit",
        "summary": (
            "Three weeks of care through the swelling, peeling and resurfacing of a medium peel."
        ),
        "description": (
            "A medium-depth peel swells for a few days and sheds between D4 and D7. This kit "
            "keeps the skin sealed under plain petrolatum for the first week, then moves to a "
            "ceramide cream and mineral SPF50 once new skin has surfaced."
        ),
        "treatments": ["chemical-peel-medium"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 21,
        "price_rule": "fixed",
        "fixed_price_pence": 5200,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse very lightly with cool water from D0 to D20, letting peeling skin "
                    "come away by itself."
                ),
            },
            {
                "sku": "OIN-PET-50",
                "quantity": 1,
                "purpose": (
                    "Keep a thin seal of ointment over the treated skin from D0 to D7; never "
                    "pick or pull at flakes."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Switch from ointment to this cream from D8 to D20, once the new skin has "
                    "surfaced."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Start daily from D7, once the skin has resurfaced, to D20, then keep up "
                    "strict sun care for three months."
                ),
            },
        ],
        "is_featured": False,
        "position": 80,
    },
    {
        "slug": "laser-resurfacing-recovery-kit",
        "name": "Laser Resurfacing Recovery Kit",
        "summary": "Healing care for the three weeks after ablative laser resurfacing.",
        "description": (
            "After ablative laser the skin must stay moist and covered until new skin has "
            "formed, usually 7 to 10 days. This kit holds the petrolatum ointment and cooling "
            "mask for that phase, then a bland ceramide cream, a mineral SPF50 and a hat for the "
            "months of sun care that follow. Everything is fragrance-free and free from "
            "essential oils."
        ),
        "treatments": ["laser-ablative"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 21,
        "price_rule": "fixed",
        "fixed_price_pence": 8000,
        "items": [
            {
                "sku": "OIN-PET-50",
                "quantity": 1,
                "purpose": (
                    "Keep the treated skin covered from D0 to D7, thickly for the first 72 "
                    "hours, so it never dries out or crusts."
                ),
            },
            {
                "sku": "CMP-GEL-1",
                "quantity": 1,
                "purpose": (
                    "Chill, wrap in a clean cloth and rest on the face for 10 minutes at a time "
                    "from D0 to D2 to ease heat and swelling."
                ),
            },
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Rinse the skin with cool water and a little cleanser from D0 to D20 as "
                    "your clinician shows you, without rubbing."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Move from ointment to this bland cream from D10 to D20, once the new skin "
                    "has fully covered."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "No sunscreen on unhealed skin; from D14 to D20 wear it outdoors, then keep "
                    "strict protection for six to twelve months."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": (
                    "Shade the face from D0 to D20, and especially before D14 when sunscreen "
                    "cannot yet be used."
                ),
            },
        ],
        "is_featured": True,
        "position": 90,
    },
    {
        "slug": "laser-recovery-kit-non-ablative",
        "name": "Fractional Laser Recovery Kit",
        "summary": (
            "Two weeks of cooling, moisture and high sun protection after non-ablative laser."
        ),
        "description": (
            "Non-ablative and fractional lasers leave skin red, warm and a little swollen for "
            "two or three days. This kit cools it down with a gel mask, keeps it comfortable "
            "with a bland cream and protects it with a mineral SPF50 and a hat to D14."
        ),
        "treatments": ["laser-non-ablative"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 15,
        "items": [
            {
                "sku": "CMP-GEL-1",
                "quantity": 1,
                "purpose": (
                    "Chill, wrap and rest on the skin for 10 minutes at a time on D0 and D1 to "
                    "draw out the heat."
                ),
            },
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": "Cleanse mildly morning and night from D0 to D14, with no scrubs.",
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": (
                    "Apply a thick, bland layer from D0 to D3, then as usual to D14 while the "
                    "skin is dry."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Protect from D0 to D14, reapplying every two hours in daylight; make-up "
                    "can go on top straight away."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": "Wear in direct sun from D0 to D14, together with sunscreen.",
            },
        ],
        "is_featured": False,
        "position": 100,
    },
    {
        "slug": "ipl-photofacial-kit",
        "name": "IPL Photofacial Aftercare Kit",
        "summary": "Four weeks of gentle care and strict sun protection after an IPL photofacial.",
        "description": (
            "After IPL, brown spots darken and flake away over 7 to 10 days, and the skin needs "
            "careful sun protection for at least four weeks. This kit brings a cooling mask, "
            "gentle cleansing, a barrier cream, two mineral SPF50 fluids and a hat."
        ),
        "treatments": ["ipl"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 28,
        "price_rule": "percent_off",
        "percent_off": 15,
        "items": [
            {
                "sku": "CMP-GEL-1",
                "quantity": 1,
                "purpose": (
                    "Cool, never icy: rest the chilled, wrapped mask on the skin for 10 minutes "
                    "at a time on D0 and D1."
                ),
            },
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cleanse with fingertips only, no brushes or loofahs, from D0 to D27, and "
                    "most gently up to D3."
                ),
            },
            {
                "sku": "MOI-CER-50",
                "quantity": 1,
                "purpose": "Support the skin barrier morning and night from D0 to D27.",
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 2,
                "purpose": (
                    "Protect every day from D0 to D27, reapplying every two hours outdoors; two "
                    "tubes last the four weeks."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": (
                    "Wear whenever you are outdoors from D0 to D27, as sun on treated spots can "
                    "bring pigment back."
                ),
            },
        ],
        "is_featured": False,
        "position": 110,
    },
    {
        "slug": "glow-facial-aftercare-kit",
        "name": "Glow Facial Aftercare Kit",
        "summary": (
            "Hydration and mineral SPF for the fortnight after dermaplaning or a HydraFacial."
        ),
        "description": (
            "Dermaplaning and HydraFacial leave fresh, receptive skin that drinks in hydration "
            "and burns more easily. This kit keeps things simple and acid-free for two weeks: "
            "a gentle cleanser, a hyaluronic serum, a light gel-cream and a zinc-based SPF50."
        ),
        "treatments": ["dermaplaning", "hydrafacial"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 6,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 10,
        "items": [
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "After dermaplaning use water only on the day, then this acid-free cleanser "
                    "from D1 to D14."
                ),
            },
            {
                "sku": "SER-HA-30",
                "quantity": 1,
                "purpose": (
                    "Hydrate with a few drops on damp skin morning and night from D0 to D14."
                ),
            },
            {
                "sku": "MOI-GEL-50",
                "quantity": 1,
                "purpose": "Seal in the serum with a light layer from D0 to D14.",
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Protect every day from D0 to D14 with mineral filters, reapplying outdoors."
                ),
            },
        ],
        "is_featured": True,
        "position": 120,
    },
    {
        "slug": "hydrafacial-clear-skin-kit",
        "name": "HydraFacial Clear Skin Kit",
        "summary": "Oil-free, non-comedogenic care to keep oily skin clear after a HydraFacial.",
        "description": (
            "For oily, combination and breakout-prone skin, this kit keeps the post-facial glow "
            "without heavy textures. A soft gel cleanser, a niacinamide gel-cream and a matte "
            "SPF50+ fluid cover two weeks; hold off retinol and exfoliants for the first two "
            "days."
        ),
        "treatments": ["hydrafacial"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 6,
        "concerns": ["oily", "acne-prone"],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 10,
        "items": [
            {
                "sku": "CLN-GEL-200",
                "quantity": 1,
                "purpose": "Wash gently morning and night from D0 to D14, with no scrubs or acids.",
            },
            {
                "sku": "MOI-GEL-50",
                "quantity": 1,
                "purpose": "Hydrate from D0 to D14 with a light, non-comedogenic layer.",
            },
            {
                "sku": "SPF-CHEM50-50",
                "quantity": 1,
                "purpose": (
                    "Protect every day from D0 to D14 with a matte finish that suits oily skin."
                ),
            },
        ],
        "is_featured": False,
        "position": 130,
    },
    {
        "slug": "rf-microneedling-recovery-kit",
        "name": "RF Micro-needling Recovery Kit",
        "summary": "Two weeks of petrolatum-free, fragrance-free care after RF micro-needling.",
        "description": (
            "Radiofrequency micro-needling leaves skin red and swollen for a few days and may "
            "crust for up to a week. For the first 48 hours this kit relies on sterile hydrogel "
            "masks instead of petrolatum or silicone, then a panthenol balm until healed and a "
            "silicone-free mineral SPF50 from D2."
        ),
        "treatments": ["rf-microneedling"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 3,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "fixed",
        "fixed_price_pence": 7800,
        "items": [
            {
                "sku": "MSK-HYD-1",
                "quantity": 3,
                "purpose": (
                    "Apply one sterile mask a day from D0 to D2 to cool and hydrate while "
                    "petrolatum, silicones and fragrance are off limits."
                ),
            },
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cool water only on D0, then this fragrance-free cleanser from D1 to D14."
                ),
            },
            {
                "sku": "BLM-PAN-40",
                "quantity": 1,
                "purpose": (
                    "Pat on from D0 until healed, about D7; it has no petrolatum or silicone, "
                    "so it suits the first 48 hours."
                ),
            },
            {
                "sku": "SPF-MIN50-50",
                "quantity": 1,
                "purpose": (
                    "Mineral, silicone-free protection from D2 to D14, reapplied every two "
                    "hours outdoors."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": "Shade the face outdoors from D0 to D14, together with sunscreen.",
            },
        ],
        "is_featured": False,
        "position": 140,
    },
    {
        "slug": "rf-microneedling-recovery-kit-deeper-skin",
        "name": "RF Micro-needling Recovery Kit (Fitzpatrick IV-VI)",
        "summary": (
            "RF micro-needling aftercare for brown and dark skin, with a tinted mineral SPF50."
        ),
        "description": (
            "The same petrolatum-free routine as our standard RF kit, with the Deep shade of our "
            "tinted mineral SPF50 to guard darker skin against marks. Type VI skin should be "
            "treated only after the clinician has agreed it is suitable."
        ),
        "treatments": ["rf-microneedling"],
        "fitzpatrick_min": 4,
        "fitzpatrick_max": 6,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "fixed",
        "fixed_price_pence": 8000,
        "items": [
            {
                "sku": "MSK-HYD-1",
                "quantity": 3,
                "purpose": (
                    "Apply one sterile mask a day from D0 to D2 to cool and hydrate while "
                    "petrolatum, silicones and fragrance are off limits."
                ),
            },
            {
                "sku": "CLN-CREAM-200",
                "quantity": 1,
                "purpose": (
                    "Cool water only on D0, then this fragrance-free cleanser from D1 to D14."
                ),
            },
            {
                "sku": "BLM-PAN-40",
                "quantity": 1,
                "purpose": (
                    "Pat on from D0 until healed, about D7; it has no petrolatum or silicone, "
                    "so it suits the first 48 hours."
                ),
            },
            {
                "sku": "SPF-TIN50-DP",
                "quantity": 1,
                "purpose": (
                    "Tinted, silicone-free mineral SPF50 from D2 to D14, reapplied every two "
                    "hours outdoors."
                ),
            },
            {
                "sku": "ACC-HAT-UPF50",
                "quantity": 1,
                "purpose": "Shade the face outdoors from D0 to D14, together with sunscreen.",
            },
        ],
        "is_featured": False,
        "position": 150,
    },
    {
        "slug": "injectables-comfort-kit",
        "name": "Injectables Comfort Kit",
        "summary": (
            "A cooling mask and arnica cream for the day of anti-wrinkle or filler injections."
        ),
        "description": (
            "Small bruises and a little swelling are common after injections. This kit pairs a "
            "reusable cooling mask for the first hours with an arnica cream many clients like "
            "for bruises, to be used only on unbroken skin."
        ),
        "treatments": ["botulinum-toxin", "dermal-filler"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 6,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "fixed",
        "fixed_price_pence": 1700,
        "items": [
            {
                "sku": "CMP-GEL-1",
                "quantity": 1,
                "purpose": (
                    "Rest the chilled, wrapped mask lightly on the area, 10 minutes on and 10 "
                    "off, on D0, or up to D2 after filler, without pressing."
                ),
            },
            {
                "sku": "BRU-ARN-50",
                "quantity": 1,
                "purpose": (
                    "Smooth lightly over unbroken bruises from D0 until they fade, up to D13, "
                    "keeping clear of the injection points."
                ),
            },
        ],
        "is_featured": False,
        "position": 160,
    },
    {
        "slug": "filler-bruise-cover-kit",
        "name": "Filler Bruise and Cover Kit",
        "summary": "Cooling, arnica and a green corrector to see you through filler bruising.",
        "description": (
            "Filler can leave swelling or bruising for up to two weeks. Alongside the cooling "
            "mask and arnica cream, this kit adds a green colour corrector so you can disguise "
            "redness and bruises from the day after treatment."
        ),
        "treatments": ["dermal-filler"],
        "fitzpatrick_min": 1,
        "fitzpatrick_max": 6,
        "concerns": [],
        "cover_days": 14,
        "price_rule": "percent_off",
        "percent_off": 10,
        "items": [
            {
                "sku": "CMP-GEL-1",
                "quantity": 1,
                "purpose": (
                    "Rest the chilled, wrapped mask lightly on the area from D0 to D2, never "
                    "ice directly on skin and never pressing."
                ),
            },
            {
                "sku": "BRU-ARN-50",
                "quantity": 1,
                "purpose": (
                    "Smooth lightly over unbroken bruises from D0 until they fade, up to D13, "
                    "keeping clear of the injection points."
                ),
            },
            {
                "sku": "MKP-GRN-4",
                "quantity": 1,
                "purpose": (
                    "From D1 to D14, dab onto bruises or redness with a freshly washed brush "
                    "before your usual base."
                ),
            },
        ],
        "is_featured": False,
        "position": 170,
    },
]

# Stock for the demo: most products well stocked, a few below their low-stock threshold, two
# lots close to expiry, one expired lot and one product with no stock at all.
LOTS: list[dict[str, Any]] = [
    {
        "sku": "SPF-MIN50-50",
        "lot_number": "UM-L25-0311",
        "expires_in_days": 420,
        "quantity": 60,
        "unit_cost_pence": 1250,
    },
    {
        "sku": "SPF-MIN50-50",
        "lot_number": "UM-L25-0602",
        "expires_in_days": 610,
        "quantity": 40,
        "unit_cost_pence": 1250,
    },
    # SPF-TIN50-LT has no lots: sold out, so the pigment-prone needling kit shows out of stock
    # while the kits with other shades stay available.
    {
        "sku": "SPF-TIN50-MD",
        "lot_number": "UM-L25-0415",
        "expires_in_days": 480,
        "quantity": 24,
        "unit_cost_pence": 1350,
    },
    # Below its threshold of 5: shows on the staff low-stock list.
    {
        "sku": "SPF-TIN50-TN",
        "lot_number": "UM-L25-0416",
        "expires_in_days": 480,
        "quantity": 2,
        "unit_cost_pence": 1350,
    },
    # An older lot close to expiry sits next to a fresh one: first-expiry-first-out sells it first.
    {
        "sku": "SPF-TIN50-DP",
        "lot_number": "UM-L24-1120",
        "expires_in_days": 35,
        "quantity": 6,
        "unit_cost_pence": 1300,
    },
    {
        "sku": "SPF-TIN50-DP",
        "lot_number": "UM-L25-0417",
        "expires_in_days": 500,
        "quantity": 30,
        "unit_cost_pence": 1350,
    },
    {
        "sku": "SPF-MIN30-50",
        "lot_number": "UM-L25-0210",
        "expires_in_days": 390,
        "quantity": 18,
        "unit_cost_pence": 900,
    },
    {
        "sku": "SPF-CHEM30-50",
        "lot_number": "UM-L25-0128",
        "expires_in_days": 360,
        "quantity": 26,
        "unit_cost_pence": 850,
    },
    {
        "sku": "SPF-CHEM50-50",
        "lot_number": "UM-L25-0305",
        "expires_in_days": 410,
        "quantity": 22,
        "unit_cost_pence": 1000,
    },
    {
        "sku": "CLN-CREAM-200",
        "lot_number": "HC-L25-0120",
        "expires_in_days": 700,
        "quantity": 80,
        "unit_cost_pence": 560,
    },
    {
        "sku": "CLN-CREAM-200",
        "lot_number": "HC-L25-0508",
        "expires_in_days": 820,
        "quantity": 40,
        "unit_cost_pence": 580,
    },
    {
        "sku": "CLN-GEL-200",
        "lot_number": "HC-L25-0214",
        "expires_in_days": 690,
        "quantity": 35,
        "unit_cost_pence": 520,
    },
    {
        "sku": "CLN-BHA-150",
        "lot_number": "VL-L25-0109",
        "expires_in_days": 540,
        "quantity": 20,
        "unit_cost_pence": 600,
    },
    {
        "sku": "MOI-CER-50",
        "lot_number": "HC-L25-0222",
        "expires_in_days": 600,
        "quantity": 70,
        "unit_cost_pence": 760,
    },
    {
        "sku": "MOI-CER-50",
        "lot_number": "HC-L25-0519",
        "expires_in_days": 760,
        "quantity": 30,
        "unit_cost_pence": 760,
    },
    {
        "sku": "MOI-GEL-50",
        "lot_number": "HC-L25-0301",
        "expires_in_days": 620,
        "quantity": 40,
        "unit_cost_pence": 700,
    },
    # Below its threshold of 3.
    {
        "sku": "MOI-ROSE-50",
        "lot_number": "VL-L25-0130",
        "expires_in_days": 500,
        "quantity": 2,
        "unit_cost_pence": 1150,
    },
    {
        "sku": "BLM-PAN-40",
        "lot_number": "HC-L25-0203",
        "expires_in_days": 580,
        "quantity": 45,
        "unit_cost_pence": 520,
    },
    # The one expired lot: still on the shelf, not sellable, waiting for a write-off.
    {
        "sku": "OIN-PET-50",
        "lot_number": "HC-L23-0915",
        "expires_in_days": -10,
        "quantity": 8,
        "unit_cost_pence": 270,
    },
    {
        "sku": "OIN-PET-50",
        "lot_number": "HC-L25-0110",
        "expires_in_days": 900,
        "quantity": 50,
        "unit_cost_pence": 270,
    },
    # The second lot close to expiry.
    {
        "sku": "SER-HA-30",
        "lot_number": "HC-L24-1028",
        "expires_in_days": 40,
        "quantity": 12,
        "unit_cost_pence": 850,
    },
    {
        "sku": "SER-HA-30",
        "lot_number": "HC-L25-0325",
        "expires_in_days": 560,
        "quantity": 35,
        "unit_cost_pence": 850,
    },
    {
        "sku": "SER-AZE10-30",
        "lot_number": "VL-L25-0118",
        "expires_in_days": 450,
        "quantity": 20,
        "unit_cost_pence": 950,
    },
    # Below its threshold of 5.
    {
        "sku": "SER-TXA-30",
        "lot_number": "VL-L25-0206",
        "expires_in_days": 470,
        "quantity": 3,
        "unit_cost_pence": 1150,
    },
    {
        "sku": "SER-RET-30",
        "lot_number": "VL-L25-0227",
        "expires_in_days": 380,
        "quantity": 20,
        "unit_cost_pence": 1200,
    },
    {
        "sku": "SER-VITC-30",
        "lot_number": "VL-L25-0404",
        "expires_in_days": 300,
        "quantity": 20,
        "unit_cost_pence": 1050,
    },
    {
        "sku": "TON-GLY-150",
        "lot_number": "VL-L25-0121",
        "expires_in_days": 640,
        "quantity": 24,
        "unit_cost_pence": 650,
    },
    {
        "sku": "MST-THERM-150",
        "lot_number": "HC-L25-0310",
        "expires_in_days": 1000,
        "quantity": 40,
        "unit_cost_pence": 420,
    },
    # Non-perishable, but every lot needs an expiry date, so it carries a distant one.
    {
        "sku": "CMP-GEL-1",
        "lot_number": "HC-L25-0112",
        "expires_in_days": 1500,
        "quantity": 45,
        "unit_cost_pence": 520,
    },
    {
        "sku": "MSK-HYD-1",
        "lot_number": "HC-L25-0220",
        "expires_in_days": 400,
        "quantity": 80,
        "unit_cost_pence": 320,
    },
    {
        "sku": "MSK-HYD-1",
        "lot_number": "HC-L25-0601",
        "expires_in_days": 560,
        "quantity": 60,
        "unit_cost_pence": 320,
    },
    {
        "sku": "BRU-ARN-50",
        "lot_number": "HC-L25-0201",
        "expires_in_days": 520,
        "quantity": 30,
        "unit_cost_pence": 320,
    },
    {
        "sku": "MKP-GRN-4",
        "lot_number": "CW-L25-0114",
        "expires_in_days": 730,
        "quantity": 25,
        "unit_cost_pence": 850,
    },
    {
        "sku": "MKP-POW-LM",
        "lot_number": "CW-L25-0226",
        "expires_in_days": 900,
        "quantity": 15,
        "unit_cost_pence": 1000,
    },
    # Below its threshold of 3.
    {
        "sku": "MKP-POW-MD",
        "lot_number": "CW-L25-0228",
        "expires_in_days": 900,
        "quantity": 1,
        "unit_cost_pence": 1000,
    },
    {
        "sku": "ACC-HAT-UPF50",
        "lot_number": "UM-L25-0105",
        "expires_in_days": 1800,
        "quantity": 20,
        "unit_cost_pence": 950,
    },
]
