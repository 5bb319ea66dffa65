"""The Pilot planner's and the closure page's settings in the URL (``plan_*`` query parameters).

:func:`to_query` writes the settings that differ from :data:`DEFAULTS`; :func:`from_query` reads
them back, keeping only valid values and saying what it dropped (a shared link never breaks the
page). Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from geo.analysis.gapview import CATCHMENTS
from geo.analysis.planinputs import PLAN_THEMES, REACH
from geo.analysis.planner import MAX_SITES
from geo.analysis.walkaccess import DISTANCES

__all__ = ["DEFAULTS", "TIME_LIMITS", "from_query", "to_query"]

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


def _flag(value: Any) -> str:
    return "1" if value else "0"


def to_query(values: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters for the settings that differ from :data:`DEFAULTS`."""
    out: dict[str, str] = {}
    for key, default in DEFAULTS.items():
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
    values: dict[str, Any] = {}
    warnings: list[str] = []

    def bad(key: str, raw: str) -> None:
        warnings.append(f"The link's {key}={raw!r} is not a valid setting; the default is used.")

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
    for key, check in checks.items():
        if key in query:
            value = check(str(query[key]))
            if value is None:
                bad(key, str(query[key]))
            else:
                values[key] = value
    if "plan_sites" in query:
        known = list(site_keys)
        keys = [k for k in str(query["plan_sites"]).split(",") if k]
        ok = [k for k in dict.fromkeys(keys) if k in known]
        if ok:
            values["plan_sites"] = ok
        if len(ok) < len(keys):
            bad("plan_sites", str(query["plan_sites"]))
    if "plan_detour" in query:
        try:
            detour = float(query["plan_detour"])
        except ValueError:
            detour = 0.0
        if 1.0 <= detour <= 3.0:
            values["plan_detour"] = detour
        else:
            bad("plan_detour", str(query["plan_detour"]))
    return values, warnings
