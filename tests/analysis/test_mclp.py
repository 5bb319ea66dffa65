"""The exact MCLP solver against brute force, spopt (PySAL), greedy and a hand-worked grid.

All instances are synthetic (seeded random or drawn by hand); none is real data. Moved from
the prototype of issue 19 (346 tests there with the closures and coverage tests).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pulp
import pytest
from plan_synthetic import points_cover, random_instance, random_points
from scipy import sparse
from scipy.optimize import linprog
from spopt.locate import MCLP

from geo.analysis import mclp, mclp_core

SEEDS = range(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_synthetic_brute_force_equals_milp(seed: int) -> None:
    A, w, served, p = random_instance(seed)
    best, _ = mclp.brute_force(A, w, p, served)
    for kwargs in ({}, {"reduce": False}, {"backend": "highspy", "warm_start": True}):
        res = mclp.solve_mclp(A, w, p, served, **kwargs)
        assert res.objective == pytest.approx(best, abs=1e-9), kwargs
        assert res.proved_optimal
        assert len(res.sites) <= p
        # the reported objective is the recount of the chosen sites
        assert mclp.coverage_value(A, w, res.sites, served) == pytest.approx(res.objective)


@pytest.mark.parametrize("seed", SEEDS)
def test_synthetic_greedy_never_beats_optimum(seed: int) -> None:
    A, w, served, p = random_instance(seed, max_demand=40, max_candidates=12)
    sites, gains = mclp.greedy(A, w, p, served)
    best, _ = mclp.brute_force(A, w, p, served)
    assert gains.sum() <= best + 1e-9
    # greedy's own bookkeeping equals a recount, and it reaches >= (1 - 1/e) of the optimum
    assert mclp.coverage_value(A, w, sites, served) == pytest.approx(gains.sum())
    assert gains.sum() >= (1 - 1 / np.e) * best - 1e-9


def test_synthetic_greedy_is_beaten_where_it_should_be() -> None:
    """The classic trap: one big middle site, but two side sites together reach more."""
    # demand: a (10), b (10), c (10), d (10); candidate 0 covers b,c (20) + e (5) = 25;
    # candidate 1 covers a, b (20); candidate 2 covers c, d (20).
    dense = np.array(
        [
            [0, 1, 0],  # a
            [1, 1, 0],  # b
            [1, 0, 1],  # c
            [0, 0, 1],  # d
            [1, 0, 0],  # e
        ],
        dtype=bool,
    )
    w = np.array([10, 10, 10, 10, 5], dtype=float)
    sites, gains = mclp.greedy(dense, w, 2)
    assert sites.tolist() == [0, 1] and gains.sum() == 35
    res = mclp.solve_mclp(dense, w, 2)
    assert sorted(res.sites.tolist()) == [1, 2]
    assert res.objective == 40 and res.status == "optimal"


def test_hand_worked_grid() -> None:
    """A 3 x 3 grid of demand points 100 m apart, candidates at three of them.

    Weights (row by row): 1 2 1 / 2 9 2 / 1 2 1 = 21. With catchment 100 m and detour 1, a
    candidate covers itself and its 4-neighbours: centre (1,1) covers 2+2+9+2+2 = 17, corner
    (0,0) covers 1+2+2 = 5, corner (2,2) covers 1+2+2 = 5. Corners do not overlap each other;
    each overlaps the centre in two edge points (weight 4).
    p = 1 -> centre, 17. p = 2 -> centre + a corner: 17 + 1 = 18 (the corner adds only itself).
    p = 3 -> 19. Served mask on the centre point: p = 1 -> centre still best with 8.
    """
    xy = np.array([[x * 100.0, y * 100.0] for y in range(3) for x in range(3)])
    w = np.array([1, 2, 1, 2, 9, 2, 1, 2, 1], dtype=float)
    cand = xy[[4, 0, 8]]
    A = points_cover(xy, cand, 100.0, 1.0)
    assert A.sum() == 5 + 3 + 3
    assert [mclp.solve_mclp(A, w, p).objective for p in (1, 2, 3)] == [17, 18, 19]
    res = mclp.solve_mclp(A, w, 3)
    assert res.sites[0] == 0 and res.newly_reached.tolist() == [17, 1, 1]
    served = np.zeros(9, dtype=bool)
    served[4] = True
    assert mclp.solve_mclp(A, w, 1, served).objective == 8


def _spopt_objective(cost: np.ndarray, w: np.ndarray, radius: float, p: int, fixed=None) -> float:
    model = MCLP.from_cost_matrix(
        cost, w, service_radius=radius, p_facilities=p, predefined_facilities_arr=fixed
    )
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    return float(pulp.value(model.problem.objective))


@pytest.mark.parametrize("seed", range(8))
def test_synthetic_spopt_parity(seed: int) -> None:
    """Same objective as PySAL spopt's MCLP (solved by CBC) on the same points and radius.

    spopt covers a pair when ``cost <= service_radius`` and opens exactly p facilities; with
    at least p candidates our "at most p" has the same optimum.
    """
    rng = np.random.default_rng(seed)
    dxy, cxy = random_points(seed, 60), random_points(seed + 1000, 15)
    w = rng.integers(1, 50, len(dxy)).astype(float)
    cost = np.hypot(*(dxy[:, None, :] - cxy[None, :, :]).transpose(2, 0, 1)) * 1.3
    p = int(rng.integers(1, 6))
    A = points_cover(dxy, cxy, catchment=800.0, detour=1.3)
    np.testing.assert_array_equal(A.toarray(), cost <= 800.0)
    ours = mclp.solve_mclp(A, w, p).objective
    assert ours == pytest.approx(_spopt_objective(cost, w, 800.0, p), abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_synthetic_served_mask_equals_spopt_predefined_sites(seed: int) -> None:
    """ "Already served" = spopt with the existing places as predefined (forced-open) sites.

    spopt counts the served people too and opens existing + new sites; ours counts only the
    newly reached, so spopt = ours + weight already served.
    """
    rng = np.random.default_rng(seed)
    dxy = random_points(seed, 60)
    new, old = random_points(seed + 1, 12), random_points(seed + 2, 3)
    w = rng.integers(1, 50, len(dxy)).astype(float)
    p = 3
    served = points_cover(dxy, old, 800.0, 1.3).sum(axis=1) > 0
    A = points_cover(dxy, new, 800.0, 1.3)
    ours = mclp.solve_mclp(A, w, p, served).objective
    both = np.vstack([old, new])
    cost = np.hypot(*(dxy[:, None, :] - both[None, :, :]).transpose(2, 0, 1)) * 1.3
    fixed = np.r_[np.ones(len(old)), np.zeros(len(new))].astype(int)
    theirs = _spopt_objective(cost, w, 800.0, len(old) + p, fixed)
    assert theirs == pytest.approx(ours + w[served].sum(), abs=1e-6)


@pytest.mark.parametrize("seed", range(20))
def test_synthetic_reductions_keep_the_optimum(seed: int) -> None:
    A, w, served, p = random_instance(seed + 500, max_demand=40, max_candidates=12)
    R = mclp.reduce_problem(A, w, served)
    unserved = np.ones(len(w), dtype=bool) if served is None else ~served
    reachable = np.asarray(A.sum(axis=1)).ravel() > 0
    assert R.weights.sum() == pytest.approx(w[reachable & unserved].sum())
    full = mclp.solve_mclp(A, w, p, served, reduce=False).objective
    reduced_best, _ = mclp.brute_force(R.cover, R.weights, p)
    assert reduced_best == pytest.approx(full)


def test_synthetic_order_and_cumulative() -> None:
    dxy, cxy = random_points(7, 300, 5000.0), random_points(8, 40, 5000.0)
    w = np.random.default_rng(9).integers(1, 500, 300).astype(float)
    A = points_cover(dxy, cxy, 800.0, 1.3)
    res = mclp.solve_mclp(A, w, 6)
    assert res.status == "optimal" and res.gap == pytest.approx(0.0, abs=1e-9)
    assert np.all(np.diff(res.newly_reached) <= 1e-9)  # greedy order: gains never rise
    assert res.cumulative[-1] == pytest.approx(res.objective)
    for k in range(1, len(res.sites) + 1):
        assert res.cumulative[k - 1] == pytest.approx(mclp.coverage_value(A, w, res.sites[:k]))


def test_synthetic_fewer_sites_when_more_add_nothing() -> None:
    # two demand points, each covered by a different candidate; five more candidates cover nothing
    A = sparse.csr_array(np.array([[1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0]], dtype=bool))
    res = mclp.solve_mclp(A, np.array([5.0, 3.0]), 4)
    assert res.sites.tolist() == [0, 1] and res.objective == 8 and res.proved_optimal


def test_synthetic_reach_curve() -> None:
    dxy, cxy = random_points(3, 200, 4000.0), random_points(4, 20, 4000.0)
    w = np.random.default_rng(5).integers(1, 100, 200).astype(float)
    A = points_cover(dxy, cxy, 800.0, 1.3)
    curve = mclp.reach_curve(A, w, 5)
    assert curve["proved"].all()
    assert np.all(curve["greedy"] <= curve["optimal"] + 1e-9)
    assert np.all(np.diff(curve["optimal"]) >= -1e-9)
    for k in (1, 3, 5):
        assert curve["optimal"][k - 1] == pytest.approx(mclp.brute_force(A, w, k)[0])


def test_bad_input_messages() -> None:
    A = sparse.csr_array(np.eye(3, dtype=bool))
    with pytest.raises(ValueError, match="weights has 2 values"):
        mclp.solve_mclp(A, np.ones(2), 1)
    with pytest.raises(ValueError, match=">= 0"):
        mclp.solve_mclp(A, np.array([1.0, -1.0, 1.0]), 1)
    with pytest.raises(ValueError, match="whole number"):
        mclp.solve_mclp(A, np.ones(3), 1.5)


@pytest.mark.parametrize("seed", range(3))
def test_synthetic_core_method_equals_direct(seed: int) -> None:
    """The core method (LP bound, reduced-cost fixing, MILP on the survivors) is exact.

    600 candidates > the default core of 300, so columns are really fixed out by the bound.
    """
    rng = np.random.default_rng(seed)
    dxy, cxy = random_points(seed, 2500, 8000.0), random_points(seed + 50, 600, 8000.0)
    w = rng.integers(1, 400, len(dxy)).astype(float)
    A = points_cover(dxy, cxy, 800.0, 1.3)
    served = rng.random(len(dxy)) < 0.1
    direct = mclp.solve_mclp(A, w, 8, served, method="direct")
    core = mclp.solve_mclp(A, w, 8, served, method="core")
    assert direct.proved_optimal and core.proved_optimal
    assert core.objective == pytest.approx(direct.objective)
    assert core.reduction["core"] < core.reduction["candidates_undominated"]


def test_synthetic_dual_bound_is_an_upper_bound() -> None:
    """D(lambda) >= the optimum for any lambda in [0, w]; U_j >= best value containing j."""
    A, w, _, _ = random_instance(7, max_demand=30, max_candidates=9)
    A = sparse.csr_array(A)
    rng = np.random.default_rng(1)
    for p in (1, 2, 3):
        best, _ = mclp.brute_force(A, w, p)
        for _ in range(20):
            lam = w * rng.random(len(w))
            D, U = mclp.dual_bound(A, w, p, lam)
            assert best - 1e-9 <= D
            for j in range(A.shape[1]):
                with_j = max(
                    mclp.coverage_value(A, w, [j, *rest])
                    for rest in itertools.combinations(
                        [k for k in range(A.shape[1]) if k != j], p - 1
                    )
                )
                assert U[j] >= with_j - 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_synthetic_core_method_equals_brute_force(seed: int) -> None:
    """The core method with a one-column core: everything rests on the survivors' MILP."""
    A, w, served, p = random_instance(seed + 2000, max_demand=40, max_candidates=16)
    best, _ = mclp.brute_force(A, w, p, served)
    res = mclp.solve_mclp(A, w, p, served, method="core", core_size=1)
    assert res.proved_optimal
    assert res.objective == pytest.approx(best, abs=1e-9)
    assert res.bound == pytest.approx(best, abs=1e-6)
    assert mclp.coverage_value(A, w, res.sites, served) == pytest.approx(res.objective)


def _lp_optimum(A: sparse.csr_array, w: np.ndarray, p: int) -> float:
    """The LP relaxation written out in full for scipy's linprog (an independent model)."""
    m, n = A.shape
    rows = sparse.hstack([-sparse.csr_array(A, dtype=float), sparse.eye_array(m)])
    budget = sparse.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :])
    res = linprog(
        np.r_[np.zeros(n), -w],
        A_ub=sparse.vstack([rows, budget]),
        b_ub=np.r_[np.zeros(m), p],
        bounds=(0, 1),
        method="highs",
    )
    assert res.status == 0
    return -res.fun


def test_synthetic_lp_relaxation_by_columns_equals_full_lp() -> None:
    """Column generation (5 columns first, 3 more a round) reaches the full LP optimum."""
    rounds = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        dxy, cxy = random_points(seed, 400, 6000.0), random_points(seed + 70, 120, 6000.0)
        w = rng.integers(1, 300, len(dxy)).astype(float)
        A = points_cover(dxy, cxy, 1200.0, 1.3)
        p = int(rng.integers(2, 7))
        lp = mclp.lp_relaxation(A, w, p, first_columns=5, add_columns=3)
        assert lp.converged and lp.columns < A.shape[1]
        assert pytest.approx(_lp_optimum(A, w, p), rel=1e-9) == lp.D
        assert pytest.approx(mclp.dual_bound(A, w, p, lp.lam)[0]) == lp.D
        exact = mclp.solve_mclp(A, w, p, method="direct")
        assert exact.proved_optimal and exact.objective - 1e-6 <= lp.D
        rounds.append(lp.rounds)
    assert max(rounds) > 1  # columns were really generated


def _best_with(dense: np.ndarray, w: np.ndarray, p: int, j: int) -> float:
    others = [k for k in range(dense.shape[1]) if k != j]
    return max(
        float(w[dense[:, [j, *rest]].any(axis=1)].sum())
        for rest in itertools.combinations(others, min(p, dense.shape[1]) - 1)
    )


@pytest.mark.parametrize("seed", range(30))
def test_synthetic_dropped_candidates_never_beat_the_incumbent(seed: int) -> None:
    """Every candidate the reduced-cost test drops is in no solution better than z.

    Multipliers: the LP's (from column generation) and random ones in [0, w]; incumbents: the
    optimum, the greedy value and one in between.
    """
    A, w, _, p = random_instance(seed + 3000, max_demand=30, max_candidates=11)
    p = max(1, min(p, A.shape[1]))
    dense = A.toarray()
    best, _ = mclp.brute_force(A, w, p)
    greedy_value = mclp.greedy(A, w, p)[1].sum()
    rng = np.random.default_rng(seed)
    lams = [mclp.lp_relaxation(A, w, p, first_columns=2, add_columns=2).lam]
    lams += [w * rng.random(len(w)) for _ in range(3)]
    for lam in lams:
        for z in (best, greedy_value, (best + greedy_value) / 2):
            keep = mclp.survivors(A, w, p, lam, z)
            for j in np.setdiff1d(np.arange(A.shape[1]), keep):
                assert _best_with(dense, w, p, int(j)) <= z + 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_synthetic_unique_optimum_is_never_dropped(seed: int) -> None:
    """On instances with one optimal set (checked by enumeration), its sites always survive."""
    rng = np.random.default_rng(seed + 4000)
    m, n, p = 25, 10, int(rng.integers(1, 4))
    dense = rng.random((m, n)) < 0.25
    w = 2.0 ** rng.permutation(m)  # distinct powers of two: distinct covered sets, distinct sums
    values = {
        combo: float(w[dense[:, list(combo)].any(axis=1)].sum())
        for combo in itertools.combinations(range(n), p)
    }
    best = max(values.values())
    optimal = [c for c, v in values.items() if v == best]
    if len(optimal) != 1:
        pytest.skip("this draw has several optimal sets")
    A = sparse.csr_array(dense)
    lam_lp = mclp.lp_relaxation(A, w, p, first_columns=2, add_columns=1).lam
    for lam in (lam_lp, w * rng.random(m), np.zeros(m), w):
        for z in (best, mclp.greedy(A, w, p)[1].sum()):
            assert set(optimal[0]) <= set(mclp.survivors(A, w, p, lam, z).tolist())


def test_synthetic_unique_optimum_draws_are_common() -> None:
    """Guard for the test above: most draws must have a unique optimum (else it tests nothing)."""
    unique = 0
    for seed in range(40):
        rng = np.random.default_rng(seed + 4000)
        m, n, p = 25, 10, int(rng.integers(1, 4))
        dense = rng.random((m, n)) < 0.25
        w = 2.0 ** rng.permutation(m)
        values = [
            float(w[dense[:, list(c)].any(axis=1)].sum())
            for c in itertools.combinations(range(n), p)
        ]
        unique += values.count(max(values)) == 1
    assert unique >= 30


def test_synthetic_swap_search_escapes_the_greedy_trap() -> None:
    dense = np.array([[0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 1], [1, 0, 0]], dtype=bool)
    w = np.array([10, 10, 10, 10, 5], dtype=float)
    sites, value = mclp.swap_search(dense, w, [0, 1])
    assert sorted(sites.tolist()) == [1, 2] and value == 40


@pytest.mark.parametrize("seed", range(30))
def test_synthetic_swap_search_never_loses(seed: int) -> None:
    A, w, served, p = random_instance(seed + 5000, max_demand=40, max_candidates=12)
    start, gains = mclp.greedy(A, w, p, served)
    sites, value = mclp.swap_search(A, w, start, served)
    assert len(sites) == len(start)
    assert value == pytest.approx(mclp.coverage_value(A, w, sites, served))
    assert gains.sum() - 1e-9 <= value <= mclp.brute_force(A, w, p, served)[0] + 1e-9


@pytest.mark.parametrize("method", ["core", "direct"])
def test_synthetic_time_limit_covers_the_call_and_stays_honest(method: str) -> None:
    """With no time at all the answer is still a real solution with a valid bound."""
    rng = np.random.default_rng(11)
    dxy, cxy = random_points(11, 2500, 8000.0), random_points(61, 600, 8000.0)
    w = rng.integers(1, 400, len(dxy)).astype(float)
    A = points_cover(dxy, cxy, 800.0, 1.3)
    exact = mclp.solve_mclp(A, w, 8, time_limit=None)
    res = mclp.solve_mclp(A, w, 8, method=method, time_limit=0.0)
    assert exact.proved_optimal
    assert res.objective >= mclp.greedy(A, w, 8)[1].sum() - 1e-6
    assert res.objective <= exact.objective + 1e-6 <= res.bound + 2e-6
    assert res.proved_optimal == (res.status == "optimal")
    if not res.proved_optimal:
        assert res.gap == pytest.approx((res.bound - res.objective) / res.objective)


def test_highspy_runs_print_nothing() -> None:
    """No HiGHS banner or log on standard output (a fresh process: the banner comes once)."""
    code = (
        "import numpy as np\n"
        "from geo.analysis import mclp\n"
        "from plan_synthetic import random_instance\n"
        "A, w, s, p = random_instance(3)\n"
        "mclp.solve_mclp(A, w, 2, s, backend='highspy', warm_start=True)\n"
        "mclp.solve_mclp(A, w, 2, s, method='core')\n"
    )
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": f"{here.parent.parent}{os.pathsep}{here}"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout == ""


@pytest.mark.parametrize("seed", range(20))
def test_synthetic_subgradient_bound_is_valid_and_never_worse(seed: int) -> None:
    """Subgradient steps return multipliers whose bound is >= the brute-force optimum, no
    worse than where they started, and is D(lambda) of the multipliers returned."""
    A, w, served, p = random_instance(seed + 4000, max_demand=30, max_candidates=11)
    A, w = sparse.csr_array(A, dtype=bool), np.where(served, 0.0, w) if served is not None else w
    At = sparse.csr_array(A.T, dtype=float)
    best, _ = mclp.brute_force(A, w, p)
    rng = np.random.default_rng(seed)
    for start in (w.copy(), w * rng.random(len(w))):
        D0 = mclp.dual_bound(A, w, p, start)[0]
        lam, bound = mclp_core.subgradient_bound(A, At, w, p, start, best, None, max_steps=200)
        assert np.all((lam >= 0) & (lam <= w))
        assert bound == pytest.approx(mclp.dual_bound(A, w, p, lam)[0])
        assert best - 1e-6 <= bound <= D0 + 1e-9


def test_synthetic_subgradient_bound_closes_in_on_the_lp() -> None:
    """From the trivial multipliers (lambda = w: the p largest reaches added up), the steps
    come within 2% of the LP optimum on a map-like instance."""
    rng = np.random.default_rng(5)
    dxy, cxy = random_points(5, 1500, 6000.0), random_points(75, 300, 6000.0)
    w = rng.integers(1, 300, len(dxy)).astype(float)
    A = sparse.csr_array(points_cover(dxy, cxy, 1200.0, 1.3), dtype=bool)
    p = 6
    lp = _lp_optimum(A, w, p)
    D0 = mclp.dual_bound(A, w, p, w)[0]
    At = sparse.csr_array(A.T, dtype=float)
    _, bound = mclp_core.subgradient_bound(A, At, w, p, w, 0.98 * lp, None)
    assert lp - 1e-6 <= bound < D0
    assert bound <= 1.02 * lp


@pytest.mark.parametrize("seed", range(3))
def test_synthetic_cut_short_lp_stays_exact_and_honest(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An LP stopped after one round (as a time limit does): the incumbent from its sites,
    the subgradient bound and the rest still give a real solution and a valid bound."""
    rng = np.random.default_rng(seed)
    dxy, cxy = random_points(seed, 2500, 8000.0), random_points(seed + 50, 600, 8000.0)
    w = rng.integers(1, 400, len(dxy)).astype(float)
    A = points_cover(dxy, cxy, 800.0, 1.3)
    exact = mclp.solve_mclp(A, w, 8, method="direct")
    one_round = mclp_core.lp_bound

    def short(*args, **kwargs):
        return one_round(*args, **{**kwargs, "max_rounds": 1, "first_columns": 5})

    monkeypatch.setattr(mclp_core, "lp_bound", short)
    res = mclp.solve_mclp(A, w, 8, method="core")
    assert exact.proved_optimal
    assert res.reduction["lp_converged"] == 0.0 and "subgradient_seconds" in res.reduction
    assert res.objective == pytest.approx(mclp.coverage_value(A, w, res.sites))
    assert res.objective <= exact.objective + 1e-6 <= res.bound + 2e-6
    if res.proved_optimal:
        assert res.objective == pytest.approx(exact.objective)
