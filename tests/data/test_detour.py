"""The detour factor: a hand-worked synthetic street grid, and Camden's measured from the data."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

from geo.data import detour, io, streets, walking
from geo.data.walkbuild import MAX_STRAIGHT_M, place_points


def grid_network(n: int = 11, step: float = 100.0) -> streets.WalkNetwork:
    """A synthetic Manhattan grid of n x n nodes, ``step`` metres apart."""
    ij = np.array([(i, j) for i in range(n) for j in range(n)])
    xy = ij * step
    idx = {tuple(v): k for k, v in enumerate(ij.tolist())}
    a, b = [], []
    for (i, j), k in idx.items():
        for di, dj in ((1, 0), (0, 1)):
            if (i + di, j + dj) in idx:
                a.append(k)
                b.append(idx[(i + di, j + dj)])
    a, b = np.array(a), np.array(b)
    return streets.network_from_tables(xy.astype(float), np.column_stack([a, b]))


def test_grid_detour_is_manhattan_over_euclid():
    net = grid_network()
    oa_xy = np.array([[0.0, 0.0]])
    # one place per category: due east 300 m (ratio 1), diagonal 300,400 (ratio 7/5)
    place_xy = np.array([[300.0, 0.0], [300.0, 400.0], [1000.0, 1000.0]])
    fac = np.array(["east", "diag", "far"], dtype=object)
    cat = np.array(["a", "b", "b"], dtype=object)
    so, sp = walking.snap(net, oa_xy), walking.snap(net, place_xy)
    r = detour.detour_ratios(net, so, oa_xy, sp, place_xy, fac, cat, max_straight=2000)
    r = r.set_index("category")
    assert r.loc["a", "ratio"] == pytest.approx(1.0)
    # category b: the nearest is "diag" (500 m straight), not "far" (1,414 m)
    assert r.loc["b", "facility"] == "diag"
    assert r.loc["b", "straight_m"] == pytest.approx(500.0)
    assert r.loc["b", "network_m"] == pytest.approx(700.0)
    assert r.loc["b", "ratio"] == pytest.approx(1.4)
    s = detour.summarise(r.reset_index())
    assert s.loc["all", "median"] == pytest.approx(1.2)  # median of 1.0 and 1.4
    # mode="all": both b places, "far" at (1000+1000)/1414.2
    r_all = detour.detour_ratios(net, so, oa_xy, sp, place_xy, fac, cat, mode="all")
    assert sorted(r_all["ratio"].round(6)) == sorted(
        [1.0, 1.4, round(2000 / np.hypot(1000, 1000), 6)]
    )


def test_facility_measured_at_its_nearest_point():
    net = grid_network()
    oa_xy = np.array([[0.0, 0.0]])
    # a park with two edge points: (0, 500) straight 500 / network 500; (300, 300) straight
    # 424 / network 600. Straight nearest point is (300,300); network nearest is (0,500).
    place_xy = np.array([[0.0, 500.0], [300.0, 300.0]])
    fac = np.array(["park", "park"], dtype=object)
    cat = np.array(["park", "park"], dtype=object)
    r = detour.detour_ratios(
        net, walking.snap(net, oa_xy), oa_xy, walking.snap(net, place_xy), place_xy, fac, cat
    )
    assert len(r) == 1
    assert r.loc[0, "straight_m"] == pytest.approx(np.hypot(300, 300))
    assert r.loc[0, "network_m"] == pytest.approx(500.0)


def test_places_beyond_max_straight_are_not_measured():
    net = grid_network()
    oa_xy = np.array([[0.0, 0.0]])
    place_xy = np.array([[1000.0, 1000.0]])
    r = detour.detour_ratios(
        net,
        walking.snap(net, oa_xy),
        oa_xy,
        walking.snap(net, place_xy),
        place_xy,
        np.array(["x"], dtype=object),
        np.array(["c"], dtype=object),
        max_straight=1000,
    )
    assert r.empty


def test_camden_detour_is_measured_from_the_data():
    """The stored default detour is the median the measurement gives on the bundled network and
    places now, not a constant; 40 OAs' ratios equal networkx on the same graph."""
    net = io.load_walk_network()
    oas = io.load_oas()
    report = io.load_detour()
    area = io.load_boroughs("iod2025").geometry.loc[report["covered_boroughs"]].union_all()
    xy = oas[["x", "y"]].to_numpy()
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    places = place_points(io.load_services(), io.load_parks(), io.load_park_edges())
    pxy = places[["x", "y"]].to_numpy()
    sp = walking.snap(net, pxy, inside=shapely.contains_xy(area, pxy[:, 0], pxy[:, 1]))
    fac = places["facility"].to_numpy(object)
    cat = places["category"].to_numpy(object)
    so = walking.snap(net, xy, inside=inside)
    ratios = detour.detour_ratios(net, so, xy, sp, pxy, fac, cat, max_straight=MAX_STRAIGHT_M)
    summary = detour.summarise(ratios)
    assert report["detour_default"] == pytest.approx(summary.loc["all", "median"], abs=5e-5)
    assert summary.loc["all", "pairs"] == report["nearest_per_category"]["all"]["pairs"] == 5828
    for cat_key, rec in report["nearest_per_category"].items():
        assert rec["median"] == pytest.approx(summary.loc[cat_key, "median"], abs=5e-5)
    assert report["detour_default"] != 1.3
    # independent check of 40 OAs: networkx Dijkstra from each OA's node on the same graph
    pick = np.zeros(len(xy), bool)
    pick[np.flatnonzero(inside)[::19]] = True
    sub = ratios[ratios["oa"].isin(np.flatnonzero(pick))]
    assert sub["oa"].nunique() == 40
    coo = net.graph.tocoo()
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    from_oa: dict = {}
    for oa, f, straight, ratio in zip(sub["oa"], sub["facility"], sub["straight_m"],
                                      sub["ratio"], strict=True):  # fmt: skip
        if oa not in from_oa:  # one Dijkstra per OA
            from_oa[oa] = nx.single_source_dijkstra_path_length(
                g, int(so.node[oa]), weight="weight"
            )
        lengths = from_oa[oa]
        pts = np.flatnonzero((fac == f) & sp.covered)
        network = min(so.leg[oa] + lengths.get(int(sp.node[j]), np.inf) + sp.leg[j] for j in pts)
        assert network / straight == pytest.approx(ratio, rel=1e-9)
        assert ratio >= 1 - 1e-12  # never shorter than the straight line
