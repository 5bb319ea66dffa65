"""The Streamlit app, run headless with AppTest: every page, the filters, the URL."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.data import io
from tests.conftest import ROOT

APP = ROOT / "app.py"

PAGES = [
    "app_pages/overview.py",
    "app_pages/borough.py",
    "app_pages/pcn.py",
    "app_pages/gaps.py",
    "app_pages/housing.py",
    "app_pages/services.py",
    "app_pages/method.py",
]


def _app(**query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _query(at: AppTest) -> dict[str, str]:
    """The app's query parameters, one value per key."""
    return {k: v if isinstance(v, str) else ",".join(v) for k, v in at.query_params.items()}


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _synthetic_services() -> gpd.GeoDataFrame:
    """Clearly synthetic: 21 services at real Tower Hamlets LSOA centroids, three per theme."""
    from geo.data.themes import THEMES

    lsoas = io.load_lsoas("iod2025")
    pts = lsoas[lsoas.borough_code == "E09000030"].representative_point().iloc[:21]
    return gpd.GeoDataFrame(
        {
            "name": [f"Synthetic service {i}" for i in range(21)],
            "theme": [THEMES[i % 7] for i in range(21)],
            "capacity": float("nan"),
            "borough_code": "E09000030",
        },
        geometry=pts.to_numpy(),
        crs=27700,
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(page):
    at = _app()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_uploaded_services(page):
    at = _app()
    at.session_state["services"] = _synthetic_services()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]


def test_filters_change_what_is_shown():
    at = _app()
    assert _metric(at, "Neighbourhoods shown") == "4,994"
    # the borough comparison is drawn only once its expander is opened
    assert not at.dataframe and not at.get("vega_lite_chart")
    at.session_state["compare_boroughs"] = True
    at.run()
    table = at.dataframe[0].value
    assert len(table) == 33
    assert len(at.get("vega_lite_chart")) == 1
    at.sidebar.multiselect[0].select("E09000030").run()
    assert _metric(at, "Neighbourhoods shown") == "169"
    assert _query(at) == {"borough": "E09000030"}
    at.sidebar.slider[0].set_value((1, 2)).run()
    lsoas = io.load_lsoas("iod2025")
    n = ((lsoas.borough_code == "E09000030") & (lsoas.imd_decile <= 2)).sum()
    assert _metric(at, "Neighbourhoods shown") == f"{n:,}"
    at.sidebar.selectbox(key="domain").select("health").run()
    n = ((lsoas.borough_code == "E09000030") & (lsoas.health_decile <= 2)).sum()
    assert _metric(at, "Neighbourhoods shown") == f"{n:,}"
    # the borough table is re-sorted by the health domain
    first = at.dataframe[0].value.iloc[0]
    boroughs = io.load_boroughs("iod2025")
    assert first["Borough"] == boroughs.loc[boroughs["health_share_10"].idxmax(), "borough_name"]
    assert _query(at) == {"borough": "E09000030", "indicator": "health", "deciles": "1-2"}


def test_link_reproduces_the_view():
    at = _app(borough="E09000012", indicator="income", vintage="iod2019", deciles="1-3")
    assert not at.exception
    assert at.session_state["boroughs"] == ["E09000012"]
    assert at.session_state["domain"] == "income"
    assert at.session_state["vintage"] == "iod2019"
    lsoas = io.load_lsoas("iod2019")
    n = ((lsoas.borough_code == "E09000012") & lsoas.income_decile.between(1, 3)).sum()
    assert _metric(at, "Neighbourhoods shown") == f"{n:,}"
    # and the URL it writes back is the same selection
    assert _query(at) == {
        "borough": "E09000012",
        "indicator": "income",
        "vintage": "iod2019",
        "deciles": "1-3",
    }


def test_bad_link_warns_and_falls_back():
    at = _app(borough="E09999999", indicator="nonsense")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "E09999999" in warnings and "nonsense" in warnings
    assert _metric(at, "Neighbourhoods shown") == "4,994"


def test_borough_view_key_figures():
    at = _app(borough="E09000030")
    at.switch_page("app_pages/borough.py").run()
    assert not at.exception
    boroughs = io.load_boroughs("iod2025")
    row = boroughs.loc["E09000030"]
    assert at.header[0].value == "Tower Hamlets"
    assert _metric(at, "Rank in London (IMD average score)") == f"{row.imd_avg_score_rank} of 33"
    assert _metric(at, "Population") == f"{row.population:,}"
    ranked = next(d.value for d in at.dataframe if "Rank in England" in d.value.columns)
    assert len(ranked) == 169 and ranked["Rank in England"].is_monotonic_increasing


def test_method_page_lists_every_processed_file_and_licence():
    at = _app()
    at.switch_page("app_pages/method.py").run()
    text = " ".join(m.value for m in at.markdown)
    assert "Open Government Licence" in text or "OGL" in text
    assert "Contains Ordnance Survey data" in text
    # every bundled layer with its source, vintage and licence; gaps and what is not bundled
    from geo.data.directory import CATEGORIES

    for meta in CATEGORIES.values():
        assert meta["label"] in text
    for phrase in (
        "TS054",
        "TS007A",
        "TS038",
        "KS402EW",
        "Code-Point Open",
        "Primary Care Network Workforce",
        "ODbL",
        "© OpenStreetMap contributors",
        "OS OpenData",
        "households, not dwellings",
        "confuse council and housing association",
        "no workforce record",
        "Financial inclusion",
        "Citizens Advice offices are not in open data",
        "PTAL 2015",
        "not TfL's own palette",
        "The vintages differ",
        "July 2023",
        "U01096",
        "East of England region",
        "registered office",
    ):
        assert phrase in text, phrase
    files = at.dataframe[-1].value["File"].tolist()
    assert {f["path"] for f in io.load_manifest()["files"]} == set(files)


def _synthetic_stock() -> gpd.GeoDataFrame:
    """Clearly synthetic homes: 30 locations at real LSOA points in Tower Hamlets and Barnet."""
    lsoas = io.load_lsoas("iod2025")
    part = pd.concat(
        [
            lsoas[lsoas.borough_code == "E09000030"].iloc[:15],
            lsoas[lsoas.borough_code == "E09000003"].iloc[:15],
        ]
    )
    return gpd.GeoDataFrame(
        {
            "row": range(2, 32),
            "location_source": "latitude/longitude",
            "borough_code": part["borough_code"].to_numpy(),
            "borough_name": part["borough_name"].to_numpy(),
            "lsoa_code": part.index.to_numpy(),
            "label": [f"Synthetic scheme {i}" for i in range(30)],
            "units": 3,
            "tenure": pd.NA,
            "provider": pd.NA,
            "uprn": pd.NA,
        },
        geometry=part.representative_point().to_numpy(),
        crs=27700,
    )


def test_housing_page_counts_homes_without_services_nearby():
    from geo.analysis import access

    stock, services = _synthetic_stock(), _synthetic_services()
    at = _app()
    at.session_state["stock"] = stock
    at.session_state["services"] = services
    at.session_state["data_mode"] = "mine"  # only the synthetic services count
    at.switch_page("app_pages/housing.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Homes placed") == "90"
    assert _metric(at, "Boroughs") == "2"
    # the sidebar says what this session holds (one caption, drawn after the page)
    status = at.sidebar.caption[-1].value
    assert status.startswith("Your data (kept only in this browser session)")
    assert f"Homes: {len(stock):,}" in status and f"Services: {len(services):,}" in status
    # outside the street network (Camden) homes are measured straight line x the measured detour
    assert not stock["borough_code"].eq("E09000007").any()
    detour = io.load_detour()["detour_default"]
    within = access.services_within(stock, services, catchment=800, detour=detour)["all"]
    lonely = int(stock["units"][within.eq(0)].sum())
    # the services are all in Tower Hamlets, so Barnet's 45 homes have none nearby
    assert lonely >= 45
    assert _metric(at, "Homes with no service within 800 m") == f"{lonely:,}"
    lsoas = io.load_lsoas("iod2025")
    in20 = lsoas.loc[stock["lsoa_code"], "imd_decile"].le(2).to_numpy()
    share = stock["units"][in20].sum() / stock["units"].sum() * 100
    assert _metric(at, "Homes in the most deprived 20%") == f"{share:.1f}%"
