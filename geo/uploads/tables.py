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
  and :func:`geo.uploads.locate.locate` reads coordinates accordingly.
* **Workbooks** (.xlsx, .xlsm, .xlsb, .xls, .ods) and **HTML tables saved as .xls**: read by
  :mod:`geo.uploads.workbooks` (the sheet holding the data is found; ``attrs["sheets"]`` lists the
  sheets and ``sheet=`` reads a chosen one). Excel 2003 XML spreadsheets are refused with how
  to re-save them.

Cost bound
----------
Any input up to :data:`MAX_BYTES` (50 MB) is read or refused in time and memory linear in its
size: the sniffing steps look at the first 256 KB only; a first line longer than 256 KB, or
more than :data:`MAX_COLUMNS` values in a row, is refused before parsing; workbooks and HTML
have their own limits in :mod:`geo.uploads.workbooks` (inflated bytes counted, cells, page size).
``bench/bench_uploads.py --worst`` measures the worst cases (time and peak memory).
"""

from __future__ import annotations

import pandas as pd

from geo.uploads import workbooks
from geo.uploads.csvfile import read_csv
from geo.uploads.limits import MAX_BYTES, MAX_ROWS, RESAVE, UploadError, check_size
from geo.uploads.openreferral import read_openreferral
from geo.uploads.sniff import SHEET_EXTENSIONS, TEXT_EXTENSIONS, display_name, extension, sniff

__all__ = ["list_sheets", "read_table"]


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
        Referral, see :func:`geo.uploads.openreferral.read_openreferral`). The *content* decides how
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
        the limits of :mod:`geo.uploads.workbooks`; no header row or no columns; a row with more values than the
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
    check_size(data, max_bytes)
    ext = extension(filename)
    kind, what = sniff(data)
    filename = display_name(filename)
    warnings: list[str] = []
    if kind == "binary":
        raise UploadError(
            f"'{filename}' is {what}, not a table. Upload a CSV (.csv) or Excel (.xlsx) file."
        )
    if ext == ".json":
        return read_openreferral(data, max_bytes=max_bytes, max_rows=max_rows)
    if ext not in TEXT_EXTENSIONS | SHEET_EXTENSIONS:
        raise UploadError(
            f"'{filename}' is not a supported file type. Upload a CSV (.csv) or Excel (.xlsx) "
            "file, or Open Referral JSON (.json)."
        )
    if kind == "xml-spreadsheet":
        raise UploadError(
            f"'{filename}' is an Excel 2003 XML spreadsheet, which cannot be read here. " + RESAVE
        )
    if kind == "spreadsheet" and ext in TEXT_EXTENSIONS:
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
        if ext in SHEET_EXTENSIONS:
            warnings.append(f"'{filename}' holds plain text, not a workbook; it was read as CSV.")
        df = read_csv(data, ext=ext, max_rows=max_rows, warnings=warnings)
    df.attrs["warnings"] = warnings
    return df


def list_sheets(data: bytes) -> list[str]:
    """Names of the worksheets of a workbook upload ([] for CSV, HTML or unreadable files)."""
    data = bytes(data)
    if sniff(data)[0] != "spreadsheet":
        return []
    try:
        return workbooks.sheet_names(data)
    except UploadError:  # damaged files are reported by read_table
        return []


# --------------------------------------------------------------------------------------------
# Size, name, type
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Header, names, blank rows
# --------------------------------------------------------------------------------------------
