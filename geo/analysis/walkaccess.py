"""Walking access models: the OAs, the places and the distances between them, ready to measure.

:class:`Streets` is the street network of the build (``data/streets/``) with the area it
covers and the detour factor measured on it. :func:`bundled_model` makes the
:class:`AccessModel` of the bundled directory from the OA-place network distances the build
stored (straight line x detour for the pairs the network does not cover, computed once per
process); :func:`upload_model` makes one for a user's uploaded services, measuring them on the
network here (the same functions as the build: :func:`geo.data.walking.snap`,
:func:`geo.data.walking.network_pairs`); :func:`combine` joins the two ("bundled and mine").
:func:`homes_table` measures a user's homes to the places the same way.

With ``distance="straight"`` every pair is straight line x detour (no network).

Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.oa_access import Prepared, prepare
from geo.analysis.oa_table import (
    MAX_CATCHMENT,
    DistanceTable,
    Supply,
    concat_supply,
    concat_tables,
    distance_table,
    supply_from_frame,
)
from geo.data.indicators import VINTAGES
from geo.data.streets import WalkNetwork
from geo.data.themes import OTHER, THEMES
from geo.data.walking import SNAP_LIMIT_M, Snapped, network_pairs, snap

__all__ = [
    "DISTANCES",
    "SERVICE_THEMES",
    "AccessModel",
    "Streets",
    "bundled_model",
    "combine",
    "detour_table",
    "homes_table",
    "streets_context",
    "upload_model",
]

Distance = Literal["streets", "straight"]

#: How walking distance is measured: on the streets where the network covers (else straight
#: line x detour), or straight line x detour everywhere.
DISTANCES: dict[str, str] = {
    "streets": "on the streets where the network covers, else straight line x detour",
    "straight": "straight line x detour everywhere",
}

#: Theme columns of every supply (the housing associations' themes, not "Other").
SERVICE_THEMES: tuple[str, ...] = tuple(t for t in THEMES if t != OTHER)

_LSOA_COL = {"2021": "lsoa21_code", "2011": "lsoa11_code"}


@dataclass(frozen=True)
class Streets:
    """The street network, the area it covers and the detour measured on it.

    Attributes
    ----------
    network : geo.data.streets.WalkNetwork
        The walking network.
    area : shapely.Geometry
        The boroughs the extract covers completely (EPSG:27700); points outside are not
        measured on the network.
    report : dict
        ``data/streets/detour.json`` (``detour_default``, per-category spread, figures).
    snap_limit : float
        Points farther than this from the network are not covered (metres).
    """

    network: WalkNetwork
    area: shapely.Geometry
    report: Mapping
    snap_limit: float = SNAP_LIMIT_M

    @property
    def detour(self) -> float:
        """The measured default detour factor."""
        return float(self.report["detour_default"])

    def snap(self, xy: np.ndarray) -> Snapped:
        """Points tied to the network; only those inside :attr:`area` can be covered."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        inside = shapely.contains_xy(self.area, xy[:, 0], xy[:, 1])
        return snap(self.network, xy, snap_limit=self.snap_limit, inside=inside)


def streets_context(network: WalkNetwork, boroughs: gpd.GeoDataFrame, report: Mapping) -> Streets:
    """:class:`Streets` from the loaded network, the 2021 boroughs and the detour report."""
    codes = [c for c in report.get("covered_boroughs", []) if c in boroughs.index]
    area = boroughs.geometry.loc[codes].union_all() if codes else shapely.Polygon()
    return Streets(
        network=network,
        area=area,
        report=report,
        snap_limit=float(report.get("snap_limit_m", SNAP_LIMIT_M)),
    )


@dataclass
class AccessModel:
    """OAs, places and the walking distances between them (one detour, one distance mode).

    Attributes
    ----------
    oas : pandas.DataFrame
        ``geo.data.io.load_oas()``: x, y, population, lsoa21_code, lsoa11_code.
    supply : geo.analysis.oa_table.Supply
        The places.
    table : geo.analysis.oa_table.DistanceTable
        OA-place walking distances within 1,600 m.
    distance : str
        ``"streets"`` or ``"straight"`` (:data:`DISTANCES`).
    """

    oas: pd.DataFrame
    supply: Supply
    table: DistanceTable
    distance: str
    _prepared: dict = field(default_factory=dict, repr=False)

    @property
    def detour(self) -> float:
        """The detour factor of the straight-line pairs."""
        return self.table.detour

    @property
    def network_share(self) -> float:
        """Share of the table's pairs measured on the street network."""
        return float(self.table.network.mean()) if len(self.table.network) else 0.0

    def prepared(self, vintage: str, lsoa_index: pd.Index | None = None) -> Prepared:
        """The model for the LSOAs of ``vintage`` (cached per vintage)."""
        if vintage not in self._prepared:
            col = _LSOA_COL[VINTAGES[vintage]["geography"]]
            self._prepared[vintage] = prepare(
                self.oas, self.supply, self.table, lsoa_col=col, lsoa_index=lsoa_index
            )
        return self._prepared[vintage]


def _supply(points: gpd.GeoDataFrame) -> Supply:
    return supply_from_frame(points, themes=list(SERVICE_THEMES))


def _check(detour: float, distance: str) -> None:
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {', '.join(DISTANCES)}, got {distance!r}")
    if not (np.isfinite(detour) and detour >= 1.0):
        raise ValueError(f"detour must be a finite factor >= 1, got {detour!r}")


def bundled_model(
    oas: pd.DataFrame,
    points: gpd.GeoDataFrame,
    streets: Streets | None,
    network_distances: pd.DataFrame | None,
    *,
    detour: float,
    distance: Distance = "streets",
) -> AccessModel:
    """The model of the bundled directory, with the network distances the build stored.

    Parameters
    ----------
    oas : pandas.DataFrame
        ``geo.data.io.load_oas()``.
    points : geopandas.GeoDataFrame
        ``geo.analysis.provision.access_supply(bundled_directory(...), park_edges)``.
    streets : Streets or None
        The network context (None or ``distance="straight"``: straight line x detour only).
    network_distances : pandas.DataFrame or None
        ``geo.data.io.load_oa_place_network()``: ``oa``, ``place``, ``metres``.
    detour : float
        Walking / straight-line factor where the network does not reach.
    distance : {"streets", "straight"}
        See :data:`DISTANCES`.

    Raises
    ------
    ValueError
        When the stored distances do not fit these places (the data needs a rebuild).
    """
    _check(detour, distance)
    supply = _supply(points)
    oa_xy = oas[["x", "y"]].to_numpy(float)
    if distance == "straight" or streets is None or network_distances is None:
        table = distance_table(oa_xy, supply, detour=detour)
        return AccessModel(oas, supply, table, "straight")
    so, sp = streets.snap(oa_xy), streets.snap(supply.xy)
    expected = streets.report.get("place_points_covered")
    if expected is not None and int(sp.covered.sum()) != int(expected):
        raise ValueError(
            f"{int(sp.covered.sum())} places are on the street network but the build measured "
            f"{expected}: the data is out of date. Run `python -m geo build`."
        )
    fac = pd.Index(supply.facility_id).get_indexer(network_distances["place"].astype(str))
    ok = fac >= 0
    pairs = (
        network_distances["oa"].to_numpy(np.int64)[ok],
        fac[ok],
        network_distances["metres"].to_numpy(float)[ok],
    )
    table = distance_table(
        oa_xy,
        supply,
        detour=detour,
        origin_covered=so.covered,
        point_covered=sp.covered,
        network_pairs=pairs,
    )
    return AccessModel(oas, supply, table, "streets")


def _network_table(
    origin_xy: np.ndarray,
    supply: Supply,
    streets: Streets | None,
    *,
    detour: float,
    distance: str,
    origins: Snapped | None = None,
) -> DistanceTable:
    """Distances from ``origin_xy`` to ``supply``: network pairs measured here where covered."""
    if distance == "straight" or streets is None or not len(supply.xy) or not len(origin_xy):
        return distance_table(origin_xy, supply, detour=detour)
    so = origins if origins is not None else streets.snap(origin_xy)
    sp = streets.snap(supply.xy)
    pairs = network_pairs(streets.network, so, sp, max_distance=MAX_CATCHMENT)
    return distance_table(
        origin_xy,
        supply,
        detour=detour,
        origin_covered=so.covered,
        point_covered=sp.covered,
        network_pairs=(pairs.origin, supply.facility[pairs.target], pairs.distance),
    )


def upload_model(
    oas: pd.DataFrame,
    points: gpd.GeoDataFrame,
    streets: Streets | None,
    *,
    detour: float,
    distance: Distance = "streets",
) -> AccessModel:
    """The model of a user's uploaded services, measured on the network where it covers.

    ``points``: the uploads as access points (``provision.access_supply(provision.combine(None,
    mine, "mine"))``). The network distances are computed here, once per upload (callers cache
    the result), with the same functions as the build.
    """
    _check(detour, distance)
    supply = _supply(points)
    oa_xy = oas[["x", "y"]].to_numpy(float)
    table = _network_table(oa_xy, supply, streets, detour=detour, distance=distance)
    return AccessModel(oas, supply, table, distance if streets is not None else "straight")


def combine(bundled: AccessModel, upload: AccessModel) -> AccessModel:
    """The bundled and the uploaded places as one model ("bundled and mine")."""
    if bundled.detour != upload.detour or len(bundled.oas) != len(upload.oas):
        raise ValueError("models of different detours or OAs cannot be combined")
    return AccessModel(
        bundled.oas,
        concat_supply(bundled.supply, upload.supply),
        concat_tables(bundled.table, upload.table),
        bundled.distance,
    )


def homes_table(
    homes_xy: np.ndarray,
    supply: Supply,
    streets: Streets | None,
    *,
    detour: float,
    distance: Distance = "streets",
) -> DistanceTable:
    """Walking distances from homes (EPSG:27700 points) to the places within 1,600 m.

    On the network where both the home and the place are covered, else straight line x
    detour: the same rule as for the Output Areas.
    """
    _check(detour, distance)
    return _network_table(
        np.asarray(homes_xy, float).reshape(-1, 2),
        supply,
        streets,
        detour=detour,
        distance=distance,
    )


def detour_table(report: Mapping, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The measured detour per category and overall, for reading (method page, README).

    Parameters
    ----------
    report : Mapping
        ``data/streets/detour.json`` (:func:`geo.data.io.load_detour`).
    labels : Mapping or None
        Category key -> label (``geo.data.directory.CATEGORIES`` labels).

    Returns
    -------
    pandas.DataFrame
        One row per category, then "All categories" and "All places within 2 km": ``Pairs``,
        ``Median``, ``Middle half`` (quartiles), ``10th-90th percentile``, ``Median straight
        distance (m)``.
    """
    labels = labels or {}
    rows = []
    sources = [
        *(
            (labels.get(k, k), v)
            for k, v in report.get("nearest_per_category", {}).items()
            if k != "all"
        ),
        ("All categories (the default detour)", report["nearest_per_category"]["all"]),
        ("All places within 2 km (not the nearest)", report["all_places_within_2km"]["all"]),
    ]
    for name, rec in sources:
        rows.append(
            {
                "Places": name,
                "Pairs": rec["pairs"],
                "Median": rec["median"],
                "Middle half": f"{rec['q25']:.2f}-{rec['q75']:.2f}",
                "10th-90th percentile": f"{rec['p10']:.2f}-{rec['p90']:.2f}",
                "Median straight distance (m)": round(rec["median_straight_m"]),
            }
        )
    return pd.DataFrame(rows)
