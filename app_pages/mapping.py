"""Map assembly for the pages: deprivation choropleth, boroughs, uploaded homes and services."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app_pages import common
from geo import web
from geo.analysis import provision
from geo.analysis.aggregate import MAX_POINTS, points_per_area
from geo.analysis.selection import Selection, bounds_of, filter_lsoas
from geo.data import io
from geo.data.directory import CATEGORIES, LINK_WORKERS
from geo.data.indicators import DOMAIN_LABELS, VINTAGES
from geo.outputs.export import safe_csv

MAP_HEIGHT = 620


def tooltip_fields(sel: Selection) -> dict[str, str]:
    """Tooltip columns and their labels for the selected indicator."""
    d = sel.decile_domain
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
    fields["population"] = (
        "Population (Census 2021)" if sel.vintage == "iod2025" else "Population (mid-2020)"
    )
    for col, alias in (
        ("ha_households", "Housing association households"),
        ("ha_share", "Housing association share of households (%)"),
    ):
        fields[col] = alias
    return fields


def _legend_title(sel: Selection) -> str:
    release = VINTAGES[sel.vintage]["label"].split(" (")[0]  # e.g. "IoD 2025"
    measure = sel.measure if sel.is_iod else "decile"
    return f"{DOMAIN_LABELS[sel.decile_domain]} {measure}, {release}"


def lsoa_geometry(sel: Selection, rows: pd.Index | None = None) -> web.WebLayer:
    """The static LSOA shapes for a map of ``sel``: with one borough selected, that borough's
    own file (about 1/33 of London's to fetch and decode, so its map paints sooner), else all
    London's. ``rows``: the LSOA codes the map draws, which the file must hold."""
    if len(sel.boroughs) == 1:
        try:
            layer = web.web_layer("lsoa", sel.vintage, borough=sel.boroughs[0])
        except (io.DataError, ValueError):  # no such file: London's has every LSOA
            layer = None
        if layer is not None and (rows is None or (layer.positions(rows) >= 0).all()):
            return layer
    return web.web_layer("lsoa", sel.vintage)


def _frame_digest(gdf: gpd.GeoDataFrame) -> str:
    """Content hash of a (Geo)DataFrame for the map cache: index, columns, values, geometry
    (as WKB) and CRS. Equal content gives the same key in any session, nothing else does."""
    h = hashlib.sha256()
    geom = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    attrs = pd.DataFrame(gdf).drop(columns=[geom] if geom else [], errors="ignore")
    h.update(repr((list(attrs.columns), list(map(str, attrs.dtypes)))).encode())
    h.update(pd.util.hash_pandas_object(attrs, index=True).to_numpy().tobytes())
    if geom is not None and geom in gdf:
        h.update(str(gdf.crs).encode())
        for wkb in shapely.to_wkb(gdf.geometry.values, hex=False):
            h.update(wkb or b"-")
    return h.hexdigest()


def build_map(
    sel: Selection,
    *,
    stock: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
    bundled_layers: bool = False,
    show_places: bool | dict[str, bool] = False,
) -> folium.Map:
    """The deprivation map for a selection, with the user's homes and services when loaded.

    With ``bundled_layers`` the map also has the bundled layers: housing association homes
    per LSOA (Census), one layer per service category (with the user's services, per the
    sidebar's data mode, instead of ``services``) and link workers at GP practices.
    ``show_places`` switches category layers on (all, or per category key).

    Cached per selection, uploaded content and data mode (``st.cache_data``): a rerun that
    does not change them costs a copy of the cached map, not a rebuild.
    """
    mine = st.session_state.get("services") if bundled_layers else None
    mode = common.data_mode() if bundled_layers else None
    return _build_map(sel, stock, services, bundled_layers, show_places, mine, mode)


# One map per selection, uploaded content and data mode, shared by all sessions (the key is
# the content, so a session only ever gets a map of exactly its own data); each call returns a
# fresh copy.
@st.cache_data(
    max_entries=64,
    show_spinner=False,
    hash_funcs={gpd.GeoDataFrame: _frame_digest, pd.DataFrame: _frame_digest},
)
def _build_map(
    sel: Selection,
    stock: gpd.GeoDataFrame | None,
    services: gpd.GeoDataFrame | None,
    bundled_layers: bool,
    show_places: bool | dict[str, bool],
    mine: gpd.GeoDataFrame | None,
    mode: str | None,
) -> folium.Map:

    lsoas = common.lsoas(sel.vintage, web=True)
    boroughs = common.boroughs(sel.vintage, web=True)
    shown = filter_lsoas(lsoas, sel)
    bounds = bounds_of(boroughs, sel.boroughs)
    m = web.base_map(bounds)
    census = "Census 2021" if sel.vintage == "iod2025" else "Census 2011"
    ha_main = sel.domain == "ha_share" and "ha_share" in shown.columns
    if ha_main:
        web.add_ha_layer(
            m,
            shown,
            census=census,
            show=True,
            name=f"Housing association homes ({census})",
            geometry=lsoa_geometry(sel, shown.index),
        )
    else:
        web.add_choropleth(
            m,
            _share_as_percent(shown),
            sel.column,
            kind=sel.measure if sel.is_iod else "decile",
            label=_legend_title(sel),
            tooltip_fields={k: v for k, v in tooltip_fields(sel).items() if k in shown.columns},
            name=f"Deprivation: {DOMAIN_LABELS[sel.decile_domain]}",
            geometry=lsoa_geometry(sel, shown.index),
        )
    web.add_boroughs(
        m,
        nearby_boroughs(boroughs, sel.boroughs),
        highlight=list(sel.boroughs),
        geometry=web.web_layer("boroughs", sel.vintage),
    )
    # shown under the map by show_map; with the bundled layers, the user's services are drawn
    # among the places (per the data mode), so the note speaks of those
    note = aggregation_note(stock, mine if bundled_layers else services)
    if bundled_layers:
        _add_bundled(m, sel, shown, census, ha_main=ha_main, show_places=show_places, mode=mode)
        services = None  # drawn with the bundled places, per the data mode
    if services is not None and len(services):
        svc = (
            services if sel.theme == common.ALL_THEMES else services[services["theme"] == sel.theme]
        )
        add_services(m, svc)
    if stock is not None and len(stock):
        add_stock(m, stock)
    m.aggregation_note = note
    return web.finish(m)


def _share_as_percent(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``ha_share`` (0..1) as a percentage with one decimal, for tooltips (same index)."""
    if "ha_share" not in lsoas.columns:
        return lsoas
    return lsoas.assign(ha_share=web.ha_percent(lsoas))


def add_services(m: folium.Map, services: gpd.GeoDataFrame, *, show: bool = True) -> None:
    """Services by theme: one marker each, or one per neighbourhood and theme when too many."""
    if services["theme"].value_counts().max() > MAX_POINTS:  # too many to draw one by one
        per_lsoa = points_per_area(services, common.lsoas("iod2025"), by="theme")
        fields = {"area_name": "Neighbourhood (LSOA)", "theme": "Theme", "points": "Services"}
        web.add_services_by_theme(
            m, per_lsoa.to_crs(4326), tooltip_fields=fields, cluster=False, show=show
        )
    else:
        web.add_services_by_theme(m, services.to_crs(4326), show=show)


def add_stock(m: folium.Map, stock: gpd.GeoDataFrame) -> None:
    """The user's homes: one marker each, or one per neighbourhood (LSOA) when too many."""
    if len(stock) > MAX_POINTS:
        per_lsoa = points_per_area(stock, common.lsoas("iod2025"), weight="units")
        fields = {"area_name": "Neighbourhood (LSOA)", "points": "Locations", "units": "Homes"}
        web.add_points(
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
        fields["source_label"] = "Source"  # every point says where it came from
        web.add_points(
            m,
            stock.assign(source_label=provision.UPLOAD).to_crs(4326),
            name="Your homes",
            tooltip_fields=fields,
            colour="#000000",
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


def _add_bundled(
    m: folium.Map,
    sel: Selection,
    shown: gpd.GeoDataFrame,
    census: str,
    *,
    ha_main: bool,
    show_places: bool | dict[str, bool],
    mode: str | None = None,
) -> None:
    """Housing association homes, places by category and link workers (bundled + uploads)."""
    mode = mode or common.data_mode()
    if not ha_main:
        web.add_ha_points(
            m,
            shown,
            census=census,
            show=False,
            points=web.web_points("ha_points", sel.vintage),
        )
    places = common.directory(mode)
    if places is not None and len(places):
        if sel.theme != common.ALL_THEMES:
            places = provision.theme_rows(places, sel.theme)
        if sel.boroughs:  # the selected boroughs' own places (their neighbours' would crowd it)
            places = places[places["borough_code"].isin(sel.boroughs).to_numpy()]
        mine = (
            places["origin"].eq(provision.UPLOAD).to_numpy()
            if "origin" in places
            else np.zeros(len(places), dtype=bool)
        )
        if len(places) and mine.any() and places[mine]["theme"].value_counts().max() > MAX_POINTS:
            # the user's services are too many to draw one by one: per neighbourhood and theme
            add_services(m, places[mine], show=bool(show_places))
            places = places[~mine]
        web.add_category_layers(
            m, places, CATEGORIES, show=show_places, points=web.web_points("places")
        )
    gps = common.gp_practices()
    if gps is not None and len(gps) and mode == "both":
        if sel.boroughs:
            gps = gps[gps["borough_code"].isin(sel.boroughs)]
        web.add_link_worker_layer(
            m,
            gps,
            show=sel.domain == "lw_per_10k",
            vintage=str(LINK_WORKERS.get("vintage", "")).split(" (")[0],
            points=web.web_points("places"),
        )


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


def _publisher(key: str) -> Callable[[bytes], str | None]:
    """Serve a points file of this session's map (``key``) through Streamlit's media file
    manager (the store behind ``st.image`` and downloads): a URL for this session, kept while
    the page's script runs show the map and dropped after, or None when there is no running
    server (AppTest, bare mode), so the points stay in the map update instead."""

    def publish(data: bytes) -> str | None:
        try:
            from streamlit import runtime

            if not runtime.exists():
                return None
            digest = hashlib.sha256(data).hexdigest()[:16]
            return runtime.get_instance().media_file_mgr.add(
                data, "application/octet-stream", f"{key}.points.{digest}"
            )
        except Exception:  # an internal API: if it changes, points travel as before
            return None

    return publish


def show_map(
    m: folium.Map,
    key: str,
    *,
    description: str | None = None,
    table: Callable[[], pd.DataFrame] | None = None,
    table_label: str = "neighbourhoods",
) -> None:
    """Render a map with streamlit-folium, returning nothing so panning never reruns the script.

    ``description``: what the map shows, in words (markdown), written just before the map, its
    text equivalent for those who cannot see it (WCAG 1.1.1). ``table``: makes the table of
    what the map shows, drawn under the map in an expander (made only while it is open, so it
    costs the map's first paint nothing) with a CSV download.

    The map is split (:func:`geo.web.split_for_update`) into a base script that does not
    depend on the selection and the overlay layers, passed as ``feature_group_to_add``: while
    the base stays the same, streamlit-folium keeps the map frame and swaps only the layers,
    so a new selection restyles geometry the browser already has instead of reloading the map.
    """
    note = getattr(m, "aggregation_note", "")
    base, groups, control, bounds = web.split_for_update(m)
    web.publish_points(groups, _publisher(key))
    bounds = bounds or [[None, None], [None, None]]
    # st_folium computes get_bounds() only to fill a return value that returned_objects=[]
    # discards; the fitted view's bounds serve the same purpose.
    base.get_bounds = lambda: bounds
    if description:
        st.markdown(description)
    st_folium(
        base,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],
        key=key,
        feature_group_to_add=groups,
        layer_control=control,
    )
    if note:
        st.caption(note)
    if table is not None:
        _map_table(key, table, table_label)


def _map_table(key: str, make: Callable[[], pd.DataFrame], what: str) -> None:
    box = st.expander(
        f"**The map as a table**: every one of its {what}, with a CSV download",
        key=f"{key}_table",
        on_change="rerun",
        icon=":material/table:",
    )
    if not box.open:
        return
    frame = make()
    with box:
        st.dataframe(frame, width="stretch", height=420, column_config=common.number_formats(frame))
        st.download_button(
            "Download the map's table (CSV)",
            data=lambda: safe_csv(frame.reset_index(), header_lines=[common.SOURCES_SHORT]),
            file_name=f"{key}_table.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}_table_csv",
        )


# --------------------------------------------------------------------------------------------
# text equivalents of the maps (WCAG 1.1.1): what each map shows, in words and as a table
# --------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$-])")


def md_text(value: object) -> str:
    """``value`` as literal text inside markdown (official names and uploads alike)."""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


def area_words(sel: Selection) -> str:
    """'London', or the selected boroughs' names."""
    if not sel.boroughs:
        return "London"
    names = common.boroughs(sel.vintage)["borough_name"]
    return ", ".join(md_text(names.get(b, b)) for b in sel.boroughs)


def _census(sel: Selection) -> str:
    return "Census 2021" if sel.vintage == "iod2025" else "Census 2011"


def describe_map(sel: Selection, *, stock: gpd.GeoDataFrame | None = None) -> str:
    """What :func:`build_map` draws for ``sel``, in words: the areas, their classes with counts
    (the legend as text) and the most deprived (or highest) of them by name."""
    lsoas = common.lsoas(sel.vintage)
    shown = filter_lsoas(lsoas, sel)
    area = area_words(sel)
    d = sel.decile_domain
    release = VINTAGES[sel.vintage]["label"].split(" (")[0]
    n = len(shown)
    parts = []
    filtered = tuple(sel.deciles) != (1, 10)
    of_deciles = (
        f" in {DOMAIN_LABELS[d]} deciles {sel.deciles[0]} to {sel.deciles[1]}" if filtered else ""
    )
    if sel.domain == "ha_share" and "ha_share" in shown.columns:
        share = web.ha_percent(shown)
        parts.append(
            f"**What the map shows.** The share of households renting from a housing "
            f"association ({_census(sel)}) in each of the {n:,} neighbourhoods (LSOAs) of "
            f"{area}{of_deciles}, in five classes (London quintiles; darker is higher)."
        )
        top = shown.assign(pct=share).nlargest(5, "pct")
        parts.append(
            "Highest: "
            + "; ".join(f"{md_text(r.lsoa_name)} {r.pct:.1f}%" for r in top.itertuples())
            + "."
        )
    else:
        measure = sel.measure if sel.is_iod else "decile"
        parts.append(
            f"**What the map shows.** {DOMAIN_LABELS[d]} {measure}s ({release}) of the {n:,} "
            f"neighbourhoods (LSOAs) of {area}{of_deciles}: "
            + (
                "decile 1 (England's most deprived 10%, darkest purple) to decile 10 (least "
                "deprived, darkest green)."
                if measure == "decile"
                else "higher scores (darker) are more deprived."
            )
        )
        counts = shown[f"{d}_decile"].value_counts().reindex(range(1, 11), fill_value=0)
        parts.append(
            "Neighbourhoods per decile: "
            + ", ".join(f"{k}: {int(v):,}" for k, v in counts.items() if v)
            + "."
        )
        most = shown.nsmallest(10, f"{d}_rank")
        if len(most):
            parts.append(
                f"The {len(most)} most deprived: "
                + "; ".join(
                    f"{md_text(r['lsoa_name'])} (decile {int(r[f'{d}_decile'])}, rank "
                    f"{int(r[f'{d}_rank']):,} in England)"
                    for _, r in most.iterrows()
                )
                + "."
            )
        if sel.domain == "lw_per_10k":
            parts.append(
                "GP practices are drawn as dots coloured by link-worker FTE per 10,000 "
                "registered patients (their numbers are in each practice's tooltip)."
            )
    if stock is not None and len(stock):
        parts.append(f"Your {len(stock):,} uploaded home locations are drawn as black dots.")
    parts.append(
        "Borough outlines and names are drawn on top; the layer list adds housing association "
        "homes, services and places by category and link workers. The table under the map "
        "lists every neighbourhood shown."
    )
    return " ".join(parts)


def map_table(sel: Selection) -> pd.DataFrame:
    """The neighbourhoods :func:`build_map` draws for ``sel`` with the values it colours them
    by and its tooltips show, most deprived first (index: LSOA code)."""
    shown = filter_lsoas(common.lsoas(sel.vintage), sel)
    d = sel.decile_domain
    label = DOMAIN_LABELS[d]
    cols = {
        "lsoa_name": "Neighbourhood (LSOA)",
        "borough_name": "Borough",
        f"{d}_decile": f"{label} decile (1 = most deprived 10%)",
        f"{d}_rank": f"{label} rank in England (1 = most deprived)",
        f"{d}_score": f"{label} score",
        "population": "Population (Census 2021)"
        if sel.vintage == "iod2025"
        else "Population (mid-2020)",
        "ha_households": f"Housing association households ({_census(sel)})",
        "ha_share": "% of households renting from a housing association",
    }
    table = shown[[c for c in cols if c in shown.columns]]
    if "ha_share" in table.columns:
        table = table.assign(ha_share=web.ha_percent(table))
    order = "ha_share" if sel.domain == "ha_share" and "ha_share" in table else f"{d}_rank"
    table = table.sort_values(order, ascending=order != "ha_share")
    return pd.DataFrame(table).rename(columns=cols).rename_axis("LSOA code")
