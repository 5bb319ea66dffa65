"""The Pilot planner's and the closure page's settings in the URL (``plan_*`` and ``close_*``).

:func:`to_query` writes the settings that differ from :data:`DEFAULTS`; :func:`from_query` reads
them back, keeping only valid values and saying what it dropped (a shared link never breaks the
page). :func:`closure_to_query` and :func:`closure_from_query` do the same for the closure page.
Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from geo.analysis.gapview import CATCHMENTS
from geo.analysis.planinputs import PLAN_THEMES, REACH
from geo.analysis.planner import MAX_SITES
from geo.analysis.walkaccess import DISTANCES

__all__ = [
    "CLOSE_DEFAULTS",
    "CLOSE_MAX_N",
    "DEFAULTS",
    "TIME_LIMITS",
    "closure_from_query",
    "closure_to_query",
    "from_query",
    "to_query",
]

#: The solver time limits offered (seconds).
TIME_LIMITS: tuple[int, ...] = (5, 10, 30, 60, 120)

#: Widget key -> default value (the detour's default is the measured one, set by the page).
DEFAULTS: dict[str, Any] = {
    "plan_theme": "Digital inclusion",
    "plan_sites": ["community_centre", "library"],
    "plan_count": 10,
    "plan_catchment": 800,
    "plan_reach": "residents",
    "plan_served": True,
    "plan_ptal": False,
    "plan_time": 10,
    "plan_distance": "streets",
}


#: The closure page's widget key -> default value. ``close_place`` (a place's ``site_id``) and
#: ``close_category`` (a category key) have no fixed default: the page checks them against its
#: data and keeps them in the URL whenever they are set.
CLOSE_DEFAULTS: dict[str, Any] = {
    "close_theme": "Digital inclusion",
    "close_catchment": 800,
    "close_reach": "residents",
    "close_what": "place",
    "close_n": 5,
}

#: The closure page's "How many places" slider.
CLOSE_MAX_N = 20


def _flag(value: Any) -> str:
    return "1" if value else "0"


def _bad(key: str, raw: str) -> str:
    return f"The link's {key}={raw!r} is not a valid setting; the default is used."


def _detour(text: str) -> float | None:
    """A detour factor from 1 to 3, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 1.0 <= value <= 3.0 else None


def _checked(
    query: Mapping[str, str], checks: Mapping[str, Any], warnings: list[str]
) -> dict[str, Any]:
    """The values of ``query`` that pass their check (``check(text)`` is None when not);
    each one that fails adds a warning."""
    values: dict[str, Any] = {}
    for key, check in checks.items():
        if key in query:
            value = check(str(query[key]))
            if value is None:
                warnings.append(_bad(key, str(query[key])))
            else:
                values[key] = value
    return values


def to_query(
    values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Query parameters for the settings that differ from ``defaults`` (:data:`DEFAULTS`)."""
    out: dict[str, str] = {}
    for key, default in (DEFAULTS if defaults is None else defaults).items():
        value = values.get(key, default)
        if value == default:
            continue
        if isinstance(default, bool):
            out[key] = _flag(value)
        elif isinstance(default, list):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def from_query(
    query: Mapping[str, str], site_keys: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """Settings from query parameters: ``(values, warnings)``; invalid ones are left out.

    Parameters
    ----------
    query
        ``st.query_params.to_dict()`` (only ``plan_*`` keys are read).
    site_keys
        The candidate kinds the page offers (category keys, ``upload``, ``oa``).
    """
    warnings: list[str] = []
    checks: dict[str, Any] = {
        "plan_theme": lambda v: v if v in PLAN_THEMES else None,
        "plan_reach": lambda v: v if v in REACH else None,
        "plan_distance": lambda v: v if v in DISTANCES else None,
        "plan_count": lambda v: int(v) if v.isdigit() and 1 <= int(v) <= MAX_SITES else None,
        "plan_catchment": lambda v: int(v) if v.isdigit() and int(v) in CATCHMENTS else None,
        "plan_time": lambda v: int(v) if v.isdigit() and int(v) in TIME_LIMITS else None,
        "plan_served": lambda v: {"1": True, "0": False}.get(v),
        "plan_ptal": lambda v: {"1": True, "0": False}.get(v),
    }
    values = _checked(query, checks, warnings)
    if "plan_sites" in query:
        known = list(site_keys)
        keys = [k for k in str(query["plan_sites"]).split(",") if k]
        ok = [k for k in dict.fromkeys(keys) if k in known]
        if ok:
            values["plan_sites"] = ok
        if len(ok) < len(keys):
            warnings.append(_bad("plan_sites", str(query["plan_sites"])))
    values |= _checked(query, {"plan_detour": _detour}, warnings)
    return values, warnings


def closure_to_query(values: Mapping[str, Any]) -> dict[str, str]:
    """The closure page's query parameters: settings that differ from :data:`CLOSE_DEFAULTS`,
    plus the chosen place (``close_place``, its ``site_id``) or category (``close_category``)."""
    out = to_query(values, CLOSE_DEFAULTS)
    what = values.get("close_what", CLOSE_DEFAULTS["close_what"])
    chosen = values.get("close_place" if what == "place" else "close_category")
    if chosen not in (None, ""):
        out["close_place" if what == "place" else "close_category"] = str(chosen)
    return out


def closure_from_query(
    query: Mapping[str, str], themes: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """The closure page's settings from query parameters: ``(values, warnings)``.

    ``close_place`` and ``close_category`` are passed through as text: whether such a place or
    category exists depends on the data used, which the page checks (and says so when not).

    Parameters
    ----------
    query
        ``st.query_params.to_dict()`` (only ``close_*`` keys are read).
    themes
        The themes the page offers.
    """
    warnings: list[str] = []
    known = set(themes)
    checks: dict[str, Any] = {
        "close_theme": lambda v: v if v in known else None,
        "close_reach": lambda v: v if v in REACH else None,
        "close_catchment": lambda v: int(v) if v.isdigit() and int(v) in CATCHMENTS else None,
        "close_what": lambda v: v if v in ("place", "category") else None,
        "close_n": lambda v: int(v) if v.isdigit() and 1 <= int(v) <= CLOSE_MAX_N else None,
    }
    values = _checked(query, checks, warnings)
    for key in ("close_place", "close_category"):
        raw = str(query.get(key, "")).strip()
        if raw:
            values[key] = raw[:200]
    return values, warnings
