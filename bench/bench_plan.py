"""The pilot planner's solver on the bundled London data: times, objectives, bounds, proofs.

Demand: the 26,369 London Output Areas (Census 2021 residents); walking distances as the gap
finder measures them (the bundled model: street network in Camden, straight line x the
measured detour elsewhere). Four parts, the baseline run in the same process:

1. **The issue author's case**: 10 sites among the 1,243 bundled community centres and
   libraries, residents with no library within 800 m (``planner.plan`` with its defaults; the
   solve time is HiGHS after exact reductions; the issue measured 0.4 s for its model).
2. **The largest cases**: every Output Area centre a candidate (26,369), 50 sites, catchments
   800, 1200 and 1600 m, all residents and those without a library in reach; one time limit
   (``--limit``, default 5 s) for building the coverage from the distance tables and solving.
   Baseline: :func:`scipy.optimize.milp` (the same HiGHS) on the full unreduced MILP, built
   inside the timed span, the same limit.
3. With ``--long``: the hardest case (1600 m, all residents) with a 60 s limit.
4. **Closures**: libraries (Digital inclusion, 800 m): sole coverage and the exact worst sets
   of 5 and 10.

Run from the repository root: ``python bench/bench_plan.py [--limit 5] [--long] [--largest]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.analysis import closureview, mclp, planinputs, planner  # noqa: E402
from geo.cli.plan import plan_data  # noqa: E402


def baseline_milp(A, w: np.ndarray, p: int, served, limit: float) -> dict:
    """Plain scipy.optimize.milp on the full unreduced MILP (all rows, all columns)."""
    t = time.perf_counter()
    m, n = A.shape
    wu = np.where(served, 0.0, w)
    rows = sparse.hstack([-sparse.csr_array(A, dtype=float), sparse.eye_array(m)], format="csr")
    budget = sparse.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :])
    res = milp(
        np.r_[np.zeros(n), -wu],
        integrality=np.r_[np.ones(n), np.zeros(m)],
        bounds=Bounds(0.0, 1.0),
        constraints=LinearConstraint(
            sparse.vstack([rows, budget], format="csr"), -np.inf, np.r_[np.zeros(m), p]
        ),
        options={"time_limit": limit, "mip_rel_gap": 0.0, "disp": False},
    )
    seconds = time.perf_counter() - t
    objective = None
    if res.x is not None:
        objective = mclp.coverage_value(A, w, np.flatnonzero(res.x[:n] > 0.5), served)
    bound = -res.mip_dual_bound if res.mip_dual_bound is not None else None
    return {"seconds": seconds, "objective": objective, "bound": bound, "proved": res.status == 0}


def _fmt(value) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:,.0f}"


def authors_case() -> None:
    t = time.perf_counter()
    data, detour = plan_data(sites=("community_centre", "library"))
    print(f"load (bundled model, detour {detour:.3f}): {time.perf_counter() - t:.2f} s")
    params = planner.PlanParams(detour=detour, count=10)
    t = time.perf_counter()
    result = planner.plan(data, params, curve=False)
    total = time.perf_counter() - t
    r, f = result.result, result.figures
    print(
        f"author's case: {len(result.candidates):,} candidates, residents without a library "
        f"within 800 m {f['open_total']:,.0f}; 10 sites: objective {r.objective:,.0f}, bound "
        f"{r.bound:,.0f}, {r.status}, solve {r.seconds:.3f} s (plan with greedy and the gap "
        f"finder comparison {total:.2f} s); greedy {result.greedy['newly_reached'].sum():,.0f}"
    )
    w = result.weights.to_numpy()
    b = baseline_milp(result.cover, w, 10, result.served, 60.0)
    print(
        f"  baseline milp (unreduced): {b['seconds']:.3f} s, objective {_fmt(b['objective'])}, "
        f"proved {'yes' if b['proved'] else 'no'}; ratio baseline/ours "
        f"{b['seconds'] / r.seconds:.1f}x"
    )
    t = time.perf_counter()
    curve = mclp.reach_curve(result.cover, w, 50, result.served)
    print(
        f"  exact reach curve k=1..50: {time.perf_counter() - t:.2f} s, all proved "
        f"{bool(curve['proved'].all())}, greedy below the optimum at "
        f"{int((curve['greedy'] < curve['optimal'] - 1e-6).sum())} of 50 k"
    )


def largest_cases(limit: float, long: bool, only_long: bool = False) -> None:
    t = time.perf_counter()
    data, detour = plan_data(sites=("oa", "library"))
    oa_build = time.perf_counter() - t
    print(
        f"every OA centre a candidate: models built in {oa_build:.1f} s (once per process; "
        f"{len(data.oa_model.table.origin):,} OA-OA pairs within 1,600 m, "
        f"{data.oa_model.network_share:.1%} on the street network)"
    )
    print(
        f"limit {limit:g} s for coverage + solve; baseline = scipy.optimize.milp on the full "
        "unreduced MILP, same limit, same process"
    )
    cands = planinputs.candidate_set(
        ["oa"], oas=data.oas, lsoas=data.lsoas, places=None, directory=None, oa_model=data.oa_model
    )
    w = planinputs.reach_weights(data.oas, data.lsoas, "residents").to_numpy()
    n = len(data.oas)
    cases = [(1600.0, False, 60.0)] if only_long else []
    if not only_long:
        cases = [(c, s, limit) for c in (800.0, 1200.0, 1600.0) for s in (False, True)]
        if long:
            cases.append((1600.0, False, 60.0))
    for catchment, by_library, lim in cases:
        t = time.perf_counter()
        A = planinputs.coverage(cands, catchment, n)
        served = (
            planinputs.served(data.places, "Digital inclusion", catchment, n)
            if by_library
            else np.zeros(n, bool)
        )
        build = time.perf_counter() - t
        r = mclp.solve_mclp(A, w, 50, served, time_limit=lim - build)
        total = build + r.seconds
        red = r.reduction
        label = f"{catchment:.0f} m, {'no library in reach' if by_library else 'all residents'}"
        print(
            f"  {label}: total {total:.2f} s (coverage {build:.2f}, solver {r.seconds:.2f}: LP "
            f"{red.get('lp_seconds', 0):.2f} s, {red.get('survivors', 0)} survivors); objective "
            f"{r.objective:,.0f}  bound {r.bound:,.0f}  gap {100 * r.gap:.3f}%  proved "
            f"{'yes' if r.proved_optimal else 'no'} (limit {lim:g} s)",
            flush=True,
        )
        if lim > limit:
            continue
        b = baseline_milp(A, w, 50, served, lim)
        gap = "-"
        if b["objective"] and b["bound"] is not None:
            gap = f"{100 * (b['bound'] - b['objective']) / b['objective']:.3f}%"
        sign = ">= " if not b["proved"] and r.proved_optimal else ""
        print(
            f"    baseline milp: {b['seconds']:.2f} s, objective {_fmt(b['objective'])}  bound "
            f"{_fmt(b['bound'])}  gap {gap}  proved {'yes' if b['proved'] else 'no'}; time "
            f"ratio baseline/ours {sign}{b['seconds'] / total:.2f}",
            flush=True,
        )


def closures_case() -> None:
    data, _ = plan_data(sites=("library",))
    places = closureview.theme_places(data.places, data.directory, "Digital inclusion", data.lsoas)
    cover = closureview.place_cover(data.places, places, 800.0)
    weights = closureview.closure_weights(data.oas, data.lsoas, "residents")
    for n in (5, 10):
        t = time.perf_counter()
        sole, crit, _ = closureview.most_important(
            cover, weights, places, np.ones(len(places), bool), n
        )
        print(
            f"closures, {len(places)} libraries: worst set of {n} loses {crit.loss:,.0f} "
            f"residents ({crit.status}, {time.perf_counter() - t:.2f} s with the sole-coverage "
            f"ranking); the top {n} one at a time lose {sole['sole_residents'].sum():,.0f} alone "
            "each, summed"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=5.0)
    ap.add_argument("--long", action="store_true", help="also 1600 m, all residents, 60 s")
    ap.add_argument("--largest", action="store_true", help="only the largest cases")
    ap.add_argument("--only-long", action="store_true", help="only 1600 m all residents, 60 s")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if not (args.largest or args.only_long):
        authors_case()
    largest_cases(args.limit, args.long, args.only_long)
    if not (args.largest or args.only_long):
        closures_case()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
