"""Safe CSV and GeoJSON exports.

CSV follows the OWASP "CSV injection" guidance: every text cell (and column name) that a
spreadsheet could read as a formula -- one starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, or with one of ``= + - @`` after leading spaces, including the full-width forms
``＝ ＋ － ＠`` -- is prefixed with a single quote ``'``, and every text field is quoted. Numeric
columns are written as numbers (negative numbers untouched), and so are text cells that are a
plain number such as ``-0.1278`` (a number cannot run a formula). The file is UTF-8 with a BOM so
Excel detects the encoding, with CRLF line ends.

GeoJSON is RFC 7946 (EPSG:4326 longitude/latitude) with a top-level ``"metadata"`` member
holding the parameters used. Property values are data, never markup: escaping for HTML happens
where they are displayed (the map code).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["neutralise_formulas", "neutralise_text", "safe_csv", "safe_geojson"]

# Full-width = + - @ are written as literal characters (not \u escapes) so the pattern also works
# with the RE2 engine pandas uses for Arrow-backed strings.
_TRIGGER = "^(?:[\t\r]|\\s*[=+\\-@\uff1d\uff0b\uff0d\uff20])"
_PLAIN_NUMBER = r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*"


def neutralise_formulas(s: pd.Series) -> pd.Series:
    """Prefix ``'`` to text cells a spreadsheet could run as a formula.

    Parameters
    ----------
    s : pandas.Series
        Any column. Numeric, boolean and datetime columns are returned unchanged.

    Returns
    -------
    pandas.Series
        Same index; text values starting with ``= + - @`` (also after spaces, and their
        full-width forms), a tab or a carriage return get a leading ``'`` -- except values that
        are just a number (``-12.5``, ``+44``, ``1e-3``). Missing values stay missing.
    """
    if (
        pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_bool_dtype(s)
        or pd.api.types.is_datetime64_any_dtype(s)
        or isinstance(s.dtype, pd.PeriodDtype | pd.IntervalDtype)
    ):
        return s
    missing = s.isna()
    text = s.astype("str")
    risky = text.str.contains(_TRIGGER, regex=True).fillna(False).astype(bool)
    risky &= ~text.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool)
    risky &= ~missing
    if not risky.any():
        return text.where(~missing)
    out = text.copy()
    out[risky] = "'" + text[risky]
    return out.where(~missing)


_TRIGGER_RE = re.compile(_TRIGGER)
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def neutralise_text(text: str) -> str:
    """One text made safe as :func:`neutralise_formulas` makes a cell (a header line's part, a
    column name): the same patterns, without building a Series for one value."""
    if _TRIGGER_RE.match(text) and not _PLAIN_NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def _safe_name(name: Any) -> str:
    """A column name made safe the same way as a text cell."""
    return neutralise_text(str(name))


def _header_line(line: str) -> str:
    """One ``# `` comment line; comma-separated parts after the first are neutralised."""
    parts = f"# {line}".split(",")
    safe = [parts[0], *(_safe_name(p) for p in parts[1:])]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(safe)
    return buf.getvalue()


def safe_csv(df: pd.DataFrame, *, header_lines: list[str] | None = None) -> bytes:
    """Write a DataFrame as a CSV that is safe to open in Excel / LibreOffice / Sheets.

    Parameters
    ----------
    df : pandas.DataFrame
        Table to export. A named index (e.g. ``lsoa_code``, ``row``) is written as the first
        column; an unnamed one is not. A geometry column is written as WKT text.
    header_lines : list of str, optional
        Lines written first, each as a ``# `` comment (e.g. the parameters used). Lines
        containing newlines are split. ``pandas.read_csv(..., comment="#")`` skips them.

    Returns
    -------
    bytes
        UTF-8 with BOM, CRLF line ends, text fields quoted, formula-like text neutralised (see
        :func:`neutralise_formulas`); numeric columns written as numbers.
    """
    frame = pd.DataFrame(df)
    if frame.index.name is not None or any(n is not None for n in frame.index.names[1:]):
        frame = frame.reset_index()
    for col in frame.columns:
        if isinstance(frame[col].dtype, gpd.array.GeometryDtype):
            frame[col] = gpd.GeoSeries(frame[col]).to_wkt()
    out = pd.DataFrame(
        {i: neutralise_formulas(frame.iloc[:, i]) for i in range(frame.shape[1])},
        index=frame.index,
    )
    out.columns = [_safe_name(c) for c in frame.columns]
    buf = io.StringIO()
    for line in header_lines or []:
        for part in str(line).splitlines() or [""]:
            buf.write(_header_line(part))
    out.to_csv(buf, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _jsonable(value: Any) -> Any:
    """Convert numpy / pandas scalars for json.dumps (NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def safe_geojson(gdf: gpd.GeoDataFrame, *, metadata: dict | None = None) -> bytes:
    """Write a GeoDataFrame as GeoJSON in EPSG:4326 with a ``metadata`` member.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features; must have a CRS. Columns become properties as given (missing -> null); the
        index becomes the feature ``id``.
    metadata : dict, optional
        Parameters used (catchment, vintage, ...), written as the top-level ``"metadata"``
        member (an RFC 7946 foreign member). Non-JSON values are converted to text.

    Returns
    -------
    bytes
        UTF-8 GeoJSON FeatureCollection.
    """
    if gdf.crs is None:
        raise ValueError("gdf has no CRS; cannot convert to EPSG:4326")
    wgs = gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf
    doc = json.loads(wgs.to_json(na="null", drop_id=False, default=str))
    doc.pop("crs", None)
    for feature in doc.get("features", []):
        feature["properties"] = _jsonable(feature.get("properties") or {})
    doc["metadata"] = _jsonable(dict(metadata or {}))
    return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")
