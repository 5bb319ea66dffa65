"""Gap finder: neighbourhoods where need is high and community services within reach are few.

Need (a weighted index of IoD domains) and access (E2SFCA, measured from the Census 2021 Output
Areas where people live and weighted by their residents: geo.analysis.walkaccess) are computed
over all London LSOAs, so percentiles, gaps and ranks are London-wide; the table and map show
the boroughs selected in the sidebar. Uploaded data stays in this session: results are kept in
``st.session_state`` under a digest of the data and the parameters, never in a process-wide
cache, and nothing is written to disk.
"""

from __future__ import annotations

import re
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import common, gaptable, mapping, walking
from geo import web
from geo.analysis import gap, provision, registration
from geo.analysis import gapview as gv
from geo.analysis.aggregate import MAX_POINTS
from geo.analysis.selection import Selection, bounds_of
from geo.data.directory import CATEGORIES, NO_OPEN_DATA, THEME_CAVEATS
from geo.data.indicators import DOMAIN_LABELS, DOMAINS, VINTAGES
from geo.data.ptal import at_most
from geo.outputs.export import safe_csv, safe_geojson

SHOW_SERVICES_UP_TO = 300  # London-wide, more services than this start hidden on the map
PILOT_LABEL_STYLE = (
    "width:22px;height:22px;border-radius:50%;background:#fff;border:2px solid #000;"
    "font:bold 12px/18px Arial,sans-serif;text-align:center;color:#000"
)

sel: Selection = st.session_state["selection"]


mine = st.session_state.get("services")
mode = common.data_mode()
raw_services = common.supply(mode)  # bundled and/or uploaded places; parks as edge points
stock = st.session_state.get("stock")
has_services = raw_services is not None and len(raw_services) > 0
has_stock = stock is not None and len(stock) > 0
mine_key = (mode, gv.frame_digest(mine) if mine is not None else "none")
uncovered = common.per_session(
    "_gaps_uncovered", mine_key, lambda: provision.uncovered_themes(raw_services, NO_OPEN_DATA)
)
LW = "link_workers"

street_data = common.streets()
measured_detour = common.detour_default()
if measured_detour is None:
    st.error(
        "The walking-access data (Output Areas, street network, measured detour) is not "
        "installed. Run `python -m geo build` to make it."
    )
    st.stop()
covered_names = ", ".join(street_data.report.get("covered_borough_names", [])) or "no borough"

bor = common.boroughs(sel.vintage)
lsoas = common.lsoas(sel.vintage)
borough_names = bor["borough_name"].to_dict()
area = ", ".join(borough_names.get(b, b) for b in sel.boroughs) if sel.boroughs else "London"

st.title("Gap finder")
st.markdown(
    "Which neighbourhoods most need social prescribing support but have the fewest community "
    "services within walking distance? Pick boroughs and a service theme in the sidebar."
)
common.mode_caption("services")
gps = common.gp_practices() if mode == "both" else None
measure = st.radio(
    "Measure access to",
    options=["services", LW] if gps is not None and len(gps) else ["services"],
    format_func={
        "services": "Services and places of the theme chosen in the sidebar",
        LW: "Social prescribing link workers (where patients are registered)",
    }.get,
    horizontal=True,
    key="gaps_measure",
    help="Link workers: each Primary Care Network's link-worker FTE (NHS England, November "
    "2025) shared among its GP practices by registered patients, then over the "
    "neighbourhoods where each practice's patients live (July 2023): FTE serving the "
    "residents per 10,000 residents, whatever the walking distance.",
)
st.info(
    "**What the gap means.** High need, low access. Every neighbourhood (LSOA, about 1,700 "
    "people) gets a *need percentile* (how its need index ranks among all London "
    "neighbourhoods, 0 to 1) and an *access percentile* (how its access to services ranks). "
    "**Gap = need percentile minus access percentile**: +1 is the highest need in London with "
    "no access; 0 means need and access rank alike; below 0, better served than its need.",
    icon=":material/help:",
)


# --------------------------------------------------------------------------------------------
# parameters (kept across page switches in "_gaps_*" copies of the widget keys)
# --------------------------------------------------------------------------------------------
DEFAULTS: dict[str, Any] = {
    "gaps_catchment": 800,
    "gaps_detour": measured_detour,
    "gaps_distance": "streets",
    "gaps_decay": "step",
    "gaps_demand": "population",
    "gaps_ha": False,
    "gaps_ha_boost": 1.0,
    "gaps_capacity": False,
    "gaps_top_n": 10,
    "gaps_min_gap": 0.5,
    "gaps_contiguity": True,
    "gaps_ptal": False,
    **{f"gaps_w_{d}": float(gap.DEFAULT_NEED_WEIGHTS.get(d, 0.0)) for d in DOMAINS},
}
common.keep_widgets(DEFAULTS)

has_capacity = (
    mine is not None
    and len(mine) > 0
    and "capacity" in mine.columns
    and pd.to_numeric(mine["capacity"], errors="coerce").notna().any()
)

with st.expander("Settings: walking distance, need index, pilot finder", icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    c1.select_slider(
        "Walking catchment",
        options=list(gv.CATCHMENTS),
        format_func=walking.catchment_label,
        key="gaps_catchment",
        help="Places within this walking distance of where people live count as 'in reach' "
        "(800 m is about a 10 minute walk).",
    )
    walking.settings(c1, covered_names, measured_detour)
    c2.radio(
        "Distance decay",
        options=list(gv.DECAY_LABELS),
        format_func=gv.DECAY_LABELS.get,
        key="gaps_decay",
        help="How a service's weight falls with distance inside the catchment (E2SFCA).",
    )
    demand_options = [k for k in gv.DEMAND_LABELS if k in lsoas.columns]
    if st.session_state["gaps_demand"] not in demand_options:
        st.session_state["gaps_demand"] = "population"
    c3.radio(
        "Demand (who needs the services)",
        options=demand_options,
        format_func=gv.DEMAND_LABELS.get,
        key="gaps_demand",
        help="People sharing each place in the access measure, counted where they live: the "
        "Census 2021 Output Areas (about 330 residents each).",
    )
    c3.caption(
        "All residents are counted in each Output Area (Census 2021). Residents aged 65+ and "
        "disabled residents are published per neighbourhood (LSOA) only, so each "
        "neighbourhood's count is spread over its Output Areas in proportion to their "
        "residents."
    )
    if has_capacity:
        c3.checkbox(
            "Weight services by capacity",
            key="gaps_capacity",
            help="Use the capacity column of your directory (places); services without one "
            "get the median capacity, and bundled places count 1 each. Off: every service "
            "counts as 1.",
        )

    st.markdown("**Need index**: weights of the deprivation domains (0 = not used)")
    wcols = st.columns(4)
    for i, d in enumerate(DOMAINS):
        wcols[i % 4].number_input(
            DOMAIN_LABELS[d],
            min_value=0.0,
            max_value=10.0,
            step=0.5,
            format="%.1f",
            key=f"gaps_w_{d}",
        )
    raw_weights = {d: float(st.session_state[f"gaps_w_{d}"]) for d in DOMAINS}
    weights = gv.normalise_weights(raw_weights)
    if not weights:
        st.warning("All weights are 0; using the default (health, income and employment equally).")
        weights = gv.normalise_weights(dict(gap.DEFAULT_NEED_WEIGHTS))
    st.caption(
        "Weights used (normalised to 100%): "
        + ", ".join(f"{DOMAIN_LABELS[d]} {w:.0%}" for d, w in weights.items())
        + ". Need index = weighted sum of each domain's score, standardised across London "
        "(z-scores), so it is in standard deviations: 0 is London's average."
    )

    if has_stock:
        st.checkbox(
            "Raise need where your housing association homes are",
            key="gaps_ha",
            help="Adds boost x HA share to the need index.",
        )
        if st.session_state["gaps_ha"]:
            st.slider("Boost", min_value=0.1, max_value=2.0, step=0.1, key="gaps_ha_boost")
        st.caption(
            "HA share = your homes per 1,000 residents of the neighbourhood, divided by the "
            "highest value in London (0 to 1; the app has no household counts). With a boost "
            "of 1 the neighbourhood with the densest stock moves up by one standard deviation "
            "of a single domain."
        )
    else:
        st.caption(
            "Upload your stock list on the Housing associations page to raise need where "
            "your homes are and to look for pilot sites that include them."
        )

    st.markdown("**Pilot finder**")
    p1, p2, p3 = st.columns(3)
    p1.slider("Candidates to list", min_value=1, max_value=30, key="gaps_top_n")
    p2.slider(
        "Smallest gap to consider",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key="gaps_min_gap",
        help="Neighbourhoods below this gap are not pilot candidates.",
    )
    p3.checkbox(
        "Group adjacent neighbourhoods (up to 5)",
        key="gaps_contiguity",
        help="A candidate grows over neighbouring high-gap LSOAs sharing a boundary.",
    )
    st.checkbox(
        "Only neighbourhoods with PTAL 2 or lower (poor public transport)",
        key="gaps_ptal",
        help="TfL's public transport accessibility level (PTAL 2015, bands 0 to 6b): poor "
        "walking access matters more where public transport is poor too. Applies to the "
        "table, the map and the pilot candidates; ranks stay London-wide.",
    )
common.keep_widgets(DEFAULTS)  # again: the copies take what the settings corrected above

use_ha = has_stock and bool(st.session_state["gaps_ha"])
params = gv.GapParams(
    vintage=sel.vintage,
    theme=sel.theme,
    catchment=float(st.session_state["gaps_catchment"]),
    detour=float(st.session_state["gaps_detour"]),
    distance=st.session_state["gaps_distance"],
    decay=st.session_state["gaps_decay"],
    demand=st.session_state["gaps_demand"],
    weights=tuple(weights.items()),
    ha_boost=float(st.session_state["gaps_ha_boost"]) if use_ha else 0.0,
    use_capacity=bool(has_capacity and st.session_state["gaps_capacity"]),
)
st.caption(
    f"{VINTAGES[sel.vintage]['label']} · theme: **{sel.theme}** (change in the sidebar) · "
    f"catchment {params.catchment:,.0f} m, "
    + (
        f"walking on the streets in {covered_names}, elsewhere straight line x{params.detour:.2f}"
        if params.distance == "streets"
        else f"straight line x{params.detour:.2f} everywhere"
    )
    + f", {params.decay} decay · "
    f"demand: {gv.DEMAND_LABELS[params.demand].lower()}"
    + (f" · HA boost {params.ha_boost:.1f}" if use_ha else "")
)


# --------------------------------------------------------------------------------------------
# computation, kept per session under a digest of the inputs
# --------------------------------------------------------------------------------------------
stock_key = gv.frame_digest(stock) if has_stock else "none"
no_data_theme = sel.theme in uncovered and measure != LW
lw = common.lw_by_registration(sel.vintage) if gps is not None and len(gps) else None
homes = (
    common.per_session(
        "_gaps_homes",
        (stock_key, sel.vintage),
        lambda: gv.homes_per_lsoa(stock, lsoas, by_code=sel.vintage == "iod2025"),
    )
    if has_stock
    else None
)

if measure == LW and lw is not None:
    services = gps
    services_key = ("lw", mode)
    table = common.per_session(
        "_gaps_table",
        (services_key, stock_key, params),
        lambda: registration.reg_gaps(lsoas, lw, params, homes),
    )
    n_in_theme = int(pd.to_numeric(gps["lw_fte_allocated"], errors="coerce").notna().sum())
elif has_services and not no_data_theme:
    services = gv.prepare_services(raw_services)
    services_key = mine_key
    with st.spinner("Measuring need and access across London…"):
        model = common.access_model(mode, params.detour, params.distance)
        table = common.per_session(
            "_gaps_table",
            (services_key, stock_key, params),
            lambda: registration.add_registration(gv.compute_gaps(lsoas, model, params, homes), lw),
        )
    n_in_theme = gv.count_places(services, sel.theme)
else:
    services = None
    services_key = "none"
    table = common.per_session(
        "_gaps_need",
        (stock_key, params),
        lambda: gv.need_only_table(lsoas, params, homes),
    )
    n_in_theme = 0

n_places = common.per_session(
    "_gaps_n_places", (measure, services_key), lambda: gv.count_places(services)
)
shown = gv.display_table(table, params, sel.boroughs)
scope = table[table["borough_code"].isin(sel.boroughs)] if sel.boroughs else table
low_ptal = at_most(lsoas["ptal"], "2") if "ptal" in lsoas.columns else None
ptal_on = bool(st.session_state["gaps_ptal"]) and low_ptal is not None
if ptal_on:  # the PTAL filter: rows kept, London-wide ranks unchanged
    shown = shown[low_ptal.reindex(shown.index).to_numpy(dtype=bool)]
    scope = scope[low_ptal.reindex(scope.index).to_numpy(dtype=bool)]
meta = gv.metadata(
    params,
    borough_names=borough_names,
    boroughs=sel.boroughs,
    n_services=n_places,
    n_services_theme=n_in_theme,
    n_homes=float(homes.sum()) if homes is not None else None,
    sources=common.SOURCES_SHORT,
)
meta["data_used"] = provision.MODES[mode]
meta["ptal_filter"] = "PTAL 2 or lower only (TfL PTAL 2015)" if ptal_on else "none"
meta["access_to"] = (
    "social prescribing link workers by GP registration (PCN FTE, NHS England November 2025, "
    "shared by practice list size, then over where each practice's patients live, July 2023)"
    if measure == LW
    else "services and places of the theme (bundled directory per category source and "
    "vintage, and/or your upload); parks measured to their nearest edge"
)
meta["walking_distance"] = (
    f"OpenStreetMap street network (© OpenStreetMap contributors, ODbL) where it covers both "
    f"ends ({covered_names}); straight line x {params.detour:.2f} elsewhere"
    if params.distance == "streets"
    else f"straight line x {params.detour:.2f} everywhere"
)
slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{area}_{sel.theme}").strip("_")[:80]

st.caption(
    f"Need and access are compared across all {len(lsoas):,} London neighbourhoods, so "
    f"percentiles, gaps and ranks are London-wide; the table and map show **{area}** "
    f"({len(shown):,} neighbourhoods"
    + (", only those with PTAL 2 or lower" if ptal_on else "")
    + "). The sidebar's indicator, measure and decile filters do not apply here: the need "
    "index replaces them."
)


def _downloads(frame: pd.DataFrame, what: str) -> None:
    shapes = common.lsoas(sel.vintage, web=True)

    def geojson() -> bytes:
        geo = gpd.GeoDataFrame(
            frame, geometry=shapes.geometry.reindex(frame.index).values, crs=4326
        )
        return safe_geojson(
            geo, metadata=meta | {"geometry": "Simplified LSOA boundaries (EPSG:4326)"}
        )

    d1, d2, _ = st.columns([1, 1, 1])
    d1.download_button(
        f"Download {what} (CSV)",
        # the same table and settings give the same file: made again only when they change
        data=common.per_session(
            "_gaps_csv",
            (what, services_key, stock_key, params, sel.boroughs, ptal_on, repr(meta)),
            lambda: safe_csv(frame, header_lines=gv.header_lines(meta)),
        ),
        file_name=f"gap_finder_{sel.vintage}_{slug}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
        key="gaps_csv",
    )
    d2.download_button(
        f"Download {what} (GeoJSON)",
        data=geojson,
        file_name=f"gap_finder_{sel.vintage}_{slug}.geojson",
        mime="application/geo+json",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
        key="gaps_geojson",
    )
    st.caption(
        "Both files hold exactly the table above, with every setting used (in the CSV's `#` "
        "header lines and the GeoJSON's `metadata`)."
    )


def _base_map() -> tuple[folium.Map, gpd.GeoDataFrame]:
    shapes = common.lsoas(sel.vintage, web=True)
    bshapes = common.boroughs(sel.vintage, web=True)
    m = web.base_map(bounds_of(bshapes, sel.boroughs))
    layer = shapes.loc[shown.index, ["lsoa_name", "borough_name", "geometry"]]
    return m, layer


def _finish_map(m: folium.Map, description: str) -> None:
    web.add_boroughs(
        m,
        mapping.nearby_boroughs(common.boroughs(sel.vintage, web=True), sel.boroughs),
        highlight=list(sel.boroughs),
        geometry=web.web_layer("boroughs", sel.vintage),
    )
    mapping.show_map(web.finish(m), key="gap_map", description=description)
    common.sources_caption()


def _named(rows: pd.DataFrame, value: str, fmt: str) -> str:
    """'Name value; ...' for the rows of a display table (LSOA names start with the
    borough's)."""
    return "; ".join(
        f"{mapping.md_text(r['Neighbourhood'])} {format(r[value], fmt)}" for _, r in rows.iterrows()
    )


# --------------------------------------------------------------------------------------------
# no services: need only
# --------------------------------------------------------------------------------------------
if no_data_theme and has_services:
    headline = (
        f"{sel.theme}: {provision.NO_DATA_TEXT}."
        if sel.theme in NO_OPEN_DATA
        else f"None of the places used serves {sel.theme}."
    )
    st.warning(
        f"**{headline}** {uncovered[sel.theme]} Access to this "
        "theme is not known, so it is not scored (not counted as zero access). This page "
        "shows need only until you upload services of this theme, or choose another theme in "
        "the sidebar.",
        icon=":material/info:",
    )
if not has_services or no_data_theme:
    if not has_services:
        st.warning(
            "No services or places to measure access to"
            + (
                ": you chose *mine only* and have not uploaded a service directory. "
                if mode == "mine"
                else ". "
            )
            + "Upload your service directory on the Service directory page, or choose "
            "*Bundled and mine* in the sidebar. Until then this page shows need only.",
            icon=":material/info:",
        )
    st.page_link(
        "app_pages/services.py", label="Upload your service directory", icon=":material/list:"
    )
    st.header(f"Need ranking: {area}")
    st.caption(
        "Neighbourhoods by need index, highest first (London rank 1 = highest need in London). "
        "'Why' names the domains in which the neighbourhood is among England's most deprived."
    )
    st.dataframe(shown, width="stretch", height=460, column_config=gaptable.column_config(shown))
    _downloads(shown, "this need table")

    st.header("Need map")
    m, layer = _base_map()
    layer = layer.assign(
        need=table["need"].reindex(layer.index),
        need_pctl=(table["need_pct"].reindex(layer.index) * 100).round(),
    )
    web.add_choropleth(
        m,
        layer,
        "need",
        kind="score",
        label="Need index (London quintiles)",
        tooltip_fields={
            "lsoa_name": "Neighbourhood",
            "borough_name": "Borough",
            "need": "Need index",
            "need_pctl": "Need percentile in London (0-100)",
        },
        name="Need index",
        geometry=mapping.lsoa_geometry(sel, layer.index),
    )
    need_top = shown.head(5) if "Need index" in shown.columns else shown.iloc[:0]
    _finish_map(
        m,
        f"**What the map shows.** The need index of the {len(layer):,} neighbourhoods of "
        f"{mapping.md_text(area)} in five classes (London quintiles; darker is higher need). "
        + (f"Highest need: {_named(need_top, 'Need index', '.2f')}. " if len(need_top) else "")
        + "The need ranking above lists every neighbourhood on the map, highest need first.",
    )
    st.stop()


# --------------------------------------------------------------------------------------------
# services loaded: gaps
# --------------------------------------------------------------------------------------------
high = gv.count_high_gap(scope)
m1, m2, m3, m4 = st.columns(4)
m1.metric(
    "GP practices with link workers"
    if measure == LW
    else ("Places in this theme" if sel.theme != gv.ALL_THEMES else "Places used"),
    f"{n_in_theme:,}",
    help=f"of {n_places:,} places used (all London; {provision.MODES[mode].lower()})",
)
m2.metric("Neighbourhoods shown", f"{len(scope):,}")
m3.metric(
    "With a gap of 0.5 or more",
    f"{high:,}",
    help="Need percentile at least 0.5 above access percentile",
)
m4.metric(
    "People living in them",
    f"{int(scope.loc[scope['gap'] >= 0.5, 'demand'].sum()):,}",
    help=gv.DEMAND_LABELS[params.demand]
    + (" (Census 2021)" if sel.vintage == "iod2025" else " (ONS mid-2020 estimates)"),
)

if n_in_theme == 0:
    st.warning(
        f"None of your services is in the theme **{sel.theme}**, so access is zero everywhere "
        "and the gap reflects need only. Choose another theme in the sidebar or add services."
    )
if measure != LW and sel.theme in THEME_CAVEATS:
    st.caption(f"**{sel.theme}**: {THEME_CAVEATS[sel.theme]}")
if measure != LW and sel.theme == gv.ALL_THEMES and uncovered:
    st.caption(
        "Themes not scored: "
        + "; ".join(f"**{t}**: {provision.NO_DATA_TEXT}" for t in uncovered)
        + ". They are left out of the access measure, not counted as zero access."
    )
if measure == LW:
    st.caption(
        "Access = link-worker FTE serving the neighbourhood's residents per 10,000 residents, "
        "by GP registration: each Primary Care Network's FTE (NHS England, November 2025) "
        "shared among its practices by registered patients (December 2025), then over the "
        "neighbourhoods where each practice's patients live (July 2023). Where some residents "
        "are with a PCN that has no workforce record, the figure counts known FTE only (a "
        "lower bound) and the reason gives the share of residents concerned: unknown, not "
        "zero, and never filled in."
    )

st.header(f"Neighbourhoods ranked by gap: {area}")
st.caption(
    "Biggest gap first. 'London rank' ranks all London neighbourhoods; the reason gives the "
    "deprivation behind the need and, for the residents, the places within reach."
)
if measure != LW:
    walking.caption(model, params.detour, params.distance, covered_names)
top = shown[shown["London rank"].notna()].head(5)
st.markdown(
    "**Biggest gaps**\n"
    + "\n".join(
        f"{i}. **{row['Neighbourhood']}** ({row['Borough']}), gap {row['Gap']:.2f}: "
        f"{row['Reason']}."
        for i, (_, row) in enumerate(top.iterrows(), start=1)
    )
)
# the table (thousands of rows, the largest message of the page) is filled in after the map
# has been sent, so that a new selection repaints the map first
table_slot = st.container()

pilot_scope = lsoas[lsoas["borough_code"].isin(sel.boroughs)] if sel.boroughs else lsoas
if ptal_on:
    pilot_scope = pilot_scope[low_ptal.reindex(pilot_scope.index).to_numpy(dtype=bool)]
if mode == "mine" and has_stock:
    pilot_homes, homes_label = homes, "of your homes"
elif "ha_households" in lsoas.columns:
    census = "Census 2021" if sel.vintage == "iod2025" else "Census 2011"
    pilot_homes = lsoas["ha_households"]
    homes_label = f"housing association households ({census})"
else:
    pilot_homes, homes_label = homes, "of your homes"
priority = gap.pilot_priority(table["need_pct"], table["access_pct"], pilot_homes)
pilots = common.per_session(
    "_gaps_pilots",
    (
        services_key,
        stock_key,
        params,
        sel.boroughs,
        int(st.session_state["gaps_top_n"]),
        float(st.session_state["gaps_min_gap"]),
        bool(st.session_state["gaps_contiguity"]),
        ptal_on,
    ),
    lambda: gap.pilot_candidates(
        pilot_scope,
        table["gap"],
        ha_homes=homes,
        n=int(st.session_state["gaps_top_n"]),
        min_gap=float(st.session_state["gaps_min_gap"]),
        contiguity=bool(st.session_state["gaps_contiguity"]),
        priority=priority,
        homes_label=homes_label,
    ),
)

st.header("Gap map")
st.caption(
    "Colour combines need (rows, from lower to higher) and access (columns): wine red is "
    "higher need with lower access, the biggest gap; blue is well served. Classes are thirds "
    "of all London neighbourhoods. Pilot candidates are outlined in black dashes and numbered "
    "as in the Pilot finder table. Switch categories of places on and off in the layer list."
)
m, layer = _base_map()
within_col = f"within_{sel.theme}" if f"within_{sel.theme}" in table.columns else "within_all"
layer = layer.assign(
    bivariate_class=table["bivariate_class"].reindex(layer.index),
    gap=table["gap"].reindex(layer.index),
    need_pctl=(table["need_pct"].reindex(layer.index) * 100).round(),
    access_pctl=(table["access_pct"].reindex(layer.index) * 100).round(),
    within=table[within_col].reindex(layer.index).round(1) if within_col in table else None,
    lw_reg=table["lw_reg_per_10k"].reindex(layer.index).round(2)
    if "lw_reg_per_10k" in table
    else None,
)
theme_words = "any theme" if within_col == "within_all" else sel.theme
layer, reach_fields = walking.reach_tooltips(layer, table, params.catchment, theme_words)
web.add_bivariate(
    m,
    layer,
    "bivariate_class",
    gap.BIVARIATE_COLOURS,
    gap.BIVARIATE_LABELS,
    name="Gap (need x access)",
    title="Gap: need x access",
    tooltip_fields={
        "lsoa_name": "Neighbourhood",
        "borough_name": "Borough",
        "gap": "Gap (-1 to +1)",
        "need_pctl": "Need percentile in London (0-100)",
        "access_pctl": "Access percentile in London (0-100)",
        **(
            {"lw_reg": "Link-worker FTE per 10,000 residents (by registration)"}
            if measure == LW
            else {
                "within": f"Places within {params.catchment:,.0f} m of the average resident "
                f"({theme_words})",
                **reach_fields,
            }
        ),
    },
    geometry=mapping.lsoa_geometry(sel, layer.index),
)
if len(pilots):
    shapes = common.lsoas(sel.vintage, web=True)
    outlines = gpd.GeoDataFrame(
        geometry=[
            shapes.loc[codes.split(", ")].geometry.union_all() for codes in pilots["lsoa_codes"]
        ],
        crs=4326,
    )
    group = folium.FeatureGroup(name="Pilot candidates (numbered as in the table)")
    folium.GeoJson(
        outlines,
        style_function=lambda _f: {
            "color": "#000000",
            "weight": 3,
            "dashArray": "6 4",
            "fill": False,
        },
        interactive=False,
    ).add_to(group)
    centres = pilots.geometry.representative_point().to_crs(4326)
    for number, point in zip(pilots.index, centres, strict=True):
        # the label is the candidate number only (an int), never data text
        folium.Marker(
            location=(point.y, point.x),
            icon=folium.DivIcon(
                html=f'<div style="{PILOT_LABEL_STYLE}">{int(number)}</div>',
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            ),
            interactive=False,
            keyboard=False,  # a label, not a control: no tab stop (the table has the numbers)
        ).add_to(group)
    group.add_to(m)
places = common.directory(mode) if measure != LW else gps
if places is not None and len(places):
    drawn = gv.in_theme(places, sel.theme) if measure != LW else places
    if sel.boroughs:
        minx, miny, maxx, maxy = bor.loc[list(sel.boroughs)].total_bounds
        pad = params.catchment
        drawn = drawn.cx[minx - pad : maxx + pad, miny - pad : maxy + pad]
    # London-wide, many points hide the gap colours: the layers start switched off
    on = bool(sel.boroughs) or len(drawn) <= SHOW_SERVICES_UP_TO
    if len(drawn) and drawn["theme"].value_counts().max() > MAX_POINTS:
        # too many to draw one by one: one marker per neighbourhood and theme
        mapping.add_services(m, drawn, show=bool(sel.boroughs))
        st.caption(mapping.aggregation_note(None, drawn))
    elif measure == LW:
        web.add_link_worker_layer(m, drawn, show=on, points=web.web_points("places"))
    else:
        # bundled places from the static file the browser caches: only which ones show travels
        web.add_category_layers(m, drawn, CATEGORIES, show=on, points=web.web_points("places"))
class_counts = layer["bivariate_class"].value_counts()
_finish_map(
    m,
    f"**What the map shows.** The {len(layer):,} neighbourhoods of {mapping.md_text(area)} "
    "coloured by gap class, need third by access third of all London neighbourhoods "
    "(the legend's 3 by 3 grid): "
    + "; ".join(
        f"{label} ({int(class_counts.get(k, 0)):,})" for k, label in gap.BIVARIATE_LABELS.items()
    )
    + ". "
    + (f"Biggest gaps: {_named(top, 'Gap', '.2f')}. " if len(top) else "")
    + (
        f"{len(pilots)} pilot candidates are outlined in black dashes and numbered as in the "
        "Pilot finder table. "
        if len(pilots)
        else ""
    )
    + "The table of neighbourhoods ranked by gap above lists every neighbourhood on the map "
    "with its gap class, need and access.",
)
with table_slot:
    st.dataframe(shown, width="stretch", height=460, column_config=gaptable.column_config(shown))
    _downloads(shown, "this table")

st.header("Pilot finder")
st.caption(
    f"Up to {int(st.session_state['gaps_top_n'])} places for a social prescribing pilot in "
    f"{area}, ranked by priority = {gap.PILOT_WEIGHTS['need']:.0%} need percentile + "
    f"{gap.PILOT_WEIGHTS['access']:.0%} lack of access + {gap.PILOT_WEIGHTS['homes']:.0%} "
    f"percentile of {homes_label} (each reason shows the sum): neighbourhoods with a gap of at "
    f"least {float(st.session_state['gaps_min_gap']):.2f}"
    + (
        ", holding at least one of your homes"
        if has_stock
        else " (upload your stock list to require your homes)"
    )
    + (
        ", grouped with adjacent high-gap neighbourhoods (up to 5 per candidate)"
        if st.session_state["gaps_contiguity"]
        else ""
    )
    + (", with PTAL 2 or lower (TfL PTAL 2015)." if ptal_on else ".")
)
if len(pilots):
    pilot_table = gv.pilot_display(pilots, has_stock)
    st.dataframe(
        pilot_table,
        width="stretch",
        column_config={
            "Mean gap": st.column_config.NumberColumn(format="%.2f"),
            "Highest gap": st.column_config.NumberColumn(format="%.2f"),
            "Population": st.column_config.NumberColumn(format="localized"),
            "Your homes": st.column_config.NumberColumn(format="localized"),
            "Reason": st.column_config.TextColumn(width="large"),
            "LSOA names": st.column_config.TextColumn(width="medium"),
        },
    )
    st.download_button(
        "Download pilot candidates (CSV)",
        data=safe_csv(pilot_table, header_lines=gv.header_lines(meta)),
        file_name=f"pilot_candidates_{sel.vintage}_{slug}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="gaps_pilot_csv",
    )
else:
    st.info(
        "No neighbourhood here meets the pilot criteria. Lower the smallest gap in the "
        "settings" + (" or check that your homes are in these boroughs." if has_stock else ".")
    )
