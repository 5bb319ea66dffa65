"""What a closure costs: who loses their only place of a theme within walking reach.

Existing places of the theme (bundled and/or uploaded, per the sidebar's data mode) measured from
the Census 2021 Output Areas as the gap finder measures them (geo.analysis.closureview). Only
places inside the sidebar's area close; people anywhere in London count.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import common, mapping, plancommon, walking
from geo import web
from geo.analysis import closureview as cv
from geo.analysis import planinputs, planquery
from geo.analysis.gapview import CATCHMENTS
from geo.analysis.selection import Selection
from geo.outputs.export import safe_csv

sel: Selection = st.session_state["selection"]
mode = common.data_mode()
detour = common.detour_default()
st.title("What a closure costs")
st.markdown(
    "If a place closes, who is left with **no place of the theme within walking reach**? "
    "Pick one place or a whole category in the area chosen in the sidebar; then see which "
    "places matter most."
)
if detour is None or common.oas() is None:
    st.error(
        "The walking-access data (Output Areas, street network, measured detour) is not "
        "installed. Run `python -m geo build` to make it."
    )
    st.stop()
common.mode_caption("services")
covered_names = ", ".join(common.streets().report.get("covered_borough_names", [])) or "none"
themes = [t for t in planinputs.PLAN_THEMES if t != planinputs.LINK_WORKER_THEME]
defaults = {
    **planquery.CLOSE_DEFAULTS,
    "close_theme": sel.theme if sel.theme in themes else planquery.CLOSE_DEFAULTS["close_theme"],
}
if not st.session_state.get("_close_seeded"):
    # once per session: the settings of a shared link (the place or category is checked below,
    # against the data used)
    values, warnings = planquery.closure_from_query(st.session_state.get("_page_query", {}), themes)
    for warning in warnings:
        st.warning(warning)
    if "close_place" in values:
        st.session_state["_close_place_link"] = values.pop("close_place")
    st.session_state.update(values)
    st.session_state["_close_seeded"] = True
common.keep_widgets(defaults)
for key in ("close_place", "close_category"):  # kept while the user visits other pages
    if key not in st.session_state and f"_{key}" in st.session_state:
        st.session_state[key] = st.session_state[f"_{key}"]

bor = common.boroughs("iod2025")
area = ", ".join(bor["borough_name"].get(b, b) for b in sel.boroughs) if sel.boroughs else "London"
c1, c2, c3 = st.columns(3)
c1.selectbox("Theme", options=themes, key="close_theme")
c2.select_slider(
    "Walking catchment",
    options=list(CATCHMENTS),
    format_func=walking.catchment_label,
    key="close_catchment",
)
c3.radio(
    "Target group",
    options=list(planinputs.REACH),
    format_func=plancommon.reach_label,
    key="close_reach",
    help="Residents and housing association households are always shown; this adds a third "
    "count and ranks the places by it.",
)
theme = st.session_state["close_theme"]
catchment = float(st.session_state["close_catchment"])
reach = st.session_state["close_reach"]
who = planinputs.REACH_SHORT[reach]
who_head = plancommon.reach_label(reach)  # the same with a capital

data = plancommon.plan_data(mode, detour, "streets", with_oas=False)
places = plancommon.theme_places(data, theme, mode)
if not len(places):
    st.warning(
        f"No place of **{theme}** is in the data used, so no closure can cost anything here. "
        "Choose another theme, or upload your services on the Service directory page."
    )
    st.stop()
cover = common.per_session(
    "_close_cover",
    (theme, catchment, plancommon.uploads_key(mode)),
    lambda: cv.place_cover(data.places, places, catchment),
)
weights = common.per_session(
    "_close_weights", (reach,), lambda: cv.closure_weights(data.oas, data.lsoas, reach)
)
closable = (
    places["borough_code"].isin(sel.boroughs).to_numpy()
    if sel.boroughs
    else places["borough_code"].notna().to_numpy()
)
st.caption(
    f"{len(places):,} places of {theme} used ({int(closable.sum()):,} in {area}). A person "
    f"counts as reached when a place of the theme is within {catchment:,.0f} m walking from "
    "their Output Area's population-weighted centre: on the OpenStreetMap street network where "
    f"it covers both ends ({covered_names}), else the straight line x {detour:.3f}. People "
    "anywhere in London count, and places outside the area keep serving. "
    f"{planinputs.REACH_LABELS[reach]}; housing association households: "
    f"{planinputs.REACH_LABELS['ha']}."
)


def _closure_map(table: pd.DataFrame, closing: pd.DataFrame, what: str) -> None:
    """Where the closure leaves people without a place: the neighbourhoods shaded by residents
    left with none of the theme in reach, the closed places as black points, and the
    neighbourhoods in words before the map (its text equivalent)."""
    shapes = common.lsoas("iod2025", web=True)
    layer = shapes.loc[table.index, ["lsoa_name", "borough_name", "geometry"]].assign(
        left=table["residents"].round().astype(int),
        ha_left=table["ha"].round(1),
    )
    # fitted to where people are left without and the closed places (a library's few
    # neighbourhoods are lost on a map of all London), with a margin of about 1 km
    minx, miny, maxx, maxy = layer.total_bounds
    bounds = (
        min(minx, closing["lon"].min()) - 0.015,
        min(miny, closing["lat"].min()) - 0.01,
        max(maxx, closing["lon"].max()) + 0.015,
        max(maxy, closing["lat"].max()) + 0.01,
    )
    m = web.base_map(bounds)
    web.add_choropleth(
        m,
        layer,
        "left",
        kind="score",
        label="Residents left with no place in reach",
        scheme="Quantiles",
        k=max(2, min(5, layer["left"].nunique())),
        tooltip_fields={
            "lsoa_name": "Neighbourhood",
            "borough_name": "Borough",
            "left": "Residents left with no place of the theme in reach",
            "ha_left": "Housing association households left without",
        },
        name="Residents left without",
        palette="Reds",
        note="Quantile classes of the neighbourhoods affected; darker = more people",
        geometry=mapping.lsoa_geometry(dataclasses.replace(sel, vintage="iod2025"), layer.index),
    )
    points = gpd.GeoDataFrame(
        closing[["name", "category_label", "borough_name"]],
        geometry=gpd.points_from_xy(closing["lon"], closing["lat"]),
        crs=4326,
    )
    web.add_points(
        m,
        points,
        name="Closed in this scenario",
        tooltip_fields={"name": "Place", "category_label": "Kind", "borough_name": "Borough"},
        colour="#000000",
    )
    web.add_boroughs(
        m,
        mapping.nearby_boroughs(common.boroughs("iod2025", web=True), sel.boroughs),
        highlight=list(sel.boroughs),
        geometry=web.web_layer("boroughs", "iod2025"),
    )
    worst = table.sort_values("residents", ascending=False).head(5)
    named = "; ".join(
        f"{mapping.md_text(str(r.lsoa_name))} {r.residents:,.0f}" for r in worst.itertuples()
    )
    mapping.show_map(
        web.finish(m),
        key="closure_map",
        description=(
            f"**What the map shows.** The {len(layer):,} neighbourhoods where closing "
            f"{mapping.md_text(what)} leaves residents with no place of {theme} within "
            f"{catchment:,.0f} m, shaded by how many (darker = more), and the closed place(s) as "
            f"black points. Most affected: {named}. The table under the map lists them all."
        ),
    )


st.header("Close a place or a category")
st.radio(
    "What closes",
    options=["place", "category"],
    format_func={"place": "One place", "category": "A whole category (in the area)"}.get,
    key="close_what",
    horizontal=True,
)
inside = places[closable]
if st.session_state["close_what"] == "place":
    labels = {
        i: f"{inside.at[i, 'name']} ({inside.at[i, 'category_label']}, {inside.at[i, 'borough_name']})"
        for i in inside.sort_values("name").index
    }
    linked = st.session_state.pop("_close_place_link", None)
    if linked is not None:
        match = inside.index[inside["site_id"].astype(str).eq(linked)]
        if len(match):
            st.session_state["close_place"] = int(match[0])
        else:
            st.warning(
                f"The link's place {linked!r} is not a place of {theme} in {area} in the data "
                "used; the first place is shown instead."
            )
    if st.session_state.get("close_place") not in labels:
        st.session_state["close_place"] = next(iter(labels))
    st.selectbox("Place", options=list(labels), format_func=labels.get, key="close_place")
    closed = [int(st.session_state["close_place"])]
    what = labels[closed[0]]
    chosen = str(inside.at[closed[0], "site_id"])
else:
    cats = inside.groupby("category")["category_label"].first().to_dict()
    if st.session_state.get("close_category") not in cats:
        if st.session_state.get("close_category"):
            st.warning(
                f"The link's category {str(st.session_state['close_category'])!r} has no place "
                f"of {theme} in {area}; the first category is shown instead."
            )
        st.session_state["close_category"] = next(iter(cats))
    st.selectbox("Category", options=list(cats), format_func=cats.get, key="close_category")
    cat = st.session_state["close_category"]
    closed = inside.index[inside["category"].eq(cat)].tolist()
    what = f"all {len(closed):,} {cats[cat].lower()} in {area}"
    chosen = cat
for key in ("close_place", "close_category"):
    if key in st.session_state:
        st.session_state[f"_{key}"] = st.session_state[key]
# a link to this view: the settings that differ from the defaults and the place or category
for key, value in planquery.closure_to_query(
    {
        **{k: st.session_state[k] for k in planquery.CLOSE_DEFAULTS},
        "close_place" if st.session_state["close_what"] == "place" else "close_category": chosen,
    }
).items():
    st.query_params[key] = value
table, totals = cv.closure_impact(cover, weights, closed, data.oas, data.lsoas)
m1, m2, m3 = st.columns(3)
m1.metric("Residents left with no place in reach", f"{totals['residents']:,.0f}")
m2.metric("Housing association households", f"{totals['ha']:,.0f}")
m3.metric(f"{who_head} (target group)", f"{totals['target']:,.0f}")
st.markdown(
    f"Closing **{mapping.md_text(what)}** leaves {totals['residents']:,.0f} residents in "
    f"{int(totals['output_areas']):,} Output Areas of {len(table):,} neighbourhoods with no place "
    f"of {theme} within {catchment:,.0f} m."
)
shown = table.reset_index().rename(
    columns={
        "lsoa_code": "LSOA",
        "lsoa_name": "Neighbourhood",
        "borough_name": "Borough",
        "output_areas": "Output Areas left without",
        "residents": "Residents",
        "ha": "Housing association households",
        "target": f"{who_head} (target group)",
    }
)
if len(shown):
    _closure_map(table, places.loc[places.index.isin(closed)], what)
    st.dataframe(
        shown.round(1), hide_index=True, width="stretch", column_config=common.number_formats(shown)
    )
    st.download_button(
        "Download this table (CSV)",
        data=lambda: safe_csv(
            shown,
            header_lines=[
                f"What a closure costs: {what}; theme {theme}; catchment {catchment:.0f} m",
                common.SOURCES_SHORT,
            ],
        ),
        file_name="closure_cost.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="close_csv",
    )
else:
    st.info("Nobody loses their only place of the theme: everyone it serves has another in reach.")

st.header("Which places matter most")
st.slider("How many places", min_value=1, max_value=planquery.CLOSE_MAX_N, key="close_n")
n = int(st.session_state["close_n"])
sole, critical, crit_table = common.per_session(
    "_close_rank",
    (theme, catchment, reach, n, tuple(sel.boroughs), plancommon.uploads_key(mode)),
    lambda: cv.most_important(cover, weights, places, closable, n),
)
left, right = st.columns(2)
with left:
    st.subheader("One at a time")
    st.caption(
        f"The {n} places in {area} whose closure alone leaves the most {who} with no place of "
        "the theme in reach (each place's sole coverage: the people for whom it is the only one)."
    )
    one = sole[
        ["name", "category_label", "borough_name", "sole_target", "sole_residents", "sole_ha"]
    ]
    one = one.rename(
        columns={
            "name": "Place",
            "category_label": "Category",
            "borough_name": "Borough",
            "sole_target": f"{who_head} (target group)",
            "sole_residents": "Residents",
            "sole_ha": "HA households",
        }
    ).round(1)
    st.dataframe(one, hide_index=True, width="stretch", column_config=common.number_formats(one))
with right:
    st.subheader(f"Together: the worst {n}")
    st.caption(
        f"The {n} places whose joint closure leaves the most {who} unreached, solved exactly "
        "(the covering interdiction problem, Church, Scaparra & Middleton 2004, HiGHS). Not "
        "always the top of the other list: two places close together back each other up, so "
        "each alone costs little and both together cost much. "
        + (
            f"Proved optimal in {critical.seconds:.2f} s: {critical.loss:,.0f} {who}."
            if critical.proved_optimal
            else f"Not proved optimal within the time limit: {critical.loss:,.0f} found, at "
            f"most {critical.bound:,.0f}."
        )
    )
    together = (
        crit_table[["name", "category_label", "borough_name", "added_loss"]]
        .rename(
            columns={
                "name": "Place",
                "category_label": "Category",
                "borough_name": "Borough",
                "added_loss": f"Adds ({who})",
            }
        )
        .round(1)
    )
    st.dataframe(
        together, hide_index=True, width="stretch", column_config=common.number_formats(together)
    )
