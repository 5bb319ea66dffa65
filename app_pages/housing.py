"""Housing associations: upload a stock list, see which homes lack services and how deprived
their neighbourhoods are, and download a coverage table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, mapping, upload_ui
from geo import access
from geo.export import safe_csv
from geo.selection import Selection
from geo.themes import THEMES

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
st.title("Housing associations: your homes, services and deprivation")
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
services = st.session_state.get("services")
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
catchment = st.select_slider(
    "Walking distance counted as 'nearby'",
    options=[400, 800, 1200, 1600],
    value=800,
    format_func=lambda m: f"{m} m (about {round(m / 80)} min walk)",
    help="Straight-line distance x 1.3 (detour factor), a stated proxy for the walking route.",
)
if services is None or services.empty:
    st.warning(
        "No community services are loaded, so services near your homes cannot be counted. "
        "No official directory of social prescribing services is bundled with the app: upload "
        "your own or your council's directory."
    )
    st.page_link(
        "app_pages/services.py", label="Upload a service directory", icon=":material/list:"
    )
else:
    within = access.services_within(
        stock, services, catchment=catchment, by="theme", themes=list(THEMES)
    )
    nearest = access.nearest_service(stock, services, by="theme", themes=list(THEMES))
    coverage = coverage.join(within.add_prefix("services_within_")).join(
        nearest.round(0).add_prefix("nearest_m_")
    )
    none_near = coverage["services_within_all"].eq(0)
    c = st.columns(3)
    c[0].metric(f"Homes with no service within {catchment} m", f"{int(homes[none_near].sum()):,}")
    c[1].metric("...of them in the most deprived 20%", f"{int(homes[none_near & in20].sum()):,}")
    c[2].metric("Services loaded", f"{len(services):,}")
    missing = {
        t: int(homes[within[t].eq(0)].sum())
        for t in THEMES
        if t in within and services["theme"].eq(t).any()
    }
    if missing:
        st.caption("Homes with no service of each theme nearby:")
        st.dataframe(
            pd.DataFrame(
                {"Theme": list(missing), "Homes with none nearby": list(missing.values())}
            ),
            hide_index=True,
            width="stretch",
        )
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
        "'Services within' counts services within the walking distance above; 'nearest m' is "
        "the walking-distance proxy to the nearest service of that theme (blank: none loaded)."
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
            "detour_factor=1.3",
            f"services_loaded={0 if services is None else len(services)}",
            "deprivation=English Indices of Deprivation 2025 (MHCLG, OGL)",
        ],
    ),
    file_name="homes_coverage.csv",
    mime="text/csv",
    on_click="ignore",  # a download needs no rerun
)

st.header("Map")
m = mapping.build_map(sel, stock=stock, services=services)
mapping.show_map(m, key="housing_map")
common.sources_caption()
