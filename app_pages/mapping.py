"""Map assembly for the pages: deprivation choropleth, boroughs, uploaded homes and services."""

from __future__ import annotations

import hashlib

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app_pages import common
from geo import maps, webgeom
from geo.indicators import DOMAIN_LABELS, VINTAGES
from geo.selection import Selection, bounds_of, filter_lsoas

MAP_HEIGHT = 620


def tooltip_fields(sel: Selection) -> dict[str, str]:
    """Tooltip columns and their labels for the selected indicator."""
    d = sel.domain
    label = DOMAIN_LABELS[d]
    fields = {
        "lsoa_name": "Neighbourhood (LSOA)",
        "borough_name": "Borough",
        f"{d}_decile": f"{label} decile (1 = most deprived 10%)",
        f"{d}_rank": f"{label} rank in England (1 = most deprived)",
        f"{d}_score": f"{label} score",
    }
    if d != "imd":
        fields["imd_decile"] = "IMD decile"
    fields["population"] = "Population (mid-2020)"
    return fields


def _legend_title(sel: Selection) -> str:
    release = VINTAGES[sel.vintage]["label"].split(" (")[0]  # e.g. "IoD 2025"
    return f"{DOMAIN_LABELS[sel.domain]} {sel.measure}, {release}"


def _frame_digest(gdf: gpd.GeoDataFrame) -> str:
    """Content hash of a (Geo)DataFrame for the map cache: index, columns, values, geometry
    (as WKB) and CRS. Equal content gives the same key in any session, nothing else does."""
    h = hashlib.sha256()
    attrs = pd.DataFrame(gdf).drop(columns=[gdf.geometry.name], errors="ignore")
    h.update(repr((list(attrs.columns), list(map(str, attrs.dtypes)))).encode())
    h.update(pd.util.hash_pandas_object(attrs, index=True).to_numpy().tobytes())
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf:
        h.update(str(gdf.crs).encode())
        for wkb in shapely.to_wkb(gdf.geometry.values, hex=False):
            h.update(wkb or b"-")
    return h.hexdigest()


# One map per selection and uploaded content, shared by all sessions (the key is the content,
# so a session only ever gets a map of exactly its own data); each call returns a fresh copy.
@st.cache_data(
    max_entries=64,
    show_spinner=False,
    hash_funcs={gpd.GeoDataFrame: _frame_digest, pd.DataFrame: _frame_digest},
)
def build_map(
    sel: Selection,
    *,
    stock: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """The deprivation map for a selection, with the user's homes and services when loaded.

    Cached per selection and upload content (``st.cache_data``): a rerun that does not change
    them costs a copy of the cached map, not a rebuild.
    """
    lsoas = common.lsoas(sel.vintage, web=True)
    boroughs = common.boroughs(sel.vintage, web=True)
    shown = filter_lsoas(lsoas, sel)
    bounds = bounds_of(boroughs, sel.boroughs)
    m = maps.base_map(bounds)
    maps.add_choropleth(
        m,
        shown,
        sel.column,
        kind=sel.measure,
        label=_legend_title(sel),
        tooltip_fields=tooltip_fields(sel),
        name=f"Deprivation: {DOMAIN_LABELS[sel.domain]}",
        geometry=webgeom.web_layer("lsoa", sel.vintage),
    )
    maps.add_boroughs(
        m,
        nearby_boroughs(boroughs, sel.boroughs),
        highlight=list(sel.boroughs),
        geometry=webgeom.web_layer("boroughs", sel.vintage),
    )
    if services is not None and len(services):
        svc = (
            services if sel.theme == common.ALL_THEMES else services[services["theme"] == sel.theme]
        )
        maps.add_services_by_theme(m, svc.to_crs(4326))
    if stock is not None and len(stock):
        fields = {
            c: c.replace("_", " ").capitalize() for c in ("label", "borough_name") if c in stock
        }
        maps.add_points(
            m, stock.to_crs(4326), name="Your homes", tooltip_fields=fields, colour="#000000"
        )
    return maps.finish(m)


def nearby_boroughs(
    boroughs: gpd.GeoDataFrame, codes: tuple[str, ...] | list[str]
) -> gpd.GeoDataFrame:
    """The selected boroughs and their neighbours (all 33 when none is selected).

    Drawing only what is near the view keeps a one-borough map small (each borough outline and
    label costs payload and render time).
    """
    if not codes:
        return boroughs
    selected = boroughs.loc[list(codes)]
    near = boroughs.intersects(selected.union_all().buffer(0.02))  # about 1.5-2 km in degrees
    return boroughs[near]


def show_map(m: folium.Map, key: str) -> None:
    """Render a map with streamlit-folium, returning nothing so panning never reruns the script.

    The map is split (:func:`geo.maps.split_for_update`) into a base script that does not
    depend on the selection and the overlay layers, passed as ``feature_group_to_add``: while
    the base stays the same, streamlit-folium keeps the map frame and swaps only the layers,
    so a new selection restyles geometry the browser already has instead of reloading the map.
    """
    base, groups, control, bounds = maps.split_for_update(m)
    bounds = bounds or [[None, None], [None, None]]
    # st_folium computes get_bounds() only to fill a return value that returned_objects=[]
    # discards; the fitted view's bounds serve the same purpose.
    base.get_bounds = lambda: bounds
    st_folium(
        base,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],
        key=key,
        feature_group_to_add=groups,
        layer_control=control,
    )
