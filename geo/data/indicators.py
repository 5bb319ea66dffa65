"""The English Indices of Deprivation: domains, labels and column names.

Every processed LSOA layer carries ``{domain}_score``, ``{domain}_rank`` and ``{domain}_decile``
for each domain in :data:`DOMAINS`. Ranks run from 1 (most deprived LSOA in England);
deciles from 1 (England's most deprived 10%) to 10 (least deprived 10%). For every domain a
higher score means more deprivation.
"""

from __future__ import annotations

#: Domain keys, in the order MHCLG publishes them.
DOMAINS: tuple[str, ...] = (
    "imd",
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "housing",
    "environment",
)

#: Human-readable names (MHCLG wording).
DOMAIN_LABELS: dict[str, str] = {
    "imd": "Index of Multiple Deprivation (IMD)",
    "income": "Income",
    "employment": "Employment",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability",
    "crime": "Crime",
    "housing": "Barriers to housing and services",
    "environment": "Living environment",
}

#: Indicators beyond the IoD domains (bundled Census and NHS data), offered in the sidebar.
#: ``ha_share``: housing association households / all households per LSOA (Census 2021 TS054,
#: Census 2011 KS402EW). ``lw_per_10k``: social prescribing link-worker FTE serving each LSOA's
#: residents by GP registration, per 10,000 residents (``geo.analysis.registration``); the GP
#: practices with their PCN's FTE per 10,000 patients are drawn over it. ``ptal``: TfL's
#: public transport accessibility level (PTAL 2015) of the LSOA.
EXTRA_INDICATORS: dict[str, str] = {
    "ha_share": "Housing association households (share)",
    "lw_per_10k": "Link workers per 10,000 residents (by registration)",
    "ptal": "Public transport access (PTAL 2015)",
}

#: Every indicator of the sidebar: the IoD domains, then :data:`EXTRA_INDICATORS`.
INDICATOR_LABELS: dict[str, str] = {**DOMAIN_LABELS, **EXTRA_INDICATORS}

#: What each domain's score measures (for tooltips and the method page).
SCORE_UNITS: dict[str, str] = {
    "imd": "combined score (weighted domain scores)",
    "income": "share of people income deprived",
    "employment": "share of working-age people employment deprived",
    "education": "domain score",
    "health": "domain score (standardised; 0 is England's average)",
    "crime": "domain score (standardised; 0 is England's average)",
    "housing": "domain score",
    "environment": "domain score",
}

#: Vintages the app offers, with the LSOA geography each is published on.
VINTAGES: dict[str, dict[str, str]] = {
    "iod2025": {
        "label": "IoD 2025 (LSOA 2021)",
        "geography": "2021",
        "release": "English Indices of Deprivation 2025, Ministry of Housing, Communities and Local Government (MHCLG)",
    },
    "iod2019": {
        "label": "IoD 2019 (LSOA 2011)",
        "geography": "2011",
        "release": "English Indices of Deprivation 2019, Ministry of Housing, Communities and Local Government (MHCLG)",
    },
}

DEFAULT_VINTAGE = "iod2025"

#: Measures stored per LSOA.
MEASURES: tuple[str, ...] = ("score", "rank", "decile")


def column(domain: str, measure: str) -> str:
    """Return the column name of ``measure`` ("score", "rank" or "decile") for ``domain``."""
    if domain not in DOMAINS:
        raise ValueError(f"Unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}")
    if measure not in MEASURES:
        raise ValueError(f"Unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    return f"{domain}_{measure}"


def iod_columns() -> list[str]:
    """All IoD columns of an LSOA layer, domain by domain."""
    return [column(d, m) for d in DOMAINS for m in MEASURES]
