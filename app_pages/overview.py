"""London overview: the deprivation map of all London and a borough comparison."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app_pages import common, mapping
from geo.export import safe_csv
from geo.indicators import DOMAIN_LABELS, VINTAGES
from geo.selection import borough_comparison, filter_lsoas

sel = st.session_state["selection"]
st.title("Where London's need is high and provision is thin")
st.markdown(
    "Deprivation in each of London's neighbourhoods (LSOAs, about 1,500 people each) with "
    "borough boundaries. Upload a **housing association stock list** or a **service directory** "
    "under *Your data* to add homes and services, then use the **Gap finder**."
)

lsoas = common.lsoas(sel.vintage)
shown = filter_lsoas(lsoas, sel)
area = "the selected boroughs" if sel.boroughs else "London"
c1, c2, c3 = st.columns(3)
c1.metric("Neighbourhoods shown", f"{len(shown):,}", help=f"of {len(lsoas):,} in London")
c2.metric("People in them (mid-2020)", f"{int(shown['population'].sum()):,}")
scope = lsoas[lsoas["borough_code"].isin(sel.boroughs)] if sel.boroughs else lsoas
share10 = (scope[f"{sel.domain}_decile"] == 1).mean() * 100
c3.metric(
    "In England's most deprived 10%",
    f"{share10:.1f}%",
    help=f"Share of the LSOAs of {area} in national decile 1 of {DOMAIN_LABELS[sel.domain]} "
    f"({VINTAGES[sel.vintage]['release']})",
)

m = mapping.build_map(
    sel, stock=st.session_state.get("stock"), services=st.session_state.get("services")
)
mapping.show_map(m, key="overview_map")
common.sources_caption()

table = borough_comparison(common.boroughs(sel.vintage), sel.domain)
left, right = st.columns([2, 3], gap="medium")
with left:
    st.subheader("Boroughs compared")
    st.caption(
        f"Share of each borough's neighbourhoods in England's most deprived 10% "
        f"({DOMAIN_LABELS[sel.domain]}, {VINTAGES[sel.vintage]['label']})."
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
            color=alt.condition(alt.datum.selected, alt.value("#08519c"), alt.value("#c6dbef")),
            tooltip=[
                alt.Tooltip("borough_name:N", title="Borough"),
                alt.Tooltip("share_10:Q", title="% most deprived 10%"),
                alt.Tooltip("share_20:Q", title="% most deprived 20%"),
                alt.Tooltip("avg_score:Q", title="Average score"),
                alt.Tooltip("avg_score_rank:Q", title="Rank in London (1 = most deprived)"),
            ],
        )
        .properties(height=33 * 19)
    )
    st.altair_chart(chart, width="stretch")

with right:
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
            }
        ),
        width="stretch",
        height=33 * 19,
    )
    st.download_button(
        "Download borough table (CSV)",
        data=safe_csv(
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
