"""Offline UK postcode lookup: normalising postcodes and reading ONSPD / Code-Point Open files.

Nothing here touches the network. The build pipeline reads a postcode file from the raw folder
with :func:`read_postcode_lookup`, keeps the London postcodes and stores them; upload code then
joins uploaded postcodes to that table (see :func:`geo.uploads.locate`).

Supported inputs
----------------
* ONS Postcode Directory (ONSPD) style CSV with a header: a postcode column (``pcds``, ``pcd``,
  ``pcd7``, ``pcd8``, ``pcd2`` or ``postcode``), grid references (``oseast1m``/``osnrth1m``, or
  the 2025+ names ``east1m``/``north1m``, or ``easting``/``northing``) or, failing those,
  ``lat``/``long``. Terminated postcodes (``doterm`` not empty) and postcodes without a grid
  reference (``osgrdind``/``gridind`` = 9, missing coordinates, or the ONSPD "no grid"
  placeholder latitude 99.999999) are left out.
* OS Code-Point Open CSV: no header, columns Postcode, Positional_quality_indicator, Eastings,
  Northings, ... . Rows with quality indicator 90 (no coordinates) or zero coordinates are left
  out. The header names from the Code-Point Open documentation (``PC``, ``PQ``, ``EA``, ``NO``)
  are accepted too.
* A ``.zip`` holding such CSV files (e.g. the Code-Point Open download with one CSV per postcode
  area, or the ONSPD download). Documentation CSVs inside the zip are skipped, as is the ONSPD
  ``multi_csv`` folder when the single whole-UK file is present.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = ["LOOKUP_LABEL", "POSTCODE_REGEX", "normalise_postcode", "read_postcode_lookup"]

#: The bundled postcode lookup (``data/postcodes/london_postcodes.parquet``), for messages.
LOOKUP_LABEL = "OS Code-Point Open, April 2025 (2025.2.0)"

#: UK postcode format (after upper-casing and removing all whitespace). Adapted from the
#: government data standards pattern; accepts the special case ``GIR 0AA``.
POSTCODE_REGEX = (
    r"(?:[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r"[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA)"
)

_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode", "pc")
_EASTING_COLUMNS = ("oseast1m", "east1m", "easting", "eastings", "ea")
_NORTHING_COLUMNS = ("osnrth1m", "north1m", "northing", "northings", "no")
_LAT_COLUMNS = ("lat", "latitude")
_LON_COLUMNS = ("long", "lon", "lng", "longitude")
_GRID_INDICATOR_COLUMNS = ("osgrdind", "gridind")
_QUALITY_COLUMNS = ("pq", "positional_quality_indicator")
_CHUNK_ROWS = 500_000

PathOrBuffer = str | os.PathLike | bytes | IO[bytes] | IO[str]


def normalise_postcode(s: pd.Series) -> pd.Series:
    """Normalise postcodes to the ``"SW1A 1AA"`` form.

    Parameters
    ----------
    s : pandas.Series
        Postcodes in any case and spacing (``"sw1a1aa"``, ``" SW1A  1AA "``, ONSPD ``pcd7`` /
        ``pcd8`` padded forms). Non-string values are converted to text first.

    Returns
    -------
    pandas.Series
        Same index as ``s``: upper case, all whitespace removed, one space before the
        three-character inward code; NaN where the value is missing or does not match the UK
        postcode format (:data:`POSTCODE_REGEX`).
    """
    text = s.astype("str") if s.dtype != "str" else s
    compact = text.str.upper().str.replace(r"\s+", "", regex=True)
    valid = compact.str.fullmatch(POSTCODE_REGEX).fillna(False).astype(bool)
    out = compact.str.slice(0, -3) + " " + compact.str.slice(-3)
    out = out.where(valid & s.notna())
    return out.astype("str")


def read_postcode_lookup(
    path_or_buffer: PathOrBuffer,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """Read an ONSPD-style or Code-Point Open CSV (or a zip of them) into a postcode table.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike, bytes or file-like
        A ``.csv`` or ``.zip`` file path, the file's bytes, or an open binary/text file.
    bbox : tuple of float, optional
        ``(min_easting, min_northing, max_easting, max_northing)`` in British National Grid
        metres; when given, only postcodes inside it are kept (read chunk by chunk, which keeps
        memory low for the whole-UK ONSPD file).

    Returns
    -------
    pandas.DataFrame
        Columns ``postcode`` (normalised, unique; the first occurrence is kept), ``easting`` and
        ``northing`` (``int64``, EPSG:27700 metres). Terminated and unlocated postcodes are left
        out.

    Raises
    ------
    ValueError
        If the file is neither an ONSPD-style nor a Code-Point Open CSV, or holds no usable
        postcodes.
    """
    frames = []
    for opener in _iter_csv_sources(path_or_buffer):
        frame = _read_one_csv(opener, bbox=bbox)
        if frame is not None:
            frames.append(frame)
    if not frames:
        raise ValueError(
            "No postcode file recognised: expected an ONS Postcode Directory CSV (with pcds/pcd "
            "and oseast1m/osnrth1m or lat/long columns) or a Code-Point Open CSV."
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.drop_duplicates("postcode", keep="first").reset_index(drop=True)
    if out.empty:
        raise ValueError("The postcode file holds no live postcodes with coordinates.")
    return out


Opener = Callable[[], AbstractContextManager[IO[bytes]]]


def _iter_csv_sources(path_or_buffer: PathOrBuffer) -> Iterator[Opener]:
    """Yield openers (callables giving a fresh binary stream) for each CSV to read.

    Paths and zip members are streamed, never loaded whole, so the ~1 GB whole-UK ONSPD file
    is read chunk by chunk. Text buffers are encoded to UTF-8 first.
    """
    if isinstance(path_or_buffer, str | os.PathLike):
        path = os.fspath(path_or_buffer)
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
        if not is_zip:
            yield partial(open, path, "rb")  # the caller opens it in a with-block
            return
        with zipfile.ZipFile(path) as zf:
            for member in _zip_csv_members(zf.namelist()):
                yield lambda member=member, zf=zf: zf.open(member)
        return
    if isinstance(path_or_buffer, bytes | bytearray):
        raw = bytes(path_or_buffer)
    else:
        content = path_or_buffer.read()
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if raw[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            for member in _zip_csv_members(zf.namelist()):
                yield lambda member=member, zf=zf: zf.open(member)
        return
    yield lambda: io.BytesIO(raw)


def _zip_csv_members(names: list[str]) -> list[str]:
    """Choose the data CSVs inside a postcode zip (skip documentation, ONSPD multi_csv copies)."""
    csvs = [n for n in names if n.lower().endswith(".csv")]
    skip_words = ("doc", "user guide", "userguide", "metadata")
    csvs = [
        n for n in csvs if not any(w in p.lower() for p in n.split("/")[:-1] for w in skip_words)
    ]
    whole = [n for n in csvs if "multi_csv" not in n.lower()]
    if any("multi_csv" in n.lower() for n in csvs) and whole:
        csvs = whole
    return sorted(csvs)


def _csv_reader(fh: IO[bytes], **kwargs: Any) -> Iterator[pd.DataFrame]:
    """Chunked all-text CSV reader; UTF-8 (BOM stripped), undecodable bytes replaced.

    Only postcodes, numbers and codes are used, all ASCII, so replacing odd bytes is harmless.
    """
    return pd.read_csv(
        fh,
        dtype="str",
        encoding="utf-8-sig",
        encoding_errors="replace",
        chunksize=_CHUNK_ROWS,
        keep_default_na=False,
        na_values=[""],
        **kwargs,
    )


def _read_one_csv(
    opener: Opener, *, bbox: tuple[float, float, float, float] | None
) -> pd.DataFrame | None:
    """Parse one postcode CSV; ``None`` if it is not a recognised postcode file."""
    with opener() as fh:
        line = fh.readline(100_000).decode("utf-8-sig", errors="replace")
    first = next(csv.reader([line]), [])
    if not first:
        return None
    header = [c.strip().lower() for c in first]
    if normalise_postcode(pd.Series([first[0]], dtype="str")).notna().iloc[0]:
        return _read_codepoint(opener, columns=None, bbox=bbox)
    cols = _pick_columns(header)
    if cols is None:
        return None
    if cols.get("quality") is not None:
        return _read_codepoint(opener, columns=cols, bbox=bbox)
    return _read_onspd(opener, cols, bbox=bbox)


def _first_present(header: list[str], candidates: tuple[str, ...]) -> str | None:
    """The first candidate name present in the lower-cased ``header``."""
    for cand in candidates:
        if cand in header:
            return cand
    return None


def _pick_columns(header: list[str]) -> dict[str, str | None] | None:
    """Map a lower-cased header to the postcode file's columns, or ``None`` if unusable."""
    cols: dict[str, str | None] = {
        "postcode": _first_present(header, _POSTCODE_COLUMNS),
        "easting": _first_present(header, _EASTING_COLUMNS),
        "northing": _first_present(header, _NORTHING_COLUMNS),
        "lat": _first_present(header, _LAT_COLUMNS),
        "lon": _first_present(header, _LON_COLUMNS),
        "doterm": "doterm" if "doterm" in header else None,
        "grid": _first_present(header, _GRID_INDICATOR_COLUMNS),
        "quality": _first_present(header, _QUALITY_COLUMNS),
    }
    has_grid = cols["easting"] is not None and cols["northing"] is not None
    has_latlon = cols["lat"] is not None and cols["lon"] is not None
    if cols["postcode"] is None or not (has_grid or has_latlon):
        return None
    if not has_grid:
        cols["easting"] = cols["northing"] = None
    return cols


def _read_codepoint(
    opener: Opener,
    *,
    columns: dict[str, str | None] | None,
    bbox: tuple[float, float, float, float] | None,
) -> pd.DataFrame:
    """Read a Code-Point Open CSV (headerless, or with PC/PQ/EA/NO names)."""
    parts = []
    with opener() as fh:
        if columns is not None:
            wanted = [
                columns["postcode"],
                columns["quality"],
                columns["easting"],
                columns["northing"],
            ]
            reader = _csv_reader(fh, usecols=lambda c: c.strip().lower() in wanted)
        else:
            reader = _csv_reader(fh, header=None, usecols=[0, 1, 2, 3])
        for chunk in reader:
            if columns is not None:
                chunk.columns = [c.strip().lower() for c in chunk.columns]
                chunk = chunk.rename(columns={name: k for k, name in enumerate(wanted)})
            quality = pd.to_numeric(chunk[1], errors="coerce")
            easting = pd.to_numeric(chunk[2], errors="coerce")
            northing = pd.to_numeric(chunk[3], errors="coerce")
            keep = (quality != 90) & easting.gt(0) & northing.gt(0)
            parts.append(_finish(chunk[0], easting, northing, keep, bbox))
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def _read_onspd(
    opener: Opener, cols: dict[str, str | None], *, bbox: tuple[float, float, float, float] | None
) -> pd.DataFrame:
    """Read an ONSPD-style CSV chunk by chunk, dropping terminated and unlocated postcodes."""
    wanted = {v for v in cols.values() if v is not None}
    parts = []
    with opener() as fh:
        for chunk in _csv_reader(fh, usecols=lambda c: c.strip().lower() in wanted):
            chunk.columns = [c.strip().lower() for c in chunk.columns]
            keep = pd.Series(True, index=chunk.index)
            if cols["doterm"] is not None:
                keep &= chunk[cols["doterm"]].isna() | (chunk[cols["doterm"]].str.strip() == "")
            if cols["grid"] is not None:
                keep &= pd.to_numeric(chunk[cols["grid"]], errors="coerce").ne(9)
            if cols["easting"] is not None:
                easting = pd.to_numeric(chunk[cols["easting"]], errors="coerce")
                northing = pd.to_numeric(chunk[cols["northing"]], errors="coerce")
            else:
                lat = pd.to_numeric(chunk[cols["lat"]], errors="coerce")
                lon = pd.to_numeric(chunk[cols["lon"]], errors="coerce")
                keep &= lat.between(49.0, 61.5) & lon.between(-9.0, 2.5)
                easting, northing = _to_bng(lon, lat)
            parts.append(_finish(chunk[cols["postcode"]], easting, northing, keep, bbox))
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def _to_bng(lon: pd.Series, lat: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert WGS84 longitude/latitude to British National Grid easting/northing."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(4326, 27700, always_xy=True)
    x, y = transformer.transform(lon.to_numpy(float), lat.to_numpy(float))
    return pd.Series(x, index=lon.index), pd.Series(y, index=lat.index)


def _finish(
    postcode: pd.Series,
    easting: pd.Series,
    northing: pd.Series,
    keep: pd.Series,
    bbox: tuple[float, float, float, float] | None,
) -> pd.DataFrame:
    """Apply the keep mask, bbox and postcode normalisation; return the output columns."""
    keep = keep.fillna(False).astype(bool)
    keep &= np.isfinite(easting.to_numpy(float)) & np.isfinite(northing.to_numpy(float))
    if bbox is not None:
        keep &= easting.between(bbox[0], bbox[2]) & northing.between(bbox[1], bbox[3])
    pc = normalise_postcode(postcode[keep])
    ok = pc.notna()
    return pd.DataFrame(
        {
            "postcode": pc[ok].to_numpy(),
            "easting": np.rint(easting[keep][ok].to_numpy(float)).astype("int64"),
            "northing": np.rint(northing[keep][ok].to_numpy(float)).astype("int64"),
        }
    ).astype({"postcode": "str"})


def _empty() -> pd.DataFrame:
    """An empty postcode table with the output columns."""
    return pd.DataFrame(
        {
            "postcode": pd.Series(dtype="str"),
            "easting": pd.Series(dtype="int64"),
            "northing": pd.Series(dtype="int64"),
        }
    )
