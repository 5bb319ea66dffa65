"""Upload limits and the error every upload step raises: :class:`UploadError` carries a message
that tells the user what to fix.
"""

from __future__ import annotations

import codecs

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


RESAVE = "Open it in Excel and save it again as .xlsx (Excel Workbook) or CSV."


def format_size(n: int) -> str:
    """Human-readable size: "50 MB", "1.5 MB", "20 KB" (binary units)."""
    value, unit = (n / 1024 / 1024, "MB") if n >= 1024 * 1024 else (n / 1024, "KB")
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse empty and oversized files."""
    if len(data) > max_bytes:
        raise UploadError(
            f"The file is {format_size(len(data))}; the limit is {format_size(max_bytes)}. Remove unused "
            "columns or split the file into smaller parts."
        )
    if not data.strip(b" \t\r\n\x00") or data in (
        codecs.BOM_UTF8,
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
    ):
        raise UploadError("The file is empty. Upload a file with a header row and data rows.")


def too_wide(width: int) -> UploadError:
    return UploadError(
        f"A row has {width:,} values; the limit is {MAX_COLUMNS:,} columns. This does not look "
        "like a table: check that the file is a CSV with one record per line."
    )
