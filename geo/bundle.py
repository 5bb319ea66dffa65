"""Readers for the bundled layers: tenure, Census 2021 population, postcodes, services, PCNs.

Used by :mod:`geo.build` (which pins every raw file by sha256 first). Each reader takes the raw
folder and returns a plain (Geo)DataFrame with this project's column names; nothing here writes
files. Placement rules (see ``docs/ARCHITECTURE.md``):

* a place with a postcode is put at its postcode's OS Code-Point Open location when the postcode
  is in the London lookup (so every such place is in the borough its postcode says);
* borough and LSOA codes come from point in polygon on the LSOA 2021 and 2011 boundaries; a
  point just outside every polygon (the Thames, generalised coast lines) takes the nearest LSOA
  within :data:`SNAP_M` metres;
* only places inside London's 33 boroughs are kept.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.directory import CATEGORIES, GP_COLUMNS
from geo.postcodes import normalise_postcode

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Points outside every LSOA polygon snap to the nearest one within this distance (metres).
SNAP_M = 250.0
#: Park edge points are at most this far apart along the boundary (metres).
EDGE_SPACING_M = 50.0
#: A place-of-worship point within this distance of a building polygon with the same name
#: (or any polygon it lies inside) is the same place (metres).
POFW_SAME_M = 50.0
#: Building polygons of the same name this close (metres) are parts of one place.
POFW_PART_M = 10.0

TENURE21 = "tenure/census2021-ts054/census2021-ts054-lsoa.csv"
TENURE11 = "tenure/census2011-ks402ew/census2011-tenure-lsoa.csv"
TS007A = "population/census2021-ts007a/census2021-ts007a-lsoa.csv"
TS038 = "health/census2021-ts038-disability-lsoa21.csv"
LOOKUP = "lookups/lsoa11_lsoa21_ltla22_exact_fit.csv"
CODEPOINT = "postcodes/codepoint-open-2025-04/codepo_gb.zip"
PRAC_MAP = "social-prescribing/nhs-2025/gp_prac_pat_map_2025.parquet"
PRAC_REG = "social-prescribing/nhs-2025/gp_prac_reg_all_2025.parquet"
PCN_WF = "social-prescribing/nhs-2025/pcn_workforce_networks_individual_level_nov2025.parquet"
PHARMACY = "services/nhs/pharmacy.csv"
LIB_ACE = "services/libraries/libraries_england_2023.csv"
LIB_HACKED = "services/libraries/libraries.csv"
COMMUNITY = "services/gla-cultural-infrastructure/Community_centres.csv"
GREENSPACE = "services/os-open-greenspace/Greenspace.gpkg"
POFW_POINTS = "services/osm-2019/gis_osm_pofw_free_1"
POFW_AREAS = "services/osm-2019/gis_osm_pofw_a_free_1"
JOBCENTRES = "services/dwp/jobcentres.csv"

#: The December 2025 extract of the practice list and registered patients.
PRACTICE_EXTRACT = "01Dec2025"
PATIENTS_EXTRACT = "2025-12-01"
LONDON_REGION = "Y56"
LINK_WORKER_ROLE = "Social Prescribing Link Worker"

_TS054 = "Tenure of household: "
_HA = "households renting from a housing association (registered provider)"


class SourceError(ValueError):
    """A raw file does not have the layout this reader was written for."""


# --------------------------------------------------------------------------------------------
# Tenure, population, disability, the 2011 -> 2021 lookup
# --------------------------------------------------------------------------------------------


def _shares(out: pd.DataFrame) -> pd.DataFrame:
    hh = out["households"].astype("float64")
    out["ha_share"] = (out["ha_households"] / hh).round(5)
    out["council_share"] = (out["council_households"] / hh).round(5)
    out["social_share"] = ((out["ha_households"] + out["council_households"]) / hh).round(5)
    return out


def read_tenure_2021(raw: Path) -> pd.DataFrame:
    """Census 2021 TS054 households by tenure for every LSOA 2021 in England and Wales.

    ``ha_households`` = "Social rented: Other social rented" (housing association / registered
    provider tenants), ``council_households`` = "Social rented: Rents from council or Local
    Authority"; shares are of all households (``social_share`` = both together).
    """
    df = pd.read_csv(raw / TENURE21, dtype={"geography code": str})
    cols = {
        f"{_TS054}Total: All households": "households",
        f"{_TS054}Social rented: Other social rented": "ha_households",
        f"{_TS054}Social rented: Rents from council or Local Authority": "council_households",
    }
    _need(df, cols, TENURE21)
    out = df.set_index("geography code")[list(cols)].rename(columns=cols).astype("int64")
    out.index.name = "lsoa_code"
    return _shares(out)


def read_tenure_2011(raw: Path) -> pd.DataFrame:
    """Census 2011 KS402EW households by tenure for London's LSOAs 2011.

    The nomis file ends with footer lines; only rows whose ``mnemonic`` is an LSOA code (E01...)
    are kept. "Social rented: Other" = housing association, "Rented from council (Local
    Authority)" = council.
    """
    df = pd.read_csv(raw / TENURE11, dtype={"mnemonic": str})
    df = df[df["mnemonic"].fillna("").str.match(r"E01\d{6}$")]
    cols = {
        "All households": "households",
        "Social rented: Other": "ha_households",
        "Social rented: Rented from council (Local Authority)": "council_households",
    }
    _need(df, cols, TENURE11)
    out = df.set_index("mnemonic")[list(cols)].rename(columns=cols).astype("int64")
    out.index.name = "lsoa_code"
    return _shares(out)


def read_census_population(raw: Path) -> pd.DataFrame:
    """Census 2021 TS007A usual residents per LSOA 2021: all ages and aged 65 and over.

    TS007A has 18 five-year bands (0-4 ... 80-84, 85+); 65+ is the sum of the last *five*
    (65-69, 70-74, 75-79, 80-84, 85+). The last four would be 70+.
    """
    df = pd.read_csv(raw / TS007A, dtype={"geography code": str})
    bands = [c for c in df.columns if c.startswith("Age: Aged")]
    old = [
        "Age: Aged 65 to 69 years",
        "Age: Aged 70 to 74 years",
        "Age: Aged 75 to 79 years",
        "Age: Aged 80 to 84 years",
        "Age: Aged 85 years and over",
    ]
    _need(df, ["Age: Total", *old], TS007A)
    if len(bands) != 18 or not df[bands].sum(axis=1).eq(df["Age: Total"]).all():
        raise SourceError(f"{TS007A}: the 18 age bands do not add up to 'Age: Total'")
    out = pd.DataFrame(
        {
            "population": df["Age: Total"].to_numpy("int64"),
            "population_65plus": df[old].sum(axis=1).to_numpy("int64"),
        },
        index=pd.Index(df["geography code"], name="lsoa_code"),
    )
    return out


def read_disability(raw: Path) -> pd.DataFrame:
    """Census 2021 TS038: residents disabled under the Equality Act per LSOA 2021, and share."""
    df = pd.read_csv(raw / TS038, dtype={"lsoa21_code": str})
    _need(df, ["lsoa21_code", "disability", "n", "total_residents"], TS038)
    dis = df[df["disability"].eq("Disabled under the Equality Act")].set_index("lsoa21_code")
    out = pd.DataFrame(
        {
            "disabled": dis["n"].astype("int64"),
            "disability_share": (dis["n"] / dis["total_residents"]).round(5),
        }
    )
    out.index.name = "lsoa_code"
    return out


def read_lsoa_lookup(raw: Path) -> pd.DataFrame:
    """ONS exact-fit LSOA 2011 -> LSOA 2021 lookup: ``lsoa11_code``, ``lsoa21_code``,
    ``change_code`` (U unchanged, S split, M merged, X complex)."""
    df = pd.read_csv(raw / LOOKUP, dtype=str)
    _need(df, ["lsoa11_code", "lsoa21_code", "change_code"], LOOKUP)
    return df[["lsoa11_code", "lsoa21_code", "change_code"]].drop_duplicates()


def lsoa21_links(lookup: pd.DataFrame, lsoa21: pd.Index) -> pd.DataFrame:
    """Per LSOA 2021: its 2011 LSOA code(s) ("; "-joined, sorted) and ONS change code."""
    sub = lookup[lookup["lsoa21_code"].isin(lsoa21)].sort_values(["lsoa21_code", "lsoa11_code"])
    grouped = sub.groupby("lsoa21_code")
    out = pd.DataFrame(
        {
            "lsoa11_codes": grouped["lsoa11_code"].agg("; ".join),
            "lsoa_change": grouped["change_code"].first(),
        }
    ).reindex(lsoa21)
    return out


def _need(df: pd.DataFrame, cols, name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SourceError(f"{name}: columns {missing} not found (found {list(df.columns)[:12]})")


# --------------------------------------------------------------------------------------------
# Point in polygon
# --------------------------------------------------------------------------------------------


def assign_areas(
    x: np.ndarray,
    y: np.ndarray,
    lsoa21: gpd.GeoDataFrame,
    lsoa11: gpd.GeoDataFrame,
    snap: float = SNAP_M,
) -> pd.DataFrame:
    """LSOA 2021 / 2011 and borough codes of points (EPSG:27700) by point in polygon.

    A point inside no polygon takes the nearest polygon within ``snap`` metres; otherwise its
    codes are missing (the point is outside London). ``borough_code`` is the borough of the
    LSOA 2021. Returns a frame in the points' order with a ``snapped`` flag.
    """
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=BNG)
    out = pd.DataFrame(index=range(len(pts)))
    snapped = np.zeros(len(pts), dtype=bool)
    for col, polys in (("lsoa21_code", lsoa21), ("lsoa11_code", lsoa11)):
        codes = np.full(len(pts), None, dtype=object)
        tree = shapely.STRtree(polys.geometry.values)
        p_idx, g_idx = tree.query(pts.values, predicate="within")
        # A point on a shared edge matches two polygons: keep the first (polygons sorted by code).
        first = pd.Series(g_idx).groupby(p_idx).min()
        codes[first.index.to_numpy()] = polys.index.to_numpy()[first.to_numpy()]
        todo = np.flatnonzero(pd.isna(codes))
        if len(todo):
            q_idx, h_idx = tree.query_nearest(
                pts.values[todo], max_distance=snap, all_matches=False
            )
            codes[todo[q_idx]] = polys.index.to_numpy()[h_idx]
            if col == "lsoa21_code":
                snapped[todo[q_idx]] = True
        out[col] = codes
    out["borough_code"] = lsoa21["borough_code"].reindex(out["lsoa21_code"]).to_numpy()
    out["snapped"] = snapped
    return out


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------


def read_codepoint_london(raw: Path) -> pd.DataFrame:
    """Every London postcode in OS Code-Point Open (``Admin_district_code`` E09...).

    Reads the zip's ``Data/CSV/*.csv`` members directly (no header; names from
    ``Doc/Code-Point_Open_Column_Headers.csv``). Returns ``postcode`` (normalised),
    ``positional_quality``, ``easting``, ``northing``, ``admin_district_code``, sorted by
    postcode.
    """
    with zipfile.ZipFile(raw / CODEPOINT) as zf:
        head = zf.read("Doc/Code-Point_Open_Column_Headers.csv").decode("utf-8-sig")
        names = head.splitlines()[1].strip().split(",")
        want = ["Postcode", "Positional_quality_indicator", "Eastings", "Northings"]
        want.append("Admin_district_code")
        if any(w not in names for w in want):
            raise SourceError(f"{CODEPOINT}: column headers {names} lack {want}")
        members = sorted(
            n for n in zf.namelist() if n.startswith("Data/CSV/") and n.endswith(".csv")
        )
        frames = []
        for member in members:
            df = pd.read_csv(
                io.BytesIO(zf.read(member)),
                header=None,
                names=names,
                usecols=want,
                dtype={"Postcode": str, "Admin_district_code": str},
            )
            frames.append(df[df["Admin_district_code"].str.startswith("E09", na=False)])
    df = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame(
        {
            "postcode": normalise_postcode(df["Postcode"]).to_numpy(),
            "positional_quality": df["Positional_quality_indicator"].astype("int16").to_numpy(),
            "easting": df["Eastings"].astype("int32").to_numpy(),
            "northing": df["Northings"].astype("int32").to_numpy(),
            "admin_district_code": df["Admin_district_code"].to_numpy(),
        }
    )
    if out["postcode"].isna().any():
        bad = df.loc[out["postcode"].isna().to_numpy(), "Postcode"].head(3).tolist()
        raise SourceError(f"{CODEPOINT}: postcodes not in UK format, e.g. {bad}")
    return out.drop_duplicates("postcode").sort_values("postcode").reset_index(drop=True)


def postcode_lookup(
    codepoint: pd.DataFrame, lsoa21: gpd.GeoDataFrame, lsoa11: gpd.GeoDataFrame
) -> pd.DataFrame:
    """London postcodes with borough and LSOA 2021 / 2011 codes by point in polygon."""
    areas = assign_areas(
        codepoint["easting"].to_numpy(float), codepoint["northing"].to_numpy(float), lsoa21, lsoa11
    )
    out = codepoint.copy()
    for col in ("borough_code", "lsoa21_code", "lsoa11_code"):
        out[col] = areas[col].to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Service directory
# --------------------------------------------------------------------------------------------

_SERVICE_COLUMNS = [
    "name",
    "category",
    "theme",
    "themes",
    "kind",
    "address",
    "postcode",
    "easting",
    "northing",
    "lon",
    "lat",
    "borough_code",
    "borough_name",
    "lsoa21_code",
    "lsoa11_code",
    "source",
    "vintage",
    "vintage_year",
    "licence",
    "capacity",
    "location_basis",
]


def _join_address(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    parts = df[cols].astype("object").where(df[cols].notna(), None)
    return pd.Series(
        [
            ", ".join(
                str(v).strip() for v in row if v is not None and str(v).strip() not in ("", "NA")
            )
            for row in parts.itertuples(index=False)
        ],
        index=df.index,
        dtype="object",
    )


def _place_by_postcode(df: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Add ``easting``/``northing`` from the London lookup for rows with a known postcode."""
    pc = normalise_postcode(df["postcode"].astype("str"))
    found = lookup.set_index("postcode")[["easting", "northing"]].reindex(pc)
    df = df.copy()
    df["postcode"] = pc.to_numpy()
    df["pc_easting"] = found["easting"].to_numpy(dtype="float64")
    df["pc_northing"] = found["northing"].to_numpy(dtype="float64")
    return df


def finish_places(
    df: pd.DataFrame,
    category: str,
    lsoa21: gpd.GeoDataFrame,
    lsoa11: gpd.GeoDataFrame,
    borough_names: pd.Series,
) -> gpd.GeoDataFrame:
    """Areas, coordinates and category metadata for one category; drops places outside London.

    ``df`` must hold ``service_id``, ``name``, ``address``, ``postcode``, ``easting``,
    ``northing`` and ``location_basis``; extra columns are kept.
    """
    meta = CATEGORIES[category]
    df = df.reset_index(drop=True)
    areas = assign_areas(
        df["easting"].to_numpy(float), df["northing"].to_numpy(float), lsoa21, lsoa11
    )
    # A place at a London postcode is in London even when the postcode point lies just outside
    # the generalised polygons (it then has the nearest LSOA); other places must be inside.
    by_postcode = df["location_basis"].str.contains("postcode", regex=False).to_numpy()
    inside = areas["lsoa21_code"].notna().to_numpy() & (by_postcode | ~areas["snapped"].to_numpy())
    df = df[inside].reset_index(drop=True)
    areas = areas[inside].reset_index(drop=True)
    for col in ("borough_code", "lsoa21_code", "lsoa11_code"):
        df[col] = areas[col].to_numpy()
    df["borough_name"] = borough_names.reindex(df["borough_code"]).to_numpy()
    df["category"] = category
    df["theme"] = meta["themes"][0]
    df["themes"] = "; ".join(meta["themes"])
    df["kind"] = meta["kind"]
    df["source"] = meta["source"]
    df["vintage"] = meta["vintage"]
    df["vintage_year"] = meta["vintage_year"]
    df["licence"] = meta["licence"]
    if "capacity" not in df:
        df["capacity"] = 1.0
    geom = gpd.points_from_xy(df["easting"], df["northing"], crs=BNG)
    ll = gpd.GeoSeries(geom, crs=BNG).to_crs(WGS84)
    df["lon"] = ll.x.round(6).to_numpy()
    df["lat"] = ll.y.round(6).to_numpy()
    return gpd.GeoDataFrame(df, geometry=geom, crs=BNG)


def read_gp_practices(
    raw: Path, lookup: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """London GP practices in the December 2025 practice -> PCN map, placed by postcode.

    Returns the placed practices (with ``practice_code``, ``pcn_code``, ``pcn_name``,
    ``icb_code``, ``registered_patients``), every practice in the map (placed or not) and notes
    on practices that could not be placed.
    """
    m = pd.read_parquet(raw / PRAC_MAP)
    m = m[m["extract_date"].eq(PRACTICE_EXTRACT) & m["comm_region_code"].eq(LONDON_REGION)]
    reg = pd.read_parquet(raw / PRAC_REG)
    reg = reg[reg["extract_date"].eq(PATIENTS_EXTRACT)].set_index("code")["number_of_patients"]
    df = pd.DataFrame(
        {
            "service_id": "gp:" + m["practice_code"],
            "practice_code": m["practice_code"],
            "name": m["practice_name"].str.strip(),
            "address": None,
            "postcode": m["practice_postcode"],
            "pcn_code": m["pcn_code"].where(m["pcn_code"].ne("U")),
            "pcn_name": m["pcn_name"].where(m["pcn_code"].ne("U")),
            "icb_code": m["icb_code"],
            "registered_patients": reg.reindex(m["practice_code"]).to_numpy(dtype="float64"),
        }
    ).sort_values("service_id")
    df = _place_by_postcode(df, lookup)
    notes = []
    lost = df[df["pc_easting"].isna()]
    everyone = df.drop(columns=["pc_easting", "pc_northing"])
    if len(lost):
        notes.append(
            f"{len(lost)} GP practice(s) left out: postcode not a London postcode in Code-Point "
            "Open April 2025: "
            + ", ".join(
                f"{c} ({p})" for c, p in zip(lost["practice_code"], lost["postcode"], strict=True)
            )
        )
    df = df[df["pc_easting"].notna()].copy()
    df["easting"], df["northing"] = df.pop("pc_easting"), df.pop("pc_northing")
    df["location_basis"] = "practice postcode (Code-Point Open)"
    df["capacity"] = df["registered_patients"].fillna(1.0)
    return df, everyone, notes


def read_pharmacies(raw: Path, lookup: pd.DataFrame) -> pd.DataFrame:
    """NHS website community pharmacies (January 2020), at their postcode where it exists."""
    df = pd.read_csv(raw / PHARMACY, header=None, dtype=str, encoding="latin-1")
    if df.shape[1] != 10:
        raise SourceError(f"{PHARMACY}: expected 10 columns, found {df.shape[1]}")
    df = df.drop_duplicates(0)
    out = pd.DataFrame(
        {
            "service_id": "pharmacy:" + df[0].str.strip(),
            "name": df[1].str.strip(),
            "address": _join_address(df, [2, 3, 4, 5]),
            "postcode": df[6],
        }
    )
    out = _place_by_postcode(out, lookup)
    lat = pd.to_numeric(df[8], errors="coerce")
    lon = pd.to_numeric(df[9], errors="coerce")
    ok = lat.notna() & lon.notna()
    e = np.full(len(df), np.nan)
    n = np.full(len(df), np.nan)
    pts = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs=WGS84).to_crs(BNG)
    e[ok.to_numpy()] = pts.x.to_numpy()
    n[ok.to_numpy()] = pts.y.to_numpy()
    by_pc = out["pc_easting"].notna().to_numpy()
    out["easting"] = np.where(by_pc, out["pc_easting"], np.round(e, 1))
    out["northing"] = np.where(by_pc, out["pc_northing"], np.round(n, 1))
    out["location_basis"] = np.where(
        by_pc, "postcode (Code-Point Open)", "published latitude/longitude"
    )
    out = out.drop(columns=["pc_easting", "pc_northing"])
    return out[out["easting"].notna()].sort_values("service_id")


_LIB_KEEP_TYPES = ("static library", "static local history library")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _name_key(s: pd.Series) -> pd.Series:
    """Lower case letters and digits only, without the word "library"."""
    return (
        s.fillna("")
        .str.lower()
        .str.replace("&", " and ", regex=False)
        .str.replace(r"\blibrary\b|\bthe\b", " ", regex=True)
        .str.replace(r"[^a-z0-9]+", "", regex=True)
    )


def read_libraries(
    raw: Path, lookup: pd.DataFrame, london_names: set[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Open London public libraries from the Arts Council England list, placed by postcode.

    Kept: static libraries (and local history libraries) with no ``closed`` year, whose
    postcode is a London postcode. Opening hours come from the Libraries Hacked list only where
    it has a library with the same postcode and name (letters and digits, "library" ignored),
    not marked closed there, with staffed hours for at least one day. Open static libraries of
    a London authority (``london_names``) whose postcode is not in the lookup are named in the
    notes and left out.
    """
    ace = pd.read_csv(raw / LIB_ACE, dtype=str, encoding="utf-8-sig")
    _need(ace, ["name", "postcode", "closed", "type", "address1"], LIB_ACE)
    ace = ace[ace["closed"].isna() & ace["type"].str.strip().str.lower().isin(_LIB_KEEP_TYPES)]
    out = pd.DataFrame(
        {
            "name": ace["name"].str.strip(),
            "address": _join_address(ace, ["address1", "address2", "address3"]),
            "postcode": ace["postcode"],
        }
    )
    out = _place_by_postcode(out, lookup)
    authority = ace["authority"].fillna("").str.replace("&", "and", regex=False).str.strip()
    london = authority.isin(london_names) | authority.eq("London")
    lost = out[out["pc_easting"].isna() & london.to_numpy()]
    notes = []
    if len(lost):
        notes.append(
            f"Libraries: {len(lost)} open London librar{'y' if len(lost) == 1 else 'ies'} left "
            "out, postcode not in Code-Point Open April 2025: "
            + "; ".join(f"{n} ({p})" for n, p in zip(lost["name"], lost["postcode"], strict=True))
        )
    out = out[out["pc_easting"].notna()].copy()
    out["easting"], out["northing"] = out.pop("pc_easting"), out.pop("pc_northing")
    out["location_basis"] = "postcode (Code-Point Open)"
    out["name_key"] = _name_key(out["name"])
    out = out.drop_duplicates(["postcode", "name_key"])
    out["service_id"] = "library:" + out["postcode"].str.replace(" ", "") + ":" + out["name_key"]

    lh = pd.read_csv(raw / LIB_HACKED, dtype=str)
    _need(lh, ["Library name", "Postcode", "Year closed"], LIB_HACKED)
    lh = lh[lh["Year closed"].isna()].copy()
    lh["postcode"] = normalise_postcode(lh["Postcode"].astype("str"))
    lh["name_key"] = _name_key(lh["Library name"])
    day_cols = [f"{d.title()} staffed hours" for d in _DAYS]
    _need(lh, day_cols, LIB_HACKED)
    hours = lh[day_cols]
    lh["opening_hours"] = [
        "; ".join(
            f"{d[:3].title()} {v}"
            for d, v in zip(_DAYS, row, strict=True)
            if isinstance(v, str) and v.strip()
        )
        or None
        for row in hours.itertuples(index=False)
    ]
    lh = lh[lh["opening_hours"].notna()].drop_duplicates(["postcode", "name_key"], keep=False)
    hours_by_key = lh.set_index(["postcode", "name_key"])["opening_hours"]
    keys = pd.MultiIndex.from_frame(out[["postcode", "name_key"]])
    out["opening_hours"] = hours_by_key.reindex(keys).to_numpy(dtype=object)
    out["opening_hours"] = out["opening_hours"].where(out["opening_hours"].notna(), None)
    notes += [
        f"Libraries: {int(out['opening_hours'].notna().sum())} of {len(out)} open London "
        "libraries have opening hours (Libraries Hacked entry with the same postcode and name)."
    ]
    return out.drop(columns="name_key").sort_values("service_id"), notes


def read_community_centres(raw: Path) -> pd.DataFrame:
    """GLA Cultural Infrastructure Map community centres (November 2022), at their coordinates.

    Exact repeats (same name at the same easting/northing) are listed once.
    """
    df = pd.read_csv(raw / COMMUNITY, dtype={"os_addressbase_uprn": str})
    _need(df, ["name", "easting", "northing", "address1"], COMMUNITY)
    df = df.assign(name=df["name"].str.strip())
    df["easting"] = df["easting"].round(1)
    df["northing"] = df["northing"].round(1)
    df = df.drop_duplicates(["name", "easting", "northing"])
    out = pd.DataFrame(
        {
            "name": df["name"],
            "address": _join_address(df, ["address1", "address2", "address3"]),
            "postcode": None,
            "easting": df["easting"],
            "northing": df["northing"],
            "location_basis": "GLA easting/northing",
        }
    )
    key = out["name"].map(_slug) + ":" + (out["easting"].round().astype("int64")).astype(str)
    key += "-" + (out["northing"].round().astype("int64")).astype(str)
    out["service_id"] = "community_centre:" + key
    return out.sort_values("service_id")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in str(text).lower()).strip("-")[:40]


def read_places_of_worship(raw: Path) -> tuple[pd.DataFrame, list[str]]:
    """OpenStreetMap places of worship (July 2019): one row per place.

    Building polygons are placed at their representative point (always inside). One place
    mapped twice is counted once:

    - buildings with the same name within :data:`POFW_PART_M` metres of each other are parts of
      one place: the largest is kept;
    - points with the same name within :data:`POFW_SAME_M` metres of each other: the first
      (lowest OSM id) is kept;
    - a point inside a building, or within :data:`POFW_SAME_M` metres of a building with the
      same name, is dropped in favour of the building.
    """
    pts = gpd.read_file(raw / f"{POFW_POINTS}.shp", engine="pyogrio").to_crs(BNG)
    areas = gpd.read_file(raw / f"{POFW_AREAS}.shp", engine="pyogrio").to_crs(BNG)
    areas["geometry"] = shapely.make_valid(areas.geometry.values)
    pts = pts.drop_duplicates("osm_id").sort_values("osm_id").reset_index(drop=True)
    areas = areas.drop_duplicates("osm_id").sort_values("osm_id").reset_index(drop=True)
    area_m2 = shapely.area(areas.geometry.values)
    a_key = _name_key(areas["name"]).to_numpy()
    i, j = _same_name_pairs(areas.geometry.values, a_key, POFW_PART_M)
    part = np.zeros(len(areas), dtype=bool)
    part[np.where(area_m2[i] >= area_m2[j], j, i)] = True
    p_key = _name_key(pts["name"]).to_numpy()
    i, j = _same_name_pairs(pts.geometry.values, p_key, POFW_SAME_M)
    repeat = np.zeros(len(pts), dtype=bool)
    repeat[j] = True  # i < j: keep the lower OSM id
    tree = shapely.STRtree(areas.geometry.values)
    p_in, a_in = tree.query(pts.geometry.values, predicate="intersects")
    p_near, a_near = tree.query(pts.geometry.values, predicate="dwithin", distance=POFW_SAME_M)
    pname = _name_key(pts["name"]).to_numpy()
    aname = _name_key(areas["name"]).to_numpy()
    same_name = (pname[p_near] == aname[a_near]) & (pname[p_near] != "")
    dup = np.zeros(len(pts), dtype=bool)
    dup[p_in] = True
    dup[p_near[same_name]] = True
    kept_pts = pts[~dup & ~repeat]
    areas = areas[~part]
    rep = shapely.point_on_surface(areas.geometry.values)
    frames = []
    for src, xy, kind in (
        (areas, (shapely.get_x(rep), shapely.get_y(rep)), "OSM building (representative point)"),
        (kept_pts, (kept_pts.geometry.x.to_numpy(), kept_pts.geometry.y.to_numpy()), "OSM point"),
    ):
        frames.append(
            pd.DataFrame(
                {
                    "service_id": "pofw:osm" + src["osm_id"].astype(str).to_numpy(),
                    "name": src["name"].fillna("Place of worship (unnamed)").to_numpy(),
                    "address": None,
                    "postcode": None,
                    "easting": np.round(xy[0], 1),
                    "northing": np.round(xy[1], 1),
                    "faith": src["fclass"].to_numpy(),
                    "location_basis": kind,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).drop_duplicates("service_id")
    notes = [
        f"Places of worship: {len(areas) + int(part.sum())} building polygons and {len(pts)} "
        f"points; {int(part.sum())} buildings are parts of a larger building of the same place, "
        f"{int(dup.sum())} points are the same place as a building and "
        f"{int((repeat & ~dup).sum())} repeat another point of the same name."
    ]
    return out.sort_values("service_id"), notes


def _same_name_pairs(
    geoms: np.ndarray, keys: np.ndarray, distance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` of geometries within ``distance`` with the same non-empty name key."""
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="dwithin", distance=distance)
    keep = (i < j) & (keys[i] == keys[j]) & (keys[i] != "")
    return i[keep], j[keep]


def read_jobcentres(raw: Path, lookup: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """DWP Jobcentre Plus offices (2016) in London, placed by postcode.

    London offices are those whose postcode is in the London lookup, plus offices in a London
    postal town whose postcode no longer exists (reported in the notes and left out).
    """
    df = pd.read_csv(raw / JOBCENTRES, dtype=str)
    _need(df, ["MNEMONIC", "TYPE", "NAME", "POSTCODE"], JOBCENTRES)
    df = df[df["TYPE"].eq("JCP")]
    out = pd.DataFrame(
        {
            "service_id": "jobcentre:" + df["MNEMONIC"].str.strip(),
            "name": df["NAME"].str.strip(),
            "address": _join_address(df, ["BUILDINGNAME", "STREET", "TOWN", "CITY"]),
            "postcode": df["POSTCODE"],
            "town": df["TOWN"].fillna("") + " " + df["CITY"].fillna(""),
        }
    )
    out = _place_by_postcode(out, lookup)
    london_like = out["town"].str.contains("London", case=False) | out["postcode"].str.match(
        r"^(E|EC|N|NW|SE|SW|W|WC)\d", na=False
    )
    lost = out[out["pc_easting"].isna() & london_like]
    notes = []
    if len(lost):
        notes.append(
            f"Jobcentre Plus: {len(lost)} London office(s) left out: no postcode, or a 2016 postcode that "
            "is not in Code-Point Open April 2025 (terminated since): "
            + "; ".join(
                f"{n} ({p})"
                for n, p in zip(lost["name"], lost["postcode"].fillna("no postcode"), strict=True)
            )
        )
    out = out[out["pc_easting"].notna()].copy()
    out["easting"], out["northing"] = out.pop("pc_easting"), out.pop("pc_northing")
    out["location_basis"] = "postcode (Code-Point Open)"
    return out.drop(columns="town").sort_values("service_id"), notes


def services_frame(parts: list[gpd.GeoDataFrame]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Concatenate finished category frames into the directory, one row per place.

    Within a category, two rows with the same name (letters and digits, case ignored) at the
    same location, or with the same name and postcode, are one place: the row with the first
    ``service_id`` is kept. Returns the frame (sorted by ``service_id``) and a note.
    """
    frame = pd.concat(parts, ignore_index=True).sort_values("service_id", kind="stable")
    key = _name_key(frame["name"])
    same_xy = pd.DataFrame({"c": frame["category"], "k": key, "x": frame["easting"]})
    same_xy["y"] = frame["northing"]
    dup = same_xy.duplicated()
    same_pc = pd.DataFrame({"c": frame["category"], "k": key, "p": frame["postcode"]})
    dup |= same_pc.duplicated() & frame["postcode"].notna()
    dropped = frame.loc[dup, "service_id"].tolist()
    frame = frame[~dup]
    notes = [
        f"{len(dropped)} repeated listing(s) dropped (same category, name and location or "
        "postcode as another row): " + ", ".join(dropped)
    ]
    extra = [*GP_COLUMNS, "opening_hours", "faith"]
    for col in extra:
        if col not in frame:
            frame[col] = None
    cols = ["service_id", *_SERVICE_COLUMNS, *extra, "geometry"]
    return frame[cols].reset_index(drop=True), notes


# --------------------------------------------------------------------------------------------
# Parks
# --------------------------------------------------------------------------------------------


def read_parks(raw: Path) -> gpd.GeoDataFrame:
    """OS Open Greenspace "Public Park Or Garden" polygons, indexed by ``park_id``."""
    g = gpd.read_file(raw / GREENSPACE, engine="pyogrio").set_crs(BNG, allow_override=True)
    _need(g, ["id", "function", "distName1"], GREENSPACE)
    g = g[g["function"].eq("Public Park Or Garden")].drop_duplicates("id")
    geom = shapely.make_valid(g.geometry.values)
    out = gpd.GeoDataFrame(
        {
            "park_id": "park:" + g["id"].str.lower(),
            "name": g["distName1"].fillna("Public park or garden (unnamed)").to_numpy(),
        },
        geometry=gpd.GeoSeries(geom, crs=BNG).values,
        crs=BNG,
    )
    return out.set_index("park_id").sort_index()


def park_edges(parks: gpd.GeoDataFrame, spacing: float = EDGE_SPACING_M) -> gpd.GeoDataFrame:
    """Points along every park boundary, at most ``spacing`` metres apart.

    The boundary (all rings) is densified with ``shapely.segmentize`` so no segment is longer
    than ``spacing``; its vertices are the edge points (deduplicated per park). Walking access
    to a park is the distance to the nearest of them.
    """
    rings = shapely.segmentize(shapely.boundary(parks.geometry.values), spacing)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(coords)  # whole metres: plenty for walking distances
    frame = pd.DataFrame(
        {"park_id": parks.index.to_numpy()[idx], "x": coords[:, 0], "y": coords[:, 1]}
    )
    frame = frame.drop_duplicates().reset_index(drop=True)
    return gpd.GeoDataFrame(
        frame[["park_id"]], geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=BNG
    )


# --------------------------------------------------------------------------------------------
# Link workers
# --------------------------------------------------------------------------------------------


def link_workers(raw: Path, practices: pd.DataFrame, placed: pd.DataFrame) -> pd.DataFrame:
    """Social prescribing link worker FTE per London Primary Care Network (November 2025).

    For PCN ``p`` with member practices ``i`` (December 2025 map, London):

    - ``lw_fte`` = sum of ``full_time_equivalent`` over the PCN's workforce rows whose
      ``detailed_staff_role`` contains "Social Prescribing Link Worker" (0 when the PCN has a
      workforce record but no link workers; NaN when it has no record at all: unknown);
    - ``registered_patients`` = sum_i patients_i; ``lw_per_10k`` = 10,000 * lw_fte /
      registered_patients.

    Source: NHS England, *Primary Care Network Workforce*, November 2025, individual level.
    """
    wf = pd.read_parquet(raw / PCN_WF)
    _need(
        wf, ["pcn_code", "comm_region_code", "detailed_staff_role", "full_time_equivalent"], PCN_WF
    )
    wf = wf[wf["comm_region_code"].eq(LONDON_REGION)]
    lw = wf[wf["detailed_staff_role"].str.contains(LINK_WORKER_ROLE, regex=False, na=False)]
    fte = lw.groupby("pcn_code")["full_time_equivalent"].sum()
    with_pcn = practices[practices["pcn_code"].notna()]
    grouped = with_pcn.groupby("pcn_code")
    names = pd.concat([wf.groupby("pcn_code")["pcn_name"].first(), grouped["pcn_name"].first()])
    names = names[~names.index.duplicated(keep="last")]
    icb = pd.concat([wf.groupby("pcn_code")["icb_code"].first(), grouped["icb_code"].first()])
    icb = icb[~icb.index.duplicated(keep="last")]
    codes = sorted(set(wf["pcn_code"]) | set(with_pcn["pcn_code"]))
    out = pd.DataFrame(index=pd.Index(codes, name="pcn_code"))
    out["pcn_name"] = names.reindex(out.index)
    out["icb_code"] = icb.reindex(out.index)
    out["has_workforce_record"] = out.index.isin(wf["pcn_code"].unique())
    out["lw_fte"] = np.where(
        out["has_workforce_record"], fte.reindex(out.index).fillna(0.0), np.nan
    )
    out["lw_fte"] = out["lw_fte"].round(4)
    out["registered_patients"] = grouped["registered_patients"].sum().reindex(out.index)
    out["lw_per_10k"] = (10_000 * out["lw_fte"] / out["registered_patients"]).round(4)
    out["n_practices"] = grouped.size().reindex(out.index).fillna(0).astype("int64")
    out["practice_codes"] = (
        grouped["practice_code"].agg(lambda s: "; ".join(sorted(s))).reindex(out.index)
    )
    boroughs = placed[placed["pcn_code"].notna()].groupby("pcn_code")["borough_code"]
    out["borough_codes"] = boroughs.agg(lambda s: "; ".join(sorted(set(s.dropna())))).reindex(
        out.index
    )
    return out
