"""Build the processed data the app loads from the raw official files.

Run ``python -m geo build`` (``--raw DIR`` for another raw folder, ``--out DIR`` for another
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
    data/demand/london_oas.parquet         the 26,369 London Output Areas (where people live)
    data/streets/*                         walking network, OA-place network distances,
                                           the measured detour factor (detour.json)
    data/MANIFEST.json                     inputs, sha256, source, vintage, licence, notes

LSOA tables carry Census 2021 population, disability and tenure (LSOA 2021) and Census 2011
tenure (LSOA 2011); the readers are in :mod:`geo.data.boundaries`, :mod:`geo.data.deprivation`
and :mod:`geo.data.census`; the bundled layers are built by :mod:`geo.data.bundled`.

The build is deterministic: the same inputs give the same bytes (the build date is the UTC day,
or ``SOURCE_DATE_EPOCH`` when set).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.data.boundaries import (
    WEB_DECIMALS,
    WEB_TOLERANCE_M,
    dissolve_coverage,
    read_lsoas,
    read_shapefile,
    repair,
    web_layer,
)
from geo.data.bundled import build_bundled
from geo.data.census import (
    BASIS_2011,
    BASIS_CENSUS,
    lsoa21_links,
    read_census_population,
    read_disability,
    read_lsoa_lookup,
    read_population_2011,
    read_tenure_2011,
    read_tenure_2021,
    tenure_summary,
)
from geo.data.deprivation import borough_summary, read_iod2019, read_iod2025
from geo.data.directory import OGL
from geo.data.lsoa_convert import lsoa_weights
from geo.data.ptal import ptal_2021, read_ptal_2015
from geo.data.sources import (
    ATTRIBUTION_BOUNDARIES,
    ATTRIBUTION_CENSUS,
    ATTRIBUTION_IOD,
    ATTRIBUTION_POP,
    BNG,
    BOR11,
    DEFAULT_RAW,
    IOD19,
    IOD25,
    LAD22,
    LOOKUP,
    LSOA11,
    LSOA21,
    POP20,
    PROJECT_ROOT,
    PTAL_CSV,
    TENURE11,
    TENURE21,
    TS007A,
    TS038,
    WGS84,
    BuildError,
    shapefile_parts,
    verify_raw,
)
from geo.data.walkbuild import build_walking
from geo.data.writing import build_date, manifest_entry, write_parquet

DEFAULT_OUT = PROJECT_ROOT / "data"

ATTRIBUTION_PTAL = "Transport for London / Greater London Authority, PTAL 2015, OGL."


def _ptal(
    raw: Path,
    lookup: pd.DataFrame,
    pop21: pd.Series,
    pop11: pd.Series,
    lsoas11: pd.Index,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PTAL 2015 per LSOA 2011 and per LSOA 2021 (:func:`geo.data.ptal.ptal_2021`)."""
    p11 = read_ptal_2015(raw)
    missing = lsoas11.difference(p11.index)
    if len(missing):
        raise BuildError(f"PTAL 2015 has no row for {len(missing)} LSOAs, e.g. {list(missing[:3])}")
    london = lookup[lookup["lsoa21_code"].isin(pop21.index)]
    p21 = ptal_2021(p11, lsoa_weights(london, pop21), pop11)
    cols = ["ptai", "ptal", "ptai_high", "ptai_low", "ptal_basis"]
    p11 = p11.reindex(lsoas11).assign(ptal_basis="LSOA 2011 value")
    for frame in (p11, p21):
        frame.index.name = "lsoa_code"
    return p11[cols], p21[cols]


# --------------------------------------------------------------------------------------------
# Raw inputs
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Deprivation and population
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Boroughs
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Web layers
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------


def build(
    raw: Path = DEFAULT_RAW, out: Path = DEFAULT_OUT, *, streets: Path | None = None, log=print
) -> dict:
    """Build every processed file from ``raw`` into ``out`` and return the manifest.

    ``streets``: an OpenStreetMap extract (``.osm.pbf``) to measure walking on; default the
    bundled Camden extract (:mod:`geo.data.walkbuild`).
    """
    raw, out = Path(raw), Path(out)
    t0 = time.perf_counter()
    if streets is not None and not Path(streets).is_file():
        raise BuildError(f"--streets {streets}: file not found.")
    shas = verify_raw(raw)
    log(f"verified {len(shas)} raw files in {raw}")

    # --- LSOAs: 2021 (for IoD2025) and 2011 (for IoD2019) ----------------------------------
    l21 = read_lsoas(raw, LSOA21, lsoa="LSOA21", lad="LAD22", msoa="MSOA21")
    l11 = read_lsoas(raw, LSOA11, lsoa="LSOA11", lad="LAD11", msoa="MSOA11")

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
    pop21 = read_census_population(raw)
    ten21 = read_tenure_2021(raw)
    ten11 = read_tenure_2011(raw)
    dis21 = read_disability(raw)
    lookup = read_lsoa_lookup(raw)
    links = lsoa21_links(lookup, l21.index)
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
    ptal11, ptal21 = _ptal(raw, lookup, pop21["population"], pop11["population"], l11.index)
    keep = ["lsoa_name", "msoa_code", "borough_code", "borough_name"]
    lsoa21 = gpd.GeoDataFrame(
        l21[keep].join(pop21).join(dis21).join(ten21).join(links).join(iod25).join(ptal21),
        geometry=l21.geometry,
        crs=BNG,
    )

    lsoa11 = gpd.GeoDataFrame(
        l11[keep].join(pop11).join(ten11).join(iod19).join(ptal11), geometry=l11.geometry, crs=BNG
    )
    lsoa11.insert(lsoa11.columns.get_loc("population_65plus") + 1, "population_basis", BASIS_2011)
    log(f"LSOAs: {len(lsoa21)} (2021), {len(lsoa11)} (2011)")

    # --- Boroughs ---------------------------------------------------------------------------
    b11_raw = read_shapefile(raw, BOR11).set_index("GSS_CODE").sort_index()
    inner = b11_raw["ONS_INNER"].eq("T")
    lad = read_shapefile(raw, LAD22).set_index("LAD22CD").sort_index()

    def _boroughs(geoms: gpd.GeoSeries, names: pd.Series, lsoas: pd.DataFrame, weights: str):
        summary = borough_summary(lsoas, weights).join(tenure_summary(lsoas))
        frame = pd.DataFrame(
            {"borough_name": names.reindex(summary.index), "inner": inner.reindex(summary.index)}
        ).join(summary)
        return gpd.GeoDataFrame(frame, geometry=geoms.reindex(summary.index).values, crs=BNG)

    bor21 = _boroughs(repair(lad.geometry), lad["LAD22NM"], lsoa21, "population")
    # IoD2019 borough averages use the indices' own mid-2015 denominators, as MHCLG's do.
    bor11 = _boroughs(repair(b11_raw.geometry), b11_raw["NAME"], lsoa11, "population_mid2015")
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
            shapefile_parts(LSOA21) + [IOD25, TS007A, TS038, TENURE21, LOOKUP, PTAL_CSV, POP20],
            "London LSOAs 2021 (4,994) with IoD2025 scores, ranks and deciles for IMD and its "
            "seven domains; Census 2021 population (TS007A, all ages and 65+), disability "
            "(TS038, disabled under the Equality Act) and households by tenure (TS054: housing "
            "association = 'Social rented: Other social rented', council = 'Rents from council "
            "or Local Authority'); the LSOA 2011 code(s) each was formed from (ONS exact-fit "
            "lookup); TfL PTAL 2015 (ptai, ptal, ptai_high, ptai_low) from the LSOAs 2011: a "
            "split LSOA copies its parent's values, a merged one takes the mid-2020-population-"
            "weighted mean access index of its parents with the band recomputed from it "
            "(ptal_basis says which). EPSG:27700, made valid.",
            [ATTRIBUTION_BOUNDARIES, ATTRIBUTION_IOD, ATTRIBUTION_CENSUS, ATTRIBUTION_PTAL],
        ),
        (
            "boundaries/lsoa_2011.parquet",
            lsoa11,
            shapefile_parts(LSOA11) + [IOD19, POP20, TENURE11, PTAL_CSV],
            "London LSOAs 2011 (4,835) with IoD2019 scores, ranks and deciles for IMD and its "
            "seven domains, mid-2015 IoD denominators, mid-2020 population, Census 2011 "
            "households by tenure (KS402EW: housing association = 'Social rented: Other') and "
            "TfL PTAL 2015 (ptai = average access index, ptal = band, ptai_high, ptai_low). "
            "EPSG:27700, made valid.",
            [
                ATTRIBUTION_BOUNDARIES,
                ATTRIBUTION_IOD,
                ATTRIBUTION_POP,
                ATTRIBUTION_CENSUS,
                ATTRIBUTION_PTAL,
            ],
        ),
        (
            "boundaries/boroughs_2021.parquet",
            bor21,
            shapefile_parts(LAD22) + shapefile_parts(BOR11) + [IOD25, TS007A, TENURE21],
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
            shapefile_parts(BOR11) + [IOD19, POP20, TENURE11],
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
        entries.append(manifest_entry(path, out, inputs, shas, desc, attribution, len(frame)))
        log(f"wrote {rel}: {len(frame)} rows, {path.stat().st_size / 1024:.0f} KB")

    entries.extend(build_bundled(raw, out, shas, lsoa21, lsoa11, bor21, log))
    # walking access is measured to the places just written (services, parks, park edges)
    entries.extend(
        build_walking(
            raw,
            out,
            shas,
            lsoa21,
            lsoa11,
            bor21,
            lookup,
            gpd.read_parquet(out / "services" / "services.parquet"),
            gpd.read_parquet(out / "services" / "parks.parquet"),
            gpd.read_parquet(out / "services" / "park_edges.parquet"),
            streets=streets,
            log=log,
        )
    )

    manifest = {
        "generator": "python -m geo build",
        "built": build_date(),
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
