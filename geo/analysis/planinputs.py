r"""The pilot planner's inputs: whom to reach, where pilots may go, who is already served.

Demand is the 26,369 London Output Areas (:func:`geo.data.io.load_oas`: ONS population-weighted
centroids, Census 2021 TS001 residents), weighted by the target group (:func:`reach_weights`).
Candidate sites are places of the directory (bundled categories, the user's uploads) and, on
request, every Output Area's population-weighted centre (:func:`oa_centres`). Distances are the
gap finder's (:mod:`geo.analysis.oa_table`, :mod:`geo.analysis.walkaccess`): on the OpenStreetMap
street network where it covers both ends, else the straight line times the detour factor. A
candidate covers an Output Area when that walking distance is within the catchment
(boundary inclusive):

.. math:: a_{ij} = [\, d_{ij} \le d_0 \,]

so :func:`coverage` is a cut of the same distance table the gap finder reads, and
:func:`served` is the gap finder's "a place of the theme within reach".

Planning area: demand *and* candidate sites inside the chosen boroughs (a borough or an ICB
funds pilots on its own ground); places outside still count for "already served" (a resident
next to a library across the boundary is served). The bundled directory stops at London's
boundary, so near it some residents served by places outside London count as unserved.

Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geo.analysis.oa_table import DistanceTable
from geo.analysis.walkaccess import SERVICE_THEMES, AccessModel
from geo.data.ptal import at_most

__all__ = [
    "LINK_WORKER_THEME",
    "OA_SITES",
    "PLAN_THEMES",
    "REACH",
    "REACH_LABELS",
    "REACH_SHORT",
    "THEME_NOTES",
    "UPLOAD_SITES",
    "CandidateSet",
    "areas_of",
    "candidate_set",
    "coverage",
    "demand_in_area",
    "oa_centres",
    "reach_weights",
    "served",
    "site_labels",
]

#: A pilot theme that no place of the open data provides.
LINK_WORKER_THEME = "Link-worker style support"

#: Themes a pilot may provide: the housing associations' themes (not "Other") and link-worker
#: style support.
PLAN_THEMES: tuple[str, ...] = (*SERVICE_THEMES, LINK_WORKER_THEME)

#: Why nobody counts as already served for some themes (shown with the plan).
THEME_NOTES: dict[str, str] = {
    LINK_WORKER_THEME: "No place in the open data provides link-worker style support: NHS "
    "England publishes link workers as FTE per Primary Care Network, not as places people walk "
    "in to (see the Gap finder's link workers by GP registration). Nobody counts as already "
    "served, so the plan reaches the target group wherever it lives.",
}

#: Candidate key for every Output Area's population-weighted centre.
OA_SITES = "oa"
#: Candidate key for the user's uploaded services.
UPLOAD_SITES = "upload"

#: Whom to reach: key -> what the weight counts and where it comes from.
REACH_LABELS: dict[str, str] = {
    "residents": "Usual residents (Census 2021 TS001, per Output Area)",
    "deprived10": "Residents of neighbourhoods in England's most deprived 10% (IMD 2025 decile "
    "1 of the LSOA; Census 2021 TS001 residents per Output Area)",
    "deprived20": "Residents of neighbourhoods in England's most deprived 20% (IMD 2025 deciles "
    "1-2 of the LSOA; Census 2021 TS001 residents per Output Area)",
    "age65": "Residents aged 65+ (Census 2021 TS007A, published per LSOA: shared over its "
    "Output Areas in proportion to their residents)",
    "disabled": "Disabled residents under the Equality Act (Census 2021 TS038, published per "
    "LSOA: shared over its Output Areas in proportion to their residents)",
    "ha": "Housing association households (Census 2021 TS054, published per LSOA: shared over "
    "its Output Areas in proportion to their residents)",
}
REACH: tuple[str, ...] = tuple(REACH_LABELS)

#: Short names of the target groups (table headings, the command line's summary).
REACH_SHORT: dict[str, str] = {
    "residents": "residents",
    "deprived10": "residents in England's most deprived 10%",
    "deprived20": "residents in England's most deprived 20%",
    "age65": "residents aged 65+",
    "disabled": "disabled residents",
    "ha": "housing association households",
}

_LSOA_COUNTS = {"age65": "population_65plus", "disabled": "disabled", "ha": "ha_households"}


def reach_weights(oas: pd.DataFrame, lsoas: pd.DataFrame, reach: str) -> pd.Series:
    """Weight of each Output Area for the target group ``reach`` (:data:`REACH_LABELS`).

    Parameters
    ----------
    oas : pandas.DataFrame
        :func:`geo.data.io.load_oas`: ``population`` (Census 2021 residents), ``lsoa21_code``.
    lsoas : pandas.DataFrame
        ``load_lsoas("iod2025")`` indexed by LSOA 2021 code: ``imd_decile`` (IMD 2025, England
        deciles), ``population_65plus``, ``disabled``, ``ha_households``.
    reach : str
        One of :data:`REACH`.

    Returns
    -------
    pandas.Series
        Float weights aligned to ``oas.index``. Counts published per LSOA are shared over its
        Output Areas in proportion to their residents, so they add up to the LSOA's figure
        (an LSOA without residents gives 0).
    """
    if reach not in REACH_LABELS:
        raise ValueError(f"reach must be one of {', '.join(REACH)}, got {reach!r}")
    res = pd.to_numeric(oas["population"], errors="coerce").fillna(0.0).astype(float)
    if reach == "residents":
        return res.rename(reach)
    lsoa = lsoas.reindex(oas["lsoa21_code"].to_numpy())
    if reach in ("deprived10", "deprived20"):
        top = 1 if reach == "deprived10" else 2
        decile = pd.to_numeric(lsoa["imd_decile"], errors="coerce").to_numpy()
        return res.where(decile <= top, 0.0).rename(reach)
    lsoa_res = res.groupby(oas["lsoa21_code"].to_numpy()).transform("sum").to_numpy()
    share = np.divide(res.to_numpy(), lsoa_res, out=np.zeros(len(res)), where=lsoa_res > 0)
    counts = pd.to_numeric(lsoa[_LSOA_COUNTS[reach]], errors="coerce").fillna(0.0).to_numpy()
    return pd.Series(counts * share, index=oas.index, name=reach)


def demand_in_area(
    oas: pd.DataFrame, lsoas: pd.DataFrame, boroughs: Iterable[str] = (), *, ptal_max2: bool = False
) -> np.ndarray:
    """Boolean per Output Area: in the planning area (and, with ``ptal_max2``, in a
    neighbourhood with PTAL 2 or lower: TfL PTAL 2015, :func:`geo.data.ptal.at_most`)."""
    codes = oas["lsoa21_code"].to_numpy()
    chosen = set(boroughs)
    keep = np.ones(len(oas), dtype=bool)
    if chosen:
        borough = lsoas["borough_code"].reindex(codes).to_numpy()
        keep &= pd.Series(borough).isin(chosen).to_numpy()
    if ptal_max2:
        low = at_most(lsoas["ptal"], "2").reindex(codes).fillna(False).to_numpy(dtype=bool)
        keep &= low
    return keep


def oa_centres(oas: pd.DataFrame) -> gpd.GeoDataFrame:
    """Every Output Area's population-weighted centre as a candidate place (EPSG:27700).

    For :func:`geo.analysis.walkaccess.upload_model`: measured like any uploaded place (on the
    street network where it covers, else straight line x detour). ``facility`` is ``oa:`` and
    the OA code; no theme (a candidate site serves nobody yet).
    """
    codes = oas["oa_code"].astype(str).to_numpy()
    return gpd.GeoDataFrame(
        {
            "facility": [f"oa:{c}" for c in codes],
            "name": [f"Output Area {c} centre" for c in codes],
            "themes": [[] for _ in codes],
            "capacity": 1.0,
        },
        geometry=gpd.points_from_xy(oas["x"].to_numpy(), oas["y"].to_numpy()),
        crs=27700,
    )


def site_labels(categories: Mapping[str, Mapping]) -> dict[str, str]:
    """Candidate key -> label: every directory category, uploads and Output Area centres."""
    return {
        **{k: str(v.get("label", k)) for k, v in categories.items()},
        UPLOAD_SITES: "Your uploaded services",
        OA_SITES: "Any Output Area centre",
    }


@dataclass(frozen=True)
class CandidateSet:
    """Candidate sites and where their distances are.

    Attributes
    ----------
    sites : pandas.DataFrame
        One row per candidate (the coverage matrix's columns, in order): ``site_id``, ``name``,
        ``category`` (a directory category, ``upload`` or ``oa``), ``category_label``, ``x``,
        ``y`` (EPSG:27700), ``lon``, ``lat``, ``lsoa_code``, ``borough_code``,
        ``borough_name``, ``source_label``.
    tables : tuple
        ``(DistanceTable, facility positions)`` per source: the candidates' facility positions
        in that table, in the order of ``sites``' rows from that source.
    """

    sites: pd.DataFrame
    tables: tuple[tuple[DistanceTable, np.ndarray], ...]


def areas_of(x: np.ndarray, y: np.ndarray, lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """The LSOA and borough each point (EPSG:27700 metres) lies within.

    Returns
    -------
    pandas.DataFrame
        In the points' order: ``lsoa_code``, ``borough_code``, ``borough_name`` (missing outside
        every LSOA; a point on a shared edge takes the first LSOA found).
    """
    columns = {
        "lsoa_code": lsoas.index.astype(str).to_numpy(),
        "borough_code": lsoas["borough_code"].to_numpy(),
    }
    if "borough_name" in lsoas.columns:
        columns["borough_name"] = lsoas["borough_name"].to_numpy()
    where = gpd.sjoin(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700),
        gpd.GeoDataFrame(columns, geometry=lsoas.geometry.to_crs(27700).to_numpy(), crs=27700),
        how="left",
        predicate="within",
    )
    return where[~where.index.duplicated()].sort_index()


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=27700).to_crs(4326)
    return pts.x.to_numpy(), pts.y.to_numpy()


def _directory_sites(
    directory: gpd.GeoDataFrame,
    model: AccessModel,
    keys: set[str],
    lsoas: gpd.GeoDataFrame,
) -> tuple[pd.DataFrame, np.ndarray]:
    rows = directory[directory["category"].astype(str).isin(keys).to_numpy()]
    fac = pd.Index(model.supply.facility_id.astype(str)).get_indexer(rows.index.astype(str))
    rows, fac = rows[fac >= 0], fac[fac >= 0]
    geom = rows.geometry.to_crs(27700) if rows.crs is not None else rows.geometry
    x, y = geom.x.to_numpy(float), geom.y.to_numpy(float)
    where = areas_of(x, y, lsoas)
    lon, lat = _lonlat(x, y)
    frame = pd.DataFrame(
        {
            "site_id": rows.index.astype(str).to_numpy(),
            "name": rows["name"].astype(object).fillna("(no name)").to_numpy(),
            "category": rows["category"].astype(str).to_numpy(),
            "category_label": rows["category_label"].astype(str).to_numpy(),
            "x": x,
            "y": y,
            "lon": lon,
            "lat": lat,
            "lsoa_code": where["lsoa_code"].to_numpy(dtype=object),
            "borough_code": where["borough_code"].to_numpy(dtype=object),
            "source_label": rows["source_label"].astype(str).to_numpy(),
        }
    )
    return frame, fac.astype(np.int64)


def _oa_sites(oas: pd.DataFrame, lsoas: pd.DataFrame, model: AccessModel) -> tuple:
    ids = [f"oa:{c}" for c in oas["oa_code"].astype(str)]
    fac = pd.Index(model.supply.facility_id.astype(str)).get_indexer(ids)
    if (fac < 0).any():
        raise ValueError("the Output Area centres' model does not hold every Output Area")
    frame = pd.DataFrame(
        {
            "site_id": ids,
            "name": [f"Output Area {c} centre" for c in oas["oa_code"].astype(str)],
            "category": OA_SITES,
            "category_label": "Output Area centre",
            "x": oas["x"].to_numpy(float),
            "y": oas["y"].to_numpy(float),
            "lon": oas["lon"].to_numpy(float),
            "lat": oas["lat"].to_numpy(float),
            "lsoa_code": oas["lsoa21_code"].to_numpy(dtype=object),
            "borough_code": lsoas["borough_code"]
            .reindex(oas["lsoa21_code"].to_numpy())
            .to_numpy(dtype=object),
            "source_label": "ONS Output Area population-weighted centroid (Census 2021)",
        }
    )
    return frame, fac.astype(np.int64)


def candidate_set(
    sites: Iterable[str],
    *,
    oas: pd.DataFrame,
    lsoas: gpd.GeoDataFrame,
    places: AccessModel | None,
    directory: gpd.GeoDataFrame | None,
    oa_model: AccessModel | None,
    boroughs: Iterable[str] = (),
) -> CandidateSet:
    """The candidate sites of the chosen kinds inside the planning area.

    Parameters
    ----------
    sites : iterable of str
        Directory category keys (``community_centre``, ``library``, ...), :data:`UPLOAD_SITES`
        and/or :data:`OA_SITES`.
    oas, lsoas
        :func:`geo.data.io.load_oas` and ``load_lsoas("iod2025")`` (LSOA polygons, for the
        neighbourhood and borough of each place).
    places : AccessModel or None
        The places used (bundled and/or uploaded, :mod:`geo.analysis.walkaccess`); the
        directory and upload candidates are its facilities.
    directory : geopandas.GeoDataFrame or None
        The same places one row each (``provision.combine``), indexed by facility id.
    oa_model : AccessModel or None
        The Output Area centres measured as places (:func:`oa_centres`), needed for
        :data:`OA_SITES`.
    boroughs : iterable of str
        Borough codes of the planning area; empty: all London.

    Returns
    -------
    CandidateSet
        Candidates in the area, directory places first (in directory order), then the Output
        Area centres.
    """
    keys = {str(s) for s in sites}
    frames, tables = [], []
    place_keys = keys - {OA_SITES}
    if place_keys and places is not None and directory is not None and len(directory):
        frame, fac = _directory_sites(directory, places, place_keys, lsoas)
        frames.append(frame)
        tables.append((places.table, fac))
    if OA_SITES in keys:
        if oa_model is None:
            raise ValueError("Output Area centres were asked for but not measured")
        frame, fac = _oa_sites(oas, lsoas, oa_model)
        frames.append(frame)
        tables.append((oa_model.table, fac))
    chosen = set(boroughs)
    kept_frames, kept_tables = [], []
    for frame, (table, fac) in zip(frames, tables, strict=True):
        keep = (
            frame["borough_code"].isin(chosen).to_numpy() if chosen else np.ones(len(frame), bool)
        )
        kept_frames.append(frame[keep])
        kept_tables.append((table, fac[keep]))
    columns = [
        "site_id",
        "name",
        "category",
        "category_label",
        "x",
        "y",
        "lon",
        "lat",
        "lsoa_code",
        "borough_code",
        "source_label",
    ]
    out = (
        pd.concat(kept_frames, ignore_index=True)
        if kept_frames
        else pd.DataFrame({c: [] for c in columns})
    )
    names = lsoas["borough_name"].groupby(lsoas["borough_code"]).first()
    out["borough_name"] = out["borough_code"].map(names).astype(object)
    return CandidateSet(out.reset_index(drop=True), tuple(kept_tables))


def coverage(candidates: CandidateSet, catchment: float, n_demand: int) -> sparse.csr_array:
    """Boolean (n_demand x n_candidates): candidate ``j`` within ``catchment`` walking metres
    of Output Area ``i`` (the distance tables' rule, boundary inclusive)."""
    rows, cols = [], []
    offset = 0
    for table, fac in candidates.tables:
        if not 0 < catchment <= table.max_distance:
            raise ValueError(
                f"catchment must be in (0, {table.max_distance:g}] metres, got {catchment!r}"
            )
        col_of = np.full(table.n_facility, -1, dtype=np.int64)
        col_of[fac] = offset + np.arange(len(fac))
        col = col_of[table.facility]
        keep = (col >= 0) & (table.distance <= catchment)
        rows.append(table.origin[keep])
        cols.append(col[keep])
        offset += len(fac)
    n = len(candidates.sites)
    i = np.concatenate(rows) if rows else np.empty(0, np.int64)
    j = np.concatenate(cols) if cols else np.empty(0, np.int64)
    out = sparse.csr_array((np.ones(len(i), dtype=bool), (i, j)), shape=(n_demand, n))
    out.sum_duplicates()
    out.sort_indices()
    return out


def served(model: AccessModel | None, theme: str, catchment: float, n_demand: int) -> np.ndarray:
    """Boolean per Output Area: a place of ``theme`` within ``catchment`` walking metres (the
    gap finder's "within reach"; places anywhere in London count). All False when the theme
    has no place in ``model`` (or is :data:`LINK_WORKER_THEME`)."""
    out = np.zeros(n_demand, dtype=bool)
    if model is None or theme not in model.supply.themes:
        return out
    mask = model.supply.theme_mask(theme)
    t = model.table
    hit = mask[t.facility] & (t.distance <= catchment)
    out[t.origin[hit]] = True
    return out
