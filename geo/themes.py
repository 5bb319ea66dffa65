"""Mapping free-text service descriptions to the housing associations' themes.

The themes are the seven the housing associations use for social investment, plus ``"Other"``.
Matching is by keyword, transparent and deterministic:

1. A text that *is* a theme name (case-insensitive, punctuation and ``&``/``and`` ignored, e.g.
   ``"safer stronger communities"``) maps to that theme.
2. Otherwise every theme's keywords (:data:`THEME_KEYWORDS`) are counted as whole words or
   phrases, case-insensitively (``IT`` only in capitals, so the word "it" does not count). Phrases
   match with or without spaces/hyphens (``"green space"`` also matches ``"greenspace"`` and
   ``"green-space"``).
3. The theme with the most keyword hits wins; ties go to the theme listed first in
   :data:`THEMES`. No hits (or empty text) gives ``"Other"``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["OTHER", "THEMES", "THEME_KEYWORDS", "assign_theme"]

OTHER = "Other"

#: The housing associations' themes, in order (ties in keyword counts go to the earlier one).
THEMES: tuple[str, ...] = (
    "Employment support",
    "Financial inclusion",
    "Digital inclusion",
    "Health and wellbeing",
    "Safer, stronger communities",
    "Physical environment",
    "Specialist and supported housing",
    OTHER,
)

#: Keywords per theme. Each entry is a word or phrase matched whole, case-insensitively;
#: entries in :data:`CASE_SENSITIVE_KEYWORDS` are matched in capitals only.
THEME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "Employment support": (
        "job",
        "jobs",
        "job club",
        "jobcentre",
        "employment",
        "employability",
        "employer",
        "employers",
        "unemployed",
        "unemployment",
        "career",
        "careers",
        "cv",
        "cvs",
        "apprentice",
        "apprentices",
        "apprenticeship",
        "apprenticeships",
        "work experience",
        "work placement",
        "work placements",
        "into work",
        "back to work",
        "interview",
        "interviews",
        "recruitment",
        "vocational",
        "traineeship",
        "traineeships",
    ),
    "Financial inclusion": (
        "debt",
        "debts",
        "money",
        "money advice",
        "benefit",
        "benefits",
        "welfare",
        "welfare rights",
        "budget",
        "budgeting",
        "financial",
        "finance",
        "finances",
        "universal credit",
        "pension credit",
        "credit union",
        "cost of living",
        "income maximisation",
        "fuel poverty",
        "energy advice",
        "food bank",
        "food banks",
        "foodbank",
        "foodbanks",
        "food parcel",
        "food parcels",
        "pantry",
        "grant",
        "grants",
        "hardship",
    ),
    "Digital inclusion": (
        "digital",
        "IT",
        "computer",
        "computers",
        "computing",
        "online",
        "internet",
        "wifi",
        "wi fi",
        "broadband",
        "laptop",
        "laptops",
        "tablet",
        "tablets",
        "smartphone",
        "smartphones",
        "device",
        "devices",
        "get online",
        "tech",
        "technology",
        "coding",
        "email",
    ),
    "Health and wellbeing": (
        "health",
        "healthy",
        "wellbeing",
        "well being",
        "mental",
        "mental health",
        "exercise",
        "walking",
        "walks",
        "fitness",
        "physical activity",
        "sport",
        "sports",
        "yoga",
        "dance",
        "social prescribing",
        "social prescriber",
        "loneliness",
        "lonely",
        "isolation",
        "isolated",
        "befriending",
        "counselling",
        "therapy",
        "dementia",
        "carer",
        "carers",
        "nutrition",
        "healthy eating",
        "smoking",
        "alcohol",
        "drug",
        "drugs",
        "substance misuse",
        "nhs",
        "gp",
        "gps",
        "disability",
        "disabilities",
    ),
    "Safer, stronger communities": (
        "community safety",
        "safer",
        "crime",
        "asb",
        "anti social behaviour",
        "antisocial behaviour",
        "youth",
        "youth club",
        "young people",
        "volunteer",
        "volunteers",
        "volunteering",
        "neighbourhood watch",
        "domestic abuse",
        "domestic violence",
        "hate crime",
        "knife crime",
        "gang",
        "gangs",
        "police",
        "victim",
        "victims",
        "mediation",
        "residents association",
        "tenants association",
        "community cohesion",
        "cohesion",
        "refugee",
        "refugees",
        "migrant",
        "migrants",
        "community group",
        "community groups",
    ),
    "Physical environment": (
        "park",
        "parks",
        "garden",
        "gardens",
        "gardening",
        "green space",
        "green spaces",
        "allotment",
        "allotments",
        "community centre",
        "community centres",
        "community center",
        "community hall",
        "village hall",
        "meeting place",
        "meeting places",
        "meeting room",
        "meeting rooms",
        "place to meet",
        "places to meet",
        "playground",
        "play area",
        "nature",
        "tree planting",
        "food growing",
        "litter",
        "clean up",
        "environment",
        "environmental",
        "library",
        "libraries",
    ),
    "Specialist and supported housing": (
        "supported housing",
        "supported accommodation",
        "supported living",
        "sheltered",
        "sheltered housing",
        "specialist housing",
        "extra care",
        "hostel",
        "hostels",
        "homeless",
        "homelessness",
        "rough sleeping",
        "rough sleeper",
        "rough sleepers",
        "floating support",
        "tenancy sustainment",
        "tenancy support",
        "housing support",
        "move on accommodation",
        "refuge",
        "refuges",
        "retirement housing",
        "care home",
        "care homes",
    ),
}

#: Keywords matched only in capitals (``IT`` would otherwise match the word "it").
CASE_SENSITIVE_KEYWORDS: frozenset[str] = frozenset({"IT"})

_SEPARATOR = r"[\s\-_/]*"


def _keyword_pattern(keyword: str) -> str:
    """Regex for one keyword: whole word/phrase, spaces or hyphens optional between words."""
    words = re.split(r"[\s\-]+", keyword.strip())
    body = _SEPARATOR.join(re.escape(w) for w in words)
    if keyword in CASE_SENSITIVE_KEYWORDS:
        body = f"(?-i:{body})"
    return rf"(?<![\w]){body}(?![\w])"


def _theme_regex(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation for all keywords of a theme (longest first)."""
    ordered = sorted(keywords, key=len, reverse=True)
    return re.compile("|".join(_keyword_pattern(k) for k in ordered), flags=re.IGNORECASE)


_THEME_REGEXES: dict[str, re.Pattern[str]] = {
    theme: _theme_regex(words) for theme, words in THEME_KEYWORDS.items()
}


def _name_key(text: str) -> str:
    """Comparison key for exact theme names: lower case, ``&`` as ``and``, letters only."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", text))


_EXACT_NAMES: dict[str, str] = {_name_key(t): t for t in THEMES}


def _assign_one(text: str) -> str:
    """Theme for one non-empty text (exact name, else most keyword hits, else Other)."""
    exact = _EXACT_NAMES.get(_name_key(text))
    if exact is not None:
        return exact
    best, best_hits = OTHER, 0
    for theme in THEMES[:-1]:
        hits = len(_THEME_REGEXES[theme].findall(text))
        if hits > best_hits:
            best, best_hits = theme, hits
    return best


def assign_theme(text: pd.Series) -> pd.Series:
    """Assign each text to one of :data:`THEMES` by keyword matching.

    Parameters
    ----------
    text : pandas.Series
        Free text (service category, taxonomy terms, description...). Missing values and
        non-text values are treated as empty.

    Returns
    -------
    pandas.Series
        Same index as ``text``; ordered categorical with categories :data:`THEMES`. Texts
        with no keyword give ``"Other"``. See the module docstring for the rules.

    Examples
    --------
    >>> assign_theme(pd.Series(["Debt advice drop-in", "Digital skills", "", "health"])).tolist()
    ['Financial inclusion', 'Digital inclusion', 'Other', 'Health and wellbeing']
    """
    values = text.astype(object).where(text.notna(), "")
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array(
        [_assign_one(u) if isinstance(u, str) and u.strip() else OTHER for u in uniques],
        dtype=object,
    )
    result = mapped[codes] if len(codes) else np.array([], dtype=object)
    dtype = pd.CategoricalDtype(list(THEMES), ordered=True)
    return pd.Series(pd.Categorical(result, dtype=dtype), index=text.index, name="theme")
