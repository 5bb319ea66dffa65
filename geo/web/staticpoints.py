"""Static web points: the bundled map points sent to the browser once, as cacheable files.

The bundled point layers (the service directory's places by category, the GP practices of
the link-worker layer, and the housing association dot per neighbourhood) would otherwise
travel with every map update. :func:`write_all` writes their positions and their escaped
tooltip texts into gzip-compressed JSON files under ``static/geo/`` (served at
``/app/static/geo/...``, next to :mod:`geo.web.staticgeom`'s shapes). A map layer then refers to a
file by URL (:func:`geo.web.add_points` with ``source=``) and sends only which of its
points it shows (one character per point), its colour and the tooltip labels.

File format (``"format": "spm-webpoints/1"``), JSON::

    {"format": "spm-webpoints/1", "layer": "places", "vintage": null, "scale": 100000,
     "codes": [id, ...],                  # the index (service id, LSOA code), in file order
     "columns": {"name": [...], ...},     # HTML-escaped tooltip text, one per point
     "ll": [lat0, lon0, lat1, lon1, ...]} # integers, units of 1 / scale degrees

Files: ``places.json.gz`` (from ``data/services/*.parquet`` through
:func:`geo.analysis.provision.bundled_directory`) and ``ha_points_<geography>.json.gz`` (from the web
LSOAs of ``data/web``/``data/boundaries`` with their housing association columns). As with
:mod:`geo.web.staticgeom`, files are written with a zero gzip timestamp and only when their
content changes. Regenerate after ``python -m geo build``::

    python -m geo web
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo.analysis import provision
from geo.data import io
from geo.data.directory import CATEGORIES, NO_OPEN_DATA
from geo.data.indicators import VINTAGES
from geo.web import layers
from geo.web.format import format_column
from geo.web.staticgeom import (
    SCALE,
    STATIC_DIR,
    STATIC_URL,
    WebLayer,
    read,
    write_if_changed,
)

__all__ = [
    "FORMAT",
    "PLACE_COLUMNS",
    "encode",
    "file_name",
    "generate",
    "read",
    "web_points",
    "write_all",
]

FORMAT = "spm-webpoints/1"
#: Tooltip columns of the places file (every tooltip field of the category and link-worker
#: layers of :mod:`geo.web.layers`).
PLACE_COLUMNS = (
    "name",
    "category_label",
    "pcn_name",
    "lw_text",
    "registered_patients",
    "borough_name",
    "source_label",
)


def file_name(layer: str, vintage: str | None = None) -> str:
    """``places.json.gz`` or ``ha_points_2021.json.gz`` (the geography year of ``vintage``)."""
    if layer == "places":
        return "places.json.gz"
    if layer == "ha_points":
        if vintage not in VINTAGES:
            raise ValueError(f"Unknown vintage {vintage!r}; expected one of {', '.join(VINTAGES)}")
        return f"ha_points_{VINTAGES[vintage]['geography']}.json.gz"
    raise ValueError(f"Unknown points layer {layer!r}; expected 'places' or 'ha_points'")


def encode(
    points: gpd.GeoDataFrame, columns: tuple[str, ...], *, layer: str, vintage: str | None
) -> dict:
    """The file content (a JSON-ready dict) for ``points`` and their tooltip ``columns``.

    Parameters
    ----------
    points
        Point GeoDataFrame in EPSG:4326 with a unique index (the codes) and ``columns``;
        rows without a location are left out.
    columns
        The columns stored, formatted and escaped as the map's tooltips format them
        (:func:`geo.web.format_column`, one rounding per column).
    layer, vintage
        Recorded in the file.
    """
    if points.crs is None or not points.crs.equals("EPSG:4326"):
        raise ValueError("web points must be in EPSG:4326")
    if not points.index.is_unique:
        raise ValueError("web points need a unique index")
    pts = points[points.geometry.notna() & ~points.geometry.is_empty]
    if set(pts.geometry.geom_type) - {"Point"}:
        raise ValueError("web points must be points")
    ll = np.column_stack([pts.geometry.y.to_numpy(float), pts.geometry.x.to_numpy(float)])
    return {
        "format": FORMAT,
        "layer": layer,
        "vintage": vintage,
        "scale": SCALE,
        "codes": [str(c) for c in pts.index],
        "columns": {c: format_column(pts[c]) for c in columns},
        "ll": np.round(np.round(ll, 5) * SCALE).astype(np.int64).ravel().tolist(),
    }


def _places() -> gpd.GeoDataFrame:
    """The bundled directory with the link-worker text, in EPSG:4326."""
    try:
        parks = io.load_parks()
    except io.DataError:
        parks = None
    directory = provision.bundled_directory(
        io.load_services(), parks, categories=CATEGORIES, no_open_data=NO_OPEN_DATA
    )
    directory = directory.to_crs(4326)
    return directory.assign(lw_text=layers.lw_text(directory))


def generate(layer: str, vintage: str | None = None) -> dict | None:
    """The file content from the processed data, or None when that data has no such layer
    (no housing association columns for the vintage)."""
    if layer == "places":
        return encode(_places(), PLACE_COLUMNS, layer=layer, vintage=None)
    file_name(layer, vintage)  # validates
    frame = layers.ha_point_frame(io.load_lsoas(vintage, web=True))
    if frame is None:
        return None
    return encode(frame, layers.HA_POINT_COLUMNS, layer=layer, vintage=vintage)


def _targets() -> list[tuple[str, str | None]]:
    return [("places", None), *(("ha_points", v) for v in VINTAGES)]


def write_all(out_dir: Path | None = None) -> list[Path]:
    """Write every points file to ``out_dir`` (default ``static/geo``).

    Returns the paths written; a file whose content is unchanged is left alone (so the
    browser's cached copy stays valid).
    """
    out_dir = Path(out_dir or STATIC_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for layer, vintage in _targets():
        doc = generate(layer, vintage)
        if doc is None:
            continue
        path = out_dir / file_name(layer, vintage)
        if write_if_changed(path, doc):
            written.append(path)
    return written


@lru_cache(maxsize=8)
def web_points(
    layer: str, vintage: str | None = None, static_dir: Path | None = None
) -> WebLayer | None:
    """The :class:`geo.web.staticgeom.WebLayer` of a static points file, or None when it is missing
    (the map then embeds its points, as before; nothing breaks)."""
    path = Path(static_dir or STATIC_DIR) / file_name(layer, vintage)
    try:
        doc = read(path)
    except (OSError, ValueError):
        return None
    if doc.get("format") != FORMAT:
        return None
    return WebLayer(
        url=f"{STATIC_URL}/{path.name}",
        codes=tuple(doc["codes"]),
        columns=tuple(doc.get("columns", {})),
    )
