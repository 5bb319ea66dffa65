"""Load the processed data under ``data/``.

Each loader reads a GeoParquet file written by ``python -m geo build`` and fails with a
:class:`DataError` naming the file and the command to run when it is missing or unreadable.
Loaders are memoised per process (``functools.lru_cache``) and return copies, so callers can
change what they get without affecting later calls.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Transformer

from geo.data.indicators import DEFAULT_VINTAGE, VINTAGES, iod_columns
from geo.data.streets import WalkNetwork, network_from_tables

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

_REBUILD = "Run `python -m geo build` (it reads ../shared/data/raw) to rebuild the processed data."


class DataError(RuntimeError):
    """Processed data is missing or corrupt; the message names the file and the fix."""


def _geography(vintage: str) -> str:
    if vintage not in VINTAGES:
        raise ValueError(f"Unknown vintage {vintage!r}; expected one of {', '.join(VINTAGES)}")
    return VINTAGES[vintage]["geography"]


def _path(*parts: str, data_dir: Path | None = None) -> Path:
    return Path(data_dir or DATA_DIR).joinpath(*parts)


@lru_cache(maxsize=32)
def _read(path: Path, index: str | None, required: tuple[str, ...]) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise DataError(f"Processed data file not found: {path}. {_REBUILD}")
    try:
        gdf = gpd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"Processed data file {path} cannot be read ({exc}). {_REBUILD}") from exc
    missing = [c for c in required if c not in gdf.columns]
    if gdf.index.name != index or missing:
        raise DataError(
            f"Processed data file {path} is not in the expected form (index {gdf.index.name!r},"
            f" missing columns {missing}). {_REBUILD}"
        )
    return gdf


def clear_cache() -> None:
    """Forget the files read so far in this process (the next load reads them again)."""
    _read.cache_clear()
    _read_table.cache_clear()
    _plain_text.cache_clear()
    _network.cache_clear()


def load_lsoas(
    vintage: str = DEFAULT_VINTAGE, *, web: bool = False, data_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """London LSOAs with deprivation and population for ``vintage``.

    Parameters
    ----------
    vintage
        ``"iod2025"`` (LSOA 2021, 4,994 rows) or ``"iod2019"`` (LSOA 2011, 4,835 rows).
    web
        ``False``: full-resolution geometry in EPSG:27700 for analysis. ``True``: the simplified
        EPSG:4326 geometry for maps, with the same attribute columns.
    data_dir
        Another processed data folder (tests).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``lsoa_code``; columns as in ``docs/ARCHITECTURE.md``.
    """
    geog = _geography(vintage)
    required = ("lsoa_name", "borough_code", "borough_name", "population", *iod_columns())
    attrs = _read(
        _path("boundaries", f"lsoa_{geog}.parquet", data_dir=data_dir), "lsoa_code", required
    )
    if not web:
        return attrs.copy()
    geom = _read(_path("web", f"lsoa_{geog}.parquet", data_dir=data_dir), "lsoa_code", ())
    return _with_geometry(attrs, geom)


def load_boroughs(
    vintage: str = DEFAULT_VINTAGE, *, web: bool = False, data_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """London's 33 boroughs with the borough summaries of ``vintage``.

    Indexed by ``borough_code``; ``borough_name``, ``inner``, ``n_lsoa``, ``population`` and per
    domain ``{d}_avg_score``, ``{d}_avg_score_rank``, ``{d}_share_10``, ``{d}_share_20``.
    """
    geog = _geography(vintage)
    required = ("borough_name", "inner", "n_lsoa", "imd_avg_score", "imd_share_10")
    path = _path("boundaries", f"boroughs_{geog}.parquet", data_dir=data_dir)
    attrs = _read(path, "borough_code", required)
    if not web:
        return attrs.copy()
    geom = _read(_path("web", f"boroughs_{geog}.parquet", data_dir=data_dir), "borough_code", ())
    return _with_geometry(attrs, geom)


def _with_geometry(attrs: gpd.GeoDataFrame, geom: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not geom.index.equals(attrs.index):
        raise DataError("The web layer and the analysis layer list different areas. " + _REBUILD)
    frame = pd.DataFrame(attrs.drop(columns=attrs.geometry.name))
    return gpd.GeoDataFrame(frame, geometry=geom.geometry.values, crs=geom.crs)


def load_manifest(data_dir: Path | None = None) -> dict:
    """The build manifest (``data/MANIFEST.json``): every processed file and its sources."""
    path = _path("MANIFEST.json", data_dir=data_dir)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise DataError(f"{path} not found. {_REBUILD}") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}). {_REBUILD}") from exc


@lru_cache(maxsize=8)
def _read_table(path: Path, required: tuple[str, ...], index: str | None) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"Processed data file not found: {path}. {_REBUILD}")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"Processed data file {path} cannot be read ({exc}). {_REBUILD}") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing or (index is not None and frame.index.name != index):
        raise DataError(
            f"Processed data file {path} is not in the expected form (index "
            f"{frame.index.name!r}, missing columns {missing}). {_REBUILD}"
        )
    return frame


def load_postcodes(data_dir: Path | None = None) -> pd.DataFrame:
    """The offline London postcode lookup (OS Code-Point Open, April 2025).

    Returns
    -------
    pandas.DataFrame
        One row per live London postcode (about 180,750): ``postcode`` (normalised, e.g.
        "SW1A 1AA"), ``easting``, ``northing`` (EPSG:27700 metres), ``borough_code``,
        ``lsoa21_code``, ``lsoa11_code`` (point in polygon), ``positional_quality`` (Code-Point
        PQI), ``admin_district_code`` (Code-Point's own borough code).

    Raises
    ------
    DataError
        If the file is missing or unreadable.
    """
    required = ("postcode", "easting", "northing", "borough_code", "lsoa21_code", "lsoa11_code")
    path = _path("postcodes", "london_postcodes.parquet", data_dir=data_dir)
    return _plain_text(path, required).copy()


@lru_cache(maxsize=4)
def _plain_text(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """The table at ``path`` with categorical columns (stored so to keep the file small) as
    plain text."""
    out = _read_table(path, required, None).copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("str")
    return out


def load_services(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The bundled London service directory (points, EPSG:27700) indexed by ``service_id``.

    One row per place: GP practices, pharmacies, libraries, community centres, places of
    worship (community assets) and Jobcentre Plus offices; columns as in
    ``docs/ARCHITECTURE.md`` (``name``, ``category``, ``theme``, ``themes``, ``kind``,
    ``borough_code``, ``lsoa21_code``, ``lsoa11_code``, ``source``, ``vintage``, ``capacity``, ...).
    Parks are in :func:`load_parks`.
    """
    required = ("name", "category", "theme", "themes", "kind", "borough_code", "lsoa21_code")
    required += ("lsoa11_code", "source", "vintage", "vintage_year", "licence", "capacity")
    path = _path("services", "services.parquet", data_dir=data_dir)
    return _read(path, "service_id", required).copy()


def load_parks(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Park polygons (OS Open Greenspace 2019, EPSG:27700) indexed by ``park_id``."""
    required = ("name", "category", "theme", "themes", "kind", "area_m2", "borough_code")
    required += ("borough_name", "source", "vintage", "vintage_year", "licence")
    return _read(_path("services", "parks.parquet", data_dir=data_dir), "park_id", required).copy()


def load_park_edges(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Points at most 50 m apart along every park boundary (EPSG:27700): ``park_id``, geometry.

    Access to a park is the distance to the nearest of its edge points.
    """
    path = _path("services", "park_edges.parquet", data_dir=data_dir)
    gdf = _read(path, None, ("park_id",))
    return gdf.copy()


def load_link_workers(data_dir: Path | None = None) -> pd.DataFrame:
    """Social prescribing link workers per London Primary Care Network, indexed by ``pcn_code``.

    Columns ``pcn_name``, ``icb_code``, ``lw_fte`` (November 2025; NaN = the PCN has no
    workforce record, unknown), ``has_workforce_record``, ``registered_patients`` (December
    2025, sum of member practices), ``lw_per_10k``, ``n_practices``, ``practice_codes``,
    ``borough_codes``.
    """
    required = ("pcn_name", "icb_code", "lw_fte", "has_workforce_record", "registered_patients")
    required += ("lw_per_10k", "n_practices", "borough_codes")
    path = _path("services", "link_workers.parquet", data_dir=data_dir)
    return _read_table(path, required, "pcn_code").copy()


def load_icbs(data_dir: Path | None = None) -> pd.DataFrame:
    """London's five Integrated Care Boards, indexed by ``icb_code`` (e.g. "QMJ").

    Columns ``icb_name`` (NHS name), ``short_name`` ("North Central London"),
    ``ons_icb_code`` (E54...), ``borough_codes`` and ``borough_names`` ("; "-joined: the
    boroughs it commissions for), ``n_boroughs``, ``practices``, ``pcns``.
    """
    required = ("icb_name", "short_name", "borough_codes", "borough_names", "n_boroughs")
    path = _path("services", "icbs.parquet", data_dir=data_dir)
    return _read_table(path, required, "icb_code").copy()


def load_registrations(data_dir: Path | None = None) -> pd.DataFrame:
    """Where each London practice's patients live (NHS England, July 2023, LSOA 2011).

    Columns ``practice_code`` (missing = the rows of a London LSOA's residents registered at
    practices outside the December 2025 London map), ``lsoa11_code`` ("NO2011" = not known)
    and ``patients``. See :mod:`geo.data.registrations`.
    """
    path = _path("services", "registrations_lsoa.parquet", data_dir=data_dir)
    return _read_table(path, ("practice_code", "lsoa11_code", "patients"), None).copy()


# --------------------------------------------------------------------------------------------
# walking access: where people live, the street network, the measured detour
# --------------------------------------------------------------------------------------------
_WGS84_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def load_oas(data_dir: Path | None = None) -> pd.DataFrame:
    """The 26,369 London Output Areas 2021 (``data/demand/london_oas.parquet``).

    Returns
    -------
    pandas.DataFrame
        Indexed 0..n-1 in ``oa_code`` order: ``oa_code``, ``lsoa21_code``, ``lsoa11_code``,
        ``lsoa11_method``, ``population`` (Census 2021 usual residents), ``lon``, ``lat`` (the
        ONS population-weighted centroid as given), ``x``, ``y`` (EPSG:27700, projected from
        them with pyproj's default transformation).
    """
    required = ("oa_code", "lsoa21_code", "lsoa11_code", "population", "lon_e6", "lat_e6")
    path = _path("demand", "london_oas.parquet", data_dir=data_dir)
    frame = _read_table(path, required, None).copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("str")
    frame["lon"] = frame.pop("lon_e6").to_numpy() / 1e6
    frame["lat"] = frame.pop("lat_e6").to_numpy() / 1e6
    x, y = _WGS84_TO_BNG.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    frame["x"] = x
    frame["y"] = y
    return frame


@lru_cache(maxsize=2)
def _network(nodes: Path, edges: Path) -> WalkNetwork:
    return network_from_tables(
        _read_table(nodes, ("x_cm", "y_cm"), None), _read_table(edges, ("a", "b"), None)
    )


def load_walk_network(data_dir: Path | None = None) -> WalkNetwork:
    """The walking network the build made from the OpenStreetMap extract (shared: do not
    modify it)."""
    return _network(
        _path("streets", "walk_nodes.parquet", data_dir=data_dir),
        _path("streets", "walk_edges.parquet", data_dir=data_dir),
    )


def load_oa_place_network(data_dir: Path | None = None) -> pd.DataFrame:
    """Walking metres on the network from covered OAs to covered bundled places within
    1,600 m: ``oa`` (row of :func:`load_oas`), ``place`` (facility id), ``metres``."""
    path = _path("streets", "oa_place_network.parquet", data_dir=data_dir)
    return _read_table(path, ("oa", "place", "metres"), None).copy()


def load_detour(data_dir: Path | None = None) -> dict:
    """The detour factor measured by the build (``data/streets/detour.json``): the default
    detour (``detour_default``), its spread per category, covered boroughs and figures."""
    path = _path("streets", "detour.json", data_dir=data_dir)
    try:
        report = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise DataError(f"{path} not found. {_REBUILD}") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}). {_REBUILD}") from exc
    if not isinstance(report.get("detour_default"), int | float):
        raise DataError(f"{path} has no measured detour_default. {_REBUILD}")
    return report
