"""Walking network from an OpenStreetMap extract.

Pure functions; the OSM file is read with pyosmium (``osmium``), the graph is a
:class:`scipy.sparse.csr_matrix`. Snapping points to it and shortest paths are in
:mod:`geo.data.walking`.

1. :func:`read_walkways` reads every ``highway=*`` way of a ``.osm.pbf`` (or ``.osm``) file with
   node locations and keeps the ways :func:`rejection_reason` accepts (the filter is documented
   there). Every way read is either kept or counted under one rejection reason.
2. :func:`build_network` turns the kept ways into an undirected graph: one node per OSM node
   (plus points inserted so that no edge is longer than ``max_segment``), one edge per pair of
   consecutive nodes of a way, weighted by its length in metres in British National Grid
   (EPSG:27700, projected from WGS84 with :mod:`pyproj`, node positions rounded to the
   centimetre). Parallel edges keep the shortest. Only the largest connected piece is kept
   (points snap to it; the small pieces are private yards, platforms and ways cut at the
   extract's edge).
3. :func:`network_tables` and :func:`network_from_tables` store the network as two small
   tables (node positions in centimetres, edges as node pairs) and rebuild exactly the same
   graph from them: edge lengths are recomputed from the stored positions.

Walking ignores one-way tags (pedestrians may walk both ways on a one-way street).

Licence of the data: OpenStreetMap, © OpenStreetMap contributors, Open Database License 1.0.

References
----------
OpenStreetMap wiki, "Key:highway", "Key:access", "Key:foot" and "OSM tags for routing/Access
restrictions" (United Kingdom defaults: pedestrians may use trunk roads and bridleways unless
signed otherwise, and may not use motorways).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "CLOSED_VALUES",
    "FOOT_ALLOWED_VALUES",
    "MAX_SEGMENT_M",
    "NEEDS_FOOT_TAG",
    "NEVER_WALKABLE",
    "WALKABLE_HIGHWAYS",
    "WalkNetwork",
    "WayTable",
    "build_network",
    "is_walkable",
    "network_from_tables",
    "network_tables",
    "read_walkways",
    "rejection_reason",
]

#: Longest edge of the network (metres): longer ones get nodes inserted, so that a point snaps
#: to within 25 m (along the street) of where it meets it.
MAX_SEGMENT_M = 50.0

#: ``highway`` values a person may walk on (unless the access tags close the way).
#: UK rules: pedestrians may use all-purpose roads including trunk roads, and bridleways.
WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "unclassified",
        "service",
        "track",
        "road",
        "bridleway",
        "corridor",
        "elevator",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
    }
)

#: ``highway`` values walkable only when ``foot`` explicitly allows it (shared-use cycle tracks
#: are tagged ``foot=yes`` or ``foot=designated``; a plain cycle track is not a footway).
NEEDS_FOOT_TAG: frozenset[str] = frozenset({"cycleway"})

#: ``highway`` values never walkable, whatever their tags (pedestrians are banned from UK
#: motorways; ``foot=yes`` on one is a tagging error).
NEVER_WALKABLE: frozenset[str] = frozenset({"motorway", "motorway_link"})

#: ``foot`` values that allow walking on a :data:`NEEDS_FOOT_TAG` way.
FOOT_ALLOWED_VALUES: frozenset[str] = frozenset({"yes", "designated", "permissive"})

#: Access values that close a way to the public on foot.
CLOSED_VALUES: frozenset[str] = frozenset({"no", "private"})

_WGS84_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _values(tag: str | None) -> list[str]:
    """The values of a possibly multi-valued tag (``"private;delivery"``), lower-cased."""
    if tag is None:
        return []
    return [v.strip().lower() for v in str(tag).split(";") if v.strip()]


def rejection_reason(tags: Mapping[str, str]) -> str | None:
    """Why a way is not walkable, or ``None`` when it is.

    Rules, in order (tags are matched case-insensitively; a multi-valued tag such as
    ``access=private;delivery`` matches when any of its values does):

    1. no ``highway`` tag: ``"no highway tag"``;
    2. ``highway`` in :data:`NEVER_WALKABLE` (motorway, motorway_link): ``"motorway"``;
    3. ``highway`` neither in :data:`WALKABLE_HIGHWAYS` nor in :data:`NEEDS_FOOT_TAG` (e.g.
       ``construction``, ``proposed``, ``platform``, ``busway``, ``bus_guideway``,
       ``raceway``): ``"highway=<value> not walkable"``;
    4. access, most specific tag first: when the way has a ``foot`` tag it decides
       (``no``/``private`` close it; ``yes``, ``designated``, ``permissive``, ``destination``
       ... open it, even with ``access=private``); otherwise ``access=no`` or
       ``access=private`` closes it: ``"foot=<v>"`` / ``"access=<v>"``;
    5. ``highway=cycleway`` is kept only with ``foot`` in :data:`FOOT_ALLOWED_VALUES`:
       ``"cycleway without foot access"``.

    Ways mapped as areas (``area=yes``, e.g. a pedestrian square) are kept: walking is measured
    along their outline, which is longer than crossing them (conservative) but keeps the paths
    that end on the square connected. Roads whose pavements are mapped as separate ways
    (``sidewalk=separate``) are kept too: the pavement runs alongside, at the same length.

    Parameters
    ----------
    tags : Mapping[str, str]
        The way's OSM tags.

    Returns
    -------
    str or None
        The rejection reason, or None for a walkable way.
    """
    highway = _values(tags.get("highway"))
    if not highway:
        return "no highway tag"
    hw = highway[0]
    if hw in NEVER_WALKABLE:
        return "motorway"
    if hw not in WALKABLE_HIGHWAYS and hw not in NEEDS_FOOT_TAG:
        return f"highway={hw} not walkable"
    foot = _values(tags.get("foot"))
    if foot:
        if any(v in CLOSED_VALUES for v in foot):
            return f"foot={tags.get('foot')}"
    else:
        access = _values(tags.get("access"))
        if any(v in CLOSED_VALUES for v in access):
            return f"access={tags.get('access')}"
    if hw in NEEDS_FOOT_TAG and not any(v in FOOT_ALLOWED_VALUES for v in foot):
        return "cycleway without foot access"
    return None


def is_walkable(tags: Mapping[str, str]) -> bool:
    """True when a way with these tags is part of the walking network.

    See :func:`rejection_reason` for the rules.

    Examples
    --------
    >>> is_walkable({"highway": "steps"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "service", "access": "private"})
    False
    >>> is_walkable({"highway": "service", "access": "private", "foot": "yes"})
    True
    """
    return rejection_reason(tags) is None


def _close_run(node_id: array, lon: array, lat: array, run_start: int, starts: array) -> bool:
    """End the node run that began at ``run_start``: keep it (True) if it has 2+ nodes."""
    if len(node_id) - run_start >= 2:
        starts.append(run_start)
        return True
    del node_id[run_start:], lon[run_start:], lat[run_start:]
    return False


@dataclass(frozen=True)
class WayTable:
    """The walkable ways of an OSM file as node sequences.

    Attributes
    ----------
    node_id : numpy.ndarray
        int64 OSM node id of every way-node reference, ways one after another.
    lon, lat : numpy.ndarray
        float64 WGS84 location of each reference.
    way_start : numpy.ndarray
        int64 offsets: way ``k`` is ``node_id[way_start[k]:way_start[k + 1]]``.
    way_id : numpy.ndarray
        int64 OSM way id of each node sequence (a way split at a missing node location gives
        several sequences with the same id).
    highway : numpy.ndarray
        ``highway`` value of each node sequence (object).
    n_read : int
        ``highway=*`` ways read.
    n_kept : int
        Ways kept (``n_kept + sum(rejected.values()) == n_read``).
    rejected : dict
        Rejection reason -> number of ways.
    missing_locations : int
        Node references without a location in the file (ways cut at the extract's edge); the
        way is split there.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way_start: np.ndarray
    way_id: np.ndarray
    highway: np.ndarray
    n_read: int
    n_kept: int
    rejected: dict[str, int] = field(default_factory=dict)
    missing_locations: int = 0


def read_walkways(path: str | Path) -> WayTable:
    """Read the walkable ways of an OSM extract (``.osm.pbf``, ``.osm`` or ``.osm.bz2``).

    Parameters
    ----------
    path : str or pathlib.Path
        The OSM file. Any extract works (a borough, Geofabrik's Greater London, England);
        only ``highway=*`` ways and their nodes are used.

    Returns
    -------
    WayTable
        Kept ways and the count of each rejection reason (:func:`rejection_reason`).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file cannot be read as OSM data, or has no walkable way.

    Notes
    -----
    pyosmium streams the file once; node locations are cached in memory (``flex_mem``), so
    memory grows with the number of nodes in the file, not with its ways' tags. A node
    reference without a location (a way cut at the extract's edge) splits the way there.
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"OSM extract not found: {path}")
    node_id = array("q")
    lon = array("d")
    lat = array("d")
    starts = array("q")
    way_ids = array("q")
    highways: list[str] = []
    rejected: Counter[str] = Counter()
    n_read = 0
    n_kept = 0
    missing = 0
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            n_read += 1
            tags = {t.k: t.v for t in way.tags}
            reason = rejection_reason(tags)
            if reason is not None:
                rejected[reason] += 1
                continue
            pieces = 0
            run_start = len(node_id)
            for nd in way.nodes:
                loc = nd.location
                if loc.valid():
                    node_id.append(nd.ref)
                    lon.append(loc.lon)
                    lat.append(loc.lat)
                    continue
                missing += 1
                if _close_run(node_id, lon, lat, run_start, starts):
                    way_ids.append(way.id)
                    highways.append(tags["highway"])
                    pieces += 1
                run_start = len(node_id)
            if _close_run(node_id, lon, lat, run_start, starts):
                way_ids.append(way.id)
                highways.append(tags["highway"])
                pieces += 1
            if pieces:
                n_kept += 1
            else:
                rejected["fewer than 2 located nodes"] += 1
    except RuntimeError as exc:  # osmium raises RuntimeError for unreadable input
        raise ValueError(f"{path} cannot be read as an OpenStreetMap file ({exc})") from exc
    if not starts:
        raise ValueError(
            f"{path} has no walkable way ({n_read} highway ways read; rejected: "
            f"{dict(rejected)}). Is it an OpenStreetMap extract with streets?"
        )
    way_start = np.append(np.frombuffer(starts, dtype=np.int64), len(node_id))
    ids = np.frombuffer(way_ids, dtype=np.int64).copy()
    return WayTable(
        node_id=np.frombuffer(node_id, dtype=np.int64).copy(),
        lon=np.frombuffer(lon, dtype=np.float64).copy(),
        lat=np.frombuffer(lat, dtype=np.float64).copy(),
        way_start=way_start,
        way_id=ids,
        highway=np.asarray(highways, dtype=object),
        n_read=n_read,
        n_kept=n_kept,
        rejected=dict(rejected),
        missing_locations=missing,
    )


def _densify(
    a: np.ndarray, b: np.ndarray, xy: np.ndarray, max_segment: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split edges (a, b) longer than ``max_segment`` into equal pieces with new nodes.

    Returns the new edge arrays and the coordinates of all nodes (old first, new appended).
    """
    seg = np.hypot(*(xy[b] - xy[a]).T)
    pieces = np.maximum(1, np.ceil(seg / max_segment).astype(np.int64))
    long = pieces > 1
    if not long.any():
        return a, b, xy
    la, lb, lp = a[long], b[long], pieces[long]
    n_new = int((lp - 1).sum())
    edge_of_new = np.repeat(np.arange(len(lp)), lp - 1)
    first_new = np.cumsum(lp - 1) - (lp - 1)  # position of each long edge's first new node
    k = np.arange(n_new) - first_new[edge_of_new] + 1  # 1..p-1 within its edge
    frac = (k / lp[edge_of_new])[:, None]
    new_xy = xy[la[edge_of_new]] * (1 - frac) + xy[lb[edge_of_new]] * frac
    new_id = len(xy) + np.arange(n_new)
    # chain for each long edge: a, new..., b
    chain_start = np.concatenate([[0], np.cumsum(lp + 1)[:-1]])
    chain = np.empty(int((lp + 1).sum()), dtype=np.int64)
    chain[chain_start] = la
    chain[chain_start + lp] = lb
    inner = np.ones(len(chain), dtype=bool)
    inner[chain_start] = False
    inner[chain_start + lp] = False
    chain[inner] = new_id
    last = np.zeros(len(chain), dtype=bool)
    last[chain_start + lp] = True
    ca, cb = chain[:-1][~last[:-1]], chain[1:][~last[:-1]]
    a2 = np.concatenate([a[~long], ca])
    b2 = np.concatenate([b[~long], cb])
    return a2, b2, np.vstack([xy, new_xy])


@dataclass(frozen=True)
class WalkNetwork:
    """An undirected, connected walking network in British National Grid metres.

    Attributes
    ----------
    graph : scipy.sparse.csr_matrix
        Symmetric (n_nodes x n_nodes) matrix of edge lengths in metres (each edge stored in
        both directions; lengths floored at 1 mm so that coincident nodes stay connected).
    xy : numpy.ndarray
        (n_nodes, 2) EPSG:27700 coordinates (whole centimetres).
    edges : numpy.ndarray
        (n_edges, 2) int64 node pairs (lower first, sorted): what :func:`network_tables` stores.
    figures : dict
        How the network was made: ways read, kept and rejected by reason, nodes and pieces
        before keeping the largest piece (empty when rebuilt from tables).
    """

    graph: sparse.csr_matrix
    xy: np.ndarray
    edges: np.ndarray
    figures: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.graph.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return len(self.edges)

    @property
    def length_km(self) -> float:
        """Total length of the network's edges, km."""
        return float(self.graph.sum() / 2 / 1000)


def _assemble(xy: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> sparse.csr_matrix:
    """The symmetric length matrix of undirected edges (lo, hi) between points ``xy``."""
    length = np.maximum(np.hypot(*(xy[hi] - xy[lo]).T), 1e-3)
    n = len(xy)
    return sparse.csr_matrix(
        (np.concatenate([length, length]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
        shape=(n, n),
    )


def build_network(
    ways: WayTable | str | Path, *, max_segment: float | None = MAX_SEGMENT_M
) -> WalkNetwork:
    """Build the walking graph from :func:`read_walkways` output (or an OSM file path).

    Parameters
    ----------
    ways : WayTable, str or pathlib.Path
        The walkable ways, or an OSM file to read them from.
    max_segment : float or None, default 50
        Edges longer than this (metres) are split into equal pieces with new nodes, so that a
        point snaps to within ``max_segment / 2`` along the way of where it meets the street.
        None keeps OSM's nodes only.

    Returns
    -------
    WalkNetwork
        The largest connected piece: graph, coordinates, edges and the figures of the build.

    Notes
    -----
    Edge length is the straight distance between consecutive nodes in EPSG:27700 (the grid
    scale factor in London is 0.9996 to 0.9997, so grid metres are within 0.04% of ground
    metres). Nodes are OSM nodes shared between ways: two ways are joined only where OSM
    joins them. Node positions are rounded to the centimetre first, so that the stored
    network (:func:`network_tables`) rebuilds the same lengths.
    """
    if not isinstance(ways, WayTable):
        ways = read_walkways(ways)
    ids, inverse = np.unique(ways.node_id, return_inverse=True)
    first = np.zeros(len(ids), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    x, y = _WGS84_TO_BNG.transform(ways.lon[first], ways.lat[first])
    xy = np.round(np.column_stack([x, y]), 2)
    # consecutive references of the same way
    same_way = np.ones(len(inverse), dtype=bool)
    same_way[ways.way_start[1:-1] - 1] = False  # last node of each way has no successor
    same_way[-1] = False
    a = inverse[:-1][same_way[:-1]]
    b = inverse[1:][same_way[:-1]]
    if max_segment is not None:
        if not max_segment > 0:
            raise ValueError(f"max_segment must be > 0 metres or None, got {max_segment!r}")
        a, b, xy = _densify(a, b, xy, float(max_segment))
        xy = np.round(xy, 2)
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    pairs = np.unique(np.column_stack([lo, hi]), axis=0)  # parallel edges: same length
    graph = _assemble(xy, pairs[:, 0], pairs[:, 1])
    n_pieces, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    largest = labels == int(np.argmax(sizes))
    figures = {
        "ways_read": ways.n_read,
        "ways_walkable": ways.n_kept,
        "ways_rejected": dict(sorted(ways.rejected.items())),
        "node_references_without_location": ways.missing_locations,
        "nodes_all_pieces": len(xy),
        "pieces": int(n_pieces),
        "nodes_largest_piece": int(largest.sum()),
    }
    keep_nodes = np.flatnonzero(largest)
    new_id = np.full(len(xy), -1, dtype=np.int64)
    new_id[keep_nodes] = np.arange(len(keep_nodes))
    inside = largest[pairs[:, 0]]
    edges = new_id[pairs[inside]]
    return network_from_tables(xy[keep_nodes], edges, figures=figures)


def network_tables(network: WalkNetwork) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network as two tables for Parquet.

    Returns
    -------
    tuple of pandas.DataFrame
        Nodes (``x_cm``, ``y_cm``: int64 EPSG:27700 centimetres, row = node number) and edges
        (``a``, ``b``: int32 node numbers, ``a < b``, sorted).
    """
    nodes = pd.DataFrame(
        {
            "x_cm": np.rint(network.xy[:, 0] * 100).astype(np.int64),
            "y_cm": np.rint(network.xy[:, 1] * 100).astype(np.int64),
        }
    )
    edges = pd.DataFrame(
        {"a": network.edges[:, 0].astype(np.int32), "b": network.edges[:, 1].astype(np.int32)}
    )
    return nodes, edges


def network_from_tables(
    nodes: pd.DataFrame | np.ndarray,
    edges: pd.DataFrame | np.ndarray,
    *,
    figures: dict | None = None,
) -> WalkNetwork:
    """Rebuild the network from :func:`network_tables` output (or node xy and edge arrays).

    Parameters
    ----------
    nodes : pandas.DataFrame or numpy.ndarray
        ``x_cm``, ``y_cm`` columns, or an (n, 2) array of metres.
    edges : pandas.DataFrame or numpy.ndarray
        ``a``, ``b`` columns, or an (m, 2) integer array of node pairs.
    figures : dict or None
        Kept in :attr:`WalkNetwork.figures`.

    Returns
    -------
    WalkNetwork
        Lengths recomputed from the node positions (the same as when it was built).
    """
    if isinstance(nodes, pd.DataFrame):
        xy = np.column_stack([nodes["x_cm"].to_numpy(float), nodes["y_cm"].to_numpy(float)])
        xy = xy / 100.0
    else:
        xy = np.asarray(nodes, dtype=float).reshape(-1, 2)
    if isinstance(edges, pd.DataFrame):
        pairs = edges[["a", "b"]].to_numpy(np.int64)
    else:
        pairs = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= len(xy)):
        raise ValueError("an edge refers to a node that is not in the node table")
    pairs = np.sort(pairs, axis=1)
    pairs = np.unique(pairs[pairs[:, 0] != pairs[:, 1]], axis=0)
    graph = _assemble(xy, pairs[:, 0], pairs[:, 1])
    return WalkNetwork(graph=graph, xy=xy, edges=pairs, figures=dict(figures or {}))
