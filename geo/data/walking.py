"""Points on the walking network and walking distances between them.

:func:`snap` ties points (Output Area centroids, places, homes) to the nearest node of a
:class:`geo.data.streets.WalkNetwork` (:class:`scipy.spatial.cKDTree`); the straight snap leg is
part of the distance. A point farther than ``snap_limit`` (default 250 m) from the network, or
outside the area the extract covers completely (:func:`covered_areas`), is *not covered*.
:func:`network_pairs` gives every (origin, target) pair whose walking distance
``snap_o + network(node_o, node_t) + snap_t`` is at most ``max_distance``, with Dijkstra's
algorithm (:func:`scipy.sparse.csgraph.dijkstra`) bounded by ``limit``, run from whichever side
has fewer distinct nodes (the network is undirected), in batches so that memory stays below
``chunk_bytes``. :func:`pair_distances` measures listed pairs.

References
----------
Dijkstra, E. W. (1959) A note on two problems in connexion with graphs. *Numerische
Mathematik* 1, 269-271.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.data.streets import WalkNetwork

__all__ = [
    "MAX_WALK_M",
    "SNAP_LIMIT_M",
    "NetworkPairs",
    "Snapped",
    "covered_areas",
    "network_pairs",
    "pair_distances",
    "snap",
]

#: A point farther than this from every node of the network is not covered (metres).
SNAP_LIMIT_M = 250.0
#: The largest walking catchment offered (metres): distance tables are complete up to it.
MAX_WALK_M = 1600.0


@dataclass(frozen=True)
class Snapped:
    """Points tied to the network.

    Attributes
    ----------
    node : numpy.ndarray
        Nearest node of the network (int64; -1 where not covered).
    leg : numpy.ndarray
        Straight distance from the point to that node, metres (NaN where not covered).
    covered : numpy.ndarray
        Boolean: the point is within the snap limit and inside the covered area.
    """

    node: np.ndarray
    leg: np.ndarray
    covered: np.ndarray


def snap(
    network: WalkNetwork,
    xy: np.ndarray,
    *,
    snap_limit: float = SNAP_LIMIT_M,
    inside: np.ndarray | None = None,
) -> Snapped:
    """Tie points to the nearest node of the network (its largest connected piece).

    Parameters
    ----------
    network : WalkNetwork
        The network.
    xy : numpy.ndarray
        (n, 2) EPSG:27700 coordinates.
    snap_limit : float, default 250
        A point farther than this (metres) from every node is not covered.
    inside : numpy.ndarray or None
        Optional boolean mask: points outside the area the extract covers completely (e.g.
        outside the borough of a borough extract, where routes would be cut short) are not
        covered even when a node is near.

    Returns
    -------
    Snapped
        Node, snap leg and coverage of each point.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    nodes = np.arange(network.n_nodes)
    node = np.full(len(xy), -1, dtype=np.int64)
    leg = np.full(len(xy), np.nan)
    covered = np.zeros(len(xy), dtype=bool)
    if len(xy) == 0 or len(nodes) == 0:
        return Snapped(node, leg, covered)
    dist, k = cKDTree(network.xy[nodes]).query(xy, k=1, distance_upper_bound=snap_limit)
    covered = np.isfinite(dist)
    if inside is not None:
        covered &= np.asarray(inside, dtype=bool)
    node[covered] = nodes[k[covered]]
    leg[covered] = dist[covered]
    return Snapped(node, leg, covered)


@dataclass(frozen=True)
class NetworkPairs:
    """Origin-target pairs within a walking distance on the network.

    Attributes
    ----------
    origin, target : numpy.ndarray
        int64 row positions in the origin and target arrays.
    distance : numpy.ndarray
        Walking distance, metres: snap leg + network + snap leg.
    """

    origin: np.ndarray
    target: np.ndarray
    distance: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The pairs as a DataFrame (origin, target, distance)."""
        return pd.DataFrame(
            {"origin": self.origin, "target": self.target, "distance": self.distance}
        )


def network_pairs(
    network: WalkNetwork,
    origins: Snapped,
    targets: Snapped,
    *,
    max_distance: float,
    chunk_bytes: float = 64e6,
) -> NetworkPairs:
    r"""All covered (origin, target) pairs within ``max_distance`` walking metres.

    .. math:: d_{ot} = s_o + D(n_o, n_t) + s_t \le d_{max}

    where :math:`s` are the straight snap legs, :math:`n` the snapped nodes and :math:`D` the
    shortest-path length on the network (Dijkstra 1959, :func:`scipy.sparse.csgraph.dijkstra`
    with ``limit`` = :math:`d_{max}`), searched from the distinct nodes of whichever side has
    fewer (the network is undirected, so :math:`D` is symmetric).

    Parameters
    ----------
    network : WalkNetwork
        The network.
    origins, targets : Snapped
        :func:`snap` output for the origins (e.g. OA centroids) and targets (places). Points
        not covered get no pair.
    max_distance : float
        Largest walking distance kept, metres (e.g. 1,600 for the largest catchment).
    chunk_bytes : float, default 64e6
        Memory for one Dijkstra batch (sources x nodes float64).

    Returns
    -------
    NetworkPairs
        Pairs sorted by origin then target.
    """
    o_idx = np.flatnonzero(origins.covered)
    t_idx = np.flatnonzero(targets.covered)
    empty = NetworkPairs(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if len(o_idx) == 0 or len(t_idx) == 0:
        return empty
    swap = len(np.unique(targets.node[t_idx])) < len(np.unique(origins.node[o_idx]))
    if swap:
        origins, targets, o_idx, t_idx = targets, origins, t_idx, o_idx
    src_nodes, src_of_origin = np.unique(origins.node[o_idx], return_inverse=True)
    t_nodes = targets.node[t_idx]
    t_leg = targets.leg[t_idx]
    batch = max(1, int(chunk_bytes // (8 * max(1, network.n_nodes))))
    order = np.argsort(src_of_origin, kind="stable")
    grouped = o_idx[order]
    bounds = np.searchsorted(src_of_origin[order], np.arange(len(src_nodes) + 1))
    out_o, out_t, out_d = [], [], []
    for start in range(0, len(src_nodes), batch):
        stop = min(start + batch, len(src_nodes))
        dist = dijkstra(
            network.graph, directed=True, indices=src_nodes[start:stop], limit=max_distance
        )
        to_targets = dist[:, t_nodes] + t_leg[None, :]  # (sources, targets)
        for s in range(stop - start):
            members = grouped[bounds[start + s] : bounds[start + s + 1]]
            d = to_targets[s][None, :] + origins.leg[members][:, None]
            hit_o, hit_t = np.nonzero(d <= max_distance)
            if len(hit_o):
                out_o.append(members[hit_o])
                out_t.append(t_idx[hit_t])
                out_d.append(d[hit_o, hit_t])
    if not out_o:
        return empty
    origin = np.concatenate(out_o)
    target = np.concatenate(out_t)
    distance = np.concatenate(out_d)
    if swap:
        origin, target = target, origin
    order = np.lexsort((target, origin))
    return NetworkPairs(origin[order], target[order], distance[order])


def pair_distances(
    network: WalkNetwork,
    origins: Snapped,
    targets: Snapped,
    origin: np.ndarray,
    target: np.ndarray,
    *,
    limit: float = np.inf,
    chunk_bytes: float = 64e6,
) -> np.ndarray:
    r"""Walking distance of given (origin, target) pairs on the network.

    .. math:: d_{ot} = s_o + D(n_o, n_t) + s_t

    as in :func:`network_pairs`, for listed pairs only.

    Parameters
    ----------
    network : WalkNetwork
        The network.
    origins, targets : Snapped
        :func:`snap` output.
    origin, target : numpy.ndarray
        Aligned positions into ``origins`` and ``targets``.
    limit : float, default inf
        Network part searched up to this many metres (beyond: ``inf``).
    chunk_bytes : float, default 64e6
        Memory for one Dijkstra batch.

    Returns
    -------
    numpy.ndarray
        Metres per pair; NaN where either end is not covered, ``inf`` where the target is not
        reached within ``limit``.
    """
    origin = np.asarray(origin, dtype=np.int64)
    target = np.asarray(target, dtype=np.int64)
    out = np.full(len(origin), np.nan)
    ok = origins.covered[origin] & targets.covered[target]
    if not ok.any():
        return out
    src, inv = np.unique(origins.node[origin[ok]], return_inverse=True)
    t_nodes = targets.node[target[ok]]
    res = np.empty(int(ok.sum()))
    batch = max(1, int(chunk_bytes // (8 * max(1, network.n_nodes))))
    for start in range(0, len(src), batch):
        stop = min(start + batch, len(src))
        dist = dijkstra(network.graph, directed=True, indices=src[start:stop], limit=limit)
        sel = (inv >= start) & (inv < stop)
        res[sel] = dist[inv[sel] - start, t_nodes[sel]]
    res += origins.leg[origin[ok]] + targets.leg[target[ok]]
    out[ok] = res
    return out


def covered_areas(network: WalkNetwork, areas: pd.Series, *, min_share: float = 0.99) -> pd.Series:
    """Which areas (e.g. boroughs) an extract covers: their share inside the network's hull.

    A borough extract's network stops at the borough boundary, so routes from just outside it
    would be cut short; only points inside a covered area are measured on the network
    (``inside`` of :func:`snap`). Full London extracts cover every borough.

    Parameters
    ----------
    network : WalkNetwork
        The network.
    areas : geopandas.GeoSeries
        Area polygons in EPSG:27700 (e.g. the 33 boroughs).
    min_share : float, default 0.99
        Share of an area's surface that must lie inside the convex hull of the network's
        nodes for it to count as covered.

    Returns
    -------
    pandas.Series
        Boolean, aligned to ``areas``.
    """
    hull = shapely.convex_hull(shapely.multipoints(network.xy))
    share = areas.intersection(hull).area / areas.area
    return (share >= min_share).rename("covered")
