"""Gap finder: neighbourhoods where need is high and community services within reach are few.

Need (a weighted index of IoD domains) and access (E2SFCA of the uploaded services) are computed
over all London LSOAs, so percentiles, gaps and ranks are London-wide; the table and map show
the boroughs selected in the sidebar. Uploaded data stays in this session: results are kept in
``st.session_state`` under a digest of the data and the parameters, never in a process-wide
cache, and nothing is written to disk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import common, mapping
from geo import gap, maps
from geo import gapview as gv
from geo.export import safe_csv, safe_geojson
from geo.indicators import DOMAIN_LABELS, DOMAINS, VINTAGES
from geo.selection import Selection, bounds_of
from geo.themes import OTHER, THEMES

REASON_WIDTH = 640  # px: reasons are long and their end (the services) matters most
SHOW_SERVICES_UP_TO = 300  # London-wide, more services than this start hidden on the map
PILOT_LABEL_STYLE = (
    "width:22px;height:22px;border-radius:50%;background:#fff;border:2px solid #000;"
    "font:bold 12px/18px Arial,sans-serif;text-align:center;color:#000"
)

sel: Selection = st.session_state["selection"]
raw_services = st.session_state.get("services")
stock = st.session_state.get("stock")
has_services = raw_services is not None and len(raw_services) > 0
has_stock = stock is not None and len(stock) > 0

bor = common.boroughs(sel.vintage)
borough_names = bor["borough_name"].to_dict()
area = ", ".join(borough_names.get(b, b) for b in sel.boroughs) if sel.boroughs else "London"

st.title("Gap finder")
st.markdown(
    "Which neighbourhoods most need social prescribing support but have the fewest community "
    "services within walking distance? Pick boroughs and a service theme in the sidebar."
)
st.info(
    "**What the gap means.** High need, low access. Every neighbourhood (LSOA, about 1,500 "
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
    "gaps_detour": 1.3,
    "gaps_decay": "step",
    "gaps_demand": "population",
    "gaps_ha": False,
    "gaps_ha_boost": 1.0,
    "gaps_capacity": False,
    "gaps_top_n": 10,
    "gaps_min_gap": 0.5,
    "gaps_contiguity": True,
    **{f"gaps_w_{d}": float(gap.DEFAULT_NEED_WEIGHTS.get(d, 0.0)) for d in DOMAINS},
}
for _key, _default in DEFAULTS.items():
    if _key not in st.session_state:
        st.session_state[_key] = st.session_state.get(f"_{_key}", _default)

has_capacity = (
    has_services
    and "capacity" in raw_services.columns
    and pd.to_numeric(raw_services["capacity"], errors="coerce").notna().any()
)

with st.expander("Settings: walking distance, need index, pilot finder", icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    c1.select_slider(
        "Walking catchment",
        options=list(gv.CATCHMENTS),
        format_func=lambda m: f"{m:,} m (~{round(m / 80)} min)",
        key="gaps_catchment",
        help="Services within this walking distance count as 'in reach' (800 m is about a "
        "10 minute walk). Walking distance = straight line x detour factor.",
    )
    c1.number_input(
        "Detour factor",
        min_value=1.0,
        max_value=2.0,
        step=0.05,
        format="%.2f",
        key="gaps_detour",
        help="Walking route / straight line. 1.3 is usual in dense street grids; 1 = as the "
        "crow flies.",
    )
    c2.radio(
        "Distance decay",
        options=list(gv.DECAY_LABELS),
        format_func=gv.DECAY_LABELS.get,
        key="gaps_decay",
        help="How a service's weight falls with distance inside the catchment (E2SFCA).",
    )
    c3.radio(
        "Demand (who needs the services)",
        options=list(gv.DEMAND_LABELS),
        format_func=gv.DEMAND_LABELS.get,
        key="gaps_demand",
        help="Population sharing each service in the access measure (ONS mid-2020).",
    )
    if has_capacity:
        c3.checkbox(
            "Weight services by capacity",
            key="gaps_capacity",
            help="Use the capacity column of your directory (places); services without one "
            "get the median capacity. Off: every service counts as 1.",
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

for _key in DEFAULTS:
    st.session_state[f"_{_key}"] = st.session_state[_key]

use_ha = has_stock and bool(st.session_state["gaps_ha"])
params = gv.GapParams(
    vintage=sel.vintage,
    theme=sel.theme,
    catchment=float(st.session_state["gaps_catchment"]),
    detour=float(st.session_state["gaps_detour"]),
    decay=st.session_state["gaps_decay"],
    demand=st.session_state["gaps_demand"],
    weights=tuple(weights.items()),
    ha_boost=float(st.session_state["gaps_ha_boost"]) if use_ha else 0.0,
    use_capacity=bool(has_capacity and st.session_state["gaps_capacity"]),
)
st.caption(
    f"{VINTAGES[sel.vintage]['label']} · theme: **{sel.theme}** (change in the sidebar) · "
    f"catchment {params.catchment:,.0f} m, detour x{params.detour:.2f}, {params.decay} decay · "
    f"demand: {gv.DEMAND_LABELS[params.demand].lower()}"
    + (f" · HA boost {params.ha_boost:.1f}" if use_ha else "")
)


# --------------------------------------------------------------------------------------------
# computation, kept per session under a digest of the inputs
# --------------------------------------------------------------------------------------------
def _per_session(slot: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """The value kept in ``st.session_state[slot]`` for ``key``, computed when the key changes."""
    held = st.session_state.get(slot)
    if held is not None and held[0] == key:
        return held[1]
    value = compute()
    st.session_state[slot] = (key, value)
    return value


lsoas = common.lsoas(sel.vintage)
stock_key = gv.frame_digest(stock) if has_stock else "none"
homes = (
    _per_session(
        "_gaps_homes",
        (stock_key, sel.vintage),
        lambda: gv.homes_per_lsoa(stock, lsoas, by_code=sel.vintage == "iod2025"),
    )
    if has_stock
    else None
)

if has_services:
    services = gv.prepare_services(raw_services)
    services_key = gv.frame_digest(services)
    with st.spinner("Measuring need and access across London…"):
        table = _per_session(
            "_gaps_table",
            (services_key, stock_key, params),
            lambda: gv.compute_gaps(lsoas, services, params, homes),
        )
    in_theme = services if sel.theme == gv.ALL_THEMES else services[services["theme"] == sel.theme]
else:
    services = None
    services_key = "none"
    table = _per_session(
        "_gaps_need",
        (stock_key, params),
        lambda: gv.need_only_table(lsoas, params, homes),
    )
    in_theme = None

shown = gv.display_table(table, params, sel.boroughs)
scope = table[table["borough_code"].isin(sel.boroughs)] if sel.boroughs else table
meta = gv.metadata(
    params,
    borough_names=borough_names,
    boroughs=sel.boroughs,
    n_services=0 if services is None else len(services),
    n_services_theme=0 if in_theme is None else len(in_theme),
    n_homes=float(homes.sum()) if homes is not None else None,
    sources=common.SOURCES_SHORT,
)
slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{area}_{sel.theme}").strip("_")[:80]

st.caption(
    f"Need and access are compared across all {len(lsoas):,} London neighbourhoods, so "
    f"percentiles, gaps and ranks are London-wide; the table and map show **{area}** "
    f"({len(shown):,} neighbourhoods). The sidebar's indicator, measure and decile filters do "
    "not apply here: the need index replaces them."
)


def _column_config(frame: pd.DataFrame) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "Gap": st.column_config.NumberColumn(
            help="Need percentile minus access percentile (-1 to +1; higher = bigger gap)",
            format="%.2f",
        ),
        "Need index": st.column_config.NumberColumn(
            help="Weighted deprivation, in standard deviations from London's average",
            format="%.2f",
        ),
        "Need percentile": st.column_config.NumberColumn(
            help="Share of London neighbourhoods with lower need (0 to 1)", format="%.2f"
        ),
        "Access percentile": st.column_config.NumberColumn(
            help="Share of London neighbourhoods with lower access (0 to 1)", format="%.2f"
        ),
        "Neighbourhood": st.column_config.TextColumn(pinned=True),
        "Reason": st.column_config.TextColumn(width=REASON_WIDTH),
        "Why": st.column_config.TextColumn(width=REASON_WIDTH),
        "Gap class": st.column_config.TextColumn(width="medium"),
        "Population": st.column_config.NumberColumn(format="localized"),
        "Population 65+": st.column_config.NumberColumn(format="localized"),
    }
    for col in frame.columns:
        if col.startswith("Access (per"):
            cfg[col] = st.column_config.NumberColumn(
                help="E2SFCA: services (or places) per 1,000 people sharing them in reach",
                format="%.3f",
            )
        elif col.startswith("Nearest"):
            cfg[col] = st.column_config.NumberColumn(
                help="Straight line x detour factor, metres", format="%d"
            )
    return {k: v for k, v in cfg.items() if k in frame.columns}


def _downloads(frame: pd.DataFrame, what: str) -> None:
    web = common.lsoas(sel.vintage, web=True)

    def geojson() -> bytes:
        geo = gpd.GeoDataFrame(frame, geometry=web.geometry.reindex(frame.index).values, crs=4326)
        return safe_geojson(
            geo, metadata=meta | {"geometry": "Simplified LSOA boundaries (EPSG:4326)"}
        )

    d1, d2, _ = st.columns([1, 1, 1])
    d1.download_button(
        f"Download {what} (CSV)",
        data=safe_csv(frame, header_lines=gv.header_lines(meta)),
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
    web = common.lsoas(sel.vintage, web=True)
    bweb = common.boroughs(sel.vintage, web=True)
    m = maps.base_map(bounds_of(bweb, sel.boroughs))
    layer = web.loc[shown.index, ["lsoa_name", "borough_name", "geometry"]]
    return m, layer


def _finish_map(m: folium.Map) -> None:
    maps.add_boroughs(
        m,
        mapping.nearby_boroughs(common.boroughs(sel.vintage, web=True), sel.boroughs),
        highlight=list(sel.boroughs),
    )
    mapping.show_map(maps.finish(m), key="gap_map")
    common.sources_caption()


# --------------------------------------------------------------------------------------------
# no services: need only
# --------------------------------------------------------------------------------------------
if not has_services:
    st.warning(
        "No community services are loaded. Upload your service directory on the Service "
        "directory page to compare need with access. No official directory of social "
        "prescribing services covers London, so the app does not include one and does not "
        "guess: until you upload yours, this page shows need only."
        + (" (Your upload has no services placed in London.)" if raw_services is not None else ""),
        icon=":material/info:",
    )
    st.page_link(
        "app_pages/services.py", label="Upload your service directory", icon=":material/list:"
    )
    st.subheader(f"Need ranking: {area}")
    st.caption(
        "Neighbourhoods by need index, highest first (London rank 1 = highest need in London). "
        "'Why' names the domains in which the neighbourhood is among England's most deprived."
    )
    st.dataframe(shown, width="stretch", height=460, column_config=_column_config(shown))
    _downloads(shown, "this need table")

    st.subheader("Need map")
    m, layer = _base_map()
    layer = layer.assign(
        need=table["need"].reindex(layer.index),
        need_pctl=(table["need_pct"].reindex(layer.index) * 100).round(),
    )
    maps.add_choropleth(
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
    )
    _finish_map(m)
    st.stop()


# --------------------------------------------------------------------------------------------
# services loaded: gaps
# --------------------------------------------------------------------------------------------
high = gv.count_high_gap(scope)
m1, m2, m3, m4 = st.columns(4)
m1.metric(
    "Services in this theme" if sel.theme != gv.ALL_THEMES else "Services loaded",
    f"{len(in_theme):,}",
    help=f"of {len(services):,} services in your directory (all London)",
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
    help=gv.DEMAND_LABELS[params.demand] + " (ONS mid-2020)",
)

if len(in_theme) == 0:
    st.warning(
        f"None of your services is in the theme **{sel.theme}**, so access is zero everywhere "
        "and the gap reflects need only. Choose another theme in the sidebar or add services."
    )
missing = [t for t in THEMES if t != OTHER and t not in gv.themes_present(services)]
if sel.theme == gv.ALL_THEMES and missing:
    st.caption(
        "Themes with no services in your directory (every neighbourhood lacks them as far as "
        "the app knows): " + ", ".join(missing) + "."
    )

st.subheader(f"Neighbourhoods ranked by gap: {area}")
st.caption(
    "Biggest gap first. 'London rank' ranks all London neighbourhoods; the reason gives the "
    "deprivation behind the need and the services within reach."
)
top = shown[shown["London rank"].notna()].head(5)
st.markdown(
    "**Biggest gaps**\n"
    + "\n".join(
        f"{i}. **{row['Neighbourhood']}** ({row['Borough']}), gap {row['Gap']:.2f}: "
        f"{row['Reason']}."
        for i, (_, row) in enumerate(top.iterrows(), start=1)
    )
)
st.dataframe(shown, width="stretch", height=460, column_config=_column_config(shown))
_downloads(shown, "this table")

pilot_scope = lsoas[lsoas["borough_code"].isin(sel.boroughs)] if sel.boroughs else lsoas
pilots = _per_session(
    "_gaps_pilots",
    (
        services_key,
        stock_key,
        params,
        sel.boroughs,
        int(st.session_state["gaps_top_n"]),
        float(st.session_state["gaps_min_gap"]),
        bool(st.session_state["gaps_contiguity"]),
    ),
    lambda: gap.pilot_candidates(
        pilot_scope,
        table["gap"],
        ha_homes=homes,
        n=int(st.session_state["gaps_top_n"]),
        min_gap=float(st.session_state["gaps_min_gap"]),
        contiguity=bool(st.session_state["gaps_contiguity"]),
    ),
)

st.subheader("Gap map")
st.caption(
    "Colour combines need (rows, from lower to higher) and access (columns): wine red is "
    "higher need with lower access, the biggest gap; blue is well served. Classes are thirds "
    "of all London neighbourhoods. Pilot candidates are outlined in black dashes and numbered "
    "as in the Pilot finder table. Switch service themes on and off in the layer list."
)
m, layer = _base_map()
within_col = f"within_{sel.theme}" if f"within_{sel.theme}" in table.columns else "within_all"
layer = layer.assign(
    bivariate_class=table["bivariate_class"].reindex(layer.index),
    gap=table["gap"].reindex(layer.index),
    need_pctl=(table["need_pct"].reindex(layer.index) * 100).round(),
    access_pctl=(table["access_pct"].reindex(layer.index) * 100).round(),
    within=table[within_col].reindex(layer.index),
)
theme_words = "any theme" if within_col == "within_all" else sel.theme
maps.add_bivariate(
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
        "within": f"Services within {params.catchment:,.0f} m ({theme_words})",
    },
)
if len(pilots):
    web = common.lsoas(sel.vintage, web=True)
    outlines = gpd.GeoDataFrame(
        geometry=[
            web.loc[codes.split(", ")].geometry.union_all() for codes in pilots["lsoa_codes"]
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
        ).add_to(group)
    group.add_to(m)
if len(in_theme):
    drawn = in_theme
    if sel.boroughs:
        minx, miny, maxx, maxy = bor.loc[list(sel.boroughs)].total_bounds
        pad = params.catchment
        drawn = drawn.cx[minx - pad : maxx + pad, miny - pad : maxy + pad]
    if drawn["theme"].value_counts().max() <= 20_000:
        # London-wide, many points hide the gap colours: the layers start switched off
        maps.add_services_by_theme(
            m, drawn.to_crs(4326), show=bool(sel.boroughs) or len(drawn) <= SHOW_SERVICES_UP_TO
        )
    else:  # too many to draw one by one: one marker per neighbourhood and theme
        mapping.add_services(m, drawn, show=bool(sel.boroughs))
        st.caption(mapping.aggregation_note(None, drawn))
_finish_map(m)

st.subheader("Pilot finder")
st.caption(
    f"Up to {int(st.session_state['gaps_top_n'])} places for a social prescribing pilot in "
    f"{area}: neighbourhoods with a gap of at least {float(st.session_state['gaps_min_gap']):.2f}"
    + (
        ", holding at least one of your homes"
        if has_stock
        else " (upload your stock list to require your homes)"
    )
    + (
        ", grouped with adjacent high-gap neighbourhoods (up to 5 per candidate)."
        if st.session_state["gaps_contiguity"]
        else "."
    )
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
