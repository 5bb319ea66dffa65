"""The street network step of the build on Camden, and an estimate for all of London.

Measured on the bundled Camden extract (each step timed, peak memory of this process): reading
the ``.osm.pbf`` with pyosmium (and, as the baseline reader in the same process, the same file
read again), building the graph, the OA-place network distances within 1,600 m and the detour
measurement (nearest place per category; all places within 2 km). Then the cost of one
Dijkstra search (limit 1,600 m) from a Camden OA on the Camden graph and on the same graph
padded with isolated nodes to the size a Greater London network would have (an **estimate**:
London's walking network is taken as Camden's nodes per Output Area times London's 26,369
Output Areas; a real Geofabrik greater-london-latest.osm.pbf was not available here).

Run: ``python bench/bench_streets.py``.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.data import detour, io, streets, walking  # noqa: E402
from geo.data.sources import DEFAULT_RAW, STREETS_CAMDEN  # noqa: E402
from geo.data.walkbuild import MAX_STRAIGHT_M, place_points  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    pbf = DEFAULT_RAW / STREETS_CAMDEN
    oas = io.load_oas()
    boroughs = io.load_boroughs("iod2025")
    places = place_points(io.load_services(), io.load_parks(), io.load_park_edges())
    base = rss_mb()
    timings = {}
    t = time.perf_counter()
    ways = streets.read_walkways(pbf)
    timings["read (pyosmium)"] = time.perf_counter() - t
    t = time.perf_counter()
    net = streets.build_network(ways)
    timings["graph"] = time.perf_counter() - t
    covered = walking.covered_areas(net, boroughs.geometry)
    area = boroughs.geometry[covered].union_all()
    xy, pxy = oas[["x", "y"]].to_numpy(), places[["x", "y"]].to_numpy()
    t = time.perf_counter()
    so = walking.snap(net, xy, inside=shapely.contains_xy(area, xy[:, 0], xy[:, 1]))
    sp = walking.snap(net, pxy, inside=shapely.contains_xy(area, pxy[:, 0], pxy[:, 1]))
    timings["snap"] = time.perf_counter() - t
    t = time.perf_counter()
    pairs = walking.network_pairs(net, so, sp, max_distance=1600.0)
    timings["OA-place pairs <= 1,600 m"] = time.perf_counter() - t
    fac, cat = places["facility"].to_numpy(object), places["category"].to_numpy(object)
    t = time.perf_counter()
    detour.detour_ratios(net, so, xy, sp, pxy, fac, cat, max_straight=MAX_STRAIGHT_M)
    timings["detour, nearest per category"] = time.perf_counter() - t
    t = time.perf_counter()
    detour.detour_ratios(net, so, xy, sp, pxy, fac, cat, max_straight=MAX_STRAIGHT_M, mode="all")
    timings["detour, all places within 2 km"] = time.perf_counter() - t
    n_oa = int(so.covered.sum())
    print(
        f"Camden: {pbf.stat().st_size / 1e6:.1f} MB extract, {net.n_nodes:,} nodes, "
        f"{net.n_edges:,} edges, {n_oa} OAs covered, {len(pairs.origin):,} OA-point pairs"
    )
    for k, v in timings.items():
        print(f"  {k:32s} {v:7.2f} s")
    print(f"  peak RSS {rss_mb():.0f} MB ({rss_mb() - base:.0f} MB over the loaded data)")

    per_oa_nodes = net.n_nodes / n_oa
    london_nodes = int(per_oa_nodes * len(oas))
    sources = np.unique(so.node[so.covered])[:120]
    for label, n_total in (("Camden graph", net.n_nodes), ("padded to London size", london_nodes)):
        pad = n_total - net.n_nodes
        g = (
            sparse.block_diag([net.graph, sparse.csr_matrix((pad, pad))], format="csr")
            if pad
            else net.graph
        )
        batch = max(1, int(64e6 // (8 * n_total)))
        t = time.perf_counter()
        for k in range(0, len(sources), batch):
            dijkstra(g, directed=True, indices=sources[k : k + batch], limit=1600.0)
        per = (time.perf_counter() - t) / len(sources)
        print(
            f"  {label} ({n_total:,} nodes): {per * 1000:.1f} ms per OA (Dijkstra, 1,600 m); "
            f"x {len(oas):,} OAs = {per * len(oas) / 60:.1f} min"
        )
    print(
        f"Estimate for all London (not measured): a walking network of about {london_nodes:,} "
        f"nodes ({per_oa_nodes:.0f} per OA as in Camden); network pairs for 26,369 OAs as above; "
        "the detour measured on a sample of 2,000 OAs (the build's DETOUR_SAMPLE), about "
        f"{2000 / n_oa:.1f}x Camden's detour time."
    )


if __name__ == "__main__":
    main()
