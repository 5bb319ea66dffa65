"""Placing uploaded rows on the map, or rejecting them with a reason.

``locate(df, mapping, london=...)`` turns every row of an uploaded table into a point in London
or a rejection with a reason from :data:`REJECTION_REASONS`; ``summarise_upload`` counts them.
Coordinates may be decimal degrees (with a decimal point, or a decimal comma when the table's
``attrs["decimal"]`` is ``","``), degrees-minutes-seconds (``51°30'26"N``, ``0 7 39 W``...) or
British National Grid metres; postcodes are looked up offline.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

import geo.data.postcodes
from geo.data.postcodes import normalise_postcode
from geo.uploads.columns import LOCATION_ROLE_NAMES
from geo.uploads.limits import UploadError

# --------------------------------------------------------------------------------------------
# Rejection reasons (exact strings)
# --------------------------------------------------------------------------------------------
NO_LOCATION = "no location"
COORDS_INCOMPLETE = "coordinates incomplete"
COORDS_NOT_NUMERIC = "coordinates not numeric"
COORDS_NOT_FINITE = "coordinates not finite"
POSTCODE_BAD = "bad postcode"
LOOKUP_MISSING = "postcode lookup not installed"
COORDS_DMS = "degrees/minutes/seconds not understood"


def postcode_not_found_reason(label: str | None) -> str:
    """The 'postcode not found' reason, naming the lookup and its date when they are known.

    ``label`` is :data:`geo.data.postcodes.LOOKUP_LABEL` (e.g. "OS Code-Point Open, April 2025
    (2025.2.0)") when the bundled lookup defines one.
    """
    return f"postcode not found in {label}" if label else "postcode not found"


#: The reason for a well-formed postcode missing from the lookup (names the lookup's release).
POSTCODE_NOT_FOUND = postcode_not_found_reason(getattr(geo.data.postcodes, "LOOKUP_LABEL", None))
OUTSIDE_LONDON = "outside London"
DUPLICATE = "duplicate"

#: Reason -> what it means / what to fix, in the order used by :func:`summarise_upload`.
REJECTION_REASONS: dict[str, str] = {
    NO_LOCATION: "The row has no coordinates and no postcode.",
    COORDS_INCOMPLETE: "Only one of the pair of coordinates is filled in.",
    COORDS_NOT_NUMERIC: "A coordinate is not a number (use e.g. 51.5074 / -0.1278, or "
    "530047 / 180422 for easting / northing).",
    COORDS_NOT_FINITE: "A coordinate is NaN or infinite.",
    COORDS_DMS: "A coordinate looks like degrees, minutes and seconds but cannot be read (write "
    "e.g. 51°30'26\"N and 0°07'39\"W, minutes and seconds below 60, or decimal degrees).",
    POSTCODE_BAD: "The postcode is not in UK postcode format (e.g. SW1A 1AA).",
    LOOKUP_MISSING: "The row has only a postcode and the offline postcode lookup is not "
    "installed, so it cannot be placed (add latitude/longitude or easting/northing).",
    POSTCODE_NOT_FOUND: "The postcode is well formed but not in the postcode lookup"
    + (
        f" ({geo.data.postcodes.LOOKUP_LABEL})"
        if getattr(geo.data.postcodes, "LOOKUP_LABEL", None)
        else ""
    )
    + ": it may be newer than the lookup, terminated or outside London. Add coordinates.",
    OUTSIDE_LONDON: "The location is outside the 33 London boroughs.",
    DUPLICATE: "The row repeats an earlier row at the same location (the first is kept).",
}

_ADDED_COLUMNS = (
    "row",
    "location_source",
    "borough_code",
    "borough_name",
    "lsoa_code",
    "reason",
    "geometry",
)


# --------------------------------------------------------------------------------------------
# locate
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _transformer(src: int, dst: int) -> Transformer:
    """Cached pyproj transformer (always x/y order)."""
    return Transformer.from_crs(src, dst, always_xy=True)


def _blank(s: pd.Series) -> np.ndarray:
    """True where a cell is missing or only whitespace."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.isna().to_numpy(bool)
    text = s if s.dtype == "str" else s.astype("str")
    return (text.isna() | text.str.strip().eq("")).to_numpy(bool)


_DMS_RE = (
    r"^\s*(?P<h1>[NSEWnsew])?\s*(?P<sign>[+-])?\s*"
    r"(?P<deg>\d{1,3}(?:[.,]\d+)?)\s*(?:°|º|˚|deg|d|:|\s)\s*"
    r"(?:(?P<min>\d{1,2}(?:[.,]\d+)?)\s*(?:'|′|’|‘|min|m|:|\s)?\s*)?"
    r"(?:(?P<sec>\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|”|''|’’|sec|s)?\s*)?"
    r"(?P<h2>[NSEWnsew])?\s*$"
)
_DMS_HINT = r"[°º˚′″'\"’”]|^\s*[NSEWnsew]\s*\d|\d\s*[NSEWnsew]\s*$"


def _dms(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Degrees-minutes-seconds cells as decimal degrees: (values, looks_like_dms).

    ``51°30'26"N``, ``51° 30.433' N``, ``N 51 30 26``, ``-0:07:39``, ``0°7'39"W`` are read
    (S and W negative). A cell that looks like DMS (a degree, minute or second mark or a
    hemisphere letter next to a number) but breaks the rules (minutes or seconds of 60 or more,
    two different hemisphere letters) gets NaN and ``looks_like_dms`` True.
    """
    hint = text.str.contains(_DMS_HINT, regex=True).fillna(False).to_numpy(bool)
    parts = text.str.extract(_DMS_RE)

    def num(col: str) -> np.ndarray:
        return pd.to_numeric(
            parts[col].str.replace(",", ".", regex=False), errors="coerce"
        ).to_numpy(dtype=float, na_value=np.nan)

    deg, mins, secs = num("deg"), num("min"), num("sec")
    h1 = parts["h1"].str.upper().to_numpy(dtype=object, na_value=None)
    h2 = parts["h2"].str.upper().to_numpy(dtype=object, na_value=None)
    matched = ~np.isnan(deg)
    ok = matched & ~(np.nan_to_num(mins) >= 60) & ~(np.nan_to_num(secs) >= 60)
    ok &= ~((h1 != None) & (h2 != None) & (h1 != h2))  # noqa: E711 (element-wise on objects)
    ok &= ~(~np.isnan(secs) & np.isnan(mins))
    value = deg + np.nan_to_num(mins) / 60 + np.nan_to_num(secs) / 3600
    hemi = np.where(h1 != None, h1, h2)  # noqa: E711
    negative = (parts["sign"].to_numpy(dtype=object, na_value=None) == "-") | np.isin(
        hemi, ["S", "W"]
    )
    value = np.where(negative, -value, value)
    value[~ok] = np.nan
    return value, hint | matched


def _numbers(
    s: pd.Series, blank: np.ndarray, decimal: str = "."
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse a coordinate column for non-blank cells.

    Returns (values, not_numeric, not_finite, bad_dms). With ``decimal=","`` a cell like
    ``51,5080`` is 51.508 (and ``1.234,5`` is 1234.5); cells that are not numbers are tried as
    degrees-minutes-seconds (see :func:`_dms`).
    """
    none = np.zeros(len(s), bool)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        not_finite = ~blank & ~np.isfinite(values)
        return values, none, not_finite, none
    text = (s if s.dtype == "str" else s.astype("str")).str.strip()
    if decimal == ",":
        text = text.str.replace(
            r"^([+-]?\d{1,3}(?:\.\d{3})+)(?=,|$)", lambda m: m.group(1).replace(".", ""), regex=True
        )
        text = text.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    values = np.array(
        pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan), copy=True
    )
    failed = ~blank & np.isnan(values)
    nan_literal = np.zeros(len(s), bool)
    bad_dms = np.zeros(len(s), bool)
    if failed.any():
        idx = np.flatnonzero(failed)
        sub = text.iloc[idx]
        nan_literal[idx] = sub.str.fullmatch(r"[+-]?nan", case=False).fillna(False).to_numpy(bool)
        dms, dms_like = _dms(sub)
        read = ~np.isnan(dms)
        values[idx[read]] = dms[read]
        bad_dms[idx[dms_like & ~read]] = True
        failed = ~blank & np.isnan(values)
    not_numeric = failed & ~nan_literal & ~bad_dms
    not_finite = ~blank & ~not_numeric & ~bad_dms & ~np.isfinite(values)
    return values, not_numeric, not_finite, bad_dms


def _coordinate_pair(
    xs: pd.Series, ys: pd.Series, decimal: str = "."
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate one pair of coordinate columns: (present, valid, reason, x, y, dms)."""
    bx, by = _blank(xs), _blank(ys)
    x, x_bad, x_inf, x_dms = _numbers(xs, bx, decimal)
    y, y_bad, y_inf, y_dms = _numbers(ys, by, decimal)
    present = ~(bx & by)
    reason = np.full(len(xs), None, dtype=object)
    reason[present & (x_inf | y_inf)] = COORDS_NOT_FINITE
    reason[present & (x_bad | y_bad)] = COORDS_NOT_NUMERIC
    reason[present & (x_dms | y_dms)] = COORDS_DMS
    reason[present & (bx | by)] = COORDS_INCOMPLETE
    bad = x_bad | y_bad | x_inf | y_inf | x_dms | y_dms
    valid = present & ~(bx | by) & ~bad
    dms = _was_dms(xs, x, bx) | _was_dms(ys, y, by)
    return present, valid, reason, x, y, dms & valid


def _was_dms(s: pd.Series, values: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """True where a text cell was read as degrees-minutes-seconds (not a plain number)."""
    if pd.api.types.is_numeric_dtype(s):
        return np.zeros(len(s), bool)
    plain = pd.to_numeric(
        s.astype("str").str.strip().str.replace(",", ".", regex=False), errors="coerce"
    ).notna()
    return ~blank & ~plain.to_numpy(bool) & np.isfinite(values)


def _in_box(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Element-wise: (x, y) inside the box (minx, miny, maxx, maxy)."""
    return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


def _boxes(london: gpd.GeoDataFrame) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """London's bounding box in metres (+1 km) and in degrees (lon/lat, +0.01 degree)."""
    minx, miny, maxx, maxy = london.total_bounds
    m_box = (minx - 1000.0, miny - 1000.0, maxx + 1000.0, maxy + 1000.0)
    xs = np.array([m_box[0], m_box[2], m_box[0], m_box[2], (m_box[0] + m_box[2]) / 2] * 2)
    ys = np.array([m_box[1], m_box[1], m_box[3], m_box[3], m_box[1]] + [m_box[3]] * 5)
    lon, lat = _transformer(27700, 4326).transform(xs, ys)
    d_box = (lon.min() - 0.01, lat.min() - 0.01, lon.max() + 0.01, lat.max() + 0.01)
    return m_box, d_box


def _codes(frame: gpd.GeoDataFrame, code: str) -> np.ndarray:
    """Area codes of a boundary frame: the index if named ``code``, else column ``code``."""
    if frame.index.name == code or code not in frame.columns:
        return frame.index.to_numpy()
    return frame[code].to_numpy()


def _first_hit(tree_frame: gpd.GeoDataFrame, points: gpd.array.GeometryArray) -> np.ndarray:
    """Position in ``tree_frame`` of the first polygon each point intersects (-1 if none).

    The tree is built on the points and queried with the polygons, so shapely evaluates the
    predicate on *prepared* polygons (several times faster than querying point by point
    against unprepared polygons for detailed boundaries). A point on a shared boundary gets
    the polygon listed first.
    """
    out = np.full(len(points), -1, dtype="int64")
    if len(points) == 0 or len(tree_frame) == 0:
        return out
    tree = shapely.STRtree(np.asarray(points))
    polygons = np.asarray(tree_frame.geometry.values)
    poly, point = tree.query(polygons, predicate="intersects")
    if len(point):
        order = np.lexsort((poly, point))
        point, poly = point[order], poly[order]
        first = np.r_[True, point[1:] != point[:-1]]
        out[point[first]] = poly[first]
    return out


def _to_27700(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Reproject a boundary frame to EPSG:27700 (it must have a CRS)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"{name} must be a GeoDataFrame")
    if frame.crs is None:
        raise ValueError(f"{name} has no CRS; expected EPSG:27700")
    return frame if frame.crs.to_epsg() == 27700 else frame.to_crs(27700)


def _unique_name(name: str, taken: set[str]) -> str:
    """``name`` + ``_upload`` (+ a number) not in ``taken``."""
    candidate = f"{name}_upload"
    k = 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_upload{k}"
    return candidate


def locate(
    df: pd.DataFrame,
    mapping: dict[str, str | None],
    *,
    london: gpd.GeoDataFrame,
    postcodes: pd.DataFrame | None = None,
    lsoas: gpd.GeoDataFrame | None = None,
    duplicate_on: Sequence[Hashable] | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Place every row on the map or reject it with a reason.

    Parameters
    ----------
    df : pandas.DataFrame
        Uploaded table (e.g. from :func:`read_table`); values may be text or numbers.
    mapping : dict
        Role -> column name (from :func:`detect_columns`, possibly edited by the user). Used
        roles: ``easting``/``northing``, ``latitude``/``longitude``, ``postcode``. A pair is
        used only when both of its columns are mapped.
    london : geopandas.GeoDataFrame
        The 33 borough polygons with a CRS (reprojected to EPSG:27700 if needed); codes from
        the index (``borough_code``) or a ``borough_code`` column, names from ``borough_name``.
    postcodes : pandas.DataFrame, optional
        Offline lookup with columns ``postcode`` (any spacing/case), ``easting``,
        ``northing``. Without it, rows that need a postcode are rejected with
        ``"postcode lookup not installed"`` -- locations are never guessed.
    lsoas : geopandas.GeoDataFrame, optional
        LSOA polygons (index or column ``lsoa_code``); adds ``lsoa_code`` to accepted rows.
    duplicate_on : sequence of column names, optional
        Columns that, with the location, identify a duplicate. Default: every original column
        except the location columns, i.e. rows that are exact repeats apart from how their
        location was written.

    Returns
    -------
    accepted : geopandas.GeoDataFrame
        Points in EPSG:27700, in input order, index = input index. Columns: ``row``
        (spreadsheet row number, see the module docstring), the original columns,
        ``location_source`` (``"British National Grid"``, ``"latitude/longitude"``,
        either with ``", swapped"`` when the pair was the wrong way round, or ``"postcode"``),
        ``borough_code``, ``borough_name``, ``lsoa_code`` (only with ``lsoas``), ``geometry``.
    rejected : pandas.DataFrame
        Index = input index; ``row``, the original columns, ``reason`` (one of
        :data:`REJECTION_REASONS`).

    Raises
    ------
    UploadError
        If a mapped column is not in ``df``, or no location source (postcode, a full
        latitude/longitude or easting/northing pair) is mapped.

    Notes
    -----
    Each row uses the first *usable* source in the order easting/northing, latitude/longitude,
    postcode. If none is usable the reason is that of the first source with any value in the
    row (so "abc" in a latitude column gives ``"coordinates not numeric"`` unless the row also
    has usable easting/northing or postcode), or ``"no location"`` if all are empty.

    Numbers are read as degrees when both are within +-180, else as British National Grid
    metres -- whichever columns they came from. A pair that lies in London only when swapped
    (latitude in the longitude column, or easting/northing reversed) is swapped back. Points
    outside the borough polygons are rejected ``"outside London"``. Among the remaining rows,
    a row with the same location (to the metre) and the same ``duplicate_on`` values as an
    earlier row is rejected ``"duplicate"``. If an original column has the name of an added
    column (``row``, ``reason``, ``borough_code``...), it is renamed ``<name>_upload`` in both
    outputs (listed in ``attrs["renamed_columns"]``).

    ``len(accepted) + len(rejected) == len(df)`` always holds.
    """
    missing = [f"'{c}' ({r})" for r, c in mapping.items() if c is not None and c not in df.columns]
    if missing:
        raise UploadError(f"Column(s) {', '.join(missing)} are not in the file.")
    warnings: list[str] = []
    pairs: list[tuple[str, str]] = []
    for xs_role, ys_role in (("easting", "northing"), ("longitude", "latitude")):
        xs_col, ys_col = mapping.get(xs_role), mapping.get(ys_role)
        if xs_col is not None and ys_col is not None:
            pairs.append((xs_col, ys_col))
        elif xs_col is not None or ys_col is not None:
            warnings.append(f"Only one of {xs_role}/{ys_role} is chosen; that pair is ignored.")
    pc_col = mapping.get("postcode")
    if not pairs and pc_col is None:
        raise UploadError(
            "No location columns: choose a postcode column, or latitude and longitude, or "
            "easting and northing."
        )
    london = _to_27700(london, "london")
    n = len(df)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    done = np.zeros(n, bool)
    from_postcode = np.zeros(n, bool)
    first_reason = np.full(n, None, dtype=object)

    decimal = str(df.attrs.get("decimal", "."))
    n_dms = 0
    for xs_col, ys_col in pairs:
        present, valid, why, xv, yv, dms = _coordinate_pair(df[xs_col], df[ys_col], decimal)
        take = valid & ~done
        n_dms += int((dms & take).sum())
        x[take], y[take] = xv[take], yv[take]
        record = present & ~valid & ~done & pd.isna(first_reason)
        first_reason[record] = why[record]
        done |= take

    if pc_col is not None and not done.all():
        sub = np.flatnonzero(~done)
        codes = df[pc_col].iloc[sub]
        present = ~_blank(codes)
        norm = normalise_postcode(codes)
        well_formed = norm.notna().to_numpy(bool)
        why = np.where(well_formed, LOOKUP_MISSING, POSTCODE_BAD).astype(object)
        found = np.zeros(len(sub), bool)
        if postcodes is not None:
            lookup = _prepare_lookup(postcodes)
            pos = pd.Index(lookup["postcode"]).get_indexer(norm)
            found = well_formed & (pos >= 0)
            why[well_formed & ~found] = POSTCODE_NOT_FOUND
            rows = sub[found]
            x[rows] = lookup["easting"].to_numpy(float)[pos[found]]
            y[rows] = lookup["northing"].to_numpy(float)[pos[found]]
            done[rows] = True
            from_postcode[rows] = True
        record = present & ~found & pd.isna(first_reason[sub])
        first_reason[sub[record]] = why[record]

    if n_dms:
        warnings.append(
            f"{n_dms:,} row(s) give coordinates in degrees, minutes and seconds; they were "
            "converted to decimal degrees."
        )
    if decimal == "," and pairs:
        warnings.append("Coordinates were read with a decimal comma (e.g. 51,5080 = 51.5080).")
    reason = np.where(done, None, first_reason).astype(object)
    reason[~done & pd.isna(reason)] = NO_LOCATION

    # Interpret coordinates: degrees vs grid metres, swapped pairs.
    m_box, d_box = _boxes(london)
    coords = done & ~from_postcode
    degrees = coords & (np.abs(x) <= 180) & (np.abs(y) <= 180)
    grid = coords & ~degrees
    source = np.full(n, None, dtype=object)
    source[from_postcode] = "postcode"
    for mask, box, label in (
        (degrees, d_box, "latitude/longitude"),
        (grid, m_box, "British National Grid"),
    ):
        swap = mask & ~_in_box(x, y, box) & _in_box(y, x, box)
        x[swap], y[swap] = y[swap], x[swap].copy()
        source[mask] = label
        source[swap] = f"{label}, swapped"
    if degrees.any():
        with np.errstate(all="ignore"):
            e, nn = _transformer(4326, 27700).transform(x[degrees], y[degrees])
        x[degrees], y[degrees] = e, nn

    # Which borough?
    borough_pos = np.full(n, -1, dtype="int64")
    candidate = done & np.isfinite(x) & np.isfinite(y) & _in_box(x, y, m_box)
    cand_idx = np.flatnonzero(candidate)
    cand_points = gpd.points_from_xy(x[cand_idx], y[cand_idx], crs=27700)
    borough_pos[cand_idx] = _first_hit(london, cand_points)
    point_pos = np.full(n, -1, dtype="int64")
    point_pos[cand_idx] = np.arange(len(cand_idx))
    reason[done & (borough_pos < 0)] = OUTSIDE_LONDON
    ok = done & (borough_pos >= 0)

    # Duplicates among the rows in London.
    ok_idx = np.flatnonzero(ok)
    if len(ok_idx):
        location_cols = {mapping.get(r) for r in LOCATION_ROLE_NAMES} - {None}
        key_cols = (
            list(duplicate_on)
            if duplicate_on is not None
            else [c for c in df.columns if c not in location_cols]
        )
        absent = [c for c in key_cols if c not in df.columns]
        if absent:
            raise ValueError(f"duplicate_on names columns not in df: {absent}")
        key = df[key_cols].iloc[ok_idx].reset_index(drop=True)
        key.columns = range(len(key_cols))
        key["_e"] = np.rint(x[ok_idx])
        key["_n"] = np.rint(y[ok_idx])
        dup = key.duplicated(keep="first").to_numpy(bool)
        reason[ok_idx[dup]] = DUPLICATE
        ok[ok_idx[dup]] = False

    return _build_outputs(
        df,
        ok=ok,
        reason=reason,
        points=cand_points[point_pos[ok]],
        source=source,
        borough_pos=borough_pos,
        london=london,
        lsoas=lsoas,
        warnings=warnings,
    )


def _prepare_lookup(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Normalise a postcode lookup and keep the first row per postcode."""
    need = {"postcode", "easting", "northing"}
    if not need <= set(postcodes.columns):
        raise ValueError(f"postcodes must have columns {sorted(need)}")
    lookup = pd.DataFrame(
        {
            "postcode": normalise_postcode(postcodes["postcode"]).to_numpy(),
            "easting": pd.to_numeric(postcodes["easting"], errors="coerce").to_numpy(float),
            "northing": pd.to_numeric(postcodes["northing"], errors="coerce").to_numpy(float),
        }
    )
    lookup = lookup.dropna().drop_duplicates("postcode", keep="first")
    return lookup.reset_index(drop=True)


def _build_outputs(
    df: pd.DataFrame,
    *,
    ok: np.ndarray,
    reason: np.ndarray,
    points: gpd.array.GeometryArray,
    source: np.ndarray,
    borough_pos: np.ndarray,
    london: gpd.GeoDataFrame,
    lsoas: gpd.GeoDataFrame | None,
    warnings: list[str],
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Assemble the accepted GeoDataFrame and the rejected DataFrame."""
    n = len(df)
    if df.index.name == "row" and pd.api.types.is_integer_dtype(df.index):
        row_numbers = df.index.to_numpy()
    else:
        row_numbers = np.arange(2, n + 2, dtype="int64")
    taken = {str(c) for c in df.columns}
    renames = {
        c: _unique_name(c, taken | set(_ADDED_COLUMNS)) for c in df.columns if c in _ADDED_COLUMNS
    }
    base = df.rename(columns=renames) if renames else df
    acc_idx = np.flatnonzero(ok)
    rej_idx = np.flatnonzero(~ok)

    acc = base.iloc[acc_idx]
    acc.insert(0, "row", row_numbers[acc_idx])
    acc["location_source"] = pd.array(source[acc_idx], dtype="str")
    bpos = borough_pos[acc_idx]
    acc["borough_code"] = pd.array(_codes(london, "borough_code")[bpos], dtype="str")
    if "borough_name" in london.columns:
        acc["borough_name"] = pd.array(london["borough_name"].to_numpy()[bpos], dtype="str")
    else:
        acc["borough_name"] = pd.array([np.nan] * len(acc_idx), dtype="str")
    if lsoas is not None:
        lsoas = _to_27700(lsoas, "lsoas")
        lpos = _first_hit(lsoas, points)
        codes = _codes(lsoas, "lsoa_code")
        values = np.full(len(acc_idx), None, dtype=object)
        values[lpos >= 0] = codes[lpos[lpos >= 0]]
        acc["lsoa_code"] = pd.array(values, dtype="str")
    accepted = gpd.GeoDataFrame(acc, geometry=points, crs=27700)

    rej = base.iloc[rej_idx]
    rej.insert(0, "row", row_numbers[rej_idx])
    rej["reason"] = pd.array(reason[rej_idx], dtype="str")
    rejected = pd.DataFrame(rej)

    if len(accepted) + len(rejected) != n:  # pragma: no cover - guarded by construction
        raise AssertionError("locate lost rows")
    for frame in (accepted, rejected):
        frame.attrs = {"warnings": list(warnings), "renamed_columns": dict(renames)}
    return accepted, rejected


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------
def summarise_upload(
    accepted: pd.DataFrame, rejected: pd.DataFrame, rows_read: int
) -> dict[str, Any]:
    """Counts for the upload report.

    Parameters
    ----------
    accepted, rejected : pandas.DataFrame
        The outputs of :func:`locate`.
    rows_read : int
        Rows in the table passed to :func:`locate` (``len(df)``).

    Returns
    -------
    dict
        ``rows_read``, ``accepted``, ``rejected`` (ints), ``by_reason`` (reason -> count,
        non-zero only, in :data:`REJECTION_REASONS` order, unknown reasons last) and
        ``by_source`` (location_source -> count).

    Raises
    ------
    AssertionError
        If ``len(accepted) + len(rejected) != rows_read`` (a bug, never bad data).
    """
    n_acc, n_rej = len(accepted), len(rejected)
    if n_acc + n_rej != int(rows_read):
        raise AssertionError(
            f"Row count mismatch: {n_acc} accepted + {n_rej} rejected != {rows_read} read"
        )
    counts = rejected["reason"].value_counts().to_dict() if "reason" in rejected.columns else {}
    order = list(REJECTION_REASONS) + sorted(set(counts) - set(REJECTION_REASONS))
    by_reason = {r: int(counts[r]) for r in order if counts.get(r)}
    sources = (
        accepted["location_source"].value_counts().to_dict()
        if "location_source" in accepted.columns
        else {}
    )
    return {
        "rows_read": int(rows_read),
        "accepted": n_acc,
        "rejected": n_rej,
        "by_reason": by_reason,
        "by_source": {str(k): int(v) for k, v in sources.items()},
    }
