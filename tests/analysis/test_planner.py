"""The pilot planner's inputs and glue: synthetic checks worked out by brute force, then the
bundled London data (the issue author's case, closures against the planner's served mask)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from plan_synthetic import random_points, straight

from geo.analysis import closureview, mclp, planinputs, planner, planquery
from geo.analysis.closures import lost_demand
from geo.analysis.oa_table import distance_table, supply_from_frame
from geo.analysis.walkaccess import SERVICE_THEMES, AccessModel
from geo.cli import plan as plan_cli


# --------------------------------------------------------------------------------------------
# synthetic
# --------------------------------------------------------------------------------------------
def _synthetic_oas(n: int = 300, seed: int = 1) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Synthetic Output Areas in four synthetic LSOAs (quadrants of a 4 km square)."""
    xy = random_points(seed, n, 4000.0)
    quad = (xy[:, 0] >= 2000).astype(int) + 2 * (xy[:, 1] >= 2000).astype(int)
    codes = np.array(["L0", "L1", "L2", "L3"])[quad]
    rng = np.random.default_rng(seed)
    oas = pd.DataFrame(
        {
            "oa_code": [f"OA{i:04d}" for i in range(n)],
            "lsoa21_code": codes,
            "population": rng.integers(100, 500, n),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "lon": xy[:, 0] / 1e5,
            "lat": xy[:, 1] / 1e5,
        }
    )
    boxes = [shapely.box(0, 0, 2000, 2000), shapely.box(2000, 0, 4000, 2000)]
    boxes += [shapely.box(0, 2000, 2000, 4000), shapely.box(2000, 2000, 4000, 4000)]
    lsoas = gpd.GeoDataFrame(
        {
            "lsoa_name": ["Synthetic 0", "Synthetic 1", "Synthetic 2", "Synthetic 3"],
            "borough_code": ["B1", "B1", "B2", "B2"],
            "borough_name": ["West", "West", "East", "East"],
            "imd_decile": [1, 2, 3, 10],
            "population_65plus": [100, 200, 0, 50],
            "disabled": [10, 20, 30, 40],
            "ha_households": [70, 0, 5, 11],
            "ptal": ["1a", "2", "3", "6b"],
            "population": [0, 0, 0, 0],  # filled in below from the OAs
            **{
                f"{d}_{k}": v
                for d in ("income", "employment", "health", "imd")
                for k, v in (("score", [0.4, 0.3, 0.2, 0.1]), ("decile", [1, 2, 3, 10]))
            },
        },
        geometry=boxes,
        index=pd.Index(["L0", "L1", "L2", "L3"], name="lsoa_code"),
        crs=27700,
    )
    lsoas["population"] = oas.groupby("lsoa21_code")["population"].sum().reindex(lsoas.index)
    return oas, lsoas


def test_synthetic_reach_weights_add_up_to_the_lsoa_counts():
    oas, lsoas = _synthetic_oas()
    for reach, col in (("age65", "population_65plus"), ("ha", "ha_households")):
        w = planinputs.reach_weights(oas, lsoas, reach)
        per_lsoa = w.groupby(oas["lsoa21_code"]).sum()
        np.testing.assert_allclose(per_lsoa, lsoas[col].reindex(per_lsoa.index))
    d10 = planinputs.reach_weights(oas, lsoas, "deprived10")
    d20 = planinputs.reach_weights(oas, lsoas, "deprived20")
    assert (d10[oas["lsoa21_code"] != "L0"] == 0).all()
    assert (d10[oas["lsoa21_code"] == "L0"] == oas["population"][oas["lsoa21_code"] == "L0"]).all()
    assert d20.sum() == oas["population"][oas["lsoa21_code"].isin(["L0", "L1"])].sum()
    with pytest.raises(ValueError, match="reach must be one of"):
        planinputs.reach_weights(oas, lsoas, "everyone")


def test_synthetic_area_and_ptal_filter():
    oas, lsoas = _synthetic_oas()
    west = planinputs.demand_in_area(oas, lsoas, ["B1"])
    np.testing.assert_array_equal(west, oas["lsoa21_code"].isin(["L0", "L1"]))
    low = planinputs.demand_in_area(oas, lsoas, ptal_max2=True)
    np.testing.assert_array_equal(low, oas["lsoa21_code"].isin(["L0", "L1"]))
    assert planinputs.demand_in_area(oas, lsoas, ["B2"], ptal_max2=True).sum() == 0


def _places(n: int = 25, seed: int = 7) -> gpd.GeoDataFrame:
    xy = random_points(seed, n, 4000.0)
    return gpd.GeoDataFrame(
        {
            "facility": [f"p{i}" for i in range(n)],
            "name": [f"Synthetic place {i}" for i in range(n)],
            "category": ["library" if i % 3 == 0 else "community_centre" for i in range(n)],
            "category_label": ["Libraries" if i % 3 == 0 else "Centres" for i in range(n)],
            "source_label": "synthetic",
            "themes": [["Digital inclusion"] if i % 3 == 0 else [] for i in range(n)],
            "capacity": 1.0,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        index=pd.Index([f"p{i}" for i in range(n)], name="service_id"),
        crs=27700,
    )


def _model(oas: pd.DataFrame, points: gpd.GeoDataFrame, detour: float = 1.3) -> AccessModel:
    supply = supply_from_frame(points, themes=list(SERVICE_THEMES))
    table = distance_table(oas[["x", "y"]].to_numpy(), supply, detour=detour)
    return AccessModel(oas, supply, table, "straight")


@pytest.mark.parametrize("catchment", [400.0, 800.0, 1200.0, 1600.0])
def test_synthetic_coverage_and_served_equal_brute_force(catchment):
    """The planner's coverage is a cut of the distance table: straight x detour <= catchment,
    the same as every pair measured by brute force; served = a theme place within it."""
    oas, lsoas = _synthetic_oas()
    points = _places()
    model = _model(oas, points)
    cands = planinputs.candidate_set(
        ["library", "community_centre"],
        oas=oas,
        lsoas=lsoas,
        places=model,
        directory=points,
        oa_model=None,
    )
    assert cands.sites["site_id"].tolist() == points.index.tolist()
    A = planinputs.coverage(cands, catchment, len(oas))
    d = straight(
        oas[["x", "y"]].to_numpy(), np.column_stack([points.geometry.x, points.geometry.y])
    )
    np.testing.assert_array_equal(A.toarray(), d <= catchment)
    lib = points["category"].eq("library").to_numpy()
    np.testing.assert_array_equal(
        planinputs.served(model, "Digital inclusion", catchment, len(oas)),
        (d[:, lib] <= catchment).any(axis=1),
    )
    assert not planinputs.served(model, planinputs.LINK_WORKER_THEME, catchment, len(oas)).any()


def test_synthetic_candidates_inside_the_area_and_oa_centres():
    oas, lsoas = _synthetic_oas()
    points = _places()
    model = _model(oas, points)
    oa_model = _model(oas, planinputs.oa_centres(oas))
    cands = planinputs.candidate_set(
        ["library", "oa"],
        oas=oas,
        lsoas=lsoas,
        places=model,
        directory=points,
        oa_model=oa_model,
        boroughs=["B2"],
    )
    assert set(cands.sites["borough_code"]) == {"B2"}
    assert set(cands.sites["category"]) == {"library", "oa"}
    oa_rows = cands.sites[cands.sites["category"] == "oa"]
    assert len(oa_rows) == int(oas["lsoa21_code"].isin(["L2", "L3"]).sum())
    # an OA centre covers its own OA (distance 0) at any catchment
    A = planinputs.coverage(cands, 400.0, len(oas))
    own = oas.index[oas["oa_code"].isin(oa_rows["site_id"].str[3:])]
    cols = np.flatnonzero(cands.sites["category"].to_numpy() == "oa")
    assert all(A[i, c] for i, c in zip(own, cols, strict=True))


def test_synthetic_plan_reach_and_newly_reached_add_up():
    oas, lsoas = _synthetic_oas(400, seed=3)
    points = _places(30, seed=4)
    data = planner.PlanData(
        oas, lsoas, _model(oas, points), points, _model(oas, planinputs.oa_centres(oas))
    )
    params = planner.PlanParams(
        sites=("community_centre", "oa"), count=4, catchment=800.0, detour=1.3, boroughs=("B1",)
    )
    result = planner.plan(data, params)
    r = result.result
    assert r.proved_optimal and len(result.sites) == len(r.sites) <= 4
    w = result.weights.to_numpy()
    assert (w[~result.area] == 0).all() and result.area.sum() == oas["lsoa21_code"].isin(
        ["L0", "L1"]
    ).sum()
    # the objective is a recount, the newly reached per site add up to it, per OA as well
    assert mclp.coverage_value(result.cover, w, r.sites, result.served) == pytest.approx(
        r.objective
    )
    np.testing.assert_allclose(result.sites["cumulative"].iloc[-1], r.objective)
    for number, gain in zip(result.sites["number"], result.sites["newly_reached"], strict=True):
        assert w[result.reached_by == number].sum() == pytest.approx(gain)
    assert set(result.sites["borough_code"]) == {"B1"}
    assert result.greedy["newly_reached"].sum() <= r.objective + 1e-9
    summary = planner.lsoa_summary(result, oas, lsoas)
    assert set(summary.index) == {"L0", "L1"}
    assert summary["newly_reached"].sum() == pytest.approx(r.objective)
    # the comparison's gap row places sites inside the top neighbourhoods only
    placed = result.gap_sites[result.gap_sites["site"] >= 0]
    for code, site in zip(placed["lsoa_code"], placed["site"], strict=True):
        assert result.candidates["lsoa_code"].iloc[site] == code


def test_params_say_what_to_fix():
    with pytest.raises(ValueError, match="1 to 50"):
        planner.PlanParams(count=51).check()
    with pytest.raises(ValueError, match="unknown theme"):
        planner.PlanParams(theme="Everything").check()
    with pytest.raises(ValueError, match="at least one kind"):
        planner.PlanParams(sites=()).check()
    with pytest.raises(ValueError, match="at most 1600"):
        planner.PlanParams(catchment=2000.0).check()


def test_query_round_trip_and_bad_values_dropped():
    values = {**planquery.DEFAULTS, "plan_count": 7, "plan_sites": ["oa"], "plan_served": False}
    query = planquery.to_query(values)
    assert query == {"plan_count": "7", "plan_sites": "oa", "plan_served": "0"}
    back, warnings = planquery.from_query(query, ["oa", "library"])
    assert back == {"plan_count": 7, "plan_sites": ["oa"], "plan_served": False} and not warnings
    back, warnings = planquery.from_query(
        {"plan_count": "99", "plan_theme": "<b>x</b>", "plan_sites": "oa,nope"}, ["oa"]
    )
    assert back == {"plan_sites": ["oa"]} and len(warnings) == 3


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("1.4", 1.4),
        ("1", 1.0),
        ("3", 3.0),
        ("0.9", None),
        ("3.5", None),
        ("abc", None),
        ("nan", None),
        ("", None),
    ],
)
def test_plan_query_detour(raw, kept):
    """A link's detour factor is kept from 1 to 3; anything else warns, naming the value."""
    back, warnings = planquery.from_query({"plan_detour": raw}, ["oa"])
    if kept is None:
        assert back == {} and warnings == [
            f"The link's plan_detour={raw!r} is not a valid setting; the default is used."
        ]
    else:
        assert back == {"plan_detour": kept} and not warnings


def test_closure_query_round_trip_and_bad_values_dropped():
    values = {
        **planquery.CLOSE_DEFAULTS,
        "close_n": 8,
        "close_what": "category",
        "close_category": "library",
        "close_place": "ignored: a category is chosen",
    }
    query = planquery.closure_to_query(values)
    assert query == {"close_n": "8", "close_what": "category", "close_category": "library"}
    back, warnings = planquery.closure_from_query(query, ["Digital inclusion"])
    assert back == {"close_n": 8, "close_what": "category", "close_category": "library"}
    assert not warnings
    place = planquery.closure_to_query({**planquery.CLOSE_DEFAULTS, "close_place": "FQ123"})
    assert place == {"close_place": "FQ123"}
    back, warnings = planquery.closure_from_query(
        {"close_n": "21", "close_theme": "<b>x</b>", "close_catchment": "900", "close_place": "X"},
        ["Digital inclusion"],
    )
    assert back == {"close_place": "X"} and len(warnings) == 3


# --------------------------------------------------------------------------------------------
# bundled London data
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundled():
    return plan_cli.plan_data(sites=("community_centre", "library"))


def test_authors_case_proved_optimal(bundled):
    """10 sites among the 1,243 bundled community centres and libraries, residents without a
    library within 800 m (the issue's case): proved optimal, greedy never above it."""
    data, detour = bundled
    params = planner.PlanParams(detour=detour)
    result = planner.plan(data, params, curve=False)
    assert len(result.candidates) == 1243
    assert result.figures["served_places"] == 345  # libraries are Digital inclusion's places
    r = result.result
    assert r.proved_optimal and r.status == "optimal" and len(r.sites) == 10
    assert r.bound == pytest.approx(r.objective)
    assert set(result.sites["category"]) <= {"community_centre", "library"}
    w = result.weights.to_numpy()
    assert mclp.coverage_value(result.cover, w, r.sites, result.served) == pytest.approx(
        r.objective
    )
    assert result.greedy["newly_reached"].sum() <= r.objective
    # nobody already served is counted, and a site's newly reached are not served
    assert not (result.served & (result.reached_by > 0)).any()
    assert result.figures["open_total"] == pytest.approx(
        result.figures["target_total"] - result.figures["served_total"]
    )


def test_closing_every_library_strands_exactly_the_served(bundled):
    """Two code paths agree: the planner's 'already served' (Digital inclusion, 800 m) is the
    set of residents who lose every place when all libraries close."""
    data, detour = bundled
    result = planner.plan(data, planner.PlanParams(detour=detour, count=1), curve=False)
    places = closureview.theme_places(data.places, data.directory, "Digital inclusion", data.lsoas)
    assert set(places["category"]) == {"library"} and len(places) == 345
    cover = closureview.place_cover(data.places, places, 800.0)
    weights = closureview.closure_weights(data.oas, data.lsoas, "ha")
    table, totals = closureview.closure_impact(
        cover, weights, np.arange(len(places)), data.oas, data.lsoas
    )
    assert totals["residents"] == pytest.approx(result.figures["served_total"])
    assert table["residents"].sum() == pytest.approx(totals["residents"])
    # one library: the loss is its sole coverage, and the worst set is no better than the
    # top of the single ranking together
    sole, critical, crit = closureview.most_important(
        cover, weights, places, np.ones(len(places), bool), 5
    )
    assert critical.proved_optimal and len(crit) == 5
    top = np.flatnonzero(places["site_id"].isin(sole["site_id"]).to_numpy())
    lost_top = weights["target"].to_numpy()[lost_demand(cover, top)]
    assert critical.loss >= lost_top.sum() - 1e-6
    one = int(top[0])
    _, totals_one = closureview.closure_impact(cover, weights, [one], data.oas, data.lsoas)
    assert totals_one["target"] == pytest.approx(sole["sole_target"].iloc[0])
