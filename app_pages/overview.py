"""London overview: the deprivation map of all London and a borough comparison."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app_pages import common, mapping
from geo.analysis import provision
from geo.analysis.selection import borough_comparison, filter_lsoas
from geo.data.indicators import DOMAIN_LABELS, INDICATOR_LABELS, VINTAGES
from geo.outputs.export import safe_csv

sel = st.session_state["selection"]
st.title("Where London's need is high and provision is thin")
st.markdown(
    "Deprivation in each of London's neighbourhoods (LSOAs, about 1,700 people each) with "
    "borough boundaries. Switch on **housing association homes** (Census), **services and "
    "places** by category and **social prescribing link workers** in the map's layer list "
    "(top right); upload your own stock list or service directory under **Your data**, then use "
    "the **Gap finder**. **Compare boroughs**, under the map, opens a chart and a table of all "
    "33 boroughs."
)

lsoas = common.lsoas(sel.vintage)
shown = filter_lsoas(lsoas, sel)
area = "the selected boroughs" if sel.boroughs else "London"
# The key figures sit above the map but are drawn after it: the map message then reaches the
# browser first and its frame starts loading sooner (bench/bench_app.py, first map paint).
figures = st.container()
m = mapping.build_map(sel, stock=st.session_state.get("stock"), bundled_layers=True)
mapping.show_map(
    m,
    key="overview_map",
    description=mapping.describe_map(sel, stock=st.session_state.get("stock")),
    table=lambda: mapping.map_table(sel),
)
with figures:
    c1, c2, c3 = st.columns(3)
    c1.metric("Neighbourhoods shown", f"{len(shown):,}", help=f"of {len(lsoas):,} in London")
    census = "Census 2021" if sel.vintage == "iod2025" else "mid-2020"
    c2.metric(f"People in them ({census})", f"{int(shown['population'].sum()):,}")
    scope = lsoas[lsoas["borough_code"].isin(sel.boroughs)] if sel.boroughs else lsoas
    dd = sel.decile_domain
    share10 = (scope[f"{dd}_decile"] == 1).mean() * 100
    c3.metric(
        "In England's most deprived 10%",
        f"{share10:.1f}%",
        help=f"Share of the LSOAs of {area} in national decile 1 of {DOMAIN_LABELS[dd]} "
        f"({VINTAGES[sel.vintage]['release']})",
    )
    if "ha_households" in shown.columns:
        c4 = st.columns(3)
        hh = shown["ha_households"].sum()
        c4[0].metric(
            f"HA households in them ({'Census 2021' if sel.vintage == 'iod2025' else 'Census 2011'})",
            f"{int(hh):,}",
            help="Households renting from a housing association (ONS). London 2021: 376,986.",
        )
        c4[1].metric("Share of their households", f"{hh / shown['households'].sum() * 100:.1f}%")
        places = common.directory()
        if places is not None and sel.boroughs:
            places = places[places["borough_code"].isin(sel.boroughs).to_numpy()]
        c4[2].metric(
            f"Services and places in {area}",
            f"{0 if places is None else len(places):,}",
            help=f"{provision.MODES[common.data_mode()]}; switch categories on in the layer list.",
        )

common.mode_caption("services")
common.sources_caption()

# The borough comparison (chart and table) is drawn only while its expander is open: a chart
# and a table in the first render make the browser load their code before it creates the map
# frame, which delayed the map's first paint by about 0.4 s (bench/bench_app.py).
compare = st.expander(
    "**Compare boroughs**: chart and table of all 33, with a CSV download",
    key="compare_boroughs",
    on_change="rerun",
    icon=":material/bar_chart:",
)
if compare.open:
    with compare:
        if sel.is_iod:
            table = borough_comparison(common.boroughs(sel.vintage), sel.domain)
        else:
            table = borough_comparison(common.boroughs(sel.vintage), "imd")
        left, right = st.columns([2, 3], gap="medium")
        with left:
            st.subheader("Boroughs compared")
            st.caption(
                f"Share of each borough's neighbourhoods in England's most deprived 10% "
                f"({DOMAIN_LABELS[dd]}, {VINTAGES[sel.vintage]['label']})."
                + (
                    ""
                    if sel.is_iod
                    else f" The map shows {INDICATOR_LABELS[sel.domain].lower()}; the borough figures "
                    "for it are in the table on the right."
                )
                + " The chart's figures are the table's '% LSOAs most deprived 10%' column."
            )
            chart_data = table.assign(
                selected=table.index.isin(sel.boroughs) if sel.boroughs else True
            ).reset_index()
            chart = (
                alt.Chart(chart_data)
                .mark_bar()
                .encode(
                    x=alt.X("share_10:Q", title="% of LSOAs in most deprived 10%"),
                    y=alt.Y(
                        "borough_name:N",
                        sort="-x",
                        title=None,
                        axis=alt.Axis(labelOverlap=False, labelLimit=160),
                    ),
                    color=alt.condition(
                        alt.datum.selected, alt.value("#08519c"), alt.value("#c6dbef")
                    ),
                    tooltip=[
                        alt.Tooltip("borough_name:N", title="Borough"),
                        alt.Tooltip("share_10:Q", title="% most deprived 10%"),
                        alt.Tooltip("share_20:Q", title="% most deprived 20%"),
                        alt.Tooltip("avg_score:Q", title="Average score"),
                        alt.Tooltip("avg_score_rank:Q", title="Rank in London (1 = most deprived)"),
                    ],
                )
                .properties(
                    height=33 * 19,
                    # the chart's text alternative (Vega's aria description of the chart)
                    description=(
                        "Bar chart: share of each of the 33 boroughs' neighbourhoods in "
                        f"England's most deprived 10% ({DOMAIN_LABELS[dd]}), highest first; "
                        "the borough table beside it holds the same figures."
                    ),
                )
            )
            st.altair_chart(chart, width="stretch")

        with right:
            bor = common.boroughs(sel.vintage)
            if "ha_households" in bor.columns:
                table = table.join(
                    bor[
                        ["ha_households", "ha_share", "ha_households_in_10", "ha_households_in_20"]
                    ].assign(ha_share=lambda f: (f["ha_share"] * 100).round(1))
                )
            gps = common.gp_practices()
            if gps is not None and sel.vintage == "iod2025":
                lwb = provision.borough_link_workers(gps)
                table = table.join(lwb[["lw_per_10k"]].round(2))
            if sel.domain == "ha_share" and "ha_share" in table.columns:
                table = table.sort_values("ha_share", ascending=False)
            elif sel.domain == "lw_per_10k" and "lw_per_10k" in table.columns:
                table = table.sort_values("lw_per_10k", ascending=False)
            st.subheader("Borough table")
            st.dataframe(
                table.rename(
                    columns={
                        "borough_name": "Borough",
                        "inner_outer": "Inner/Outer",
                        "share_10": "% LSOAs most deprived 10%",
                        "share_20": "% LSOAs most deprived 20%",
                        "avg_score": "Average score (population-weighted)",
                        "avg_score_rank": "Rank of average score in London",
                        "ha_households": "Housing association households (Census)",
                        "ha_share": "% households renting from a housing association",
                        "ha_households_in_10": "HA households in most deprived 10%",
                        "ha_households_in_20": "HA households in most deprived 20%",
                        "lw_per_10k": "Link-worker FTE per 10,000 patients (borough's practices)",
                    }
                ).rename_axis("Borough code"),
                width="stretch",
                height=33 * 19,
            )
            st.download_button(
                "Download borough table (CSV)",
                data=lambda: safe_csv(  # made when clicked, not on every rerun
                    table.reset_index(),
                    header_lines=[
                        f"indicator={sel.domain}",
                        f"vintage={sel.vintage}",
                        common.SOURCES_SHORT,
                    ],
                ),
                file_name=f"boroughs_{sel.domain}_{sel.vintage}.csv",
                mime="text/csv",
                on_click="ignore",  # a download needs no rerun
            )
