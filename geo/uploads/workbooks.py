"""Workbooks and HTML tables: the uploads that are not plain text (used by geo.uploads.tables).

* **Excel / OpenDocument workbooks** (.xlsx, .xlsm, .xlsb, .xls, .ods): before anything is
  parsed, every zip part is inflated and counted (:func:`check_inflated`: bytes actually
  produced, not the sizes the zip declares, and the rectangle an Excel sheet's cell references
  span) and an OpenDocument file's repeated rows and columns are expanded on paper
  (:func:`_ods_extent`); then every sheet is looked at and the one holding the data is read
  (a table with a location column, else the largest), or the one the user chose.
* **HTML tables saved as .xls** (what many housing management systems export): the largest
  ``<table>`` is streamed with lxml, its text kept verbatim (:func:`read_html_table`).

Cost bound: a workbook is refused beyond :data:`MAX_INFLATED` inflated bytes or
:data:`MAX_CELLS` cells, an HTML page beyond :data:`MAX_HTML_BYTES`, so reading one stays
within a few seconds and a few hundred MB (``bench/bench_uploads.py --worst``).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from functools import lru_cache

import pandas as pd

from geo.uploads.columns import detect_columns
from geo.uploads.frame import HEADER_SEARCH_ROWS, finish_table, header_index
from geo.uploads.limits import MAX_COLUMNS, MAX_ROWS, RESAVE, UploadError, format_size, too_wide
from geo.uploads.sniff import CHUNK, ZIP_MAGIC, detect_encoding, sniff_zip

__all__ = [
    "MAX_CELLS",
    "MAX_HTML_BYTES",
    "MAX_INFLATED",
    "check_inflated",
    "read_html_table",
    "read_workbook",
    "sheet_names",
]

#: Most bytes a workbook may decompress to (counted while inflating, not as declared).
MAX_INFLATED = 100 * 1024 * 1024
#: Most cells in a workbook's sheets (counted in the inflated sheet XML): reading a sheet
#: costs about 85 bytes of memory and 1.4 microseconds per cell here.
MAX_CELLS = 4_000_000
#: Largest HTML page read as a table (parsing HTML takes about ten times its size in memory).
MAX_HTML_BYTES = 20 * 1024 * 1024


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


def check_inflated(data: bytes, limit: int = MAX_INFLATED) -> int:
    """Inflate every part of a zip workbook in 1 MB chunks, counting the bytes that come out.

    The sizes a zip *declares* can lie (zip bombs), and Python's zipfile stops at the declared
    size, so each part's compressed bytes are inflated here with zlib directly and the output
    counted, and the cells of Excel sheets (``<c>`` elements) with them. Refuses (UploadError)
    as soon as more than ``limit`` bytes or :data:`MAX_CELLS` cells have come out, so the check
    needs about one chunk of memory. Returns the bytes. Non-zip data passes (0).
    """
    if not data.startswith(ZIP_MAGIC):
        return 0
    too_big = UploadError(
        f"The workbook expands to more than {format_size(limit)} of data when unpacked; the limit is "
        f"{format_size(limit)}. Save it as CSV, or split it into smaller files."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
        raise UploadError(f"The workbook is damaged ({str(exc)[:120]}). {RESAVE}") from exc
    too_many = UploadError(
        f"The workbook has more than {MAX_CELLS:,} cells; workbooks are read up to "
        f"{MAX_CELLS:,} cells (e.g. 200,000 rows of 20 columns). Save it as CSV (up to "
        f"{MAX_ROWS:,} rows), or remove unused columns."
    )
    view = memoryview(data)
    total = cells = 0
    for info in infos:
        local = view[info.header_offset : info.header_offset + 30]
        if len(local) < 30 or bytes(local[:4]) != ZIP_MAGIC:
            raise UploadError(f"The workbook is damaged (bad part header). {RESAVE}")
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
                for pos in range(0, len(raw), CHUNK):
                    pending = bytes(raw[pos : pos + CHUNK])
                    while True:
                        out = inflater.decompress(pending, CHUNK)
                        total += len(out)
                        if total > limit:
                            raise too_big
                        if is_sheet:
                            cells += out.count(b"<c ") + out.count(b"<c>")
                            extent.feed(out)
                            if max(cells, extent.cells) > MAX_CELLS:
                                raise too_many
                        pending = inflater.unconsumed_tail
                        if not pending and len(out) < CHUNK:
                            break
            except zlib.error as exc:
                raise UploadError(f"The workbook is damaged ({exc}). {RESAVE}") from exc
        else:
            raise UploadError(
                f"The workbook is compressed in a way Excel does not use (method "
                f"{info.compress_type}). {RESAVE}"
            )
        if total > limit:
            raise too_big
    return total


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


def _table_below_header(raw: pd.DataFrame, *, max_rows: int, warnings: list[str]) -> pd.DataFrame:
    """A grid of cells (a sheet, an HTML table) as a table: the header row found among the
    first rows (those above it skipped, with a warning), then :func:`finish_table`."""
    filled = raw.head(HEADER_SEARCH_ROWS).notna().sum(axis=1).tolist()
    h = header_index(filled)
    if h:
        warnings.append(f"Skipped {h} row(s) above the header row.")
    raw = raw.iloc[h:].reset_index(drop=True)
    return finish_table(raw, header_row=h + 1, max_rows=max_rows, warnings=warnings)


def _sheet_score(raw: pd.DataFrame) -> tuple[int, int]:
    """How much a sheet looks like the data: (has a location column, filled cells)."""
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        return (0, 0)
    filled = raw.head(HEADER_SEARCH_ROWS).notna().sum(axis=1).tolist()
    try:
        h = header_index(filled)
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


def read_workbook(
    data: bytes, *, sheet: int | str | None, max_rows: int, warnings: list[str]
) -> pd.DataFrame:
    """Parse the worksheet holding the data (or the chosen one) of an Excel/ODS workbook."""
    nrows = max_rows + HEADER_SEARCH_ROWS + 2
    if data.startswith(ZIP_MAGIC) and sniff_zip(data)[1] == "an OpenDocument spreadsheet":
        try:
            cells = _ods_extent(data)
        except Exception as exc:  # lxml / zipfile errors on damaged files
            raise UploadError(f"The spreadsheet is damaged ({str(exc)[:120]}). {RESAVE}") from exc
        if cells > MAX_CELLS:
            raise UploadError(
                f"The spreadsheet spans more than {MAX_CELLS:,} cells; spreadsheets are read up "
                f"to {MAX_CELLS:,} cells. Save it as CSV, or remove unused rows and columns."
            )
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine=_excel_engine())
        names = [str(s) for s in book.sheet_names]
    except Exception as exc:  # calamine/openpyxl raise many types for damaged files
        raise UploadError(f"The workbook could not be read ({str(exc)[:200]}). {RESAVE}") from exc
    if not names:
        raise UploadError("The workbook has no sheets. " + RESAVE)

    def load(name: str) -> pd.DataFrame:
        try:
            return pd.read_excel(book, sheet_name=name, header=None, dtype="str", nrows=nrows)
        except Exception as exc:  # as above
            raise UploadError(
                f"The sheet '{name}' could not be read ({str(exc)[:200]}). {RESAVE}"
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
    df = _table_below_header(raw, max_rows=max_rows, warnings=warnings)
    df.attrs.update(file_type="excel", sheet=chosen, sheets=names, decimal=".")
    return df


# --------------------------------------------------------------------------------------------
# HTML tables (saved as .xls by many housing management systems)
# --------------------------------------------------------------------------------------------
def read_html_table(data: bytes, *, max_rows: int, warnings: list[str]) -> pd.DataFrame:
    """Read the largest ``<table>`` of an HTML page, streaming its rows with lxml.

    ``lxml.etree.iterparse`` (HTML mode) hands over each ``<tr>`` as it is parsed; its cells'
    text is kept verbatim (``colspan`` repeats an empty cell) and the element is freed, so
    memory follows the table's text, not the page's tree. Rows are grouped by their nearest
    ``<table>``; the table with the most cells is read.
    """
    if len(data) > MAX_HTML_BYTES:
        raise UploadError(
            f"The file is a web page (HTML table) of {format_size(len(data))}; HTML tables are read up "
            f"to {format_size(MAX_HTML_BYTES)}. {RESAVE}"
        )
    from lxml import etree  # noqa: PLC0415 (only for HTML uploads)

    encoding = detect_encoding(data)
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
                    raise too_wide(len(row))
            tables.setdefault(key, []).append(row)
            cells[key] = cells.get(key, 0) + len(row)
            if len(tables[key]) > max_rows + HEADER_SEARCH_ROWS + 2:
                break
            tr.clear()
            while tr.getprevious() is not None:
                del tr.getparent()[0]
    except etree.LxmlError as exc:
        raise UploadError(f"The web page could not be read ({str(exc)[:120]}). {RESAVE}") from exc
    if not tables:
        raise UploadError("The file is a web page without a table. " + RESAVE)
    rows = tables[max(cells, key=lambda k: cells[k])]
    width = max(len(r) for r in rows)
    raw = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype="str")
    del tables, rows
    df = _table_below_header(raw, max_rows=max_rows, warnings=warnings)
    df.attrs.update(file_type="html", encoding=encoding, decimal=".")
    return df


def sheet_names(data: bytes) -> list[str]:
    """Names of a workbook's sheets (after the size checks); raises UploadError."""
    check_inflated(data)
    try:
        return [str(s) for s in pd.ExcelFile(io.BytesIO(data), engine=_excel_engine()).sheet_names]
    except Exception as exc:  # damaged files
        raise UploadError(f"The workbook could not be read ({str(exc)[:200]}). {RESAVE}") from exc
