"""The one place that formats numbers and escapes text for the map page.

Every data string (names from the official files, and anything that came from an upload) and
every number shown in a map goes through :func:`fmt` or :func:`format_column`: numbers are
formatted, text is HTML-escaped, including ``$``, backticks and backslashes because folium
places some strings inside JavaScript template literals.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

NO_DATA_LABEL = "No data"


_COLOUR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


_JS_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "`": "&#96;", "\\": "&#92;"})


def auto_decimals(magnitude: float) -> int:
    """Decimals for values of this typical size: 3 below 1, 2 below 10, 1 below 100, else 0."""
    if not math.isfinite(magnitude) or magnitude < 1:
        return 3
    if magnitude < 10:
        return 2
    if magnitude < 100:
        return 1
    return 0


def fmt(value: Any, decimals: int | None = None) -> str:
    """Format one value as HTML-escaped text; the only place that formats or escapes data.

    Parameters
    ----------
    value
        Anything: missing values (None, NaN, ``pd.NA``) become ``"No data"``; integers get
        thousands separators; floats are rounded to ``decimals`` (chosen from their size when
        None); booleans become Yes/No; anything else is ``str(value)``.
    decimals
        Decimal places for floats.

    Returns
    -------
    str
        Text safe to put in HTML text, in a quoted HTML attribute, in a JavaScript template
        literal and (through JSON) in a script: ``& < > " '`` are HTML-escaped and ``$``,
        backtick and backslash become character references.
    """
    if value is None or (np.ndim(value) == 0 and not isinstance(value, str) and pd.isna(value)):
        text = NO_DATA_LABEL
    elif isinstance(value, bool | np.bool_):
        text = "Yes" if value else "No"
    elif isinstance(value, int | np.integer):
        text = f"{int(value):,}"
    elif isinstance(value, float | np.floating):
        value = float(value)
        if not math.isfinite(value):
            text = NO_DATA_LABEL
        else:
            places = auto_decimals(abs(value)) if decimals is None else decimals
            text = f"{round(value):,}" if places == 0 else f"{value:,.{places}f}"
    else:
        text = str(value)
    return escape(text)


def escape(text: str) -> str:
    """``text`` made safe as :func:`fmt` describes (its escaping step)."""
    return html.escape(text, quote=True).translate(_JS_TEMPLATE_CHARS)


def format_column(values: pd.Series) -> list[str]:
    """Format a column for tooltips with :func:`fmt`, one rounding for the whole column.

    Integer-valued numeric columns (ranks, deciles, counts; also floats holding whole
    numbers because of missing values) are shown as integers; other numbers are rounded
    to the decimals that suit the column's median magnitude.
    """
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        # text: each distinct string escaped once (as fmt does); anything else through fmt
        done: dict[str, str] = {}
        out = []
        for v in values.tolist():
            if type(v) is str:
                text = done.get(v)
                if text is None:
                    text = done[v] = escape(v)
                out.append(text)
            else:
                out.append(fmt(v))
        return out
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    ok = np.isfinite(numbers)
    finite = numbers[ok]
    # Formatted numbers are digits, commas, a point and a minus sign: nothing to escape, so
    # they are formatted here directly (as fmt would) rather than one fmt call per value.
    if finite.size and np.all(finite == np.round(finite)):
        spec = ","
    else:
        places = auto_decimals(float(np.median(np.abs(finite)))) if finite.size else 0
        spec = f",.{places}f"
    if spec == ",":
        text = [f"{v:,}" for v in finite.astype(np.int64).tolist()]
    elif spec == ",.0f":
        text = [f"{round(v):,}" for v in finite.tolist()]
    else:
        text = [format(v, spec) for v in finite.tolist()]
    out = [NO_DATA_LABEL] * len(numbers)
    for pos, t in zip(np.flatnonzero(ok).tolist(), text, strict=True):
        out[pos] = t
    return out


def check_colour(colour: str) -> str:
    """Return ``colour`` if it is a ``#rgb`` / ``#rrggbb`` hex colour, else raise ValueError."""
    if not isinstance(colour, str) or not _COLOUR_RE.match(colour):
        raise ValueError(f"Colours must be hex strings like '#1b9e77', got {colour!r}")
    return colour.lower()


def field_values(gdf: pd.DataFrame, fields: Mapping[str, str]) -> dict[str, list[str]]:
    """Formatted, escaped values of each tooltip field (a column or the index name)."""
    out: dict[str, list[str]] = {}
    missing = [f for f in fields if f not in gdf.columns and f != gdf.index.name]
    if missing:
        raise ValueError(f"Tooltip fields not in the data: {', '.join(map(str, missing))}")
    for field in fields:
        column = gdf[field] if field in gdf.columns else gdf.index.to_series(index=gdf.index)
        out[field] = format_column(column)
    return out


def tooltip_keys(fields: Mapping[str, str]) -> list[str]:
    """Short property keys ``t0``, ``t1``, ... for the tooltip fields (keeps features small)."""
    return [f"t{i}" for i in range(len(fields))]


_MAX_DICT_VALUES = 256  # dictionary-encode a tooltip column with at most this many values


def encode_field(alias: str, values: list[str]) -> dict[str, Any]:
    """A tooltip column for the browser: plain values, or a dictionary and indices when few
    distinct values repeat (deciles, borough names)."""
    uniques = list(dict.fromkeys(values))
    if len(uniques) <= _MAX_DICT_VALUES and len(uniques) * 2 < len(values):
        lookup = {v: i for i, v in enumerate(uniques)}
        return {"a": alias, "d": uniques, "i": [lookup[v] for v in values]}
    return {"a": alias, "v": values}


def tooltip_table(aliases: Sequence[str], values: Sequence[str]) -> str:
    """``<table>`` of escaped alias/value pairs (both already passed through :func:`fmt`)."""
    rows = "".join(
        f"<tr><th>{a}</th><td>{v}</td></tr>" for a, v in zip(aliases, values, strict=True)
    )
    return f'<table class="spm-tt">{rows}</table>'
