"""The Pilot planner and What a closure costs pages, run headless with Streamlit's AppTest, and
``python -m geo plan`` against the page (the same numbers).

Uploaded services are clearly synthetic: points at the centroids of real Tower Hamlets LSOAs
(2021), named "Synthetic ..." (one named as a script, to check escaping).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import cli
from geo.analysis import planner
from geo.cli import plan as plan_cli
from geo.data import io

PLANNER = "app_pages/planner.py"
CLOSURES = "app_pages/closures.py"
TOWER_HAMLETS = "E09000030"
SCRIPT = "<script>alert(1)</script>"
TIMEOUT = 180


def _app(page: str, **state) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _download(at: AppTest, media: dict[str, bytes], key: str) -> bytes:
    button = at.download_button(key=key)
    file_id = re.search(r"/([0-9a-f]+)\.\w+$", button.proto.url).group(1)
    data = media[file_id]
    return data() if callable(data) else data


def _map_payload(at: AppTest) -> str:
    maps = [c for c in at.get("component_instance") if "folium" in c.proto.component_name]
    assert len(maps) == 1
    return json.dumps(json.loads(maps[0].proto.json_args))


@pytest.fixture(scope="module")
def cli_csv(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("plan") / "plan.csv"
    argv = ["plan", "--theme", "Digital inclusion", "--sites", "community_centre,library"]
    assert cli.main([*argv, "--count", "10", "--csv", str(path)]) == 0
    return pd.read_csv(path)


def test_page_numbers_equal_the_command_line(cli_csv):
    """The page's defaults are the issue author's case: the same sites, the same numbers."""
    at = _app(PLANNER)
    plan = at.session_state["_plan_result"][1]
    assert plan.params.theme == "Digital inclusion" and plan.params.count == 10
    assert plan.params.detour == io.load_detour()["detour_default"]
    assert plan.sites["site_id"].tolist() == cli_csv["site_id"].tolist()
    pd.testing.assert_series_equal(
        plan.sites["newly_reached"], cli_csv["newly_reached"], check_names=False
    )
    assert list(cli_csv.columns) == planner.SITE_COLUMNS
    assert {"site_id", "name", "category", "lon", "lat", "newly_reached"} <= set(cli_csv.columns)
    shown = at.dataframe[0].value
    assert shown["Name"].tolist() == cli_csv["name"].tolist()
    assert shown["Newly reached"].tolist() == cli_csv["newly_reached"].round().tolist()
    assert at.metric[0].value == f"{cli_csv['newly_reached'].sum():,.0f}"
    assert at.metric[2].value == "Yes"
    assert any("Proved optimal" in s.value for s in at.success)


@pytest.mark.parametrize("command", [[], ["build"], ["web"], ["gaps"], ["plan"]])
def test_every_command_prints_its_help(command, capsys):
    """--help works (argparse formats help texts with %: a bare '10%' crashed plan --help)."""
    with pytest.raises(SystemExit) as stop:
        cli.main([*command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m geo")
    if command == ["plan"]:
        assert "deprived10: residents in England's most deprived 10%;" in " ".join(out.split())


def test_command_line_prints_objective_and_proof(capsys):
    argv = ["plan", "--theme", "Digital inclusion", "--sites", "community_centre", "--count", "3"]
    assert cli.main([*argv, "--borough", TOWER_HAMLETS, "--reach", "ha"]) == 0
    out, err = capsys.readouterr()
    assert "objective (newly reached housing association households)" in out
    assert "proved optimal: yes" in out
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+\s", line)]
    assert 1 <= len(rows) <= 3 and all("Tower Hamlets" in line for line in rows)
    # libraries are the places of Digital inclusion: as candidates they reach no one new
    argv = ["plan", "--theme", "Digital inclusion", "--sites", "library", "--count", "3"]
    assert cli.main(argv) == 0
    out, _ = capsys.readouterr()
    assert "no candidate site reaches anyone not yet served" in out
    assert "with 0 sites" in out
    with pytest.raises(SystemExit):
        cli.main(["plan", "--theme", "Digital inclusion", "--sites", "nope", "--count", "3"])
    _, err = capsys.readouterr()
    assert "unknown candidate sites 'nope'" in err


def test_link_worker_theme_has_nobody_served(capsys):
    argv = ["plan", "--theme", "link-worker style support", "--sites", "library", "--count", "2"]
    assert cli.main([*argv, "--icb", "QMF"]) == 0
    out, err = capsys.readouterr()
    assert "Nobody counts as already served" in err
    assert "already served 0;" in out


def test_borough_oa_centres_target_group_map_and_downloads(media):
    at = _app(
        PLANNER,
        boroughs=[TOWER_HAMLETS],
        plan_sites=["oa", "community_centre"],
        plan_count=5,
        plan_reach="ha",
    )
    plan = at.session_state["_plan_result"][1]
    assert plan.params.boroughs == (TOWER_HAMLETS,) and plan.result.proved_optimal
    assert set(plan.sites["borough_code"]) == {TOWER_HAMLETS}
    assert plan.sites["category"].isin(["oa", "community_centre"]).all()
    payload = _map_payload(at)
    assert "Straight-line reach of each site" in payload
    assert "Output Areas newly reached" in payload
    # the existing places of the theme (libraries for Digital inclusion) near Tower Hamlets
    assert "Existing places of Digital inclusion" in payload
    words = next(m.value for m in at.markdown if "What the map shows" in m.value)
    n_existing = int(re.search(r"blue points are the ([\d,]+) existing places", words)[1])
    assert "Existing places of Digital inclusion" in payload
    assert 0 < n_existing < plan.figures["served_places"]  # nearby only, not all 345
    assert "count as served" in words
    csv = _download(at, media, "plan_csv").decode("utf-8-sig")
    assert "# reach: Housing association households" in csv
    assert "# proved_optimal: yes" in csv
    body = pd.read_csv(pd.io.common.StringIO(csv), comment="#")
    assert body["site_id"].tolist() == plan.sites["site_id"].tolist()
    geo = json.loads(_download(at, media, "plan_geojson"))
    assert len(geo["features"]) == len(plan.sites)
    # the chart and its text: the greedy curve to 50 sites, the plan's point on it
    assert plan.curve["greedy"].is_monotonic_increasing and len(plan.curve) == 50
    assert plan.curve.loc[4, "optimum"] == pytest.approx(plan.result.objective)


def test_settings_from_a_link_and_back_into_it():
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    at.query_params["plan_count"] = "3"
    at.query_params["plan_catchment"] = "1200"
    at.query_params["plan_reach"] = "nobody"
    at.run()
    at.switch_page(PLANNER)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    plan = at.session_state["_plan_result"][1]
    assert plan.params.count == 3 and plan.params.catchment == 1200.0
    assert plan.params.reach == "residents"
    assert any("plan_reach" in w.value for w in at.warning)
    assert at.query_params["plan_count"] in ("3", ["3"])
    assert at.query_params["plan_catchment"] in ("1200", ["1200"])


def _synthetic_services(n: int = 30) -> gpd.GeoDataFrame:
    lsoas = io.load_lsoas("iod2025")
    th = lsoas[lsoas["borough_code"] == TOWER_HAMLETS].sort_index().iloc[:n]
    return gpd.GeoDataFrame(
        {
            "name": [SCRIPT if i == 0 else f"Synthetic room {i}" for i in range(len(th))],
            "theme": "Digital inclusion",
        },
        geometry=th.geometry.centroid.to_numpy(),
        crs=27700,
    )


def test_uploaded_sites_are_candidates_and_names_are_escaped():
    at = _app(
        PLANNER,
        services=_synthetic_services(),
        boroughs=[TOWER_HAMLETS],
        plan_sites=["upload"],
        plan_count=3,
        plan_served=False,  # the uploads provide the theme: as served places they reach no one
    )
    plan = at.session_state["_plan_result"][1]
    assert set(plan.sites["category"]) == {"upload"} and len(plan.sites) == 3
    # the uploads provide Digital inclusion too: 345 libraries and the 30 uploads
    assert plan.figures["served_places"] == 345 + 30
    payload = _map_payload(at)
    assert SCRIPT not in payload
    for element in [*at.markdown, *at.caption, *at.warning, *at.info, *at.success]:
        assert SCRIPT not in element.value


def test_closure_page_place_category_and_most_important():
    at = _app(CLOSURES, boroughs=["E09000007"])
    assert "Closing" in " ".join(m.value for m in at.markdown)
    one = int(at.metric[0].value.replace(",", ""))
    # the map of where people are left without: its words, and the closed place on it
    words = next(m.value for m in at.markdown if m.value.startswith("**What the map shows.**"))
    assert "leaves residents with no place of" in words and "Most affected:" in words
    (component,) = [c for c in at.get("component_instance") if "folium" in c.proto.component_name]
    args = json.loads(component.proto.json_args)
    script = args["script"] + (args.get("feature_group") or "")
    assert "Residents left with no place in reach" in script
    assert "Closed in this scenario" in script
    # the map is fitted to the few neighbourhoods left without and the closed place, with a
    # margin, not to all of London (about 0.7 degrees wide)
    (south, west), (north, east) = json.loads(
        re.search(r"spm\.fit\([^,]+, (\[\[.*?\]\])", script)[1]
    )
    closed = at.session_state["_theme_places"][1].loc[at.session_state["close_place"]]
    assert west < closed["lon"] < east and south < closed["lat"] < north
    assert east - west < 0.2 and north - south < 0.15
    at.session_state["close_what"] = "category"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    every = int(at.metric[0].value.replace(",", ""))
    assert every >= one > 0
    _, critical, table = at.session_state["_close_rank"][1]
    assert critical.proved_optimal and len(table) == 5
    assert set(table["borough_code"]) == {"E09000007"}
    assert table["added_loss"].sum() == pytest.approx(critical.loss)


def test_closure_settings_from_a_link_and_back_into_it():
    """A shared link opens the same closure: theme, catchment, the place by its id; a bad
    place says so and falls back to the first."""
    first = _app(CLOSURES, boroughs=["E09000007"])
    labels = first.selectbox(key="close_place").options
    assert len(labels) > 2
    places = first.session_state["_theme_places"][1]
    inside = places[places["borough_code"].eq("E09000007")].sort_values("name")
    target = inside.iloc[2]
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    at.query_params["borough"] = "E09000007"
    at.query_params["close_catchment"] = "1200"
    at.query_params["close_place"] = str(target["site_id"])
    at.query_params["close_n"] = "0"
    at.run()
    at.switch_page(CLOSURES)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["close_catchment"] == 1200
    assert at.session_state["close_place"] == target.name
    assert any("close_n" in w.value for w in at.warning)
    assert at.query_params["close_place"] in (str(target["site_id"]), [str(target["site_id"])])
    assert at.query_params["close_catchment"] in ("1200", ["1200"])
    assert "borough" in at.query_params  # the sidebar's selection stays in the link
    # a place that is not in the data used: said, and the first place shown
    bad = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    bad.query_params["close_place"] = "NO-SUCH-PLACE"
    bad.run()
    bad.switch_page(CLOSURES)
    bad.run()
    assert not bad.exception, [e.value for e in bad.exception]
    assert any("NO-SUCH-PLACE" in w.value for w in bad.warning)
    assert bad.query_params["close_place"] not in ("NO-SUCH-PLACE", ["NO-SUCH-PLACE"])


def test_planner_data_matches_the_command_line_loader():
    """The page's data (cached models) and the command's loader give the same distances."""
    data, _ = plan_cli.plan_data(sites=("pharmacy",))
    at = _app(PLANNER, plan_sites=["pharmacy"], plan_count=2, plan_theme="Employment support")
    plan = at.session_state["_plan_result"][1]
    direct = planner.plan(data, plan.params, curve=False)
    assert direct.sites["site_id"].tolist() == plan.sites["site_id"].tolist()
    assert direct.result.objective == plan.result.objective
