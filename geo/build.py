"""Build the processed data the app loads from the raw official files.

Run ``python -m geo.build`` (``--raw DIR`` for another raw folder, ``--out DIR`` for another
output folder). The raw folder is ``../shared/data/raw`` by default; every input file is checked
against the sha256 pinned in :data:`RAW_INPUTS` before anything is read, so a missing or altered
file stops the build with a message naming it.

Outputs (see ``docs/ARCHITECTURE.md``)::

    data/boundaries/lsoa_2021.parquet      LSOA 2021 + IoD2025, EPSG:27700
    data/boundaries/lsoa_2011.parquet      LSOA 2011 + IoD2019, EPSG:27700
    data/boundaries/boroughs_2021.parquet  33 boroughs + IoD2025 borough summaries
    data/boundaries/boroughs_2011.parquet  33 boroughs + IoD2019 borough summaries
    data/web/*.parquet                     EPSG:4326, coverage-simplified, rounded, code only
    data/postcodes/london_postcodes.parquet  only when a postcode lookup is in the raw folder
    data/MANIFEST.json                     inputs, sha256, licence and build date of each file

The build is deterministic: the same inputs give the same bytes (the build date is the UTC day,
or ``SOURCE_DATE_EPOCH`` when set).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.indicators import DOMAINS, iod_columns

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RAW = PROJECT_ROOT.parent / "shared" / "data" / "raw"
DEFAULT_OUT = PROJECT_ROOT / "data"

#: Analysis CRS (British National Grid) and web CRS.
BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Coverage simplification tolerance for the web layers, metres (EPSG:27700).
WEB_TOLERANCE_M = 30.0
#: Decimal places kept in web coordinates (1e-5 degrees is about 1.1 m north-south in London).
WEB_DECIMALS = 5

OGL = "Open Government Licence v3.0"
ATTRIBUTION_BOUNDARIES = (
    "Contains National Statistics data © Crown copyright and database right. "
    "Contains Ordnance Survey data © Crown copyright and database right."
)
ATTRIBUTION_IOD = (
    "English Indices of Deprivation, Ministry of Housing, Communities and Local Government, OGL."
)
ATTRIBUTION_POP = (
    "Office for National Statistics mid-2020 population estimates, © Crown copyright, OGL."
)

#: Raw inputs, relative to the raw folder, with the sha256 this build was written against.
RAW_INPUTS: dict[str, str] = {
    "boundaries/london-2021/london-2021-lsoa-gen20.shp": "ac965ab4279bc2c01cf2b539890645231dea67480c5eaa43b977d6fac028f4d0",
    "boundaries/london-2021/london-2021-lsoa-gen20.shx": "928f17d5be0bcf8007075e716ceb71db024bbe93d23a4e51fc2bb6a0da24ea20",
    "boundaries/london-2021/london-2021-lsoa-gen20.dbf": "3462cc02346975959948b4a6e381ab162eb1f910e1c46442465534ca9c4f04bb",
    "boundaries/london-2021/london-2021-lsoa-gen20.prj": "d97d276680377a05a19a8b8030ae04c4a87e883a9e5c07d0c646e5402e773a89",
    "boundaries/london-2021/london-2021-lsoa-gen20.cpg": "09fc313075748ce8ead962229ed89c919d5a9ff71974ee725a0b48bb87d975a2",
    "boundaries/london-2021/london-2021-lad22-gen20.shp": "6797e5dd2eeb4892da0eee42ce169885715a34741994cfa5dd343898cc33644e",
    "boundaries/london-2021/london-2021-lad22-gen20.shx": "a24236d0e7b05ff663ac3436e10a94dcc1cc89cc8864e856a2f109204fa8e28b",
    "boundaries/london-2021/london-2021-lad22-gen20.dbf": "3da8f72618c2147c7bbd6cf29ade11853b43464d4c3fbeea3a481a5e050d1ce3",
    "boundaries/london-2021/london-2021-lad22-gen20.prj": "d97d276680377a05a19a8b8030ae04c4a87e883a9e5c07d0c646e5402e773a89",
    "boundaries/london-2021/london-2021-lad22-gen20.cpg": "09fc313075748ce8ead962229ed89c919d5a9ff71974ee725a0b48bb87d975a2",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.shp": "02773dbcb524c8a95e359c6634545a75f92e775168540d09ab2853c5e84642b4",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.shx": "b72619c33e9081704d6903320700f74ba8b1fc6d125fbd2ddf38761ea98bb903",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.dbf": "29cb00a5131e0b55fad7afe56d8119f81608c7d67251e6278d66bb01c7653a07",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.prj": "136e03e16e6030eb237481d1494e903d21844a4cf255d69be88985d3dfccc616",
    "boundaries/london-2011/London_Borough_Excluding_MHW.shp": "5d296f021b931c091b9b97fdfb4118406ee82376f7f1a73bf348236b1f68c0a5",
    "boundaries/london-2011/London_Borough_Excluding_MHW.shx": "743d103b9b1210cb3337f8e1723b03ead25377443f8b3a7635d699bf38702400",
    "boundaries/london-2011/London_Borough_Excluding_MHW.dbf": "6391c2d0a91adc887eb424d7caa590de0575d4b5e039ae7ddd3fc75af1e9e275",
    "boundaries/london-2011/London_Borough_Excluding_MHW.prj": "fdd6daa5b46cf1186ebbbb0f44d8c1aee9fc6f5022698f90f6629281925ea8ad",
    "deprivation/iod2025/iod2025_lsoa21_scores_ranks_deciles.csv": "e82cc5533ba7c54e12426fbb39a1d472749e9c4115cc4cd3640f3ca59d77af08",
    "deprivation/iod2019/ID_2019_for_London_GLA.xlsx": "4fc715fdcf03ce7be3addbd43ae1de0e5466d5b4fc8d4c3a3c6a5450e4b1ae8c",
    "population/london-lsoa11-mid2020-pop.csv": "37825a0026b3b68c3ccc7df56582307c64e7ac0782ea9b7b8b3133187bb28f3c",
}

#: Optional raw folder holding an ONS Postcode Directory or Code-Point Open style CSV.
POSTCODE_DIR = "postcodes"

_LSOA21 = "boundaries/london-2021/london-2021-lsoa-gen20"
_LAD22 = "boundaries/london-2021/london-2021-lad22-gen20"
_LSOA11 = "boundaries/london-2011/LSOA_2011_London_gen_MHW"
_BOR11 = "boundaries/london-2011/London_Borough_Excluding_MHW"
_IOD25 = "deprivation/iod2025/iod2025_lsoa21_scores_ranks_deciles.csv"
_IOD19 = "deprivation/iod2019/ID_2019_for_London_GLA.xlsx"
_POP20 = "population/london-lsoa11-mid2020-pop.csv"

#: IoD2025 CSV domain prefixes -> our domain keys.
_IOD25_PREFIX = {
    "IMD": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Housing_and_Services": "housing",
    "Environment": "environment",
}

#: GLA IoD2019 workbook column prefixes -> our domain keys.
_IOD19_PREFIX = {
    "Index of Multiple Deprivation (IMD)": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education, Skills and Training": "education",
    "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "housing",
    "Living Environment": "environment",
}

BASIS_SAME = "ONS mid-2020 estimate for the same LSOA (boundary unchanged 2011 to 2021)"
BASIS_AREAL = (
    "ONS mid-2020 estimates of the 2011 LSOAs it was formed from, shared out by area "
    "(boundary changed 2011 to 2021): an estimate"
)
BASIS_2011 = "ONS mid-2020 estimate (LSOA 2011)"


class BuildError(RuntimeError):
    """The raw data cannot be built into processed data; the message says what to fix."""


# --------------------------------------------------------------------------------------------
# Raw inputs
# --------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_raw(raw: Path, expected: dict[str, str] | None = None) -> dict[str, str]:
    """Check every pinned raw input exists and has the expected sha256.

    Returns
    -------
    dict
        Relative path -> sha256 of each verified file.

    Raises
    ------
    BuildError
        Naming every missing or altered file, and what to do.
    """
    expected = RAW_INPUTS if expected is None else expected
    raw = Path(raw)
    if not raw.is_dir():
        raise BuildError(
            f"Raw data folder not found: {raw}. Put the official files there "
            "(see ../shared/data/raw/SOURCES.md) or pass --raw DIR."
        )
    missing, altered, seen = [], [], {}
    for rel, sha in sorted(expected.items()):
        path = raw / rel
        if not path.is_file():
            missing.append(rel)
            continue
        got = sha256_file(path)
        if got != sha:
            altered.append(f"{rel} (sha256 {got[:12]}…, expected {sha[:12]}…)")
        seen[rel] = got
    problems = []
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if altered:
        problems.append("altered: " + ", ".join(altered))
    if problems:
        raise BuildError(
            f"Raw data in {raw} does not match the files this build was written for; "
            + "; ".join(problems)
            + ". Restore the official files listed in SOURCES.md (check with `sha256sum -c "
            "SHA256SUMS`), or, for a deliberate new release, update RAW_INPUTS in geo/build.py."
        )
    return seen


def _shapefile_parts(stem: str) -> list[str]:
    """The pinned raw files of one shapefile (.shp, .shx, .dbf, .prj and .cpg where present)."""
    return [rel for rel in RAW_INPUTS if rel.rsplit(".", 1)[0] == stem]


def _shapefile(raw: Path, stem: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(raw / f"{stem}.shp", engine="pyogrio")
    # The London Datastore .prj files are ESRI-style; the data is British National Grid.
    return gdf.set_crs(BNG, allow_override=True)


def _read_lsoas(raw: Path, stem: str, *, lsoa: str, lad: str, msoa: str) -> gpd.GeoDataFrame:
    """An LSOA shapefile with our column names, indexed and sorted by code, geometry repaired."""
    gdf = _shapefile(raw, stem).rename(
        columns={
            f"{lsoa}CD": "lsoa_code",
            f"{lsoa}NM": "lsoa_name",
            f"{msoa}CD": "msoa_code",
            f"{lad}CD": "borough_code",
            f"{lad}NM": "borough_name",
        }
    )
    gdf = gdf.set_index("lsoa_code").sort_index()
    gdf["geometry"] = _repair(gdf.geometry)
    return gdf


def _repair(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """make_valid, keep only polygonal parts, and snap to a 1 mm grid so neighbours share edges."""
    fixed = shapely.make_valid(geoms.values)
    fixed = shapely.set_precision(fixed, 0.001)
    fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
    return gpd.GeoSeries(fixed, index=geoms.index, crs=geoms.crs)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


# --------------------------------------------------------------------------------------------
# Deprivation and population
# --------------------------------------------------------------------------------------------


def read_iod2025(raw: Path) -> pd.DataFrame:
    """IoD2025 scores, ranks and deciles for every LSOA 2021 in England, our column names."""
    df = pd.read_csv(raw / _IOD25, dtype={"lsoa21_code": str})
    out = pd.DataFrame(index=pd.Index(df["lsoa21_code"], name="lsoa_code"))
    for prefix, key in _IOD25_PREFIX.items():
        out[f"{key}_score"] = df[f"{prefix}_score"].to_numpy(dtype="float64")
        out[f"{key}_rank"] = df[f"{prefix}_rank"].to_numpy(dtype="int64")
        out[f"{key}_decile"] = df[f"{prefix}_decile"].to_numpy(dtype="int64")
    return out[iod_columns()]


def read_iod2019(raw: Path) -> pd.DataFrame:
    """IoD2019 scores, ranks and deciles and the mid-2015 denominators for London's LSOAs 2011.

    From the GLA workbook, sheet "IMD 2019" (scores, ranks, deciles) and "Population figures"
    (the mid-2015 population the indices use as denominators).
    """
    path = raw / _IOD19
    sheet = pd.read_excel(path, sheet_name="IMD 2019", engine="calamine")
    out = pd.DataFrame(index=pd.Index(sheet["geography code"].astype(str), name="lsoa_code"))
    for prefix, key in _IOD19_PREFIX.items():
        for measure, head in (("score", "Score"), ("rank", "Rank"), ("decile", "Decile")):
            cols = [c for c in sheet.columns if str(c).startswith(f"{prefix} {head}")]
            if len(cols) != 1:
                raise BuildError(f"{_IOD19}: expected one '{prefix} {head}' column, found {cols}")
            dtype = "float64" if measure == "score" else "int64"
            out[f"{key}_{measure}"] = sheet[cols[0]].to_numpy(dtype=dtype)
    pop = pd.read_excel(path, sheet_name="Population figures", engine="calamine")
    pop = pop.set_index(pop.columns[0])
    total = [c for c in pop.columns if str(c).startswith("Total population: mid 2015")][0]
    out = out[iod_columns()]
    out["population_mid2015"] = pop[total].reindex(out.index).to_numpy(dtype="int64")
    return out


def read_population_2011(raw: Path) -> pd.DataFrame:
    """ONS mid-2020 population for London's LSOAs 2011: all ages and 65+."""
    df = pd.read_csv(raw / _POP20, dtype={"LSOA11CD": str})
    out = pd.DataFrame(
        {
            "population": df["Persons_All-Ages"].to_numpy(dtype="int64"),
            "population_65plus": df["Persons_65+"].to_numpy(dtype="int64"),
        },
        index=pd.Index(df["LSOA11CD"], name="lsoa_code"),
    )
    return out


def population_2021(
    lsoa21: gpd.GeoDataFrame, lsoa11: gpd.GeoDataFrame, pop11: pd.DataFrame
) -> pd.DataFrame:
    """Mid-2020 population on LSOA 2021 geography.

    Where an LSOA's code is the same in 2011 and 2021 its boundary did not change, and the ONS
    mid-2020 estimate is used as it is. The other LSOAs 2021 (split, merged or redrawn) get the
    population of the changed LSOAs 2011 shared out in proportion to overlapping area
    (areal weighting), normalised so each 2011 LSOA's population is shared out in full. Those
    rows are labelled as estimates in ``population_basis``.
    """
    same = lsoa21.index.intersection(lsoa11.index)
    out = pd.DataFrame(index=lsoa21.index)
    out["population"] = np.nan
    out["population_65plus"] = np.nan
    out.loc[same, ["population", "population_65plus"]] = pop11.loc[
        same, ["population", "population_65plus"]
    ].to_numpy(dtype="float64")
    out["population_basis"] = BASIS_SAME

    tgt = lsoa21.loc[lsoa21.index.difference(same), ["geometry"]]
    src = lsoa11.loc[lsoa11.index.difference(same), ["geometry"]]
    if len(tgt):
        src = src.join(pop11[["population", "population_65plus"]])
        pieces = gpd.overlay(
            src.reset_index().rename(columns={"lsoa_code": "src"}),
            tgt.reset_index().rename(columns={"lsoa_code": "tgt"}),
            how="intersection",
            keep_geom_type=True,
        )
        pieces["area"] = pieces.geometry.area
        pieces["share"] = pieces["area"] / pieces.groupby("src")["area"].transform("sum")
        for col in ("population", "population_65plus"):
            pieces[col] = pieces[col] * pieces["share"]
        est = pieces.groupby("tgt")[["population", "population_65plus"]].sum().round()
        out.loc[est.index, ["population", "population_65plus"]] = est.to_numpy()
        out.loc[tgt.index, "population_basis"] = BASIS_AREAL
    return out


# --------------------------------------------------------------------------------------------
# Boroughs
# --------------------------------------------------------------------------------------------


def borough_summary(lsoas: pd.DataFrame, weights: str | None = "population") -> pd.DataFrame:
    """Borough summaries of LSOA deprivation, as MHCLG's local authority summaries define them.

    For each domain ``d`` and borough ``b`` with LSOAs ``i`` and population ``p_i``:

    - ``{d}_avg_score`` = sum(p_i * score_i) / sum(p_i): population-weighted average score
      (MHCLG "average score");
    - ``{d}_avg_score_rank``: rank of that average among London's 33 boroughs, 1 = most deprived;
    - ``{d}_share_10`` / ``{d}_share_20``: share of the borough's LSOAs in England's most
      deprived 10% / 20% (decile 1 / deciles 1-2) (MHCLG "proportion of LSOAs in most deprived
      10% nationally").

    Reference: MHCLG, *The English Indices of Deprivation 2019: Technical report*, section 3.8
    (summary measures for higher-level geographies).
    """
    grouped = lsoas.groupby("borough_code", sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(lsoas["borough_code"].unique()), name="borough_code"))
    out["n_lsoa"] = grouped.size()
    w = lsoas[weights].astype("float64") if weights else pd.Series(1.0, index=lsoas.index)
    out["population"] = w.groupby(lsoas["borough_code"]).sum().round().astype("int64")
    for d in DOMAINS:
        num = (lsoas[f"{d}_score"] * w).groupby(lsoas["borough_code"]).sum()
        den = w.groupby(lsoas["borough_code"]).sum()
        out[f"{d}_avg_score"] = (num / den).round(3)
        out[f"{d}_avg_score_rank"] = (
            out[f"{d}_avg_score"].rank(ascending=False, method="min").astype("int64")
        )
        dec = lsoas[f"{d}_decile"]
        out[f"{d}_share_10"] = (dec.eq(1).groupby(lsoas["borough_code"]).mean()).round(4)
        out[f"{d}_share_20"] = (dec.le(2).groupby(lsoas["borough_code"]).mean()).round(4)
    return out


# --------------------------------------------------------------------------------------------
# Web layers
# --------------------------------------------------------------------------------------------


def web_layer(gdf: gpd.GeoDataFrame, tolerance: float = WEB_TOLERANCE_M) -> gpd.GeoDataFrame:
    """A copy for the browser: coverage-simplified in EPSG:27700, then EPSG:4326, rounded.

    ``shapely.coverage_simplify`` simplifies shared edges once, so neighbours keep meeting
    without gaps or overlaps. Coordinates are then rounded to :data:`WEB_DECIMALS` places.
    Only the geometry is kept (attributes are joined at render time).
    """
    simple = shapely.coverage_simplify(gdf.geometry.values, tolerance)
    web = gpd.GeoSeries(simple, index=gdf.index, crs=gdf.crs).to_crs(WGS84)
    # Pointwise rounding keeps shared vertices identical on both sides of every shared edge;
    # the few polygons it makes invalid (a vertex collapsing onto an edge) are repaired.
    rounded = shapely.set_precision(web.values, 10.0**-WEB_DECIMALS, mode="pointwise")
    bad = ~shapely.is_valid(rounded)
    rounded[bad] = [_polygonal(g) for g in shapely.make_valid(rounded[bad])]
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(rounded, index=gdf.index, crs=WGS84))


def dissolve_coverage(gdf: gpd.GeoDataFrame, by: pd.Series) -> gpd.GeoDataFrame:
    """Union the polygons of each group on the web coordinate grid, sorted by key."""
    geoms = {
        key: _polygonal(
            shapely.union_all(
                gdf.geometry.values[np.asarray(by == key)], grid_size=10.0**-WEB_DECIMALS
            )
        )
        for key in sorted(by.unique())
    }
    return gpd.GeoDataFrame(
        geometry=gpd.GeoSeries(list(geoms.values()), index=pd.Index(list(geoms), name=by.name)),
        crs=gdf.crs,
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_parquet(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write GeoParquet deterministically (fixed row order, zstd, no timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_parquet(path, compression="zstd", index=True, write_covering_bbox=False)


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
        if epoch
        else _dt.datetime.now(tz=_dt.UTC)
    )
    return when.date().isoformat()


def _entry(
    path: Path,
    out: Path,
    inputs: Iterable[str],
    shas: dict[str, str],
    description: str,
    attribution: list[str],
    rows: int,
) -> dict:
    return {
        "path": path.relative_to(out).as_posix(),
        "description": description,
        "rows": rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "inputs": [{"path": rel, "sha256": shas[rel]} for rel in sorted(inputs)],
        "licence": OGL,
        "attribution": attribution,
    }


# --------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------


def build(raw: Path = DEFAULT_RAW, out: Path = DEFAULT_OUT, *, log=print) -> dict:
    """Build every processed file from ``raw`` into ``out`` and return the manifest."""
    raw, out = Path(raw), Path(out)
    t0 = time.perf_counter()
    shas = verify_raw(raw)
    log(f"verified {len(shas)} raw files in {raw}")

    # --- LSOAs: 2021 (for IoD2025) and 2011 (for IoD2019) ----------------------------------
    l21 = _read_lsoas(raw, _LSOA21, lsoa="LSOA21", lad="LAD22", msoa="MSOA21")
    l11 = _read_lsoas(raw, _LSOA11, lsoa="LSOA11", lad="LAD11", msoa="MSOA11")

    pop11 = read_population_2011(raw)
    iod25 = read_iod2025(raw)
    iod19 = read_iod2019(raw)
    for name, frame, lsoas in (("IoD2025", iod25, l21), ("IoD2019", iod19, l11)):
        missing = lsoas.index.difference(frame.index)
        if len(missing):
            raise BuildError(
                f"{name} has no row for {len(missing)} LSOAs, e.g. {list(missing[:3])}"
            )
    if len(l11.index.difference(pop11.index)):
        raise BuildError("mid-2020 population file lacks some LSOAs 2011")

    pop21 = population_2021(l21, l11, pop11)
    keep = ["lsoa_name", "msoa_code", "borough_code", "borough_name"]
    lsoa21 = gpd.GeoDataFrame(l21[keep].join(pop21).join(iod25), geometry=l21.geometry, crs=BNG)
    lsoa21["population"] = lsoa21["population"].astype("int64")
    lsoa21["population_65plus"] = lsoa21["population_65plus"].astype("int64")

    lsoa11 = gpd.GeoDataFrame(l11[keep].join(pop11).join(iod19), geometry=l11.geometry, crs=BNG)
    lsoa11.insert(lsoa11.columns.get_loc("population_65plus") + 1, "population_basis", BASIS_2011)
    log(f"LSOAs: {len(lsoa21)} (2021), {len(lsoa11)} (2011)")

    # --- Boroughs ---------------------------------------------------------------------------
    b11_raw = _shapefile(raw, _BOR11).set_index("GSS_CODE").sort_index()
    inner = b11_raw["ONS_INNER"].eq("T")
    lad = _shapefile(raw, _LAD22).set_index("LAD22CD").sort_index()

    def _boroughs(geoms: gpd.GeoSeries, names: pd.Series, lsoas: pd.DataFrame, weights: str):
        summary = borough_summary(lsoas, weights)
        frame = pd.DataFrame(
            {"borough_name": names.reindex(summary.index), "inner": inner.reindex(summary.index)}
        ).join(summary)
        return gpd.GeoDataFrame(frame, geometry=geoms.reindex(summary.index).values, crs=BNG)

    bor21 = _boroughs(_repair(lad.geometry), lad["LAD22NM"], lsoa21, "population")
    # IoD2019 borough averages use the indices' own mid-2015 denominators, as MHCLG's do.
    bor11 = _boroughs(_repair(b11_raw.geometry), b11_raw["NAME"], lsoa11, "population_mid2015")
    bor11["population"] = pop11["population"].groupby(lsoa11["borough_code"]).sum()
    for frame in (bor21, bor11):
        frame.index.name = "borough_code"

    # --- Web layers -------------------------------------------------------------------------
    web = {}
    for geog, lsoas in (("2021", lsoa21), ("2011", lsoa11)):
        wl = web_layer(lsoas)
        web[f"lsoa_{geog}"] = wl
        web[f"boroughs_{geog}"] = dissolve_coverage(wl, lsoas["borough_code"])

    # --- Write ------------------------------------------------------------------------------
    files: list[tuple[str, gpd.GeoDataFrame, list[str], str, list[str]]] = [
        (
            "boundaries/lsoa_2021.parquet",
            lsoa21,
            _shapefile_parts(_LSOA21) + [_IOD25, _POP20] + _shapefile_parts(_LSOA11),
            "London LSOAs 2021 (4,994) with IoD2025 scores, ranks and deciles for IMD and its "
            "seven domains, and mid-2020 population (same LSOA, or area-weighted from LSOAs "
            "2011 where boundaries changed; see population_basis). EPSG:27700, made valid.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_POP],
        ),
        (
            "boundaries/lsoa_2011.parquet",
            lsoa11,
            _shapefile_parts(_LSOA11) + [_IOD19, _POP20],
            "London LSOAs 2011 (4,835) with IoD2019 scores, ranks and deciles for IMD and its "
            "seven domains, mid-2015 IoD denominators and mid-2020 population. EPSG:27700, "
            "made valid.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_POP],
        ),
        (
            "boundaries/boroughs_2021.parquet",
            bor21,
            _shapefile_parts(_LAD22) + _shapefile_parts(_BOR11) + [_IOD25, _POP20],
            "London's 33 boroughs (LAD 2022, dissolved from LSOAs 2021) with IoD2025 borough "
            "summaries (population-weighted average scores and their London rank, shares of "
            "LSOAs in England's most deprived 10% and 20%); inner/outer from ONS_INNER.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_POP],
        ),
        (
            "boundaries/boroughs_2011.parquet",
            bor11,
            _shapefile_parts(_BOR11) + [_IOD19, _POP20],
            "London's 33 boroughs (London Datastore, excluding Thames) with IoD2019 borough "
            "summaries weighted by the indices' mid-2015 denominators.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD],
        ),
    ]
    for key, frame in web.items():
        src = "boundaries/" + key + ".parquet"
        files.append(
            (
                "web/" + key + ".parquet",
                frame,
                next(f[2] for f in files if f[0] == src),
                f"Web copy of {src}: coverage-simplified at {WEB_TOLERANCE_M:g} m "
                f"(shapely.coverage_simplify), EPSG:4326, coordinates rounded to "
                f"{WEB_DECIMALS} decimal places, geometry and code only.",
                [ATTRIBUTION_BOUNDARIES],
            )
        )

    entries = []
    for rel, frame, inputs, desc, attribution in files:
        path = out / rel
        write_parquet(frame, path)
        entries.append(_entry(path, out, inputs, shas, desc, attribution, len(frame)))
        log(f"wrote {rel}: {len(frame)} rows, {path.stat().st_size / 1024:.0f} KB")

    entries.extend(_build_postcodes(raw, out, bor21, log))

    manifest = {
        "generator": "python -m geo.build",
        "built": _build_date(),
        "raw_folder_sources": "see ../shared/data/raw/SOURCES.md",
        "licence": OGL,
        "crs": {"boundaries": BNG, "web": WGS84},
        "web_simplification_m": WEB_TOLERANCE_M,
        "web_decimals": WEB_DECIMALS,
        "files": entries,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote MANIFEST.json; build took {time.perf_counter() - t0:.1f} s")
    return manifest


def _build_postcodes(raw: Path, out: Path, boroughs: gpd.GeoDataFrame, log) -> list[dict]:
    """Process an optional postcode lookup in ``raw/postcodes/`` into London postcodes."""
    folder = raw / POSTCODE_DIR
    target = out / "postcodes" / "london_postcodes.parquet"
    sources = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not sources:
        if target.exists():
            target.unlink()
        log(
            "no postcode lookup in the raw folder: postcode-only uploads will be reported as "
            "'postcode lookup not installed'"
        )
        return []
    from geo.postcodes import read_postcode_lookup  # optional input only

    frames = [read_postcode_lookup(p) for p in sources]
    lookup = pd.concat(frames, ignore_index=True).drop_duplicates("postcode")
    pts = gpd.GeoDataFrame(
        lookup,
        geometry=gpd.points_from_xy(lookup["easting"], lookup["northing"]),
        crs=BNG,
    )
    hits = gpd.sjoin(pts, boroughs[["geometry"]], predicate="within", how="inner")
    london = (
        pd.DataFrame(hits[["postcode", "easting", "northing"]])
        .assign(borough_code=hits["borough_code"])
        .drop_duplicates("postcode")
        .sort_values("postcode")
        .reset_index(drop=True)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    london.to_parquet(target, compression="zstd", index=False)
    shas = {p.relative_to(raw).as_posix(): sha256_file(p) for p in sources}
    log(f"wrote postcodes/london_postcodes.parquet: {len(london)} London postcodes")
    return [
        _entry(
            target,
            out,
            shas,
            shas,
            "London postcodes (inside the 33 boroughs) with British National Grid coordinates, "
            "from the postcode lookup in the raw folder.",
            [ATTRIBUTION_BOUNDARIES],
            len(london),
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: ``python -m geo.build [--raw DIR] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m geo.build", description=__doc__.split("\n")[0])
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (data/)")
    args = parser.parse_args(argv)
    try:
        build(args.raw, args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
