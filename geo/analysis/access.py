"""Access measures: how much social prescribing provision each neighbourhood can reach.

Three measures, each taking a demand GeoDataFrame (LSOAs, polygons or points) and a supply
GeoDataFrame (services, points) in the same projected CRS (EPSG:27700 for this project) and
returning a Series/DataFrame aligned to the demand index:

- :func:`e2sfca` -- enhanced two-step floating catchment area access (supply per person);
- :func:`services_within` -- number of services within a walking catchment, overall and by theme;
- :func:`nearest_service` -- walking-distance estimate to the nearest service, overall and by theme.

Distances
---------
All distances are a walking proxy: the straight-line distance in metres between the demand
point and the service, multiplied by a detour factor (default 1.3, the usual ratio between
network and Euclidean distance in dense street grids). The catchment is expressed in that
walking distance: the default 800 m (about a 10 minute walk) therefore means a straight-line
radius of 800 / 1.3 = 615 m. A pair is inside the catchment when
``straight_line * detour <= catchment`` (boundary inclusive, as in PySAL ``access``).

Implementation
--------------
Pairs within reach are found with :meth:`scipy.spatial.cKDTree.sparse_distance_matrix`
(tree against tree), so work and memory grow with the number of pairs within the catchment,
not with demand x supply. All sums over pairs are :func:`numpy.bincount` calls; nearest
distances are :meth:`scipy.spatial.cKDTree.query`. There is no Python loop over pairs (only over
themes).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

__all__ = ["DECAYS", "e2sfca", "nearest_service", "services_within"]

Decay = Literal["step", "gaussian", "gaussian_dai"]
Points = Literal["centroid", "representative_point"]

#: Distance-decay functions accepted by :func:`e2sfca`.
DECAYS: tuple[str, ...] = ("step", "gaussian", "gaussian_dai")

_EXP_HALF = float(np.exp(-0.5))


# --------------------------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------------------------
def _check_frames(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame) -> None:
    """Raise ValueError unless both frames are GeoDataFrames in the same projected metric CRS.

    An empty ``supply`` without a CRS is accepted (nothing to measure against).
    """
    for name, frame in (("demand", demand), ("supply", supply)):
        if not isinstance(frame, gpd.GeoDataFrame):
            raise ValueError(f"{name} must be a GeoDataFrame, got {type(frame).__name__}")
    frames = [("demand", demand)]
    if not (len(supply) == 0 and supply.crs is None):
        frames.append(("supply", supply))
    for name, frame in frames:
        crs = frame.crs
        if crs is None:
            raise ValueError(
                f"{name} has no CRS; distances need a projected CRS in metres. "
                f"Set or reproject it to EPSG:27700 (British National Grid), "
                f"e.g. {name}.to_crs(27700)."
            )
        if not crs.is_projected:
            raise ValueError(
                f"{name} is in {crs.to_string()}, a geographic CRS (degrees), not a projected "
                f"CRS in metres. Reproject it first, e.g. {name}.to_crs(27700)."
            )
        units = {axis.unit_name.lower() for axis in crs.axis_info}
        if not units <= {"metre", "meter", "metres", "meters"}:
            raise ValueError(
                f"{name} CRS {crs.to_string()} is projected but not in metres "
                f"(units: {', '.join(sorted(units))}); reproject it to EPSG:27700."
            )
    if len(frames) == 2 and demand.crs != supply.crs:
        raise ValueError(
            "demand and supply must be in the same CRS: demand is "
            f"{demand.crs.to_string()}, supply is {supply.crs.to_string()}. "
            "Reproject one of them, e.g. supply.to_crs(demand.crs)."
        )


def _check_params(catchment: float | None, detour: float) -> None:
    if catchment is not None and not (catchment > 0):
        raise ValueError(f"catchment must be a positive distance in metres, got {catchment!r}")
    if not (np.isfinite(detour) and detour >= 1.0):
        raise ValueError(f"detour must be a finite factor >= 1 (1 = straight line), got {detour!r}")


def _coords(frame: gpd.GeoDataFrame, name: str, points: str = "centroid") -> np.ndarray:
    """(n, 2) float array of one point per row: centroid or representative point."""
    if len(frame) == 0:
        return np.empty((0, 2), dtype=float)
    geom = frame.geometry
    bad = geom.isna() | geom.is_empty
    if bad.any():
        first = list(frame.index[bad.to_numpy()][:3])
        raise ValueError(
            f"{name} has {int(bad.sum())} row(s) with a missing or empty geometry "
            f"(e.g. index {first}); locate or drop them first."
        )
    if points == "centroid":
        pts = geom.centroid
    elif points == "representative_point":
        pts = geom.representative_point()
    else:
        raise ValueError(f"points must be 'centroid' or 'representative_point', got {points!r}")
    xy = np.column_stack([pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float)])
    if not np.isfinite(xy).all():
        raise ValueError(f"{name} has non-finite coordinates")
    return xy


def _pairs(
    dxy: np.ndarray, sxy: np.ndarray, catchment: float, detour: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (demand i, supply j, walking cost) with ``cost = straight * detour <= catchment``.

    Returns three aligned 1-D arrays (int64, int64, float64); sparse, so memory is
    O(pairs within reach).
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, float))
    if len(dxy) == 0 or len(sxy) == 0:
        return empty
    radius = catchment / detour
    if np.isfinite(radius):
        # a hair of slack so the tree never drops a pair on the boundary; the exact
        # inclusive test is applied below on the detoured cost.
        radius = radius * (1.0 + 1e-12) + 1e-9
    sdm = cKDTree(dxy).sparse_distance_matrix(cKDTree(sxy), radius, output_type="ndarray")
    i = sdm["i"].astype(np.int64, copy=False)
    j = sdm["j"].astype(np.int64, copy=False)
    cost = sdm["v"] * detour
    keep = cost <= catchment
    if not keep.all():
        i, j, cost = i[keep], j[keep], cost[keep]
    return i, j, cost


def _facilities(supply: pd.DataFrame, facility_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Facility number of each supply row, and the position of each facility's first row.

    Rows sharing a ``facility_col`` value are points of one facility (e.g. the edge points of
    a park): it is reached at its nearest point and counts once.
    """
    if facility_col not in supply.columns:
        raise ValueError(f"supply has no column {facility_col!r} (columns: {list(supply.columns)})")
    keys = supply[facility_col]
    if keys.isna().any():
        raise ValueError(f"supply[{facility_col!r}] has {int(keys.isna().sum())} missing value(s)")
    codes, _ = pd.factorize(keys, sort=False)
    _, first = np.unique(codes, return_index=True)
    return codes.astype(np.int64), first.astype(np.int64)


def _nearest_point_pairs(
    i: np.ndarray, j: np.ndarray, cost: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (demand, supply point) reduced to (demand, facility) at the nearest point."""
    f = codes[j]
    if len(i) == 0:
        return i, f, cost
    order = np.lexsort((cost, f, i))
    i, f, cost = i[order], f[order], cost[order]
    keep = np.ones(len(i), dtype=bool)
    keep[1:] = (i[1:] != i[:-1]) | (f[1:] != f[:-1])
    return i[keep], f[keep], cost[keep]


def _decay_weights(cost: np.ndarray, catchment: float, decay: str) -> np.ndarray:
    """Distance-decay weight of each pair (all pairs are already inside the catchment)."""
    if decay == "step":
        return np.ones_like(cost)
    ratio_sq = (cost / catchment) ** 2  # 0 when catchment is infinite
    gauss = np.exp(-0.5 * ratio_sq)
    if decay == "gaussian":
        return gauss
    if decay == "gaussian_dai":
        if not np.isfinite(catchment):
            raise ValueError("decay='gaussian_dai' needs a finite catchment")
        return (gauss - _EXP_HALF) / (1.0 - _EXP_HALF)
    raise ValueError(f"decay must be one of {DECAYS}, got {decay!r}")


def _nonneg_values(frame: pd.DataFrame, col: str, name: str, *, nan_ok: bool) -> np.ndarray:
    if col not in frame.columns:
        raise ValueError(f"{name} has no column {col!r} (columns: {list(frame.columns)})")
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
    was_text = frame[col].notna().to_numpy() & np.isnan(values)
    if was_text.any():
        raise ValueError(f"{name}[{col!r}] has {int(was_text.sum())} non-numeric value(s)")
    if np.isnan(values).any():
        if not nan_ok:
            raise ValueError(
                f"{name}[{col!r}] has {int(np.isnan(values).sum())} missing value(s); "
                "fill them (e.g. with 1 for one unit of capacity) or drop those rows."
            )
        values = np.nan_to_num(values, nan=0.0)
    if np.isinf(values).any() or (values < 0).any():
        raise ValueError(f"{name}[{col!r}] must be finite and >= 0")
    return values


def _is_listlike(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series)


def _theme_membership(
    supply: pd.DataFrame, by: Hashable, themes: Sequence[Hashable] | None
) -> tuple[list[Hashable], sparse.csr_matrix]:
    """Themes (column order) and a 0/1 sparse (n_services x n_themes) membership matrix.

    A cell of ``supply[by]`` may hold one theme or a list of themes; missing values and
    themes not in ``themes`` belong to no theme column (they still count in "all").
    """
    if by not in supply.columns:
        raise ValueError(f"supply has no column {by!r} (columns: {list(supply.columns)})")
    col = supply[by]
    rows = np.arange(len(col))
    values = pd.Series(list(col.to_numpy()), index=rows, dtype=object)
    exploded = values.explode() if values.map(_is_listlike).any() else values
    exploded = exploded[exploded.notna()]
    if themes is not None:
        order = list(dict.fromkeys(themes))
    elif isinstance(col.dtype, pd.CategoricalDtype):
        order = list(col.cat.categories)  # unused categories still get a column
    else:
        order = sorted(exploded.unique().tolist(), key=str)
    if "all" in order:
        raise ValueError("'all' is reserved for the total column and cannot be a theme")
    code_of = {theme: k for k, theme in enumerate(order)}
    codes = exploded.map(code_of)
    known = codes.notna().to_numpy()
    r = exploded.index.to_numpy()[known].astype(np.int64)
    c = codes.to_numpy()[known].astype(np.int64)
    member = sparse.csr_matrix(
        (np.ones(len(r)), (r, c)), shape=(len(supply), len(order)), dtype=float
    )
    member.data[:] = 1.0  # the same theme listed twice on one service counts once
    return order, member


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def e2sfca(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    demand_col: str = "population",
    capacity_col: str | None = None,
    catchment: float = 800.0,
    detour: float = 1.3,
    decay: Decay = "step",
    points: Points = "centroid",
    facility_col: str | None = None,
) -> pd.Series:
    r"""Enhanced two-step floating catchment area (E2SFCA) access per demand row.

    Step 1, for each service :math:`j` with supply :math:`S_j` (1, or ``capacity_col``):

    .. math:: R_j = \frac{S_j}{\sum_{i:\, d_{ij} \le d_0} P_i \, W(d_{ij})}

    Step 2, for each demand row :math:`i`:

    .. math:: A_i = \sum_{j:\, d_{ij} \le d_0} R_j \, W(d_{ij})

    where :math:`P_i` is the population of row :math:`i`, :math:`d_0` the catchment and
    :math:`d_{ij}` the walking-distance proxy: straight-line metres between the demand point
    and the service times ``detour``. :math:`A_i` is supply per person (multiply by 1,000 for
    services per 1,000 residents). Luo & Qi (2009) use the same weight in both steps.

    Distance decay :math:`W(d)` for :math:`d \le d_0` (all are 0 beyond :math:`d_0`):

    - ``"step"``: :math:`W = 1` (the original 2SFCA of Luo & Wang 2003 with a single zone;
      identical to PySAL ``access`` with ``weight_fn=weights.step_fn({d0: 1})``,
      ``max_cost=d0``).
    - ``"gaussian"``: :math:`W = \exp(-\tfrac12 (d/d_0)^2)`, i.e. a Gaussian with
      :math:`\sigma = d_0` truncated at :math:`d_0` (1 at the service, 0.61 at the edge);
      identical to PySAL ``access`` with ``weight_fn=weights.gaussian(d0)``, ``max_cost=d0``.
    - ``"gaussian_dai"``: Dai (2010)'s rescaled Gaussian
      :math:`W = \frac{\exp(-\tfrac12 (d/d_0)^2) - e^{-1/2}}{1 - e^{-1/2}}`, which falls
      smoothly from 1 to 0 at the edge of the catchment.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand rows (LSOA polygons or points) with a population column, projected CRS in metres.
    supply : geopandas.GeoDataFrame
        Services (points; other geometries use their centroid), same CRS as ``demand``.
    demand_col : str, default "population"
        Population column of ``demand``. Missing values are treated as 0 (no residents).
    capacity_col : str or None
        Column of ``supply`` with each service's capacity; None means 1 per service. Missing
        or negative capacities raise ValueError.
    catchment : float, default 800
        Catchment :math:`d_0` in walking metres (800 m is about a 10 minute walk; 1,600 m
        about 20). ``numpy.inf`` is allowed for a small study area (every pair is in reach).
    detour : float, default 1.3
        Walking distance / straight-line distance; 1 means straight line.
    decay : {"step", "gaussian", "gaussian_dai"}
        Distance-decay function, see above.
    points : {"centroid", "representative_point"}
        Which point stands for a demand polygon. Representative points are guaranteed to be
        inside the polygon; centroids are the usual choice and the default.
    facility_col : str or None
        Column of ``supply`` naming the facility each row belongs to. Rows sharing a value are
        points of one facility (e.g. points every 50 m along a park's edge): :math:`d_{ij}` is
        the distance to its nearest point, it counts once, and its capacity is that of its
        first row. None: every row is its own facility.

    Returns
    -------
    pandas.Series
        ``access`` per demand row, float, aligned to ``demand.index``; 0 where no service is
        in reach.

    Notes
    -----
    - Rows with zero (or missing) population still get a value: they can reach services and
      :math:`A_i` does not depend on :math:`P_i` itself.
    - A service with no population in reach (denominator of step 1 equal to 0) has an
      undefined ratio; it is skipped and contributes nothing to anyone. (PySAL ``access``
      would propagate ``inf``/``NaN`` there; everywhere else the two agree.)
    - Duplicate service points are separate services: each counts.
    - With an infinite catchment and ``"step"`` decay every row gets
      :math:`\sum_j S_j / \sum_i P_i`.

    References
    ----------
    Luo, W. & Qi, Y. (2009) An enhanced two-step floating catchment area (E2SFCA) method for
    measuring spatial accessibility to primary care physicians. *Health & Place* 15(4),
    1100-1107. doi:10.1016/j.healthplace.2009.06.002

    Luo, W. & Wang, F. (2003) Measures of spatial accessibility to health care in a GIS
    environment. *Environment and Planning B* 30(6), 865-884.

    Dai, D. (2010) Black residential segregation, disparities in spatial access to health
    care facilities, and late-stage breast cancer diagnosis in metropolitan Detroit.
    *Health & Place* 16(5), 1038-1052.
    """
    _check_frames(demand, supply)
    _check_params(catchment, detour)
    if decay not in DECAYS:
        raise ValueError(f"decay must be one of {DECAYS}, got {decay!r}")
    pop = _nonneg_values(demand, demand_col, "demand", nan_ok=True)
    if capacity_col is None:
        cap = np.ones(len(supply))
    else:
        cap = _nonneg_values(supply, capacity_col, "supply", nan_ok=False)
    dxy = _coords(demand, "demand", points)
    sxy = _coords(supply, "supply")

    i, j, cost = _pairs(dxy, sxy, catchment, detour)
    n_supply = len(sxy)
    if facility_col is not None and len(supply):
        codes, first = _facilities(supply, facility_col)
        i, j, cost = _nearest_point_pairs(i, j, cost, codes)
        cap, n_supply = cap[first], len(first)
    w = _decay_weights(cost, catchment, decay)
    reached = np.bincount(j, weights=pop[i] * w, minlength=n_supply)
    ratio = np.zeros(n_supply)
    np.divide(cap, reached, out=ratio, where=reached > 0)
    access = np.bincount(i, weights=ratio[j] * w, minlength=len(dxy))
    return pd.Series(access, index=demand.index, name="access", dtype=float)


def services_within(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    catchment: float = 800.0,
    detour: float = 1.3,
    by: Hashable | None = None,
    themes: Sequence[Hashable] | None = None,
    points: Points = "centroid",
    facility_col: str | None = None,
) -> pd.DataFrame:
    r"""Number of services within the walking catchment of each demand row.

    .. math:: N_i = \#\{j : d^{\mathrm{straight}}_{ij} \times \mathrm{detour} \le d_0\}

    (the cumulative-opportunities measure; see e.g. Geurs & van Wee 2004, *Journal of
    Transport Geography* 12(2), 127-140).

    Parameters
    ----------
    demand, supply : geopandas.GeoDataFrame
        As for :func:`e2sfca` (same projected CRS).
    catchment : float, default 800
        Catchment in walking metres.
    detour : float, default 1.3
        Walking distance / straight-line distance.
    by : column label or None
        Column of ``supply`` holding each service's theme (a single value, or a list of themes
        for a service with several). None gives only the ``"all"`` column.
    themes : sequence or None
        Theme columns to produce, in order. Default: the categories of ``supply[by]`` if it is
        categorical (so themes with no services still get a column), else its sorted distinct
        values. Services whose theme is not listed count only in ``"all"``.
    points : {"centroid", "representative_point"}
        Point standing for a demand polygon.
    facility_col : str or None
        As in :func:`e2sfca`: a facility with several points (a park's edge) is within reach
        when its nearest point is, counts once, and has the themes of its first row.

    Returns
    -------
    pandas.DataFrame
        Integer counts aligned to ``demand.index``: one column per theme (if ``by``), then
        ``"all"`` (each service once, whatever its themes). Duplicate service points each
        count. ``attrs`` holds ``catchment`` and ``detour``.
    """
    _check_frames(demand, supply)
    _check_params(catchment, detour)
    dxy = _coords(demand, "demand", points)
    sxy = _coords(supply, "supply")
    i, j, cost = _pairs(dxy, sxy, catchment, detour)
    facilities = supply
    if facility_col is not None and len(supply):
        codes, first = _facilities(supply, facility_col)
        i, j, _ = _nearest_point_pairs(i, j, cost, codes)
        facilities = supply.iloc[first]
    out = pd.DataFrame(index=demand.index)
    if by is not None:
        order, member = _theme_membership(facilities, by, themes)
        within = sparse.csr_matrix(
            (np.ones(len(i)), (i, j)), shape=(len(dxy), len(facilities)), dtype=float
        )
        per_theme = np.asarray((within @ member).todense()).reshape(len(dxy), len(order))
        for k, theme in enumerate(order):
            out[theme] = np.rint(per_theme[:, k]).astype(np.int64)
    out["all"] = np.bincount(i, minlength=len(dxy)).astype(np.int64)
    out.attrs.update({"catchment": float(catchment), "detour": float(detour)})
    return out


def nearest_service(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    detour: float = 1.3,
    by: Hashable | None = None,
    themes: Sequence[Hashable] | None = None,
    points: Points = "centroid",
    facility_col: str | None = None,
) -> pd.DataFrame:
    r"""Walking-distance estimate (metres) from each demand row to its nearest service.

    .. math:: D_i = \mathrm{detour} \times \min_j d^{\mathrm{straight}}_{ij}

    computed with a k-d tree nearest-neighbour query (no catchment limit).

    Parameters
    ----------
    demand, supply : geopandas.GeoDataFrame
        As for :func:`e2sfca` (same projected CRS).
    detour : float, default 1.3
        Walking distance / straight-line distance.
    by : column label or None
        Theme column of ``supply`` (single values or lists), as in :func:`services_within`.
    themes : sequence or None
        Theme columns to produce, as in :func:`services_within`.
    points : {"centroid", "representative_point"}
        Point standing for a demand polygon.
    facility_col : str or None
        Accepted for symmetry with :func:`e2sfca`; the nearest point of a facility with
        several points is its distance, so the result is the same either way.

    Returns
    -------
    pandas.DataFrame
        Float metres aligned to ``demand.index``: one column per theme (if ``by``), then
        ``"all"``. NaN where there is no service at all (or none of that theme).
        ``attrs`` holds ``detour``.
    """
    _check_frames(demand, supply)
    _check_params(None, detour)
    dxy = _coords(demand, "demand", points)
    sxy = _coords(supply, "supply")

    def nearest(sub: np.ndarray) -> np.ndarray:
        if len(sub) == 0 or len(dxy) == 0:
            return np.full(len(dxy), np.nan)
        dist, _ = cKDTree(sub).query(dxy, k=1)
        return dist * detour

    out = pd.DataFrame(index=demand.index)
    if by is not None:
        order, member = _theme_membership(supply, by, themes)
        member = member.tocsc()
        for k, theme in enumerate(order):
            rows = member.indices[member.indptr[k] : member.indptr[k + 1]]
            out[theme] = nearest(sxy[np.sort(rows)])
    out["all"] = nearest(sxy)
    out.attrs.update({"detour": float(detour)})
    return out
