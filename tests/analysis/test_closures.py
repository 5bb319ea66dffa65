"""Closure losses against recounts and brute force (synthetic points and weights only)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from plan_synthetic import points_cover, random_points

from geo.analysis import closures


def _instance(seed: int, n_demand: int = 300, n_places: int = 12):
    dxy, pxy = random_points(seed, n_demand, 4000.0), random_points(seed + 99, n_places, 4000.0)
    rng = np.random.default_rng(seed)
    weights = pd.DataFrame(
        {"residents": rng.integers(50, 400, n_demand), "ha": rng.integers(0, 40, n_demand)}
    ).astype(float)
    return dxy, pxy, weights


@pytest.mark.parametrize("seed", range(10))
def test_synthetic_closure_loss_equals_recount(seed: int) -> None:
    """Closing places = recomputing reach from the coordinates of the places left."""
    dxy, pxy, weights = _instance(seed)
    rng = np.random.default_rng(seed)
    closed = rng.choice(len(pxy), size=int(rng.integers(1, 5)), replace=False)
    A = points_cover(dxy, pxy, 800.0, 1.3)
    before = np.asarray(A.sum(axis=1)).ravel() > 0
    left = np.delete(pxy, closed, axis=0)
    after = np.asarray(points_cover(dxy, left, 800.0, 1.3).sum(axis=1)).ravel() > 0
    recount = weights[before & ~after].sum().to_numpy()
    np.testing.assert_allclose(closures.closure_loss(A, weights, closed), recount)
    mask = np.isin(np.arange(len(pxy)), closed)
    np.testing.assert_allclose(closures.closure_loss(A, weights, mask), recount)


@pytest.mark.parametrize("seed", range(5))
def test_synthetic_sole_coverage_is_single_closure_loss(seed: int) -> None:
    dxy, pxy, weights = _instance(seed)
    A = points_cover(dxy, pxy, 800.0, 1.3)
    sole = closures.sole_coverage(A, weights)
    for j in range(len(pxy)):
        np.testing.assert_allclose(sole[j], closures.closure_loss(A, weights, [j]))


def test_synthetic_loss_by_area_adds_up() -> None:
    dxy, pxy, weights = _instance(11)
    A = points_cover(dxy, pxy, 800.0, 1.3)
    area = pd.Series([f"L{i % 7}" for i in range(len(dxy))], name="lsoa_code")
    table = closures.loss_by_area(A, weights, [0, 1, 2], area)
    np.testing.assert_allclose(
        table[["lost_residents", "lost_ha"]].sum().to_numpy(),
        closures.closure_loss(A, weights, [0, 1, 2]),
    )
    assert table["areas_lost"].sum() == closures.lost_demand(A, [0, 1, 2]).sum()


@pytest.mark.parametrize("seed", range(10))
def test_synthetic_critical_places_equal_brute_force(seed: int) -> None:
    dxy, pxy, weights = _instance(seed, 150, 9)
    A = points_cover(dxy, pxy, 1000.0, 1.3)
    w = weights["residents"].to_numpy()
    for r in (1, 2, 3):
        best = max(
            closures.closure_loss(A, w, list(c)) for c in itertools.combinations(range(9), r)
        )
        res = closures.critical_places(A, w, r)
        assert res.proved_optimal and len(res.places) <= r
        assert res.loss == pytest.approx(best)


def test_two_libraries_backing_each_other_up() -> None:
    """Individually neither matters; together they strand everyone near them.

    Synthetic: demand at x = 0..400 (weight 100 each) reached by places A (x=100) and
    B (x=300) within 800 m; a third place C (x=5000) alone serves two demand points (weight 30).
    """
    dxy = np.array([[x, 0.0] for x in (0.0, 100.0, 200.0, 300.0, 400.0, 5000.0, 5100.0)])
    w = np.array([100, 100, 100, 100, 100, 30, 30], dtype=float)
    pxy = np.array([[100.0, 0.0], [300.0, 0.0], [5000.0, 0.0]])
    A = points_cover(dxy, pxy, 800.0, 1.3)
    sole = closures.sole_coverage(A, w)
    assert sole.tolist() == [0.0, 0.0, 60.0]
    res = closures.critical_places(A, w, 2)
    assert sorted(res.places.tolist()) == [0, 1] and res.loss == 500.0
    # the top two of the individual ranking (C and A) lose only 60
    assert closures.closure_loss(A, w, [2, 0]) == 60.0


def test_demand_without_any_place_is_never_lost() -> None:
    A = np.array([[0, 0], [1, 0]], dtype=bool)
    res = closures.critical_places(A, np.array([1000.0, 1.0]), 1)
    assert res.loss == 1.0
