"""Shared UI: cached data, the sidebar selection kept in the URL, sources, local map assets."""

from __future__ import annotations

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import io
from geo.indicators import DOMAIN_LABELS, DOMAINS, VINTAGES
from geo.selection import MEASURE_LABELS, Selection, from_query

ALL_THEMES = "All themes"
ASSETS = "/app/static/vendor"

SOURCES_SHORT = (
    "Boundaries: ONS and London Datastore (Census 2011/2021 LSOAs, boroughs). "
    "Deprivation: English Indices of Deprivation 2025 and 2019, MHCLG. Population: ONS mid-2020. "
    "Contains National Statistics data © Crown copyright and database right. Contains Ordnance "
    "Survey data © Crown copyright and database right. Open Government Licence v3.0."
)


def use_local_assets() -> None:
    """Point folium at the vendored Leaflet files so maps draw without a CDN."""
    folium.Map.default_js = [("leaflet", f"{ASSETS}/leaflet/leaflet.js")]
    folium.Map.default_css = [("leaflet_css", f"{ASSETS}/leaflet/leaflet.css")]
    cluster_js = [("markerclusterjs", f"{ASSETS}/markercluster/leaflet.markercluster.js")]
    cluster_css = [
        ("markerclustercss", f"{ASSETS}/markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{ASSETS}/markercluster/MarkerCluster.Default.css"),
    ]
    for cls in (folium.plugins.MarkerCluster, folium.plugins.FastMarkerCluster):
        cls.default_js = cluster_js
        cls.default_css = cluster_css


@st.cache_data(show_spinner="Loading neighbourhoods…")
def lsoas(vintage: str, web: bool = False) -> gpd.GeoDataFrame:
    """LSOAs with deprivation (cached per vintage)."""
    return io.load_lsoas(vintage, web=web)


@st.cache_data(show_spinner=False)
def boroughs(vintage: str, web: bool = False) -> gpd.GeoDataFrame:
    """Boroughs with summaries (cached per vintage)."""
    return io.load_boroughs(vintage, web=web)


@st.cache_data(show_spinner=False)
def manifest() -> dict:
    return io.load_manifest()


@st.cache_data(show_spinner=False)
def postcodes() -> pd.DataFrame | None:
    return io.load_postcodes()


def theme_options() -> list[str]:
    try:
        from geo.themes import THEMES
    except ImportError:  # themes module not installed yet
        return [ALL_THEMES]
    return [ALL_THEMES, *THEMES]


def _init_from_url(borough_codes: set[str]) -> None:
    """Seed the widgets from the URL once per session."""
    if st.session_state.get("_url_loaded"):
        return
    sel = from_query(
        st.query_params.to_dict() | {"borough": st.query_params.get_all("borough")},
        borough_codes=borough_codes,
        themes=theme_options(),
    )
    st.session_state.update(
        {
            "vintage": sel.vintage,
            "domain": sel.domain,
            "measure": sel.measure,
            "boroughs": list(sel.boroughs),
            "deciles": sel.deciles,
            "theme": sel.theme,
            "_url_loaded": True,
            "_url_warnings": list(sel.warnings),
        }
    )


def sidebar_selection() -> Selection:
    """The filters in the sidebar; their values are written back to the URL every run."""
    names = boroughs("iod2025")["borough_name"].sort_values()
    _init_from_url(set(names.index))
    for warning in st.session_state.pop("_url_warnings", []):
        st.warning(warning)
    sb = st.sidebar
    sb.header("Show")
    sb.multiselect(
        "Borough",
        options=list(names.index),
        format_func=lambda code: names[code],
        key="boroughs",
        placeholder="All of London",
        help="Pick one or more boroughs; the map zooms to them.",
    )
    sb.selectbox(
        "Indicator",
        options=list(DOMAINS),
        format_func=lambda d: DOMAIN_LABELS[d],
        key="domain",
        help="The Index of Multiple Deprivation or one of its seven domains.",
    )
    sb.radio(
        "Measure",
        options=list(MEASURE_LABELS),
        format_func=MEASURE_LABELS.get,
        key="measure",
        horizontal=True,
    )
    sb.slider(
        "Deciles shown (1 = England's most deprived 10%)",
        min_value=1,
        max_value=10,
        key="deciles",
    )
    sb.radio(
        "Deprivation data",
        options=list(VINTAGES),
        format_func=lambda v: VINTAGES[v]["label"],
        key="vintage",
        help="IoD 2025 is the latest; IoD 2019 uses the 2011 neighbourhood boundaries.",
    )
    sb.selectbox("Service theme", options=theme_options(), key="theme")
    sel = Selection(
        vintage=st.session_state["vintage"],
        domain=st.session_state["domain"],
        measure=st.session_state["measure"],
        boroughs=tuple(st.session_state["boroughs"]),
        deciles=tuple(st.session_state["deciles"]),
        theme=st.session_state["theme"],
    )
    st.query_params.from_dict(sel.to_query())
    return sel


def uploads_status() -> None:
    """What the user has uploaded in this session (drawn after the page, so it is current)."""
    sb = st.sidebar
    homes = st.session_state.get("stock")
    services = st.session_state.get("services")
    sb.divider()
    sb.caption("Your data (kept only in this browser session)")
    sb.caption(
        f"Homes: {len(homes):,}" if homes is not None else "Homes: none uploaded",
    )
    sb.caption(
        f"Services: {len(services):,}" if services is not None else "Services: none uploaded",
    )


def sources_caption() -> None:
    """Source, vintage and licence of every layer on the map, under it."""
    uploaded = [
        name
        for key, name in (("stock", "homes"), ("services", "services"))
        if st.session_state.get(key) is not None
    ]
    mine = (
        f" {' and '.join(uploaded).capitalize()}: your upload, kept only in this session."
        if uploaded
        else ""
    )
    st.caption(SOURCES_SHORT + mine + " Details: Data and method page.")
