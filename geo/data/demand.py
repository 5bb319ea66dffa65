"""Where Londoners live: the Census 2021 Output Areas as demand points.

Reads the raw official files into one row per London Output Area (OA, 2021): its ONS
population-weighted centroid, its usual residents (Census 2021 TS001) and its parent LSOA in
both LSOA vintages the app offers. Written by the build to ``data/demand/london_oas.parquet``.

Sources (Open Government Licence v3.0):

- ``geography/ons-pwc-2021/oa21_pwc.json.gz`` (:data:`OA_PWC`): ONS "Output Areas (2021)
  population-weighted centroids" (V3), GeoJSON lines, WGS84 lon/lat rounded to 6 decimals,
  used as given.
- ``population/census2021-ts001-oa/TS001_residence_type_2021.csv.gz`` (:data:`TS001`): Census
  2021 TS001, OA rows: ``Total`` = usual residents, ``Parent area code`` = the OA's LSOA 2021.

LSOA 2011 of an OA (for the IoD 2019 vintage)
---------------------------------------------
An OA 2021 nests in one LSOA 2021. Where that LSOA 2021 comes from exactly one LSOA 2011
(change code U, unchanged, or S, split from a 2011 LSOA), the OA is in that LSOA 2011 by the
ONS exact-fit lookup. Where the LSOA 2021 merges several 2011 LSOAs (M; London has no X,
complex, change), the OA goes to the merged 2011 LSOA whose boundary contains its
population-weighted centroid (the nearest of them if none does). In the raw data: 26,179 OAs
by the lookup, 190 OAs (22 LSOAs 2021 merged from 44 LSOAs 2011) by point in polygon; every
LSOA 2011 gets at least one OA. The LSOA 2011 population-weighted centroids are not needed.

Coordinates
-----------
``x``, ``y`` (EPSG:27700) are projected from the given lon/lat with :mod:`pyproj`'s default
WGS84 -> British National Grid transformation (the one ``GeoDataFrame.to_crs(27700)`` uses).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.data.sources import OA_PWC, TS001, SourceError

__all__ = [
    "LONDON_OA_COUNT",
    "LONDON_OA_POPULATION",
    "london_oas",
    "oa_lsoa11",
    "read_oa_centroids",
    "read_oa_population",
]

#: Published counts the reader is checked against (SOURCES.md): London OAs and their residents.
LONDON_OA_COUNT = 26_369
LONDON_OA_POPULATION = 8_799_770

_WGS84_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _file(raw: str | Path, rel: str) -> Path:
    path = Path(raw) / rel
    if not path.is_file():
        raise SourceError(f"Raw file not found: {path} (expected under the raw folder {raw}).")
    return path


def read_oa_centroids(raw: str | Path) -> pd.DataFrame:
    """ONS OA 2021 population-weighted centroids for England and Wales.

    Parameters
    ----------
    raw : str or pathlib.Path
        The raw data folder.

    Returns
    -------
    pandas.DataFrame
        ``oa_code``, ``lon``, ``lat`` (float64, the file's 6-decimal values), one row per OA
        (188,880).

    Raises
    ------
    geo.data.sources.SourceError
        Missing file, a line that is not a point feature with ``areacd``, or a repeated code.
    """
    path = _file(raw, OA_PWC)
    codes: list[str] = []
    lon: list[float] = []
    lat: list[float] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                feat = json.loads(line)
                code = feat["properties"]["areacd"]
                geom = feat["geometry"]
                if geom["type"] != "Point":
                    raise ValueError(f"geometry type {geom['type']}")
                x, y = geom["coordinates"][:2]
            except (ValueError, KeyError, TypeError) as exc:
                raise SourceError(f"{path} line {n} is not an OA centroid point ({exc}).") from exc
            codes.append(str(code))
            lon.append(float(x))
            lat.append(float(y))
    out = pd.DataFrame({"oa_code": codes, "lon": lon, "lat": lat})
    dup = out["oa_code"].duplicated()
    if dup.any():
        raise SourceError(
            f"{path} lists {int(dup.sum())} OA code(s) twice, e.g. {out['oa_code'][dup].iloc[0]}."
        )
    return out


def read_oa_population(raw: str | Path) -> pd.DataFrame:
    """Census 2021 usual residents (TS001 ``Total``) of every OA in England and Wales.

    Returns
    -------
    pandas.DataFrame
        ``oa_code``, ``lsoa21_code`` (TS001 ``Parent area code``), ``population`` (int64);
        one row per OA (188,880).
    """
    path = _file(raw, TS001)
    cols = ["Geography code", "Geography area type", "Parent area code", "Total"]
    try:
        table = pd.read_csv(path, usecols=cols, dtype={"Total": "int64"})
    except (ValueError, KeyError) as exc:
        raise SourceError(f"{path} does not have the TS001 columns {cols} ({exc}).") from exc
    oa = table[table["Geography area type"] == "Output Area"]
    out = pd.DataFrame(
        {
            "oa_code": oa["Geography code"].astype(str).to_numpy(),
            "lsoa21_code": oa["Parent area code"].astype(str).to_numpy(),
            "population": oa["Total"].to_numpy(dtype=np.int64),
        }
    )
    if out["oa_code"].duplicated().any():
        raise SourceError(f"{path} lists an Output Area twice.")
    if (out["population"] < 0).any():
        raise SourceError(f"{path} has a negative Total.")
    return out


def london_oas(raw: str | Path, lsoa21_codes: pd.Index) -> pd.DataFrame:
    """One row per London Output Area 2021: centroid, residents and LSOA 2021.

    London = OAs whose parent LSOA 2021 (TS001) is one of ``lsoa21_codes``.

    Parameters
    ----------
    raw : str or pathlib.Path
        The raw data folder.
    lsoa21_codes : pandas.Index
        The 4,994 London LSOA 2021 codes (the boundary file's).

    Returns
    -------
    pandas.DataFrame
        Indexed 0..n-1 and sorted by ``oa_code``: ``oa_code``, ``lsoa21_code``,
        ``population`` (int64, Census 2021 usual residents), ``lon``, ``lat`` (as given),
        ``x``, ``y`` (EPSG:27700 metres). 26,369 rows, 8,799,770 residents.

    Raises
    ------
    geo.data.sources.SourceError
        When a London OA has no centroid, or a London LSOA has no OA.
    """
    codes = pd.Index(lsoa21_codes)
    pop = read_oa_population(raw)
    pop = pop[pop["lsoa21_code"].isin(codes)]
    pwc = read_oa_centroids(raw)
    out = pop.merge(pwc, on="oa_code", how="left", validate="one_to_one")
    missing = out["lon"].isna()
    if missing.any():
        raise SourceError(
            f"{int(missing.sum())} London OA(s) have no population-weighted centroid in "
            f"{OA_PWC}, e.g. {out.loc[missing, 'oa_code'].iloc[0]}."
        )
    empty = codes.difference(pd.Index(out["lsoa21_code"].unique()))
    if len(empty):
        raise SourceError(
            f"{len(empty)} London LSOA(s) 2021 have no Output Area in {TS001}, e.g. {empty[0]}."
        )
    x, y = _WGS84_TO_BNG.transform(out["lon"].to_numpy(), out["lat"].to_numpy())
    out["x"] = x
    out["y"] = y
    out = out.sort_values("oa_code", ignore_index=True)
    return out[["oa_code", "lsoa21_code", "population", "lon", "lat", "x", "y"]]


def oa_lsoa11(oas: pd.DataFrame, lookup: pd.DataFrame, lsoa11: gpd.GeoSeries) -> pd.DataFrame:
    """The LSOA 2011 of each OA (for the IoD 2019 vintage), and how it was found.

    Parameters
    ----------
    oas : pandas.DataFrame
        :func:`london_oas` output (``lsoa21_code``, ``x``, ``y``).
    lookup : pandas.DataFrame
        The ONS exact-fit lookup with ``lsoa11_code`` and ``lsoa21_code`` columns
        (:func:`geo.data.census.read_lsoa_lookup`).
    lsoa11 : geopandas.GeoSeries
        The London LSOA 2011 polygons (EPSG:27700) indexed by LSOA 2011 code.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``oas.index``: ``lsoa11_code`` and ``lsoa11_method`` (``"exact-fit"``
        where the LSOA 2021 comes from one LSOA 2011, change U or S; ``"point-in-polygon"``
        where it merges several, change M; ``"nearest-polygon"`` where the centroid is in
        none of the merged LSOAs, then the nearest). See the module docstring.

    Raises
    ------
    geo.data.sources.SourceError
        When an LSOA 2021 is not in the lookup, or an LSOA 2011 ends up with no OA.
    """
    pairs = lookup[["lsoa11_code", "lsoa21_code"]].astype(str)
    pairs = pairs[pairs["lsoa21_code"].isin(oas["lsoa21_code"])].drop_duplicates()
    unknown = set(oas["lsoa21_code"]) - set(pairs["lsoa21_code"])
    if unknown:
        raise SourceError(
            f"{len(unknown)} LSOA 2021 code(s) are not in the LSOA 2011 -> 2021 lookup, e.g. "
            f"{sorted(unknown)[0]}."
        )
    parents = pairs.groupby("lsoa21_code")["lsoa11_code"].agg(list)
    single = parents[parents.map(len) == 1].map(lambda v: v[0])
    code = oas["lsoa21_code"].map(single)
    method = pd.Series(np.where(code.notna(), "exact-fit", ""), index=oas.index, dtype=object)
    multi = code.isna().to_numpy()
    if multi.any():
        sub = oas[multi]
        pts = gpd.points_from_xy(sub["x"], sub["y"])
        found, how = [], []
        for lsoa21, pt in zip(sub["lsoa21_code"], pts, strict=True):
            candidates = parents[lsoa21]
            geoms = lsoa11.reindex(candidates)
            inside = [
                c
                for c, g in zip(candidates, geoms, strict=True)
                if g is not None and g.contains(pt)
            ]
            if len(inside) == 1:
                found.append(inside[0])
                how.append("point-in-polygon")
            else:
                dist = [g.distance(pt) if g is not None else np.inf for g in geoms]
                found.append(candidates[int(np.argmin(dist))])
                how.append("nearest-polygon")
        code = code.astype(object)
        code[multi] = found
        method[multi] = how
    empty = lsoa11.index.difference(pd.Index(code.unique()))
    if len(empty):
        raise SourceError(
            f"{len(empty)} London LSOA(s) 2011 get no Output Area, e.g. {empty[0]}; the OA to "
            "LSOA 2011 assignment needs another rule for them."
        )
    return pd.DataFrame({"lsoa11_code": code.astype(str), "lsoa11_method": method.astype(str)})
