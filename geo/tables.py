"""Reading uploaded tables: CSV and text exports, workbooks and their sheets, HTML tables.

``read_table(data, filename)`` turns the bytes of an upload into an all-text DataFrame indexed
by spreadsheet row number, or raises :class:`UploadError` with a message saying what to fix.
Nothing is written to disk.

What is recognised
------------------
* **Encodings** (CSV/text): UTF-8 (with or without BOM), UTF-16/32 with a BOM, UTF-16/32
  without one (detected with ``charset-normalizer``), else Windows-1252, else Latin-1 (which
  decodes any bytes). ``charset-normalizer`` is *not* asked to choose among single-byte code
  pages: on UK exports it picked cp1250, cp775 or cp932 for Windows-1252 text and garbled "£",
  "é" and curly quotes (3 of 5 cases measured), where the UTF-8 -> Windows-1252 -> Latin-1 order
  decodes all of them.
* **Dialects**: delimiter (``,`` ``;`` tab ``|``) and quote character detected with
  ``clevercsv`` on the first 50 lines (at most 2 KB of each, 32 KB in all); an Excel
  ``sep=;`` first line wins.
  Rows that end in extra delimiters (``a,b,c,``) are read: empty trailing fields are not data.
  A row with *values* beyond the header is refused, naming its line.
* **Decimal commas**: in a file delimited by ``;`` (or tab or ``|``) whose number-like cells
  use a decimal comma (``51,5080``) and none a decimal point, ``attrs["decimal"]`` is ``","``
  and :func:`geo.locate.locate` reads coordinates accordingly.
* **Workbooks** (.xlsx, .xlsm, .xlsb, .xls, .ods) and **HTML tables saved as .xls**: read by
  :mod:`geo.workbooks` (the sheet holding the data is found; ``attrs["sheets"]`` lists the
  sheets and ``sheet=`` reads a chosen one). Excel 2003 XML spreadsheets are refused with how
  to re-save them.

Cost bound
----------
Any input up to :data:`MAX_BYTES` (50 MB) is read or refused in time and memory linear in its
size: the sniffing steps look at the first 256 KB only; a first line longer than 256 KB, or
more than :data:`MAX_COLUMNS` values in a row, is refused before parsing; workbooks and HTML
have their own limits in :mod:`geo.workbooks` (inflated bytes counted, cells, page size).
``bench/bench_uploads.py --worst`` measures the worst cases (time and peak memory).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.postcodes import normalise_postcode

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "UploadError",
    "list_sheets",
    "read_table",
]

#: Largest upload accepted (bytes).
MAX_BYTES = 50 * 1024 * 1024
#: Most data rows accepted.
MAX_ROWS = 1_000_000
#: Most values in one row: far more than any stock list or directory has, and a bound on
#: pandas' per-column cost (50 MB files here: 500 columns 3.4 s and 336 MB above the process
#: before reading, 2,000 columns 400 MB, 16,384 -- Excel's limit -- 31 s and 1.4 GB). Memory
#: beyond that follows the number of cells: about 13 bytes per cell of the finished table.
MAX_COLUMNS = 500


class UploadError(ValueError):
    """An upload cannot be used; the message tells the user what to fix."""


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
_HEAD_BYTES = 262_144  # what the sniffing steps look at
_DIALECT_SAMPLE = 32_768
_DIALECT_LINE = 2_048
_DELIMITERS = [",", ";", "\t", "|"]
_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_RESAVE = "Open it in Excel and save it again as .xlsx (Excel Workbook) or CSV."


# --------------------------------------------------------------------------------------------
# read_table
# --------------------------------------------------------------------------------------------
def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    sheet: int | str | None = None,
) -> pd.DataFrame:
    """Read an uploaded CSV, Excel or HTML-table file into an all-text DataFrame.

    Parameters
    ----------
    data : bytes
        The uploaded file's content (kept in memory, never written to disk).
    filename : str
        The uploaded file's name; its extension must be one of ``.csv``, ``.txt``, ``.tsv``,
        ``.tab``, ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls``, ``.ods`` or ``.json`` (Open
        Referral, see :func:`geo.openreferral.read_openreferral`). The *content* decides how
        the file is parsed: a workbook named ``.csv`` is read as a workbook, an HTML table
        named ``.xls`` as HTML (each with a warning).
    max_bytes : int, default 50 MiB
        Larger files are refused.
    max_rows : int, default 1,000,000
        Files with more data rows are refused.
    sheet : int, str or None, default None
        Worksheet to read from a workbook: its position or name; None picks the sheet that
        holds the data (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Every cell as text (``str`` dtype, so postcodes and leading zeros survive); empty cells
        are NaN, all other text is kept verbatim (no stripping, no "NA" -> NaN). Indexed by
        the spreadsheet row number (index name ``"row"``). Rows that are entirely empty and
        columns with neither a name nor any value are dropped. ``attrs`` holds ``file_type``
        (``"csv"``, ``"excel"`` or ``"html"``), ``encoding`` and ``delimiter`` (CSV),
        ``decimal`` (``"."`` or ``","``), ``sheet`` and ``sheets`` (workbooks),
        ``header_row``, ``blank_rows`` (dropped) and ``warnings`` (messages for the user).

    Raises
    ------
    UploadError
        Empty file; not a table (e.g. a PNG or PDF renamed ``.csv``, detected from its first
        bytes); over ``max_bytes``, ``max_rows``, :data:`MAX_COLUMNS` or (workbooks, HTML)
        the limits of :mod:`geo.workbooks`; no header row or no columns; a row with more values than the
        header; an unknown sheet.

    Notes
    -----
    The header is the first row, among the first 30, that fills at least half the table's
    width; title rows above it are skipped (with a warning). A header that looks like data
    (mostly numbers or postcodes) is refused. Duplicate column names are renamed, not refused:
    the second ``name`` becomes ``name.1`` (pandas' convention; a suffix already used by
    another column is skipped), with a warning. Blank names become ``column_<n>``.
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
        from geo.openreferral import read_openreferral  # noqa: PLC0415 (it imports this module)

        return read_openreferral(data, max_bytes=max_bytes, max_rows=max_rows)
    if ext not in _TEXT_EXTENSIONS | _SHEET_EXTENSIONS:
        raise UploadError(
            f"'{filename}' is not a supported file type. Upload a CSV (.csv) or Excel (.xlsx) "
            "file, or Open Referral JSON (.json)."
        )
    from geo import workbooks  # noqa: PLC0415 (it imports this module)

    if kind == "xml-spreadsheet":
        raise UploadError(
            f"'{filename}' is an Excel 2003 XML spreadsheet, which cannot be read here. " + _RESAVE
        )
    if kind == "spreadsheet" and ext in _TEXT_EXTENSIONS:
        warnings.append(f"'{filename}' is an Excel/OpenDocument workbook; it was read as one.")
    if kind == "html":
        if ext != ".xls":
            warnings.append(f"'{filename}' is a web page (HTML); its table was read.")
        else:
            warnings.append(
                f"'{filename}' is a web page (HTML table) saved with an .xls name; its table "
                "was read."
            )
        df = workbooks.read_html_table(data, max_rows=max_rows, warnings=warnings)
    elif kind == "spreadsheet":
        workbooks.check_inflated(data)
        df = workbooks.read_workbook(data, sheet=sheet, max_rows=max_rows, warnings=warnings)
    else:
        if ext in _SHEET_EXTENSIONS:
            warnings.append(f"'{filename}' holds plain text, not a workbook; it was read as CSV.")
        df = _read_csv(data, ext=ext, max_rows=max_rows, warnings=warnings)
    df.attrs["warnings"] = warnings
    return df


def list_sheets(data: bytes) -> list[str]:
    """Names of the worksheets of a workbook upload ([] for CSV, HTML or unreadable files)."""
    from geo import workbooks  # noqa: PLC0415 (it imports this module)

    data = bytes(data)
    if _sniff(data)[0] != "spreadsheet":
        return []
    try:
        return workbooks.sheet_names(data)
    except UploadError:  # damaged files are reported by read_table
        return []


# --------------------------------------------------------------------------------------------
# Size, name, type
# --------------------------------------------------------------------------------------------
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
    """The file name for messages: control characters removed, at most 80 characters.

    Messages are plain text; the UI shows them without Markdown, so a name such as
    ``[x](javascript:...)`` stays literal.
    """
    name = re.sub(r"[\x00-\x1f\x7f]", "", str(filename or ""))
    return name if len(name) <= 80 else name[:77] + "..."


def _extension(filename: str) -> str:
    """Lower-case extension including the dot ('' if none)."""
    name = str(filename or "").strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def _sniff(data: bytes) -> tuple[str, str]:
    """Classify content from its first bytes.

    Returns (kind, description) with kind one of ``"spreadsheet"``, ``"html"``,
    ``"xml-spreadsheet"``, ``"text"`` or ``"binary"``.
    """
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
    if any(head.startswith(bom) for bom, _ in _BOMS if bom != codecs.BOM_UTF8):
        return "text", "UTF-16/32 text"
    if b"\x00" in head:
        if _wide_unicode(data[:_HEAD_BYTES]):
            return "text", "UTF-16/32 text"
        return "binary", "a binary (non-text) file"
    markup = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if markup.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower():
            return "xml-spreadsheet", "an Excel 2003 XML spreadsheet"
        if b"<table" in data[:_HEAD_BYTES].lower() or markup.startswith((b"<!doctype", b"<html")):
            return "html", "a web page (HTML)"
    return "text", "text"


@lru_cache(maxsize=8)
def _wide_unicode(head: bytes) -> str | None:
    """The UTF-16/32 encoding of BOM-less text (charset-normalizer), else None."""
    from charset_normalizer import from_bytes  # noqa: PLC0415 (only for this rare case)

    best = from_bytes(head, cp_isolation=["utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"])
    match = best.best()
    if match is None or not match.encoding.startswith(("utf_16", "utf_32")):
        return None
    return match.encoding.replace("_", "-")


def _sniff_zip(data: bytes) -> tuple[str, str]:
    """Tell an Excel / OpenDocument workbook from other zip files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = (
                zf.open("mimetype").read(200).decode("ascii", "replace")
                if "mimetype" in names
                else ""
            )
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError, EOFError):
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


# --------------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------------
def _decodes(data: bytes, encoding: str) -> bool:
    """True if all of ``data`` decodes with ``encoding`` (chunked, bounded memory)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(data: bytes) -> str:
    """The text encoding of an upload (see the module docstring for the order)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data[:4096]:
        wide = _wide_unicode(data[:_HEAD_BYTES])
        if wide:
            return wide
    if _decodes(data, "utf-8"):
        return "utf-8"
    if _decodes(data, "cp1252"):
        return "cp1252"
    return "latin-1"


def _head_text(data: bytes, encoding: str) -> str:
    """The first ~256 KB of the file as text (a cut multi-byte character is dropped)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(data[:_HEAD_BYTES], final=len(data) <= _HEAD_BYTES)
    return text.removeprefix("\ufeff")


def _sniff_dialect(lines: list[str], ext: str) -> tuple[str, str]:
    """(delimiter, quotechar) of the sample lines, detected with clevercsv.

    One-column files (no delimiter found) get ``","`` (or tab for .tsv/.tab).
    """
    from clevercsv.detect import Detector  # noqa: PLC0415 (import cost only when reading CSV)

    # clevercsv's cost grows with the square of the longest run of word characters (64 KB of
    # "xxxx..." takes 36 s), so it sees at most 2,048 characters of each line, 32 KB in all
    sample = "".join(
        line if len(line) <= _DIALECT_LINE else line[:_DIALECT_LINE] + "\n" for line in lines
    )[:_DIALECT_SAMPLE]
    try:
        found = Detector().detect(sample, delimiters=_DELIMITERS)
    except Exception:  # clevercsv raises several types on odd input; fall back to defaults
        found = None
    default = "\t" if ext in {".tsv", ".tab"} else ","
    delimiter = found.delimiter if found is not None and found.delimiter else default
    quotechar = found.quotechar if found is not None and found.quotechar else '"'
    return delimiter, quotechar


@contextlib.contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    """Raise the csv module's field size limit for a block (the head may hold a long field)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, limit))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _header_index(filled: Sequence[int]) -> int:
    """Index of the header row: first row filling at least half the widest row."""
    width = max(filled) if len(filled) else 0
    if width == 0:
        raise UploadError(
            "No columns found: the first rows are empty. Put the column names in the first row."
        )
    need = max(1, math.ceil(width / 2))
    return next(i for i, f in enumerate(filled) if f >= need)


def _too_wide(width: int) -> UploadError:
    return UploadError(
        f"A row has {width:,} values; the limit is {MAX_COLUMNS:,} columns. This does not look "
        "like a table: check that the file is a CSV with one record per line."
    )


_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read_csv(data: bytes, *, ext: str, max_rows: int, warnings: list[str]) -> pd.DataFrame:
    """Parse CSV bytes into the read_table frame."""
    encoding = _encoding(data)
    if encoding in ("cp1252", "latin-1"):
        label = "Windows-1252" if encoding == "cp1252" else "Latin-1"
        warnings.append(f"The file is not UTF-8; it was read as {label}. Check accented letters.")
    head = _head_text(data, encoding)
    if not head.strip("\x00 \t\r\n"):
        raise UploadError("The file is empty. Upload a file with a header row and data rows.")
    lines = head.splitlines(keepends=True)
    if len(data) > _HEAD_BYTES and len(lines) == 1:
        raise UploadError(
            f"The first line of the file is longer than {_mb(_HEAD_BYTES)}: no table has a "
            "header row that long. Check that the file is a CSV with one record per line."
        )
    if len(data) > _HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of the head may be cut
    lines = lines[:200]
    skip_lines = 0
    skip_records = 0
    delimiter = None
    quotechar = '"'
    match = re.fullmatch(r"\s*sep=(.)\s*", lines[0]) if lines else None
    if match:
        delimiter, skip_lines, skip_records = match.group(1), 1, 1
        lines = lines[1:]
    if delimiter is None:
        delimiter, quotechar = _sniff_dialect(lines[:50], ext)
    records: list[list[str]] = []
    ends: list[int] = []
    try:
        with _csv_field_limit(_HEAD_BYTES * 4):
            reader = csv.reader(lines, delimiter=delimiter, quotechar=quotechar)
            for record in reader:
                if len(record) > MAX_COLUMNS:
                    raise _too_wide(len(record))
                records.append(record)
                ends.append(reader.line_num)
    except csv.Error as exc:
        raise UploadError(f"The file could not be read as CSV ({exc}).") from exc
    filled = [sum(1 for c in r if c.strip()) for r in records[:_HEADER_SEARCH_ROWS]]
    h = _header_index(filled)
    if h:
        warnings.append(f"Skipped {h} row(s) above the header row.")
        skip_lines += ends[h - 1]
        skip_records += h
    header_width = len(records[h])
    width = max(len(r) for r in records[h:]) if records[h:] else header_width
    raw = None
    for _attempt in range(4):
        try:
            raw = pd.read_csv(
                io.BytesIO(data),
                encoding=encoding,
                encoding_errors="replace",
                sep=delimiter,
                quotechar=quotechar,
                header=None,
                names=range(width),
                skiprows=skip_lines,
                dtype="str",
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                nrows=max_rows + 2,
                engine="c",
            )
            break
        except pd.errors.ParserError as exc:
            found = _FIELDS_RE.search(str(exc))
            if not found:
                raise UploadError(f"The file could not be read as CSV ({str(exc)[:200]}).") from exc
            saw = int(found.group(3))
            if saw > MAX_COLUMNS:
                raise _too_wide(saw) from exc
            width = max(width + 1, saw)  # a later row is wider: read it, then look at it
        except pd.errors.EmptyDataError as exc:
            raise UploadError("No columns found. Put the column names in the first row.") from exc
        except Exception as exc:  # the C parser raises several types on malformed input
            raise UploadError(f"The file could not be read as CSV ({str(exc)[:200]}).") from exc
    if raw is None:
        raise UploadError(
            "The rows of the file have very different numbers of values. Put text containing "
            "the delimiter in double quotes."
        )
    raw = _drop_trailing_fields(raw, header_width, header_row=skip_records + 1)
    df = _finish_table(raw, header_row=skip_records + 1, max_rows=max_rows, warnings=warnings)
    df.attrs.update(
        file_type="csv",
        encoding=encoding,
        delimiter=delimiter,
        decimal=_decimal_mark(df, delimiter),
    )
    return df


def _drop_trailing_fields(raw: pd.DataFrame, header_width: int, *, header_row: int) -> pd.DataFrame:
    """Drop fields beyond the header's width when they are empty; refuse when they hold data.

    ``a,b,c,`` under a three-column header is three values and an empty trailing field. A
    value beyond the header is refused naming its line (the header row is line ``header_row``
    when records and lines coincide, as they do for rows without quoted line breaks).
    """
    if raw.shape[1] <= header_width:
        return raw
    extra = raw.iloc[:, header_width:]
    filled = extra.notna().to_numpy()
    if filled.any():
        first = int(np.flatnonzero(filled.any(axis=1))[0])
        values = int(np.flatnonzero(filled[first])[-1]) + header_width + 1
        raise UploadError(
            f"Line {header_row + first} has {values} values but the header has {header_width} "
            "columns. Put text containing the delimiter in double quotes, or remove the extra "
            "values."
        )
    return raw.iloc[:, :header_width]


_COMMA_DECIMAL = re.compile(r"\s*[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+),\d+\s*")
_POINT_DECIMAL = re.compile(r"\s*[+-]?\d*\.\d+\s*")
_DOT_THOUSANDS = re.compile(r"\s*[+-]?\d{1,3}(?:\.\d{3})+\s*")  # 180.422: could be either


def _decimal_mark(df: pd.DataFrame, delimiter: str, sample: int = 2000) -> str:
    """``","`` when the file writes decimals with a comma (``51,5080``), else ``"."``.

    Only for files not delimited by commas; decided on the first ``sample`` rows: some cell
    looks like ``digits,digits`` (or ``1.234,5``) and no cell like ``digits.digits`` (cells
    like ``180.422`` could be either and do not count).
    """
    if delimiter == "," or df.empty:
        return "."
    head = df.head(sample)
    comma = point = 0
    for col in head.columns:
        values = head[col].dropna()
        if values.empty:
            continue
        values = values[values.str.len() < 40]
        comma += int(values.str.fullmatch(_COMMA_DECIMAL).sum())
        point += int(
            (values.str.fullmatch(_POINT_DECIMAL) & ~values.str.fullmatch(_DOT_THOUSANDS)).sum()
        )
    return "," if comma and not point else "."


# --------------------------------------------------------------------------------------------
# Header, names, blank rows
# --------------------------------------------------------------------------------------------
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
