"""Folium maps: borough outlines, deprivation choropleths, legends, points and gaps.

Every function takes a :class:`folium.Map` (from :func:`base_map`) and (Geo)DataFrames as
returned by :func:`geo.io.load_lsoas` / :func:`geo.io.load_boroughs` with ``web=True``
(EPSG:4326, coverage-simplified, coordinates rounded) or by the upload readers, adds one
layer and returns it; :func:`finish` adds the layer control. Nothing here imports streamlit.

Design notes
------------
* **Escaping.** Every data string (names from the official files, and anything that came
  from an upload) and every number goes through :func:`_fmt`, which formats numbers and
  HTML-escapes text, including ``$``, backticks and backslashes because folium places some
  strings inside JavaScript template literals. Data only ever reaches the page as JSON
  (folium's ``tojson``), never as code.
* **Payload.** Polygon layers are one :class:`folium.GeoJson` each. A feature carries its
  code as ``id``, its fill colour as the property ``c`` and one pre-formatted string per
  tooltip field (``t0``, ``t1``, ...), nothing else. Styling is a small JavaScript
  function reading ``c`` (folium's Python ``style_function`` would instead write a
  ``switch`` listing every feature id into the page).
* **Legends** are :class:`branca.element.MacroElement` children of the map, drawn as a
  Leaflet control by the map's own script, so they are part of the map HTML and survive
  Streamlit reruns; each is shown only while its layer is.
* **Colours** are ColorBrewer schemes marked colour-blind safe (Brewer, colorbrewer2.org,
  Apache-2.0) and the Okabe-Ito palette for categories.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import branca.utilities
import folium
import folium.plugins
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
import xyzservices.providers
from branca.element import Element, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode
from jinja2.utils import htmlsafe_json_dumps
from shapely.geometry import mapping
from shapely.ops import polylabel

from geo.webgeom import WebLayer

__all__ = [
    "DECILE_COLOURS",
    "FALLBACK_TILES",
    "LONDON_BOUNDS",
    "MapUpdate",
    "NO_DATA_COLOUR",
    "NO_DATA_LABEL",
    "PUBLISH_MIN_POINTS",
    "SPM_JS",
    "THEME_COLOURS",
    "add_bivariate",
    "add_boroughs",
    "add_choropleth",
    "add_points",
    "add_services_by_theme",
    "base_map",
    "finish",
    "legend_html",
    "points_file",
    "publish_points",
    "split_for_update",
]

#: Greater London (minx, miny, maxx, maxy) in lon/lat, a little padded.
LONDON_BOUNDS: tuple[float, float, float, float] = (-0.5104, 51.2868, 0.3340, 51.6919)

#: IoD deciles 1..10: ColorBrewer PRGn, 10 classes (colour-blind safe). Decile 1 (England's
#: most deprived 10%) is the darkest purple, decile 10 (least deprived) dark green.
DECILE_COLOURS: tuple[str, ...] = (
    "#40004b",
    "#762a83",
    "#9970ab",
    "#c2a5cf",
    "#e7d4e8",
    "#d9f0d3",
    "#a6dba0",
    "#5aae61",
    "#1b7837",
    "#00441b",
)

#: Keyless light basemap used when no CARTO key is given (see :func:`base_map`).
FALLBACK_TILES = "Esri.WorldGrayCanvas"

#: Fill of areas without a value, and its legend label.
NO_DATA_COLOUR = "#bdbdbd"
NO_DATA_LABEL = "No data"

#: Okabe-Ito categorical palette (colour-blind safe), in the order themes receive colours;
#: yellow comes last because it is hard to see on the light basemap. Okabe-Ito's black is
#: replaced by brown, because black marks the user's own homes.
THEME_COLOURS: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8C510A",
    "#F0E442",
)

#: The browser code of the static-geometry layers (``static/spm/spm_map.js``, served by
#: Streamlit at ``/app/static``).
SPM_JS = "/app/static/spm/spm_map.js"
#: ``spm_map.js``, Leaflet's style sheet and Leaflet in one file (:mod:`geo.webbundle`): the
#: first script of a map made by :func:`split_for_update` (instead of Leaflet's own files).
SPM_BUNDLE_JS = "/app/static/spm/spm_leaflet.js"

_DEFAULT_POINT_COLOUR = "#0072B2"
_SCHEMES = {
    "quantiles": "Quantiles",
    "naturalbreaks": "NaturalBreaks",
    "equalinterval": "EqualInterval",
}
_COORD_DECIMALS = 5  # ~1 m
_CORNERS = ("topleft", "topright", "bottomleft", "bottomright")
_BOROUGH_PANE = "spm-boroughs"
_BOROUGH_PANE_Z = 450  # above the vector overlays (400), below markers (600) and tooltips (650)
_BOROUGH_COLOUR = "#222222"
_BOROUGH_WEIGHT = 1.3
_BOROUGH_HIGHLIGHT_WEIGHT = 3.5
_POLYGON_LINE = {"color": "#ffffff", "weight": 0.3, "opacity": 0.6}
_FILL_OPACITY = 0.75
_API_KEY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_COLOUR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_JS_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "`": "&#96;", "\\": "&#92;"})

_TOOLTIP_STYLE = "font-size: 12px; max-width: 320px; white-space: normal;"

_CSS = """
<style>
.spm-legend {
    background: rgba(255, 255, 255, 0.92); padding: 6px 8px; border-radius: 4px;
    box-shadow: 0 0 4px rgba(0, 0, 0, 0.3); font: 12px/1.35 Arial, Helvetica, sans-serif;
    color: #222; max-width: 260px;
}
.spm-legend-title { font-weight: bold; margin-bottom: 4px; }
.spm-legend-note { color: #555; font-size: 11px; margin-top: 4px; }
.spm-legend-row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.spm-swatch {
    display: inline-block; width: 16px; height: 12px; flex: none;
    border: 1px solid rgba(0, 0, 0, 0.25);
}
.spm-bivar { display: inline-grid; grid-template-columns: 16px auto; align-items: center; gap: 2px; }
.spm-bivar-y {
    writing-mode: vertical-rl; transform: rotate(180deg); font-size: 11px; text-align: center;
}
.spm-bivar-x { grid-column: 2; font-size: 11px; text-align: center; }
.spm-bivar-grid { border-collapse: collapse; }
.spm-bivar-grid td { width: 22px; height: 22px; padding: 0; border: 1px solid #fff; }
.spm-borough-label div {
    position: absolute; transform: translate(-50%, -50%); width: 84px; text-align: center;
    font: 600 10px/1.1 Arial, Helvetica, sans-serif; color: #222; pointer-events: none;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff;
}
.spm-borough-label.spm-hl div { font-weight: 800; }
[data-spm-zoom="11"] .spm-borough-label div { font-size: 11px; }
[data-spm-zoom="12"] .spm-borough-label div,
[data-spm-zoom="13"] .spm-borough-label div,
[data-spm-zoom="14"] .spm-borough-label div,
[data-spm-zoom="15"] .spm-borough-label div,
[data-spm-zoom="16"] .spm-borough-label div,
[data-spm-zoom="17"] .spm-borough-label div,
[data-spm-zoom="18"] .spm-borough-label div { font-size: 12px; }
[data-spm-zoom="9"] .spm-borough-label, [data-spm-zoom="8"] .spm-borough-label,
[data-spm-zoom="7"] .spm-borough-label { display: none; }
.leaflet-spm-boroughs-pane svg { filter: drop-shadow(0 0 1px rgba(255, 255, 255, 0.9)); }
.spm-point span {
    display: block; width: 10px; height: 10px; border-radius: 50%;
    border: 1px solid #fff; box-shadow: 0 0 1px rgba(0, 0, 0, 0.6);
}
.spm-cluster div {
    width: 30px; height: 30px; border-radius: 50%; color: #fff; text-align: center;
    font: bold 11px/30px Arial, Helvetica, sans-serif; border: 2px solid rgba(255, 255, 255, 0.9);
    box-shadow: 0 0 3px rgba(0, 0, 0, 0.5); box-sizing: border-box;
}
.spm-tt th { text-align: left; padding-right: 8px; font-weight: 600; }
.leaflet-tooltip.spm-tooltip { font-size: 12px; max-width: 320px; white-space: normal; }
.spm-tooltip .spm-tt { width: max-content; max-width: 300px; }
</style>
"""

# Polygon styling in the browser: the fill comes from the feature's ``c`` property.
_POLYGON_STYLE_JS = (
    "function (feature) {{ return {{fillColor: feature.properties.c, fillOpacity: {fo}, "
    "color: {color}, weight: {weight}, opacity: {opacity}}}; }}"
).format(
    fo=_FILL_OPACITY,
    color=json.dumps(_POLYGON_LINE["color"]),
    weight=_POLYGON_LINE["weight"],
    opacity=_POLYGON_LINE["opacity"],
)
_POLYGON_HOVER_JS = (
    "function (feature, layer) {{\n"
    "  layer.on('mouseover', function (e) {{\n"
    "    e.target.setStyle({{color: '#000000', weight: 2, opacity: 1}});\n"
    "    e.target.bringToFront();\n"
    "  }});\n"
    "  layer.on('mouseout', function (e) {{\n"
    "    e.target.setStyle({{color: {color}, weight: {weight}, opacity: {opacity}}});\n"
    "  }});\n"
    "}}"
).format(
    color=json.dumps(_POLYGON_LINE["color"]),
    weight=_POLYGON_LINE["weight"],
    opacity=_POLYGON_LINE["opacity"],
)
_BOROUGH_STYLE_JS = (
    "function (feature) { return {fill: false, "
    f"color: {json.dumps(_BOROUGH_COLOUR)}, opacity: 0.9, "
    f"weight: feature.properties.h ? {_BOROUGH_HIGHLIGHT_WEIGHT} : {_BOROUGH_WEIGHT}}}; }}"
)
# One SVG renderer in the borough pane: the outlines are drawn above the canvas of the
# choropleth, and only their strokes take the mouse (the pane itself lets events through).
_BOROUGH_RENDERER_JS = f"L.svg({{pane: {json.dumps(_BOROUGH_PANE)}, padding: 0.5}})"


# --------------------------------------------------------------------------------------------
# private helpers: formatting and escaping
# --------------------------------------------------------------------------------------------
def _auto_decimals(magnitude: float) -> int:
    """Decimals for values of this typical size: 3 below 1, 2 below 10, 1 below 100, else 0."""
    if not math.isfinite(magnitude) or magnitude < 1:
        return 3
    if magnitude < 10:
        return 2
    if magnitude < 100:
        return 1
    return 0


def _fmt(value: Any, decimals: int | None = None) -> str:
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
            places = _auto_decimals(abs(value)) if decimals is None else decimals
            text = f"{round(value):,}" if places == 0 else f"{value:,.{places}f}"
    else:
        text = str(value)
    return _escape(text)


def _escape(text: str) -> str:
    """``text`` made safe as :func:`_fmt` describes (its escaping step)."""
    return html.escape(text, quote=True).translate(_JS_TEMPLATE_CHARS)


def _format_column(values: pd.Series) -> list[str]:
    """Format a column for tooltips with :func:`_fmt`, one rounding for the whole column.

    Integer-valued numeric columns (ranks, deciles, counts; also floats holding whole
    numbers because of missing values) are shown as integers; other numbers are rounded
    to the decimals that suit the column's median magnitude.
    """
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        # text: each distinct string escaped once (as _fmt does); anything else through _fmt
        done: dict[str, str] = {}
        out = []
        for v in values.tolist():
            if type(v) is str:
                text = done.get(v)
                if text is None:
                    text = done[v] = _escape(v)
                out.append(text)
            else:
                out.append(_fmt(v))
        return out
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    ok = np.isfinite(numbers)
    finite = numbers[ok]
    # Formatted numbers are digits, commas, a point and a minus sign: nothing to escape, so
    # they are formatted here directly (as _fmt would) rather than one _fmt call per value.
    if finite.size and np.all(finite == np.round(finite)):
        spec = ","
    else:
        places = _auto_decimals(float(np.median(np.abs(finite)))) if finite.size else 0
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


def _check_colour(colour: str) -> str:
    """Return ``colour`` if it is a ``#rgb`` / ``#rrggbb`` hex colour, else raise ValueError."""
    if not isinstance(colour, str) or not _COLOUR_RE.match(colour):
        raise ValueError(f"Colours must be hex strings like '#1b9e77', got {colour!r}")
    return colour.lower()


# --------------------------------------------------------------------------------------------
# private helpers: geometry and GeoJSON
# --------------------------------------------------------------------------------------------
def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326 without missing or empty geometries (assumed lon/lat if no CRS)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"Expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry
    return gdf[geoms.notna() & ~geoms.is_empty]


def _round_geometries(geoms: gpd.GeoSeries) -> np.ndarray:
    """2D geometries with coordinates rounded to ``_COORD_DECIMALS`` (a no-op on web layers)."""
    arr = shapely.force_2d(np.asarray(geoms.values, dtype=object))
    return shapely.transform(arr, lambda xy: np.round(xy, _COORD_DECIMALS))


def _field_values(gdf: pd.DataFrame, fields: Mapping[str, str]) -> dict[str, list[str]]:
    """Formatted, escaped values of each tooltip field (a column or the index name)."""
    out: dict[str, list[str]] = {}
    missing = [f for f in fields if f not in gdf.columns and f != gdf.index.name]
    if missing:
        raise ValueError(f"Tooltip fields not in the data: {', '.join(map(str, missing))}")
    for field in fields:
        column = gdf[field] if field in gdf.columns else gdf.index.to_series(index=gdf.index)
        out[field] = _format_column(column)
    return out


def _feature_collection(
    gdf: gpd.GeoDataFrame,
    properties: Mapping[str, Sequence[Any]],
    *,
    with_id: bool = True,
) -> dict:
    """A GeoJSON FeatureCollection with exactly ``properties`` (and the index as ``id``)."""
    geoms = _round_geometries(gdf.geometry)
    keys = list(properties)
    columns = [list(properties[k]) for k in keys]
    ids = [str(i) for i in gdf.index]
    features = []
    for row, geom in enumerate(geoms):
        feature: dict[str, Any] = {
            "type": "Feature",
            "properties": {k: col[row] for k, col in zip(keys, columns, strict=True)},
            "geometry": mapping(geom),
        }
        if with_id:
            feature["id"] = ids[row]
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _tooltip_keys(fields: Mapping[str, str]) -> list[str]:
    """Short property keys ``t0``, ``t1``, ... for the tooltip fields (keeps features small)."""
    return [f"t{i}" for i in range(len(fields))]


_MAX_DICT_VALUES = 256  # dictionary-encode a tooltip column with at most this many values


def _encode_field(alias: str, values: list[str]) -> dict[str, Any]:
    """A tooltip column for the browser: plain values, or a dictionary and indices when few
    distinct values repeat (deciles, borough names)."""
    uniques = list(dict.fromkeys(values))
    if len(uniques) <= _MAX_DICT_VALUES and len(uniques) * 2 < len(values):
        lookup = {v: i for i, v in enumerate(uniques)}
        return {"a": alias, "d": uniques, "i": [lookup[v] for v in values]}
    return {"a": alias, "v": values}


def _class_table(classes: Sequence[int], total: int, positions: np.ndarray) -> str | list[int]:
    """Per feature of a static file (``total`` of them): its class, ``-1`` where not shown.

    A string of characters ``chr(48 + class)`` (``-`` = not shown) while the classes fit
    below the backslash, else a list of integers.
    """
    table = np.full(total, -1, dtype=np.int64)
    table[positions] = np.asarray(classes, dtype=np.int64)
    if table.max(initial=-1) < 44:  # chr(48 + 43) == "[", the last before "\\"
        return "".join("-" if c < 0 else chr(48 + int(c)) for c in table)
    return table.tolist()


def _shown_table(positions: np.ndarray, total: int) -> dict[str, Any]:
    """Which of a static file's ``total`` points are shown, whichever is shorter as JSON:
    ``{"at": [first, gap, gap, ...]}`` (sorted positions, each after the first as the
    difference from the previous one: short for a borough's few points) or ``{"sel":
    class table}`` (one character per point of the file, :func:`_class_table`)."""
    ordered = np.sort(np.asarray(positions, dtype=np.int64))
    at = np.diff(ordered, prepend=0).tolist()
    if len(json.dumps(at, separators=(",", ":"))) < total:
        return {"at": at}
    return {"sel": _class_table([0] * len(ordered), total, ordered)}


def _static_positions(gdf: pd.DataFrame, geometry: WebLayer) -> np.ndarray:
    """Positions of ``gdf``'s index in the static file; ValueError naming unknown codes."""
    positions = geometry.positions(gdf.index)
    if (positions < 0).any():
        unknown = gdf.index[positions < 0][:5].tolist()
        raise ValueError(
            f"Areas not in the static geometry file {geometry.url}: {unknown}. "
            "Regenerate it with `python -m geo.webgeom` (shapes) or `python -m geo.webpoints` "
            "(points)."
        )
    if len(np.unique(positions)) != len(positions):
        raise ValueError("Duplicate area codes in the layer")
    return positions


def _static_fields(
    gdf: pd.DataFrame, fields: Mapping[str, str], geometry: WebLayer, order: np.ndarray
) -> list[dict[str, Any]]:
    """Tooltip columns in file order; columns the static file carries are taken from it."""
    values = _field_values(gdf, {f: a for f, a in fields.items() if f not in geometry.columns})
    out = []
    for field, alias in fields.items():
        if field in geometry.columns:
            out.append({"a": _fmt(alias), "s": field})
        else:
            column = values[field]
            out.append(_encode_field(_fmt(alias), [column[i] for i in order]))
    return out


def _static_polygon_layer(
    gdf: gpd.GeoDataFrame,
    colours: Sequence[str],
    tooltip_fields: Mapping[str, str],
    name: str,
    show: bool,
    geometry: WebLayer,
) -> _StaticPolygons:
    """The static-geometry version of :func:`_polygon_layer`: a class per feature, a palette
    and the tooltip columns; the shapes come from ``geometry.url`` in the browser."""
    positions = _static_positions(gdf, geometry)
    palette = list(dict.fromkeys(_check_colour(c) for c in colours))
    lookup = {c: i for i, c in enumerate(palette)}
    classes = [lookup[c.lower()] for c in colours]
    order = np.argsort(positions, kind="stable")  # rows in file order
    spec = {
        "url": geometry.url,
        "key": _fmt(name),  # layers of one file keep their own polygons in the browser
        "cls": _class_table(classes, len(geometry.codes), positions),
        "palette": palette,
        "fill_opacity": _FILL_OPACITY,
        "line": dict(_POLYGON_LINE),
        "fields": _static_fields(gdf, tooltip_fields, geometry, order),
    }
    return _StaticPolygons(spec, name=_fmt(name), show=show)


def _polygon_layer(
    gdf: gpd.GeoDataFrame,
    colours: Sequence[str],
    tooltip_fields: Mapping[str, str],
    name: str,
    show: bool,
    geometry: WebLayer | None = None,
) -> folium.map.Layer:
    """One layer filled with ``colours`` (one per row) and an escaped tooltip: GeoJson with
    the features embedded, or (``geometry`` given) shapes from a static file."""
    if geometry is not None:
        return _static_polygon_layer(gdf, colours, tooltip_fields, name, show, geometry)
    values = _field_values(gdf, tooltip_fields)
    keys = _tooltip_keys(tooltip_fields)
    props: dict[str, Sequence[Any]] = {"c": list(colours)}
    props.update({k: values[f] for k, f in zip(keys, tooltip_fields, strict=True)})
    data = _feature_collection(gdf, props)
    tooltip = None
    if keys and data["features"]:
        tooltip = folium.GeoJsonTooltip(
            fields=keys,
            aliases=[_fmt(a) for a in tooltip_fields.values()],
            sticky=True,
            style=_TOOLTIP_STYLE,
        )
    return folium.GeoJson(
        data,
        name=_fmt(name),
        show=show,
        tooltip=tooltip,
        embed=True,
        zoom_on_click=False,
        on_each_feature=JsCode(_POLYGON_HOVER_JS),
        style=JsCode(_POLYGON_STYLE_JS),
    )


def _label_points(gdf: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """(lat, lon) of a label point well inside each polygon (pole of inaccessibility)."""
    metric = gdf.geometry.to_crs(27700)
    points = []
    for geom in metric:
        if isinstance(geom, shapely.MultiPolygon):
            geom = max(geom.geoms, key=lambda g: g.area)
        try:
            point = polylabel(geom, tolerance=25.0)
        except Exception:  # degenerate polygon: any point inside will do
            point = geom.representative_point()
        points.append(point)
    wgs = gpd.GeoSeries(points, crs=27700).to_crs(4326)
    return [(round(p.y, _COORD_DECIMALS), round(p.x, _COORD_DECIMALS)) for p in wgs]


# --------------------------------------------------------------------------------------------
# private helpers: colours and classes
# --------------------------------------------------------------------------------------------
def _sequential(palette: str, n: int) -> list[str]:
    """``n`` colours (light to dark) of a ColorBrewer sequential scheme, 1 <= n <= 9."""
    if not 1 <= n <= 9:
        raise ValueError(f"A sequential ColorBrewer scheme has at most 9 classes, got {n}")
    base = branca.utilities.color_brewer(palette, max(n, 3))
    if n == 1:
        return [base[-1]]
    if n == 2:
        return [base[0], base[2]]
    return list(base)


def _natural_breaks(y: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` natural-breaks classes (1-D k-means, as mapclassify's
    NaturalBreaks) with a fixed seed, so the same data always gives the same map."""
    from sklearn.cluster import KMeans

    k = min(k, len(np.unique(y)))
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(y.reshape(-1, 1)).labels_
    return np.sort([y[labels == c].max() for c in range(k)])


def _scheme_name(scheme: str) -> str:
    """Canonical mapclassify scheme name (case, spaces and underscores ignored)."""
    key = scheme.lower().replace("_", "").replace(" ", "")
    if key not in _SCHEMES:
        raise ValueError(
            f"Unknown scheme {scheme!r}; expected one of {', '.join(_SCHEMES.values())}"
        )
    return _SCHEMES[key]


def _classify(y: np.ndarray, scheme: str, k: int) -> mapclassify.classifiers.MapClassifier:
    """Classify finite values ``y`` with a mapclassify scheme (NaturalBreaks seeded)."""
    name = _scheme_name(scheme)
    if not 2 <= k <= 9:
        raise ValueError(f"k must be between 2 and 9, got {k}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fewer unique values than k: handled
        if name == "Quantiles":
            return mapclassify.Quantiles(y, k=k)
        if name == "EqualInterval":
            return mapclassify.EqualInterval(y, k=k)
        return mapclassify.UserDefined(y, bins=_natural_breaks(y, k))


# --------------------------------------------------------------------------------------------
# private elements
# --------------------------------------------------------------------------------------------
class _Css(MacroElement):
    """Adds the module's stylesheet to the page header once, and tags the map container
    with its zoom level (``data-spm-zoom``) so borough labels can scale with zoom."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            function tag() {
                map.getContainer().setAttribute("data-spm-zoom", String(Math.round(map.getZoom())));
            }
            map.on("zoomend", tag);
            tag();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "SpmCss"

    def render(self, **kwargs: Any) -> None:
        self.get_root().header.add_child(Element(_CSS), name="spm_css")
        super().render(**kwargs)


class _Legend(MacroElement):
    """A legend drawn as a Leaflet control by the map's own script.

    The legend's HTML (already escaped) is passed to the page as a JSON string, so it is
    part of the map HTML; it follows its layer in and out of the layer control.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "spm-legend");
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {% if this.layer is none %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% else %}
        (function (legend, layer) {
            // Shown while its layer is on the map (layer control, or a map update that
            // replaces the layer): the legend follows the layer's add and remove events.
            if (layer._map) { legend.addTo(layer._map); }
            layer.on("add", function () { legend.addTo(layer._map); });
            layer.on("remove", function () { legend.remove(); });
        })({{ this.get_name() }}, {{ this.layer.get_name() }});
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, legend: str, layer: folium.map.Layer | None, position: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = legend
        self.layer = layer
        self.position = position


class _Raw(Element):
    """Text already rendered, added to the page as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _render_once(element: MacroElement, **kwargs: Any) -> None:
    """Render ``element`` (a :class:`JSCSSMixin` with only a ``script`` macro) cheaply.

    :meth:`branca.element.MacroElement.render` compiles the rendered script as a new Jinja
    template (for a layer with a large table that is most of a cached map's rerun cost), and
    :meth:`folium.elements.JSCSSMixin.render` and :meth:`folium.map.Layer.render` add new
    template elements on every render. This adds the script links to the page header only
    when missing and the rendered script as plain text.
    """
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("You cannot render this element if it is not in a Figure.")
    for name, url in element.default_js:
        if getattr(figure.header._children.get(name), "url", None) != url:
            figure.header.add_child(JavascriptLink(url), name=name)
    script = element._template.module.__dict__.get("script")
    if script is not None:
        figure.script.add_child(_Raw(script(element, kwargs)), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)


class _UpdateGroup(folium.FeatureGroup):
    """A :class:`folium.FeatureGroup` whose script adds itself to its parent (no extra child
    element per render)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup({{ this.options|tojavascript }});
        {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
        """
    )

    def render(self, **kwargs: Any) -> None:
        MacroElement.render(self, **kwargs)


class _SpmLayer(JSCSSMixin, folium.map.Layer):
    """A layer drawn in the browser by ``static/spm/spm_map.js`` from a compact ``spec``.

    The layer is a ``L.featureGroup`` that the JavaScript function ``this._js`` fills (after
    fetching the static geometry file, for polygons). ``spec`` reaches the page only as
    JSON (serialised once, HTML-safe); every text in it was escaped with :func:`_fmt` (or by
    :mod:`geo.webgeom`).
    """

    default_js = [("spm_map", SPM_JS)]
    _js = ""
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        spm.{{ this._js }}({{ this.get_name() }}, {{ this._spec_json }});
        {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, spec: dict, name: str, *, show: bool = True, control: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._spec_json = htmlsafe_json_dumps(spec, separators=(",", ":"))

    @property
    def spec(self) -> dict:
        """The spec as the browser receives it."""
        return json.loads(str(self._spec_json))

    def render(self, **kwargs: Any) -> None:
        _render_once(self, **kwargs)


class _StaticPolygons(_SpmLayer):
    """Polygons of a :mod:`geo.webgeom` file, filled by a class per feature."""

    _js = "polygons"

    def __init__(self, spec: dict, name: str, *, show: bool = True) -> None:
        super().__init__(spec, name, show=show)
        self._name = "StaticPolygons"


class _StaticOutlines(_SpmLayer):
    """Borough outlines and labels from a :mod:`geo.webgeom` file (SVG, borough pane)."""

    _js = "outlines"

    def __init__(self, spec: dict, name: str) -> None:
        super().__init__(spec, name, control=False)
        self._name = "StaticOutlines"


class _CanvasPoints(_SpmLayer):
    """Circle markers on the map's canvas: no DOM element per point."""

    _js = "points"

    def __init__(self, spec: dict, name: str, *, show: bool = True) -> None:
        super().__init__(spec, name, show=show)
        self._name = "CanvasPoints"


class _FitOnce(JSCSSMixin, MacroElement):
    """Fit the map to ``bounds`` when it is shown, but not again for the same bounds (so a
    restyle keeps the user's pan and zoom). Child of a layer (the map update's group)."""

    default_js = [("spm_map", SPM_JS)]

    def render(self, **kwargs: Any) -> None:
        _render_once(self, **kwargs)

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        spm.fit({{ this._parent.get_name() }}, {{ this.bounds|tojson }},
                {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Sequence[Sequence[float]], options: dict | None = None) -> None:
        super().__init__()
        self._name = "FitOnce"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.options = dict(options or {})


class _Visibility(MacroElement):
    """Whether its parent layer (a map update's group) is on the map: the user's last choice
    for a layer of the same name in this map frame's layer control, else ``show``.

    streamlit-folium adds every updated group to the map; a group that should be off takes
    itself off right after it is added (the layer control follows). So a layer made with
    ``show=False`` starts switched off, and a layer the user switched on (or off) stays so
    when the selection changes and the layers are replaced (``spm.visibility`` in
    ``static/spm/spm_map.js``).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        spm.visibility({{ this._parent.get_name() }}, {{ this.layer_name|tojson }},
                       {{ this.show|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, layer_name: str, show: bool) -> None:
        super().__init__()
        self._name = "Visibility"
        self.layer_name = str(layer_name)
        self.show = bool(show)


def _ensure_css(m: folium.Map) -> None:
    if not any(isinstance(child, _Css) for child in m._children.values()):
        m.add_child(_Css())


def _ensure_borough_pane(m: folium.Map) -> None:
    for child in m._children.values():
        if isinstance(child, folium.map.CustomPane) and child.name == _BOROUGH_PANE:
            return
    folium.map.CustomPane(_BOROUGH_PANE, z_index=_BOROUGH_PANE_Z, pointer_events=False).add_to(m)


def _add_legend(m: folium.Map, legend: str, layer: folium.map.Layer | None, position: str) -> None:
    if position not in _CORNERS:
        raise ValueError(f"legend_position must be one of {', '.join(_CORNERS)}, got {position!r}")
    _ensure_css(m)
    m.add_child(_Legend(legend, layer, position))


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def legend_html(
    title: str,
    colours: Sequence[str],
    labels: Sequence[str],
    *,
    note: str | None = None,
) -> str:
    """HTML of a legend with one swatch per class.

    Parameters
    ----------
    title
        Heading (escaped).
    colours
        Hex colours, one per class (validated, so they cannot inject CSS).
    labels
        Class labels, same length as ``colours`` (escaped).
    note
        Optional small print under the classes (escaped).

    Returns
    -------
    str
        An HTML fragment (classes ``spm-legend-*``) in which all text is escaped.
    """
    if len(colours) != len(labels):
        raise ValueError("colours and labels must have the same length")
    rows = "".join(
        f'<div class="spm-legend-row"><span class="spm-swatch" '
        f'style="background:{_check_colour(c)}"></span><span>{_fmt(lab)}</span></div>'
        for c, lab in zip(colours, labels, strict=True)
    )
    foot = f'<div class="spm-legend-note">{_fmt(note)}</div>' if note else ""
    return f'<div class="spm-legend-title">{_fmt(title)}</div>{rows}{foot}'


def _tile_layer(carto_api_key: str | None) -> folium.TileLayer:
    """CartoDB Positron with the key, else the keyless :data:`FALLBACK_TILES`."""
    if carto_api_key:
        if not _API_KEY_RE.match(carto_api_key):
            raise ValueError("carto_api_key has unexpected characters")
        provider = xyzservices.providers.CartoDB.Positron
        return folium.TileLayer(
            tiles=provider.build_url(
                apikey=carto_api_key, fill_subdomain=False, scale_factor="{r}"
            ),
            attr=provider.html_attribution,
            name="CartoDB Positron",
            subdomains=provider.get("subdomains", "abcd"),
            max_zoom=provider.get("max_zoom", 20),
            control=False,
        )
    provider = xyzservices.providers.query_name(FALLBACK_TILES)
    return folium.TileLayer(
        tiles=provider.build_url(fill_subdomain=False),
        attr=provider.html_attribution,
        name=provider.name,
        max_zoom=provider.get("max_zoom", 18),
        control=False,
    )


def base_map(
    bounds: Sequence[float] | None = None, *, carto_api_key: str | None = None
) -> folium.Map:
    """An empty map on a light basemap, fitted to ``bounds`` or London.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in lon/lat (e.g. ``gdf.total_bounds`` of a 4326 layer);
        defaults to :data:`LONDON_BOUNDS`.
    carto_api_key
        CARTO basemaps key (free at carto.com; CARTO's raster tiles need one since August
        2026, it ends up in the page). Defaults to the ``CARTO_API_KEY`` environment
        variable. With a key the basemap is CartoDB Positron; without one it is
        :data:`FALLBACK_TILES` (Esri Light Gray Canvas), which needs no key.

    Returns
    -------
    folium.Map
        Canvas renderer (``prefer_canvas``), scale bar, tiles with their attribution.
    """
    minx, miny, maxx, maxy = (float(v) for v in (bounds if bounds is not None else LONDON_BOUNDS))
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or minx > maxx or miny > maxy:
        raise ValueError(f"bounds must be finite (minx, miny, maxx, maxy), got {bounds!r}")
    if carto_api_key is None:
        carto_api_key = os.environ.get("CARTO_API_KEY") or None
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=10,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,  # fractional zoom, so fit_bounds fills the frame instead of snapping out
        zoom_delta=0.5,
    )
    _tile_layer(carto_api_key).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    _ensure_css(m)
    return m


def add_boroughs(
    m: folium.Map,
    boroughs: gpd.GeoDataFrame,
    *,
    labels: bool = True,
    highlight: list[str] | None = None,
    geometry: WebLayer | None = None,
) -> folium.FeatureGroup:
    """Borough outlines and names, always drawn above the choropleths.

    Parameters
    ----------
    m
        The map.
    boroughs
        Indexed by ``borough_code`` with ``borough_name`` (e.g. ``load_boroughs(v, web=True)``).
    labels
        Write each borough's name at a point well inside it (hidden below zoom 10).
    highlight
        Borough codes or names to draw with a thicker outline (unknown ones raise ValueError).
    geometry
        A static borough geometry file (:func:`geo.webgeom.web_layer` ``"boroughs"``) holding
        every row's code: outlines, names and label points are then fetched by the browser
        and the map carries only which boroughs are shown and highlighted.

    Returns
    -------
    folium.FeatureGroup
        The layer "Boroughs": outlines (SVG, in a pane above the canvas overlays, no fill,
        tooltip with the name on the outline) and the labels.
    """
    gdf = _to_wgs84(boroughs)
    if "borough_name" not in gdf.columns:
        raise ValueError("boroughs needs a borough_name column")
    wanted = set(highlight or [])
    known = set(map(str, gdf.index)) | set(gdf["borough_name"].astype(str))
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"Unknown boroughs to highlight: {', '.join(unknown)}")
    is_hl = [
        str(code) in wanted or str(name) in wanted
        for code, name in zip(gdf.index, gdf["borough_name"], strict=True)
    ]
    names = _format_column(gdf["borough_name"])

    _ensure_css(m)
    _ensure_borough_pane(m)
    group = _UpdateGroup(name="Boroughs", show=True)
    if geometry is not None:
        spec = {
            "url": geometry.url,
            "cls": _class_table(
                [1 if h else 0 for h in is_hl],
                len(geometry.codes),
                _static_positions(gdf, geometry),
            ),
            "name": "borough_name",
            "labels": bool(labels),
            "pane": _BOROUGH_PANE,
            "color": _BOROUGH_COLOUR,
            "weight": _BOROUGH_WEIGHT,
            "highlight_weight": _BOROUGH_HIGHLIGHT_WEIGHT,
        }
        _StaticOutlines(spec, name="Borough outlines").add_to(group)
        group.add_to(m)
        return group
    data = _feature_collection(gdf, {"n": names, "h": [1 if h else 0 for h in is_hl]})
    folium.GeoJson(
        data,
        name="Borough outlines",
        control=False,
        tooltip=folium.GeoJsonTooltip(fields=["n"], labels=False, sticky=True)
        if data["features"]
        else None,
        embed=True,
        zoom_on_click=False,
        style=JsCode(_BOROUGH_STYLE_JS),
        pane=_BOROUGH_PANE,
        renderer=JsCode(_BOROUGH_RENDERER_JS),
    ).add_to(group)
    if labels and len(gdf):
        for (lat, lon), name, hl in zip(_label_points(gdf), names, is_hl, strict=True):
            folium.Marker(
                location=(lat, lon),
                icon=folium.DivIcon(
                    html=f"<div>{name}</div>",
                    icon_size=(0, 0),
                    icon_anchor=(0, 0),
                    class_name="spm-borough-label spm-hl" if hl else "spm-borough-label",
                ),
                interactive=False,
                keyboard=False,
                pane=_BOROUGH_PANE,
            ).add_to(group)
    group.add_to(m)
    return group


def _default_lsoa_fields(gdf: pd.DataFrame, column: str, label: str) -> dict[str, str]:
    """LSOA name, borough and the decile/rank/score of ``column``'s domain, where present."""
    fields = {"lsoa_name": "LSOA", "borough_name": "Borough"}
    match = re.fullmatch(r"(.+)_(score|rank|decile)", column)
    if match:
        d = match.group(1)
        fields.update(
            {
                f"{d}_decile": "Decile (1 = most deprived 10% in England)",
                f"{d}_rank": "Rank in England (1 = most deprived)",
                f"{d}_score": "Score (higher = more deprived)",
            }
        )
    else:
        fields[column] = label
    return {f: a for f, a in fields.items() if f in gdf.columns or f == gdf.index.name}


def add_choropleth(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    column: str,
    *,
    kind: Literal["decile", "score"] = "decile",
    label: str,
    scheme: str = "Quantiles",
    k: int = 5,
    tooltip_fields: dict[str, str] | None = None,
    name: str = "Deprivation",
    palette: str | None = None,
    show: bool = True,
    legend_position: str = "bottomright",
    note: str | None = None,
    geometry: WebLayer | None = None,
) -> folium.map.Layer:
    """A deprivation choropleth of LSOAs with its legend inside the map.

    Parameters
    ----------
    m
        The map.
    lsoas
        LSOAs (e.g. ``load_lsoas(v, web=True)``), any CRS (reprojected to 4326).
    column
        The column to map, e.g. ``"imd_decile"`` or ``"income_score"``.
    kind
        ``"decile"``: values 1..10, decile 1 (most deprived) darkest, ColorBrewer PRGn.
        ``"score"``: classes from mapclassify ``scheme`` with ``k`` classes and a sequential
        ColorBrewer scheme (default YlOrRd), higher score = more deprived = darker.
    label
        Legend title.
    scheme
        ``"Quantiles"``, ``"NaturalBreaks"`` (k-means with a fixed seed) or
        ``"EqualInterval"`` (scores only).
    k
        Number of score classes, 2..9 (mapclassify may return fewer for tied data).
    tooltip_fields
        ``{column: alias}``; default LSOA name, borough, and the decile, rank and score of
        ``column``'s domain. The index name (``lsoa_code``) may be used as a field.
    name
        Layer name in the layer control.
    palette
        ColorBrewer scheme name: a 10-class diverging scheme for deciles, sequential for scores.
    show
        Whether the layer is on when the map opens.
    legend_position
        Leaflet control corner for the legend.
    note
        Legend note replacing the default one (e.g. for a score that is not deprivation).
    geometry
        A static geometry file (:func:`geo.webgeom.web_layer`) holding every row's code:
        the shapes are then fetched by the browser (once, cacheable) and the map carries
        only a class per area, the colours and the tooltip values. Tooltip fields the
        file carries (``lsoa_name``, ``borough_name``) are taken from it. Default: the
        features are embedded in the map (GeoJSON).

    Returns
    -------
    folium.map.Layer
        The layer (:class:`folium.GeoJson`, or a static-geometry layer when ``geometry`` is
        given); missing values are grey and listed as "No data" in the legend.
    """
    if column not in lsoas.columns:
        raise ValueError(f"Column {column!r} not in the LSOA data")
    custom_note = note
    gdf = _to_wgs84(lsoas)
    values = pd.to_numeric(gdf[column], errors="coerce").astype(float)
    missing = values.isna() | ~np.isfinite(values)
    if kind == "decile":
        scheme_colours = (
            list(DECILE_COLOURS)
            if palette is None
            else list(branca.utilities.color_brewer(palette, 10))
        )
        bad = ~missing & ~values.isin(range(1, 11))
        if bad.any():
            raise ValueError(
                f"{column} has values other than deciles 1..10: {values[bad].unique()[:5]}"
            )
        colours = [
            NO_DATA_COLOUR if miss else scheme_colours[int(v) - 1]
            for v, miss in zip(values, missing, strict=True)
        ]
        legend_colours = scheme_colours
        legend_labels = [
            "1 (most deprived 10%)",
            *map(str, range(2, 10)),
            "10 (least deprived 10%)",
        ]
        note = "Deciles of all LSOAs in England"
    elif kind == "score":
        y = values[~missing].to_numpy()
        colours = [NO_DATA_COLOUR] * len(values)
        legend_colours, legend_labels, note = [], [], None
        if y.size:
            classifier = _classify(y, scheme, k)
            bins = np.asarray(classifier.bins, dtype=float)
            seq = _sequential(palette or "YlOrRd", len(bins))
            positions = np.flatnonzero(~missing.to_numpy())
            for pos, cls in zip(positions, classifier.yb, strict=True):
                colours[pos] = seq[int(cls)]
            places = _auto_decimals(float(np.median(np.abs(y))))
            lows = [float(y.min()), *bins[:-1]]
            legend_colours = seq
            legend_labels = [
                f"{_fmt(lo, places)} – {_fmt(hi, places)}"
                for lo, hi in zip(lows, bins, strict=True)
            ]
            note = f"{_scheme_name(scheme)}, {len(bins)} classes; higher = more deprived"
    else:
        raise ValueError(f"kind must be 'decile' or 'score', got {kind!r}")
    if missing.any():
        legend_colours = [*legend_colours, NO_DATA_COLOUR]
        legend_labels = [*legend_labels, NO_DATA_LABEL]
    if custom_note is not None:
        note = custom_note

    fields = (
        tooltip_fields if tooltip_fields is not None else _default_lsoa_fields(gdf, column, label)
    )
    layer = _polygon_layer(gdf, colours, fields, name, show, geometry)
    layer.add_to(m)
    _add_legend(
        m, legend_html(label, legend_colours, legend_labels, note=note), layer, legend_position
    )
    return layer


def _point_rows(gdf: gpd.GeoDataFrame) -> tuple[list[float], list[float]]:
    geoms = gdf.geometry
    kinds = set(geoms.geom_type)
    if kinds - {"Point"}:
        raise ValueError(
            f"Points layer has non-point geometries: {', '.join(sorted(kinds - {'Point'}))}"
        )
    lats = np.round(geoms.y.to_numpy(dtype=float), _COORD_DECIMALS).tolist()
    lons = np.round(geoms.x.to_numpy(dtype=float), _COORD_DECIMALS).tolist()
    return lats, lons


def _tooltip_table(aliases: Sequence[str], values: Sequence[str]) -> str:
    """``<table>`` of escaped alias/value pairs (both already passed through :func:`_fmt`)."""
    rows = "".join(
        f"<tr><th>{a}</th><td>{v}</td></tr>" for a, v in zip(aliases, values, strict=True)
    )
    return f'<table class="spm-tt">{rows}</table>'


def _add_canvas_points(m: folium.Map, spec: dict, name: str, show: bool) -> _CanvasPoints:
    """Add a canvas point layer for ``spec``, with an ``id`` from its name and content: the
    same points in a later map update re-use the markers the browser made."""
    spec["id"] = hashlib.sha256(
        json.dumps([name, spec], sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:16]
    points = _CanvasPoints(spec, name=_fmt(name), show=show)
    points.add_to(m)
    return points


def add_points(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    tooltip_fields: dict[str, str],
    colour: str = _DEFAULT_POINT_COLOUR,
    cluster: bool | None = None,
    max_points: int = 20_000,
    show: bool = True,
    source: WebLayer | None = None,
) -> folium.map.Layer:
    """A layer of points (uploaded homes or services) with escaped tooltips.

    Parameters
    ----------
    m
        The map.
    gdf
        Point GeoDataFrame, any CRS; rows without a location are skipped.
    name
        Layer name in the layer control (escaped).
    tooltip_fields
        ``{column: alias}`` shown on hover; the index name may be used as a field.
    colour
        Hex fill colour of the points and clusters.
    cluster
        ``True``: :class:`folium.plugins.FastMarkerCluster` (rows passed as JSON data to a
        fixed callback, one DOM icon per visible point). ``False`` or ``None`` (default):
        circle markers drawn on the map's canvas from a compact table (coordinates as
        integers, tooltip columns dictionary-encoded), which stays fast with tens of
        thousands of points.
    max_points
        Refuse (ValueError) larger layers; filter or aggregate them first.
    show
        Whether the layer is on when the map opens.
    source
        A static points file (:func:`geo.webpoints.web_points`) holding every row (by index):
        the browser then fetches the positions and the tooltip texts the file carries (once,
        cacheable) and the map carries only which of the file's points it shows, the colour
        and the tooltip labels (canvas points only). Default: the points are embedded.

    Returns
    -------
    folium.map.Layer
        The canvas points or FastMarkerCluster layer (an empty FeatureGroup when there are no
        points).
    """
    colour = _check_colour(colour)
    pts = _to_wgs84(gdf)
    if len(pts) > max_points:
        raise ValueError(f"{len(pts):,} points is more than max_points={max_points:,}")
    _ensure_css(m)
    if pts.empty:
        group = folium.FeatureGroup(name=_fmt(name), show=show)
        group.add_to(m)
        return group
    if source is not None and not cluster:
        positions = _static_positions(pts, source)
        order = np.argsort(positions, kind="stable")  # rows in file order
        spec = {
            "url": source.url,
            **_shown_table(positions, len(source.codes)),
            "color": colour,
            "radius": 5,
            "fields": _static_fields(pts, tooltip_fields, source, order),
        }
        return _add_canvas_points(m, spec, name, show)
    values = _field_values(pts, tooltip_fields)
    aliases = [_fmt(a) for a in tooltip_fields.values()]
    if not cluster:
        lats, lons = _point_rows(pts)
        scale = 10**_COORD_DECIMALS
        ll = np.column_stack(
            [np.round(np.asarray(lats) * scale), np.round(np.asarray(lons) * scale)]
        ).astype(np.int64)
        spec = {
            "ll": ll.ravel().tolist(),
            "scale": scale,
            "color": colour,
            "radius": 5,
            "fields": [
                _encode_field(_fmt(alias), values[field]) for field, alias in tooltip_fields.items()
            ],
        }
        return _add_canvas_points(m, spec, name, show)
    lats, lons = _point_rows(pts)
    tips = [
        _tooltip_table(aliases, [values[f][i] for f in tooltip_fields]) for i in range(len(pts))
    ]
    colour_js = json.dumps(colour)
    callback = (
        "function (row) {\n"
        "  var icon = L.divIcon({className: 'spm-point', iconSize: [10, 10],\n"
        f"    html: '<span style=\"background:' + {colour_js} + '\"></span>'}});\n"
        "  var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon});\n"
        "  marker.bindTooltip(row[2]);\n"
        "  return marker;\n"
        "}"
    )
    icon_create = (
        "function (cluster) {\n"
        "  return L.divIcon({className: 'spm-cluster', iconSize: L.point(30, 30),\n"
        f"    html: '<div style=\"background:' + {colour_js} + '\">'"
        " + cluster.getChildCount() + '</div>'});\n"
        "}"
    )
    layer: folium.map.Layer = folium.plugins.FastMarkerCluster(
        data=[[la, lo, t] for la, lo, t in zip(lats, lons, tips, strict=True)],
        callback=callback,
        name=_fmt(name),
        show=show,
        icon_create_function=icon_create,
        show_coverage_on_hover=False,
        chunked_loading=True,
    )
    layer.add_to(m)
    return layer


def add_services_by_theme(
    m: folium.Map,
    services: gpd.GeoDataFrame,
    theme_col: str = "theme",
    *,
    tooltip_fields: dict[str, str] | None = None,
    cluster: bool | None = None,
    show: bool = True,
) -> dict[str, folium.map.Layer]:
    """One points layer per service theme, each in its own colour-blind-safe colour.

    Parameters
    ----------
    m
        The map.
    services
        Point GeoDataFrame with a ``theme_col`` column (missing themes become "Unclassified").
    theme_col
        Column holding the theme.
    tooltip_fields
        ``{column: alias}``; default the service ``name`` (if present) and the theme.
    cluster
        As in :func:`add_points` (decided per theme when None).
    show
        Whether the layers are on when the map opens.

    Returns
    -------
    dict[str, folium.map.Layer]
        Theme -> layer, themes in alphabetical order, colours from :data:`THEME_COLOURS`
        (repeated after eight themes). Layer names show a swatch in the theme colour, so
        the layer control doubles as the legend.
    """
    if theme_col not in services.columns:
        raise ValueError(f"services has no {theme_col!r} column")
    themes = services[theme_col].astype(object).where(services[theme_col].notna(), "Unclassified")
    themes = themes.map(lambda t: str(t).strip() or "Unclassified")
    if tooltip_fields is None:
        tooltip_fields = {"name": "Service"} if "name" in services.columns else {}
        tooltip_fields[theme_col] = "Theme"
    layers: dict[str, folium.map.Layer] = {}
    for i, theme in enumerate(sorted(themes.unique())):
        colour = THEME_COLOURS[i % len(THEME_COLOURS)]
        label = f'<span style="color:{_check_colour(colour)}">&#9679;</span> {_fmt(theme)}'
        layer = add_points(
            m,
            services[(themes == theme).to_numpy()],
            name=theme,
            tooltip_fields=tooltip_fields,
            colour=colour,
            cluster=cluster,
            show=show,
        )
        layer.layer_name = label  # swatch + escaped theme (add_points escaped the plain name)
        layers[theme] = layer
    return layers


def _bivariate_grid(colours: Mapping[str, str]) -> list[list[str]]:
    """Rows (top = highest need) of class keys parsed from ``"{need}-{access}"`` keys."""
    cells: dict[tuple[int, int], str] = {}
    for key in colours:
        match = re.fullmatch(r"\s*([1-3])\D*([1-3])\s*", str(key))
        if not match:
            raise ValueError(
                f"Cannot place bivariate class {key!r} on a 3x3 grid: use keys like '3-1' "
                "(need class, access class) or pass grid="
            )
        cells[(int(match.group(1)), int(match.group(2)))] = key
    if len(cells) != 9:
        raise ValueError("A 3x3 bivariate legend needs 9 classes")
    return [[cells[(need, access)] for access in (1, 2, 3)] for need in (3, 2, 1)]


def _bivariate_legend(
    title: str,
    grid: Sequence[Sequence[str]],
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    x_label: str,
    y_label: str,
    no_data: bool,
) -> str:
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td style="background:{_check_colour(colours[key])}" '
            f'title="{_fmt(labels.get(key, key))}"></td>'
            for key in row
        )
        + "</tr>"
        for row in grid
    )
    parts = [
        f'<div class="spm-legend-title">{_fmt(title)}</div>',
        '<div class="spm-bivar">',
        f'<div class="spm-bivar-y">{_fmt(y_label)} &rarr;</div>',
        f'<table class="spm-bivar-grid">{rows}</table>',
        f'<div class="spm-bivar-x">{_fmt(x_label)} &rarr;</div>',
        "</div>",
    ]
    for key in (grid[0][0], grid[2][2]):  # name the two extreme classes
        if key in labels:
            parts.append(
                f'<div class="spm-legend-row"><span class="spm-swatch" style="background:'
                f'{_check_colour(colours[key])}"></span><span>{_fmt(labels[key])}</span></div>'
            )
    if no_data:
        parts.append(
            f'<div class="spm-legend-row"><span class="spm-swatch" style="background:'
            f'{NO_DATA_COLOUR}"></span><span>{NO_DATA_LABEL}</span></div>'
        )
    return "".join(parts)


def add_bivariate(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    class_col: str,
    colours: dict[str, str],
    labels: dict[str, str],
    name: str = "Gap (need x access)",
    *,
    title: str | None = None,
    tooltip_fields: dict[str, str] | None = None,
    grid: Sequence[Sequence[str]] | None = None,
    x_label: str = "Access",
    y_label: str = "Need",
    show: bool = True,
    legend_position: str = "bottomright",
    geometry: WebLayer | None = None,
) -> folium.map.Layer:
    """A 3x3 bivariate choropleth (need x access) with a 3x3 grid legend inside the map.

    Parameters
    ----------
    m
        The map.
    lsoas
        LSOAs with ``class_col`` (e.g. from :func:`geo.gap.bivariate_class`).
    class_col
        Column of class keys (missing = "No data", grey).
    colours
        Class key -> hex colour (e.g. :data:`geo.gap.BIVARIATE_COLOURS`).
    labels
        Class key -> plain-English meaning, shown in the tooltip and the legend.
    name
        Layer name in the layer control.
    title
        Legend title (default ``name``).
    tooltip_fields
        ``{column: alias}`` shown before the class; default LSOA name and borough.
    grid
        Three rows of three class keys, top row = highest need, left column = lowest access.
        Default: parsed from keys ``"{need}-{access}"``.
    x_label, y_label
        Legend axis titles (access along x, need along y).
    show
        Whether the layer is on when the map opens.
    legend_position
        Leaflet control corner for the legend.
    geometry
        A static geometry file with every row's code (see :func:`add_choropleth`).

    Returns
    -------
    folium.map.Layer
        The layer.
    """
    if class_col not in lsoas.columns:
        raise ValueError(f"Column {class_col!r} not in the LSOA data")
    colours = {str(k): _check_colour(v) for k, v in colours.items()}
    labels = {str(k): str(v) for k, v in labels.items()}
    grid = [list(map(str, row)) for row in grid] if grid is not None else _bivariate_grid(colours)
    if len(grid) != 3 or any(len(row) != 3 for row in grid):
        raise ValueError("grid must be 3 rows of 3 class keys")
    gdf = _to_wgs84(lsoas)
    classes = gdf[class_col].astype(object).where(gdf[class_col].notna(), None)
    keys = [None if c is None else str(c) for c in classes]
    unknown = sorted({c for c in keys if c is not None and c not in colours})
    if unknown:
        raise ValueError(f"Classes without a colour: {', '.join(unknown)}")
    fill = [NO_DATA_COLOUR if c is None else colours[c] for c in keys]
    if tooltip_fields is None:
        tooltip_fields = {
            f: a
            for f, a in {"lsoa_name": "LSOA", "borough_name": "Borough"}.items()
            if f in gdf.columns
        }
    label_col = "__spm_class_label"
    frame = gdf.assign(**{label_col: [None if c is None else labels.get(c, c) for c in keys]})
    fields = {**tooltip_fields, label_col: title or name}
    layer = _polygon_layer(frame, fill, fields, name, show, geometry)
    layer.add_to(m)
    legend = _bivariate_legend(
        title or name, grid, colours, labels, x_label, y_label, any(c is None for c in keys)
    )
    _add_legend(m, legend, layer, legend_position)
    return layer


def add_legend(
    m: folium.Map,
    html_legend: str,
    layer: folium.map.Layer | None = None,
    position: str = "bottomright",
) -> None:
    """Put a legend (from :func:`legend_html`) in the map, shown while ``layer`` is on."""
    _add_legend(m, html_legend, layer, position)


#: With more overlay layers than this, the layer control starts collapsed (it would hide the map).
MAX_EXPANDED_LAYERS = 4


def finish(m: folium.Map) -> folium.Map:
    """Add a layer control (once; expanded unless there are many layers) and return the map."""
    if not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
        overlays = sum(
            isinstance(c, folium.map.Layer) and c.control and c.overlay
            for c in m._children.values()
        )
        folium.LayerControl(collapsed=overlays > MAX_EXPANDED_LAYERS).add_to(m)
    return m


def _descendants(element: Element) -> list[Element]:
    out = []
    for child in element._children.values():
        out.append(child)
        out.extend(_descendants(child))
    return out


#: Embedded point layers with at least this many points are moved into a file by
#: :func:`publish_points` (a smaller one costs less inline than a request).
PUBLISH_MIN_POINTS = 500
_published: dict[str, bytes] = {}  # spec id -> points file (the last few, see publish_points)


def points_file(spec: Mapping[str, Any]) -> bytes:
    """The points of an embedded point-layer ``spec`` as a gzip-compressed
    ``spm-webpoints/1`` document (the format of :mod:`geo.webpoints`), tooltip columns
    ``c0``, ``c1``, ... in field order. Deterministic: the same spec gives the same bytes."""
    from geo import webgeom, webpoints

    columns: dict[str, list[str]] = {}
    for k, field in enumerate(spec.get("fields", [])):
        if "v" in field:
            columns[f"c{k}"] = list(field["v"])
        elif "d" in field:
            columns[f"c{k}"] = [field["d"][i] for i in field["i"]]
    doc = {
        "format": webpoints.FORMAT,
        "layer": "published",
        "scale": spec["scale"],
        "codes": list(range(len(spec["ll"]) // 2)),
        "columns": columns,
        "ll": spec["ll"],
    }
    return webgeom.gzip_json(doc, compresslevel=6)  # made per upload: quicker than 9


def publish_points(
    groups: Sequence[folium.FeatureGroup],
    publish: Callable[[bytes], str | None],
    *,
    min_points: int = PUBLISH_MIN_POINTS,
) -> int:
    """Send large embedded point layers once, as files, instead of with every map update.

    Each canvas point layer in ``groups`` that carries its points in its spec (the user's
    uploads; the bundled points already come from static files) and has at least
    ``min_points`` points is handed to ``publish(data: bytes) -> str | None``, which serves
    :func:`points_file` ``(spec)`` and returns its URL (None: keep the layer as it is). The
    layer then names that URL and which tooltip column of the file each field shows; the
    browser fetches the file once per map frame (``spm.load``) and re-uses the markers it
    made for the same layer (same ``id``) in later updates.

    Returns the number of layers published. The last 16 files made are kept in memory, so a
    rerun with the same layers does not rebuild them.
    """
    n = 0
    for g in groups:
        for e in _descendants(g):
            if not isinstance(e, _CanvasPoints):
                continue
            spec = e.spec
            if "ll" not in spec or len(spec["ll"]) // 2 < min_points:
                continue
            data = _published.get(spec["id"])
            if data is None:
                data = points_file(spec)
                _published[spec["id"]] = data
                while len(_published) > 16:
                    _published.pop(next(iter(_published)))
            url = publish(data)
            if not url:
                continue
            fields = [
                {"a": f["a"], "s": f"c{k}"} if ("v" in f or "d" in f) else f
                for k, f in enumerate(spec.get("fields", []))
            ]
            new = {k: v for k, v in spec.items() if k not in ("ll", "scale", "fields")}
            new.update(url=url, fields=fields)
            e._spec_json = htmlsafe_json_dumps(new, separators=(",", ":"))
            n += 1
    return n


class MapUpdate(NamedTuple):
    """A map split by :func:`split_for_update`."""

    base: folium.Map
    groups: list[folium.FeatureGroup]
    control: folium.LayerControl | None
    bounds: list[list[float]] | None


def split_for_update(m: folium.Map) -> MapUpdate:
    """Split a finished map into a fixed base and the layers that change with the selection.

    ``streamlit_folium.st_folium`` keeps a map frame (and everything the browser has drawn
    and fetched) as long as the map's own script stays the same, and replaces only the
    layers passed as ``feature_group_to_add`` (and the ``layer_control``) when they change.
    This moves every overlay layer (each in a :class:`folium.FeatureGroup`), its legend and
    the fitted bounds out of ``m``, and resets ``m``'s initial view to London, so the base
    script depends only on the basemap, panes and stylesheet.

    Parameters
    ----------
    m
        A map made with :func:`base_map` and the ``add_*`` functions (and :func:`finish`).

    Returns
    -------
    MapUpdate
        ``m`` itself without its overlays, the groups in drawing order (the first shown one
        also fits the view, once per distinct bounds; those made with ``show=False``, or
        switched off by the user in the same frame, take themselves off the map when added),
        the layer control taken off ``m`` (None if it had none) and the fitted
        ``[[south, west], [north, east]]`` (None if not fitted).
    """
    control: folium.LayerControl | None = None
    fit: folium.map.FitBounds | None = None
    layers: list[folium.map.Layer] = []
    legends: list[_Legend] = []
    for key, child in list(m._children.items()):
        if isinstance(child, folium.TileLayer | folium.map.CustomPane | _Css):
            continue
        if isinstance(child, folium.LayerControl):
            control = child
        elif isinstance(child, folium.map.FitBounds):
            fit = child
        elif isinstance(child, _Legend):
            legends.append(child)
        elif isinstance(child, folium.map.Layer):
            layers.append(child)
        else:
            continue  # anything else stays in the base script
        del m._children[key]
    groups: list[folium.FeatureGroup] = []
    home: dict[int, folium.FeatureGroup] = {}
    shown: list[folium.FeatureGroup] = []
    for layer in layers:
        if isinstance(layer, folium.FeatureGroup):
            group = layer
        else:
            group = _UpdateGroup(
                name=layer.layer_name, overlay=layer.overlay, control=layer.control
            )
            group.show = layer.show
            layer.show = True
            group.add_child(layer)
        if group.control:
            group.add_child(_Visibility(group.layer_name, group.show))
        elif not group.show:
            group.add_child(_Visibility(group.layer_name, False))
        if group.show:
            shown.append(group)
        home[id(layer)] = group
        groups.append(group)
    if not shown:
        shown.append(_UpdateGroup(name="view", control=False))
        groups.insert(0, shown[0])
    for legend in legends:
        target = home.get(id(legend.layer), shown[0])
        target.add_child(legend)
    if fit is not None:
        opts = {k: v for k, v in fit.options.items() if v is not None}
        shown[0].add_child(_FitOnce(fit.bounds, opts))
    lat, lon = (LONDON_BOUNDS[1] + LONDON_BOUNDS[3]) / 2, (LONDON_BOUNDS[0] + LONDON_BOUNDS[2]) / 2
    m.location = [lat, lon]
    # The map's first script is the bundle of spm_map.js, Leaflet's style sheet and Leaflet
    # (geo/webbundle.py): streamlit-folium loads scripts one after the other and style sheets
    # only after them, so three files cost three round trips before the map could draw. Its
    # ?prefetch= names the files of the layers shown at first, fetched and parsed while
    # Leaflet and the map script are still loading (a layer switched off fetches its file
    # when it is switched on). The script tags are not part of the map script: a new
    # selection does not reload the frame for them.
    urls = list(
        dict.fromkeys(
            e.spec["url"]
            for g in groups
            if g.show
            for e in _descendants(g)
            if isinstance(e, _SpmLayer) and "url" in e.spec
        )
    )
    # Always loaded: the groups' own scripts call it (spm.visibility, spm.fit). The layers'
    # own link to spm_map.js is dropped (the bundle holds it; a second link would cost a
    # round trip before the map), and so are the map's links to Leaflet's own files.
    bundle = f"{SPM_BUNDLE_JS}?prefetch={','.join(urls)}" if urls else SPM_BUNDLE_JS
    m.default_js = [
        ("spm_leaflet", bundle),
        *((n, url) for n, url in type(m).default_js if n != "leaflet"),
    ]
    m.default_css = [(n, url) for n, url in type(m).default_css if n != "leaflet_css"]
    for g in groups:
        for e in _descendants(g):
            links = getattr(e, "default_js", None)
            if links and any(url == SPM_JS for _, url in links):
                e.default_js = [(n, url) for n, url in links if url != SPM_JS]
    return MapUpdate(m, groups, control, fit.bounds if fit is not None else None)
