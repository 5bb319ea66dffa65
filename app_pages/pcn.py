"""PCN view for commissioners: one Primary Care Network's practices and link workers, and the
neighbourhoods where its patients live, with their deprivation and gaps."""

from __future__ import annotations

import re

import geopandas as gpd
import streamlit as st

from app_pages import common, mapping
from geo import web
from geo.analysis import pcnview
from geo.analysis.selection import Selection, bounds_of
from geo.data.indicators import VINTAGES
from geo.outputs.export import safe_csv
from geo.outputs.report import pcn_report

TOP_N = 15  # neighbourhoods listed first (all of them in the download)

sel: Selection = st.session_state["selection"]
st.title("Primary Care Network view")
st.markdown(
    "Social prescribing link workers are employed by Primary Care Networks (PCNs), so a "
    "resident's access to one follows their GP registration. Pick a PCN to see its practices, "
    "its link workers and the neighbourhoods where its patients live, with their deprivation "
    "and gaps."
)

pcns = common.link_workers()
m = common.registration_measure()
icbs = common.icbs()
if pcns is None or m is None:
    st.warning(
        "The bundled NHS tables (PCN link workers, where patients live) are not installed, so "
        "this page has nothing to show. Run `python -m geo build`."
    )
    st.stop()

options = pcnview.pcn_options(pcns, sel.icb or None, () if sel.icb else sel.boroughs)
linked = st.session_state.get("_pcn")
if linked and linked not in pcns.index:
    st.warning(f"Unknown PCN code '{linked}' in the link; choose a PCN below.")
    st.session_state["_pcn"] = linked = None
if linked and linked not in options:
    options = [linked, *options]  # the linked PCN stays choosable whatever the sidebar says
where = (
    f"commissioned by {icbs.loc[sel.icb, 'short_name']} ICB"
    if sel.icb and icbs is not None and sel.icb in icbs.index
    else ("with a practice in the boroughs chosen in the sidebar" if sel.boroughs else "")
)
if st.session_state.get("pcn_choice") not in options:  # first visit, or the list changed
    st.session_state["pcn_choice"] = linked if linked in options else None
code = st.selectbox(
    f"Primary Care Network ({len(options)}{' ' + where if where else ' in London'})",
    options=options,
    key="pcn_choice",
    format_func=lambda c: pcnview.pcn_label(pcns, c),
    placeholder="Choose a PCN (type to search)",
    help="The ICB or boroughs chosen in the sidebar narrow this list.",
)
st.session_state["_pcn"] = code
if code is None:
    listed = pcnview.pcn_list(pcns, options, icbs["short_name"] if icbs is not None else None)
    st.subheader(f"The {len(listed):,} PCNs{' ' + where if where else ' in London'}")
    st.caption(
        "Least link-worker provision first: social prescribing link-worker FTE (NHS England, "
        "PCN Workforce, November 2025) per 10,000 registered patients (December 2025). A PCN "
        "with no workforce record has unknown FTE (empty), not zero. Pick one above to see "
        "where its patients live."
    )
    st.dataframe(listed, width="stretch", column_config=common.number_formats(listed))
    st.download_button(
        "Download the PCN list (CSV)",
        data=lambda: safe_csv(listed.reset_index(), header_lines=[common.SOURCES_SHORT]),
        file_name="pcns_link_workers.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="pcn_list_csv",
    )
    st.stop()
st.query_params["pcn"] = code  # a link to this view

fig = pcnview.pcn_figures(m, pcns, code)
icb_name = (
    icbs.loc[fig["icb_code"], "short_name"]
    if icbs is not None and fig["icb_code"] in icbs.index
    else None
)
bor = common.boroughs(sel.vintage)
names = bor["borough_name"]
practices = pcnview.pcn_practices(m, code, names)
st.header(pcnview.pcn_label(pcns, code))
st.caption(
    f"Commissioned by {icb_name + ' ICB' if icb_name else 'an ICB outside London'}"
    + (
        f" (its practices are in ICBs {fig['icb_codes']})"
        if isinstance(fig["icb_codes"], str) and ";" in fig["icb_codes"]
        else ""
    )
    + f" · practices in {', '.join(sorted(set(practices['Borough'].dropna())))}"
)
c = st.columns(4)
if fig["has_record"]:
    c[0].metric("Link-worker FTE (November 2025)", f"{fig['lw_fte']:.2f}")
    c[1].metric(
        "FTE per 10,000 registered patients",
        f"{fig['lw_per_10k_patients']:.2f}",
        help="The PCN's FTE per 10,000 patients of its London practices (December 2025).",
    )
else:
    c[0].metric("Link-worker FTE (November 2025)", "unknown")
    c[1].metric("FTE per 10,000 registered patients", "unknown")
    st.info(
        "This PCN has **no London workforce record** in NHS England's PCN Workforce data "
        "(November 2025): its link workers are unknown, not zero, and no FTE of it is placed "
        "on the neighbourhoods below. (A PCN across London's boundary may have its record "
        "filed under another NHS region; see the Data and method page.)",
        icon=":material/info:",
    )
c[2].metric("Practices", f"{fig['practices']:,}")
c[3].metric("Registered patients (December 2025)", f"{fig['patients']:,.0f}")

st.subheader("Practices")
st.dataframe(practices, width="stretch", column_config=common.number_formats(practices))

st.subheader("Where its patients live")
shown_lsoas = common.lsoas(sel.vintage)
gaps = common.bundled_gaps(sel.vintage) if common.data_mode() == "both" else None
hoods = pcnview.pcn_neighbourhoods(m, code, sel.vintage, shown_lsoas, gaps)
r = st.columns(4)
r[0].metric(
    "Patients in July 2023",
    f"{fig['patients_2023']:,.0f}",
    help=f"At the {fig['practices_found']} of its {fig['practices']} practices that are in the "
    "July 2023 LSOA file.",
)
r[1].metric("Living in London", f"{fig['patients_london']:,.0f}")
r[2].metric("Outside London / not known", f"{fig['patients_outside_london']:,.0f} / "
            f"{fig['patients_residence_unknown']:,.0f}")  # fmt: skip
r[3].metric("London neighbourhoods", f"{len(hoods):,}", help=VINTAGES[sel.vintage]["label"])
st.caption(
    "Where patients live is NHS England's July 2023 LSOA file; the practice list and FTE are "
    "December and November 2025 (the vintages differ). Share = the PCN's patients living in "
    "the neighbourhood / all its residents registered at a GP practice."
    + (
        " On LSOAs 2021, patients of a split 2011 LSOA are shared by Census 2021 population."
        if sel.vintage == "iod2025"
        else ""
    )
)

frame = hoods.assign(
    pcn_pct=(hoods["pcn_share"] * 100).round(1),
    pcn_patients=hoods["pcn_patients"].round(0),
    lw_per_10k=hoods["lw_per_10k"].round(2),
)
top = hoods.head(TOP_N)
if len(top):
    st.markdown(
        "**Most of its patients live in** "
        + "; ".join(
            f"{row.lsoa_name} ({row.borough_name}): {row.pcn_patients:,.0f} patients, "
            f"{row.pcn_share:.0%} of the neighbourhood's registered residents, IMD decile "
            f"{int(row.imd_decile)}"
            for row in top.head(5).itertuples()
        )
        + "."
    )

shapes = common.lsoas(sel.vintage, web=True)
layer = gpd.GeoDataFrame(
    frame.drop(columns=["lsoa_name", "borough_name"]),
    geometry=shapes.geometry.reindex(frame.index).values,
    crs=shapes.crs,
).join(shapes[["lsoa_name", "borough_name"]])
bshapes = common.boroughs(sel.vintage, web=True)
boroughs_of = sorted(set(shown_lsoas["borough_code"].reindex(top.index).dropna()))
near = layer[layer["pcn_pct"].ge(10)]  # where it matters most: the map opens on them
mp = web.base_map(bounds_of(near if len(near) else layer) if len(layer) else bounds_of(bshapes))
if len(layer):
    web.add_pcn_share_layer(
        mp,
        layer,
        {
            "lsoa_name": "Neighbourhood (LSOA)",
            "borough_name": "Borough",
            "pcn_patients": "Patients of this PCN (July 2023)",
            "pcn_pct": "% of the neighbourhood's registered residents",
            "imd_decile": "IMD decile (1 = most deprived 10%)",
            "lw_per_10k": "Link-worker FTE per 10,000 residents (all their PCNs)",
        },
        geometry=mapping.lsoa_geometry(Selection(vintage=sel.vintage), layer.index),
    )
web.add_boroughs(
    mp,
    mapping.nearby_boroughs(bshapes, boroughs_of),
    highlight=boroughs_of,
    geometry=web.web_layer("boroughs", sel.vintage),
)
gps = common.gp_practices()
if gps is not None:
    web.add_link_worker_layer(
        mp,
        gps[gps["pcn_code"].eq(code).to_numpy()],
        show=True,
        points=web.web_points("places"),
    )
mapping.show_map(web.finish(mp), key="pcn_map")
common.sources_caption()

cols = {
    "lsoa_name": "Neighbourhood",
    "borough_name": "Borough",
    "pcn_patients": "Patients of this PCN",
    "lsoa_patients": "Registered residents (all practices)",
    "pcn_pct": "% of registered residents",
    "imd_decile": "IMD decile",
    "lw_per_10k": "Link-worker FTE per 10,000 residents (all PCNs)",
    "lw_unknown_pct": "% residents with a PCN of unknown FTE",
    "gap": "Gap (services, default settings)",
    "gap_rank": "Gap rank in London",
}
table = frame.assign(lw_unknown_pct=(frame["lw_unknown_share"] * 100).round(1))
table["lsoa_patients"] = table["lsoa_patients"].round(0)
table = table[[c for c in cols if c in table.columns]].rename(columns=cols)
table.index.name = "LSOA code"
if "Gap (services, default settings)" in table:
    table["Gap (services, default settings)"] = table["Gap (services, default settings)"].round(3)
st.subheader(f"Neighbourhoods by its patients (first {min(TOP_N, len(table))} of {len(table):,})")
st.caption(
    "Gap: the gap finder's default (all themes, 800 m walking, need = health, income and "
    "employment) on the bundled directory; 1 is the highest need with the lowest access."
)
st.dataframe(table.head(TOP_N), width="stretch", column_config=common.number_formats(table))
slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{code}_{fig['name']}").strip("_")[:60]
d1, d2 = st.columns(2)
d1.download_button(
    f"Download all {len(table):,} neighbourhoods (CSV)",
    data=lambda: safe_csv(
        table.reset_index(),
        header_lines=[
            f"pcn={code}",
            f"pcn_name={fig['name']}",
            f"vintage={sel.vintage}",
            "patients: NHS England, Patients Registered at a GP Practice, LSOA file, July 2023",
            common.SOURCES_SHORT,
        ],
    ),
    file_name=f"pcn_{slug}_{sel.vintage}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
d2.download_button(
    "Download a report of this PCN (HTML, printable)",
    data=lambda: pcn_report(
        fig,
        code,
        practices,
        table.head(50),
        vintage_label=VINTAGES[sel.vintage]["label"],
        icb_name=f"{icb_name} ICB" if icb_name else None,
        parameters={
            "Neighbourhoods": VINTAGES[sel.vintage]["label"],
            "Gap settings": "all themes, 800 m walking (x1.3 detour), need = health, income, "
            "employment; bundled directory",
        },
    ).encode("utf-8"),
    file_name=f"pcn_{slug}_report.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/print:",
)
