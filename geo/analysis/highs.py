r"""HiGHS for the covering problems: the MCLP as a MILP, through scipy or highspy.

HiGHS (Huangfu & Hall 2018) is the solver behind :func:`scipy.optimize.milp`; ``highspy`` is its
own Python API, used where a warm start or a model built up column by column is wanted
(:mod:`geo.analysis.mclp_core`). The model is the one of :mod:`geo.analysis.mclp`: variables
``[x_1..x_n, y_1..y_m]``, minimise :math:`-\sum_i w_i y_i` subject to
:math:`y_i - \sum_{j \in N_i} x_j \le 0` and :math:`\sum_j x_j \le p`.

Nothing is printed: highspy's banner and log are switched off (:func:`new_highs`).

References
----------
Huangfu, Q. & Hall, J. A. J. (2018). Parallelizing the dual revised simplex method.
*Mathematical Programming Computation* 10, 119-142.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.analysis.covering import Reduced

__all__ = [
    "milp_matrices",
    "new_highs",
    "pass_model",
    "remaining",
    "set_time_limit",
    "solve_highspy",
    "solve_scipy",
]


def milp_matrices(R: Reduced, p: int):
    """Matrices of the MILP over variables ``[x_1..x_n, y_1..y_m]`` (minimise -w.y)."""
    m, n = R.cover.shape
    c = np.concatenate([np.zeros(n), -R.weights])
    # y_i - sum_{j in N_i} x_j <= 0 ; sum_j x_j <= p
    cover_rows = sparse.hstack(
        [-sparse.csr_array(R.cover, dtype=float), sparse.eye_array(m, format="csr")], format="csr"
    )
    budget = sparse.csr_array(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
    A = sparse.vstack([cover_rows, budget], format="csr")
    lower = np.full(m + 1, -np.inf)
    upper = np.concatenate([np.zeros(m), [float(p)]])
    integrality = np.concatenate([np.ones(n), np.zeros(m)]).astype(np.uint8)
    return c, A, lower, upper, integrality


def solve_scipy(R: Reduced, p: int, time_limit: float | None, mip_rel_gap: float):
    """MILP on ``R`` with :func:`scipy.optimize.milp`; returns ``(x, bound, optimal, message)``."""
    c, A, lower, upper, integrality = milp_matrices(R, p)
    options: dict[str, float | bool] = {"mip_rel_gap": mip_rel_gap, "disp": False}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 1e-3)
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        constraints=LinearConstraint(A, lower, upper),
        options=options,
    )
    if res.x is None:  # stopped before any solution (e.g. no time left): the caller uses greedy
        return np.zeros(R.cover.shape[1], dtype=bool), np.inf, False, res.message
    x = res.x[: R.cover.shape[1]] > 0.5
    bound = -float(res.mip_dual_bound) if res.mip_dual_bound is not None else np.inf
    return x, bound, res.status == 0, res.message


# --------------------------------------------------------------------------------------------
# highspy: a silent solver object and the MCLP model passed as arrays
# --------------------------------------------------------------------------------------------
_BANNER_LOCK = threading.Lock()
_BANNER_SHOWN = False


def new_highs():
    """A ``highspy.Highs`` with ``output_flag`` off.

    highspy 1.16 writes its banner to file descriptor 1 when the first ``Highs`` of a process is
    constructed, before any option can be set; that one construction runs with descriptor 1
    pointed at ``os.devnull``.
    """
    import highspy

    global _BANNER_SHOWN
    with _BANNER_LOCK:
        if _BANNER_SHOWN:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def pass_model(
    h, A: sparse.csr_array, w: np.ndarray, p: int, *, integer: bool, x_upper: np.ndarray | None
) -> None:
    """Pass the MCLP over ``[x_1..x_n, y_1..y_m]`` (minimise -w.y) to a highspy object.

    Built column-wise straight from the matrix (no intermediate stacking): column ``x_j`` has
    -1 in the rows of the demand it reaches and 1 in the budget row ``m``; ``y_i`` has 1 in row
    ``i``. ``x_upper`` gives the upper bound of each ``x_j`` (0 keeps a column out of an LP).
    """
    import highspy

    m, n = A.shape
    Ac = sparse.csc_array(A)
    Ac.sort_indices()
    nnz_x = Ac.nnz + n
    start = np.empty(n + m + 1, dtype=np.int32)
    start[: n + 1] = Ac.indptr + np.arange(n + 1)
    start[n + 1 :] = nnz_x + np.arange(1, m + 1)
    index = np.empty(nnz_x + m, dtype=np.int32)
    value = np.empty(nnz_x + m)
    budget = start[1 : n + 1] - 1
    coverage = np.ones(nnz_x, dtype=bool)
    coverage[budget] = False
    index[:nnz_x][coverage] = Ac.indices
    value[:nnz_x][coverage] = -1.0
    index[budget], value[budget] = m, 1.0
    index[nnz_x:], value[nnz_x:] = np.arange(m), 1.0
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + m, m + 1
    lp.col_cost_ = np.concatenate([np.zeros(n), -np.asarray(w, dtype=float)])
    lp.col_lower_ = np.zeros(n + m)
    upper = np.ones(n + m)
    if x_upper is not None:
        upper[:n] = x_upper
    lp.col_upper_ = upper
    lp.row_lower_ = np.full(m + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(m), [float(p)]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    h.passModel(lp)
    if integer:
        h.changeColsIntegrality(
            n,
            np.arange(n, dtype=np.int32),
            np.ones(n, dtype=np.uint8),  # kInteger
        )


def remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (a :func:`time.perf_counter` value), None for none."""
    return None if deadline is None else deadline - time.perf_counter()


def set_time_limit(h, deadline: float | None) -> bool:
    """Give HiGHS the time left until ``deadline``; False when none is left.

    HiGHS's ``time_limit`` counts the run time of *all* runs of one object, so it is set to the
    run time so far plus the time left.
    """
    left = remaining(deadline)
    if left is None:
        return True
    if left <= 0.0:
        return False
    h.setOptionValue("time_limit", float(h.getRunTime()) + left)
    return True


def solve_highspy(
    R: Reduced,
    p: int,
    time_limit: float | None,
    mip_rel_gap: float,
    start: np.ndarray | None,
):
    """MILP on ``R`` with highspy; returns ``(x, bound, optimal, status text)``."""
    import highspy

    m, n = R.cover.shape
    h = new_highs()
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    pass_model(h, R.cover, R.weights, p, integer=True, x_upper=None)
    if start is not None and len(start):
        x0 = np.zeros(n + m)
        x0[start] = 1.0
        x0[n:] = (np.asarray(R.cover @ x0[:n]).ravel() > 0).astype(float)
        sol = highspy.HighsSolution()
        sol.col_value = list(x0)
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    values = np.asarray(h.getSolution().col_value)
    if not len(values) or not h.getSolution().value_valid:
        return np.zeros(n, dtype=bool), np.inf, False, h.modelStatusToString(status)
    x = values[:n] > 0.5
    bound = -float(h.getInfo().mip_dual_bound)
    return x, bound, status == highspy.HighsModelStatus.kOptimal, h.modelStatusToString(status)
