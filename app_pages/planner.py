"""Pilot planner: where N new pilot sites reach the most people of a target group, proved optimal.

The maximal covering location problem (geo.analysis.mclp) on the gap finder's walking distances
from the Census 2021 Output Areas (geo.analysis.planinputs); the page and ``python -m geo plan``
call the same function (geo.analysis.planner.plan). Results are kept per session under the
settings and a digest of the uploads, never in a process-wide cache.
"""

from __future__ import annotations

import dataclasses
import re

import altair as alt
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app_pages import common, mapping, plancommon, walking
from geo import web
from geo.analysis import planinputs, planner, planquery, provision
from geo.analysis.gapview import CATCHMENTS
from geo.analysis.selection import Selection, bounds_of
from geo.data.directory import THEME_CAVEATS
from geo.outputs.export import safe_csv, safe_geojson

MAX_OA_POINTS = 20_000  # newly reached Output Areas drawn one by one up to this many
REACH_COLOURS = {  # share of the neighbourhood's target group newly reached (ColorBrewer Blues)
    "0": "#f7fbff",
    "1": "#c6dbef",
    "25": "#6baed6",
    "50": "#2171b5",
    "75": "#08306b",
    "none": "#bdbdbd",
}
REACH_CLASS_LABELS = {
    "0": "None newly reached",
    "1": "Under 25%",
    "25": "25% to under 50%",
    "50": "50% to under 75%",
    "75": "75% or more",
    "none": "No one of the target group lives here",
}

sel: Selection = st.session_state["selection"]
mode = common.data_mode()
measured_detour = common.detour_default()
st.title("Pilot planner")
st.markdown(
    "Where should **N new pilot sites** go to reach the most people who need them? The "
    "planner chooses the set of sites together (two top-ranked neighbourhoods side by side "
    "share one catchment; a site between three mid-ranked ones may reach more), solves the "
    "choice exactly and says whether the answer is **proved optimal**. Pick the area in the "
    "sidebar (boroughs or an ICB)."
)
if measured_detour is None or common.oas() is None:
    st.error(
        "The walking-access data (Output Areas, street network, measured detour) is not "
        "installed. Run `python -m geo build` to make it."
    )
    st.stop()
common.mode_caption("services")
street_data = common.streets()
covered_names = ", ".join(street_data.report.get("covered_borough_names", [])) or "no borough"
options = plancommon.site_options(mode)
plancommon.seed_from_url(
    list(options),
    {
        **planquery.DEFAULTS,
        "plan_theme": sel.theme if sel.theme in planinputs.PLAN_THEMES else "Digital inclusion",
        "plan_detour": measured_detour,
    },
)
kept = [k for k in st.session_state["plan_sites"] if k in options]
st.session_state["plan_sites"] = kept or [
    k for k in planquery.DEFAULTS["plan_sites"] if k in options
]
if not st.session_state["plan_sites"]:
    st.session_state["plan_sites"] = [planinputs.OA_SITES]

bor = common.boroughs("iod2025")
names = bor["borough_name"].to_dict()
area = ", ".join(names.get(b, b) for b in sel.boroughs) if sel.boroughs else "London"

with st.form("plan_form", border=True):
    st.markdown(f"**Planning area: {mapping.md_text(area)}** (change it in the sidebar)")
    c1, c2, c3 = st.columns(3)
    c1.selectbox(
        "Theme the pilots provide",
        options=list(planinputs.PLAN_THEMES),
        key="plan_theme",
        help="People within reach of an existing place of this theme can count as served "
        "already (below).",
    )
    c1.multiselect(
        "Candidate sites",
        options=list(options),
        format_func=options.get,
        key="plan_sites",
        help="Where a pilot may go: bundled places of these categories, your uploaded "
        "services (e.g. housing association offices and community rooms), or any Output Area "
        "centre (the population-weighted centre of any of London's 26,369 Output Areas).",
    )
    c1.slider("Number of sites", min_value=1, max_value=planner.MAX_SITES, key="plan_count")
    c2.select_slider(
        "Walking catchment",
        options=list(CATCHMENTS),
        format_func=walking.catchment_label,
        key="plan_catchment",
    )
    c2.radio(
        "Whom to reach",
        options=list(planinputs.REACH),
        format_func=plancommon.reach_label,
        key="plan_reach",
    )
    c3.checkbox(
        "Count only people not yet served",
        key="plan_served",
        help="On: people who already have a place of the theme within the catchment count as "
        "served and the plan counts only the others "
        "(places anywhere in London count, bundled and/or yours as the sidebar says).",
    )
    c3.checkbox(
        "Poor public transport only",
        key="plan_ptal",
        help="Only people in neighbourhoods with TfL PTAL 2015 band 0 to 2 count, as in the "
        "Gap finder.",
    )
    c3.select_slider(
        "Solver time limit",
        options=list(planquery.TIME_LIMITS),
        format_func=lambda s: f"{s} s",
        key="plan_time",
        help="Most plans are proved optimal in a second or two. If the limit is reached, the "
        "best plan found is shown with the gap to the proved bound; a longer limit may close "
        "it.",
    )
    walking.settings(c3, covered_names, measured_detour, prefix="plan")
    st.form_submit_button("Find the best sites", icon=":material/travel_explore:")

state = st.session_state
query = planquery.to_query({k: state[k] for k in planquery.DEFAULTS})
if abs(float(state["plan_detour"]) - measured_detour) > 1e-9:
    query["plan_detour"] = f"{float(state['plan_detour']):.3f}"
for key, value in query.items():
    st.query_params[key] = value

if not state["plan_sites"]:
    st.warning("Choose at least one kind of candidate site.")
    st.stop()
params = planner.PlanParams(
    theme=state["plan_theme"],
    sites=tuple(state["plan_sites"]),
    count=int(state["plan_count"]),
    catchment=float(state["plan_catchment"]),
    reach=state["plan_reach"],
    already_served=bool(state["plan_served"]),
    boroughs=tuple(sel.boroughs),
    ptal_max2=bool(state["plan_ptal"]),
    detour=float(state["plan_detour"]),
    distance=state["plan_distance"],
    time_limit=float(state["plan_time"]),
)
with st.spinner("Finding the best sites (exact solver)…"):
    data = plancommon.plan_data(
        mode, params.detour, params.distance, planinputs.OA_SITES in params.sites
    )
    plan = common.per_session(
        "_plan_result",
        (params, plancommon.uploads_key(mode)),
        lambda: planner.plan(data, params),
    )
r, f = plan.result, plan.figures
who = planinputs.REACH_SHORT[params.reach]
who_head = plancommon.reach_label(params.reach)  # the same with a capital

# --------------------------------------------------------------------------------------------
# the answer
# --------------------------------------------------------------------------------------------
if params.theme in planinputs.THEME_NOTES:
    st.info(planinputs.THEME_NOTES[params.theme], icon=":material/info:")
elif params.already_served and not f["served_places"]:
    st.info(
        f"No place of **{params.theme}** is in the data used, so nobody counts as already "
        "served" + (": upload yours on the Service directory page." if mode == "both" else "."),
        icon=":material/info:",
    )
if params.theme in THEME_CAVEATS:
    st.caption(f"**{params.theme}**: {THEME_CAVEATS[params.theme]}")
st.caption(
    f"Weights: {planinputs.REACH_LABELS[params.reach]}. Deprivation is England's IMD 2025 on "
    "the 2021 neighbourhoods (LSOA 2021) only, whatever the sidebar's deprivation data."
)
if not len(plan.candidates):
    st.warning(
        "No candidate site of the kinds chosen is in the planning area. Choose other candidate "
        "sites or another area."
    )
    st.stop()
if not f["reachable"]:
    st.warning(
        f"No candidate site reaches anyone not yet served: every {who[:-1] if who.endswith('s') else who} "
        "within reach of these candidate sites already has a place of the theme within the "
        "catchment (for example libraries as candidates when libraries provide the theme). "
        "Choose other candidate sites, or count everyone."
    )
    st.stop()
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Newly reached ({who})", f"{r.objective:,.0f}", help=f"with {len(r.sites)} sites")
m2.metric(
    "Share of the target group",
    f"{r.objective / f['target_total']:.1%}" if f["target_total"] else "-",
    help=f"of {f['target_total']:,.0f} {who} in {area}",
)
m3.metric("Proved optimal", "Yes" if r.proved_optimal else "No")
m4.metric("Solver time", f"{r.seconds:.2f} s")
proof = planner.proof_text(r)
(st.success if r.proved_optimal else st.warning)(proof)
if len(r.sites) < params.count:
    st.caption(
        f"Only {len(r.sites)} of the {params.count} sites are used: more sites would reach no "
        "one new (everyone within reach of a candidate is reached)."
    )
st.caption(
    f"{f['target_total']:,.0f} {who} in {area}"
    + (" (PTAL 2 or lower only)" if params.ptal_max2 else "")
    + (
        f"; {f['served_total']:,.0f} already have a place of {params.theme} within "
        f"{params.catchment:,.0f} m ({f['served_places']:,} places of the theme used)"
        if params.already_served
        else "; everyone counts (already served or not)"
    )
    + f"; {f['reachable']:,.0f} of the rest live within reach of one of the "
    f"{f['candidates']:,} candidate sites. Walking distance: "
    + (
        f"on the OpenStreetMap street network where it covers both ends ({covered_names}), "
        f"elsewhere the straight line x {params.detour:.3f}."
        if params.distance == "streets"
        else f"the straight line x {params.detour:.3f} everywhere."
    )
)

# --------------------------------------------------------------------------------------------
# map
# --------------------------------------------------------------------------------------------
summary = planner.lsoa_summary(plan, data.oas, data.lsoas)
sites = plan.sites.assign(
    reached_text=plan.sites["newly_reached"].map(lambda v: f"{v:,.0f}"),
    cumulative_text=plan.sites["cumulative"].map(lambda v: f"{v:,.0f}"),
)
st.header("The chosen sites")
shapes = common.lsoas("iod2025", web=True)
geo_sel = dataclasses.replace(sel, vintage="iod2025")
m = web.base_map(bounds_of(common.boroughs("iod2025", web=True), sel.boroughs))
share = summary["reached_share"]
classes = np.select(
    [summary["target"] <= 0, share >= 0.75, share >= 0.5, share >= 0.25, share > 0],
    ["none", "75", "50", "25", "1"],
    default="0",
)
layer = shapes.loc[summary.index, ["lsoa_name", "borough_name", "geometry"]].assign(
    reach_class=classes,
    target=summary["target"].round(),
    served_pct=(summary["served_share"] * 100).round(),
    reached_pct=(summary["reached_share"] * 100).round(),
    sites=summary["sites"],
)
web.add_categories(
    m,
    layer,
    "reach_class",
    REACH_COLOURS,
    REACH_CLASS_LABELS,
    title=f"Share of the {who} newly reached",
    name="Neighbourhoods: share newly reached",
    tooltip_fields={
        "lsoa_name": "Neighbourhood",
        "borough_name": "Borough",
        "target": who_head,
        "served_pct": "Already served, %",
        "reached_pct": "Newly reached by the plan, %",
        "sites": "Reached from sites",
    },
    geometry=mapping.lsoa_geometry(geo_sel, layer.index),
)
reached = np.flatnonzero(plan.reached_by > 0)
if 0 < len(reached) <= MAX_OA_POINTS:
    oa_rows = data.oas.iloc[reached]
    web.add_points(
        m,
        gpd.GeoDataFrame(
            {
                "oa_code": oa_rows["oa_code"].to_numpy(),
                "site": plan.reached_by[reached],
                "weight": plan.weights.iloc[reached].round().to_numpy(),
            },
            geometry=gpd.points_from_xy(oa_rows["lon"], oa_rows["lat"]),
            crs=4326,
        ),
        name="Output Areas newly reached (population-weighted centres)",
        tooltip_fields={
            "oa_code": "Output Area",
            "site": "Newly reached by site",
            "weight": who_head,
        },
        colour="#D55E00",
        show=bool(sel.boroughs),
    )
existing = plancommon.theme_places(data, params.theme, mode)
if sel.boroughs and len(existing):
    near = mapping.nearby_boroughs(common.boroughs("iod2025", web=True), sel.boroughs).index
    existing = existing[existing["borough_code"].isin(near)]
if len(existing):
    web.add_points(
        m,
        gpd.GeoDataFrame(
            existing[["name", "category_label", "borough_name"]],
            geometry=gpd.points_from_xy(existing["lon"], existing["lat"]),
            crs=4326,
        ),
        name=f"Existing places of {params.theme}",
        tooltip_fields={"name": "Place", "category_label": "Kind", "borough_name": "Borough"},
        colour="#0072B2",
        # on a map of all London hundreds of them would hide the shading: in the layer list
        show=params.already_served and bool(sel.boroughs),
    )
radius = params.catchment / params.detour
web.add_plan_sites(
    m,
    sites,
    radius=radius,
    tooltip_fields={
        "number": "Site",
        "name": "Name",
        "category_label": "Category",
        "reached_text": f"Newly reached ({who})",
        "borough_name": "Borough",
    },
    circle_name=f"Straight-line reach of each site ({radius:,.0f} m = catchment / detour)",
)
web.add_boroughs(
    m,
    mapping.nearby_boroughs(common.boroughs("iod2025", web=True), sel.boroughs),
    highlight=list(sel.boroughs),
    geometry=web.web_layer("boroughs", "iod2025"),
)
top = sites.head(3)
description = (
    f"**What the map shows.** The {len(sites)} chosen sites, numbered as in the table below "
    f"(black points with white number discs), each with a dashed circle of {radius:,.0f} m: "
    "the straight-line reach, catchment divided by the detour factor"
    + (
        f" (in {covered_names} the reach is measured on the streets, so there the circle is "
        "only a guide)"
        if params.distance == "streets"
        else ""
    )
    + f". The {len(summary):,} neighbourhoods of {mapping.md_text(area)} are shaded by the "
    f"share of their {who} the plan newly reaches; orange points (in the layer list) are the "
    f"{len(reached):,} Output Areas it newly reaches"
    + (
        f"; blue points{'' if sel.boroughs else ' (in the layer list)'} are the "
        f"{len(existing):,} existing places of {params.theme} "
        + ("nearby" if sel.boroughs else "in London")
        + (
            " (people within reach of one count as served)"
            if params.already_served
            else " (in the layer list; not counted as serving anyone in this plan)"
        )
        if len(existing)
        else f"; no existing place of {params.theme} is in the data used"
    )
    + ". Largest gains: "
    + "; ".join(
        f"site {int(s['number'])} {mapping.md_text(s['name'])} ({s['reached_text']})"
        for _, s in top.iterrows()
    )
    + ". The table of the map lists every neighbourhood."
)


def _map_table() -> pd.DataFrame:
    return summary.rename(
        columns={
            "lsoa_name": "Neighbourhood",
            "borough_name": "Borough",
            "target": who_head,
            "served": "Already served",
            "newly_reached": "Newly reached",
            "sites": "Reached from sites",
            "served_share": "% already served",
            "reached_share": "% newly reached",
        }
    ).assign(
        **{
            "% already served": lambda d: (d["% already served"] * 100).round(1),
            "% newly reached": lambda d: (d["% newly reached"] * 100).round(1),
        }
    )


mapping.show_map(web.finish(m), key="plan_map", description=description, table=_map_table)
if len(reached) > MAX_OA_POINTS:
    st.caption(
        f"The {len(reached):,} Output Areas newly reached are too many to draw one by one; the "
        "neighbourhood shading shows them."
    )
common.sources_caption()

# --------------------------------------------------------------------------------------------
# table and downloads
# --------------------------------------------------------------------------------------------
display = sites.rename(
    columns={
        "number": "Site",
        "name": "Name",
        "category_label": "Category",
        "newly_reached": "Newly reached",
        "cumulative": "Cumulative",
        "share": "% of the target group",
        "borough_name": "Borough",
        "lsoa_code": "Neighbourhood (LSOA)",
    }
).assign(**{"% of the target group": lambda d: (d["% of the target group"] * 100).round(2)})
display["Newly reached"] = display["Newly reached"].round()
display["Cumulative"] = display["Cumulative"].round()
display = display[
    [
        "Site",
        "Name",
        "Category",
        "Newly reached",
        "Cumulative",
        "% of the target group",
        "Borough",
        "Neighbourhood (LSOA)",
    ]
]
st.caption(
    f"Sites in the order that adds most first: 'Newly reached' counts the {who} each site "
    "reaches that the sites above it do not; 'Cumulative' adds them up; the share is of all "
    f"{f['target_total']:,.0f} {who} in the area."
)
st.dataframe(
    display, hide_index=True, width="stretch", column_config=common.number_formats(display)
)
meta = {
    "tool": "London social prescribing map, Pilot planner",
    "theme": params.theme,
    "area": area,
    "candidate_sites": ", ".join(options.get(k, k) for k in params.sites),
    "sites": str(params.count),
    "catchment_m": f"{params.catchment:.0f}",
    "reach": planinputs.REACH_LABELS[params.reach],
    "already_served_counted_as_served": "yes" if params.already_served else "no",
    "ptal_filter": "PTAL 2 or lower only" if params.ptal_max2 else "none",
    "walking_distance": (
        f"OpenStreetMap street network where it covers both ends ({covered_names}); straight "
        f"line x {params.detour:.3f} elsewhere"
        if params.distance == "streets"
        else f"straight line x {params.detour:.3f} everywhere"
    ),
    "objective": f"{r.objective:.0f}",
    "bound": f"{r.bound:.0f}",
    "proved_optimal": "yes" if r.proved_optimal else "no",
    "data_used": provision.MODES[mode],
    "sources": common.SOURCES_SHORT,
}
slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{area}_{params.theme}").strip("_")[:80]
d1, d2, _ = st.columns(3)
d1.download_button(
    "Download the sites (CSV)",
    data=safe_csv(plan.sites, header_lines=[f"{k}: {v}" for k, v in meta.items()] + [proof]),
    file_name=f"pilot_plan_{slug}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    key="plan_csv",
)
d2.download_button(
    "Download the sites (GeoJSON)",
    data=safe_geojson(
        gpd.GeoDataFrame(
            plan.sites,
            geometry=gpd.points_from_xy(plan.sites["lon"], plan.sites["lat"]),
            crs=4326,
        ),
        metadata=meta | {"proof": proof},
    ),
    file_name=f"pilot_plan_{slug}.geojson",
    mime="application/geo+json",
    on_click="ignore",
    icon=":material/download:",
    key="plan_geojson",
)

# --------------------------------------------------------------------------------------------
# reach against the number of sites
# --------------------------------------------------------------------------------------------
st.header("Reach against the number of sites")
curve = plan.curve
long = pd.concat(
    [
        curve.assign(series="Greedy: one site at a time", reach=curve["greedy"]),
        curve[curve["proved"]].assign(series="Proved optimum for k sites", reach=curve["optimum"]),
        curve[~curve["proved"] & curve["optimum"].notna()].assign(
            series="Best found, not proved", reach=curve["optimum"]
        ),
    ]
)[["k", "series", "reach"]]
n_exact = int(curve["proved"].sum())
chart = (
    alt.Chart(long)
    .mark_line(point=True)
    .encode(
        x=alt.X("k:Q", title="Number of sites", scale=alt.Scale(domain=[1, planner.CURVE_MAX])),
        y=alt.Y("reach:Q", title=f"Newly reached ({who})"),
        color=alt.Color(
            "series:N",
            title=None,
            scale=alt.Scale(
                domain=[
                    "Greedy: one site at a time",
                    "Proved optimum for k sites",
                    "Best found, not proved",
                ],
                range=["#0072B2", "#D55E00", "#6a3d9a"],
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        strokeDash=alt.StrokeDash("series:N", legend=None),
        tooltip=[
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("k:Q", title="Sites"),
            alt.Tooltip("reach:Q", title="Newly reached", format=",.0f"),
        ],
    )
    .properties(
        height=320,
        description=(
            f"Line chart: {who} newly reached against the number of sites, 1 to "
            f"{planner.CURVE_MAX}, greedy choice and proved optimum; the table under the chart "
            "holds the same figures."
        ),
    )
)
st.altair_chart(chart, width="stretch")
solved = curve["k"][curve["proved"]].tolist()
st.caption(
    "Each new site adds less than the one before: where the curve flattens, the next site "
    "stops paying. The greedy curve adds one site at a time (the one reaching most new "
    "people); the optimum is solved for each number of sites separately, "
    + (
        f"here proved for {len(solved)} of them ({', '.join(map(str, solved))})"
        if plan.result.seconds < planner.CURVE_IF_UNDER
        else "here only for the number chosen (one solve took longer than "
        f"{planner.CURVE_IF_UNDER:g} s)"
    )
    + f" within a budget of {planner.CURVE_BUDGET:g} s; beyond, the greedy curve alone."
)
with st.expander("The chart as a table", icon=":material/table:"):
    chart_table = curve.rename(
        columns={
            "k": "Sites",
            "greedy": "Greedy",
            "optimum": "Optimum (or best found)",
            "bound": "Proved bound",
            "proved": "Proved optimal",
        }
    )
    st.dataframe(
        chart_table,
        hide_index=True,
        width="stretch",
        column_config=common.number_formats(chart_table),
    )

# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------
st.header("Compared with greedy and the gap finder")
comp = plan.comparison.assign(
    **{
        "Share of the target group": lambda d: (d["Share of the target group"] * 100).round(2),
        "Of the plan's reach": lambda d: (d["Of the plan's reach"] * 100).round(1),
    }
).rename(
    columns={
        "Share of the target group": "% of the target group",
        "Of the plan's reach": "% of the plan",
    }
)
st.dataframe(comp, hide_index=True, width="stretch", column_config=common.number_formats(comp))
st.caption(
    "Greedy never beats the optimum (it reaches at least 63% of it, Nemhauser, Wolsey & Fisher "
    "1978). The gap finder's row places one site in each of the top "
    f"{params.count} neighbourhoods of the area by the Gap finder's London rank for the theme "
    "(its default need index, this catchment and walking distance"
    + (", PTAL 2 or lower only" if params.ptal_max2 else "")
    + "): the candidate inside the neighbourhood that newly reaches most, given those placed "
    "before it; a neighbourhood without a candidate inside gets none."
)
gap_view = plan.gap_sites.rename(
    columns={
        "rank": "London rank",
        "lsoa_code": "LSOA",
        "lsoa_name": "Neighbourhood",
        "gap": "Gap",
        "need": "Need index",
        "site_name": "Site placed",
        "newly_reached": "Newly reached",
    }
).drop(columns="site")
gap_view["Site placed"] = gap_view["Site placed"].fillna("(no candidate site inside)")
with st.expander(f"The gap finder's top {len(gap_view)} neighbourhoods and the site in each"):
    st.dataframe(
        gap_view, hide_index=True, width="stretch", column_config=common.number_formats(gap_view)
    )
st.caption(
    "Method: the maximal covering location problem (Church & ReVelle 1974) with at most N "
    "sites, solved exactly by HiGHS (branch-and-cut; for thousands of candidates after an LP "
    "bound by column generation and reduced-cost fixing) and checked in the tests against "
    "PySAL's spopt. A candidate reaches an Output Area when the walking distance from the "
    "Output Area's population-weighted centre is within the catchment, measured as the Gap "
    "finder measures it. Details: Data and method page."
)
