r"""What a closure costs: who loses their only place of a theme within walking reach.

Inputs are a coverage matrix of the *existing* places of one theme (:mod:`geo.analysis.planinputs`: demand
Output Areas x places, ``True`` within the walking catchment) and demand weights (residents,
housing association households, ...). Nothing here depends on where the distances came from.

Closing a set :math:`C` of places (one library, or a whole category) leaves demand :math:`i`
unreached when it had at least one place within reach and all of them are in :math:`C`:

.. math:: \mathrm{lost}_i = [\, N_i \neq \emptyset \;\wedge\; N_i \subseteq C \,]

("loses its only place(s) of the theme within reach"). The loss of :math:`C` is
:math:`\sum_i w_i\,\mathrm{lost}_i`; :func:`loss_by_area` adds it up per LSOA or borough.

Which places matter most
------------------------
*Individually* (:func:`sole_coverage`): the loss of closing place :math:`j` alone is the weight of
demand for which :math:`j` is the only place within reach. Ranking places by it answers "which
single closure hurts most", and it is exact for one closure at a time.

*As a set* (:func:`critical_places`): the :math:`r` places whose joint closure leaves the most
people unreached. This is not the top :math:`r` of the individual ranking: two libraries 300 m
apart each have a sole coverage of nearly zero (each backs the other up), yet closing both
strands everyone around them. The worst set is the *r-interdiction covering problem* (Church,
Scaparra & Middleton 2004), solved exactly here as a MILP with HiGHS:

.. math::

    \max \sum_i w_i z_i
    \quad\text{s.t.}\quad
    z_i \le s_j \;\; (j \in N_i), \qquad \sum_j s_j \le r, \qquad
    s_j \in \{0, 1\}, \quad 0 \le z_i \le 1,

where :math:`s_j = 1` closes place :math:`j` and :math:`z_i = 1` when all of demand :math:`i`'s
places are closed. As in the MCLP, :math:`z` may be continuous: for binary :math:`s` the best
:math:`z_i` is :math:`\min_{j \in N_i} s_j \in \{0, 1\}`. Demand with no place at all, or with
more than :math:`r` places, can never be lost and is dropped first.

References
----------
Church, R. L., Scaparra, M. P. & Middleton, R. S. (2004). Identifying critical infrastructure:
the median and covering facility interdiction problems. *Annals of the Association of American
Geographers* 94(3), 491-502.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = [
    "CriticalResult",
    "closure_loss",
    "critical_places",
    "loss_by_area",
    "lost_demand",
    "sole_coverage",
]


def _csr(cover: sparse.sparray | np.ndarray) -> sparse.csr_array:
    A = sparse.csr_array(cover, dtype=bool)
    A.eliminate_zeros()
    return A


def _weights(weights: np.ndarray | pd.Series | pd.DataFrame, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape[0] != n:
        raise ValueError(f"weights has {w.shape[0]} rows for {n} demand rows")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and >= 0")
    return w


def _closed_mask(closed: np.ndarray | list[int], n_places: int) -> np.ndarray:
    arr = np.asarray(closed)
    if arr.dtype == bool:
        if arr.shape != (n_places,):
            raise ValueError(f"closed mask must have {n_places} values")
        return arr
    mask = np.zeros(n_places, dtype=bool)
    idx = arr.astype(np.int64)
    if len(idx) and (idx.min() < 0 or idx.max() >= n_places):
        raise ValueError("closed place positions out of range")
    mask[idx] = True
    return mask


def lost_demand(cover: sparse.sparray | np.ndarray, closed: np.ndarray | list[int]) -> np.ndarray:
    """Demand rows that lose every place within reach when ``closed`` places close.

    Parameters
    ----------
    cover
        Boolean (n_demand x n_places) coverage of the existing places of the theme.
    closed
        Positions of the places closed, or a boolean mask over the places.

    Returns
    -------
    numpy.ndarray
        Boolean per demand row: had at least one place within reach, has none after.
    """
    A = _csr(cover)
    mask = _closed_mask(closed, A.shape[1])
    before = np.diff(A.indptr)
    after = np.asarray(A[:, ~mask].sum(axis=1)).ravel() if (~mask).any() else 0
    return (before > 0) & (after == 0)


def closure_loss(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray | pd.Series | pd.DataFrame,
    closed: np.ndarray | list[int],
) -> np.ndarray | float:
    """Weight left with no place of the theme within reach after closing ``closed``.

    ``weights`` may have several columns (residents, HA households, ...): one total each.
    """
    A = _csr(cover)
    w = _weights(weights, A.shape[0])
    lost = lost_demand(A, closed)
    total = w[lost].sum(axis=0)
    return float(total) if np.ndim(total) == 0 else total


def loss_by_area(
    cover: sparse.sparray | np.ndarray,
    weights: pd.DataFrame,
    closed: np.ndarray | list[int],
    area: pd.Series,
) -> pd.DataFrame:
    """The loss of a closure per area (LSOA, borough), largest first.

    Parameters
    ----------
    cover
        Coverage of the existing places (rows aligned to ``weights``).
    weights
        One column per weight (e.g. ``residents``, ``ha_households``), one row per demand row.
    closed
        Positions or mask of the places closed.
    area
        Area code of each demand row (same index as ``weights``).

    Returns
    -------
    pandas.DataFrame
        Indexed by area: ``lost_<column>`` for each weight column and ``areas_lost`` (demand
        rows, e.g. Output Areas, left without a place); only areas with a loss.
    """
    lost = lost_demand(cover, closed)
    frame = weights.loc[lost].add_prefix("lost_")
    frame["areas_lost"] = 1
    out = frame.groupby(area.loc[lost].to_numpy()).sum()
    out.index.name = area.name
    return out.sort_values(out.columns[0], ascending=False)


def sole_coverage(
    cover: sparse.sparray | np.ndarray, weights: np.ndarray | pd.Series | pd.DataFrame
) -> np.ndarray:
    """Per place: the weight for which it is the only place within reach.

    Returns an (n_places,) array (or (n_places, k) for k weight columns): the loss of closing
    that place alone (:func:`closure_loss` with one place).
    """
    A = _csr(cover)
    w = _weights(weights, A.shape[0])
    sole_rows = np.flatnonzero(np.diff(A.indptr) == 1)
    places = A.indices[A.indptr[sole_rows]]
    if w.ndim == 1:
        return np.bincount(places, weights=w[sole_rows], minlength=A.shape[1])
    return np.column_stack(
        [
            np.bincount(places, weights=w[sole_rows, k], minlength=A.shape[1])
            for k in range(w.shape[1])
        ]
    )


@dataclass(frozen=True)
class CriticalResult:
    """Outcome of :func:`critical_places`.

    Attributes
    ----------
    places
        Positions of the places whose joint closure loses most, ordered by marginal loss
        (the place whose closure adds most to the loss given the ones before; a place that
        only matters together with a later one may show 0 first).
    loss
        Weight left unreached if all of ``places`` close (recounted, not the solver's value).
    bound, gap, proved_optimal, status, seconds
        As in :class:`geo.analysis.mclp.MCLPResult`.
    """

    places: np.ndarray
    loss: float
    bound: float
    gap: float
    proved_optimal: bool
    status: str
    seconds: float


def critical_places(
    cover: sparse.sparray | np.ndarray,
    weights: np.ndarray | pd.Series,
    r: int,
    *,
    time_limit: float | None = 60.0,
) -> CriticalResult:
    """The ``r`` existing places whose joint closure leaves the most weight unreached.

    Exact r-interdiction covering MILP (module docstring) solved by HiGHS through
    :func:`scipy.optimize.milp`.

    Parameters
    ----------
    cover
        Coverage of the existing places of the theme.
    weights
        One weight per demand row (one column).
    r
        Number of closures (>= 0).
    time_limit
        Seconds for HiGHS (None: no limit).

    Returns
    -------
    CriticalResult
    """
    t0 = time.perf_counter()
    if isinstance(r, bool) or int(r) != r or r < 0:
        raise ValueError(f"r must be a whole number >= 0, got {r!r}")
    r = int(r)
    A = _csr(cover)
    w = _weights(weights, A.shape[0]).ravel()
    n_places = A.shape[1]
    k = np.diff(A.indptr)
    rows = np.flatnonzero((w > 0) & (k > 0) & (k <= r))
    B = sparse.csr_array(A[rows])
    wr = w[rows]
    cols = np.flatnonzero(np.bincount(B.indices, minlength=n_places) > 0)
    status, bound = "trivial", 0.0
    if r == 0 or not len(rows):
        chosen = np.empty(0, np.int64)
    elif len(cols) <= r:
        chosen = cols
        bound = float(wr.sum())
    else:
        B = sparse.csr_array(B[:, cols])
        m, n = B.shape
        # z_i - s_j <= 0 for every pair (i, j in N_i); sum_j s_j <= r
        coo = sparse.coo_array(B)
        e = len(coo.data)
        link = sparse.csr_array(
            (
                np.concatenate([np.ones(e), -np.ones(e)]),
                (np.tile(np.arange(e), 2), np.concatenate([n + coo.row, coo.col])),
            ),
            shape=(e, n + m),
        )
        budget = sparse.csr_array(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
        cons = LinearConstraint(
            sparse.vstack([link, budget], format="csr"),
            np.full(e + 1, -np.inf),
            np.concatenate([np.zeros(e), [float(r)]]),
        )
        options: dict[str, float | bool] = {"mip_rel_gap": 0.0}
        if time_limit is not None:
            options["time_limit"] = float(time_limit)
        res = milp(
            np.concatenate([np.zeros(n), -wr]),
            integrality=np.concatenate([np.ones(n), np.zeros(m)]),
            bounds=Bounds(0.0, 1.0),
            constraints=cons,
            options=options,
        )
        if res.x is None:
            raise RuntimeError(f"HiGHS found no solution: {res.message}")
        chosen = cols[np.flatnonzero(res.x[:n] > 0.5)]
        bound = -float(res.mip_dual_bound)
        status = "optimal" if res.status == 0 else "time_limit"
    places = _order_by_marginal_loss(A, w, chosen)
    loss = float(closure_loss(A, w, places))
    bound = max(bound, loss)
    return CriticalResult(
        places=places,
        loss=loss,
        bound=bound,
        gap=(bound - loss) / loss if loss > 0 else 0.0,
        proved_optimal=status != "time_limit",
        status=status,
        seconds=time.perf_counter() - t0,
    )


def _order_by_marginal_loss(A: sparse.csr_array, w: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Order closures greedily: each step the one adding most to the loss given those before."""
    left = [int(j) for j in chosen]
    order: list[int] = []
    current = 0.0
    while left:
        gains = [float(closure_loss(A, w, [*order, j])) - current for j in left]
        best = int(np.argmax(gains))
        order.append(left.pop(best))
        current += gains[best]
    return np.asarray(order, dtype=np.int64)
