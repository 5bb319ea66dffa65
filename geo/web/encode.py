"""Compact tables the map script reads: a class per feature of a static file, which of its
points are shown, and tooltip columns in file order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo.web.format import encode_field, field_values, fmt
from geo.web.staticgeom import WebLayer


def class_table(classes: Sequence[int], total: int, positions: np.ndarray) -> str | list[int]:
    """Per feature of a static file (``total`` of them): its class, ``-1`` where not shown.

    A string of characters ``chr(48 + class)`` (``-`` = not shown) while the classes fit
    below the backslash, else a list of integers.
    """
    table = np.full(total, -1, dtype=np.int64)
    table[positions] = np.asarray(classes, dtype=np.int64)
    if table.max(initial=-1) < 44:  # chr(48 + 43) == "[", the last before "\\"
        return "".join("-" if c < 0 else chr(48 + int(c)) for c in table)
    return table.tolist()


def shown_table(positions: np.ndarray, total: int) -> dict[str, Any]:
    """Which of a static file's ``total`` points are shown, whichever is shorter as JSON:
    ``{"at": [first, gap, gap, ...]}`` (sorted positions, each after the first as the
    difference from the previous one: short for a borough's few points) or ``{"sel":
    class table}`` (one character per point of the file, :func:`class_table`)."""
    ordered = np.sort(np.asarray(positions, dtype=np.int64))
    at = np.diff(ordered, prepend=0).tolist()
    if len(json.dumps(at, separators=(",", ":"))) < total:
        return {"at": at}
    return {"sel": class_table([0] * len(ordered), total, ordered)}


def static_positions(gdf: pd.DataFrame, geometry: WebLayer) -> np.ndarray:
    """Positions of ``gdf``'s index in the static file; ValueError naming unknown codes."""
    positions = geometry.positions(gdf.index)
    if (positions < 0).any():
        unknown = gdf.index[positions < 0][:5].tolist()
        raise ValueError(
            f"Areas not in the static geometry file {geometry.url}: {unknown}. "
            "Regenerate it with `python -m geo web` "
            "(points)."
        )
    if len(np.unique(positions)) != len(positions):
        raise ValueError("Duplicate area codes in the layer")
    return positions


def static_fields(
    gdf: pd.DataFrame, fields: Mapping[str, str], geometry: WebLayer, order: np.ndarray
) -> list[dict[str, Any]]:
    """Tooltip columns in file order; columns the static file carries are taken from it."""
    values = field_values(gdf, {f: a for f, a in fields.items() if f not in geometry.columns})
    out = []
    for field, alias in fields.items():
        if field in geometry.columns:
            out.append({"a": fmt(alias), "s": field})
        else:
            column = values[field]
            out.append(encode_field(fmt(alias), [column[i] for i in order]))
    return out
