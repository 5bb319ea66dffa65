"""CSV and text exports: dialect (clevercsv), long first lines refused, rows with extra
delimiters, decimal commas.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from geo.uploads.frame import HEADER_SEARCH_ROWS, finish_table, header_index
from geo.uploads.limits import MAX_COLUMNS, UploadError, format_size, too_wide
from geo.uploads.sniff import HEAD_BYTES, detect_encoding, head_text

_DIALECT_SAMPLE = 32_768


_DIALECT_LINE = 2_048


_DELIMITERS = [",", ";", "\t", "|"]


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


_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv(data: bytes, *, ext: str, max_rows: int, warnings: list[str]) -> pd.DataFrame:
    """Parse CSV bytes into the read_table frame."""
    encoding = detect_encoding(data)
    if encoding in ("cp1252", "latin-1"):
        label = "Windows-1252" if encoding == "cp1252" else "Latin-1"
        warnings.append(f"The file is not UTF-8; it was read as {label}. Check accented letters.")
    head = head_text(data, encoding)
    if not head.strip("\x00 \t\r\n"):
        raise UploadError("The file is empty. Upload a file with a header row and data rows.")
    lines = head.splitlines(keepends=True)
    if len(data) > HEAD_BYTES and len(lines) == 1:
        raise UploadError(
            f"The first line of the file is longer than {format_size(HEAD_BYTES)}: no table has a "
            "header row that long. Check that the file is a CSV with one record per line."
        )
    if len(data) > HEAD_BYTES and len(lines) > 1:
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
        with _csv_field_limit(HEAD_BYTES * 4):
            reader = csv.reader(lines, delimiter=delimiter, quotechar=quotechar)
            for record in reader:
                if len(record) > MAX_COLUMNS:
                    raise too_wide(len(record))
                records.append(record)
                ends.append(reader.line_num)
    except csv.Error as exc:
        raise UploadError(f"The file could not be read as CSV ({exc}).") from exc
    filled = [sum(1 for c in r if c.strip()) for r in records[:HEADER_SEARCH_ROWS]]
    h = header_index(filled)
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
                raise too_wide(saw) from exc
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
    df = finish_table(raw, header_row=skip_records + 1, max_rows=max_rows, warnings=warnings)
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
