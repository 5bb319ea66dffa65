"""The Gap finder page, run headless with Streamlit's AppTest.

Services and homes are clearly synthetic: points at the centroids of real Tower Hamlets LSOAs
(2021), named "Synthetic service N", with themes cycling through :data:`geo.uploads.themes.THEMES`.
CSV downloads are read back by recording what the page hands to Streamlit's media storage.
"""

from __future__ import annotations

import io as _io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.data import io
from geo.data.themes import THEMES

PAGE = "app_pages/gaps.py"
TOWER_HAMLETS = "E09000030"
HACKNEY = "E09000012"
SCRIPT = "<script>alert(1)</script>"
TIMEOUT = 90


@pytest.fixture(scope="module")
def lsoas() -> gpd.GeoDataFrame:
    return io.load_lsoas("iod2025")


def _synthetic_services(lsoas: gpd.GeoDataFrame, n: int = 40, name: str = "Synthetic service"):
    th = lsoas[lsoas["borough_code"] == TOWER_HAMLETS].sort_index().iloc[:n]
    return gpd.GeoDataFrame(
        {
            "name": [f"{name} {i}" for i in range(len(th))],
            "theme": [THEMES[i % len(THEMES)] for i in range(len(th))],
        },
        geometry=th.geometry.centroid.to_numpy(),
        crs=27700,
    )


def _synthetic_stock(lsoas: gpd.GeoDataFrame, n: int = 30, borough: str = HACKNEY):
    """``n`` synthetic schemes of 20 homes in the most income-deprived LSOAs of ``borough``."""
    part = lsoas[lsoas["borough_code"] == borough].sort_values("income_score").iloc[-n:]
    return gpd.GeoDataFrame(
        {
            "label": [f"Synthetic home {i}" for i in range(len(part))],
            "lsoa_code": part.index.to_numpy(),
            "borough_code": borough,
            "borough_name": part["borough_name"].to_numpy(),
            "units": 20,
        },
        geometry=part.geometry.representative_point().to_numpy(),
        crs=27700,
    )


def _app(services=None, stock=None, boroughs=None, mode="mine") -> AppTest:
    """The page with these uploads; "mine only" by default, so only the synthetic data counts
    (tests/app/test_app_bundled.py covers the bundled directory)."""
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE)
    at.session_state["data_mode"] = mode
    if services is not None:
        at.session_state["services"] = services
    if stock is not None:
        at.session_state["stock"] = stock
    if boroughs is not None:
        at.session_state["boroughs"] = boroughs
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest) -> pd.DataFrame:
    """The first dataframe on the page: the ranked gap (or need) table."""
    return at.dataframe[0].value


def _map_component(at: AppTest):
    maps = [c for c in at.get("component_instance") if "folium" in c.proto.component_name]
    assert len(maps) == 1
    return maps[0]


def _map_script(at: AppTest) -> str:
    """The map's script with its layers (sent as a streamlit-folium map update)."""
    args = json.loads(_map_component(at).proto.json_args)
    return args["script"] + (args.get("feature_group") or "")


def _download(at: AppTest, media: dict[str, bytes], key: str) -> bytes:
    button = at.download_button(key=key)
    file_id = re.search(r"/([0-9a-f]+)\.\w+$", button.proto.url).group(1)
    return media[file_id]


def read_csv(data: bytes) -> tuple[list[str], pd.DataFrame]:
    text = data.decode("utf-8-sig")
    header = [line for line in text.splitlines() if line.startswith("#")]
    return header, pd.read_csv(_io.StringIO(text), comment="#")


# --------------------------------------------------------------------------------------------
# no services
# --------------------------------------------------------------------------------------------
def test_no_services_says_so_and_shows_need(lsoas):
    at = _app()
    warnings = " ".join(w.value for w in at.warning)
    assert "No services or places to measure access to" in warnings
    assert "mine only" in warnings
    assert "Service directory page" in warnings
    assert any(p.proto.page.endswith("services") for p in at.get("page_link"))
    table = _table(at)
    assert len(table) == len(lsoas)
    assert {"Need index", "Need percentile", "Why"} <= set(table.columns)
    assert "Gap" not in table.columns  # no access without services: no gap is invented
    assert table["Need index"].is_monotonic_decreasing
    assert table["London rank"].iloc[0] == 1
    script = _map_script(at)
    assert "Need index" in script  # the need choropleth, not a gap map
    assert "Gap: need x access" not in script


def test_no_services_borough_filter(lsoas):
    at = _app(boroughs=[TOWER_HAMLETS])
    table = _table(at)
    n_th = int((lsoas["borough_code"] == TOWER_HAMLETS).sum())
    assert len(table) == n_th
    assert set(table["Borough"]) == {"Tower Hamlets"}
    assert table["Rank in selection"].tolist() == list(range(1, n_th + 1))


def test_no_services_csv_has_header(lsoas, media):
    at = _app()
    header, data = read_csv(_download(at, media, "gaps_csv"))
    assert "# services_loaded=0" in header
    assert any(line.startswith("# note=No community services loaded") for line in header)
    assert "# data_used=Mine only" in header
    assert len(data) == len(lsoas)


# --------------------------------------------------------------------------------------------
# with services
# --------------------------------------------------------------------------------------------
def test_ranked_table_with_services(lsoas):
    at = _app(services=_synthetic_services(lsoas))
    assert not any("No services or places" in w.value for w in at.warning)
    table = _table(at)
    assert len(table) == len(lsoas)
    assert {"Gap", "Need index", "Reason", "Gap class"} <= set(table.columns)
    assert "Places within 800 m (average resident): any theme" in table.columns
    assert "Residents with a place within 800 m" in table.columns
    assert table["Residents with a place within 800 m"].between(0, 1).all()
    assert "Median resident's walk to the nearest place (m)" in table.columns
    assert table["Gap"].iloc[0] == table["Gap"].max()
    assert table["Gap"].is_monotonic_decreasing
    assert table["London rank"].iloc[0] == 1
    assert table["Reason"].str.len().gt(0).all()
    script = _map_script(at)
    assert "Gap: need x access" in script  # the bivariate legend
    pilots = at.dataframe[1].value  # pilot finder
    assert 1 <= len(pilots) <= 10
    assert pilots["Mean gap"].ge(0.5).all()


def test_selecting_a_borough_restricts_the_table(lsoas):
    at = _app(services=_synthetic_services(lsoas))
    at.sidebar.multiselect(key="boroughs").select(HACKNEY).run()
    assert not at.exception
    table = _table(at)
    assert set(table["Borough"]) == {"Hackney"}
    assert len(table) == int((lsoas["borough_code"] == HACKNEY).sum())
    assert table["Gap"].iloc[0] == table["Gap"].max()
    assert table["Rank in selection"].iloc[0] == 1
    # London ranks are kept: the ranking is London-wide
    assert table["London rank"].is_monotonic_increasing


def test_borough_in_session_state_restricts_the_table(lsoas):
    at = _app(services=_synthetic_services(lsoas), boroughs=[TOWER_HAMLETS])
    table = _table(at)
    assert set(table["Borough"]) == {"Tower Hamlets"}
    assert table["Places within 800 m (average resident): any theme"].sum() > 0  # they are there


def test_changing_the_theme_changes_the_table(lsoas):
    at = _app(services=_synthetic_services(lsoas), boroughs=[TOWER_HAMLETS])
    before = _table(at)
    at.sidebar.selectbox(key="theme").select("Digital inclusion").run()
    assert not at.exception
    after = _table(at)
    assert "Places within 800 m (average resident): Digital inclusion" in after.columns
    assert "Places within 800 m (average resident): Financial inclusion" not in after.columns
    assert "Median resident's walk to the nearest place (m): Digital inclusion" in after.columns
    assert after["Reason"].str.contains("Digital inclusion place within 800 m").all()
    assert not before["Gap"].equals(after["Gap"])


def test_theme_without_services_warns(lsoas):
    services = _synthetic_services(lsoas)
    services = services[services["theme"] != "Digital inclusion"]
    at = _app(services=services)
    at.sidebar.selectbox(key="theme").select("Digital inclusion").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "None of the places used serves Digital inclusion" in warnings
    assert "not scored (not counted as zero access)" in warnings
    assert "Gap" not in _table(at).columns  # need only, never zero access


def test_csv_download_has_every_parameter(lsoas, media):
    at = _app(services=_synthetic_services(lsoas), boroughs=[TOWER_HAMLETS])
    at.select_slider(key="gaps_catchment").set_value(1200).run()
    assert not at.exception
    shown = _table(at)
    header, data = read_csv(_download(at, media, "gaps_csv"))
    for line in (
        "# vintage=iod2025",
        "# catchment_m=1200.0",
        f"# detour_factor={io.load_detour()['detour_default']}",
        "# distance=on the streets where the network covers, else straight line x detour",
        "# decay=step",
        "# demand=population",
        "# theme=All themes",
        "# boroughs=Tower Hamlets (E09000030)",
        "# services_loaded=40",
    ):
        assert line in header, (line, header)
    weights = next(h for h in header if h.startswith("# need_weights="))
    assert "health=0.3333" in weights and "income=0.3333" in weights
    assert any(h.startswith("# sources=") for h in header)
    assert any(h.startswith("# gap=need percentile minus access percentile") for h in header)
    # exactly the table shown
    assert data["LSOA code"].tolist() == shown.index.tolist()
    assert "Places within 1,200 m (average resident): any theme" in data.columns
    assert data["Gap"].round(3).tolist() == shown["Gap"].round(3).tolist()


def test_parameters_change_the_result(lsoas):
    at = _app(services=_synthetic_services(lsoas), boroughs=[TOWER_HAMLETS])
    before = _table(at)
    at.radio(key="gaps_decay").set_value("gaussian")
    at.number_input(key="gaps_w_crime").set_value(2.0)
    at.run()
    assert not at.exception
    after = _table(at)
    assert not before["Need index"].equals(after["Need index"])
    assert any("Crime 40%" in c.value for c in at.caption)


def test_parameters_survive_a_page_switch(lsoas):
    at = _app(services=_synthetic_services(lsoas))
    at.select_slider(key="gaps_catchment").set_value(400).run()
    at.switch_page("app_pages/overview.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.select_slider(key="gaps_catchment").value == 400
    assert "Places within 400 m (average resident): any theme" in _table(at).columns


def test_script_in_service_name_does_not_crash(lsoas, media):
    services = _synthetic_services(lsoas, name=SCRIPT)
    at = _app(services=services, boroughs=[TOWER_HAMLETS])
    assert len(_table(at)) > 0
    for element in [*at.markdown, *at.caption, *at.warning, *at.info]:
        assert SCRIPT not in element.value
    # the map (st_folium) shows the names escaped, never as markup
    args = json.loads(_map_component(at).proto.json_args)
    payload = json.dumps(args)
    assert SCRIPT not in payload
    assert "lt;script" in payload
    header, data = read_csv(_download(at, media, "gaps_csv"))
    assert header and len(data) == len(_table(at))


def test_with_stock_boost_and_pilots(lsoas):
    at = _app(
        services=_synthetic_services(lsoas),
        stock=_synthetic_stock(lsoas),
        boroughs=[HACKNEY],
    )
    table = _table(at)
    assert "Your homes" in table.columns
    assert table["Your homes"].sum() == 30 * 20
    before = table["Need index"]
    at.checkbox(key="gaps_ha").check().run()
    assert not at.exception
    after = _table(at)["Need index"].reindex(before.index)
    has_homes = table["Your homes"] > 0
    assert (after[has_homes] > before[has_homes]).all()
    assert (after[~has_homes] == before[~has_homes]).all()
    pilots = at.dataframe[1].value  # with a stock list, every candidate holds some homes
    assert len(pilots) >= 1
    assert pilots["Your homes"].ge(1).all()
    assert pilots["Reason"].str.contains("housing association home").all()


def test_iod2019_with_services_and_stock(lsoas):
    at = _app(services=_synthetic_services(lsoas), stock=_synthetic_stock(lsoas))
    at.sidebar.radio(key="vintage").set_value("iod2019").run()
    assert not at.exception
    table = _table(at)
    assert len(table) == len(io.load_lsoas("iod2019"))
    assert table["Your homes"].sum() == 30 * 20  # homes placed in 2011 LSOAs by location
