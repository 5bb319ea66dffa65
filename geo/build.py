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
    data/postcodes/london_postcodes.parquet  London postcodes (Code-Point Open) + area codes
    data/services/services.parquet         service directory, one point per place
    data/services/parks.parquet            park polygons; park_edges.parquet: edge points
    data/services/link_workers.parquet     link-worker FTE per Primary Care Network
    data/MANIFEST.json                     inputs, sha256, source, vintage, licence, notes

LSOA tables carry Census 2021 population, disability and tenure (LSOA 2021) and Census 2011
tenure (LSOA 2011); the readers for those and for the bundled layers are in :mod:`geo.bundle`.

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

from geo import bundle
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
ATTRIBUTION_CENSUS = (
    "Office for National Statistics, Census 2021 and Census 2011, © Crown copyright, OGL."
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
    "population/census2021-ts007a/census2021-ts007a-lsoa.csv": "61b4601ca535365ee8e1f0c27681123252009e7161479bd161486c3d50491ed9",
    "health/census2021-ts038-disability-lsoa21.csv": "bb74851b0c77fcc4dabaf959c086956993a74a66f7bc9bb25f4cc3f19cd7683c",
    "lookups/lsoa11_lsoa21_ltla22_exact_fit.csv": "ddc782616aab916dc373169ff6d87bf3763c1c6fcb06068902f6de9bd3a02725",
    "tenure/census2021-ts054/census2021-ts054-lsoa.csv": "78bdbbc5d3c75d9317860e280b852aaa9d78bfd57bbc14419d5cc340ea86b302",
    "tenure/census2011-ks402ew/census2011-tenure-lsoa.csv": "de42c3292426b629d47ec0a2ce2dc2f711c738ae54903c002bf0b633078ce627",
    "postcodes/codepoint-open-2025-04/codepo_gb.zip": "b2465fc8ae990def9a66fc5aa8a97d99725e722aba48a4ac2a413b55829d07ff",
    "social-prescribing/nhs-2025/gp_prac_pat_map_2025.parquet": "7b4f685279e6cf58d3430dbe1ae21e12b31a80e81657435b11b7ff03f3a74a3e",
    "social-prescribing/nhs-2025/gp_prac_reg_all_2025.parquet": "e69dda79a25b580df2b8451407e4af0c8a62cbd7f415938a218fdf6667152ad0",
    "social-prescribing/nhs-2025/pcn_workforce_networks_individual_level_nov2025.parquet": "46b479f75f4316bc2ac1b823ecf9b9a3f91f4785f62fd61f8b40fb317bef2c9e",
    "services/nhs/pharmacy.csv": "31c5ec0dcfbe6176bb1417b1438e60bf1223ac76dc8389a367a8c1951c8d8ced",
    "services/libraries/libraries_england_2023.csv": "a2b3db9bbae042603c9ad897827cfe5c9219cd714b1d2771494b41f272c7e8a1",
    "services/libraries/libraries.csv": "53f86d053951713893b0efc60ce03f620d10d33fd4ef6e3198e17426d7c7d3f2",
    "services/gla-cultural-infrastructure/Community_centres.csv": "22c0f4092fa547c20be03bd8eb6fa9fdbe13d877927955dab8d57a70a9ffac4a",
    "services/os-open-greenspace/Greenspace.gpkg": "9c777ac3ace97fc1b3b043675be0f3a6fb4d07be2720184417d504ee874bf058",
    "services/osm-2019/gis_osm_pofw_free_1.shp": "362e0b0f0020b578a4d95541d1ae4dbce89fc294fed18e69fcd3a0fdeb191ae9",
    "services/osm-2019/gis_osm_pofw_free_1.shx": "58de016bfa43508e8ec97067b17bf0c9865bdce455e93f23e60bd17e40166879",
    "services/osm-2019/gis_osm_pofw_free_1.dbf": "0185af459c1daab6dca010ad0d7b96e1768108e8ad74cc881cd0edb3a7eaa9ef",
    "services/osm-2019/gis_osm_pofw_free_1.prj": "ffc9162903c37f0867d1e7f36c20036a165f7aa555dda24c1ae0ee4328d2977f",
    "services/osm-2019/gis_osm_pofw_free_1.cpg": "146d6789ffe033a5297c1ad046e6a62ee35319b86b021444f05b6ea2aa8a1f4a",
    "services/osm-2019/gis_osm_pofw_a_free_1.shp": "535b9589e8a8d09c27dd6273c82c086a6564855de92440a4e1e9685f66076ca0",
    "services/osm-2019/gis_osm_pofw_a_free_1.shx": "e9fe7f69db5075e94aeb61198ad99dc8b64207e98519bfeab212690cc5c2a779",
    "services/osm-2019/gis_osm_pofw_a_free_1.dbf": "6861db286cfa6650271a58d476c518cafd4d914b15d2afba9908c0e7f1f6271f",
    "services/osm-2019/gis_osm_pofw_a_free_1.prj": "ffc9162903c37f0867d1e7f36c20036a165f7aa555dda24c1ae0ee4328d2977f",
    "services/osm-2019/gis_osm_pofw_a_free_1.cpg": "146d6789ffe033a5297c1ad046e6a62ee35319b86b021444f05b6ea2aa8a1f4a",
    "services/dwp/jobcentres.csv": "14d27fbfaa09568dca0d1d0524959e38eda4ba6d3de41334bb0f95f40d9305ca",
}

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

BASIS_2011 = "ONS mid-2020 estimate (LSOA 2011)"
BASIS_CENSUS = "Census 2021 (TS007A)"


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


def tenure_summary(lsoas: pd.DataFrame) -> pd.DataFrame:
    """Borough housing association (HA) households, and how many live in deprived LSOAs.

    For borough ``b`` with LSOAs ``i``, HA households ``h_i``, households ``n_i`` and IMD
    decile ``d_i`` (of the LSOAs' own vintage, 1 = England's most deprived 10%):

    - ``households`` = sum n_i, ``ha_households`` = sum h_i, ``council_households`` likewise;
      ``ha_share`` = sum h_i / sum n_i;
    - ``ha_households_in_10`` = sum of h_i over LSOAs with d_i = 1, ``ha_households_in_20`` over
      d_i <= 2; ``ha_share_in_10`` / ``ha_share_in_20`` = those / ``ha_households``.

    Source: ONS Census 2021 TS054 / Census 2011 KS402EW (households, not dwellings).
    """
    by = lsoas["borough_code"]
    out = pd.DataFrame(index=pd.Index(sorted(by.unique()), name="borough_code"))
    for col in ("households", "ha_households", "council_households"):
        out[col] = lsoas[col].groupby(by).sum().astype("int64")
    out["ha_share"] = (out["ha_households"] / out["households"]).round(5)
    out["council_share"] = (out["council_households"] / out["households"]).round(5)
    dec = lsoas["imd_decile"]
    for n, mask in ((10, dec.eq(1)), (20, dec.le(2))):
        out[f"ha_households_in_{n}"] = (
            lsoas["ha_households"].where(mask, 0).groupby(by).sum().astype("int64")
        )
        out[f"ha_share_in_{n}"] = (out[f"ha_households_in_{n}"] / out["ha_households"]).round(5)
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


def write_parquet(gdf: gpd.GeoDataFrame, path: Path, compression_level: int | None = None) -> None:
    """Write GeoParquet deterministically (fixed row order, zstd, no timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {} if compression_level is None else {"compression_level": compression_level}
    gdf.to_parquet(path, compression="zstd", index=True, write_covering_bbox=False, **kwargs)


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

    # Census 2021 population, tenure and disability for LSOAs 2021; tenure 2011 for LSOAs 2011.
    pop21 = bundle.read_census_population(raw)
    ten21 = bundle.read_tenure_2021(raw)
    ten11 = bundle.read_tenure_2011(raw)
    dis21 = bundle.read_disability(raw)
    links = bundle.lsoa21_links(bundle.read_lsoa_lookup(raw), l21.index)
    for name, frame, lsoas in (
        ("Census 2021 TS007A", pop21, l21),
        ("Census 2021 TS054", ten21, l21),
        ("Census 2021 TS038", dis21, l21),
        ("Census 2011 KS402EW", ten11, l11),
        ("LSOA 2011 -> 2021 lookup", links.dropna(), l21),
    ):
        missing = lsoas.index.difference(frame.index)
        if len(missing):
            raise BuildError(
                f"{name} has no row for {len(missing)} London LSOAs, e.g. {list(missing[:3])}"
            )
    pop21 = pop21.reindex(l21.index)
    pop21["population_basis"] = BASIS_CENSUS
    keep = ["lsoa_name", "msoa_code", "borough_code", "borough_name"]
    lsoa21 = gpd.GeoDataFrame(
        l21[keep].join(pop21).join(dis21).join(ten21).join(links).join(iod25),
        geometry=l21.geometry,
        crs=BNG,
    )

    lsoa11 = gpd.GeoDataFrame(
        l11[keep].join(pop11).join(ten11).join(iod19), geometry=l11.geometry, crs=BNG
    )
    lsoa11.insert(lsoa11.columns.get_loc("population_65plus") + 1, "population_basis", BASIS_2011)
    log(f"LSOAs: {len(lsoa21)} (2021), {len(lsoa11)} (2011)")

    # --- Boroughs ---------------------------------------------------------------------------
    b11_raw = _shapefile(raw, _BOR11).set_index("GSS_CODE").sort_index()
    inner = b11_raw["ONS_INNER"].eq("T")
    lad = _shapefile(raw, _LAD22).set_index("LAD22CD").sort_index()

    def _boroughs(geoms: gpd.GeoSeries, names: pd.Series, lsoas: pd.DataFrame, weights: str):
        summary = borough_summary(lsoas, weights).join(tenure_summary(lsoas))
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
            _shapefile_parts(_LSOA21)
            + [_IOD25, bundle.TS007A, bundle.TS038, bundle.TENURE21, bundle.LOOKUP],
            "London LSOAs 2021 (4,994) with IoD2025 scores, ranks and deciles for IMD and its "
            "seven domains; Census 2021 population (TS007A, all ages and 65+), disability "
            "(TS038, disabled under the Equality Act) and households by tenure (TS054: housing "
            "association = 'Social rented: Other social rented', council = 'Rents from council "
            "or Local Authority'); the LSOA 2011 code(s) each was formed from (ONS exact-fit "
            "lookup). EPSG:27700, made valid.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_CENSUS],
        ),
        (
            "boundaries/lsoa_2011.parquet",
            lsoa11,
            _shapefile_parts(_LSOA11) + [_IOD19, _POP20, bundle.TENURE11],
            "London LSOAs 2011 (4,835) with IoD2019 scores, ranks and deciles for IMD and its "
            "seven domains, mid-2015 IoD denominators, mid-2020 population and Census 2011 "
            "households by tenure (KS402EW: housing association = 'Social rented: Other'). "
            "EPSG:27700, made valid.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_POP, ATTRIBUTION_CENSUS],
        ),
        (
            "boundaries/boroughs_2021.parquet",
            bor21,
            _shapefile_parts(_LAD22)
            + _shapefile_parts(_BOR11)
            + [_IOD25, bundle.TS007A, bundle.TENURE21],
            "London's 33 boroughs (LAD 2022, dissolved from LSOAs 2021) with IoD2025 borough "
            "summaries (Census 2021 population-weighted average scores and their London rank, "
            "shares of LSOAs in England's most deprived 10% and 20%) and housing association "
            "households (Census 2021 TS054), also those in LSOAs in England's most deprived "
            "10% / 20%; inner/outer from ONS_INNER.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_CENSUS],
        ),
        (
            "boundaries/boroughs_2011.parquet",
            bor11,
            _shapefile_parts(_BOR11) + [_IOD19, _POP20, bundle.TENURE11],
            "London's 33 boroughs (London Datastore, excluding Thames) with IoD2019 borough "
            "summaries weighted by the indices' mid-2015 denominators and housing association "
            "households (Census 2011 KS402EW), also those in LSOAs in England's most deprived "
            "10% / 20% (IoD2019).",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_CENSUS],
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

    entries.extend(_build_bundled(raw, out, shas, lsoa21, lsoa11, bor21, log))

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


#: zstd level for the bundled layers (smaller clone; reading speed is unaffected).
ZSTD_LEVEL = 19


def _write_table(
    frame: pd.DataFrame, path: Path, *, encodings: dict[str, str] | None = None
) -> None:
    """Write a plain (non-spatial) table as zstd Parquet, deterministically.

    ``encodings`` gives Parquet column encodings (e.g. ``DELTA_BINARY_PACKED`` for sorted
    coordinates); those columns are written without dictionaries.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=not isinstance(frame.index, pd.RangeIndex))
    plain = set(encodings or {})
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=[c for c in table.column_names if c not in plain],
        column_encoding=encodings or None,
    )


def _build_bundled(
    raw: Path,
    out: Path,
    shas: dict[str, str],
    lsoa21: gpd.GeoDataFrame,
    lsoa11: gpd.GeoDataFrame,
    bor21: gpd.GeoDataFrame,
    log,
) -> list[dict]:
    """Postcode lookup, service directory, parks and link workers; their manifest entries."""
    from geo.directory import CATEGORIES, LINK_WORKERS, NO_OPEN_DATA
    from geo.postcodes import LOOKUP_LABEL

    entries: list[dict] = []
    names = bor21["borough_name"]
    l21 = lsoa21[["borough_code", "geometry"]]
    l11 = lsoa11[["geometry"]]

    def _add(rel, frame, inputs, desc, attribution, *, meta, notes=(), spatial=True, enc=None):
        path = out / rel
        if spatial:
            write_parquet(frame, path, compression_level=ZSTD_LEVEL)
        else:
            _write_table(frame, path, encodings=enc)
        entry = _entry(path, out, inputs, shas, desc, attribution, len(frame))
        entry.update(meta)
        if notes:
            entry["notes"] = list(notes)
        entries.append(entry)
        log(f"wrote {rel}: {len(frame)} rows, {path.stat().st_size / 1024:.0f} KB")

    # --- Postcodes ------------------------------------------------------------------------------
    cp = bundle.read_codepoint_london(raw)
    pcs = bundle.postcode_lookup(cp, l21, l11)
    outside = pcs["lsoa21_code"].isna()
    pc_notes = [
        f"{len(cp)} postcodes with an E09 Admin_district_code in Code-Point Open; "
        f"{int(outside.sum())} lie more than {bundle.SNAP_M:g} m outside every LSOA 2021 "
        "polygon and have no LSOA or borough code.",
        f"{int((pcs['borough_code'] != pcs['admin_district_code']).sum())} postcodes lie in "
        "another borough's polygon than their Code-Point Admin_district_code (borough_code is "
        "the point-in-polygon borough).",
    ]
    table = pd.DataFrame(
        {
            "postcode": pcs["postcode"].astype("str"),
            "easting": pcs["easting"].astype("int32"),
            "northing": pcs["northing"].astype("int32"),
            "borough_code": pcs["borough_code"].astype("category"),
            "lsoa21_code": pcs["lsoa21_code"].astype("category"),
            "lsoa11_code": pcs["lsoa11_code"].astype("category"),
            "positional_quality": pcs["positional_quality"].astype("int8"),
            "admin_district_code": pcs["admin_district_code"].astype("category"),
        }
    )
    _add(
        "postcodes/london_postcodes.parquet",
        table.reset_index(drop=True),
        [bundle.CODEPOINT] + _shapefile_parts(_LSOA21) + _shapefile_parts(_LSOA11),
        "Every live London postcode (Code-Point Open Admin_district_code E09...) with British "
        "National Grid coordinates, positional quality, and borough, LSOA 2021 and LSOA 2011 "
        f"codes by point in polygon (nearest LSOA within {bundle.SNAP_M:g} m for points on "
        "the Thames or just outside the generalised boundaries).",
        [CATEGORIES["gp_practice"]["attribution"].split("Locations: ")[1]],
        meta={"source": LOOKUP_LABEL, "vintage": "April 2025", "licence": "OS OpenData (OGL)"},
        notes=pc_notes,
        spatial=False,
        enc={
            "postcode": "DELTA_BYTE_ARRAY",
            "easting": "DELTA_BINARY_PACKED",
            "northing": "DELTA_BINARY_PACKED",
        },
    )

    # --- Services ------------------------------------------------------------------------------
    lookup = pcs[pcs["lsoa21_code"].notna()][["postcode", "easting", "northing"]]
    notes: list[str] = []
    gp, gp_all, n = bundle.read_gp_practices(raw, lookup)
    notes += n
    gp = bundle.finish_places(gp, "gp_practice", l21, l11, names)
    lw = bundle.link_workers(raw, gp_all, gp)
    pcn = lw.reindex(gp["pcn_code"])
    gp["pcn_lw_fte"] = pcn["lw_fte"].to_numpy()
    gp["pcn_lw_per_10k"] = pcn["lw_per_10k"].to_numpy()
    gp["lw_fte_allocated"] = (
        gp["pcn_lw_fte"] * gp["registered_patients"] / pcn["registered_patients"].to_numpy()
    ).round(4)
    parts = [gp]
    ph = bundle.read_pharmacies(raw, lookup)
    parts.append(bundle.finish_places(ph, "pharmacy", l21, l11, names))
    lib, n = bundle.read_libraries(raw, lookup, set(names))
    notes += n
    parts.append(bundle.finish_places(lib, "library", l21, l11, names))
    cc = bundle.read_community_centres(raw)
    parts.append(bundle.finish_places(cc, "community_centre", l21, l11, names))
    pw, n = bundle.read_places_of_worship(raw)
    notes += n
    parts.append(bundle.finish_places(pw, "place_of_worship", l21, l11, names))
    jc, n = bundle.read_jobcentres(raw, lookup)
    notes += n
    parts.append(bundle.finish_places(jc, "jobcentre", l21, l11, names))
    services, n = bundle.services_frame(parts)
    notes += n
    if not services["service_id"].is_unique:
        dup = services.loc[services["service_id"].duplicated(), "service_id"].head(3).tolist()
        raise BuildError(f"service directory: duplicate service_id, e.g. {dup}")
    services = gpd.GeoDataFrame(services.set_index("service_id"), geometry="geometry", crs=BNG)
    counts = services["category"].value_counts().sort_index()
    notes.append("Places per category: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    notes.append(
        "Themes with no bundled layer: " + "; ".join(f"{k}: {v}" for k, v in NO_OPEN_DATA.items())
    )
    svc_inputs = [
        bundle.PRAC_MAP,
        bundle.PRAC_REG,
        bundle.PCN_WF,
        bundle.PHARMACY,
        bundle.LIB_ACE,
        bundle.LIB_HACKED,
        bundle.COMMUNITY,
        bundle.JOBCENTRES,
        bundle.CODEPOINT,
        *_shapefile_parts(bundle.POFW_POINTS),
        *_shapefile_parts(bundle.POFW_AREAS),
        *_shapefile_parts(_LSOA21),
        *_shapefile_parts(_LSOA11),
    ]
    _add(
        "services/services.parquet",
        services,
        svc_inputs,
        "London service directory, one row per place (parks are in parks.parquet): GP "
        "practices, pharmacies, libraries, community centres, places of worship (community "
        "assets) and Jobcentre Plus offices, with theme(s), borough and LSOA codes by point in "
        "polygon, source, vintage and licence per row. EPSG:27700 points.",
        sorted({CATEGORIES[c]["attribution"] for c in CATEGORIES if c != "park"}),
        meta={
            "source": "NHS England, NHS website, Arts Council England, Libraries Hacked, GLA, "
            "OpenStreetMap, DWP (see categories)",
            "vintage": "2016 to December 2025 (per category)",
            "licence": f"{OGL}; places of worship: Open Database License 1.0 "
            "(© OpenStreetMap contributors)",
            "categories": {
                c: {k: CATEGORIES[c][k] for k in ("label", "source", "vintage", "licence")}
                for c in CATEGORIES
            },
            "no_open_data": NO_OPEN_DATA,
        },
        notes=notes,
    )

    # --- Parks ---------------------------------------------------------------------------------
    parks = bundle.read_parks(raw)
    rep = shapely.point_on_surface(parks.geometry.values)
    areas = bundle.assign_areas(shapely.get_x(rep), shapely.get_y(rep), l21, l11)
    meta = CATEGORIES["park"]
    parks["category"] = "park"
    parks["theme"] = meta["themes"][0]
    parks["themes"] = "; ".join(meta["themes"])
    parks["kind"] = meta["kind"]
    parks["area_m2"] = parks.geometry.area.round(1)
    parks["borough_code"] = areas["borough_code"].to_numpy()
    parks["borough_name"] = names.reindex(parks["borough_code"]).to_numpy()
    parks["lsoa21_code"] = areas["lsoa21_code"].to_numpy()
    for k in ("source", "vintage", "vintage_year", "licence"):
        parks[k] = meta[k]
    parks = parks[parks["borough_code"].notna()]
    parks = parks[[c for c in parks.columns if c != "geometry"] + ["geometry"]]
    park_meta = {"source": meta["source"], "vintage": meta["vintage"], "licence": meta["licence"]}
    _add(
        "services/parks.parquet",
        parks,
        [bundle.GREENSPACE] + _shapefile_parts(_LSOA21) + _shapefile_parts(_LSOA11),
        "OS Open Greenspace 'Public Park Or Garden' polygons in London (EPSG:27700), with "
        "area and the borough of a point inside each park.",
        [meta["attribution"]],
        meta=park_meta,
    )
    edges = bundle.park_edges(parks)
    _add(
        "services/park_edges.parquet",
        edges,
        [bundle.GREENSPACE],
        f"Points along every park boundary at most {bundle.EDGE_SPACING_M:g} m apart "
        "(shapely.segmentize); access to a park = distance to its nearest edge point.",
        [meta["attribution"]],
        meta=park_meta,
    )

    # --- Link workers --------------------------------------------------------------------------
    lw_notes = [
        f"London: {lw['lw_fte'].sum():.2f} FTE in {int(lw['lw_fte'].gt(0).sum())} PCNs with "
        f"link workers; {int((~lw['has_workforce_record']).sum())} PCNs have no workforce "
        "record (lw_fte NaN = unknown).",
    ]
    _add(
        "services/link_workers.parquet",
        lw,
        [bundle.PCN_WF, bundle.PRAC_MAP, bundle.PRAC_REG],
        "Social prescribing link worker FTE per London Primary Care Network (November 2025, "
        "the three 'Social Prescribing Link Worker' roles), registered patients of member "
        "practices (December 2025), FTE per 10,000 patients, member practices and boroughs.",
        [str(LINK_WORKERS["attribution"])],
        meta={k: LINK_WORKERS[k] for k in ("source", "vintage", "licence")},
        notes=lw_notes,
        spatial=False,
    )
    return entries


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
    if args.out.resolve() == DEFAULT_OUT.resolve():
        # the map's static shapes and points (static/geo/) are made from the data just written
        from geo import webgeom, webpoints

        for path in [*webgeom.write_all(), *webpoints.write_all()]:
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    else:
        print(
            "static/geo/ not updated (it is made from data/); run `python -m geo.webgeom` "
            "and `python -m geo.webpoints`"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
