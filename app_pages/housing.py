"""Housing associations: upload a stock list, see which homes lack services and how deprived
their neighbourhoods are, and download a coverage table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, mapping, upload_ui
from geo.analysis import beyond as reach
from geo.analysis import gapview as gv
from geo.analysis import provision
from geo.analysis.selection import Selection
from geo.data.directory import NO_OPEN_DATA
from geo.outputs.export import safe_csv

LABELS = {
    "row": "Row in your file",
    "label": "Home / scheme",
    "borough_code": "Borough code",
    "borough_name": "Borough",
    "lsoa_code": "LSOA code",
    "lsoa_name": "Neighbourhood (LSOA)",
    "locations": "Locations",
    "homes": "Homes",
    "units": "Homes",
    "homes_most_deprived_20": "Homes in most deprived 20% (IMD)",
    "imd_decile": "IMD decile",
    "health_decile": "Health decile",
    "income_decile": "Income decile",
    "employment_decile": "Employment decile",
    "population": "Population",
    "services_within_all": "Services nearby (all themes)",
    "nearest_m_all": "Nearest service (m)",
}


def _show(frame: pd.DataFrame, **kwargs) -> None:
    """A table with readable headings."""
    st.dataframe(frame.rename(columns=LABELS), width="stretch", **kwargs)


sel: Selection = st.session_state["selection"]
st.title("Housing associations: homes, services and deprivation")
st.markdown(
    "Where London's housing association tenants live, how deprived those neighbourhoods are, "
    "and how many live beyond walking reach of each kind of help, from the Census 2021 and "
    "the bundled service directory. Upload your own stock list below to see the same figures "
    "for your homes beside the Census baseline."
)

catchment = st.select_slider(
    "Walking distance counted as 'nearby'",
    options=[400, 800, 1200, 1600],
    value=800,
    format_func=lambda m: f"{m} m (about {round(m / 80)} min walk)",
    help="Walking distance from where people live: on the OpenStreetMap streets where the "
    "bundled network covers (see Data and method), elsewhere the straight line x the detour "
    "factor measured there; parks are measured to their nearest edge.",
    key="housing_catchment",
)
has_places = common.mode_caption("services")
supply = common.supply() if has_places else None
uncovered = provision.uncovered_themes(supply, NO_OPEN_DATA)
detour = common.detour_default()
street_data = common.streets()
model = common.access_model(None, detour) if has_places and detour is not None else None
covered_names = (
    ", ".join(street_data.report.get("covered_borough_names", []))
    if street_data is not None
    else "no borough"
)
walking_words = (
    f"on the OpenStreetMap streets in {covered_names} (© OpenStreetMap contributors, ODbL), "
    f"elsewhere the straight line x {detour:.2f} (the detour measured there)"
    if detour is not None
    else "not measured (no walking data installed)"
)


@st.cache_data(show_spinner="Counting households beyond reach…")
def _census_beyond(catchment: float) -> pd.DataFrame:
    """Census baseline with the bundled directory only (shared across sessions)."""
    return reach.ha_beyond_reach(
        common.lsoas("iod2025"), common.bundled_model(detour), catchment=catchment
    )


def _beyond(catchment: float) -> pd.DataFrame:
    mine = st.session_state.get("services")
    if common.data_mode() == "both" and (mine is None or not len(mine)):
        return _census_beyond(catchment)
    return reach.ha_beyond_reach(common.lsoas("iod2025"), model, catchment=catchment)


bor21 = common.boroughs("iod2025")
if "ha_households" not in bor21.columns:
    st.warning(
        "The Census housing association figures are not installed; run `python -m geo build`."
    )
else:
    st.header("Census 2021 baseline: housing association households")
    total = bor21["ha_households"].sum()
    c = st.columns(4)
    c[0].metric(
        "HA households, London",
        f"{int(total):,}",
        help="Households renting from a housing association (HA): Census 2021 TS054 'Social "
        "rented: other social rented' (ONS). Households, not dwellings; some tenants mix up "
        "council and housing association landlords.",
    )
    c[1].metric("Share of London's households", f"{total / bor21['households'].sum() * 100:.1f}%")
    c[2].metric(
        "In most deprived 10%",
        f"{int(bor21['ha_households_in_10'].sum()):,}",
        help=f"{bor21['ha_households_in_10'].sum() / total * 100:.1f}% of them live in "
        "England's most deprived 10% of neighbourhoods (IMD 2025 decile 1)",
    )
    c[3].metric(
        "In most deprived 20%",
        f"{int(bor21['ha_households_in_20'].sum()):,}",
        help=f"{bor21['ha_households_in_20'].sum() / total * 100:.1f}% of them; IMD 2025 "
        "deciles 1-2",
    )
    beyond = _beyond(float(catchment)) if model is not None else None
    baseline = provision.census_baseline(bor21, beyond, list(uncovered))
    st.subheader(f"Households beyond walking reach ({catchment:,} m) of each theme, by borough")
    st.caption(
        f"'Beyond reach': no place of the theme within {catchment:,} m walking of where they "
        "live. The Census gives households per neighbourhood (LSOA), not addresses, so each "
        "neighbourhood's housing association households are counted beyond reach in "
        "proportion to its residents beyond reach (residents counted in the Census 2021 "
        f"Output Areas, at their population-weighted centres). Walking: {walking_words}. "
        "Places: "
        + (
            "none (mine only, no upload)."
            if supply is None
            else f"{provision.MODES[common.data_mode()].lower()}."
        )
    )
    if uncovered:
        st.caption(
            "Not scored: "
            + "; ".join(
                f"**{t}**: {provision.NO_DATA_TEXT if t in NO_OPEN_DATA else 'no place of this theme'}"
                for t in uncovered
            )
            + "."
        )
    st.dataframe(
        baseline,
        width="stretch",
        hide_index=True,
        height=420,
        column_config=common.number_formats(baseline),
    )
    st.download_button(
        "Download the Census baseline (CSV)",
        data=safe_csv(
            baseline,
            header_lines=[
                "homes=ONS Census 2021 TS054 (households renting from a housing association), OGL",
                "deprivation=English Indices of Deprivation 2025 (MHCLG, OGL)",
                f"catchment_m={catchment}",
                f"walking={walking_words}",
                "beyond_reach=an LSOA's households x share of its residents (Census 2021 "
                "Output Areas) with no place of the theme within the catchment",
                f"data_used={provision.MODES[common.data_mode()]}",
                common.SOURCES_SHORT,
            ],
        ),
        file_name=f"census_baseline_housing_associations_{catchment}m.csv",
        mime="text/csv",
        on_click="ignore",
    )

st.header("Your stock list")
st.markdown(
    "Upload your stock list (one row per home or per scheme, with postcodes or coordinates). "
    "It stays in this browser session only: it is not saved and no one else can see it."
)

stock = upload_ui.session_upload(
    "stock",
    key="stock",
    describe=lambda f: f"{len(f):,} locations, {int(f['units'].sum()):,} homes",
)
if stock is None:
    st.info(
        "No stock list loaded yet. Download the template above, or upload any CSV/Excel file "
        "with a postcode column, or latitude and longitude, or easting and northing."
    )
    st.stop()

lsoas = common.lsoas("iod2025")
services = supply
st.header("Where your homes are")
homes = stock["units"]
dep = lsoas.reindex(stock["lsoa_code"])
in20 = dep["imd_decile"].le(2).to_numpy()
in10 = dep["imd_decile"].eq(1).to_numpy()
c = st.columns(4)
c[0].metric("Homes placed", f"{int(homes.sum()):,}", help=f"{len(stock):,} locations")
c[1].metric("Boroughs", f"{stock['borough_code'].nunique()}")
c[2].metric(
    "Homes in England's most deprived 10% (IMD 2025)",
    f"{homes[in10].sum() / homes.sum() * 100:.1f}%",
)
c[3].metric("Homes in the most deprived 20%", f"{homes[in20].sum() / homes.sum() * 100:.1f}%")

per_borough = (
    stock.assign(in20=homes.where(in20, 0))
    .groupby(["borough_code", "borough_name"])
    .agg(
        locations=("units", "size"), homes=("units", "sum"), homes_most_deprived_20=("in20", "sum")
    )
    .reset_index()
    .sort_values("homes", ascending=False)
)
per_lsoa = (
    stock.groupby("lsoa_code")["units"]
    .sum()
    .rename("homes")
    .to_frame()
    .join(
        lsoas[
            [
                "lsoa_name",
                "borough_name",
                "imd_decile",
                "health_decile",
                "income_decile",
                "population",
            ]
        ]
    )
    .sort_values("homes", ascending=False)
)
t1, t2 = st.tabs(["By borough", "By neighbourhood (LSOA)"])
with t1:
    _show(per_borough, hide_index=True)
with t2:
    _show(per_lsoa.rename_axis("LSOA code"))

st.header("Services near your homes")
coverage = stock.drop(columns="geometry").copy()
coverage = coverage.join(
    dep[
        ["lsoa_name", "imd_decile", "health_decile", "income_decile", "employment_decile"]
    ].set_axis(stock.index)
)
if services is None or services.empty or model is None:
    st.warning(
        "No services or places are used (you chose *mine only* and have not uploaded a service "
        "directory), so services near your homes cannot be counted. Upload yours, or choose "
        "*Bundled and mine* in the sidebar."
    )
    st.page_link(
        "app_pages/services.py", label="Upload a service directory", icon=":material/list:"
    )
else:
    within, nearest = common.per_session(
        "_housing_home_measures",
        (
            gv.frame_digest(stock),
            common.data_mode(),
            gv.frame_digest(st.session_state.get("services")),
            catchment,
            detour,
        ),
        lambda: reach.home_measures(stock, model, street_data, catchment=float(catchment)),
    )
    coverage = coverage.join(within.add_prefix("services_within_")).join(
        nearest.round(0).add_prefix("nearest_m_")
    )
    none_near = coverage["services_within_all"].eq(0)
    c = st.columns(3)
    c[0].metric(f"Homes with no service within {catchment} m", f"{int(homes[none_near].sum()):,}")
    c[1].metric("...of them in the most deprived 20%", f"{int(homes[none_near & in20].sum()):,}")
    c[2].metric("Places used", f"{gv.count_places(services):,}")

    st.subheader("Your homes beside the Census baseline of their boroughs")
    st.caption(
        f"Homes (yours) and housing association households (Census 2021) in England's most "
        f"deprived 10% / 20% (IMD 2025) and beyond {catchment:,} m walking of each theme. Your "
        "homes are measured from their own location; Census households are counted beyond "
        "reach in proportion to their neighbourhood's residents beyond reach (Output Areas). "
        f"Walking: {walking_words}."
    )
    mine_beyond = reach.homes_beyond_reach(
        stock, within, [t for t in provision.SERVICE_THEMES if t not in uncovered]
    )
    census_beyond = _beyond(float(catchment))
    side = provision.homes_vs_baseline(
        stock, lsoas, mine_beyond, bor21, census_beyond, uncovered=uncovered
    )
    st.dataframe(side, width="stretch", hide_index=True, column_config=common.number_formats(side))
    st.session_state["_housing_side_by_side"] = side
    st.subheader(f"Homes with no service within {catchment} m")
    st.caption("Most deprived places first, then the farthest from any service.")
    _show(
        coverage.loc[
            none_near,
            ["row", "label", "borough_name", "lsoa_name", "imd_decile", "units", "nearest_m_all"],
        ].sort_values(["imd_decile", "nearest_m_all"], ascending=[True, False]),
        hide_index=True,
    )
    st.subheader("All your homes: services nearby and nearest, by theme")
    st.caption(
        "'Services within' counts places within the walking distance above (parks to their "
        "nearest edge); 'nearest m' is the walking distance to the nearest place of that theme "
        f"(blank: none used). Walking: {walking_words}."
    )
    _show(coverage.head(5000), hide_index=True)
    if len(coverage) > 5000:
        st.caption(f"First 5,000 of {len(coverage):,} locations shown; the download has all.")

st.download_button(
    "Download the coverage table of your homes (CSV)",
    data=safe_csv(
        coverage.reset_index(drop=True),
        header_lines=[
            f"catchment_m={catchment}",
            f"walking={walking_words}",
            f"places_used={gv.count_places(services)}",
            f"data_used={provision.MODES[common.data_mode()]}",
            "deprivation=English Indices of Deprivation 2025 (MHCLG, OGL)",
        ],
    ),
    file_name="homes_coverage.csv",
    mime="text/csv",
    on_click="ignore",  # a download needs no rerun
)

st.header("Map")
m = mapping.build_map(sel, stock=stock, bundled_layers=True)
mapping.show_map(
    m,
    key="housing_map",
    description=mapping.describe_map(sel, stock=stock),
    table=lambda: mapping.map_table(sel),
)
common.sources_caption()
