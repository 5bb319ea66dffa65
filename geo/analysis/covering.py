r"""Coverage matrices for the maximal covering location problem: checks, greedy, reductions.

A coverage matrix ``A`` is a boolean (n_demand x n_candidates) sparse matrix with ``A[i, j]``
true when candidate site ``j`` is within the walking catchment of demand row ``i`` (an Output
Area). The functions here take only that matrix, a weight per demand row and an optional
"already served" mask (served demand counts as reached already: its weight is set to 0), so
they do not depend on where the distances came from (:mod:`geo.analysis.planinputs` makes the
matrices from the gap finder's distance tables).

- :func:`coverage_value`: weight within reach of a set of sites (the recount every result is
  checked against);
- :func:`greedy`, :func:`order_by_gain`: the greedy heuristic (Nemhauser, Wolsey & Fisher
  1978: at least :math:`1 - 1/e` of the optimum) and the greedy order of a chosen set;
- :func:`brute_force`: the optimum by enumeration (tests only);
- :func:`reduce_problem`: the exact reductions of :mod:`geo.analysis.mclp`;
- :func:`swap_search`: single-swap local search (a heuristic; never lowers the value).

Pure functions, no streamlit.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

__all__ = [
    "Reduced",
    "brute_force",
    "check_sites",
    "coverage_value",
    "greedy",
    "order_by_gain",
    "prepare_cover",
    "reduce_problem",
    "swap_from",
    "swap_search",
]


# --------------------------------------------------------------------------------------------
# inputs and small helpers
# --------------------------------------------------------------------------------------------
def prepare_cover(
    cover: sparse.sparray | sparse.spmatrix | np.ndarray,
    weights: np.ndarray,
    served: np.ndarray | None,
) -> tuple[sparse.csr_array, np.ndarray]:
    """Boolean CSR matrix and float weights with served demand set to 0 (validated)."""
    A = sparse.csr_array(cover, dtype=bool)
    A.eliminate_zeros()
    A.sort_indices()
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != A.shape[0]:
        raise ValueError(f"weights has {len(w)} values for {A.shape[0]} demand rows")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and >= 0")
    if served is not None:
        s = np.asarray(served, dtype=bool).ravel()
        if len(s) != A.shape[0]:
            raise ValueError(f"served has {len(s)} values for {A.shape[0]} demand rows")
        w = np.where(s, 0.0, w)
    return A, w


def check_sites(p: int) -> int:
    """``p`` as an int: a whole number of sites >= 0 (else a ValueError saying so)."""
    if isinstance(p, bool) or int(p) != p or p < 0:
        raise ValueError(f"the number of sites must be a whole number >= 0, got {p!r}")
    return int(p)


def coverage_value(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    sites: np.ndarray | list[int],
    served: np.ndarray | None = None,
) -> float:
    """Weight of the (not yet served) demand within reach of at least one of ``sites``."""
    A, w = prepare_cover(cover, weights, served)
    cols = np.asarray(sites, dtype=np.int64)
    if not len(cols):
        return 0.0
    reached = np.asarray(A[:, cols].sum(axis=1)).ravel() > 0
    return float(w[reached].sum())


# --------------------------------------------------------------------------------------------
# greedy
# --------------------------------------------------------------------------------------------
def greedy(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    p: int,
    served: np.ndarray | None = None,
    *,
    among: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy sites: each step the candidate reaching the most not-yet-reached weight.

    Ties go to the lowest candidate position. Stops early when no candidate adds anything.

    Parameters
    ----------
    cover, weights, served
        As in :func:`geo.analysis.mclp.solve_mclp`.
    p
        Maximum number of sites.
    among
        Only these candidate positions may be chosen (default: all).

    Returns
    -------
    tuple of numpy.ndarray
        ``(sites, gains)``: candidate positions in the order chosen and the weight each newly
        reached; ``gains.cumsum()`` is the greedy reach curve.
    """
    A, w = prepare_cover(cover, weights, served)
    p = check_sites(p)
    At = sparse.csr_array(A.T)  # candidate -> demand rows
    gain = At @ w
    allowed = np.zeros(A.shape[1], dtype=bool)
    if among is None:
        allowed[:] = True
    else:
        allowed[np.asarray(among, dtype=np.int64)] = True
    gain = np.where(allowed, gain, -np.inf)
    left = w.copy()
    sites: list[int] = []
    gains: list[float] = []
    for _ in range(min(p, int(allowed.sum()))):
        j = int(np.argmax(gain))
        if not gain[j] > 0:
            break
        rows = At.indices[At.indptr[j] : At.indptr[j + 1]]
        rows = rows[left[rows] > 0]
        sites.append(j)
        gains.append(float(left[rows].sum()))
        # every candidate reaching a newly reached row loses that row's weight
        sub = A[rows]
        dec = np.bincount(
            sub.indices, weights=np.repeat(left[rows], np.diff(sub.indptr)), minlength=A.shape[1]
        )
        gain = gain - dec
        left[rows] = 0.0
        gain[j] = -np.inf
    return np.asarray(sites, dtype=np.int64), np.asarray(gains, dtype=float)


def order_by_gain(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    sites: np.ndarray | list[int],
    served: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Order a chosen set greedily: the site adding most first, then most given those before.

    Returns ``(sites, newly_reached)``; sites that add nothing to the others come last with 0.
    The gains add up to :func:`coverage_value` of the set.
    """
    chosen = np.unique(np.asarray(sites, dtype=np.int64))
    order, gains = greedy(cover, weights, len(chosen), served, among=chosen)
    rest = np.setdiff1d(chosen, order)
    return (
        np.concatenate([order, rest]).astype(np.int64),
        np.concatenate([gains, np.zeros(len(rest))]),
    )


# --------------------------------------------------------------------------------------------
# brute force (tests only)
# --------------------------------------------------------------------------------------------
def brute_force(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    p: int,
    served: np.ndarray | None = None,
) -> tuple[float, tuple[int, ...]]:
    """The optimum by enumerating every set of ``min(p, n_candidates)`` sites (small cases only).

    Returns ``(objective, sites)``; ties go to the first set in lexicographic order.
    """
    A, w = prepare_cover(cover, weights, served)
    p = check_sites(p)
    n = A.shape[1]
    if n > 25:
        raise ValueError(f"brute force is for small tests; {n} candidates is too many")
    dense = A.toarray()
    best, best_set = -1.0, ()
    for combo in itertools.combinations(range(n), min(p, n)):
        value = float(w[dense[:, list(combo)].any(axis=1)].sum()) if combo else 0.0
        if value > best:
            best, best_set = value, combo
    return best, best_set


# --------------------------------------------------------------------------------------------
# reduction
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reduced:
    """A reduced MCLP: merged demand rows over kept candidate columns.

    Attributes
    ----------
    cover
        Boolean (n_rows x n_cols) coverage of the reduced problem.
    weights
        Summed weight of each merged demand row.
    columns
        Position of each kept column in the original candidates.
    counts
        Problem size after each step: ``demand`` and ``candidates`` (input), ``demand_active``
        (weight > 0, not served, reachable), ``candidates_useful``, ``demand_rows`` (merged),
        ``candidates_undominated``.
    seconds
        Time spent reducing.
    """

    cover: sparse.csr_array
    weights: np.ndarray
    columns: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _merge_rows(A: sparse.csr_array, w: np.ndarray) -> tuple[sparse.csr_array, np.ndarray]:
    """Merge rows with identical column sets (summing weights)."""
    keys = [A.indices[A.indptr[r] : A.indptr[r + 1]].tobytes() for r in range(A.shape[0])]
    first: dict[bytes, int] = {}
    group = np.empty(A.shape[0], dtype=np.int64)
    for r, k in enumerate(keys):
        group[r] = first.setdefault(k, len(first))
    reps = np.zeros(len(first), dtype=np.int64)
    reps[group[::-1]] = np.arange(A.shape[0])[::-1]  # first row of each group
    return sparse.csr_array(A[reps]), np.bincount(group, weights=w, minlength=len(first))


def _undominated(A: sparse.csr_array) -> np.ndarray:
    """Columns not dominated: no other column covers a superset (ties keep the lowest)."""
    n = A.shape[1]
    if n <= 1:
        return np.arange(n)
    Ai = sparse.csc_array(A, dtype=np.int32)
    size = np.asarray(Ai.sum(axis=0)).ravel()
    G = sparse.coo_array(Ai.T @ Ai)  # G[j, k] = |N(j) & N(k)|
    j, k, v = G.row, G.col, G.data
    dom = (j != k) & (v == size[j]) & ((size[k] > size[j]) | (k < j))
    dominated = np.zeros(n, dtype=bool)
    dominated[j[dom]] = True
    return np.flatnonzero(~dominated)


def reduce_problem(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    served: np.ndarray | None = None,
    *,
    merge_rows: bool = True,
    drop_dominated: bool = True,
) -> Reduced:
    """The exact reductions 1-4 of :mod:`geo.analysis.mclp`.

    Parameters
    ----------
    cover, weights, served
        As in :func:`geo.analysis.mclp.solve_mclp`.
    merge_rows, drop_dominated
        Switch steps 3 and 4 (to measure them).

    Returns
    -------
    Reduced
    """
    t0 = time.perf_counter()
    A, w = prepare_cover(cover, weights, served)
    counts = {"demand": A.shape[0], "candidates": A.shape[1]}
    rows = np.flatnonzero((w > 0) & (np.diff(A.indptr) > 0))
    A, w = sparse.csr_array(A[rows]), w[rows]
    counts["demand_active"] = len(rows)
    cols = np.flatnonzero(np.bincount(A.indices, minlength=A.shape[1]) > 0)
    A = sparse.csr_array(A[:, cols])
    counts["candidates_useful"] = len(cols)
    if merge_rows and A.shape[0]:
        A, w = _merge_rows(A, w)
    counts["demand_rows"] = A.shape[0]
    if drop_dominated and A.shape[1]:
        keep = _undominated(A)
        A, cols = sparse.csr_array(A[:, keep]), cols[keep]
        if merge_rows:  # rows may have become identical once dominated columns went
            A, w = _merge_rows(A, w)
            counts["demand_rows"] = A.shape[0]
    counts["candidates_undominated"] = A.shape[1]
    A.sort_indices()
    return Reduced(A, w, cols, counts, time.perf_counter() - t0)


def swap_search(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray,
    sites: np.ndarray | list[int],
    served: np.ndarray | None = None,
    *,
    max_swaps: int = 1000,
) -> tuple[np.ndarray, float]:
    """Improve a set of sites by single swaps (one site out, one candidate in) until none helps.

    Each step makes the best swap over all (out, in) pairs, computed at once: the gain of a
    candidate :math:`j` on unreached demand, minus what only site :math:`k` reaches, plus what
    only :math:`k` reaches that :math:`j` reaches too. A heuristic (a local optimum, not a
    proof); it never lowers the value. Returns ``(sites, value)``.
    """
    A, w = prepare_cover(cover, weights, served)
    At = sparse.csr_array(A.T)
    return swap_from(A, At, w, np.asarray(sites, dtype=np.int64), None, max_swaps)


def swap_from(
    A: sparse.csr_array,
    At: sparse.csr_array,
    w: np.ndarray,
    sites: np.ndarray,
    deadline: float | None,
    max_swaps: int = 1000,
) -> tuple[np.ndarray, float]:
    """:func:`swap_search` on a prepared matrix ``A`` (and ``At = A.T``), stopping at
    ``deadline`` (a :func:`time.perf_counter` value; None: no limit)."""
    n = A.shape[1]
    chosen = np.unique(sites)
    for _ in range(max_swaps + 1):
        X = np.zeros(n, dtype=bool)
        X[chosen] = True
        count = A @ X.astype(np.int32)
        value = float(w[count > 0].sum())
        if not len(chosen) or (deadline is not None and time.perf_counter() > deadline):
            break
        gain = np.where(X, -np.inf, At @ np.where(count == 0, w, 0.0))
        single = np.flatnonzero(count == 1)
        sub = sparse.csr_array(A[single])
        r = np.repeat(np.arange(len(single)), np.diff(sub.indptr))
        own = X[sub.indices]
        slot = np.full(n, -1)
        slot[chosen] = np.arange(len(chosen))
        owner = np.empty(len(single), dtype=np.int64)
        owner[r[own]] = slot[sub.indices[own]]
        loss = np.bincount(owner, weights=w[single], minlength=len(chosen))
        E = sparse.csr_array(
            (w[single], (np.arange(len(single)), owner)), shape=(len(single), len(chosen))
        )
        M = sparse.coo_array(sparse.csr_array(At[:, single]) @ E)  # M[j, k]: kept if k -> j
        best_free = int(np.argmax(gain))
        delta = gain[M.row] + M.data - loss[M.col]
        t = int(np.argmax(delta)) if len(delta) else -1
        k_free = int(np.argmin(loss))
        free_delta = gain[best_free] - loss[k_free]
        if t >= 0 and delta[t] >= free_delta:
            j, k, d = int(M.row[t]), int(M.col[t]), float(delta[t])
        else:
            j, k, d = best_free, k_free, float(free_delta)
        if not d > 1e-9 * max(1.0, value):
            break
        chosen = np.sort(np.concatenate([np.delete(chosen, k), [j]]))
    return chosen, value
