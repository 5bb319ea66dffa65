"""Reading, validating and locating uploaded stock lists and service directories (facade).

The work is done by one module per step, each readable alone:

* :mod:`geo.uploads.tables` -- bytes -> all-text table (encodings, CSV dialects), with
  :mod:`geo.uploads.workbooks` for workbooks, their sheets and HTML tables saved as ``.xls``; bounded
  time and memory;
* :mod:`geo.uploads.openreferral` -- Open Referral UK (v1, v3) / HSDS JSON -> the same kind of table;
* :mod:`geo.uploads.columns` -- which column is the postcode, latitude, name...;
* :mod:`geo.uploads.locate` -- rows -> points in London, or a rejection reason; the upload summary;
* :mod:`geo.uploads.themes` -- the housing associations' theme of each service (``parse_services``).

This module re-exports their public names so ``from geo.uploads import ...`` keeps working.

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

from geo.uploads.columns import ROLES, detect_columns
from geo.uploads.limits import MAX_BYTES, MAX_ROWS, UploadError
from geo.uploads.locate import (
    COORDS_DMS,
    COORDS_INCOMPLETE,
    COORDS_NOT_FINITE,
    COORDS_NOT_NUMERIC,
    DUPLICATE,
    LOOKUP_MISSING,
    NO_LOCATION,
    OUTSIDE_LONDON,
    POSTCODE_BAD,
    POSTCODE_NOT_FOUND,
    REJECTION_REASONS,
    locate,
    summarise_upload,
)
from geo.uploads.openreferral import read_openreferral
from geo.uploads.tables import list_sheets, read_table
from geo.uploads.themes import parse_services

__all__ = [
    "COORDS_DMS",
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
    "list_sheets",
    "locate",
    "parse_services",
    "read_openreferral",
    "read_table",
    "summarise_upload",
]
