r"""Places and the walking distances to them: the table every access measure reads.

A :class:`Supply` is the places as points grouped into facilities (a park's edge points are one
facility), with their themes and capacity. A :class:`DistanceTable` lists every (origin,
facility) pair within ``max_distance`` walking metres (the largest catchment, 1,600 m), where
the origins are the London Output Areas (demand) or a user's homes:

.. math::
    d_{ij} = \begin{cases}
        d^{net}_{ij} & \text{origin } i \text{ and point } j \text{ both covered by the street network}\\
        \mathrm{detour} \times d^{straight}_{ij} & \text{otherwise}
    \end{cases}

and a facility's distance is that of its nearest point. Network distances come from the build
(:mod:`geo.data.walkbuild`, for the bundled places) or from :mod:`geo.analysis.walkaccess` (for
uploads); straight pairs are found with :meth:`scipy.spatial.cKDTree.sparse_distance_matrix`
(work and memory grow with the pairs in reach, not with origins x points).

Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from geo.data.walking import MAX_WALK_M

__all__ = [
    "ALL",
    "MAX_CATCHMENT",
    "DistanceTable",
    "Supply",
    "concat_supply",
    "concat_tables",
    "distance_table",
    "nearest_beyond",
    "origin_counts",
    "supply_from_frame",
]

#: The largest catchment offered (metres): the distance table is complete up to it.
MAX_CATCHMENT = MAX_WALK_M
#: The "every theme" column and selection.
ALL = "all"


@dataclass(frozen=True)
class Supply:
    """Places as points, grouped into facilities, with their themes and capacity.

    Attributes
    ----------
    xy : numpy.ndarray
        (n_points, 2) EPSG:27700 coordinates.
    facility : numpy.ndarray
        int64 facility position of each point (a park's edge points share one).
    facility_id : numpy.ndarray
        The key of each facility (object): the directory's ``facility`` value.
    capacity : numpy.ndarray
        Capacity of each facility (its first point's), float; NaN where unknown.
    themes : tuple
        Theme names, the columns of ``member``.
    member : scipy.sparse.csc_matrix
        (n_facilities x n_themes) 0/1 theme membership.
    """

    xy: np.ndarray
    facility: np.ndarray
    facility_id: np.ndarray
    capacity: np.ndarray
    themes: tuple[Hashable, ...]
    member: sparse.csc_matrix

    @property
    def n_facilities(self) -> int:
        """Number of facilities (places)."""
        return len(self.facility_id)

    def theme_mask(self, theme: Hashable) -> np.ndarray:
        """Boolean per facility: serves ``theme`` (every facility for :data:`ALL`)."""
        if theme == ALL:
            return np.ones(self.n_facilities, dtype=bool)
        if theme not in self.themes:
            raise ValueError(f"unknown theme {theme!r}; expected {ALL!r} or one of {self.themes}")
        k = self.themes.index(theme)
        mask = np.zeros(self.n_facilities, dtype=bool)
        mask[self.member.indices[self.member.indptr[k] : self.member.indptr[k + 1]]] = True
        return mask


def _theme_list(value: object) -> list:
    if isinstance(value, list | tuple | set | np.ndarray):
        return list(value)
    return [] if value is None or (isinstance(value, float) and np.isnan(value)) else [value]


def supply_from_frame(
    points: pd.DataFrame,
    *,
    themes: Sequence[Hashable],
    facility_col: str | None = "facility",
    themes_col: str = "themes",
    capacity_col: str | None = "capacity",
) -> Supply:
    """:class:`Supply` from a point GeoDataFrame (e.g. ``provision.access_supply`` output).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        One row per point, projected in EPSG:27700.
    themes : sequence
        Theme columns, in order (themes of a place not listed count only in :data:`ALL`).
    facility_col : str or None, default "facility"
        Rows sharing a value are one facility; None (or a missing column): each row is its own.
    themes_col : str, default "themes"
        A theme or a list of themes per row (the facility's first row counts).
    capacity_col : str or None, default "capacity"
        Capacity per row (missing -> NaN, unknown); None: 1 per facility.

    Returns
    -------
    Supply
        Points, facilities, capacity and theme membership.
    """
    geom = points.geometry
    if len(points) and (geom.isna().any() or geom.is_empty.any()):
        raise ValueError("supply has rows with a missing or empty geometry; locate or drop them")
    xy = np.column_stack([geom.x.to_numpy(float), geom.y.to_numpy(float)]).reshape(-1, 2)
    keys = (
        points[facility_col].astype(str).to_numpy(object)
        if facility_col is not None and facility_col in points.columns
        else points.index.astype(str).to_numpy(object)
    )
    codes, uniques = pd.factorize(keys, sort=False)
    _, first = np.unique(codes, return_index=True)
    if capacity_col is not None and capacity_col in points.columns:
        cap = pd.to_numeric(points[capacity_col], errors="coerce").to_numpy(float)
        if (cap[~np.isnan(cap)] < 0).any():
            raise ValueError(f"supply[{capacity_col!r}] must be >= 0")
    else:
        cap = np.ones(len(points))
    col = themes_col if themes_col in points.columns else "theme"
    per_row = [_theme_list(v) for v in points[col].iloc[first]]
    order = list(dict.fromkeys(themes))
    code_of = {t: k for k, t in enumerate(order)}
    rows = [f for f, ts in enumerate(per_row) for t in dict.fromkeys(ts) if t in code_of]
    cols = [code_of[t] for ts in per_row for t in dict.fromkeys(ts) if t in code_of]
    member = sparse.csc_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(first), len(order)), dtype=float
    )
    return Supply(
        xy=xy,
        facility=codes.astype(np.int64),
        facility_id=np.asarray(uniques, dtype=object),
        capacity=cap[first],
        themes=tuple(order),
        member=member,
    )


def concat_supply(first: Supply, second: Supply) -> Supply:
    """Two supplies as one (``second``'s facilities after ``first``'s; same themes)."""
    if first.themes != second.themes:
        raise ValueError("supplies with different theme columns cannot be combined")
    return Supply(
        xy=np.vstack([first.xy, second.xy]),
        facility=np.concatenate([first.facility, second.facility + first.n_facilities]),
        facility_id=np.concatenate([first.facility_id, second.facility_id]),
        capacity=np.concatenate([first.capacity, second.capacity]),
        themes=first.themes,
        member=sparse.vstack([first.member, second.member]).tocsc(),
    )


@dataclass(frozen=True)
class DistanceTable:
    """Walking distances from origins to facilities within ``max_distance``, sorted by
    (origin, distance).

    Attributes
    ----------
    origin, facility : numpy.ndarray
        int64 positions of the origin (OA or home) and of the facility (:class:`Supply`).
    distance : numpy.ndarray
        Walking metres (float64), at most ``max_distance``.
    network : numpy.ndarray
        Boolean: measured on the street network (else straight line x detour).
    n_origin, n_facility : int
        Table shape.
    max_distance, detour : float
        How it was built.
    """

    origin: np.ndarray
    facility: np.ndarray
    distance: np.ndarray
    network: np.ndarray
    n_origin: int
    n_facility: int
    max_distance: float
    detour: float


def _nearest_per_facility(
    o: np.ndarray, f: np.ndarray, d: np.ndarray, n_facility: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The smallest ``d`` of each (origin, facility) and its position (one sort of an int key)."""
    key = o * n_facility + f
    order = np.argsort(key, kind="stable")
    k = key[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.empty(0, np.int64)
    if not len(starts):
        return o[:0], f[:0], d[:0], starts
    ds = d[order]
    best = np.minimum.reduceat(ds, starts)
    # position of the (first) minimum of each run, for the attributes that go with it
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(k)]))
    is_min = ds == best[run]
    pos = np.full(len(starts), -1, dtype=np.int64)
    hit = np.flatnonzero(is_min)
    pos[run[hit][::-1]] = hit[::-1]
    return k[starts] // n_facility, k[starts] % n_facility, best, order[pos]


def _sorted_table(
    o: np.ndarray, f: np.ndarray, d: np.ndarray, n: np.ndarray, n_facility: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep the nearest entry of each (origin, facility); sort by (origin, distance)."""
    if len(o) == 0:
        return o, f, d, n
    o, f, d, at = _nearest_per_facility(o, f, d, max(1, n_facility))
    n = n[at]
    # origin-major, then distance (distances are < 1e5 m; the key is exact to well under 1 mm)
    order = np.argsort(o * 1e5 + d, kind="stable")
    return o[order], f[order], d[order], n[order]


def distance_table(
    origin_xy: np.ndarray,
    supply: Supply,
    *,
    detour: float,
    max_distance: float = MAX_CATCHMENT,
    origin_covered: np.ndarray | None = None,
    point_covered: np.ndarray | None = None,
    network_pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    chunk: int = 4000,
) -> DistanceTable:
    r"""Every (origin, facility) within ``max_distance`` walking metres.

    .. math::
        d_{ij} = \begin{cases}
            d^{net}_{ij} & i \text{ and } j \text{ covered by the network}\\
            \mathrm{detour} \times d^{straight}_{ij} & \text{otherwise}
        \end{cases}

    and a facility's distance is that of its nearest point.

    Parameters
    ----------
    origin_xy : numpy.ndarray
        (n, 2) EPSG:27700 origins (OA centroids or homes).
    supply : Supply
        The places.
    detour : float
        Walking / straight-line factor where the network does not reach (>= 1).
    max_distance : float, default 1600
        Largest walking distance kept (the largest catchment).
    origin_covered, point_covered : numpy.ndarray or None
        Which origins and supply points the network covers; None: none.
    network_pairs : tuple of numpy.ndarray or None
        ``(origin, facility, metres)`` of covered pairs within ``max_distance`` on the network
        (facility positions of ``supply``). Covered pairs not listed are beyond reach.
    chunk : int, default 4000
        Origins per neighbour search (bounds memory).

    Returns
    -------
    DistanceTable
        Sorted by origin then distance.
    """
    if not (np.isfinite(detour) and detour >= 1.0):
        raise ValueError(f"detour must be a finite factor >= 1, got {detour!r}")
    if not max_distance > 0:
        raise ValueError(f"max_distance must be > 0 metres, got {max_distance!r}")
    origin_xy = np.asarray(origin_xy, dtype=float).reshape(-1, 2)
    n = len(origin_xy)
    o_cov = np.zeros(n, bool) if origin_covered is None else np.asarray(origin_covered, bool)
    p_cov = (
        np.zeros(len(supply.xy), bool) if point_covered is None else np.asarray(point_covered, bool)
    )
    parts_o, parts_f, parts_d, parts_n = [], [], [], []
    if len(supply.xy) and n:
        tree = cKDTree(supply.xy)
        radius = max_distance / detour * (1 + 1e-12) + 1e-9
        for start in range(0, n, chunk):
            sub = cKDTree(origin_xy[start : start + chunk])
            sdm = sub.sparse_distance_matrix(tree, radius, output_type="ndarray")
            i = sdm["i"].astype(np.int64) + start
            j = sdm["j"].astype(np.int64)
            cost = sdm["v"] * detour
            keep = (cost <= max_distance) & ~(o_cov[i] & p_cov[j])
            # a park's edge points: its nearest point, per chunk (keeps the sorts small)
            i, f, cost, _ = _nearest_per_facility(
                i[keep], supply.facility[j[keep]], cost[keep], max(1, supply.n_facilities)
            )
            parts_o.append(i)
            parts_f.append(f)
            parts_d.append(cost)
            parts_n.append(np.zeros(len(i), bool))
    if network_pairs is not None:
        o, f, d = (np.asarray(a) for a in network_pairs)
        ok = d <= max_distance
        parts_o.append(o[ok].astype(np.int64))
        parts_f.append(f[ok].astype(np.int64))
        parts_d.append(d[ok].astype(float))
        parts_n.append(np.ones(int(ok.sum()), bool))
    if parts_o:
        oa, fac, dist, net = _sorted_table(
            np.concatenate(parts_o),
            np.concatenate(parts_f),
            np.concatenate(parts_d),
            np.concatenate(parts_n),
            supply.n_facilities,
        )
    else:
        oa = fac = np.empty(0, np.int64)
        dist, net = np.empty(0), np.empty(0, bool)
    return DistanceTable(
        origin=oa,
        facility=fac,
        distance=dist,
        network=net,
        n_origin=n,
        n_facility=supply.n_facilities,
        max_distance=float(max_distance),
        detour=float(detour),
    )


def concat_tables(first: DistanceTable, second: DistanceTable) -> DistanceTable:
    """Tables of the same origins to two supplies (:func:`concat_supply` order) as one."""
    if first.n_origin != second.n_origin or first.max_distance != second.max_distance:
        raise ValueError("tables of different origins or ranges cannot be combined")
    o, f, d, n = _sorted_table(
        np.concatenate([first.origin, second.origin]),
        np.concatenate([first.facility, second.facility + first.n_facility]),
        np.concatenate([first.distance, second.distance]),
        np.concatenate([first.network, second.network]),
        first.n_facility + second.n_facility,
    )
    return DistanceTable(
        origin=o,
        facility=f,
        distance=d,
        network=n,
        n_origin=first.n_origin,
        n_facility=first.n_facility + second.n_facility,
        max_distance=first.max_distance,
        detour=first.detour,
    )


def nearest_beyond(
    table: DistanceTable, supply: Supply, origin_xy: np.ndarray, theme: Hashable = ALL
) -> np.ndarray:
    """Walking metres from each origin to its nearest place of ``theme``.

    From the table where it lists one; else ``max(detour x straight line to the nearest point,
    max_distance)`` (the table is complete up to ``max_distance``, so such a place cannot be
    nearer; :class:`scipy.spatial.cKDTree` query). NaN when the theme has no place at all.
    """
    fmask = supply.theme_mask(theme)
    sel = fmask[table.facility]
    o, dist = table.origin[sel], table.distance[sel]
    first = np.ones(len(o), dtype=bool)
    first[1:] = o[1:] != o[:-1]
    out = np.full(table.n_origin, np.nan)
    out[o[first]] = dist[first]  # sorted by (origin, distance): the first is the nearest
    missing = np.isnan(out)
    pts = fmask[supply.facility]
    if missing.any() and pts.any():
        straight, _ = cKDTree(supply.xy[pts]).query(
            np.asarray(origin_xy, float).reshape(-1, 2)[missing], k=1
        )
        out[missing] = np.maximum(straight * table.detour, table.max_distance)
    return out


def origin_counts(
    table: DistanceTable,
    supply: Supply,
    *,
    catchment: float,
    themes: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Places within ``catchment`` walking metres of each origin, per theme and :data:`ALL`.

    One sparse product (origin x facility within the catchment) @ (facility x theme).

    Returns
    -------
    pandas.DataFrame
        One row per origin (0..n-1), a column per theme then ``"all"`` (int64 counts).
    """
    if not (0 < catchment <= table.max_distance):
        raise ValueError(
            f"catchment must be in (0, {table.max_distance:g}] metres (the distance table's "
            f"range), got {catchment!r}"
        )
    order = list(supply.themes if themes is None else themes)
    sel = table.distance <= catchment
    within = sparse.csr_matrix(
        (np.ones(int(sel.sum())), (table.origin[sel], table.facility[sel])),
        shape=(table.n_origin, table.n_facility),
    )
    cols = [supply.themes.index(th) for th in order]
    per_theme = np.asarray((within @ supply.member[:, cols]).todense()).reshape(
        table.n_origin, len(cols)
    )
    counts = np.column_stack([per_theme, np.asarray(within.sum(axis=1)).ravel()])
    return pd.DataFrame(np.rint(counts).astype(np.int64), columns=[*order, ALL])
