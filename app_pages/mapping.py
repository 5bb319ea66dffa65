"""Map assembly for the pages: deprivation choropleth, boroughs, uploaded homes and services."""

from __future__ import annotations

import folium
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import common
from geo import maps
from geo.aggregate import MAX_POINTS, points_per_area
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


def build_map(
    sel: Selection,
    *,
    stock: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """The deprivation map for a selection, with the user's homes and services when loaded."""
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
    )
    maps.add_boroughs(m, nearby_boroughs(boroughs, sel.boroughs), highlight=list(sel.boroughs))
    if services is not None and len(services):
        svc = (
            services if sel.theme == common.ALL_THEMES else services[services["theme"] == sel.theme]
        )
        add_services(m, svc)
    if stock is not None and len(stock):
        add_stock(m, stock)
    m.aggregation_note = aggregation_note(stock, services)  # shown under the map by show_map
    return maps.finish(m)


def add_services(m: folium.Map, services: gpd.GeoDataFrame, *, show: bool = True) -> None:
    """Services by theme: one marker each, or one per neighbourhood and theme when too many."""
    if services["theme"].value_counts().max() > MAX_POINTS:  # too many to draw one by one
        per_lsoa = points_per_area(services, common.lsoas("iod2025"), by="theme")
        fields = {"area_name": "Neighbourhood (LSOA)", "theme": "Theme", "points": "Services"}
        maps.add_services_by_theme(
            m, per_lsoa.to_crs(4326), tooltip_fields=fields, cluster=False, show=show
        )
    else:
        maps.add_services_by_theme(m, services.to_crs(4326), show=show)


def add_stock(m: folium.Map, stock: gpd.GeoDataFrame) -> None:
    """The user's homes: one marker each, or one per neighbourhood (LSOA) when too many."""
    if len(stock) > MAX_POINTS:
        per_lsoa = points_per_area(stock, common.lsoas("iod2025"), weight="units")
        fields = {"area_name": "Neighbourhood (LSOA)", "points": "Locations", "units": "Homes"}
        maps.add_points(
            m,
            per_lsoa.to_crs(4326),
            name="Your homes (one marker per neighbourhood)",
            tooltip_fields=fields,
            colour="#000000",
            cluster=False,
        )
    else:
        fields = {
            c: c.replace("_", " ").capitalize() for c in ("label", "borough_name") if c in stock
        }
        maps.add_points(
            m, stock.to_crs(4326), name="Your homes", tooltip_fields=fields, colour="#000000"
        )


def aggregation_note(stock: gpd.GeoDataFrame | None, services: gpd.GeoDataFrame | None) -> str:
    """What :func:`build_map` aggregated, in words for a caption ('' when nothing was)."""
    notes = []
    if stock is not None and len(stock) > MAX_POINTS:
        notes.append(
            f"Your {len(stock):,} home locations are more than a browser can draw one by one "
            f"({MAX_POINTS:,}), so the map shows one marker per neighbourhood (LSOA); hover "
            "for its number of locations and homes."
        )
    if (
        services is not None
        and len(services)
        and services["theme"].value_counts().max() > MAX_POINTS
    ):
        notes.append(
            f"Services are shown as one marker per neighbourhood and theme (more than "
            f"{MAX_POINTS:,} in a theme); hover for the count."
        )
    return " ".join(notes)


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
    """Render a map with streamlit-folium, returning nothing so panning never reruns the script."""
    fit = next((c for c in m._children.values() if isinstance(c, folium.map.FitBounds)), None)
    if fit is not None:
        # st_folium computes get_bounds() over every coordinate only to fill a return value that
        # returned_objects=[] discards; the fitted view's bounds serve the same purpose.
        m.get_bounds = lambda: fit.bounds
    st_folium(m, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=key)
    note = getattr(m, "aggregation_note", "")
    if note:
        st.caption(note)
