"""Readers for the bundled places: the London postcode lookup and the service directory.

Used by :mod:`geo.data.bundled` (the build pins every raw file by sha256 first). Each reader
takes the raw folder and returns a plain (Geo)DataFrame with this project's column names;
nothing here writes files. Placement rules (see ``docs/ARCHITECTURE.md``):

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

from geo.data.boundaries import assign_areas
from geo.data.directory import CATEGORIES, GP_COLUMNS
from geo.data.postcodes import normalise_postcode
from geo.data.sources import (
    BNG,
    CODEPOINT,
    COMMUNITY,
    EDISPENSARY,
    GREENSPACE,
    JOBCENTRES,
    LIB_ACE,
    LIB_HACKED,
    POFW_AREAS,
    POFW_POINTS,
    WGS84,
    SourceError,
    need_columns,
)

#: Park edge points are at most this far apart along the boundary (metres).
EDGE_SPACING_M = 50.0
#: A place-of-worship point within this distance of a building polygon with the same name
#: (or any polygon it lies inside) is the same place (metres).
POFW_SAME_M = 50.0
#: Building polygons of the same name this close (metres) are parts of one place.
POFW_PART_M = 10.0


# --------------------------------------------------------------------------------------------
# Tenure, population, disability, the 2011 -> 2021 lookup
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Point in polygon
# --------------------------------------------------------------------------------------------


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


def join_address(df: pd.DataFrame, cols: list[str]) -> pd.Series:
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


def place_by_postcode(df: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
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


#: ODS values kept: status active, organisation type 1 (pharmacy), NHS England London region.
ODS_ACTIVE, ODS_PHARMACY, ODS_LONDON = "A", "1", "Y56"


def read_pharmacies(raw: Path, lookup: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Active London community pharmacies (NHS ODS, about March 2025), placed by postcode.

    The ODS dispensing contractors file (``edispensary.csv``) has no header and 27 quoted
    fields: 0 ODS code, 1 name, 2 NHS England region (Y56 = London), 3 ICB, 4-8 address, 9
    postcode, 10 open date, 11 close date, 12 status (A active, C closed, P proposed), 13 type
    (1 = pharmacy). Kept: status A, type 1, region Y56, at the postcode's Code-Point Open
    point; those whose postcode is not a London postcode in Code-Point Open are named in the
    notes and left out. Active rows that carry a close date are kept (the status says active)
    and named.

    Returns
    -------
    tuple of pandas.DataFrame and list of str
        The pharmacies placed (``service_id`` = ``pharmacy:<ODS code>``, ``name``,
        ``address``, ``postcode``, ``easting``, ``northing``, ``location_basis``) and notes.
        Read = placed + left out.

    Raises
    ------
    SourceError
        When the file does not have 27 columns or repeats an ODS code.
    """
    df = pd.read_csv(raw / EDISPENSARY, header=None, dtype=str, keep_default_na=False)
    if df.shape[1] != 27:
        raise SourceError(f"{EDISPENSARY}: expected 27 columns, found {df.shape[1]}")
    if df[0].duplicated().any():
        raise SourceError(f"{EDISPENSARY}: an ODS code appears twice")
    ph = df[df[12].eq(ODS_ACTIVE) & df[13].eq(ODS_PHARMACY) & df[2].eq(ODS_LONDON)]
    out = pd.DataFrame(
        {
            "service_id": "pharmacy:" + ph[0].str.strip(),
            "name": ph[1].str.strip(),
            "address": join_address(ph, [4, 5, 6, 7, 8]),
            "postcode": ph[9],
        }
    )
    out = place_by_postcode(out, lookup)
    lost = out[out["pc_easting"].isna()]
    notes = [
        f"Pharmacies: {len(ph)} active community pharmacies (ODS status A, type 1) in NHS "
        f"England's London region (Y56); {len(ph) - len(lost)} placed at their postcode."
    ]
    if len(lost):
        notes.append(
            f"Pharmacies: {len(lost)} left out, postcode not a London postcode in Code-Point "
            "Open April 2025: "
            + "; ".join(
                f"{c.removeprefix('pharmacy:')} {n} ({p})"
                for c, n, p in zip(lost["service_id"], lost["name"], lost["postcode"], strict=True)
            )
        )
    closing = ph[ph[11].str.strip().ne("")]
    if len(closing):
        notes.append(
            f"Pharmacies: {len(closing)} active row(s) carry a close date and are kept, as the "
            "ODS status says active: "
            + "; ".join(
                f"{c} {n} (close date {d})"
                for c, n, d in zip(closing[0], closing[1].str.strip(), closing[11], strict=True)
            )
        )
    out = out[out["pc_easting"].notna()].copy()
    out["easting"], out["northing"] = out.pop("pc_easting"), out.pop("pc_northing")
    out["location_basis"] = "postcode (Code-Point Open)"
    return out.sort_values("service_id").reset_index(drop=True), notes


_LIB_KEEP_TYPES = ("static library", "static local history library")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def name_key(s: pd.Series) -> pd.Series:
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
    need_columns(ace, ["name", "postcode", "closed", "type", "address1"], LIB_ACE)
    ace = ace[ace["closed"].isna() & ace["type"].str.strip().str.lower().isin(_LIB_KEEP_TYPES)]
    out = pd.DataFrame(
        {
            "name": ace["name"].str.strip(),
            "address": join_address(ace, ["address1", "address2", "address3"]),
            "postcode": ace["postcode"],
        }
    )
    out = place_by_postcode(out, lookup)
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
    out["name_key"] = name_key(out["name"])
    out = out.drop_duplicates(["postcode", "name_key"])
    out["service_id"] = "library:" + out["postcode"].str.replace(" ", "") + ":" + out["name_key"]

    lh = pd.read_csv(raw / LIB_HACKED, dtype=str)
    need_columns(lh, ["Library name", "Postcode", "Year closed"], LIB_HACKED)
    lh = lh[lh["Year closed"].isna()].copy()
    lh["postcode"] = normalise_postcode(lh["Postcode"].astype("str"))
    lh["name_key"] = name_key(lh["Library name"])
    day_cols = [f"{d.title()} staffed hours" for d in _DAYS]
    need_columns(lh, day_cols, LIB_HACKED)
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
    need_columns(df, ["name", "easting", "northing", "address1"], COMMUNITY)
    df = df.assign(name=df["name"].str.strip())
    df["easting"] = df["easting"].round(1)
    df["northing"] = df["northing"].round(1)
    df = df.drop_duplicates(["name", "easting", "northing"])
    out = pd.DataFrame(
        {
            "name": df["name"],
            "address": join_address(df, ["address1", "address2", "address3"]),
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
    a_key = name_key(areas["name"]).to_numpy()
    i, j = same_name_pairs(areas.geometry.values, a_key, POFW_PART_M)
    part = np.zeros(len(areas), dtype=bool)
    part[np.where(area_m2[i] >= area_m2[j], j, i)] = True
    p_key = name_key(pts["name"]).to_numpy()
    i, j = same_name_pairs(pts.geometry.values, p_key, POFW_SAME_M)
    repeat = np.zeros(len(pts), dtype=bool)
    repeat[j] = True  # i < j: keep the lower OSM id
    tree = shapely.STRtree(areas.geometry.values)
    p_in, a_in = tree.query(pts.geometry.values, predicate="intersects")
    p_near, a_near = tree.query(pts.geometry.values, predicate="dwithin", distance=POFW_SAME_M)
    pname = name_key(pts["name"]).to_numpy()
    aname = name_key(areas["name"]).to_numpy()
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


def same_name_pairs(
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
    need_columns(df, ["MNEMONIC", "TYPE", "NAME", "POSTCODE"], JOBCENTRES)
    df = df[df["TYPE"].eq("JCP")]
    out = pd.DataFrame(
        {
            "service_id": "jobcentre:" + df["MNEMONIC"].str.strip(),
            "name": df["NAME"].str.strip(),
            "address": join_address(df, ["BUILDINGNAME", "STREET", "TOWN", "CITY"]),
            "postcode": df["POSTCODE"],
            "town": df["TOWN"].fillna("") + " " + df["CITY"].fillna(""),
        }
    )
    out = place_by_postcode(out, lookup)
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
    key = name_key(frame["name"])
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
    need_columns(g, ["id", "function", "distName1"], GREENSPACE)
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
