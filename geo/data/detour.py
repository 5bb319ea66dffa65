"""The detour factor: walking distance on the street network / straight-line distance.

Measured by the build where the network is known (an OpenStreetMap extract,
:mod:`geo.data.streets`) and used as the default detour wherever it is not (the app's and the
command line's setting; stored in ``data/streets/detour.json``).

What is measured
----------------
For every Output Area (OA) whose population-weighted centroid is covered by the network, and
for every category of place (GP practice, pharmacy, library, ...): the *nearest place of that
category by straight line*, if it lies within ``max_straight`` (2 km) and is covered too.
Its ratio is

.. math:: r_{ic} = \\frac{d^{net}_{i,f}}{d^{straight}_{i,f}},\\qquad
          f = \\arg\\min_{f \\in c} d^{straight}_{i,f}

where a place with several points (a park's edge points) is at its nearest point in both
distances, and :math:`d^{net}` includes the straight snap legs at both ends
(:func:`geo.data.walking.pair_distances`), so :math:`r \\ge 1`. One ratio per (OA, category): every OA
counts once per category whatever the density of places, and the pairs are the ones the
"nearest place" measure uses. :func:`summarise` gives the median, quartiles and 10th/90th
percentiles per category and over all (OA, category) pairs; the overall median is the default
detour of the app (a setting).

``mode="all"`` instead takes every covered place within ``max_straight`` (each (OA, place)
pair once): a sensitivity check weighted towards longer, catchment-sized distances.

References
----------
Levinson, D. & El-Geneidy, A. (2009) The minimum circuity frontier and the journey to work.
*Regional Science and Urban Economics* 39(6), 732-738 (circuity = network / Euclidean
distance).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.data.streets import WalkNetwork
from geo.data.walking import Snapped, pair_distances

__all__ = ["DISTANCE_BANDS", "by_distance", "candidate_pairs", "detour_ratios", "summarise"]

#: Straight-line distance bands (metres) of :func:`by_distance`.
DISTANCE_BANDS: tuple[float, ...] = (0, 100, 200, 400, 600, 800, 1000, 1200, 1600, 2000)


def candidate_pairs(
    oa_xy: np.ndarray,
    place_xy: np.ndarray,
    place_facility: np.ndarray,
    place_category: np.ndarray,
    *,
    max_straight: float = 2000.0,
    mode: Literal["nearest", "all"] = "nearest",
) -> pd.DataFrame:
    """(OA, place) pairs to measure: the nearest per category, or all, within ``max_straight``.

    Parameters
    ----------
    oa_xy : numpy.ndarray
        (n_oa, 2) EPSG:27700 demand points.
    place_xy : numpy.ndarray
        (n_points, 2) EPSG:27700 place points.
    place_facility : numpy.ndarray
        Facility key of each point (points of one park share it).
    place_category : numpy.ndarray
        Category of each point.
    max_straight : float, default 2000
        Straight-line search radius, metres.
    mode : {"nearest", "all"}
        One pair per (OA, category), the nearest facility; or every facility in range.

    Returns
    -------
    pandas.DataFrame
        ``oa`` (position in ``oa_xy``), ``category``, ``facility``, ``point`` (the facility's
        nearest point by straight line), ``straight_m``.
    """
    cols = ["oa", "category", "facility", "point", "straight_m"]
    if len(oa_xy) == 0 or len(place_xy) == 0:
        return pd.DataFrame(columns=cols)
    sdm = cKDTree(oa_xy).sparse_distance_matrix(
        cKDTree(place_xy), max_straight, output_type="ndarray"
    )
    pairs = pd.DataFrame(
        {
            "oa": sdm["i"].astype(np.int64),
            "point": sdm["j"].astype(np.int64),
            "straight_m": sdm["v"],
        }
    )
    pairs["facility"] = np.asarray(place_facility, dtype=object)[pairs["point"].to_numpy()]
    pairs["category"] = np.asarray(place_category, dtype=object)[pairs["point"].to_numpy()]
    pairs = pairs.sort_values(["oa", "straight_m", "point"], kind="stable")
    pairs = pairs.drop_duplicates(["oa", "facility"])  # a facility at its nearest point
    if mode == "nearest":
        pairs = pairs.drop_duplicates(["oa", "category"])
    elif mode != "all":
        raise ValueError(f"mode must be 'nearest' or 'all', got {mode!r}")
    return pairs[cols].reset_index(drop=True)


def detour_ratios(
    network: WalkNetwork,
    oas: Snapped,
    oa_xy: np.ndarray,
    places: Snapped,
    place_xy: np.ndarray,
    place_facility: np.ndarray,
    place_category: np.ndarray,
    *,
    max_straight: float = 2000.0,
    mode: Literal["nearest", "all"] = "nearest",
    max_ratio: float = 3.0,
) -> pd.DataFrame:
    """Network / straight distance for covered OAs to their nearest covered places.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    oas, places : geo.data.walking.Snapped
        :func:`geo.data.walking.snap` of the OA centroids and of the place points; only covered ones
        are measured.
    oa_xy, place_xy : numpy.ndarray
        EPSG:27700 coordinates (same order as ``oas`` and ``places``).
    place_facility, place_category : numpy.ndarray
        Facility key and category of each place point.
    max_straight : float, default 2000
        Straight-line search radius, metres.
    mode : {"nearest", "all"}
        See :func:`candidate_pairs`.
    max_ratio : float, default 3
        Network search limit as a multiple of ``max_straight`` (6 km for 2 km): a pair not
        reached within it gets ``inf`` and is reported (``unreached`` in :func:`summarise`),
        not dropped. Bounds the cost per OA on a large extract.

    Returns
    -------
    pandas.DataFrame
        One row per measured (OA, facility): ``oa``, ``category``, ``facility``,
        ``straight_m``, ``network_m`` (to the facility's nearest point on the network),
        ``ratio``.
    """
    o_ok = np.flatnonzero(oas.covered)
    p_ok = np.flatnonzero(places.covered)
    cand = candidate_pairs(
        oa_xy[o_ok],
        place_xy[p_ok],
        np.asarray(place_facility, dtype=object)[p_ok],
        np.asarray(place_category, dtype=object)[p_ok],
        max_straight=max_straight,
        mode=mode,
    )
    cand["oa"] = o_ok[cand["oa"].to_numpy(dtype=np.int64)]
    cand = cand.drop(columns="point")
    if cand.empty:
        return cand.assign(network_m=[], ratio=[])
    # the network distance to a facility is to its nearest point on the network: expand each
    # (OA, facility) pair to all covered points of the facility
    fac_points = pd.DataFrame(
        {"facility": np.asarray(place_facility, dtype=object)[p_ok], "point": p_ok}
    )
    expanded = cand[["oa", "facility"]].reset_index().merge(fac_points, on="facility")
    dist = pair_distances(
        network,
        oas,
        places,
        expanded["oa"].to_numpy(),
        expanded["point"].to_numpy(),
        limit=max_straight * max_ratio,
    )
    best = pd.Series(dist, index=expanded.index).groupby(expanded["index"].to_numpy()).min()
    cand["network_m"] = best.reindex(cand.index).to_numpy()
    cand["ratio"] = cand["network_m"] / cand["straight_m"]
    return cand.reset_index(drop=True)


def summarise(ratios: pd.DataFrame, *, by: str = "category") -> pd.DataFrame:
    """Median and spread of the detour ratio per group and over all pairs.

    Parameters
    ----------
    ratios : pandas.DataFrame
        :func:`detour_ratios` output.
    by : str, default "category"
        Grouping column.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, then ``"all"``: ``pairs``, ``oas``, ``median``, ``q25``, ``q75``,
        ``p10``, ``p90``, ``mean``, ``median_straight_m``, ``unreached`` (pairs not reached
        within the search limit; they count as ``inf``, i.e. above every percentile).
    """

    def stats(frame: pd.DataFrame) -> dict[str, float]:
        r = frame["ratio"].to_numpy(dtype=float)
        r = r[~np.isnan(r)]
        q = np.quantile(r, [0.1, 0.25, 0.5, 0.75, 0.9]) if len(r) else [np.nan] * 5
        finite = r[np.isfinite(r)]
        return {
            "pairs": len(r),
            "oas": int(frame["oa"].nunique()),
            "median": q[2],
            "q25": q[1],
            "q75": q[3],
            "p10": q[0],
            "p90": q[4],
            "mean": float(finite.mean()) if len(finite) else np.nan,
            "median_straight_m": float(frame["straight_m"].median()),
            "unreached": int(np.isinf(r).sum()),
        }

    rows = {key: stats(group) for key, group in ratios.groupby(by, sort=True)}
    rows["all"] = stats(ratios)
    return pd.DataFrame.from_dict(rows, orient="index")


def by_distance(ratios: pd.DataFrame, bands: tuple[float, ...] = DISTANCE_BANDS) -> pd.DataFrame:
    """Median detour ratio by straight-line distance band (it falls as trips get longer).

    Returns
    -------
    pandas.DataFrame
        One row per band ``"{lo}-{hi} m"``: ``pairs``, ``median``.
    """
    r = ratios[np.isfinite(ratios["ratio"].to_numpy(dtype=float))]
    labels = [f"{lo:g}-{hi:g} m" for lo, hi in zip(bands[:-1], bands[1:], strict=True)]
    band = pd.cut(r["straight_m"], list(bands), labels=labels, right=False)
    grouped = r.groupby(band, observed=False)["ratio"]
    return pd.DataFrame({"pairs": grouped.size(), "median": grouped.median()})
