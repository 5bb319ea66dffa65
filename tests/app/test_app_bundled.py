"""Every page on the bundled real data with no upload, the data mode, and postcode-only stock.

Runs the app headless with AppTest on the processed data under ``data/`` (Census 2021 tenure,
the bundled service directory, PCN link workers, the Code-Point Open postcode lookup).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import uploads
from geo.analysis import provision, registration
from geo.data import io
from geo.data.postcodes import LOOKUP_LABEL
from tests.conftest import ROOT

TIMEOUT = 180
TOWER_HAMLETS = "E09000030"


def _page(page: str, mode: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page)
    if mode is not None:
        at.session_state["data_mode"] = mode
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def common_measure():
    """The link-worker measure by registration, as the pages compute it."""
    svc = io.load_services()
    return registration.measure(
        svc[svc["category"].eq("gp_practice")],
        io.load_link_workers(),
        io.load_registrations(),
        io.load_lsoas("iod2025"),
        io.load_lsoas("iod2019"),
    )


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _text(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.info, *at.warning]
    return " ".join(str(p.value) for p in parts)


def test_housing_page_shows_census_baseline_without_upload():
    at = _page("app_pages/housing.py")
    assert _metric(at, "HA households, London") == "376,986"
    boroughs = io.load_boroughs("iod2025")
    assert _metric(at, "In most deprived 10%") == (
        f"{int(boroughs['ha_households_in_10'].sum()):,}"
    )
    table = at.dataframe[0].value
    assert table["Area"].iloc[0] == "London" and len(table) == 34
    assert table["Housing association households"].iloc[0] == 376_986
    assert table["Housing association households"].iloc[1:].sum() == 376_986
    # beyond reach of each theme with bundled places: a count and a share, catchment stated
    assert "Health and wellbeing: beyond reach" in table.columns
    assert "Health and wellbeing: % beyond reach" in table.columns
    # food banks and credit unions: financial inclusion is measured like the other themes
    assert table["Financial inclusion: beyond reach"].map(type).eq(int).all()
    assert table["Financial inclusion: beyond reach"].iloc[0] < 376_986
    assert table["Specialist and supported housing: beyond reach"].eq(provision.NO_DATA_TEXT).all()
    assert "within 800 m walking" in _text(at)
    assert "Data used: bundled and mine" in _text(at)


def test_gap_finder_ranks_with_access_values_without_upload():
    at = _page("app_pages/gaps.py")
    assert not any("No services or places" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert len(table) == 4994
    assert table["Gap"].notna().all() and table["Gap"].is_monotonic_decreasing
    assert table["Access percentile"].nunique() > 100  # real access values, not a flat zero
    assert "Places within 800 m (average resident): Health and wellbeing" in table.columns
    # food banks and credit unions
    assert "Places within 800 m (average resident): Financial inclusion" in table.columns
    assert "Link-worker FTE per 10,000 residents (by registration)" in table.columns
    assert "Housing association households (Census 2021)" in table.columns
    assert "Financial inclusion**: no open data" not in _text(at)
    assert "Specialist and supported housing**: no open data: upload yours" in _text(at)
    pilots = at.dataframe[1].value
    assert len(pilots) >= 1 and "Priority" in pilots.columns
    assert pilots["Priority"].is_monotonic_decreasing or len(pilots) == 1
    assert pilots["Reason"].str.startswith("Ranked by its first LSOA's priority").all()
    assert pilots["Reason"].str.contains("housing association households").all()


def test_gap_finder_theme_without_open_data_is_not_scored():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["theme"] = "Specialist and supported housing"
    at.run()
    at.switch_page("app_pages/gaps.py").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Specialist and supported housing: no open data: upload yours" in warnings
    table = at.dataframe[0].value
    assert "Gap" not in table.columns and "Need index" in table.columns


def test_gap_finder_scores_financial_inclusion_with_its_caveat():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["theme"] = "Financial inclusion"
    at.run()
    at.switch_page("app_pages/gaps.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("no open data" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert table["Gap"].notna().all() and table["Access percentile"].nunique() > 10
    assert table["Places within 800 m (average resident): Financial inclusion"].max() >= 1
    svc = io.load_services()
    n = int(svc["themes"].str.contains("Financial inclusion").sum())
    assert n == 90 + 24  # food banks and credit unions
    assert _metric(at, "Places in this theme") == f"{n:,}"
    assert "Citizens Advice offices are not in open data" in _text(at)
    assert table["Reason"].str.contains("Financial inclusion").all()


def test_gap_finder_link_worker_measure():
    at = _page("app_pages/gaps.py")
    at.radio(key="gaps_measure").set_value("link_workers").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 4994
    reg_all = common_measure().lsoa21
    # more than half of the registered residents with a PCN of unknown FTE: not ranked
    mostly_unknown = reg_all["lw_unknown_share"].reindex(table.index).gt(0.5)
    assert table.loc[~mostly_unknown, "Gap"].notna().all()
    assert table.loc[mostly_unknown, "Gap"].isna().all() and mostly_unknown.sum() > 0
    ranked = table[~mostly_unknown]
    assert ranked["Reason"].str.contains("link-worker FTE per 10,000 residents serve").all()
    assert (
        table.loc[mostly_unknown, "Reason"]
        .str.contains("link-worker capacity unknown, not ranked")
        .all()
    )
    assert _metric(at, "GP practices with link workers") != "0"
    # access is the registration measure, not a distance
    col = "Link-worker FTE per 10,000 residents (by registration)"
    reg = common_measure().lsoa21
    assert table[col].to_numpy() == pytest.approx(reg["lw_per_10k"].reindex(table.index).round(3))
    unknown = table["% of registered residents with a PCN of unknown FTE"]
    assert (unknown > 0).sum() > 50
    assert table.loc[(unknown > 0) & ~mostly_unknown, "Reason"].str.contains("lower bound").all()
    # the PTAL filter keeps neighbourhoods with PTAL 2 or lower, ranks London-wide
    at.checkbox(key="gaps_ptal").check().run()
    assert not at.exception
    low = at.dataframe[0].value
    ptal = io.load_lsoas("iod2025")["ptal"]
    assert len(low) == int(ptal.isin(["0", "1a", "1b", "2"]).sum())
    assert set(ptal.reindex(low.index)) <= {"0", "1a", "1b", "2"}
    assert low["London rank"].dropna().isin(table["London rank"].dropna()).all()  # London-wide
    pilots = at.dataframe[1].value
    codes = {c for cs in pilots["LSOA codes"] for c in cs.split(", ")}
    assert set(ptal.reindex(list(codes))) <= {"0", "1a", "1b", "2"}


def test_borough_view_shows_link_workers_and_housing_association_figures():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["borough"] = TOWER_HAMLETS
    at.run()
    at.switch_page("app_pages/borough.py").run()
    assert not at.exception, [e.value for e in at.exception]
    row = io.load_boroughs("iod2025").loc[TOWER_HAMLETS]
    assert _metric(at, "HA households (Census 2021)") == (f"{int(row.ha_households):,}")
    gps = io.load_services().query("category == 'gp_practice'")
    lw = provision.borough_link_workers(gps).loc[TOWER_HAMLETS]
    assert _metric(at, "FTE per 10,000 patients of its practices") == f"{lw.lw_per_10k:.2f}"
    # by registration: the sum of the borough's neighbourhoods
    reg = common_measure().lsoa21
    lsoas = io.load_lsoas("iod2025")
    mine = reg[lsoas["borough_code"].reindex(reg.index).eq(TOWER_HAMLETS).to_numpy()]
    rate = 10_000 * mine["lw_fte"].sum() / mine["population"].sum()
    label = "FTE per 10,000 residents"
    assert _metric(at, label) == f"{rate:.2f}"
    frames = [d.value for d in at.dataframe]
    pcns = next(f for f in frames if "Primary Care Network" in f.columns)
    assert len(pcns) >= 1 and pcns["FTE per 10,000 patients"].notna().any()
    places = next(f for f in frames if "Category" in f.columns)
    assert "GP practices" in set(places["Category"])
    gaps = next(f for f in frames if "Gap" in f.columns)
    assert 1 <= len(gaps) <= 10 and set(gaps["Neighbourhood"].str[:13]) == {"Tower Hamlets"}


@pytest.mark.parametrize("page", ["app_pages/gaps.py", "app_pages/housing.py"])
def test_mine_only_without_upload_explains_itself(page):
    at = _page(page, mode="mine")
    info = " ".join(i.value for i in at.info)
    assert "Data used: mine only" in info
    assert "have not uploaded a service directory" in info
    assert "Bundled and mine" in info


def test_postcode_only_stock_list_is_placed_and_unknowns_rejected():
    lookup = io.load_postcodes()
    real = lookup.sample(25, random_state=9)["postcode"].tolist()
    made_up = ["E1 9ZZ", "SW1A 9ZZ"]  # well formed, not in the lookup
    rows = [p.replace(" ", "").lower() if i % 2 else p for i, p in enumerate(real)] + made_up
    csv = pd.DataFrame(
        {"Scheme": [f"Synthetic scheme {i}" for i in range(len(rows))], "Post code": rows}
    ).to_csv(index=False)
    df = uploads.read_table(csv.encode(), "synthetic_postcodes.csv")
    mapping = uploads.detect_columns(df, kind="stock")
    assert mapping["postcode"] == "Post code"
    accepted, rejected = uploads.locate(
        df,
        mapping,
        london=io.load_boroughs("iod2025"),
        postcodes=lookup,
        lsoas=io.load_lsoas("iod2025"),
    )
    assert len(accepted) + len(rejected) == len(rows)
    assert len(accepted) == 25 and set(accepted["location_source"]) == {"postcode"}
    want = lookup.set_index("postcode").loc[real, "borough_code"].to_numpy()
    assert (accepted["borough_code"].to_numpy() == want).all()
    assert rejected["reason"].tolist() == [uploads.POSTCODE_NOT_FOUND] * 2
    assert "April 2025" in LOOKUP_LABEL

    # the placed homes on the housing page, beside the Census baseline of their boroughs
    from app_pages.upload_ui import standardise

    stock = standardise(accepted, mapping, "stock")
    at = _page("app_pages/housing.py", stock=stock)
    assert _metric(at, "Homes placed") == "25"
    side = next(d.value for d in at.dataframe if "Who" in d.value.columns)
    assert set(side["Who"]) == {"Your homes", "Census 2021: housing association households"}
    assert side.loc[side["Who"] == "Your homes", "Homes / households"].sum() == 25


@pytest.mark.parametrize(
    "page", ["app_pages/overview.py", "app_pages/borough.py", "app_pages/gaps.py"]
)
def test_iod2019_pages_use_census_2011_homes(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["vintage"] = "iod2019"
    at.query_params["borough"] = TOWER_HAMLETS
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    if page.endswith("borough.py"):
        row = io.load_boroughs("iod2019").loc[TOWER_HAMLETS]
        assert _metric(at, "HA households (Census 2011)") == f"{int(row.ha_households):,}"
    if page.endswith("gaps.py"):
        assert "Housing association households (Census 2011)" in at.dataframe[0].value.columns


def test_bundled_and_mine_adds_the_upload_and_says_where_points_came_from():
    import json

    from tests.app.test_app import _synthetic_services

    mine = _synthetic_services()
    bundled_places = len(io.load_services()) + len(io.load_parks())
    at = _page("app_pages/gaps.py", services=mine)
    assert _metric(at, "Places used") == f"{bundled_places + len(mine):,}"
    assert f"plus your upload ({len(mine)} rows)" in _text(at)
    at.session_state["data_mode"] = "mine"
    at.run()
    assert _metric(at, "Places used") == f"{len(mine):,}"
    at.session_state["boroughs"] = [TOWER_HAMLETS]
    at.run()
    maps = [c for c in at.get("component_instance") if "folium" in c.proto.component_name]
    args = json.loads(maps[0].proto.json_args)
    script = args["script"] + (args.get("feature_group") or "")  # layers: a map update
    assert "your upload" in script  # each uploaded point's tooltip names its origin


def test_borough_view_without_a_borough_lists_all_33():
    """Before a borough is picked, the borough view lists every borough with its figures from
    the data, most deprived first, so the page answers something at first sight."""
    at = _page("app_pages/borough.py")
    assert not at.exception
    table = at.dataframe[0].value
    boroughs = io.load_boroughs("iod2025")
    assert len(table) == 33 and set(table.index) == set(boroughs.index)
    assert table["IMD rank in London (1 = most deprived)"].tolist() == list(range(1, 34))
    assert table["Housing association households"].sum() == 376_986
    first = table.index[0]
    assert table.loc[first, "% LSOAs in England's most deprived 10%"] == round(
        boroughs.loc[first, "imd_share_10"] * 100, 1
    )


def test_number_formats_separate_thousands_and_show_percentages_to_one_decimal():
    from app_pages import common

    frame = pd.DataFrame(  # SYNTHETIC
        {"Population": [259151], "% LSOAs in the most deprived 10%": [16.1], "Borough": ["A"]}
    )
    formats = {c: cfg["type_config"]["format"] for c, cfg in common.number_formats(frame).items()}
    assert formats == {"Population": "localized", "% LSOAs in the most deprived 10%": "%.1f"}


def test_gap_map_draws_bundled_places_from_the_static_file():
    """The gap map's layers of bundled places name the static places file the browser caches
    and carry only which of its places show, not the places' names and positions."""
    at = _page("app_pages/gaps.py", boroughs=[TOWER_HAMLETS])
    (component,) = [c for c in at.get("component_instance") if "folium" in c.proto.component_name]
    args = json.loads(component.proto.json_args)
    script = args["script"] + (args.get("feature_group") or "")
    assert "/app/static/geo/places.json.gz" in script
    libraries = io.load_services().query("category == 'library' and borough_code == @TOWER_HAMLETS")
    assert len(libraries) > 0
    assert not any(name in script for name in libraries["name"])
