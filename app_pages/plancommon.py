"""Shared by the Pilot planner and the closure page: the Output Area centres measured as
places, the planner's data per data mode, the settings kept in the URL."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import common
from geo.analysis import closureview, planinputs, planner, planquery, walkaccess
from geo.analysis import gapview as gv
from geo.data.directory import CATEGORIES


@st.cache_resource(show_spinner="Measuring walking distances between Output Area centres…")
def oa_centre_model(detour: float, distance: str = "streets") -> walkaccess.AccessModel | None:
    """Every Output Area centre measured as a place (network where covered, else straight
    line x detour); shared read-only, per process."""
    areas = common.oas()
    if areas is None:
        return None
    return walkaccess.upload_model(
        areas, planinputs.oa_centres(areas), common.streets(), detour=detour, distance=distance
    )


def plan_data(mode: str, detour: float, distance: str, with_oas: bool) -> planner.PlanData | None:
    """The planner's data: the places of the data mode, their directory, the OAs and (when
    asked) the OA centres; None when the walking-access data is not installed."""
    areas = common.oas()
    if areas is None:
        return None
    return planner.PlanData(
        oas=areas,
        lsoas=common.lsoas("iod2025"),
        places=common.access_model(mode, detour, distance),
        directory=common.directory(mode),
        oa_model=oa_centre_model(detour, distance) if with_oas else None,
    )


def site_options(mode: str) -> dict[str, str]:
    """Candidate kinds the page offers -> label: the bundled categories (bundled and mine),
    the user's uploads (when there are some) and every Output Area centre."""
    labels = planinputs.site_labels(CATEGORIES)
    mine = st.session_state.get("services")
    keys = [*(CATEGORIES if mode == "both" else [])]
    if mine is not None and len(mine):
        keys.append(planinputs.UPLOAD_SITES)
    keys.append(planinputs.OA_SITES)
    return {k: labels[k] for k in keys}


def reach_label(key: str) -> str:
    """A target group's short name with a capital (widgets, column heads, tooltips)."""
    short = planinputs.REACH_SHORT[key]
    return short[:1].upper() + short[1:]


def seed_from_url(site_keys: list[str], defaults: dict[str, Any]) -> None:
    """Once per session: the settings of a shared link, then the defaults for the rest."""
    if not st.session_state.get("_plan_seeded"):
        values, warnings = planquery.from_query(st.session_state.get("_page_query", {}), site_keys)
        for warning in warnings:
            st.warning(warning)
        st.session_state.update(values)
        st.session_state["_plan_seeded"] = True
    common.keep_widgets(defaults)


def uploads_key(mode: str) -> tuple:
    """What the data of the mode depends on besides the bundled files."""
    return (mode, gv.frame_digest(st.session_state.get("services")))


def theme_places(data: planner.PlanData, theme: str, mode: str) -> pd.DataFrame:
    """The places of ``theme`` in the data used (geo.analysis.closureview.theme_places), kept
    per theme and uploads for the Pilot planner's map and the closure page alike (where a
    place is and what it provides do not depend on the walking distance settings)."""
    return common.per_session(
        "_theme_places",
        (theme, uploads_key(mode)),
        lambda: closureview.theme_places(data.places, data.directory, theme, data.lsoas),
    )
