"""Borough view for commissioners: key figures, the borough map and its ranked neighbourhoods."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, mapping
from geo.export import safe_csv
from geo.indicators import DOMAIN_LABELS, DOMAINS, VINTAGES
from geo.report import borough_report
from geo.selection import Selection, filter_lsoas

sel: Selection = st.session_state["selection"]
bor = common.boroughs(sel.vintage)
names = bor["borough_name"].sort_values()

st.title("Borough view")
if sel.boroughs:
    code = sel.boroughs[0]
    if len(sel.boroughs) > 1:
        st.info(
            f"Several boroughs are selected; showing {names[code]}. "
            "Choose one in the sidebar to switch."
        )
else:
    code = st.selectbox(
        "Choose a borough (or pick one in the sidebar)",
        options=list(names.index),
        format_func=lambda c: names[c],
        index=None,
        placeholder="Choose a borough",
    )
    if code is None:
        st.write("Pick a borough to see its key figures, map and most deprived neighbourhoods.")
        st.stop()
    sel = Selection(**{**sel.__dict__, "boroughs": (code,), "warnings": ()})

row = bor.loc[code]
st.header(row["borough_name"])
st.caption(
    f"{'Inner' if row['inner'] else 'Outer'} London · {int(row['n_lsoa'])} neighbourhoods (LSOAs) · "
    f"{VINTAGES[sel.vintage]['label']}"
)

c = st.columns(4)
c[0].metric("Population", f"{int(row['population']):,}", help="ONS mid-2020 estimates")
c[1].metric(
    "IMD average score",
    f"{row['imd_avg_score']:.1f}",
    help="Population-weighted average of LSOA scores (MHCLG's 'average score'); higher = more deprived",
)
c[2].metric("Rank in London (IMD average score)", f"{int(row['imd_avg_score_rank'])} of 33")
c[3].metric("LSOAs in England's most deprived 10% (IMD)", f"{row['imd_share_10'] * 100:.1f}%")

st.subheader("Key figures by domain")
london = (
    bor[[f"{d}_share_10" for d in DOMAINS]].mul(bor["n_lsoa"], axis=0).sum() / bor["n_lsoa"].sum()
)
figures = {
    DOMAIN_LABELS[d]: {
        "Average score": row[f"{d}_avg_score"],
        "Rank in London (1 = most deprived)": int(row[f"{d}_avg_score_rank"]),
        "% LSOAs most deprived 10%": round(row[f"{d}_share_10"] * 100, 1),
        "% LSOAs most deprived 20%": round(row[f"{d}_share_20"] * 100, 1),
        "London: % most deprived 10%": round(london[f"{d}_share_10"] * 100, 1),
    }
    for d in DOMAINS
}
fig_table = pd.DataFrame(figures).T
st.dataframe(fig_table, width="stretch")

left, right = st.columns([3, 2], gap="medium")
with left:
    m = mapping.build_map(
        sel, stock=st.session_state.get("stock"), services=st.session_state.get("services")
    )
    mapping.show_map(m, key="borough_map")
    common.sources_caption()

with right:
    st.subheader("Most deprived neighbourhoods")
    lsoas = filter_lsoas(common.lsoas(sel.vintage), sel)
    d = sel.domain
    ranked = lsoas.sort_values(f"{d}_rank")[
        ["lsoa_name", f"{d}_decile", f"{d}_rank", f"{d}_score", "population"]
    ].rename(
        columns={
            "lsoa_name": "Neighbourhood",
            f"{d}_decile": "Decile",
            f"{d}_rank": "Rank in England",
            f"{d}_score": "Score",
            "population": "Population",
        }
    )
    st.caption(
        f"{DOMAIN_LABELS[d]}, ranked (1 = most deprived in England); deciles {sel.deciles[0]}–{sel.deciles[1]}."
    )
    st.dataframe(ranked, width="stretch", height=520)
    st.download_button(
        "Download this table (CSV)",
        data=safe_csv(
            ranked.reset_index(),
            header_lines=[
                f"borough={row['borough_name']}",
                f"indicator={d}",
                f"vintage={sel.vintage}",
                common.SOURCES_SHORT,
            ],
        ),
        file_name=f"{row['borough_name'].replace(' ', '_')}_{d}_{sel.vintage}.csv",
        mime="text/csv",
        on_click="ignore",  # a download needs no rerun
    )
st.download_button(
    "Download a report of this borough (HTML, printable)",
    data=borough_report(
        row,
        ranked,
        vintage_label=VINTAGES[sel.vintage]["label"],
        domain=d,
        gaps=st.session_state.get("gap_table_for_report"),
        parameters={"Deciles shown": f"{sel.deciles[0]}-{sel.deciles[1]}"},
    ).encode("utf-8"),
    file_name=f"{row['borough_name'].replace(' ', '_')}_report.html",
    mime="text/html",
    on_click="ignore",  # a download needs no rerun
)
st.page_link(
    "app_pages/gaps.py", label="Find gaps in services for this borough →", icon=":material/search:"
)
