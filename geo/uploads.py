"""Reading, validating and locating uploaded stock lists and service directories.

Everything works on the uploaded bytes in memory; nothing is written to disk. The steps are::

    df = read_table(data, filename)              # CSV / Excel -> all-text DataFrame
    mapping = detect_columns(df, kind="stock")   # role -> column (the UI lets the user edit it)
    accepted, rejected = locate(df, mapping, london=boroughs, postcodes=lookup)
    summary = summarise_upload(accepted, rejected, rows_read=len(df))

and for service directories ``parse_services`` adds the housing associations' theme;
``read_openreferral`` turns Open Referral UK / HSDS JSON into the same kind of flat table.

Row numbers
-----------
``read_table`` indexes its result by the *spreadsheet row number* (index name ``"row"``): the
header is row 1 (or the row it was found on, if title rows sit above it), so the first data row
is normally row 2 — the number a user sees in Excel. ``locate`` copies that number into a ``row``
column of both outputs; for a frame whose index is not named ``"row"`` it uses position + 2
(a header row is assumed).

Rejection reasons
-----------------
Every row of the input ends up in exactly one of ``accepted`` / ``rejected``; ``rejected``
carries a ``reason`` from :data:`REJECTION_REASONS` (keys are the exact strings).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Hashable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.postcodes import normalise_postcode
from geo.themes import OTHER, assign_theme

__all__ = [
    "COORDS_INCOMPLETE",
    "COORDS_NOT_FINITE",
    "COORDS_NOT_NUMERIC",
    "DUPLICATE",
    "LOOKUP_MISSING",
    "MAX_BYTES",
    "MAX_ROWS",
    "NO_LOCATION",
    "OUTSIDE_LONDON",
    "POSTCODE_BAD",
    "POSTCODE_NOT_FOUND",
    "REJECTION_REASONS",
    "ROLES",
    "UploadError",
    "detect_columns",
    "locate",
    "parse_services",
    "read_openreferral",
    "read_table",
    "summarise_upload",
]

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000


class UploadError(ValueError):
    """An upload cannot be used; the message tells the user what to fix."""


# --------------------------------------------------------------------------------------------
# Rejection reasons (exact strings)
# --------------------------------------------------------------------------------------------
NO_LOCATION = "no location"
COORDS_INCOMPLETE = "coordinates incomplete"
COORDS_NOT_NUMERIC = "coordinates not numeric"
COORDS_NOT_FINITE = "coordinates not finite"
POSTCODE_BAD = "bad postcode"
LOOKUP_MISSING = "postcode lookup not installed"
POSTCODE_NOT_FOUND = "postcode not found"
OUTSIDE_LONDON = "outside London"
DUPLICATE = "duplicate"

#: Reason -> what it means / what to fix, in the order used by :func:`summarise_upload`.
REJECTION_REASONS: dict[str, str] = {
    NO_LOCATION: "The row has no coordinates and no postcode.",
    COORDS_INCOMPLETE: "Only one of the pair of coordinates is filled in.",
    COORDS_NOT_NUMERIC: "A coordinate is not a number (use e.g. 51.5074 / -0.1278, or "
    "530047 / 180422 for easting / northing).",
    COORDS_NOT_FINITE: "A coordinate is NaN or infinite.",
    POSTCODE_BAD: "The postcode is not in UK postcode format (e.g. SW1A 1AA).",
    LOOKUP_MISSING: "The row has only a postcode and the offline postcode lookup is not "
    "installed, so it cannot be placed (add latitude/longitude or easting/northing).",
    POSTCODE_NOT_FOUND: "The postcode is well formed but not in the postcode lookup (it may "
    "be new, terminated or outside London).",
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
# Column roles: role -> (exact names, substrings). Names are compared after lower-casing and
# removing everything but letters and digits ("Post Code" -> "postcode").
# --------------------------------------------------------------------------------------------
_LOCATION_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "postcode": (
        (
            "postcode",
            "postcodes",
            "postalcode",
            "pcd",
            "pcds",
            "pcd7",
            "pcd8",
            "pc",
            "zip",
            "zipcode",
            "postcodeofproperty",
            "propertypostcode",
            "schemepostcode",
        ),
        ("postcode", "postalcode"),
    ),
    "latitude": (
        (
            "latitude",
            "lat",
            "lattitude",
            "latwgs84",
            "latitudewgs84",
            "wgs84latitude",
            "ylat",
            "latdd",
            "decimallatitude",
            "gpslatitude",
        ),
        ("latitude", "lattitude"),
    ),
    "longitude": (
        (
            "longitude",
            "lon",
            "lng",
            "long",
            "longditude",
            "longwgs84",
            "longitudewgs84",
            "wgs84longitude",
            "xlong",
            "xlon",
            "londd",
            "decimallongitude",
            "gpslongitude",
        ),
        ("longitude", "longditude"),
    ),
    "easting": (
        (
            "easting",
            "eastings",
            "east",
            "x",
            "xcoordinate",
            "xcoord",
            "oseast1m",
            "east1m",
            "osgridx",
            "bngx",
            "gridx",
            "eastingbng",
            "bngeasting",
            "osgbeasting",
        ),
        ("easting",),
    ),
    "northing": (
        (
            "northing",
            "northings",
            "north",
            "y",
            "ycoordinate",
            "ycoord",
            "osnrth1m",
            "north1m",
            "osgridy",
            "bngy",
            "gridy",
            "northingbng",
            "bngnorthing",
            "osgbnorthing",
        ),
        ("northing",),
    ),
}

_STOCK_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    **_LOCATION_ROLES,
    "uprn": (("uprn", "uniquepropertyreferencenumber", "propertyuprn"), ("uprn",)),
    "id": (
        (
            "id",
            "propertyid",
            "propertyref",
            "propertyreference",
            "ref",
            "reference",
            "unitid",
            "unitref",
            "schemeid",
            "schemeref",
            "schemecode",
            "assetid",
            "assetref",
            "assetreference",
            "code",
            "placeref",
            "blockid",
            "blockref",
        ),
        ("propertyid", "propertyref", "assetref", "assetid"),
    ),
    "provider": (
        (
            "provider",
            "providername",
            "landlord",
            "landlordname",
            "housingassociation",
            "housingassociationname",
            "registeredprovider",
            "registeredprovidername",
            "rp",
            "rpname",
            "ha",
            "haname",
            "organisation",
            "organisationname",
            "organization",
            "organizationname",
            "owner",
            "ownername",
            "housingprovider",
        ),
        ("landlord", "housingassociation", "registeredprovider", "provider"),
    ),
    "scheme": (
        (
            "scheme",
            "schemename",
            "propertyname",
            "property",
            "address",
            "addressline1",
            "address1",
            "fulladdress",
            "propertyaddress",
            "schemeaddress",
            "buildingname",
            "building",
            "blockname",
            "block",
            "estate",
            "estatename",
            "site",
            "sitename",
            "street",
            "streetname",
            "location",
            "locationname",
        ),
        ("schemename", "scheme", "propertyname", "address", "building", "estate"),
    ),
    "units": (
        (
            "units",
            "unit",
            "numberofunits",
            "noofunits",
            "nounits",
            "unitcount",
            "totalunits",
            "homes",
            "numberofhomes",
            "noofhomes",
            "homecount",
            "totalhomes",
            "bedspaces",
            "numberofbedspaces",
            "noofbedspaces",
            "dwellings",
            "numberofdwellings",
            "noofdwellings",
            "properties",
            "numberofproperties",
            "noofproperties",
            "propertycount",
            "count",
            "stock",
            "stockcount",
            "households",
        ),
        ("units", "homes", "bedspaces", "dwellings"),
    ),
    "tenure": (
        (
            "tenure",
            "tenuretype",
            "type",
            "propertytype",
            "housingtype",
            "hometype",
            "generalneeds",
            "supportedhousing",
            "needstype",
            "needs",
            "schemetype",
            "category",
            "producttype",
            "renttype",
            "tenurecategory",
        ),
        ("tenure", "needs"),
    ),
}

_SERVICE_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name": (
        (
            "name",
            "servicename",
            "service",
            "title",
            "servicetitle",
            "activity",
            "activityname",
            "project",
            "projectname",
            "groupname",
            "group",
            "organisation",
            "organisationname",
            "organization",
            "organizationname",
            "provider",
            "providername",
        ),
        ("servicename", "activityname", "projectname", "name"),
    ),
    "theme": (
        (
            "theme",
            "themes",
            "category",
            "categories",
            "type",
            "servicetype",
            "taxonomy",
            "taxonomies",
            "taxonomyterm",
            "taxonomyterms",
            "subject",
            "topic",
            "topics",
            "sector",
            "servicecategory",
            "activitytype",
            "tags",
            "keywords",
        ),
        ("theme", "category", "categories", "taxonom", "servicetype"),
    ),
    "description": (
        (
            "description",
            "servicedescription",
            "details",
            "summary",
            "about",
            "notes",
            "shortdescription",
            "longdescription",
            "information",
            "info",
            "overview",
        ),
        ("description", "summary"),
    ),
    **_LOCATION_ROLES,
    "capacity": (
        (
            "capacity",
            "places",
            "spaces",
            "maxcapacity",
            "maximumcapacity",
            "numberofplaces",
            "noofplaces",
            "placesavailable",
            "size",
            "maxparticipants",
            "caseload",
        ),
        ("capacity", "places"),
    ),
    "opening_hours": (
        (
            "openinghours",
            "opening",
            "hours",
            "openingtimes",
            "times",
            "schedule",
            "availability",
            "when",
            "daysandtimes",
            "sessiontimes",
            "regularschedule",
        ),
        ("opening", "hours", "times", "schedule"),
    ),
    "contact": (
        (
            "contact",
            "contactdetails",
            "phone",
            "telephone",
            "tel",
            "phonenumber",
            "telephonenumber",
            "contactnumber",
            "mobile",
            "email",
            "emailaddress",
            "contactemail",
            "contactphone",
        ),
        ("phone", "email", "telephone", "contact"),
    ),
    "website": (
        (
            "website",
            "url",
            "web",
            "webaddress",
            "link",
            "homepage",
            "websiteurl",
            "weblink",
            "serviceurl",
            "webpage",
        ),
        ("website", "url", "webaddress"),
    ),
}

#: Roles per upload kind, in matching priority order.
ROLES: dict[str, tuple[str, ...]] = {
    "stock": tuple(_STOCK_ROLES),
    "services": tuple(_SERVICE_ROLES),
}

#: Substrings that stop a column from matching a role by substring (e.g. "Email address" is
#: not a scheme address).
_EXCLUDE: dict[str, tuple[str, ...]] = {
    "scheme": ("email", "web", "url", "postcode"),
    "name": ("contact", "file"),
    "provider": ("providerid", "providercode", "providerref"),
}

_LOCATION_ROLE_NAMES = ("postcode", "latitude", "longitude", "easting", "northing")

_KNOWN_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab"}
_SHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_HEADER_SEARCH_ROWS = 30


# --------------------------------------------------------------------------------------------
# read_table
# --------------------------------------------------------------------------------------------
def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    sheet: int | str = 0,
) -> pd.DataFrame:
    """Read an uploaded CSV or Excel file into an all-text DataFrame.

    Parameters
    ----------
    data : bytes
        The uploaded file's content (kept in memory, never written to disk).
    filename : str
        The uploaded file's name; its extension must be one of ``.csv``, ``.txt``, ``.tsv``,
        ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls``, ``.ods`` or ``.json`` (Open Referral, see
        :func:`read_openreferral`). The *content* decides how the file is parsed: an Excel
        workbook named ``.csv`` is read as Excel (with a warning).
    max_bytes : int, default 50 MiB
        Larger files are refused.
    max_rows : int, default 1,000,000
        Files with more data rows are refused.
    sheet : int or str, default 0
        Worksheet to read from a workbook (the first by default).

    Returns
    -------
    pandas.DataFrame
        Every cell as text (``str`` dtype, so postcodes and leading zeros survive); empty cells
        are NaN, all other text is kept verbatim (no stripping, no "NA" -> NaN). Indexed by
        the spreadsheet row number (index name ``"row"``). Rows that are entirely empty and
        columns with neither a name nor any value are dropped. ``attrs`` holds ``file_type``,
        ``encoding`` (CSV), ``delimiter`` (CSV), ``sheet`` (Excel), ``header_row``,
        ``blank_rows`` (dropped) and ``warnings`` (list of messages for the user).

    Raises
    ------
    UploadError
        Empty file; not a CSV/Excel file (e.g. a PNG or PDF renamed ``.csv``, detected from
        its first bytes); over ``max_bytes`` or ``max_rows``; no header row or no columns;
        unparseable content (e.g. a row with more values than the header).

    Notes
    -----
    * CSV encodings: UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode text"), else
      Windows-1252, else Latin-1 (which decodes any bytes), so odd bytes never crash the reader.
    * The delimiter (``,`` ``;`` tab ``|``) is detected from the first lines; an Excel
      ``sep=;`` first line is honoured.
    * The header is the first row, among the first 30, that fills at least half the table's
      width; title rows above it are skipped (with a warning). A header that looks like data
      (mostly numbers or postcodes) is refused.
    * Duplicate column names are *renamed*, not refused: the second ``name`` becomes
      ``name.1``, the third ``name.2`` (pandas' convention; a suffix already used by another
      column is skipped), with a warning. Blank names become
      ``column_<n>`` (1-based position).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be bytes")
    data = bytes(data)
    _check_size(data, max_bytes)
    ext = _extension(filename)
    kind, what = _sniff(data)
    filename = _display_name(filename)
    warnings: list[str] = []
    if kind == "binary":
        raise UploadError(
            f"'{filename}' is {what}, not a table. Upload a CSV (.csv) or Excel (.xlsx) file."
        )
    if ext == ".json":
        return read_openreferral(data, max_bytes=max_bytes, max_rows=max_rows)
    if ext not in _TEXT_EXTENSIONS | _SHEET_EXTENSIONS:
        raise UploadError(
            f"'{filename}' is not a supported file type. Upload a CSV (.csv) or Excel (.xlsx) "
            "file, or Open Referral JSON (.json)."
        )
    if kind == "spreadsheet" and ext in _TEXT_EXTENSIONS:
        warnings.append(f"'{filename}' is an Excel/OpenDocument workbook; it was read as one.")
    if kind == "text" and ext in _SHEET_EXTENSIONS:
        warnings.append(f"'{filename}' holds plain text, not a workbook; it was read as CSV.")
    if kind == "spreadsheet":
        _check_zip_size(data, max_bytes)
        df = _read_workbook(data, sheet=sheet, max_rows=max_rows, warnings=warnings)
    else:
        df = _read_csv(data, ext=ext, max_rows=max_rows, warnings=warnings)
    df.attrs["warnings"] = warnings
    return df


def _mb(n: int) -> str:
    """Human-readable size: "50 MB", "1.5 MB", "20 KB" (binary units)."""
    value, unit = (n / 1024 / 1024, "MB") if n >= 1024 * 1024 else (n / 1024, "KB")
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def _check_size(data: bytes, max_bytes: int) -> None:
    """Refuse empty and oversized files."""
    if len(data) > max_bytes:
        raise UploadError(
            f"The file is {_mb(len(data))}; the limit is {_mb(max_bytes)}. Remove unused "
            "columns or split the file into smaller parts."
        )
    if not data.strip(b" \t\r\n\x00") or data in (
        codecs.BOM_UTF8,
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
    ):
        raise UploadError("The file is empty. Upload a file with a header row and data rows.")


def _display_name(filename: str) -> str:
    """The file name for messages: control characters removed, at most 80 characters."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", str(filename or ""))
    return name if len(name) <= 80 else name[:77] + "..."


def _extension(filename: str) -> str:
    """Lower-case extension including the dot ('' if none)."""
    name = str(filename or "").strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def _sniff(data: bytes) -> tuple[str, str]:
    """Classify content from its first bytes: ('spreadsheet'|'text'|'binary', description)."""
    head = data[:4096]
    for magic, what in _KNOWN_BINARY:
        if head.startswith(magic):
            return "binary", what
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "binary", "an image or media file"
    if head[4:8] == b"ftyp":
        return "binary", "an image or video file"
    if head.startswith(_OLE2):
        return "spreadsheet", "an old-format Office file"
    if head.startswith(_ZIP):
        return _sniff_zip(data)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text", "UTF-16 text"
    if b"\x00" in head:
        return "binary", "a binary (non-text) file"
    return "text", "text"


def _sniff_zip(data: bytes) -> tuple[str, str]:
    """Tell an Excel / OpenDocument workbook from other zip files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = zf.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return "binary", "a damaged zip/Office file"
    if any(n.startswith("xl/workbook") for n in names):
        return "spreadsheet", "an Excel workbook"
    if "spreadsheet" in mimetype:
        return "spreadsheet", "an OpenDocument spreadsheet"
    if any(n.startswith("word/") for n in names):
        return "binary", "a Word document"
    if any(n.startswith("ppt/") for n in names):
        return "binary", "a PowerPoint presentation"
    return "binary", "a zip archive"


def _check_zip_size(data: bytes, max_bytes: int) -> None:
    """Refuse workbooks that expand to far more than the upload limit (zip bombs)."""
    if not data.startswith(_ZIP):
        return
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        total = sum(info.file_size for info in zf.infolist())
    if total > 20 * max_bytes:
        raise UploadError(
            f"The workbook expands to {_mb(total)} of data; the limit is {_mb(20 * max_bytes)}. "
            "Save it as CSV or split it."
        )


def _decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes; returns (text, encoding). Never raises."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(lines: list[str], ext: str) -> str:
    """Pick the delimiter giving the most consistent number (>1) of fields per line."""
    candidates = ["\t", ",", ";", "|"] if ext in {".tsv", ".tab"} else [",", ";", "\t", "|"]
    best, best_score = candidates[0], (0, 0)
    for cand in candidates:
        try:
            counts = [
                len(r) for r in csv.reader(lines, delimiter=cand) if any(c.strip() for c in r)
            ]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (sum(c == mode for c in counts), mode) if mode > 1 else (0, 0)
        if score > best_score:
            best, best_score = cand, score
    return best


def _header_index(filled: Sequence[int]) -> int:
    """Index of the header row: first row filling at least half the widest row."""
    width = max(filled) if len(filled) else 0
    if width == 0:
        raise UploadError(
            "No columns found: the first rows are empty. Put the column names in the first row."
        )
    need = max(1, math.ceil(width / 2))
    return next(i for i, f in enumerate(filled) if f >= need)


def _read_csv(data: bytes, *, ext: str, max_rows: int, warnings: list[str]) -> pd.DataFrame:
    """Parse CSV text into the read_table frame."""
    text, encoding = _decode(data)
    if not text.strip():
        raise UploadError("The file is empty. Upload a file with a header row and data rows.")
    if encoding in ("cp1252", "latin-1"):
        label = "Windows-1252" if encoding == "cp1252" else "Latin-1"
        warnings.append(f"The file is not UTF-8; it was read as {label}. Check accented letters.")
    head = text[:262_144]
    lines = head.splitlines(keepends=True)
    if len(head) < len(text) and len(lines) > 1:
        lines = lines[:-1]
    lines = lines[:200]
    skip_lines = 0
    skip_records = 0
    delimiter = None
    match = re.fullmatch(r"\s*sep=(.)\s*", lines[0]) if lines else None
    if match:
        delimiter, skip_lines, skip_records = match.group(1), 1, 1
        lines = lines[1:]
    if delimiter is None:
        delimiter = _sniff_delimiter(lines[:50], ext)
    filled: list[int] = []
    ends: list[int] = []
    try:
        reader = csv.reader(lines, delimiter=delimiter)
        for record in reader:
            filled.append(sum(1 for c in record if c.strip()))
            ends.append(reader.line_num)
            if len(filled) >= _HEADER_SEARCH_ROWS:
                break
    except csv.Error as exc:
        raise UploadError(f"The file could not be read as CSV ({exc}).") from exc
    h = _header_index(filled)
    if h:
        warnings.append(f"Skipped {h} row(s) above the header row.")
        skip_lines += ends[h - 1]
        skip_records += h
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=skip_lines,
            dtype="str",
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            nrows=max_rows + 2,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        msg = str(exc)
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if found:
            expected, line, saw = found.groups()
            raise UploadError(
                f"Line {int(line) + skip_lines} has {saw} values but the header has {expected} "
                "columns. Put text containing the delimiter in double quotes, or remove the "
                "extra values."
            ) from exc
        raise UploadError(f"The file could not be read as CSV ({msg[:200]}).") from exc
    except pd.errors.EmptyDataError as exc:
        raise UploadError("No columns found. Put the column names in the first row.") from exc
    except Exception as exc:  # the C parser raises several types on malformed input
        raise UploadError(f"The file could not be read as CSV ({str(exc)[:200]}).") from exc
    df = _finish_table(raw, header_row=skip_records + 1, max_rows=max_rows, warnings=warnings)
    df.attrs.update(file_type="csv", encoding=encoding, delimiter=delimiter)
    return df


def _read_workbook(
    data: bytes, *, sheet: int | str, max_rows: int, warnings: list[str]
) -> pd.DataFrame:
    """Parse the first (or chosen) worksheet of an Excel/ODS workbook."""
    engine = _excel_engine()
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine=engine)
        names = book.sheet_names
        raw = pd.read_excel(
            book,
            sheet_name=sheet,
            header=None,
            dtype="str",
            nrows=max_rows + _HEADER_SEARCH_ROWS + 2,
        )
    except Exception as exc:  # calamine/openpyxl raise many types for damaged files
        raise UploadError(
            f"The workbook could not be read ({str(exc)[:200]}). Open it in Excel and save it "
            "again as .xlsx or CSV."
        ) from exc
    sheet_name = names[sheet] if isinstance(sheet, int) and sheet < len(names) else str(sheet)
    if len(names) > 1:
        warnings.append(f"Only the sheet '{sheet_name}' was read ({len(names)} sheets in file).")
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise UploadError("The sheet is empty. Put the column names in the first row.")
    filled = raw.head(_HEADER_SEARCH_ROWS).notna().sum(axis=1).tolist()
    h = _header_index(filled)
    if h:
        warnings.append(f"Skipped {h} row(s) above the header row.")
    raw = raw.iloc[h:].reset_index(drop=True)
    df = _finish_table(raw, header_row=h + 1, max_rows=max_rows, warnings=warnings)
    df.attrs.update(file_type="excel", sheet=sheet_name)
    return df


@lru_cache(maxsize=1)
def _excel_engine() -> str:
    """python-calamine if installed (fast), else openpyxl."""
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _looks_like_data(values: list[str]) -> bool:
    """True if most header cells are numbers or postcodes (i.e. the file has no header)."""
    cells = pd.Series(values, dtype="str")
    numeric = pd.to_numeric(cells.str.strip(), errors="coerce").notna()
    postcode = normalise_postcode(cells).notna()
    datalike = int((numeric | postcode).sum())
    return datalike > 0 and datalike * 2 >= len(values)


def _finish_table(
    raw: pd.DataFrame, *, header_row: int, max_rows: int, warnings: list[str]
) -> pd.DataFrame:
    """Split the header row off ``raw``, clean names, drop blank rows; index = sheet row."""
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise UploadError("No columns found. Put the column names in the first row.")
    header = [None if pd.isna(v) else str(v).strip() for v in raw.iloc[0].tolist()]
    body = raw.iloc[1:]
    if len(body) > max_rows:
        raise UploadError(
            f"The file has more than {max_rows:,} data rows; the limit is {max_rows:,}. Split it "
            "into smaller files."
        )
    named = [h for h in header if h]
    if not named:
        raise UploadError("No column names found. Put the column names in the first row.")
    if _looks_like_data(named):
        example = named[0]
        raise UploadError(
            f"The first row looks like data (e.g. '{example[:40]}'), not column names. Add a "
            "header row with names such as postcode, latitude, longitude."
        )
    keep = [bool(h) or body.iloc[:, i].notna().any() for i, h in enumerate(header)]
    names: list[str] = []
    for i, h in enumerate(header):
        if not keep[i]:
            continue
        if not h:
            h = f"column_{i + 1}"
            warnings.append(f"Column {i + 1} has no name; it was called '{h}'.")
        names.append(h)
    names = _dedupe_names(names, warnings)
    body = body.loc[:, keep]
    body.columns = names
    rows = np.arange(len(body), dtype="int64") + header_row + 1
    body = body.set_axis(pd.Index(rows, name="row"), axis=0)
    blank = body.isna().all(axis=1)
    n_blank = int(blank.sum())
    if n_blank:
        body = body.loc[~blank]
    if body.empty:
        raise UploadError("The file has column names but no data rows.")
    if not all(dtype == "str" for dtype in body.dtypes):
        body = body.astype("str")
    body.attrs = {"header_row": header_row, "blank_rows": n_blank}
    return body


def _dedupe_names(names: list[str], warnings: list[str]) -> list[str]:
    """Rename repeated names to ``name.1``, ``name.2`` ... avoiding existing names."""
    taken = set(names)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name not in seen:
            seen[name] = 0
            out.append(name)
            continue
        k = seen[name]
        while True:
            k += 1
            candidate = f"{name}.{k}"
            if candidate not in taken:
                break
        seen[name] = k
        taken.add(candidate)
        out.append(candidate)
        warnings.append(f"Column '{name}' appears more than once; a later copy is '{candidate}'.")
    return out


# --------------------------------------------------------------------------------------------
# detect_columns
# --------------------------------------------------------------------------------------------
def _norm_name(name: Hashable) -> str:
    """Lower-case letters and digits only ("Post_Code " -> "postcode")."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def detect_columns(
    df: pd.DataFrame, kind: Literal["stock", "services"] = "stock"
) -> dict[str, str | None]:
    """Guess which column plays which role.

    Parameters
    ----------
    df : pandas.DataFrame
        Uploaded table (e.g. from :func:`read_table`).
    kind : {"stock", "services"}
        ``"stock"`` roles: postcode, latitude, longitude, easting, northing, uprn, id,
        provider, scheme, units, tenure. ``"services"`` roles: name, theme, description,
        postcode, latitude, longitude, easting, northing, capacity, opening_hours, contact,
        website.

    Returns
    -------
    dict
        Every role of ``kind`` -> a column name, or None if no column matched. Each column is
        used for at most one role.

    Notes
    -----
    Names are compared case-insensitively ignoring spaces, underscores and punctuation. First
    every role looks for an exact synonym (``lat``, ``lng``, ``long``, ``lon``, ``x``, ``y``,
    ``east``, ``north``, ``post code``, ``pcd``...), roles in the order listed above and
    synonyms in priority order; then roles still unmatched look for a column *containing* a
    longer keyword (e.g. "Scheme postcode" -> postcode, "Number of units (total)" -> units).
    ``x``/``y`` are taken as easting/northing; :func:`locate` recognises degrees in them anyway.
    """
    if kind not in ROLES:
        raise ValueError(f"kind must be 'stock' or 'services', not {kind!r}")
    roles = _STOCK_ROLES if kind == "stock" else _SERVICE_ROLES
    columns = list(df.columns)
    normed = [_norm_name(c) for c in columns]
    used: set[int] = set()
    out: dict[str, str | None] = dict.fromkeys(roles)
    for role, (exact, _) in roles.items():
        for syn in exact:
            hit = next((i for i, n in enumerate(normed) if n == syn and i not in used), None)
            if hit is not None:
                out[role] = columns[hit]
                used.add(hit)
                break
    for role, (_, contains) in roles.items():
        if out[role] is not None:
            continue
        exclude = _EXCLUDE.get(role, ())
        for syn in contains:
            hit = next(
                (
                    i
                    for i, n in enumerate(normed)
                    if syn in n and i not in used and not any(x in n for x in exclude)
                ),
                None,
            )
            if hit is not None:
                out[role] = columns[hit]
                used.add(hit)
                break
    return out


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


def _numbers(s: pd.Series, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a coordinate column: (values, not_numeric, not_finite) for non-blank cells."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        not_finite = ~blank & ~np.isfinite(values)
        return values, np.zeros(len(s), bool), not_finite
    text = (s if s.dtype == "str" else s.astype("str")).str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    failed = ~blank & np.isnan(values)
    nan_literal = np.zeros(len(s), bool)
    if failed.any():
        idx = np.flatnonzero(failed)
        nan_literal[idx] = (
            text.iloc[idx].str.fullmatch(r"[+-]?nan", case=False).fillna(False).to_numpy(bool)
        )
    not_numeric = failed & ~nan_literal
    not_finite = ~blank & ~not_numeric & ~np.isfinite(values)
    return values, not_numeric, not_finite


def _coordinate_pair(
    xs: pd.Series, ys: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate one pair of coordinate columns: (present, valid, reason, x, y)."""
    bx, by = _blank(xs), _blank(ys)
    x, x_bad, x_inf = _numbers(xs, bx)
    y, y_bad, y_inf = _numbers(ys, by)
    present = ~(bx & by)
    reason = np.full(len(xs), None, dtype=object)
    reason[present & (x_inf | y_inf)] = COORDS_NOT_FINITE
    reason[present & (x_bad | y_bad)] = COORDS_NOT_NUMERIC
    reason[present & (bx | by)] = COORDS_INCOMPLETE
    valid = present & ~(bx | by) & ~(x_bad | y_bad) & ~(x_inf | y_inf)
    return present, valid, reason, x, y


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

    for xs_col, ys_col in pairs:
        present, valid, why, xv, yv = _coordinate_pair(df[xs_col], df[ys_col])
        take = valid & ~done
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
        location_cols = {mapping.get(r) for r in _LOCATION_ROLE_NAMES} - {None}
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
# Services
# --------------------------------------------------------------------------------------------
def parse_services(
    df: pd.DataFrame, mapping: dict[str, str | None], *, column: str = "assigned_theme"
) -> pd.DataFrame:
    """Add the housing associations' theme to a service directory.

    Parameters
    ----------
    df : pandas.DataFrame
        Service rows (from :func:`read_table` / :func:`read_openreferral`, or the accepted
        frame from :func:`locate`).
    mapping : dict
        Role -> column; uses ``theme``, ``name`` and ``description`` when present.
    column : str, default "assigned_theme"
        Name of the added column.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` (same type and index) with ``column``: an ordered categorical of
        :data:`geo.themes.THEMES`. The service's own theme/category text decides first (exact
        theme names map directly, otherwise keywords); when that gives ``"Other"``, the name
        and description are searched for keywords. Still nothing -> ``"Other"``.
    """
    out = df.copy()
    index = df.index

    def text(role: str) -> pd.Series:
        col = mapping.get(role)
        if col is None or col not in df.columns:
            return pd.Series("", index=index, dtype="str")
        return df[col].astype("str").fillna("")

    theme = assign_theme(text("theme"))
    fallback_text = text("name") + " " + text("description")
    other = (theme == OTHER).to_numpy(bool)
    values = theme.array.copy()
    if other.any():
        values[other] = assign_theme(fallback_text[other]).array
    out[column] = values
    return out


_ORUK_COLUMNS = (
    "id",
    "name",
    "organisation",
    "description",
    "theme",
    "location_name",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "website",
    "email",
    "phone",
    "opening_hours",
    "status",
)


def read_openreferral(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> pd.DataFrame:
    """Flatten Open Referral UK / HSDS service JSON into a table.

    Parameters
    ----------
    data : bytes
        JSON (UTF-8, optional BOM). Accepted shapes: a list of services; a paginated ORUK API
        page ``{"content": [...], "totalElements": ...}`` (also ``items``, ``services``,
        ``data`` or ``results`` holding the list); or a single service object.
    max_bytes, max_rows : int
        Limits as for :func:`read_table` (rows counted after flattening).

    Returns
    -------
    pandas.DataFrame
        One row per service *location* (a service with no location gives one row with empty
        location fields, which :func:`locate` will reject as ``"no location"``). Columns:
        ``id``, ``name``, ``organisation``, ``description``, ``theme`` (taxonomy terms from
        ``taxonomies``, ``service_taxonomys[].taxonomy``, ``attributes[].taxonomy_term`` or
        ``categories``, joined with ``"; "``), ``location_name``, ``address``, ``postcode``
        (``physical_addresses[].postal_code`` or HSDS 3 ``addresses``), ``latitude``,
        ``longitude`` (``service_at_locations[].location`` or ``locations[]``), ``website``
        (``url``), ``email``, ``phone``, ``opening_hours`` (from ``regular_schedules`` /
        ``schedules``), ``status``. All values are text (``str`` dtype). Index: 1-based record
        number named ``"row"``.

    Raises
    ------
    UploadError
        Empty, too large, not JSON, or not a recognisable service list.
    """
    data = bytes(data)
    _check_size(data, max_bytes)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UploadError(f"The file is not valid JSON ({str(exc)[:120]}).") from exc
    services = _service_list(doc)
    rows: list[dict[str, Any]] = []
    for service in services:
        if not isinstance(service, dict):
            continue
        base = _service_fields(service)
        locations = _service_locations(service)
        for loc in locations or [{}]:
            rows.append({**base, **loc})
        if len(rows) > max_rows:
            raise UploadError(
                f"The file has more than {max_rows:,} service locations; the limit is {max_rows:,}."
            )
    if not rows:
        raise UploadError("The JSON holds no services.")
    out = pd.DataFrame(rows, columns=list(_ORUK_COLUMNS)).astype("str")
    out.index = pd.RangeIndex(1, len(out) + 1, name="row")
    out.attrs = {"file_type": "openreferral", "warnings": []}
    return out


def _service_list(doc: Any) -> list[Any]:
    """The list of service objects in an ORUK/HSDS document."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("content", "items", "services", "data", "results"):
            if isinstance(doc.get(key), list):
                return doc[key]
        if "name" in doc and ("id" in doc or "description" in doc):
            return [doc]
    raise UploadError(
        "The JSON is not an Open Referral / HSDS service list: expected a list of services or "
        'a page like {"content": [...]}.'
    )


def _text(value: Any) -> str | None:
    """Scalar JSON value as text (None for missing / empty / nested values)."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text.strip() else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    """A list of dicts from a value that may be a dict, a list or missing."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _join(values: Iterable[str | None]) -> str | None:
    """Distinct non-empty values joined with '; ' (order kept)."""
    seen: dict[str, None] = {}
    for v in values:
        if v:
            seen.setdefault(v.strip(), None)
    return "; ".join(seen) if seen else None


def _term_name(term: Any) -> str | None:
    """Name of a taxonomy term given as a string or an object."""
    if isinstance(term, str):
        return term
    if isinstance(term, dict):
        return _text(term.get("name")) or _text(term.get("term")) or _text(term.get("label"))
    return None


def _service_themes(service: dict[str, Any]) -> str | None:
    """Taxonomy terms of a service from the ORUK / HSDS 3 shapes."""
    names: list[str | None] = []
    taxonomies = service.get("taxonomies")
    for item in taxonomies if isinstance(taxonomies, list) else [taxonomies]:
        names.append(_term_name(item))
    for key in ("service_taxonomys", "service_taxonomies"):
        for item in _dicts(service.get(key)):
            names.append(_term_name(item.get("taxonomy")) or _term_name(item))
    for item in _dicts(service.get("attributes")):
        names.append(_term_name(item.get("taxonomy_term")))
    for key in ("categories", "category", "theme", "themes"):
        value = service.get(key)
        if isinstance(value, list):
            names.extend(_term_name(v) for v in value)
        else:
            names.append(_term_name(value))
    return _join(names)


def _schedules(items: Any) -> str | None:
    """Regular schedules as 'MO 09:00-17:00; ...'."""
    parts = []
    for item in _dicts(items):
        day = _text(item.get("weekday")) or _text(item.get("byday")) or ""
        opens, closes = _text(item.get("opens_at")), _text(item.get("closes_at"))
        hours = f"{opens}-{closes}" if opens and closes else ""
        parts.append(" ".join(p for p in (day, hours) if p) or _text(item.get("description")))
    return _join(parts)


def _phone(service: dict[str, Any]) -> str | None:
    """First phone number of a service or of its contacts."""
    numbers = [_text(p.get("number")) for p in _dicts(service.get("phones"))]
    for contact in _dicts(service.get("contacts")):
        numbers += [_text(p.get("number")) for p in _dicts(contact.get("phones"))]
        numbers.append(_text(contact.get("phone")))
    numbers.append(_text(service.get("phone")))
    return next((v for v in numbers if v), None)


def _service_fields(service: dict[str, Any]) -> dict[str, Any]:
    """Service-level fields of one ORUK/HSDS service."""
    org = service.get("organization") or service.get("organisation")
    org_name = _text(org.get("name")) if isinstance(org, dict) else _text(org)
    email = _text(service.get("email")) or next(
        (_text(c.get("email")) for c in _dicts(service.get("contacts")) if c.get("email")), None
    )
    return {
        "id": _text(service.get("id")),
        "name": _text(service.get("name")),
        "organisation": org_name,
        "description": _text(service.get("description")) or _text(service.get("short_description")),
        "theme": _service_themes(service),
        "website": _text(service.get("url")) or _text(service.get("website")),
        "email": email,
        "phone": _phone(service),
        "opening_hours": _schedules(service.get("regular_schedules"))
        or _schedules(service.get("schedules")),
        "status": _text(service.get("status")),
    }


def _service_locations(service: dict[str, Any]) -> list[dict[str, Any]]:
    """Location fields, one dict per location of the service."""
    out = []
    locs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for sal in _dicts(service.get("service_at_locations")):
        loc = sal.get("location")
        locs.append((loc if isinstance(loc, dict) else sal, sal))
    for key in ("locations", "location"):
        locs.extend((loc, {}) for loc in _dicts(service.get(key)))
    for loc, sal in locs:
        addresses = (
            _dicts(loc.get("physical_addresses"))
            + _dicts(loc.get("physical_address"))
            + [
                a
                for a in _dicts(loc.get("addresses"))
                if a.get("address_type") in (None, "physical")
            ]
        )
        address = addresses[0] if addresses else {}
        postcode = (
            _text(address.get("postal_code"))
            or _text(address.get("postcode"))
            or _text(loc.get("postcode"))
            or _text(loc.get("postal_code"))
        )
        line = _join(
            _text(address.get(k)) for k in ("address_1", "address_2", "city", "state_province")
        )
        fields = {
            "location_name": _text(loc.get("name")),
            "address": line,
            "postcode": postcode,
            "latitude": _text(loc.get("latitude")) or _text(loc.get("lat")),
            "longitude": _text(loc.get("longitude"))
            or _text(loc.get("lng"))
            or _text(loc.get("lon")),
        }
        hours = _schedules(sal.get("regular_schedules")) or _schedules(loc.get("regular_schedules"))
        if hours:
            fields["opening_hours"] = hours
        out.append(fields)
    return out


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
