"""Build step for walking access: where people live, the street network and the detour factor.

Written under ``data/`` with their manifest entries by ``python -m geo build``:

``demand/london_oas.parquet``
    The 26,369 London Output Areas 2021 (:mod:`geo.data.demand`): population-weighted centroid
    (lon/lat as given, x/y in EPSG:27700), Census 2021 usual residents, LSOA 2021 and 2011.
``streets/walk_nodes.parquet``, ``streets/walk_edges.parquet``
    The walking network of the OpenStreetMap extract (:mod:`geo.data.streets`; the bundled
    Camden extract by default, ``--streets FILE.osm.pbf`` for another), its largest connected
    piece: node positions in centimetres and edges as node pairs. The app uses it to measure
    uploads on the streets.
``streets/oa_place_network.parquet``
    Walking distance on the network from every covered OA to every covered place of the
    bundled directory within :data:`geo.data.walking.MAX_WALK_M` (1,600 m, the largest
    catchment): ``oa`` (row of the OA table), ``place`` (the place's ``facility`` id: a
    service_id, or a park_id for a park reached at its nearest edge point), ``metres``
    (float32). Pairs of covered OAs and places that are not listed are farther than 1,600 m on
    the streets. Straight-line pairs are not stored: the app computes them once per process.
``streets/detour.json``
    The detour factor measured on the network (:mod:`geo.data.detour`): for every covered OA and
    every category, the nearest place by straight line within 2 km, walking / straight
    distance; median (the app's default detour), quartiles and 10th/90th percentiles per
    category and overall, the same over all places within 2 km, the median by distance band,
    and the network's figures (ways, nodes, covered boroughs, OAs and residents covered).

Covered means: inside a borough the extract covers completely (99% of its area inside the hull
of the network, :func:`geo.data.walking.covered_areas`; routes from outside it would be cut
short at the extract's edge) and within :data:`geo.data.walking.SNAP_LIMIT_M` of the network.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.data.demand import london_oas, oa_lsoa11
from geo.data.detour import by_distance, detour_ratios, summarise
from geo.data.sources import (
    ATTRIBUTION_OA,
    ATTRIBUTION_OSM_STREETS,
    LOOKUP,
    LSOA11,
    OA_PWC,
    STREETS_CAMDEN,
    TS001,
    BuildError,
    sha256_file,
    shapefile_parts,
)
from geo.data.streets import build_network as build_walk_network
from geo.data.streets import network_tables, read_walkways
from geo.data.walking import MAX_WALK_M, SNAP_LIMIT_M, covered_areas, network_pairs, snap
from geo.data.writing import manifest_entry, write_table

__all__ = ["DETOUR_SAMPLE", "MAX_STRAIGHT_M", "build_walking", "place_points"]

#: Straight-line search radius of the detour measurement (metres).
MAX_STRAIGHT_M = 2000.0
#: At most this many covered OAs are used to measure the detour (a random sample, seed 17,
#: on a large extract; Camden's 751 are all used).
DETOUR_SAMPLE = 2000

_OSM_LICENCE = "Open Database License 1.0 (© OpenStreetMap contributors)"


def place_points(
    services: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, edges: gpd.GeoDataFrame
) -> pd.DataFrame:
    """The bundled places as the points access is measured to (EPSG:27700).

    Services at their point; each park at the points along its edge (``facility`` = its
    park_id), or at a point inside it when it has none. The same points as
    ``geo.analysis.provision.access_supply(bundled_directory(...), park_edges)``.

    Returns
    -------
    pandas.DataFrame
        ``facility`` (service_id or park_id), ``category``, ``x``, ``y``.
    """
    frames = [
        pd.DataFrame(
            {
                "facility": services.index.astype(str),
                "category": services["category"].astype(str).to_numpy(),
                "x": services.geometry.x.to_numpy(),
                "y": services.geometry.y.to_numpy(),
            }
        )
    ]
    park_ids = parks.index.astype(str)
    edge_ids = edges["park_id"].astype(str)
    on_edge = edge_ids.isin(set(park_ids))
    frames.append(
        pd.DataFrame(
            {
                "facility": edge_ids[on_edge].to_numpy(),
                "category": "park",
                "x": edges.geometry.x.to_numpy()[on_edge.to_numpy()],
                "y": edges.geometry.y.to_numpy()[on_edge.to_numpy()],
            }
        )
    )
    inner = parks[~park_ids.isin(set(edge_ids))]
    if len(inner):
        rep = inner.geometry.representative_point()
        frames.append(
            pd.DataFrame(
                {
                    "facility": inner.index.astype(str),
                    "category": "park",
                    "x": rep.x.to_numpy(),
                    "y": rep.y.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _figures(summary: pd.DataFrame) -> dict:
    """A :func:`geo.data.detour.summarise` table as JSON-ready rounded figures."""
    out = {}
    for key, row in summary.iterrows():
        rec = {}
        for col, value in row.items():
            if col in ("pairs", "oas", "unreached"):
                rec[col] = int(value)
            else:
                rec[col] = None if pd.isna(value) else round(float(value), 4)
        out[str(key)] = rec
    return out


def build_walking(
    raw: Path,
    out: Path,
    shas: dict[str, str],
    lsoa21: gpd.GeoDataFrame,
    lsoa11: gpd.GeoDataFrame,
    bor21: gpd.GeoDataFrame,
    lookup: pd.DataFrame,
    services: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    *,
    streets: Path | None = None,
    log=print,
) -> list[dict]:
    """OA table, walking network, OA-place network distances and the detour; manifest entries.

    Parameters
    ----------
    raw, out : pathlib.Path
        Raw folder and output folder.
    shas : dict
        sha256 of the verified raw inputs.
    lsoa21, lsoa11, bor21 : geopandas.GeoDataFrame
        The LSOAs of both vintages and the 2021 boroughs (EPSG:27700) of this build.
    lookup : pandas.DataFrame
        The LSOA 2011 -> 2021 exact-fit lookup.
    services, parks, edges : geopandas.GeoDataFrame
        The service directory, parks and park edge points this build wrote.
    streets : pathlib.Path or None
        An OpenStreetMap extract (``.osm.pbf``); None: the bundled Camden extract.

    Returns
    -------
    list of dict
        Manifest entries of the files written.
    """
    t0 = time.perf_counter()
    entries: list[dict] = []
    shas = dict(shas)
    if streets is None:
        streets_path, streets_rel = raw / STREETS_CAMDEN, STREETS_CAMDEN
        streets_source = "OpenStreetMap extract of the London Borough of Camden (bundled)"
    else:
        streets_path = Path(streets)
        if not streets_path.is_file():
            raise BuildError(f"--streets {streets_path}: file not found.")
        streets_rel = streets_path.name
        shas[streets_rel] = sha256_file(streets_path)
        streets_source = f"OpenStreetMap extract {streets_path.name} (given with --streets)"

    # --- where people live --------------------------------------------------------------------
    oas = london_oas(raw, lsoa21.index)
    oas = oas.join(oa_lsoa11(oas, lookup, lsoa11.geometry))
    n_methods = oas["lsoa11_method"].value_counts().to_dict()
    table = pd.DataFrame(
        {
            "oa_code": oas["oa_code"].astype(str),
            "lsoa21_code": oas["lsoa21_code"].astype(str),
            "lsoa11_code": oas["lsoa11_code"].astype(str),
            "lsoa11_method": oas["lsoa11_method"].astype("category"),
            "population": oas["population"].astype(np.int32),
            # the given 6-decimal degrees, exactly, as integer millionths (x, y are projected
            # from them when loaded: geo.data.io.load_oas)
            "lon_e6": np.rint(oas["lon"].to_numpy() * 1e6).astype(np.int32),
            "lat_e6": np.rint(oas["lat"].to_numpy() * 1e6).astype(np.int32),
        }
    )
    oa_xy = oas[["x", "y"]].to_numpy()

    def _add(rel, frame, inputs, desc, attribution, *, meta, notes=(), rows=None, enc=None):
        path = out / rel
        if frame is not None:
            write_table(frame, path, encodings=enc)
        entry = manifest_entry(
            path, out, inputs, shas, desc, attribution, len(frame) if rows is None else rows
        )
        entry.update(meta)
        if notes:
            entry["notes"] = list(notes)
        entries.append(entry)
        log(f"wrote {rel}: {entry['rows']} rows, {path.stat().st_size / 1024:.0f} KB")

    _add(
        "demand/london_oas.parquet",
        table,
        [OA_PWC, TS001, LOOKUP, *shapefile_parts(LSOA11)],
        "The 26,369 London Output Areas 2021: ONS population-weighted centroid (lon_e6, lat_e6: "
        "the given 6-decimal WGS84 degrees x 1,000,000), Census 2021 usual residents (TS001), "
        "LSOA 2021 (TS001 parent) and LSOA 2011 (exact-fit lookup where the LSOA 2021 is "
        "unchanged or split; where it merged 2011 LSOAs, the 2011 LSOA containing the OA's "
        "centroid). Access is measured from these points and weighted by these residents.",
        [ATTRIBUTION_OA],
        meta={
            "source": "ONS Output Areas (2021) population-weighted centroids V3; ONS Census "
            "2021 TS001",
            "vintage": "Census 2021",
            "licence": "Open Government Licence v3.0",
        },
        notes=[
            f"{len(table):,} OAs, {int(table['population'].sum()):,} usual residents.",
            "LSOA 2011 found by: "
            + ", ".join(f"{k} {v:,} OAs" for k, v in sorted(n_methods.items())),
        ],
        enc={
            "oa_code": "DELTA_BYTE_ARRAY",
            "lon_e6": "DELTA_BINARY_PACKED",
            "lat_e6": "DELTA_BINARY_PACKED",
        },
    )

    # --- the street network -------------------------------------------------------------------
    t = time.perf_counter()
    try:
        ways = read_walkways(streets_path)
    except (FileNotFoundError, ValueError) as exc:
        raise BuildError(str(exc)) from exc
    net = build_walk_network(ways)
    read_s = time.perf_counter() - t
    covered = covered_areas(net, bor21.geometry)
    if not covered.any():
        raise BuildError(
            f"{streets_path} covers no London borough completely; give an extract of at least "
            "one whole borough (e.g. Geofabrik's greater-london-latest.osm.pbf)."
        )
    area = bor21.geometry[covered].union_all()
    places = place_points(services, parks, edges)
    p_xy = places[["x", "y"]].to_numpy()
    so = snap(net, oa_xy, inside=shapely.contains_xy(area, oa_xy[:, 0], oa_xy[:, 1]))
    sp = snap(net, p_xy, inside=shapely.contains_xy(area, p_xy[:, 0], p_xy[:, 1]))
    log(
        f"streets: {net.figures['ways_walkable']:,} of {net.figures['ways_read']:,} highway ways "
        f"walkable; {net.n_nodes:,} nodes, {net.n_edges:,} edges, {net.length_km:,.1f} km; "
        f"covers {int(covered.sum())} borough(s); {int(so.covered.sum()):,} OAs covered "
        f"({read_s:.1f} s)"
    )
    nodes, edge_table = network_tables(net)
    osm_meta = {
        "source": streets_source,
        "vintage": "2021 (newest way edited 2021-07-13)" if streets is None else "as given",
        "licence": _OSM_LICENCE,
    }
    _add(
        "streets/walk_nodes.parquet",
        nodes,
        [streets_rel],
        "Walking network (largest connected piece) built from the OpenStreetMap extract: node "
        "positions in EPSG:27700 centimetres (row = node number). Footways, paths, steps, "
        "pedestrian streets and roads a person may walk; not motorways, not ways closed to "
        "pedestrians (foot=no, access=no or private without foot access); edges no longer "
        "than 50 m.",
        [ATTRIBUTION_OSM_STREETS],
        meta=osm_meta,
        enc={"x_cm": "DELTA_BINARY_PACKED", "y_cm": "DELTA_BINARY_PACKED"},
    )
    _add(
        "streets/walk_edges.parquet",
        edge_table,
        [streets_rel],
        "Edges of the walking network: node pairs (a < b, sorted); lengths are the straight "
        "distances between the nodes.",
        [ATTRIBUTION_OSM_STREETS],
        meta=osm_meta,
        enc={"a": "DELTA_BINARY_PACKED", "b": "DELTA_BINARY_PACKED"},
    )

    # --- OA-place walking distances on the network -------------------------------------------
    t = time.perf_counter()
    pairs = network_pairs(net, so, sp, max_distance=MAX_WALK_M)
    frame = pd.DataFrame(
        {
            "oa": pairs.origin.astype(np.int32),
            "place": places["facility"].to_numpy()[pairs.target],
            "metres": pairs.distance,
        }
    )
    frame = (
        frame.sort_values(["oa", "place", "metres"], kind="stable")
        .drop_duplicates(["oa", "place"])  # a park at its nearest edge point
        .reset_index(drop=True)
    )
    frame["metres"] = frame["metres"].astype(np.float32)
    frame["place"] = frame["place"].astype("category")
    pairs_s = time.perf_counter() - t
    dist_inputs = [streets_rel, OA_PWC, TS001]
    _add(
        "streets/oa_place_network.parquet",
        frame,
        dist_inputs,
        f"Walking distance on the street network from each covered Output Area's "
        f"population-weighted centroid to each covered place of the bundled directory "
        f"(services/services.parquet; parks at their nearest edge point) within "
        f"{MAX_WALK_M:,.0f} m: oa (row of demand/london_oas.parquet), place (facility id), "
        "metres (snap leg + shortest path + snap leg). Covered: inside a borough the extract "
        f"covers completely and within {SNAP_LIMIT_M:g} m of the network.",
        [ATTRIBUTION_OSM_STREETS, ATTRIBUTION_OA],
        meta={
            "source": streets_source + "; ONS; the bundled service directory",
            "vintage": "as its inputs",
            "licence": _OSM_LICENCE + "; OGL",
            "made_from": ["services/services.parquet", "services/parks.parquet"],
        },
        notes=[f"{len(frame):,} OA-place pairs from {int(so.covered.sum()):,} OAs."],
    )

    # --- the detour factor --------------------------------------------------------------------
    t = time.perf_counter()
    so_detour = so
    if so.covered.sum() > DETOUR_SAMPLE:
        keep = np.zeros(len(oa_xy), bool)
        rng = np.random.default_rng(17)
        keep[rng.choice(np.flatnonzero(so.covered), DETOUR_SAMPLE, replace=False)] = True
        so_detour = type(so)(np.where(keep, so.node, -1), so.leg, keep)
    facility = places["facility"].to_numpy(object)
    category = places["category"].to_numpy(object)
    nearest = detour_ratios(
        net, so_detour, oa_xy, sp, p_xy, facility, category, max_straight=MAX_STRAIGHT_M
    )
    every = detour_ratios(
        net, so_detour, oa_xy, sp, p_xy, facility, category, max_straight=MAX_STRAIGHT_M,
        mode="all",
    )  # fmt: skip
    detour_s = time.perf_counter() - t
    summary = summarise(nearest)
    measured = round(float(summary.loc["all", "median"]), 4)
    # how one factor fits: covered OA-place pairs in reach on the network vs straight x median
    cov_o, cov_p = np.flatnonzero(so.covered), np.flatnonzero(sp.covered)
    sdm = cKDTree(oa_xy[cov_o]).sparse_distance_matrix(
        cKDTree(p_xy[cov_p]), MAX_WALK_M / measured, output_type="ndarray"
    )
    straight = (
        pd.DataFrame(
            {
                "oa": cov_o[sdm["i"]],
                "place": facility[cov_p[sdm["j"]]],
                "metres": sdm["v"] * measured,
            }
        )
        .groupby(["oa", "place"])["metres"]
        .min()
    )
    reach_check = {
        f"{c:g}": {
            "network": int((frame["metres"] <= c).sum()),
            "straight_x_detour": int((straight <= c).sum()),
        }
        for c in (400.0, 800.0, 1200.0, MAX_WALK_M)
    }
    bands = by_distance(nearest)
    bands_all = by_distance(every)
    report = {
        "detour_default": measured,
        "what": "walking distance on the street network / straight-line distance, for every "
        "covered Output Area and every category of place: the nearest place of that category "
        f"by straight line within {MAX_STRAIGHT_M:,.0f} m. The default detour of the app is "
        "the median over all (OA, category) pairs.",
        "extract": streets_rel,
        "extract_sha256": shas[streets_rel],
        "attribution": ATTRIBUTION_OSM_STREETS,
        "snap_limit_m": SNAP_LIMIT_M,
        "max_walk_m": MAX_WALK_M,
        "covered_boroughs": [str(c) for c in bor21.index[covered.to_numpy()]],
        "covered_borough_names": [str(n) for n in bor21["borough_name"][covered.to_numpy()]],
        "oas_covered": int(so.covered.sum()),
        "residents_covered": int(table["population"].to_numpy()[so.covered].sum()),
        "place_points_covered": int(sp.covered.sum()),
        "oas_measured": int(so_detour.covered.sum()),
        "network": {
            **net.figures,
            "nodes": net.n_nodes,
            "edges": net.n_edges,
            "length_km": round(net.length_km, 1),
        },
        "nearest_per_category": _figures(summary),
        "all_places_within_2km": _figures(summarise(every)),
        "median_by_distance": {
            str(k): {
                "pairs": int(v["pairs"]),
                "median": None if pd.isna(v["median"]) else round(float(v["median"]), 4),
            }
            for k, v in bands.iterrows()
        },
        "median_by_distance_all_places": {
            str(k): {
                "pairs": int(v["pairs"]),
                "median": None if pd.isna(v["median"]) else round(float(v["median"]), 4),
            }
            for k, v in bands_all.iterrows()
        },
        "oa_place_network_pairs": len(frame),
        "pairs_in_reach_network_vs_straight_x_detour": reach_check,
    }
    path = out / "streets" / "detour.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _add(
        "streets/detour.json",
        None,
        [streets_rel, OA_PWC, TS001],
        "The detour factor measured on the street network (walking / straight-line distance "
        "from each covered Output Area to the nearest place of each category within 2 km): "
        "median (the app's default detour where the network does not reach), quartiles and "
        "10th-90th percentiles per category and overall; the same over all places within "
        "2 km; medians by distance band; the network's figures and covered boroughs.",
        [ATTRIBUTION_OSM_STREETS, ATTRIBUTION_OA],
        meta={
            "source": streets_source + "; ONS; the bundled service directory",
            "vintage": "as its inputs",
            "licence": _OSM_LICENCE + "; OGL",
            "made_from": ["services/services.parquet", "services/parks.parquet"],
        },
        rows=int(summary.loc["all", "pairs"]),
        notes=[
            f"Measured detour (median of {int(summary.loc['all', 'pairs']):,} OA-category "
            f"pairs): {measured:.3f}."
        ],
    )
    log(
        f"detour measured on {report['oas_measured']:,} OAs: median {measured:.3f} "
        f"(network pairs {pairs_s:.1f} s, detour {detour_s:.1f} s, step "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    return entries
