r"""The exact MCLP on large instances: LP bound, reduced-cost fixing, MILP on the survivors.

Used by :func:`geo.analysis.mclp.solve_mclp` (``method="core"``, e.g. every Output Area centre
of London as a candidate):

1. the LP relaxation by column generation on one warm-started HiGHS simplex model that holds
   only the generated site columns and the demand rows they reach (:func:`lp_relaxation`);
2. its multipliers :math:`\lambda` give the bound :math:`D(\lambda)` and, per candidate, an
   upper bound :math:`U_j` on every solution containing it (:func:`dual_bound`);
3. an incumbent :math:`z`: greedy among the LP's sites (those with :math:`x_j > 0`) polished
   by single swaps (:func:`geo.analysis.covering.swap_search`), then HiGHS on a small core
   (the LP's sites and the columns of largest :math:`U_j`), polished again;
4. reduced-cost fixing: every candidate with :math:`U_j \le z` is dropped with that proof
   (:func:`survivors`), and HiGHS solves the MILP over the survivors.

Nothing is dropped without a bound, so the answer is proved optimal, or returned with its bound
and gap when the time limit (which covers the whole call) cuts a step short. When it cuts the
LP short, the last multipliers are improved by subgradient steps (:func:`subgradient_bound`:
any :math:`\lambda \in [0, w]` gives a valid bound) and the core MILP is skipped.

References
----------
Nemhauser, G. L. & Wolsey, L. A. (1988). *Integer and Combinatorial Optimization*. Wiley
(reduced-cost fixing, I.2.5).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from geo.analysis.covering import (
    Reduced,
    check_sites,
    greedy,
    prepare_cover,
    reduce_problem,
    swap_from,
)
from geo.analysis.highs import new_highs, remaining, set_time_limit, solve_highspy

__all__ = [
    "LPBound",
    "bounds_from",
    "dual_bound",
    "lp_bound",
    "lp_relaxation",
    "solve_core",
    "subgradient_bound",
    "survivors",
]


def bounds_from(Lam: np.ndarray, base: float, p: int) -> tuple[float, np.ndarray]:
    """``(D, U)`` of :func:`dual_bound` from ``Lam`` and ``base = sum(w - lam)``."""
    if p == 0 or not len(Lam):
        return base, np.full(len(Lam), -np.inf if p == 0 else base)
    k = min(p, len(Lam))
    top = np.partition(Lam, len(Lam) - k)[len(Lam) - k :]
    kth = float(top.min())
    D = base + float(top.sum())
    # j among the top p: the bound D itself; otherwise j replaces the p-th largest
    return D, np.where(Lam >= kth, D, D - kth + Lam)


def dual_bound(
    cover: sparse.csr_array, weights: np.ndarray, p: int, lam: np.ndarray
) -> tuple[float, np.ndarray]:
    r"""Upper bounds from the Lagrangian / LP dual of the coverage constraints.

    For any :math:`0 \le \lambda_i \le w_i` and :math:`\Lambda_j = \sum_{i : j \in N_i} \lambda_i`,
    every solution with at most :math:`p` sites has value at most

    .. math:: D(\lambda) = \sum_i (w_i - \lambda_i) + \sum_{\text{top } p} \Lambda_j

    (relax :math:`y_i \le \sum_{j \in N_i} x_j` with multipliers :math:`\lambda_i`; the LP optimum
    is :math:`\min_\lambda D(\lambda)`). Every solution that *contains* site :math:`j` has value at
    most :math:`U_j = \sum_i (w_i - \lambda_i) + \Lambda_j + \sum_{\text{top } p-1,\, k \ne j}
    \Lambda_k` (reduced-cost fixing: Nemhauser & Wolsey 1988, I.2.5).

    Returns
    -------
    tuple
        ``(D, U)``: the bound and the per-candidate bounds :math:`U_j`.
    """
    lam = np.clip(lam, 0.0, weights)
    Lam = sparse.csr_array(cover.T, dtype=float) @ lam
    return bounds_from(Lam, float((weights - lam).sum()), p)


@dataclass
class LPBound:
    r"""Outcome of :func:`lp_relaxation`.

    Attributes
    ----------
    lam
        Multipliers :math:`\lambda` (one per demand row, in ``[0, w]``) of the best bound.
    D
        The best bound :math:`D(\lambda)` (:func:`dual_bound`): no solution with at most ``p``
        sites reaches more. Equals the LP optimum when ``converged``.
    x
        LP value of each site variable in the last LP solved (0 for columns never generated).
    value
        LP optimum over the generated columns (a lower bound on the LP optimum).
    rounds, columns
        Column generation rounds and columns generated.
    converged
        No column prices out: ``D`` is the LP optimum.
    """

    lam: np.ndarray
    D: float
    x: np.ndarray
    value: float
    rounds: int
    columns: int
    converged: bool


def lp_relaxation(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    p: int,
    served: np.ndarray | None = None,
    *,
    time_limit: float | None = None,
    first_columns: int = 300,
    add_columns: int = 300,
) -> LPBound:
    """The LP relaxation's bound and multipliers, by column generation (:func:`lp_bound`).

    Parameters
    ----------
    cover, weights, p, served
        As in :func:`geo.analysis.mclp.solve_mclp` (no reductions are applied: ``lam`` has one value per row).
    time_limit
        Seconds; when cut short the bound is still valid, only weaker.
    first_columns, add_columns
        Columns in the first restricted LP (largest weighted coverage) and added per round.
    """
    A, w = prepare_cover(cover, weights, served)
    p = check_sites(p)
    At = sparse.csr_array(A.T, dtype=float)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    seeds, _ = greedy(A, w, 3 * p)
    return lp_bound(
        A, At, w, p, deadline, seeds, first_columns=first_columns, add_columns=add_columns
    )


def survivors(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    p: int,
    lam: np.ndarray,
    incumbent: float,
    served: np.ndarray | None = None,
) -> np.ndarray:
    r"""Candidates that may still be in a solution better than ``incumbent`` (reduced-cost test).

    Candidate :math:`j` is dropped when :math:`U_j \le z` (:func:`dual_bound`): every solution
    containing it reaches at most :math:`z`, the value of a solution already in hand. A relative
    tolerance of 1e-9 keeps candidates whose bound is within rounding of :math:`z`.

    Returns
    -------
    numpy.ndarray
        Ascending positions of the candidates kept.
    """
    A, w = prepare_cover(cover, weights, served)
    D, U = dual_bound(A, w, check_sites(p), np.asarray(lam, dtype=float))
    return np.flatnonzero(incumbent - 1e-9 * max(1.0, abs(D)) < U)


def lp_bound(
    A: sparse.csr_array,
    At: sparse.csr_array,
    w: np.ndarray,
    p: int,
    deadline: float | None,
    seeds: np.ndarray,
    *,
    first_columns: int = 300,
    add_columns: int = 300,
    max_rounds: int = 100,
) -> LPBound:
    r"""LP relaxation by column generation on one warm-started HiGHS model.

    The model holds only the generated site columns and the demand rows they reach (a row no
    generated site reaches has :math:`y_i = 0` and dual :math:`\lambda_i = w_i`). Each round
    prices all columns with the duals (reduced profit :math:`\Lambda_j - \mu`), adds the most
    profitable ``add_columns`` with their new rows, and re-solves from the previous basis.
    Every round's duals give a valid bound :func:`dual_bound`, so stopping early (deadline)
    costs bound quality, never validity; when no column prices out the bound equals the LP
    optimum.
    """
    import highspy

    m, n = A.shape
    h = new_highs()
    h.setOptionValue("solver", "simplex")
    inf = highspy.kHighsInf
    h.addRows(
        1,
        np.array([-inf]),
        np.array([float(p)]),
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )  # row 0: the budget
    row_of = np.full(m, -1, dtype=np.int64)  # model row of each demand row
    col_of = np.full(n, -1, dtype=np.int64)  # model column of each site
    active = np.zeros(n, dtype=bool)

    def add(new: np.ndarray) -> None:
        new = np.unique(new[~active[new]])
        rows = np.unique(sparse.csr_array(At[new]).indices)
        rows = rows[row_of[rows] < 0]
        k = len(rows)
        if k:
            first_col, first_row = h.getNumCol(), h.getNumRow()
            h.addCols(
                k,
                -w[rows],
                np.zeros(k),
                np.ones(k),
                0,
                np.zeros(k, np.int32),
                np.zeros(0, np.int32),
                np.zeros(0),
            )
            row_of[rows] = first_row + np.arange(k)
            sub = sparse.csr_array(A[rows])
            keep = active[sub.indices]
            per_row = np.diff(np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])[sub.indptr])
            starts = np.zeros(k, dtype=np.int64)
            starts[1:] = np.cumsum(per_row + 1)[:-1]
            nnz = int(per_row.sum()) + k
            index = np.empty(nnz, dtype=np.int32)
            value = np.full(nnz, -1.0)
            index[starts] = first_col + np.arange(k)
            value[starts] = 1.0
            slot = np.ones(nnz, dtype=bool)
            slot[starts] = False
            index[slot] = col_of[sub.indices[keep]]
            h.addRows(k, np.full(k, -inf), np.zeros(k), nnz, starts.astype(np.int32), index, value)
        sub = sparse.csr_array(At[new])
        c = len(new)
        starts = (sub.indptr[:-1] + np.arange(c)).astype(np.int32)
        nnz = sub.nnz + c
        index = np.empty(nnz, dtype=np.int32)
        value = np.full(nnz, -1.0)
        index[starts], value[starts] = 0, 1.0
        slot = np.ones(nnz, dtype=bool)
        slot[starts] = False
        index[slot] = row_of[sub.indices]
        col_of[new] = h.getNumCol() + np.arange(c)
        h.addCols(c, np.zeros(c), np.zeros(c), np.ones(c), nnz, starts, index, value)
        active[new] = True

    c = At @ w
    add(np.union1d(seeds, np.argsort(-c, kind="stable")[:first_columns]))
    best = LPBound(w.copy(), float(w.sum()), np.zeros(n), 0.0, 0, int(active.sum()), False)
    for rnd in range(max_rounds):
        if not set_time_limit(h, deadline):
            break
        h.run()
        sol = h.getSolution()
        if not sol.dual_valid:
            break
        row_dual = np.asarray(sol.row_dual)
        lam = w.copy()
        inside = np.flatnonzero(row_of >= 0)
        lam[inside] = np.clip(-row_dual[row_of[inside]], 0.0, w[inside])
        Lam = At @ lam
        D, _ = bounds_from(Lam, float((w - lam).sum()), p)
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        best.rounds, best.columns = rnd + 1, int(active.sum())
        if D < best.D:
            best.lam, best.D = lam, D
        if not optimal:
            break
        x = np.zeros(n)
        x[active] = np.asarray(sol.col_value)[col_of[active]]
        best.x = x
        best.value = -float(h.getInfo().objective_function_value)
        mu = max(-float(row_dual[0]), 0.0)
        price = np.flatnonzero(~active & (Lam > mu + 1e-9 * max(1.0, mu)))
        if not len(price):
            best.converged = True
            break
        add(price[np.argsort(-Lam[price], kind="stable")[:add_columns]])
    return best


def subgradient_bound(
    A: sparse.csr_array,
    At: sparse.csr_array,
    w: np.ndarray,
    p: int,
    lam: np.ndarray,
    target: float,
    deadline: float | None,
    *,
    max_steps: int = 1000,
    theta: float = 1.0,
    patience: int = 10,
    alpha: float = 0.7,
) -> tuple[np.ndarray, float]:
    r"""Lower the bound :math:`D(\lambda)` of :func:`dual_bound` by projected subgradient steps.

    Used when the LP is cut short: its last multipliers give a valid but loose bound. With
    :math:`S(\lambda)` the :math:`p` candidates of largest :math:`\Lambda_j`, a subgradient of
    :math:`D` at :math:`\lambda` is :math:`g_i = |N_i \cap S(\lambda)| - 1`. The direction is
    deflected, :math:`d \leftarrow g + \alpha d` (Camerini, Fratta & Maffioli 1975), and each
    step is :math:`\lambda \leftarrow \min(w, \max(0, \lambda - \theta (D - z) d /
    \lVert d \rVert^2))` (Polyak's step towards the target :math:`z`, the incumbent), with
    :math:`\theta` halved after ``patience`` steps without a better bound (Held, Wolfe &
    Crowder 1974; Fisher 1981). Every :math:`\lambda \in [0, w]` gives a valid bound, so the
    best one met is returned whenever the deadline stops the steps: a heuristic for the
    multipliers, never for the bound.

    Returns
    -------
    tuple
        ``(lam, D)``: the best multipliers met and their bound.

    References
    ----------
    Held, M., Wolfe, P. & Crowder, H. P. (1974). Validation of subgradient optimization.
    *Mathematical Programming* 6, 62-88.

    Camerini, P. M., Fratta, L. & Maffioli, F. (1975). On improving relaxation methods by
    modified gradient techniques. *Mathematical Programming Study* 3, 26-34.

    Fisher, M. L. (1981). The Lagrangian relaxation method for solving integer programming
    problems. *Management Science* 27, 1-18.
    """
    lam = np.clip(np.asarray(lam, dtype=float), 0.0, w)
    best_lam, best = lam, np.inf
    stall = 0
    d = np.zeros(len(w))
    for _ in range(max_steps):
        Lam = At @ lam
        top = np.argpartition(-Lam, p - 1)[:p] if p < len(Lam) else np.arange(len(Lam))
        now = float((w - lam).sum() + Lam[top].sum())
        if now < best - 1e-9 * max(1.0, abs(now)):
            best_lam, best, stall = lam, now, 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall = 0.5 * theta, 0
        if now <= target or theta < 1e-4:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        g = np.bincount(sparse.csr_array(At[top]).indices, minlength=len(w)) - 1.0
        d = g + alpha * d
        d[((lam <= 0.0) & (d > 0)) | ((lam >= w) & (d < 0))] = 0.0
        norm = float(np.square(d).sum())
        if norm == 0.0:
            break
        lam = np.clip(lam - theta * (now - target) / norm * d, 0.0, w)
    return best_lam, best


def _milp_on(
    A: sparse.csr_array,
    w: np.ndarray,
    p: int,
    cols: np.ndarray,
    deadline: float | None,
    start: np.ndarray,
) -> tuple[np.ndarray, float, bool]:
    """The MCLP restricted to candidate columns ``cols`` (exact reductions, then HiGHS).

    Returns ``(sites, bound, optimal)``: sites as positions in ``A``, and the proved bound on
    every solution that uses only ``cols``.
    """
    cols = np.unique(cols)
    R = reduce_problem(A[:, cols], w, drop_dominated=len(cols) <= 20000)
    n = R.cover.shape[1]
    if n <= p:
        return cols[R.columns], float(R.weights.sum()), True
    left = remaining(deadline)
    if left is not None and left <= 0.0:
        return start, np.inf, False
    pos = np.full(A.shape[1], -1)
    pos[cols[R.columns]] = np.arange(n)
    begin = pos[start]
    x, bound, optimal, _ = solve_highspy(R, p, left, 0.0, begin[begin >= 0])
    return cols[R.columns[np.flatnonzero(x)]], bound, optimal


def solve_core(
    R: Reduced,
    p: int,
    deadline: float | None,
    *,
    core_size: int = 300,
    max_survivors: int = 6000,
) -> tuple[np.ndarray, float, bool, dict[str, float]]:
    r"""Exact MCLP for large instances: LP bound, reduced-cost fixing, MILP on the survivors.

    1. greedy incumbent (and spread-out seed columns: greedy with :math:`3p` sites);
    2. LP relaxation by column generation (:func:`lp_bound`), giving multipliers
       :math:`\lambda`, the bound :math:`D(\lambda)` and, per candidate, the bound :math:`U_j`
       on any solution containing it (:func:`dual_bound`);
    3. greedy among the LP's sites, polished by single swaps (:func:`swap_search`); then a
       MILP on a *core*: the LP's fractional and whole sites plus the ``core_size`` columns of
       largest :math:`U_j`, warm-started with it; the better of the two (polished by
       :func:`swap_search`) is the incumbent :math:`z`;
    4. every column with :math:`U_j \le z` is dropped (no solution containing it beats
       :math:`z`); if the survivors are all in the core, :math:`z` is optimal. Otherwise HiGHS
       solves the MILP over the survivors (at most ``max_survivors``), warm-started with
       :math:`z`; its optimum is the optimum.

    The deadline covers all steps; when it cuts one short, the result is the incumbent with
    the best proved bound (the LP bound, or the survivors' MILP bound when that is lower).
    When the LP is cut short (80% of the time left), its multipliers are improved by
    :func:`subgradient_bound` and the core MILP is skipped (too little time left to pay).
    """
    A, w = R.cover, R.weights
    At = sparse.csr_array(A.T, dtype=float)
    stats: dict[str, float] = {}
    t = time.perf_counter()
    spread, gains = greedy(A, w, 3 * p)
    best, z = spread[:p], float(gains[:p].sum())
    stats["greedy"] = z

    def share(frac: float) -> float | None:
        left = remaining(deadline)
        return None if left is None else time.perf_counter() + frac * left

    lp = lp_bound(A, At, w, p, share(0.8), spread)
    stats.update(
        lp_rounds=lp.rounds,
        lp_columns=lp.columns,
        lp_value=lp.value,
        lp_converged=float(lp.converged),
        lp_seconds=time.perf_counter() - t,
    )
    t = time.perf_counter()
    # incumbent from the LP: greedy among the LP's sites, then single swaps
    support = np.flatnonzero(lp.x > 1e-6)
    if len(support):
        sites, _ = greedy(A, w, p, among=support)
        sites, value = swap_from(A, At, w, sites, share(0.5))
        if value > z:
            best, z = sites, value
    stats.update(lp_incumbent=z, lp_incumbent_seconds=time.perf_counter() - t)
    lam = lp.lam
    if not lp.converged:  # a cut-short LP: tighten its bound by subgradient steps
        t = time.perf_counter()
        lam, _ = subgradient_bound(A, At, w, p, lam, z, share(0.8))
        stats["subgradient_seconds"] = time.perf_counter() - t
    Lam = At @ lam
    D, U = bounds_from(Lam, float((w - lam).sum()), p)
    stats["lp_bound"] = D
    t = time.perf_counter()
    core = np.union1d(support, np.argsort(-U, kind="stable")[:core_size])
    core = np.union1d(core, best)
    core_optimal = False
    if lp.converged:  # (a cut-short LP leaves too little time for this MILP to pay)
        sites, _, core_optimal = _milp_on(A, w, p, core, share(0.5), best)
        value = float(w[np.asarray(A[:, sites].sum(axis=1)).ravel() > 0].sum())
        if value > z:
            best, z = sites, value
    best, z = swap_from(A, At, w, best, share(0.3))
    stats.update(core=len(core), core_seconds=time.perf_counter() - t, incumbent=z)
    tol = 1e-9 * max(1.0, D)
    survivors = np.flatnonzero(z - tol < U)
    stats["survivors"] = len(survivors)
    bound = D
    proved = False
    if z >= D - tol or (core_optimal and np.isin(survivors, core).all()):
        proved = True
    elif len(survivors) <= max_survivors:
        t = time.perf_counter()
        sites, sub_bound, optimal = _milp_on(A, w, p, survivors, deadline, best)
        value = float(w[np.asarray(A[:, sites].sum(axis=1)).ravel() > 0].sum())
        if value > z:
            best, z = sites, value
        stats["survivor_seconds"] = time.perf_counter() - t
        if optimal:
            proved = True
        else:  # solutions outside the survivors are worth at most z
            bound = min(D, max(sub_bound, z))
    if proved:
        bound = z
    x_full = np.zeros(A.shape[1], dtype=bool)
    x_full[best] = True
    return x_full, bound, proved, stats
