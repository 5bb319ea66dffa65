r"""The maximal covering location problem (MCLP) with a site budget, solved exactly.

Church & ReVelle (1974): choose at most :math:`p` sites among candidates :math:`J` so that the
weight of demand within the service distance of a chosen site is largest. Here demand
:math:`i \in I` is an Output Area (weight :math:`w_i`: residents, residents aged 65+, ...), and
:math:`N_i = \{j : a_{ij} = 1\}` are the candidates within its walking catchment (a coverage matrix
from :mod:`geo.analysis.planinputs`). Demand already within reach of an existing place of the theme is
*served*: it is removed (:math:`w_i := 0`), so the objective counts newly reached people only.

.. math::

    \max \sum_{i \in I} w_i y_i
    \quad\text{s.t.}\quad
    y_i \le \sum_{j \in N_i} x_j \;\; (i \in I), \qquad
    \sum_{j \in J} x_j \le p, \qquad
    x_j \in \{0, 1\}, \quad 0 \le y_i \le 1.

Why :math:`y` may be continuous: for any binary :math:`x`, the best :math:`y_i` is
:math:`\min(1, \sum_{j \in N_i} x_j)` when :math:`w_i > 0`, which is 0 or 1 because the sum is an
integer. So relaxing :math:`y_i \in \{0,1\}` to :math:`[0, 1]` leaves the optimal value and the
optimal :math:`x` unchanged, and the branch-and-bound branches on the :math:`|J|` site variables
only (rows with :math:`w_i = 0` are removed before solving, so no :math:`y_i` is left free).

Why :math:`\le p` and not :math:`= p` (as in Church & ReVelle and in PySAL ``spopt``): coverage
never falls when a site is added, so whenever there are at least :math:`p` candidates the two
have the same optimal value. With :math:`\le p` the solver may stop at fewer sites when further
sites would reach no one new (every reachable person is already covered, or the reduced problem
has fewer than :math:`p` useful candidates), instead of opening sites that add nothing; the
result says how many sites were used.

Reductions (all exact: they keep the optimal value and map an optimal solution of the reduced
problem to one of the full problem):

1. drop demand with zero weight, already served, or within reach of no candidate;
2. drop candidates that reach none of the remaining demand;
3. merge demand rows with the same candidate set :math:`N_i` (one row, summed weight);
4. drop *dominated* candidates: :math:`j` whose covered set is contained in that of another
   candidate :math:`k` (ties: the lowest position is kept). Any solution using :math:`j` can use
   :math:`k` instead (or drop :math:`j` when :math:`k` is already chosen) without losing coverage.

Solver: HiGHS (Huangfu & Hall 2018) branch-and-cut through :func:`scipy.optimize.milp`, or
through ``highspy`` when a warm start (the greedy solution) is wanted. The status says whether
optimality was proved; after a time limit, the best solution found, the dual bound and the gap.

Large instances (``method="core"``, e.g. every Output Area centre of London as a candidate):

1. the LP relaxation by column generation on one warm-started HiGHS simplex model that holds
   only the generated site columns and the demand rows they reach (:func:`lp_relaxation`);
2. its multipliers :math:`\lambda` give the bound :math:`D(\lambda)` and, per candidate, an upper
   bound :math:`U_j` on every solution containing it (:func:`dual_bound`);
3. an incumbent :math:`z`: greedy among the LP's sites and HiGHS on a small core (the LP's
   sites and the columns of largest :math:`U_j`), each polished by single swaps
   (:func:`swap_search`); when the time limit cuts the LP short, subgradient steps tighten
   its bound instead (:func:`geo.analysis.mclp_core.subgradient_bound`);
4. reduced-cost fixing: every candidate with :math:`U_j \le z` is dropped with that proof
   (:func:`survivors`), and HiGHS solves the MILP over the survivors.

Nothing is dropped without a bound, so the answer is proved optimal, or returned with its bound
and gap when the time limit (which covers the whole call) cuts a step short. The bound is only as
good as the LP: with a small LP gap few candidates survive; with a larger one (1600 m on all
residents, LP gap about 0.1%) thousands do and the last MILP is the hard part.

The greedy heuristic (:func:`greedy`) adds the site with the largest marginal gain each step; the
objective is monotone submodular, so greedy reaches at least :math:`1 - 1/e` of the optimum
(Nemhauser, Wolsey & Fisher 1978).

References
----------
Church, R. & ReVelle, C. (1974). The maximal covering location problem. *Papers of the Regional
Science Association* 32, 101-118.

Nemhauser, G. L., Wolsey, L. A. & Fisher, M. L. (1978). An analysis of approximations for
maximizing submodular set functions - I. *Mathematical Programming* 14, 265-294.

Nemhauser, G. L. & Wolsey, L. A. (1988). *Integer and Combinatorial Optimization*. Wiley.

Huangfu, Q. & Hall, J. A. J. (2018). Parallelizing the dual revised simplex method.
*Mathematical Programming Computation* 10, 119-142.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

from geo.analysis.covering import (
    Reduced,
    brute_force,
    check_sites,
    coverage_value,
    greedy,
    order_by_gain,
    prepare_cover,
    reduce_problem,
    swap_search,
)
from geo.analysis.highs import remaining, solve_highspy, solve_scipy
from geo.analysis.mclp_core import LPBound, dual_bound, lp_relaxation, solve_core, survivors

__all__ = [
    "CORE_ABOVE",
    "LPBound",
    "MCLPResult",
    "Reduced",
    "brute_force",
    "coverage_value",
    "dual_bound",
    "greedy",
    "lp_relaxation",
    "order_by_gain",
    "reach_curve",
    "reduce_problem",
    "solve_mclp",
    "survivors",
    "swap_search",
]

Backend = Literal["scipy", "highspy"]
Method = Literal["auto", "direct", "core"]

#: ``method="auto"`` uses the core method above this many candidates (after reduction).
CORE_ABOVE = 3000


# --------------------------------------------------------------------------------------------
# the exact solver
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MCLPResult:
    """Outcome of :func:`solve_mclp`.

    Attributes
    ----------
    sites
        Chosen candidate positions, ordered greedily by marginal gain (:func:`order_by_gain`).
    newly_reached
        Weight each site newly reaches given the sites before it; sums to ``objective``.
    objective
        Weight of not-yet-served demand within reach of a chosen site (recounted from the
        coverage matrix, not taken from the solver).
    bound
        Upper bound on the optimum proved by the solver (= objective when proved optimal, up to
        the tolerance).
    gap
        ``(bound - objective) / objective`` (0 when both are 0).
    status
        ``"optimal"``, ``"time_limit"`` (best found, gap to the bound stated) or ``"trivial"``
        (nothing to reach, or no more candidates than sites: no search needed).
    proved_optimal
        True when optimality is proved (``status`` is ``"optimal"`` or ``"trivial"``).
    p
        Number of sites asked for; ``len(sites)`` may be smaller (see the module docstring).
    seconds
        Wall time of the whole call; ``solve_seconds`` the solver's share.
    reduction
        Problem sizes after each reduction step (:class:`Reduced` ``counts``).
    """

    sites: np.ndarray
    newly_reached: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    proved_optimal: bool
    p: int
    seconds: float
    solve_seconds: float
    reduction: dict[str, int]

    @property
    def cumulative(self) -> np.ndarray:
        """Reach after each site of :attr:`sites` (``newly_reached.cumsum()``)."""
        return np.cumsum(self.newly_reached)


def solve_mclp(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    p: int,
    served: np.ndarray | None = None,
    *,
    time_limit: float | None = 60.0,
    mip_rel_gap: float = 0.0,
    method: Method = "auto",
    backend: Backend = "scipy",
    warm_start: bool = False,
    reduce: bool = True,
    core_size: int = 300,
) -> MCLPResult:
    """Solve the MCLP exactly (HiGHS branch-and-cut) after exact reductions.

    Parameters
    ----------
    cover
        Boolean (n_demand x n_candidates) coverage matrix (:mod:`geo.analysis.planinputs`), sparse or dense.
    weights
        Weight of each demand row (>= 0): the people to reach.
    p
        Number of sites (at most; see the module docstring).
    served
        Optional boolean mask: demand already within reach of an existing place of the theme;
        it counts as reached already and adds nothing.
    time_limit
        Seconds for the whole call (reductions, bounds, every HiGHS run); None for no limit.
        When hit, the best solution found (never worse than greedy) is returned with
        ``status="time_limit"`` and the gap to the proved bound. HiGHS checks its clock between
        steps, so a run can end a little after the limit.
    mip_rel_gap
        Relative gap at which HiGHS stops in the ``"direct"`` method (its default is 1e-4; 0 asks
        for a proof of optimality, up to HiGHS's absolute gap tolerance of 1e-6). The ``"core"``
        method always asks for 0.
    method
        ``"direct"``: the whole reduced MILP to HiGHS. ``"core"``: LP bound by column
        generation, reduced-cost fixing and a MILP on the columns that survive
        (:func:`geo.analysis.mclp_core.solve_core`; exact, much faster on tens of thousands of candidates).
        ``"auto"``: ``"core"`` above :data:`CORE_ABOVE` candidates after reductions 1-3.
    backend
        ``"direct"`` only: ``"scipy"`` (:func:`scipy.optimize.milp`) or ``"highspy"`` (the
        HiGHS Python API, needed for ``warm_start``).
    warm_start
        ``"direct"`` only: give HiGHS the greedy solution as its first incumbent.
    reduce
        Apply reductions 3 and 4 (1 and 2 always apply). The core method skips reduction 4 on
        the whole problem (on every Output Area centre it costs more than it saves) and applies
        it to each MILP it solves.
    core_size
        ``"core"`` only: columns of largest bound :math:`U_j` in the first MILP (besides the LP's
        own sites); the answer does not depend on it, only the time.

    Returns
    -------
    MCLPResult
    """
    t0 = time.perf_counter()
    # a little of the limit is kept back for the last steps (ordering the sites by gain)
    reserve = 0.0 if time_limit is None else min(0.2, 0.04 * float(time_limit))
    deadline = None if time_limit is None else t0 + float(time_limit) - reserve
    p = check_sites(p)
    if method not in ("auto", "direct", "core"):
        raise ValueError(f"method must be 'auto', 'direct' or 'core', got {method!r}")
    if backend not in ("scipy", "highspy"):
        raise ValueError(f"backend must be 'scipy' or 'highspy', got {backend!r}")
    if warm_start and backend != "highspy":
        raise ValueError("warm_start needs backend='highspy'")
    A, w = prepare_cover(cover, weights, served)
    R = reduce_problem(A, w, merge_rows=reduce, drop_dominated=False)
    use_core = method == "core" or (method == "auto" and R.cover.shape[1] > CORE_ABOVE)
    if not use_core and reduce:
        R = reduce_problem(A, w)
    else:
        R.counts["candidates_undominated"] = R.cover.shape[1]
    n = R.cover.shape[1]
    solve_seconds = 0.0
    info: dict[str, float] = {}
    if p == 0 or n == 0 or R.weights.sum() == 0:
        chosen, status, bound = np.empty(0, np.int64), "trivial", 0.0
    elif n <= p:
        chosen, status = R.columns, "trivial"
        bound = float(R.weights.sum())
    else:
        t1 = time.perf_counter()
        if use_core:
            x, bound, optimal, info = solve_core(R, p, deadline, core_size=core_size)
        else:
            left = remaining(deadline)
            if backend == "scipy":
                x, bound, optimal, _msg = solve_scipy(R, p, left, mip_rel_gap)
            else:
                start = greedy(R.cover, R.weights, p)[0] if warm_start else None
                x, bound, optimal, _msg = solve_highspy(R, p, left, mip_rel_gap, start)
        solve_seconds = time.perf_counter() - t1
        chosen = R.columns[np.flatnonzero(x)]
        status = "optimal" if optimal else "time_limit"
        if not optimal:  # never return less than greedy, nor a bound weaker than the trivial
            g_sites, g_gains = greedy(R.cover, R.weights, p)
            if g_gains.sum() > coverage_value(A, w, chosen):
                chosen = R.columns[g_sites]
            # D(w): the p largest single-site reaches added up
            bound = min(bound, dual_bound(R.cover, R.weights, p, R.weights)[0])
    sites, gains = order_by_gain(A, w, chosen)
    objective = float(gains.sum())
    bound = max(bound, objective)  # a bound below the recount is solver tolerance
    gap = (bound - objective) / objective if objective > 0 else 0.0
    return MCLPResult(
        sites=sites,
        newly_reached=gains,
        objective=objective,
        bound=float(bound),
        gap=float(gap),
        status=status,
        proved_optimal=status in ("optimal", "trivial"),
        p=p,
        seconds=time.perf_counter() - t0,
        solve_seconds=solve_seconds,
        reduction={**R.counts, **{k: v for k, v in info.items()}},
    )


def reach_curve(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    p_max: int,
    served: np.ndarray | None = None,
    *,
    exact: bool | int = True,
    time_limit: float | None = 60.0,
    budget: float | None = None,
) -> dict[str, np.ndarray]:
    """Reach against the number of sites, k = 1..p_max.

    Parameters
    ----------
    cover, weights, served
        As in :func:`solve_mclp`.
    p_max
        Largest number of sites.
    exact
        True: also solve the MCLP for every k (one MILP each); a whole number: for k up to it
        only; False: only the greedy curve.
    time_limit
        Per solve.
    budget
        Seconds for all the exact solves together (None: no limit). The solves stop once it is
        spent (each gets at most what is left, and at most ``time_limit``): the k not reached
        have ``optimal`` and ``bound`` NaN and ``proved`` False.

    Returns
    -------
    dict
        ``k``; ``greedy``: greedy reach with k sites (the greedy order, so nested sets);
        with ``exact``: ``optimal``: the best found with k sites (sets need not be nested),
        ``bound`` and ``proved`` per k.
    """
    t0 = time.perf_counter()
    p_max = check_sites(p_max)
    k = np.arange(1, p_max + 1)
    _, gains = greedy(cover, weights, p_max, served)
    g = np.cumsum(np.concatenate([gains, np.zeros(p_max - len(gains))]))
    out = {"k": k, "greedy": g}
    if exact is not False:
        last = p_max if exact is True else min(p_max, check_sites(exact))
        opt, bound, proved = np.full(p_max, np.nan), np.full(p_max, np.nan), np.zeros(p_max, bool)
        for kk in k[:last]:
            limit = time_limit
            if budget is not None:
                left = budget - (time.perf_counter() - t0)
                if left <= 0:
                    break
                limit = left if limit is None else min(limit, left)
            r = solve_mclp(cover, weights, int(kk), served, time_limit=limit)
            opt[kk - 1], bound[kk - 1], proved[kk - 1] = r.objective, r.bound, r.proved_optimal
        out.update(optimal=opt, bound=bound, proved=proved)
    return out
