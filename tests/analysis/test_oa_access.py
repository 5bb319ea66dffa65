"""OA-based access measures on synthetic data worked out by hand (EPSG:27700 metres)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.analysis import oa_access, oa_table

# --------------------------------------------------------------------------------------------
# synthetic layout (not real data): 3 OAs in 2 LSOAs, two GPs and a park with two edge points
#
#   OA1 (0, 0) pop 100, LSOA A      P1 (0, 300)      gp1   {H}
#   OA2 (1000, 0) pop 300, LSOA A   P2 (1000, 600)   gp2   {H}
#   OA3 (3000, 0) pop 200, LSOA B   K1 (3000, 700), K2 (3000, 1500)  park  {G, H}
#
# straight distances <= 1,600 m (detour 1): OA1-P1 300, OA1-P2 1166.19, OA2-P1 1044.03,
# OA2-P2 600, OA3-park 700 (K1; K2 is 1,500)
# --------------------------------------------------------------------------------------------
OAS = pd.DataFrame(
    {
        "oa_code": ["OA1", "OA2", "OA3"],
        "lsoa21_code": ["A", "A", "B"],
        "population": [100, 300, 200],
        "x": [0.0, 1000.0, 3000.0],
        "y": [0.0, 0.0, 0.0],
    }
)


def supply_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility": ["gp1", "gp2", "park", "park"],
            "themes": [["H"], ["H"], ["G", "H"], ["G", "H"]],
            "capacity": [2.0, 1.0, 1.0, 1.0],
        },
        geometry=[Point(0, 300), Point(1000, 600), Point(3000, 700), Point(3000, 1500)],
        crs=27700,
    )


@pytest.fixture()
def prep() -> oa_access.Prepared:
    supply = oa_table.supply_from_frame(supply_frame(), themes=["H", "G"])
    table = oa_table.distance_table(OAS[["x", "y"]].to_numpy(), supply, detour=1.0)
    return oa_access.prepare(OAS, supply, table)


def test_distance_table_by_hand(prep):
    t = prep.table
    got = {
        (int(o), prep.supply.facility_id[f]): round(d, 2)
        for o, f, d in zip(t.origin, t.facility, t.distance, strict=True)
    }
    assert got == {
        (0, "gp1"): 300.0,
        (0, "gp2"): 1166.19,
        (1, "gp1"): 1044.03,
        (1, "gp2"): 600.0,
        (2, "park"): 700.0,  # the park at its nearest edge point, once
    }
    assert not t.network.any()


def test_step_800_by_hand(prep):
    m = oa_access.lsoa_measures(prep, "H", catchment=800)
    # R_gp1 = 1/100, R_gp2 = 1/300, R_park = 1/200
    # A_OA1 = 1/100, A_OA2 = 1/300, A_OA3 = 1/200
    # A_A = (100 * 1/100 + 300 * 1/300) / 400 = 0.005 ; A_B = 0.005
    assert m.loc["A", "access"] == pytest.approx(0.005)
    assert m.loc["B", "access"] == pytest.approx(0.005)
    assert m.loc["A", "within"] == pytest.approx(1.0)
    assert m.loc["A", "reach_share"] == pytest.approx(1.0)
    # nearest: OA1 300 m (100 people), OA2 600 m (300 people): the median resident is at 600
    assert m.loc["A", "nearest_m"] == pytest.approx(600.0)
    assert m.loc["B", "nearest_m"] == pytest.approx(700.0)
    assert m["population"].tolist() == [400, 200]


def test_step_1200_by_hand(prep):
    m = oa_access.lsoa_measures(prep, "H", catchment=1200)
    # gp1 and gp2 each reach OA1 and OA2 (400 people): R = 1/400 each; park R = 1/200
    # A_OA1 = A_OA2 = 2/400 = 0.005, A_OA3 = 0.005
    assert m.loc["A", "access"] == pytest.approx(0.005)
    assert m.loc["A", "within"] == pytest.approx(2.0)
    assert m.loc["B", "within"] == pytest.approx(1.0)
    # with capacity (gp1 = 2): R_gp1 = 2/400, R_gp2 = 1/400 -> A_OA1 = A_OA2 = 3/400
    mc = oa_access.lsoa_measures(prep, "H", catchment=1200, use_capacity=True)
    assert mc.loc["A", "access"] == pytest.approx(3 / 400)


def test_theme_g_and_beyond_the_table(prep):
    m = oa_access.lsoa_measures(prep, "G", catchment=800)
    assert m.loc["A", "access"] == 0.0
    assert m.loc["A", "reach_share"] == 0.0
    assert m.loc["B", "access"] == pytest.approx(1 / 200)
    # LSOA A has no park within 1,600 m: straight line x detour to the nearest edge point
    # OA1 -> K1 3080.58 m (100 people), OA2 -> K1 2118.96 m (300 people): median 2118.96
    assert m.loc["A", "nearest_m"] == pytest.approx(np.hypot(2000, 700))


def test_gaussian_by_hand(prep):
    m = oa_access.lsoa_measures(prep, "H", catchment=800, decay="gaussian")
    w = lambda d: np.exp(-0.5 * (d / 800) ** 2)  # noqa: E731
    # one OA per place within 800 m: R_j = 1 / (P_i w_ij), A_i = R_j w_ij = 1 / P_i
    assert m.loc["A", "access"] == pytest.approx((100 * (1 / 100) + 300 * (1 / 300)) / 400)
    m2 = oa_access.lsoa_measures(prep, "H", catchment=1200, decay="gaussian")
    w = lambda d: np.exp(-0.5 * (d / 1200) ** 2)  # noqa: E731
    d = {("1", "p1"): 300, ("1", "p2"): np.hypot(1000, 600), ("2", "p1"): np.hypot(1000, 300),
         ("2", "p2"): 600}  # fmt: skip
    r1 = 1 / (100 * w(d["1", "p1"]) + 300 * w(d["2", "p1"]))
    r2 = 1 / (100 * w(d["1", "p2"]) + 300 * w(d["2", "p2"]))
    a1 = r1 * w(d["1", "p1"]) + r2 * w(d["1", "p2"])
    a2 = r1 * w(d["2", "p1"]) + r2 * w(d["2", "p2"])
    assert m2.loc["A", "access"] == pytest.approx((100 * a1 + 300 * a2) / 400)


def test_all_themes_and_within_by_theme(prep):
    w = oa_access.within_by_theme(prep, catchment=1200)
    assert w.loc["A"].to_dict() == pytest.approx({"H": 2.0, "G": 0.0, "all": 2.0})
    assert w.loc["B"].to_dict() == pytest.approx({"H": 1.0, "G": 1.0, "all": 1.0})
    n = oa_access.nearest_by_theme(prep)
    assert n.loc["A", "H"] == pytest.approx(600.0)
    assert n.loc["B", "all"] == pytest.approx(700.0)


def test_supply_is_conserved(prep):
    # step decay: sum over LSOAs of residents x access = capacity of the places reached
    for catchment in (400, 800, 1200, 1600):
        m = oa_access.lsoa_measures(prep, oa_table.ALL, catchment=catchment)
        reached = {
            f
            for f, d in zip(prep.table.facility, prep.table.distance, strict=True)
            if d <= catchment
        }
        assert (m["access"] * m["population"]).sum() == pytest.approx(len(reached))


# --------------------------------------------------------------------------------------------
# the LSOA centre and the residents disagree
# --------------------------------------------------------------------------------------------
def test_centre_in_reach_but_residents_not():
    """A 1 km square LSOA with a place at its centre and its residents in two far corners."""
    lsoa = box(0, 0, 1000, 1000)
    oas = pd.DataFrame(
        {"oa_code": ["a", "b"], "lsoa21_code": ["L", "L"], "population": [500, 500],
         "x": [50.0, 950.0], "y": [50.0, 950.0]}
    )  # fmt: skip
    place = gpd.GeoDataFrame({"facility": ["c"], "themes": [["H"]]}, geometry=[Point(500, 500)])
    supply = oa_table.supply_from_frame(place, themes=["H"])
    table = oa_table.distance_table(oas[["x", "y"]].to_numpy(), supply, detour=1.0)
    m = oa_access.lsoa_measures(oa_access.prepare(oas, supply, table), "H", catchment=400)
    # the old method (LSOA polygon centroid) puts the place 0 m away: in reach for everyone
    assert lsoa.centroid.distance(Point(500, 500)) == 0.0
    # residents: both OAs are 636 m away: nobody in reach, the median resident walks 636 m
    assert m.loc["L", "reach_share"] == 0.0
    assert m.loc["L", "within"] == 0.0
    assert m.loc["L", "nearest_m"] == pytest.approx(np.hypot(450, 450))


def test_residents_in_reach_but_centre_not():
    """Most residents far from a place in one corner; the centre is 636 m from it."""
    oas = pd.DataFrame(
        {"oa_code": ["a", "b"], "lsoa21_code": ["L", "L"], "population": [900, 100],
         "x": [100.0, 900.0], "y": [100.0, 900.0]}
    )  # fmt: skip
    place = gpd.GeoDataFrame({"facility": ["c"], "themes": [["H"]]}, geometry=[Point(950, 950)])
    supply = oa_table.supply_from_frame(place, themes=["H"])
    table = oa_table.distance_table(oas[["x", "y"]].to_numpy(), supply, detour=1.0)
    m = oa_access.lsoa_measures(oa_access.prepare(oas, supply, table), "H", catchment=400)
    assert box(0, 0, 1000, 1000).centroid.distance(Point(950, 950)) > 400  # old: 0 in reach
    assert m.loc["L", "reach_share"] == pytest.approx(0.1)  # 100 of 1,000 residents
    assert m.loc["L", "within"] == pytest.approx(0.1)
    # the median resident (in OA a) walks 1,202 m; the centre would say 636 m
    assert m.loc["L", "nearest_m"] == pytest.approx(np.hypot(850, 850))


# --------------------------------------------------------------------------------------------
# network where covered, straight x detour elsewhere
# --------------------------------------------------------------------------------------------
def test_network_pairs_replace_straight_for_covered_pairs():
    oas = OAS.copy()
    supply = oa_table.supply_from_frame(supply_frame(), themes=["H", "G"])
    oa_cov = np.array([True, False, False])
    pt_cov = np.array([True, True, False, False])
    # OA1-P1 on the network: 450 m; OA1-P2 not within 1,600 on the network (not listed)
    table = oa_table.distance_table(
        oas[["x", "y"]].to_numpy(),
        supply,
        detour=1.25,
        origin_covered=oa_cov,
        point_covered=pt_cov,
        network_pairs=(np.array([0]), np.array([0]), np.array([450.0])),
    )
    got = {
        (int(o), supply.facility_id[f]): (round(d, 2), bool(n))
        for o, f, d, n in zip(
            table.origin, table.facility, table.distance, table.network, strict=True
        )
    }
    assert got == {
        (0, "gp1"): (450.0, True),
        (1, "gp1"): (round(np.hypot(1000, 300) * 1.25, 2), False),
        (1, "gp2"): (750.0, False),
        (2, "park"): (875.0, False),
    }  # OA1-gp2 would be 1457.7 straight x detour, but the network says > 1,600: not in reach


def test_beyond_table_nearest_at_least_max_distance():
    # a covered OA whose only place is 1,200 m straight but > 1,600 m on the network
    oas = OAS.iloc[:1]
    place = gpd.GeoDataFrame({"facility": ["c"], "themes": [["H"]]}, geometry=[Point(1200, 0)])
    supply = oa_table.supply_from_frame(place, themes=["H"])
    table = oa_table.distance_table(
        oas[["x", "y"]].to_numpy(), supply, detour=1.25, origin_covered=[True], point_covered=[True],
        network_pairs=(np.array([], int), np.array([], int), np.array([])),
    )  # fmt: skip
    prep = oa_access.prepare(oas, supply, table)
    assert prep.nearest_oa("H")[0] == 1600.0  # not 1,500 (straight x detour): beyond reach


def test_weighted_median_definition():
    v = np.array([10.0, 20.0, 30.0, 40.0])
    g = np.zeros(4, dtype=int)
    # exactly half the weight at or below 20 -> 20 (lower median)
    assert oa_access.weighted_median(v, np.array([1.0, 1, 1, 1]), g, 1)[0] == 20.0
    assert oa_access.weighted_median(v, np.array([1.0, 1, 5, 1]), g, 1)[0] == 30.0
    # unsorted input, two groups
    out = oa_access.weighted_median(
        np.array([5.0, 1.0, 3.0, 9.0]), np.array([1.0, 1, 1, 10]), np.array([1, 0, 0, 1]), 2
    )
    assert out.tolist() == [1.0, 9.0]


def test_bad_input_messages(prep):
    with pytest.raises(ValueError, match="catchment"):
        oa_access.lsoa_measures(prep, "H", catchment=2000)
    with pytest.raises(ValueError, match="unknown theme"):
        oa_access.lsoa_measures(prep, "Nope")
    with pytest.raises(ValueError, match="detour"):
        oa_table.distance_table(np.zeros((1, 2)), prep.supply, detour=0.9)
    with pytest.raises(ValueError, match="no OA"):
        oa_access.prepare(OAS, prep.supply, prep.table, lsoa_index=pd.Index(["A", "B", "C"]))


@pytest.mark.parametrize("decay", ["step", "gaussian", "gaussian_dai"])
def test_oa_level_matches_pysal_access(decay):
    """OA-level E2SFCA equals PySAL ``access`` on the same cost table (synthetic points)."""
    from access import Access, weights

    rng = np.random.default_rng(17)
    n_oa, n_pl, catchment = 200, 60, 800.0
    oas = pd.DataFrame(
        {
            "oa_code": [f"o{k}" for k in range(n_oa)],
            "lsoa21_code": [f"L{k // 5}" for k in range(n_oa)],
            "population": rng.integers(100, 600, n_oa),
            "x": rng.uniform(0, 4000, n_oa),
            "y": rng.uniform(0, 4000, n_oa),
        }
    )
    sxy = rng.uniform(0, 4000, (n_pl, 2))
    places = gpd.GeoDataFrame(
        {"facility": np.arange(n_pl), "themes": [["H"]] * n_pl},
        geometry=gpd.points_from_xy(sxy[:, 0], sxy[:, 1]),
    )
    supply = oa_table.supply_from_frame(places, themes=["H"])
    table = oa_table.distance_table(oas[["x", "y"]].to_numpy(), supply, detour=1.3)
    prep = oa_access.prepare(oas, supply, table)
    m = oa_access.lsoa_measures(prep, "H", catchment=catchment, decay=decay)
    cost = pd.DataFrame({"origin": table.origin, "dest": table.facility, "cost": table.distance})
    fn = {
        "step": weights.step_fn({catchment: 1}),
        "gaussian": weights.gaussian(catchment),
        "gaussian_dai": lambda x: (
            (np.exp(-x * x / (2 * catchment**2)) - np.exp(-0.5)) / (1 - np.exp(-0.5))
        ),
    }[decay]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Access(
            demand_df=pd.DataFrame({"geoid": np.arange(n_oa), "pop": oas["population"]}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(n_pl), "cap": np.ones(n_pl)}),
            supply_index="geoid",
            supply_value="cap",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        ref = model.enhanced_two_stage_fca(name="e2", max_cost=catchment, weight_fn=fn)
    a_oa = ref["e2_cap"].reindex(np.arange(n_oa)).fillna(0.0).to_numpy()
    pop = oas["population"].to_numpy(float)
    expect = (
        pd.Series(a_oa * pop).groupby(oas["lsoa21_code"]).sum()
        / pd.Series(pop).groupby(oas["lsoa21_code"]).sum()
    )
    np.testing.assert_allclose(
        m["access"].to_numpy(), expect.reindex(m.index).to_numpy(), rtol=1e-9
    )


# --------------------------------------------------------------------------------------------
# demand spread, reach per theme, combined supplies
# --------------------------------------------------------------------------------------------
def test_spread_to_oas_by_residents(prep):
    # LSOA A (OA1 100, OA2 300 residents) has 40 people aged 65+, LSOA B 10
    counts = pd.Series({"A": 40.0, "B": 10.0})
    d = oa_access.spread_to_oas(prep, counts)
    assert d.tolist() == pytest.approx([10.0, 30.0, 10.0])
    assert d.sum() == pytest.approx(50.0)  # nothing lost
    # E2SFCA with that demand, step 800 m: R = 1/10, 1/30, 1/10; A_OA = 1/10, 1/30, 1/10
    m = oa_access.lsoa_measures(prep, "H", catchment=800, demand=d)
    assert m.loc["A", "access"] == pytest.approx((100 * 0.1 + 300 / 30) / 400)


def test_reach_and_within_by_theme(prep):
    reach = oa_access.reach_by_theme(prep, catchment=800)
    within = oa_access.within_by_theme(prep, catchment=1200)
    assert reach.loc["A"].to_dict() == pytest.approx({"H": 1.0, "G": 0.0, "all": 1.0})
    assert within.loc["A", "H"] == pytest.approx(2.0)
    # 400 m: only OA1 (100 of LSOA A's 400 residents) reaches gp1 (300 m)
    r400 = oa_access.reach_by_theme(prep, catchment=400)
    assert r400.loc["A", "H"] == pytest.approx(0.25)
    assert r400.loc["B", "G"] == 0.0
    counts = oa_table.origin_counts(prep.table, prep.supply, catchment=400)
    assert counts["H"].tolist() == [1, 0, 0] and counts["all"].tolist() == [1, 0, 0]


def test_unknown_capacity_takes_the_median_of_the_theme(prep):
    frame = supply_frame().assign(capacity=[4.0, np.nan, 2.0, 2.0])
    supply = oa_table.supply_from_frame(frame, themes=["H", "G"])
    table = oa_table.distance_table(OAS[["x", "y"]].to_numpy(), supply, detour=1.0)
    p = oa_access.prepare(OAS, supply, table)
    # theme H: gp1 4, gp2 unknown -> median of (4, 2) = 3, park 2; 1,200 m: gp1, gp2 reach
    # OA1 and OA2 (400 people): A_A = (4 + 3) / 400
    m = oa_access.lsoa_measures(p, "H", catchment=1200, use_capacity=True)
    assert m.loc["A", "access"] == pytest.approx(7 / 400)


def test_combined_supply_equals_one_supply():
    frame = supply_frame()
    first, second = frame.iloc[:2], frame.iloc[2:]
    xy = OAS[["x", "y"]].to_numpy()
    themes = ["H", "G"]
    s1, s2 = (oa_table.supply_from_frame(f, themes=themes) for f in (first, second))
    both = oa_table.concat_supply(s1, s2)
    t = oa_table.concat_tables(
        oa_table.distance_table(xy, s1, detour=1.2), oa_table.distance_table(xy, s2, detour=1.2)
    )
    whole = oa_table.supply_from_frame(frame, themes=themes)
    ref = oa_table.distance_table(xy, whole, detour=1.2)
    assert list(both.facility_id) == list(whole.facility_id)
    assert t.origin.tolist() == ref.origin.tolist()
    assert t.facility.tolist() == ref.facility.tolist()
    np.testing.assert_allclose(t.distance, ref.distance)
