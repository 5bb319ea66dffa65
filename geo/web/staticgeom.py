"""Static web geometry: LSOA and borough shapes sent to the browser once, as cacheable files.

The maps never embed neighbourhood geometry in the page. :func:`write_all` turns the web
layers in ``data/web/`` (EPSG:4326, coverage-simplified, coordinates rounded to 5 decimals)
into one gzip-compressed JSON file per layer and vintage under ``static/geo/``, which
Streamlit serves at ``/app/static/geo/...``, and one LSOA file per borough
(``static/geo/lsoa_<year>/<borough code>.json.gz``, the same content for that borough's
LSOAs only), so that a one-borough map fetches and decodes only its own shapes. A map layer
then refers to a file by URL and sends only a compact code -> class table (see
:func:`geo.web.add_choropleth`), so an indicator change restyles shapes the browser already
has.

File format (``"format": "spm-webgeom/1"``), JSON::

    {"format": "spm-webgeom/1", "layer": "lsoa", "vintage": "iod2025", "scale": 100000,
     "codes": [code, ...],                       # the index, in file order
     "columns": {"lsoa_name": [...], ...},       # HTML-escaped text, one per code
     "labels": [[lat, lon], ...],                # boroughs only: a point inside each
     "geometry": [[ring, ...], ...]}             # per code: its polygons' rings

A ring is a flat list of integers ``[x0, y0, dx1, dy1, ...]``: the first vertex in
units of ``1 / scale`` degrees (lon, lat), then each vertex as the difference from the
previous one, without the closing vertex. Polygons of a feature are separated by rings
that start a new polygon: each polygon is a list ``[outer, hole, ...]``, so a feature is
``[[outer, hole...], [outer, ...], ...]``. The rounding is the web layers' own (5 decimals,
about 1 m), so nothing is lost. Files are gzip-compressed with a zero timestamp (the
server sends them as they are, with no per-request compression) and written only when their
content changes.

Regenerate after ``python -m geo build``::

    python -m geo web
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.data import io
from geo.data.indicators import VINTAGES
from geo.web.format import format_column
from geo.web.geometry import label_points

STATIC_DIR = Path(__file__).resolve().parents[2] / "static" / "geo"
#: Where Streamlit serves ``static/`` (``server.enableStaticServing``).
STATIC_URL = "/app/static/geo"
FORMAT = "spm-webgeom/1"
SCALE = 100_000  # 5 decimals, the web layers' rounding
LAYERS = ("lsoa", "boroughs")
_COLUMNS = {"lsoa": ("lsoa_name", "borough_name"), "boroughs": ("borough_name",)}


@dataclass(frozen=True)
class WebLayer:
    """A static geometry file as a map layer refers to it.

    Attributes
    ----------
    url
        Where the browser fetches the file.
    codes
        The codes (index values) in file order.
    columns
        Names of the escaped text columns the file carries (usable as tooltip fields
        without sending them with the map).
    labels
        Whether the file has a label point per feature.
    """

    url: str
    codes: tuple[str, ...]
    columns: tuple[str, ...] = ()
    labels: bool = False

    @cached_property
    def index(self) -> pd.Index:
        """``codes`` as an index, built once (its lookup table too)."""
        return pd.Index(self.codes)

    def positions(self, codes: pd.Index) -> np.ndarray:
        """Position of each of ``codes`` in the file, -1 where it is not in it."""
        return self.index.get_indexer(pd.Index(codes).astype(str))


def file_name(layer: str, vintage: str, borough: str | None = None) -> str:
    """``lsoa_2021.json.gz`` and the like (the geography year of ``vintage``), or with
    ``borough`` (LSOAs only) that borough's file, ``lsoa_2021/E09000030.json.gz``."""
    if layer not in LAYERS:
        raise ValueError(f"Unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    if vintage not in VINTAGES:
        raise ValueError(f"Unknown vintage {vintage!r}; expected one of {', '.join(VINTAGES)}")
    stem = f"{layer}_{VINTAGES[vintage]['geography']}"
    if borough is None:
        return f"{stem}.json.gz"
    if layer != "lsoa" or not re.fullmatch(r"E09\d{6}", str(borough)):
        raise ValueError(f"No per-borough file for {layer!r} and {borough!r}")
    return f"{stem}/{borough}.json.gz"


def _ring(coords: np.ndarray) -> list[int]:
    """Flat delta-encoded integer ring without its closing vertex."""
    q = np.round(np.asarray(coords)[:-1, :2] * SCALE).astype(np.int64)
    if len(q) == 0:
        return []
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    return d.ravel().tolist()


def _polygons(geom: shapely.Geometry) -> list[list[list[int]]]:
    parts = geom.geoms if isinstance(geom, shapely.MultiPolygon) else [geom]
    out = []
    for poly in parts:
        if not isinstance(poly, shapely.Polygon) or poly.is_empty:
            raise ValueError(f"Web geometry must be polygons, got {poly.geom_type}")
        poly = shapely.orient_polygons(poly)
        rings = [_ring(shapely.get_coordinates(poly.exterior))]
        rings += [_ring(shapely.get_coordinates(r)) for r in poly.interiors]
        out.append(rings)
    return out


def encode(gdf: gpd.GeoDataFrame, *, layer: str, vintage: str) -> dict:
    """The file content (a JSON-ready dict) for a web layer with its attribute columns.

    Parameters
    ----------
    gdf
        ``load_lsoas(vintage, web=True)`` or ``load_boroughs(vintage, web=True)``: EPSG:4326,
        indexed by code, with the name columns of ``layer``.
    layer, vintage
        ``"lsoa"`` or ``"boroughs"``; the vintage recorded in the file.
    """
    if gdf.crs is None or not gdf.crs.equals("EPSG:4326"):
        raise ValueError("web geometry must be in EPSG:4326")
    doc: dict = {
        "format": FORMAT,
        "layer": layer,
        "vintage": vintage,
        "scale": SCALE,
        "codes": [str(c) for c in gdf.index],
        "columns": {c: format_column(gdf[c]) for c in _COLUMNS[layer]},
    }
    if layer == "boroughs":
        doc["labels"] = [list(p) for p in label_points(gdf)]
    doc["geometry"] = [_polygons(g) for g in gdf.geometry]
    return doc


def generate(layer: str, vintage: str, borough: str | None = None) -> dict:
    """The file content for ``layer`` and ``vintage`` (and ``borough``, LSOAs only) from the
    processed data (``data/web``)."""
    loader = io.load_lsoas if layer == "lsoa" else io.load_boroughs
    gdf = loader(vintage, web=True)
    if borough is not None:
        file_name(layer, vintage, borough)  # validates
        gdf = gdf[gdf["borough_code"] == borough]
        if gdf.empty:
            raise ValueError(f"No LSOAs in borough {borough!r} ({vintage})")
    return encode(gdf, layer=layer, vintage=vintage)


def borough_codes(vintage: str) -> list[str]:
    """The boroughs that have a per-borough LSOA file for ``vintage`` (all 33)."""
    return sorted(io.load_lsoas(vintage, web=True)["borough_code"].unique())


def _dumps(doc: dict) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def gzip_json(doc: dict, compresslevel: int = 9) -> bytes:
    """``doc`` as compact UTF-8 JSON, gzip-compressed with a zero timestamp (the same
    content gives the same bytes). The form of every static map file, and of the points
    files :func:`geo.web.points_file` makes for uploads."""
    return gzip.compress(_dumps(doc), compresslevel=compresslevel, mtime=0)


def write_if_changed(path: Path, doc: dict) -> bool:
    """Write ``doc`` to ``path`` as :func:`gzip_json`; True when the file changed.

    A file whose content is already ``doc`` is left alone, so its modification time (and the
    browser's cached copy) stays valid. Shared by :mod:`geo.web.staticpoints`.
    """
    if path.is_file() and gzip.decompress(path.read_bytes()) == _dumps(doc):
        return False
    path.write_bytes(gzip_json(doc))
    return True


def read(path: Path) -> dict:
    """The decoded content of a static geometry or points file."""
    with gzip.open(path, "rb") as fh:
        return json.loads(fh.read().decode("utf-8"))


def write_all(out_dir: Path | None = None) -> list[Path]:
    """Write every layer and vintage to ``out_dir`` (default ``static/geo``).

    Returns the paths written; a file whose content is unchanged is left alone, so its
    modification time (and the browser's cached copy) stays valid.
    """
    out_dir = Path(out_dir or STATIC_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for vintage in VINTAGES:
        for layer in LAYERS:
            path = out_dir / file_name(layer, vintage)
            if write_if_changed(path, generate(layer, vintage)):
                written.append(path)
        for borough in borough_codes(vintage):
            path = out_dir / file_name("lsoa", vintage, borough)
            path.parent.mkdir(parents=True, exist_ok=True)
            if write_if_changed(path, generate("lsoa", vintage, borough)):
                written.append(path)
    return written


@lru_cache(maxsize=160)
def web_layer(
    layer: str, vintage: str, static_dir: Path | None = None, borough: str | None = None
) -> WebLayer:
    """The :class:`WebLayer` of a static file (read once per process); with ``borough``,
    that borough's LSOA file.

    Raises
    ------
    geo.data.io.DataError
        When the file is missing or unreadable (the message says how to regenerate it).
    """
    name = file_name(layer, vintage, borough)
    path = Path(static_dir or STATIC_DIR) / name
    try:
        doc = read(path)
    except (OSError, ValueError) as exc:
        raise io.DataError(
            f"Static map geometry {path} is missing or unreadable ({exc}). "
            "Run `python -m geo web` to regenerate it."
        ) from exc
    if doc.get("format") != FORMAT:
        raise io.DataError(f"{path} is not a {FORMAT} file. Run `python -m geo web`.")
    return WebLayer(
        url=f"{STATIC_URL}/{name}",
        codes=tuple(doc["codes"]),
        columns=tuple(doc.get("columns", {})),
        labels="labels" in doc,
    )
