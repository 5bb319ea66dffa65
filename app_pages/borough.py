"""Borough view for commissioners: key figures, the borough map and its ranked neighbourhoods."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, mapping
from geo.analysis import gapview as gv
from geo.analysis import provision, registration
from geo.analysis.selection import Selection, filter_lsoas
from geo.data.indicators import DOMAIN_LABELS, DOMAINS, VINTAGES
from geo.outputs.export import safe_csv
from geo.outputs.report import borough_report

sel: Selection = st.session_state["selection"]
bor = common.boroughs(sel.vintage)
names = bor["borough_name"].sort_values()

st.title("Borough view")
census = "Census 2021" if sel.vintage == "iod2025" else "Census 2011"
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
        st.caption(
            f"All 33 boroughs, most deprived first ({VINTAGES[sel.vintage]['label']}; housing "
            f"association households: {census})."
        )
        cols = {
            "borough_name": "Borough",
            "imd_avg_score_rank": "IMD rank in London (1 = most deprived)",
            "imd_share_10": "% LSOAs in England's most deprived 10%",
            "population": "Population",
            "ha_households": "Housing association households",
            "ha_share": "% households renting from a housing association",
        }
        overview = bor[[c for c in cols if c in bor.columns]].sort_values("imd_avg_score_rank")
        for share in ("imd_share_10", "ha_share"):
            if share in overview:
                overview[share] = (overview[share] * 100).round(1)
        overview = overview.rename(columns=cols).rename_axis("Borough code")
        st.dataframe(
            overview,
            width="stretch",
            height=35 * 34,
            column_config=common.number_formats(overview),
        )
        st.stop()
    sel = Selection(**{**sel.__dict__, "boroughs": (code,), "warnings": ()})

row = bor.loc[code]
st.header(row["borough_name"])
st.caption(
    f"{'Inner' if row['inner'] else 'Outer'} London · {int(row['n_lsoa'])} neighbourhoods (LSOAs) · "
    f"{VINTAGES[sel.vintage]['label']}"
)

c = st.columns(4)
c[0].metric(
    "Population",
    f"{int(row['population']):,}",
    help="ONS Census 2021" if sel.vintage == "iod2025" else "ONS mid-2020 estimates",
)
c[1].metric(
    "IMD average score",
    f"{row['imd_avg_score']:.1f}",
    help="Population-weighted average of LSOA scores (MHCLG's 'average score'); higher = more deprived",
)
c[2].metric("Rank in London (IMD average score)", f"{int(row['imd_avg_score_rank'])} of 33")
c[3].metric("LSOAs in England's most deprived 10% (IMD)", f"{row['imd_share_10'] * 100:.1f}%")

left, right = st.columns([3, 2], gap="medium")
with left:
    m = mapping.build_map(
        sel,
        stock=st.session_state.get("stock"),
        bundled_layers=True,
        show_places={
            c: True
            for c in ("gp_practice", "library", "community_centre", "park", "jobcentre", "upload")
        },
    )
    mapping.show_map(
        m,
        key="borough_map",
        description=mapping.describe_map(sel, stock=st.session_state.get("stock")),
        table=lambda: mapping.map_table(sel),
    )
    common.sources_caption()

with right:
    st.subheader("Most deprived neighbourhoods")
    lsoas = filter_lsoas(common.lsoas(sel.vintage), sel)
    d = sel.decile_domain
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
    ranked.index.name = "LSOA code"
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
release = VINTAGES[sel.vintage]["label"].split(" (")[0]
if "ha_households" in row.index:
    st.subheader("Housing association homes")
    h = st.columns(4)
    h[0].metric(
        f"HA households ({census})",
        f"{int(row['ha_households']):,}",
        help="Households renting from a housing association (HA; ONS 'social rented: "
        "other'); households, not dwellings.",
    )
    h[1].metric("Share of households", f"{row['ha_share'] * 100:.1f}%")
    h[2].metric(
        "In most deprived 10%",
        f"{int(row['ha_households_in_10']):,}",
        help=f"{row['ha_share_in_10'] * 100:.1f}% of them live in England's most deprived 10% "
        f"of neighbourhoods ({release})",
    )
    h[3].metric(
        "In most deprived 20%",
        f"{int(row['ha_households_in_20']):,}",
        help=f"{row['ha_share_in_20'] * 100:.1f}% of them live in England's most deprived 20% "
        f"of neighbourhoods ({release})",
    )

gps = common.gp_practices()
lw_table = common.link_workers()
lw_reg = common.lw_by_registration(sel.vintage)
borough_lw = reg_row = None
if gps is not None and lw_table is not None:
    st.subheader("Social prescribing link workers")
    per_borough = provision.borough_link_workers(gps)
    borough_lw = per_borough.loc[code] if code in per_borough.index else None
    pcns = provision.pcns_serving(lw_table, code)
    if lw_reg is not None:
        all_lsoas = common.lsoas(sel.vintage)
        by_reg = registration.borough_measure(lw_reg, all_lsoas["borough_code"])
        reg_row = by_reg.loc[code] if code in by_reg.index else None
        london_reg = registration.borough_measure(
            lw_reg, pd.Series("London", index=lw_reg.index)
        ).iloc[0]
    lcol = st.columns(4)
    if reg_row is not None:
        lcol[0].metric(
            "FTE per 10,000 residents",
            f"{reg_row['lw_per_10k']:.2f}",
            help="Link-worker FTE of the PCNs the borough's residents are registered with: "
            "each PCN's FTE (NHS England, November 2025) shared among its practices by "
            "registered patients (December 2025), then over where each practice's patients "
            "live (July 2023), summed over the borough's neighbourhoods, per 10,000 residents. "
            f"London: {london_reg['lw_per_10k']:.2f}.",
        )
        lcol[1].metric(
            "Residents with a PCN of unknown FTE",
            f"{reg_row['lw_unknown_share'] * 100:.1f}%",
            help="Share of the borough's residents registered at London practices whose PCN "
            "has no workforce record: their link workers are unknown, not zero, so the FTE "
            "figure is a lower bound when this is above 0.",
        )
    if borough_lw is not None:
        lcol[2].metric(
            "FTE per 10,000 patients of its practices",
            f"{borough_lw['lw_per_10k']:.2f}",
            help="Each PCN's link-worker FTE shared among its practices by registered "
            "patients (December 2025), summed over the practices in the borough, per 10,000 "
            "of their patients (practices of PCNs with a workforce record).",
        )
        lcol[3].metric("GP practices", f"{int(borough_lw['practices']):,}")
    if reg_row is not None:
        st.caption(
            f"By GP registration: {reg_row['lw_fte']:.1f} link-worker FTE serve the borough's "
            f"residents, {reg_row['lw_per_10k']:.2f} per 10,000 residents (London "
            f"{london_reg['lw_per_10k']:.2f})"
            + (
                f"; a lower bound, as {reg_row['lw_unknown_share'] * 100:.1f}% of its residents "
                "registered in London are with a PCN that has no workforce record"
                if reg_row["lw_unknown_share"] > 0
                else ""
            )
            + ". By practice: the FTE of the PCNs' practices in the borough per 10,000 of their "
            "patients."
        )
    pcn_view = pcns.reset_index()[
        ["pcn_code", "pcn_name", "lw_fte", "registered_patients", "lw_per_10k", "n_practices"]
    ].rename(
        columns={
            "pcn_code": "PCN code",
            "pcn_name": "Primary Care Network",
            "lw_fte": "Link-worker FTE",
            "registered_patients": "Registered patients",
            "lw_per_10k": "FTE per 10,000 patients",
            "n_practices": "Practices",
        }
    )
    st.caption(
        f"The {len(pcns)} Primary Care Networks with a practice in the borough (a PCN can span "
        "boroughs). Blank FTE: no workforce record, unknown rather than zero. Source: NHS "
        "England, Primary Care Network Workforce, November 2025; Patients Registered at a GP "
        "Practice, December 2025."
    )
    st.dataframe(
        pcn_view,
        hide_index=True,
        width="stretch",
        column_config={
            "FTE per 10,000 patients": st.column_config.NumberColumn(format="%.2f"),
            "Registered patients": st.column_config.NumberColumn(format="localized"),
            "Link-worker FTE": st.column_config.NumberColumn(format="%.2f"),
        },
    )

places = common.directory()
counts = None
st.subheader("Services and places in the borough")
if common.mode_caption("services") and places is not None:
    counts = provision.category_counts(places, [code]).rename(
        columns={"category_label": "Category", "source_label": "Source", "places": "Places"}
    )
    st.dataframe(counts, hide_index=True, width="stretch")

st.subheader("Top gap neighbourhoods")
_detour = common.detour_default() or float("nan")
_covered = (
    ", ".join(common.streets().report.get("covered_borough_names", []))
    if common.streets() is not None
    else "no borough"
)
mine = st.session_state.get("services")
if common.data_mode() == "both" and (mine is None or not len(mine)):
    gaps_all = common.bundled_gaps(sel.vintage)
else:
    detour = common.detour_default()
    model = common.access_model(None, detour) if detour is not None else None
    gaps_all = None
    if model is not None:
        params = gv.GapParams(vintage=sel.vintage, detour=detour)
        gaps_all = gv.compute_gaps(common.lsoas(sel.vintage), model, params)
top_gaps = None
if gaps_all is not None:
    top_gaps = gv.display_table(gaps_all, gv.GapParams(vintage=sel.vintage), (code,)).head(10)
    keep = [
        c
        for c in top_gaps.columns
        if c
        in (
            "London rank",
            "Rank in selection",
            "Neighbourhood",
            "Gap",
            "Reason",
            "Need percentile",
            "Access percentile",
            "Residents with a place within 800 m",
            "Median resident's walk to the nearest place (m)",
            "Link-worker FTE per 10,000 residents (by registration)",
        )
        or c.startswith("Housing association households")
    ]
    top_gaps = top_gaps[keep]
    st.caption(
        "Default gap finder settings: all themes, 800 m walking catchment measured from where "
        "people live (Census 2021 Output Areas, weighted by residents): on the OpenStreetMap "
        f"streets in {_covered} (© OpenStreetMap contributors, ODbL), elsewhere straight line x "
        f"{_detour:.2f} (the detour measured there); need = health, income and employment "
        "equally; ranks are London-wide. Open the Gap finder to change them."
    )
    st.dataframe(
        top_gaps,
        width="stretch",
        column_config={"Reason": st.column_config.TextColumn(width="large")},
    )
else:
    st.caption("No services or places are used, so gaps cannot be measured.")

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
fig_table = pd.DataFrame(figures).T.rename_axis("Domain")
st.dataframe(fig_table, width="stretch")

st.download_button(
    "Download a report of this borough (HTML, printable)",
    data=borough_report(
        row,
        ranked,
        vintage_label=VINTAGES[sel.vintage]["label"],
        domain=d,
        gaps=top_gaps,
        parameters={
            "Deciles shown": f"{sel.deciles[0]}-{sel.deciles[1]}",
            "Data used": provision.MODES[common.data_mode()],
            "Gap settings": f"all themes, 800 m walking from where people live (streets in "
            f"{_covered}, elsewhere straight line x {_detour:.2f}), need = health, income, "
            "employment",
        },
        housing=row if "ha_households" in row.index else None,
        census_label=census,
        link_workers=borough_lw,
        registration=reg_row,
        pcns=pcn_view if gps is not None and lw_table is not None else None,
        places=counts,
    ).encode("utf-8"),
    file_name=f"{row['borough_name'].replace(' ', '_')}_report.html",
    mime="text/html",
    on_click="ignore",  # a download needs no rerun
)
st.page_link(
    "app_pages/gaps.py", label="Find gaps in services for this borough →", icon=":material/search:"
)
st.page_link(
    "app_pages/pcn.py",
    label="Primary Care Network view: where a PCN's patients live →",
    icon=":material/groups:",
)
