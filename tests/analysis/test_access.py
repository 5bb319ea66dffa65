"""Tests for geo.analysis.access on small synthetic layouts whose answers are worked out by hand.

All geometries here are SYNTHETIC: points and squares on a metre grid in EPSG:27700 built in
the tests, not real places.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from shapely.geometry import Point, Polygon, box

from geo.analysis.access import e2sfca, nearest_service, services_within

BNG = 27700


def synthetic_points(xy, crs=BNG, index=None, **cols) -> gpd.GeoDataFrame:
    """A GeoDataFrame of synthetic points at the given (x, y) metre coordinates."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(
        cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs, index=index
    )


# Synthetic line: three demand points 100 m apart, two services at the ends.
#
#   d0 (pop 10)   d1 (pop 20)   d2 (pop 30)
#   x=0           x=100         x=200
#   service A                   service B
@pytest.fixture
def line_demand() -> gpd.GeoDataFrame:
    return synthetic_points(
        [(0, 0), (100, 0), (200, 0)], index=["d0", "d1", "d2"], population=[10, 20, 30]
    )


@pytest.fixture
def line_supply() -> gpd.GeoDataFrame:
    return synthetic_points([(0, 0), (200, 0)], index=["A", "B"])


# --------------------------------------------------------------------------------------------
# e2sfca: hand-computed values
# --------------------------------------------------------------------------------------------
def test_e2sfca_step_line_by_hand(line_demand, line_supply):
    # catchment 150 m, straight line (detour 1):
    # A reaches d0 (0 m) and d1 (100 m): R_A = 1 / (10 + 20) = 1/30
    # B reaches d1 (100 m) and d2 (0 m): R_B = 1 / (20 + 30) = 1/50
    # d0 sees A: 1/30; d1 sees A and B: 1/30 + 1/50 = 4/75; d2 sees B: 1/50
    got = e2sfca(line_demand, line_supply, catchment=150, detour=1.0)
    assert list(got.index) == ["d0", "d1", "d2"]
    assert got.name == "access"
    np.testing.assert_allclose(got.to_numpy(), [1 / 30, 4 / 75, 1 / 50], rtol=1e-12)


def test_e2sfca_detour_is_applied(line_demand, line_supply):
    # detour 1.3: d1 is 100 * 1.3 = 130 m from each service.
    # catchment 150 -> 130 <= 150, same as straight line: [1/30, 4/75, 1/50]
    got = e2sfca(line_demand, line_supply, catchment=150, detour=1.3)
    np.testing.assert_allclose(got.to_numpy(), [1 / 30, 4 / 75, 1 / 50], rtol=1e-12)
    # catchment 120 -> 130 > 120: each service only reaches its own point.
    # R_A = 1/10, R_B = 1/30; d1 reaches nothing.
    got = e2sfca(line_demand, line_supply, catchment=120, detour=1.3)
    np.testing.assert_allclose(got.to_numpy(), [1 / 10, 0.0, 1 / 30], rtol=1e-12)


def test_e2sfca_gaussian_line_by_hand(line_demand, line_supply):
    # catchment d0 = 150, detour 1. Weight at 0 m is 1, at 100 m it is
    # g = exp(-0.5 * (100/150)^2) = exp(-2/9) ~= 0.8007.
    # R_A = 1 / (10*1 + 20*g), R_B = 1 / (20*g + 30*1)
    # d0 = R_A; d1 = g*R_A + g*R_B; d2 = R_B
    g = math.exp(-2 / 9)
    ra, rb = 1 / (10 + 20 * g), 1 / (30 + 20 * g)
    got = e2sfca(line_demand, line_supply, catchment=150, detour=1.0, decay="gaussian")
    np.testing.assert_allclose(got.to_numpy(), [ra, g * (ra + rb), rb], rtol=1e-12)


def test_e2sfca_gaussian_dai_line_by_hand(line_demand, line_supply):
    # Dai (2010): w = (exp(-0.5 (d/d0)^2) - exp(-0.5)) / (1 - exp(-0.5)); 1 at 0 m and,
    # at 100 m of 150, w = (exp(-2/9) - exp(-1/2)) / (1 - exp(-1/2)) ~= 0.4936.
    w = (math.exp(-2 / 9) - math.exp(-0.5)) / (1 - math.exp(-0.5))
    assert 0.49 < w < 0.50
    ra, rb = 1 / (10 + 20 * w), 1 / (30 + 20 * w)
    got = e2sfca(line_demand, line_supply, catchment=150, detour=1.0, decay="gaussian_dai")
    np.testing.assert_allclose(got.to_numpy(), [ra, w * (ra + rb), rb], rtol=1e-12)


def _grid_3x3(spacing: float = 100.0) -> gpd.GeoDataFrame:
    """Synthetic 3x3 grid of 100 m square LSOAs, population 100 each, named r{row}c{col}."""
    cells, names = [], []
    for row in range(3):
        for col in range(3):
            x0, y0 = col * spacing, row * spacing
            cells.append(box(x0, y0, x0 + spacing, y0 + spacing))
            names.append(f"r{row}c{col}")
    return gpd.GeoDataFrame({"population": [100] * 9}, geometry=cells, crs=BNG, index=names)


def test_e2sfca_3x3_polygons_boundary_inclusive():
    # Synthetic 3x3 grid of squares; centroids 100 m apart; one service at the centre
    # centroid (150, 150). catchment 100, detour 1: the centre and its 4 rook neighbours are
    # exactly 100 m away (inclusive), the 4 corners 141 m (out).
    # R = 1 / (5 * 100) = 0.002 -> 0.002 for the 5 cells, 0 for the corners.
    grid = _grid_3x3()
    service = synthetic_points([(150, 150)])
    got = e2sfca(grid, service, catchment=100, detour=1.0)
    expected = pd.Series(0.0, index=grid.index)
    expected[["r1c1", "r0c1", "r2c1", "r1c0", "r1c2"]] = 0.002
    pd.testing.assert_series_equal(got, expected, check_names=False, rtol=1e-12)
    # detour 1.3: the rook neighbours are 130 m away, outside 100 m: only the centre, 1/100.
    got = e2sfca(grid, service, catchment=100, detour=1.3)
    assert got["r1c1"] == pytest.approx(0.01)
    assert (got.drop("r1c1") == 0).all()


def test_e2sfca_gaussian_3x3_by_hand():
    # Same synthetic grid, gaussian decay, catchment 150: weights 1 (centre), exp(-0.5*(100/150)^2)
    # = exp(-2/9) for the 4 rook cells (100 m) and exp(-0.5*(141.42/150)^2) = exp(-4/9)
    # for the 4 corners (141.42 m <= 150).
    # R = 1 / (100 * (1 + 4 exp(-2/9) + 4 exp(-4/9)));  A_cell = R * w_cell.
    grid = _grid_3x3()
    service = synthetic_points([(150, 150)])
    w_rook, w_corner = math.exp(-2 / 9), math.exp(-4 / 9)
    r = 1 / (100 * (1 + 4 * w_rook + 4 * w_corner))
    got = e2sfca(grid, service, catchment=150, detour=1.0, decay="gaussian")
    assert got["r1c1"] == pytest.approx(r, rel=1e-12)
    assert got["r0c1"] == pytest.approx(r * w_rook, rel=1e-12)
    assert got["r2c2"] == pytest.approx(r * w_corner, rel=1e-12)


@pytest.mark.parametrize("decay", ["step", "gaussian"])
@pytest.mark.parametrize("catchment", [np.inf, 1e9])
def test_e2sfca_huge_catchment_is_total_supply_over_total_demand(decay, catchment):
    # Everyone reaches every service with weight 1 (the gaussian weight tends to 1 as
    # d/d0 -> 0), so every row gets sum(S) / sum(P).
    rng = np.random.default_rng(7)
    demand = synthetic_points(rng.uniform(0, 5_000, (40, 2)), population=rng.integers(0, 2_000, 40))
    supply = synthetic_points(rng.uniform(0, 5_000, (15, 2)), capacity=rng.integers(1, 6, 15))
    got = e2sfca(demand, supply, capacity_col="capacity", catchment=catchment, decay=decay)
    expected = supply["capacity"].sum() / demand["population"].sum()
    np.testing.assert_allclose(
        got.to_numpy(), expected, rtol=1e-6 if decay == "gaussian" else 1e-12
    )


def test_e2sfca_service_without_population_in_reach_contributes_nothing(line_demand, line_supply):
    base = e2sfca(line_demand, line_supply, catchment=150, detour=1.0)
    # a synthetic service 10 km away from everyone: no demand in reach, its ratio is
    # undefined and skipped; nothing else changes.
    far = pd.concat([line_supply, synthetic_points([(10_000, 0)], index=["far"])])
    got = e2sfca(line_demand, far, catchment=150, detour=1.0)
    pd.testing.assert_series_equal(got, base)
    # a service whose only demand in reach has zero population: ratio 1/0 skipped, so the
    # zero-population row next to it gets 0 rather than inf/NaN.
    demand = pd.concat(
        [line_demand, synthetic_points([(20_000, 0)], index=["empty"], population=[0])]
    )
    supply = pd.concat([line_supply, synthetic_points([(20_000, 0)], index=["lonely"])])
    got = e2sfca(demand, supply, catchment=150, detour=1.0)
    assert np.isfinite(got).all()
    assert got["empty"] == 0.0
    pd.testing.assert_series_equal(got.drop("empty"), base)


def test_e2sfca_zero_population_row_still_gets_a_value():
    # Synthetic: z (pop 0) at x=0, p (pop 50) at x=100, one service at x=50, catchment 100.
    # R = 1 / (0 + 50) = 0.02; both rows reach the service, so both get 0.02.
    demand = synthetic_points([(0, 0), (100, 0)], index=["z", "p"], population=[0, 50])
    supply = synthetic_points([(50, 0)])
    got = e2sfca(demand, supply, catchment=100, detour=1.0)
    np.testing.assert_allclose(got.to_numpy(), [0.02, 0.02], rtol=1e-12)


def test_e2sfca_nan_population_is_zero():
    demand_nan = synthetic_points([(0, 0), (100, 0)], population=[np.nan, 50])
    demand_zero = synthetic_points([(0, 0), (100, 0)], population=[0, 50])
    supply = synthetic_points([(50, 0)])
    pd.testing.assert_series_equal(
        e2sfca(demand_nan, supply, catchment=100, detour=1.0),
        e2sfca(demand_zero, supply, catchment=100, detour=1.0),
    )


def test_e2sfca_duplicate_services_each_count(line_demand, line_supply):
    # Service A listed twice at the same point: R_A1 = R_A2 = 1/30, so d0 gets 2/30 and
    # d1 gets 2/30 + 1/50; d2 is unchanged.
    dup = pd.concat([line_supply, line_supply.loc[["A"]]])
    got = e2sfca(line_demand, dup, catchment=150, detour=1.0)
    np.testing.assert_allclose(got.to_numpy(), [2 / 30, 2 / 30 + 1 / 50, 1 / 50], rtol=1e-12)


def test_e2sfca_capacity_column(line_demand, line_supply):
    # capacity 3 at A, 1 at B: R_A = 3/30, R_B = 1/50
    supply = line_supply.assign(capacity=[3, 1])
    got = e2sfca(line_demand, supply, capacity_col="capacity", catchment=150, detour=1.0)
    np.testing.assert_allclose(got.to_numpy(), [3 / 30, 3 / 30 + 1 / 50, 1 / 50], rtol=1e-12)


def test_e2sfca_representative_point_vs_centroid():
    # Synthetic C-shaped LSOA: 300 m square minus a 200 x 100 notch open to the east.
    # Area 70,000; centroid x = (90000*150 - 20000*200) / 70000 = 135.71, y = 150 -- inside
    # the notch, i.e. outside the polygon, at least 35.7 m from any part of it.
    # A service at the centroid with a 30 m catchment: reached from the centroid, not from
    # the representative point (which lies inside the polygon).
    c_shape = Polygon([(0, 0), (300, 0), (300, 100), (100, 100), (100, 200), (300, 200),
                       (300, 300), (0, 300)])  # fmt: skip
    demand = gpd.GeoDataFrame({"population": [100]}, geometry=[c_shape], crs=BNG)
    assert demand.centroid.iloc[0].x == pytest.approx(135.714, abs=1e-3)
    supply = synthetic_points([(950 / 7, 150)])
    by_centroid = e2sfca(demand, supply, catchment=30, detour=1.0)
    by_rep = e2sfca(demand, supply, catchment=30, detour=1.0, points="representative_point")
    assert by_centroid.iloc[0] == pytest.approx(0.01)
    assert by_rep.iloc[0] == 0.0


def test_e2sfca_empty_supply_gives_zeros(line_demand):
    for empty in (line_demand.iloc[:0][["geometry"]], gpd.GeoDataFrame(geometry=[])):
        got = e2sfca(line_demand, empty)
        assert list(got.index) == list(line_demand.index)
        assert (got == 0.0).all()


def test_e2sfca_empty_demand():
    got = e2sfca(synthetic_points(np.empty((0, 2)), population=[]), synthetic_points([(0, 0)]))
    assert got.empty


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def test_geographic_crs_is_rejected(line_demand, line_supply):
    with pytest.raises(ValueError, match="geographic CRS"):
        e2sfca(line_demand.set_crs(4326, allow_override=True), line_supply.to_crs(4326))
    with pytest.raises(ValueError, match="no CRS"):
        services_within(line_demand.set_crs(None, allow_override=True), line_supply)


def test_mismatched_crs_is_rejected(line_demand, line_supply):
    with pytest.raises(ValueError, match="same CRS"):
        nearest_service(line_demand, line_supply.to_crs(3857))


def test_bad_inputs_are_rejected(line_demand, line_supply):
    with pytest.raises(ValueError, match="no column 'pop'"):
        e2sfca(line_demand, line_supply, demand_col="pop")
    with pytest.raises(ValueError, match="missing value"):
        e2sfca(line_demand, line_supply.assign(cap=[1, np.nan]), capacity_col="cap")
    with pytest.raises(ValueError, match=">= 0"):
        e2sfca(line_demand.assign(population=[1, -1, 1]), line_supply)
    with pytest.raises(ValueError, match="decay"):
        e2sfca(line_demand, line_supply, decay="linear")
    with pytest.raises(ValueError, match="catchment"):
        e2sfca(line_demand, line_supply, catchment=0)
    with pytest.raises(ValueError, match="detour"):
        services_within(line_demand, line_supply, detour=0.5)
    with pytest.raises(ValueError, match="missing or empty geometry"):
        e2sfca(line_demand, line_supply.set_geometry([Point(0, 0), None], crs=BNG))
    with pytest.raises(ValueError, match="no column 'theme'"):
        services_within(line_demand, line_supply, by="theme")


# --------------------------------------------------------------------------------------------
# agreement with PySAL access
# --------------------------------------------------------------------------------------------
def _pysal_e2sfca(demand, supply, capacity, catchment, detour, decay):
    """E2SFCA from PySAL ``access`` with a full cost table of straight-line metres * detour."""
    from access import Access, weights

    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([supply.geometry.x, supply.geometry.y])
    cost = cdist(dxy, sxy) * detour
    origin, dest = np.meshgrid(np.arange(len(dxy)), np.arange(len(sxy)), indexing="ij")
    cost_df = pd.DataFrame({"origin": origin.ravel(), "dest": dest.ravel(), "cost": cost.ravel()})
    weight_fn = {
        "step": weights.step_fn({catchment: 1}),
        "gaussian": weights.gaussian(catchment),
        "gaussian_dai": lambda x: (
            (np.exp(-x * x / (2 * catchment**2)) - np.exp(-0.5)) / (1 - np.exp(-0.5))
        ),
    }[decay]
    with warnings.catch_warnings():  # PySAL's own pandas deprecation warnings
        warnings.simplefilter("ignore")
        model = Access(
            demand_df=pd.DataFrame({"geoid": np.arange(len(dxy)), "pop": demand["population"]}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(len(sxy)), "capacity": capacity}),
            supply_index="geoid",
            supply_value="capacity",
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        out = model.enhanced_two_stage_fca(name="e2", max_cost=catchment, weight_fn=weight_fn)
    # rows that reach no service are NaN in PySAL, 0 here
    return out["e2_capacity"].reindex(np.arange(len(dxy))).fillna(0.0).to_numpy()


@pytest.mark.parametrize("decay", ["step", "gaussian", "gaussian_dai"])
@pytest.mark.parametrize("catchment", [800.0, 1600.0])
def test_e2sfca_matches_pysal_access(decay, catchment):
    # Synthetic random layout in a 5 km square: 300 demand points (population >= 1 so no
    # service has an empty catchment, where PySAL would give inf), 200 services with
    # capacities, 10 of them duplicated at the same point.
    rng = np.random.default_rng(2024)
    demand = synthetic_points(
        rng.uniform(0, 5_000, (300, 2)), population=rng.integers(1, 3_000, 300).astype(float)
    )
    sxy = rng.uniform(0, 5_000, (200, 2))
    sxy = np.vstack([sxy, sxy[:10]])
    capacity = rng.integers(1, 5, len(sxy)).astype(float)
    supply = synthetic_points(sxy, capacity=capacity)
    ours = e2sfca(
        demand, supply, capacity_col="capacity", catchment=catchment, detour=1.3, decay=decay
    ).to_numpy()
    theirs = _pysal_e2sfca(demand, supply, capacity, catchment, 1.3, decay)
    assert (theirs > 0).sum() > 250  # the comparison is not vacuous
    assert np.max(np.abs(ours - theirs)) <= 1e-9
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)


# --------------------------------------------------------------------------------------------
# services_within / nearest_service
# --------------------------------------------------------------------------------------------
@pytest.fixture
def themed():
    # Synthetic layout, catchment 800 walking metres, detour 1.3 (615 m straight line):
    #   d0 (0, 0), d1 (1000, 0)
    #   s1 (100, 0) health       -> d0: 130 m in;  d1: 900*1.3 = 1170 m out
    #   s2 (900, 0) employment   -> d0: 1170 m out; d1: 130 m in
    #   s3 (0, 500) health       -> d0: 650 m in;  d1: 1118.03*1.3 = 1453.4 m out
    # "housing" is a category with no services.
    demand = synthetic_points([(0, 0), (1000, 0)], index=["d0", "d1"], population=[1, 1])
    theme = pd.Categorical(
        ["health", "employment", "health"], categories=["employment", "health", "housing"]
    )
    supply = synthetic_points([(100, 0), (900, 0), (0, 500)], theme=theme)
    return demand, supply


def test_services_within_by_theme_by_hand(themed):
    demand, supply = themed
    got = services_within(demand, supply, by="theme")
    expected = pd.DataFrame(
        {"employment": [0, 1], "health": [2, 0], "housing": [0, 0], "all": [2, 1]},
        index=["d0", "d1"],
    )
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == {"catchment": 800.0, "detour": 1.3}
    # without themes: only "all"
    pd.testing.assert_frame_equal(services_within(demand, supply), expected[["all"]])
    # explicit theme list: columns in that order, other themes only counted in "all"
    got = services_within(demand, supply, by="theme", themes=["health"])
    assert list(got.columns) == ["health", "all"]
    assert got["all"].tolist() == [2, 1]


def test_nearest_service_by_theme_by_hand(themed):
    demand, supply = themed
    got = nearest_service(demand, supply, by="theme")
    assert list(got.columns) == ["employment", "health", "housing", "all"]
    # d0: employment s2 900 m * 1.3 = 1170; health s1 100 * 1.3 = 130; all 130
    # d1: employment s2 130; health min(900, 1118.03) * 1.3 = 1170; all 130
    np.testing.assert_allclose(got["employment"], [1170.0, 130.0])
    np.testing.assert_allclose(got["health"], [130.0, 1170.0])
    np.testing.assert_allclose(got["all"], [130.0, 130.0])
    assert got["housing"].isna().all()  # a theme with no services


def test_catchment_boundary_is_inclusive():
    demand = synthetic_points([(0, 0)], population=[1])
    supply = synthetic_points([(800, 0), (800.001, 0)])
    got = services_within(demand, supply, catchment=800, detour=1.0)
    assert got["all"].tolist() == [1]


def test_services_with_several_themes_and_duplicates():
    # Synthetic: one service listed with two themes (health twice by mistake: counts once),
    # plus the same point listed twice as "money" (duplicates each count); a service with no
    # theme counts only in "all".
    demand = synthetic_points([(0, 0)], population=[1])
    supply = synthetic_points(
        [(0, 0), (10, 0), (10, 0), (20, 0)],
        theme=[["health", "employment", "health"], "money", "money", None],
    )
    got = services_within(demand, supply, by="theme")
    assert got.iloc[0].to_dict() == {"employment": 1, "health": 1, "money": 2, "all": 4}
    near = nearest_service(demand, supply, by="theme", detour=1.0)
    assert near.iloc[0].to_dict() == {"employment": 0.0, "health": 0.0, "money": 10.0, "all": 0.0}


def test_empty_supply_counts_and_distances(themed):
    demand, supply = themed
    empty = supply.iloc[:0]
    counts = services_within(demand, empty, by="theme")
    assert list(counts.columns) == ["employment", "health", "housing", "all"]
    assert (counts == 0).all().all()
    near = nearest_service(demand, empty, by="theme")
    assert near.isna().all().all()
    assert list(near.index) == ["d0", "d1"]


def test_counts_and_nearest_match_brute_force():
    # Synthetic random layout; compare with a dense distance matrix.
    rng = np.random.default_rng(11)
    dxy = rng.uniform(0, 4_000, (150, 2))
    sxy = rng.uniform(0, 4_000, (400, 2))
    themes = rng.choice(["a", "b", "c"], len(sxy))
    demand = synthetic_points(dxy, population=np.ones(len(dxy)))
    supply = synthetic_points(sxy, theme=themes)
    walk = cdist(dxy, sxy) * 1.3
    counts = services_within(demand, supply, catchment=800, by="theme")
    near = nearest_service(demand, supply, by="theme")
    for t in ["a", "b", "c"]:
        np.testing.assert_array_equal(counts[t], (walk[:, themes == t] <= 800).sum(axis=1))
        np.testing.assert_allclose(near[t], walk[:, themes == t].min(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(counts["all"], (walk <= 800).sum(axis=1))
    np.testing.assert_allclose(near["all"], walk.min(axis=1), rtol=1e-12)
    assert counts["all"].sum() > 500  # not vacuous
