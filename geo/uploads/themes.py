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

The keywords live in ``geo/theme_keywords.json`` (loaded at import), so they can be reviewed and
extended without touching code. Cost is bounded: each text is read up to :data:`TEXT_LIMIT`
characters and one call reads at most :data:`TEXT_BUDGET` characters in all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo.data.themes import OTHER, THEMES

__all__ = ["THEME_KEYWORDS", "assign_theme", "parse_services"]


#: Where the keywords live: a data file, so they can be reviewed and extended without code.
KEYWORDS_FILE = Path(__file__).with_name("theme_keywords.json")


def _load_keywords(path: Path) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Read the keyword file: ``{"themes": {theme: [keyword, ...]}, "case_sensitive": [...]}``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    themes = {str(t): tuple(str(k) for k in words) for t, words in doc["themes"].items()}
    unknown = set(themes) - set(THEMES)
    if unknown:
        raise ValueError(f"{path.name} names unknown themes: {sorted(unknown)}")
    return themes, frozenset(str(k) for k in doc.get("case_sensitive", ()))


#: Keywords per theme (from :data:`KEYWORDS_FILE`). Each entry is a word or phrase matched
#: whole, case-insensitively; entries in :data:`CASE_SENSITIVE_KEYWORDS` in capitals only.
THEME_KEYWORDS: dict[str, tuple[str, ...]]
CASE_SENSITIVE_KEYWORDS: frozenset[str]
THEME_KEYWORDS, CASE_SENSITIVE_KEYWORDS = _load_keywords(KEYWORDS_FILE)

_SEPARATOR = r"[\s\-_/]*"


def _keyword_pattern(keyword: str) -> str:
    """Regex body for one keyword: spaces or hyphens optional between its words."""
    words = re.split(r"[\s\-]+", keyword.strip())
    body = _SEPARATOR.join(re.escape(w) for w in words)
    if keyword in CASE_SENSITIVE_KEYWORDS:
        body = f"(?-i:{body})"
    return body


def _theme_regex(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation for all keywords of a theme (longest first), matched whole.

    The word-boundary checks sit outside the alternation, so the engine tests them once per
    position instead of once per keyword: about nine times faster than a lookbehind on every
    alternative, with the same matches.
    """
    ordered = sorted(keywords, key=len, reverse=True)
    body = "|".join(_keyword_pattern(k) for k in ordered)
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])", flags=re.IGNORECASE)


_THEME_REGEXES: dict[str, re.Pattern[str]] = {
    theme: _theme_regex(words) for theme, words in THEME_KEYWORDS.items()
}


def _name_key(text: str) -> str:
    """Comparison key for exact theme names: lower case, ``&`` as ``and``, letters only."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", text))


_EXACT_NAMES: dict[str, str] = {_name_key(t): t for t in THEMES}


#: Theme matching reads at most this many characters of each text...
TEXT_LIMIT = 2_000
#: ...and at most this many characters over all the distinct texts of one call (fewer per text
#: when there are many), so its cost is bounded whatever the upload: about 0.35 s per million
#: characters here (see bench/bench_uploads.py).
TEXT_BUDGET = 10_000_000


def _assign_one(text: str, limit: int = TEXT_LIMIT) -> str:
    """Theme for one non-empty text (exact name, else most keyword hits, else Other)."""
    if len(text) <= 100:
        exact = _EXACT_NAMES.get(_name_key(text))
        if exact is not None:
            return exact
    text = text[:limit]
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

    Notes
    -----
    Cost is bounded: each distinct text is read up to :data:`TEXT_LIMIT` characters, and up
    to ``TEXT_BUDGET / number of distinct texts`` when that is smaller, so one call reads at
    most :data:`TEXT_BUDGET` characters (a 5 MB description costs what its first 2,000
    characters cost).

    Examples
    --------
    >>> assign_theme(pd.Series(["Debt advice drop-in", "Digital skills", "", "health"])).tolist()
    ['Financial inclusion', 'Digital inclusion', 'Other', 'Health and wellbeing']
    """
    values = text.astype(object).where(text.notna(), "")
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    limit = max(1, min(TEXT_LIMIT, TEXT_BUDGET // max(1, len(uniques))))
    mapped = np.array(
        [_assign_one(u, limit) if isinstance(u, str) and u.strip() else OTHER for u in uniques],
        dtype=object,
    )
    result = mapped[codes] if len(codes) else np.array([], dtype=object)
    dtype = pd.CategoricalDtype(list(THEMES), ordered=True)
    return pd.Series(pd.Categorical(result, dtype=dtype), index=text.index, name="theme")


def parse_services(
    df: pd.DataFrame, mapping: dict[str, str | None], *, column: str = "assigned_theme"
) -> pd.DataFrame:
    """Add the housing associations' theme to a service directory.

    Parameters
    ----------
    df : pandas.DataFrame
        Service rows (from :func:`read_table` / :func:`read_openreferral`, or the accepted
        frame from :func:`locate`).
    mapping : dict
        Role -> column; uses ``theme``, ``name`` and ``description`` when present.
    column : str, default "assigned_theme"
        Name of the added column.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` (same type and index) with ``column``: an ordered categorical of
        :data:`geo.uploads.themes.THEMES`. The service's own theme/category text decides first (exact
        theme names map directly, otherwise keywords); when that gives ``"Other"``, the name
        and description are searched for keywords. Still nothing -> ``"Other"``.
    """
    out = df.copy()
    index = df.index

    def text(role: str) -> pd.Series:
        col = mapping.get(role)
        if col is None or col not in df.columns:
            return pd.Series("", index=index, dtype="str")
        return df[col].astype("str").fillna("")

    theme = assign_theme(text("theme"))
    fallback_text = text("name") + " " + text("description")
    other = (theme == OTHER).to_numpy(bool)
    values = theme.array.copy()
    if other.any():
        values[other] = assign_theme(fallback_text[other]).array
    out[column] = values
    return out
