"""From raw rows to the uploaded table: the header row (the first of the first 30 that fills
half the width), clean and unique column names, blank rows dropped, spreadsheet row numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.data.postcodes import normalise_postcode
from geo.uploads.limits import UploadError

HEADER_SEARCH_ROWS = 30


def header_index(filled: Sequence[int]) -> int:
    """Index of the header row: first row filling at least half the widest row."""
    width = max(filled) if len(filled) else 0
    if width == 0:
        raise UploadError(
            "No columns found: the first rows are empty. Put the column names in the first row."
        )
    need = max(1, math.ceil(width / 2))
    return next(i for i, f in enumerate(filled) if f >= need)


def _looks_like_data(values: list[str]) -> bool:
    """True if most header cells are numbers or postcodes (i.e. the file has no header)."""
    cells = pd.Series(values, dtype="str")
    numeric = pd.to_numeric(cells.str.strip(), errors="coerce").notna()
    postcode = normalise_postcode(cells).notna()
    datalike = int((numeric | postcode).sum())
    return datalike > 0 and datalike * 2 >= len(values)


def finish_table(
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
