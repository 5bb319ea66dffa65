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
  ``clevercsv`` on the first 50 lines (at most 2 KB of each, 32 KB in all); an Excel ``sep=;`` first line wins.
  Rows that end in extra delimiters (``a,b,c,``) are read: empty trailing fields are not data.
  A row with *values* beyond the header is refused, naming its line.
* **Decimal commas**: in a file delimited by ``;`` (or tab or ``|``) whose number-like cells
  use a decimal comma (``51,5080``) and none a decimal point, ``attrs["decimal"]`` is ``","``
  and :func:`geo.locate.locate` reads coordinates accordingly.
* **Workbooks** (.xlsx, .xlsm, .xlsb, .xls, .ods): every sheet is looked at and the one
  holding the data is read (a table with a location column, else the largest table), so a
  cover sheet in front does not hide the data; ``attrs["sheets"]`` lists the sheets and
  ``sheet=`` reads a chosen one.
* **HTML tables saved as .xls** (what many housing management systems export): the largest
  ``<table>`` is read (streamed with lxml, text verbatim). Excel 2003 XML spreadsheets are refused with how to re-save them.

Cost bound
----------
Any input up to :data:`MAX_BYTES` (50 MB) is read or refused in time and memory linear in its
size: the sniffing steps look at the first 256 KB only; more than :data:`MAX_COLUMNS` values in
a row is refused before parsing; a workbook's parts are decompressed *and counted* in 1 MB
chunks and the workbook refused once :data:`MAX_INFLATED` bytes or :data:`MAX_CELLS` sheet
cells have come out (whatever sizes the zip declares); an HTML table larger than :data:`MAX_HTML_BYTES` is refused before parsing.
``bench/bench_uploads.py`` measures the worst cases (time and peak memory).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.postcodes import normalise_postcode

__all__ = [
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_HTML_BYTES",
    "MAX_INFLATED",
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
#: pandas' per-column cost (50 MB files here: 1,000 columns 3.8 s and 360 MB above the idle
#: process, 2,000 columns 400 MB, 16,384 columns -- Excel's limit -- 31 s and 1.4 GB).
MAX_COLUMNS = 500
#: Most bytes a workbook may decompress to (counted while inflating, not as declared).
MAX_INFLATED = 100 * 1024 * 1024
#: Most cells in a workbook's sheets (counted in the inflated sheet XML): reading a sheet
#: costs about 85 bytes of memory and 1.4 microseconds per cell here.
MAX_CELLS = 4_000_000
#: Largest HTML page read as a table (parsing HTML takes about ten times its size in memory).
MAX_HTML_BYTES = 20 * 1024 * 1024


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
        bytes); over ``max_bytes``, ``max_rows``, :data:`MAX_COLUMNS` or (workbooks)
        :data:`MAX_INFLATED`; no header row or no columns; a row with more values than the
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
        df = _read_html(data, max_rows=max_rows, warnings=warnings)
    elif kind == "spreadsheet":
        _check_inflated(data)
        df = _read_workbook(data, sheet=sheet, max_rows=max_rows, warnings=warnings)
    else:
        if ext in _SHEET_EXTENSIONS:
            warnings.append(f"'{filename}' holds plain text, not a workbook; it was read as CSV.")
        df = _read_csv(data, ext=ext, max_rows=max_rows, warnings=warnings)
    df.attrs["warnings"] = warnings
    return df


def list_sheets(data: bytes) -> list[str]:
    """Names of the worksheets of a workbook upload ([] for CSV, HTML or unreadable files)."""
    data = bytes(data)
    if _sniff(data)[0] != "spreadsheet":
        return []
    try:
        _check_inflated(data)
        return [str(s) for s in pd.ExcelFile(io.BytesIO(data), engine=_excel_engine()).sheet_names]
    except Exception:  # damaged files are reported by read_table
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


_CELL_REF = re.compile(rb"<(?:c|row)\b[^>]{0,200}?\br=\"([A-Z]{0,3})([0-9]{1,7})\"")


class _SheetExtent:
    """The bounding box of an Excel sheet's cell references, fed its XML chunk by chunk.

    A reader allocates the whole rectangle from A1 to the farthest cell, so two cells (A1 and
    XFD1048576) can ask for 17 billion: the rectangle, not the number of ``<c>`` elements, is
    what a sheet costs.
    """

    def __init__(self) -> None:
        self.rows = 0
        self.cols = 0
        self._tail = b""

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    def feed(self, chunk: bytes) -> None:
        text = self._tail + chunk
        for col, row in _CELL_REF.findall(text):
            self.rows = max(self.rows, int(row))
            if col:
                n = 0
                for ch in col:
                    n = n * 26 + ch - 64
                self.cols = max(self.cols, n)
        self.cols = max(self.cols, 1)
        self._tail = text[-256:]


def _ods_extent(data: bytes) -> int:
    """Cells in the bounding boxes of an OpenDocument spreadsheet's tables (repeats expanded).

    ``table:number-rows-repeated`` / ``number-columns-repeated`` let a 1 KB file describe ten
    million cells; readers expand them up to the last cell holding a value. Streams
    ``content.xml`` with lxml, keeping one row in memory.
    """
    from lxml import etree  # noqa: PLC0415 (only for OpenDocument uploads)

    ns = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    office = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open("content.xml") as part:
        row = max_row = max_col = 0
        for event, el in etree.iterparse(part, events=("start", "end"), huge_tree=False):
            if event == "start" and el.tag == ns + "table":
                row = max_row = max_col = 0
            elif event == "end" and el.tag == ns + "table-row":
                reps = int(el.get(ns + "number-rows-repeated", "1") or 1)
                col = last = 0
                for cell in el:
                    span = int(cell.get(ns + "number-columns-repeated", "1") or 1)
                    col += span
                    if cell.get(office + "value-type") is not None or len(cell):
                        last = col
                if last:
                    max_row = row + reps
                    max_col = max(max_col, last)
                row += reps
                el.clear()
            elif event == "end" and el.tag == ns + "table":
                total += max_row * max_col
                el.clear()
            if total > MAX_CELLS:
                break
    return total


def _check_inflated(data: bytes, limit: int = MAX_INFLATED) -> int:
    """Inflate every part of a zip workbook in 1 MB chunks, counting the bytes that come out.

    The sizes a zip *declares* can lie (zip bombs), and Python's zipfile stops at the declared
    size, so each part's compressed bytes are inflated here with zlib directly and the output
    counted, and the cells of Excel sheets (``<c>`` elements) with them. Refuses (UploadError)
    as soon as more than ``limit`` bytes or :data:`MAX_CELLS` cells have come out, so the check
    needs about one chunk of memory. Returns the bytes. Non-zip data passes (0).
    """
    if not data.startswith(_ZIP):
        return 0
    too_big = UploadError(
        f"The workbook expands to more than {_mb(limit)} of data when unpacked; the limit is "
        f"{_mb(limit)}. Save it as CSV, or split it into smaller files."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
        raise UploadError(f"The workbook is damaged ({str(exc)[:120]}). {_RESAVE}") from exc
    too_many = UploadError(
        f"The workbook has more than {MAX_CELLS:,} cells; workbooks are read up to "
        f"{MAX_CELLS:,} cells (e.g. 200,000 rows of 20 columns). Save it as CSV (up to "
        f"{MAX_ROWS:,} rows), or remove unused columns."
    )
    view = memoryview(data)
    total = cells = 0
    for info in infos:
        local = view[info.header_offset : info.header_offset + 30]
        if len(local) < 30 or bytes(local[:4]) != _ZIP:
            raise UploadError(f"The workbook is damaged (bad part header). {_RESAVE}")
        skip = int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        start = info.header_offset + 30 + skip
        raw = view[start : start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            total += len(raw)
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            extent = _SheetExtent()
            try:
                for pos in range(0, len(raw), _CHUNK):
                    pending = bytes(raw[pos : pos + _CHUNK])
                    while True:
                        out = inflater.decompress(pending, _CHUNK)
                        total += len(out)
                        if total > limit:
                            raise too_big
                        if is_sheet:
                            cells += out.count(b"<c ") + out.count(b"<c>")
                            extent.feed(out)
                            if max(cells, extent.cells) > MAX_CELLS:
                                raise too_many
                        pending = inflater.unconsumed_tail
                        if not pending and len(out) < _CHUNK:
                            break
            except zlib.error as exc:
                raise UploadError(f"The workbook is damaged ({exc}). {_RESAVE}") from exc
        else:
            raise UploadError(
                f"The workbook is compressed in a way Excel does not use (method "
                f"{info.compress_type}). {_RESAVE}"
            )
        if total > limit:
            raise too_big
    return total


# --------------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------------
def _is_utf8(data: bytes) -> bool:
    """True if ``data`` is valid UTF-8 (checked in 1 MB chunks: no full-size copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


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
    if _is_utf8(data):
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
# Workbooks
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _excel_engine() -> str:
    """python-calamine if installed (fast), else openpyxl."""
    try:
        import python_calamine  # noqa: F401, PLC0415
    except ImportError:
        return "openpyxl"
    return "calamine"


def _sheet_score(raw: pd.DataFrame) -> tuple[int, int]:
    """How much a sheet looks like the data: (has a location column, filled cells)."""
    from geo.columns import detect_columns  # noqa: PLC0415 (columns does not need tables)

    if raw.shape[0] == 0 or raw.shape[1] == 0:
        return (0, 0)
    filled = raw.head(_HEADER_SEARCH_ROWS).notna().sum(axis=1).tolist()
    try:
        h = _header_index(filled)
    except UploadError:
        return (0, 0)
    names = [str(v) for v in raw.iloc[h].tolist() if not pd.isna(v)]
    probe = pd.DataFrame(columns=pd.Index(names).drop_duplicates())
    has_location = any(
        detect_columns(probe, kind=kind).get(role) is not None
        for kind in ("stock", "services")
        for role in ("postcode", "latitude", "easting")
    )
    cells = int(raw.iloc[h + 1 :].notna().to_numpy().sum())
    return (int(has_location and cells > 0), cells)


def _read_workbook(
    data: bytes, *, sheet: int | str | None, max_rows: int, warnings: list[str]
) -> pd.DataFrame:
    """Parse the worksheet holding the data (or the chosen one) of an Excel/ODS workbook."""
    nrows = max_rows + _HEADER_SEARCH_ROWS + 2
    if data.startswith(_ZIP) and _sniff_zip(data)[1] == "an OpenDocument spreadsheet":
        try:
            cells = _ods_extent(data)
        except Exception as exc:  # lxml / zipfile errors on damaged files
            raise UploadError(f"The spreadsheet is damaged ({str(exc)[:120]}). {_RESAVE}") from exc
        if cells > MAX_CELLS:
            raise UploadError(
                f"The spreadsheet spans more than {MAX_CELLS:,} cells; spreadsheets are read up "
                f"to {MAX_CELLS:,} cells. Save it as CSV, or remove unused rows and columns."
            )
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine=_excel_engine())
        names = [str(s) for s in book.sheet_names]
    except Exception as exc:  # calamine/openpyxl raise many types for damaged files
        raise UploadError(f"The workbook could not be read ({str(exc)[:200]}). {_RESAVE}") from exc
    if not names:
        raise UploadError("The workbook has no sheets. " + _RESAVE)

    def load(name: str) -> pd.DataFrame:
        try:
            return pd.read_excel(book, sheet_name=name, header=None, dtype="str", nrows=nrows)
        except Exception as exc:  # as above
            raise UploadError(
                f"The sheet '{name}' could not be read ({str(exc)[:200]}). {_RESAVE}"
            ) from exc

    if sheet is not None:
        if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
            chosen = names[sheet]
        elif str(sheet) in names:
            chosen = str(sheet)
        else:
            raise UploadError(
                f"The workbook has no sheet '{sheet}'. Its sheets: {', '.join(names)}."
            )
        raw = load(chosen)
    else:
        chosen, raw, best = names[0], None, (-1, -1)
        for name in names:
            candidate = load(name)
            score = _sheet_score(candidate)
            if score > best:
                chosen, raw, best = name, candidate, score
            del candidate
        if chosen != names[0]:
            warnings.append(
                f"Read the sheet '{chosen}', which holds the data; the first sheet "
                f"'{names[0]}' has no table with locations. Choose another sheet if this is "
                "wrong."
            )
    if len(names) > 1 and chosen == names[0]:
        warnings.append(
            f"Only the sheet '{chosen}' was read ({len(names)} sheets in the file); choose "
            "another sheet if the data is elsewhere."
        )
    if raw is None or raw.shape[1] == 0 or raw.shape[0] == 0:
        raise UploadError(
            f"The sheet '{chosen}' is empty. Put the column names in the first row, or choose "
            "the sheet that holds the data."
        )
    filled = raw.head(_HEADER_SEARCH_ROWS).notna().sum(axis=1).tolist()
    h = _header_index(filled)
    if h:
        warnings.append(f"Skipped {h} row(s) above the header row.")
    raw = raw.iloc[h:].reset_index(drop=True)
    df = _finish_table(raw, header_row=h + 1, max_rows=max_rows, warnings=warnings)
    df.attrs.update(file_type="excel", sheet=chosen, sheets=names, decimal=".")
    return df


# --------------------------------------------------------------------------------------------
# HTML tables (saved as .xls by many housing management systems)
# --------------------------------------------------------------------------------------------
def _read_html(data: bytes, *, max_rows: int, warnings: list[str]) -> pd.DataFrame:
    """Read the largest ``<table>`` of an HTML page, streaming its rows with lxml.

    ``lxml.etree.iterparse`` (HTML mode) hands over each ``<tr>`` as it is parsed; its cells'
    text is kept verbatim (``colspan`` repeats an empty cell) and the element is freed, so
    memory follows the table's text, not the page's tree. Rows are grouped by their nearest
    ``<table>``; the table with the most cells is read.
    """
    if len(data) > MAX_HTML_BYTES:
        raise UploadError(
            f"The file is a web page (HTML table) of {_mb(len(data))}; HTML tables are read up "
            f"to {_mb(MAX_HTML_BYTES)}. {_RESAVE}"
        )
    from lxml import etree  # noqa: PLC0415 (only for HTML uploads)

    encoding = _encoding(data)
    parse_encoding = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    tables: dict[int, list[list[str | None]]] = {}
    cells: dict[int, int] = {}
    try:
        for _event, tr in etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            tag="tr",
            html=True,
            encoding=parse_encoding,
            recover=True,
            huge_tree=False,
        ):
            table = next((a for a in tr.iterancestors("table")), None)
            key = id(table) if table is not None else 0
            row: list[str | None] = []
            for cell in tr.iterchildren("td", "th"):
                text = "".join(cell.itertext())
                row.append(text if text.strip() else None)
                span = cell.get("colspan", "1")
                row.extend([None] * (min(int(span), 100) - 1 if span.isdigit() else 0))
                if len(row) > MAX_COLUMNS:
                    raise _too_wide(len(row))
            tables.setdefault(key, []).append(row)
            cells[key] = cells.get(key, 0) + len(row)
            if len(tables[key]) > max_rows + _HEADER_SEARCH_ROWS + 2:
                break
            tr.clear()
            while tr.getprevious() is not None:
                del tr.getparent()[0]
    except etree.LxmlError as exc:
        raise UploadError(f"The web page could not be read ({str(exc)[:120]}). {_RESAVE}") from exc
    if not tables:
        raise UploadError("The file is a web page without a table. " + _RESAVE)
    rows = tables[max(cells, key=lambda k: cells[k])]
    width = max(len(r) for r in rows)
    raw = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype="str")
    del tables, rows
    filled = raw.head(_HEADER_SEARCH_ROWS).notna().sum(axis=1).tolist()
    h = _header_index(filled)
    if h:
        warnings.append(f"Skipped {h} row(s) above the header row.")
    raw = raw.iloc[h:].reset_index(drop=True)
    df = _finish_table(raw, header_row=h + 1, max_rows=max_rows, warnings=warnings)
    df.attrs.update(file_type="html", encoding=encoding, decimal=".")
    return df


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
