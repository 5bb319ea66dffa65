"""Choropleths of neighbourhoods: deciles and classed scores, the 3x3 need x access map and
their legends inside the map."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import branca.utilities
import folium
import folium.plugins
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from folium.utilities import JsCode

from geo.web.elements import StaticPolygons, add_legend_control
from geo.web.encode import class_table, static_fields, static_positions
from geo.web.format import (
    NO_DATA_LABEL,
    auto_decimals,
    check_colour,
    field_values,
    fmt,
    tooltip_keys,
)
from geo.web.geometry import feature_collection, to_wgs84
from geo.web.staticgeom import WebLayer

__all__ = [
    "DECILE_COLOURS",
    "NO_DATA_COLOUR",
    "add_bivariate",
    "add_choropleth",
    "add_legend",
    "legend_html",
]


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


#: Fill of areas without a value, and its legend label.
NO_DATA_COLOUR = "#bdbdbd"


_SCHEMES = {
    "quantiles": "Quantiles",
    "naturalbreaks": "NaturalBreaks",
    "equalinterval": "EqualInterval",
}
_POLYGON_LINE = {"color": "#ffffff", "weight": 0.3, "opacity": 0.6}
#: The outline of an emphasised class (the biggest gaps): colour is never the only carrier of
#: that class's meaning (WCAG 1.4.1), as some of its neighbours in the palette come close to it
#: for colour-blind readers (tests/web/test_palettes.py).
STRONG_LINE = {"color": "#000000", "weight": 1.6, "opacity": 0.95}
_FILL_OPACITY = 0.75

_TOOLTIP_STYLE = "font-size: 12px; max-width: 320px; white-space: normal;"


# Polygon styling in the browser: the fill comes from the feature's ``c`` property.
_POLYGON_STYLE_JS = (
    "function (feature) {{ var s = feature.properties.s; return {{fillColor: "
    "feature.properties.c, fillOpacity: {fo}, color: s ? {scolor} : {color}, "
    "weight: s ? {sweight} : {weight}, opacity: s ? {sopacity} : {opacity}}}; }}"
).format(
    fo=_FILL_OPACITY,
    color=json.dumps(_POLYGON_LINE["color"]),
    weight=_POLYGON_LINE["weight"],
    opacity=_POLYGON_LINE["opacity"],
    scolor=json.dumps(STRONG_LINE["color"]),
    sweight=STRONG_LINE["weight"],
    sopacity=STRONG_LINE["opacity"],
)
_POLYGON_HOVER_JS = (
    "function (feature, layer) {{\n"
    "  layer.on('mouseover', function (e) {{\n"
    "    e.target.setStyle({{color: '#000000', weight: 2, opacity: 1}});\n"
    "    e.target.bringToFront();\n"
    "  }});\n"
    "  layer.on('mouseout', function (e) {{\n"
    "    var s = feature.properties.s;\n"
    "    e.target.setStyle({{color: s ? {scolor} : {color}, weight: s ? {sweight} : {weight},"
    " opacity: s ? {sopacity} : {opacity}}});\n"
    "  }});\n"
    "}}"
).format(
    color=json.dumps(_POLYGON_LINE["color"]),
    weight=_POLYGON_LINE["weight"],
    opacity=_POLYGON_LINE["opacity"],
    scolor=json.dumps(STRONG_LINE["color"]),
    sweight=STRONG_LINE["weight"],
    sopacity=STRONG_LINE["opacity"],
)


def _static_polygon_layer(
    gdf: gpd.GeoDataFrame,
    colours: Sequence[str],
    tooltip_fields: Mapping[str, str],
    name: str,
    show: bool,
    geometry: WebLayer,
    strong: frozenset[str] = frozenset(),
) -> StaticPolygons:
    """The static-geometry version of :func:`_polygon_layer`: a class per feature, a palette
    and the tooltip columns; the shapes come from ``geometry.url`` in the browser."""
    positions = static_positions(gdf, geometry)
    palette = list(dict.fromkeys(check_colour(c) for c in colours))
    lookup = {c: i for i, c in enumerate(palette)}
    classes = [lookup[c.lower()] for c in colours]
    order = np.argsort(positions, kind="stable")  # rows in file order
    spec = {
        "url": geometry.url,
        "key": fmt(name),  # layers of one file keep their own polygons in the browser
        "cls": class_table(classes, len(geometry.codes), positions),
        "palette": palette,
        "fill_opacity": _FILL_OPACITY,
        "line": dict(_POLYGON_LINE),
        "fields": static_fields(gdf, tooltip_fields, geometry, order),
    }
    if strong:
        spec["strong"] = [i for i, c in enumerate(palette) if c in strong]
        spec["strong_line"] = dict(STRONG_LINE)
    return StaticPolygons(spec, name=fmt(name), show=show)


def _polygon_layer(
    gdf: gpd.GeoDataFrame,
    colours: Sequence[str],
    tooltip_fields: Mapping[str, str],
    name: str,
    show: bool,
    geometry: WebLayer | None = None,
    strong: frozenset[str] = frozenset(),
) -> folium.map.Layer:
    """One layer filled with ``colours`` (one per row) and an escaped tooltip: GeoJson with
    the features embedded, or (``geometry`` given) shapes from a static file. Areas filled
    with a colour in ``strong`` get a dark outline (:data:`STRONG_LINE`)."""
    if geometry is not None:
        return _static_polygon_layer(gdf, colours, tooltip_fields, name, show, geometry, strong)
    values = field_values(gdf, tooltip_fields)
    keys = tooltip_keys(tooltip_fields)
    props: dict[str, Sequence[Any]] = {"c": list(colours)}
    if strong:
        props["s"] = [1 if c.lower() in strong else 0 for c in colours]
    props.update({k: values[f] for k, f in zip(keys, tooltip_fields, strict=True)})
    data = feature_collection(gdf, props)
    tooltip = None
    if keys and data["features"]:
        tooltip = folium.GeoJsonTooltip(
            fields=keys,
            aliases=[fmt(a) for a in tooltip_fields.values()],
            sticky=True,
            style=_TOOLTIP_STYLE,
        )
    return folium.GeoJson(
        data,
        name=fmt(name),
        show=show,
        tooltip=tooltip,
        embed=True,
        zoom_on_click=False,
        on_each_feature=JsCode(_POLYGON_HOVER_JS),
        style=JsCode(_POLYGON_STYLE_JS),
    )


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
        f'style="background:{check_colour(c)}"></span><span>{fmt(lab)}</span></div>'
        for c, lab in zip(colours, labels, strict=True)
    )
    foot = f'<div class="spm-legend-note">{fmt(note)}</div>' if note else ""
    return f'<div class="spm-legend-title">{fmt(title)}</div>{rows}{foot}'


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
        A static geometry file (:func:`geo.web.staticgeom.web_layer`) holding every row's code:
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
    gdf = to_wgs84(lsoas)
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
            places = auto_decimals(float(np.median(np.abs(y))))
            lows = [float(y.min()), *bins[:-1]]
            legend_colours = seq
            legend_labels = [
                f"{fmt(lo, places)} – {fmt(hi, places)}" for lo, hi in zip(lows, bins, strict=True)
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
    add_legend_control(
        m, legend_html(label, legend_colours, legend_labels, note=note), layer, legend_position
    )
    return layer


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
    outlined: str | None = None,
) -> str:
    def cell(key: str) -> str:
        strong = ' class="spm-strong"' if key == outlined else ""
        return (
            f'<td style="background:{check_colour(colours[key])}"{strong} '
            f'title="{fmt(labels.get(key, key))}"></td>'
        )

    rows = "".join("<tr>" + "".join(cell(key) for key in row) + "</tr>" for row in grid)
    # the grid as words for those who cannot see it (the cells carry colour only)
    words = "; ".join(
        f"row {r + 1}, column {c + 1}: {labels.get(key, key)}"
        for r, row in enumerate(grid)
        for c, key in enumerate(row)
    )
    described = f"{y_label} rising upwards, {x_label.lower()} rising to the right. {words}." + (
        f" {labels.get(outlined, outlined)} areas are outlined in black." if outlined else ""
    )
    parts = [
        f'<div class="spm-legend-title">{fmt(title)}</div>',
        '<div class="spm-bivar">',
        f'<div class="spm-bivar-y" aria-hidden="true">{fmt(y_label)} &rarr;</div>',
        f'<table class="spm-bivar-grid" role="img" aria-label="{fmt(described)}">{rows}</table>',
        f'<div class="spm-bivar-x" aria-hidden="true">{fmt(x_label)} &rarr;</div>',
        "</div>",
    ]
    for key in (grid[0][0], grid[2][2]):  # name the two extreme classes
        if key in labels:
            swatch = "spm-swatch spm-strong" if key == outlined else "spm-swatch"
            note = " (outlined)" if key == outlined else ""
            parts.append(
                f'<div class="spm-legend-row"><span class="{swatch}" style="background:'
                f'{check_colour(colours[key])}"></span><span>{fmt(labels[key] + note)}</span></div>'
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
    outline_top_left: bool = True,
) -> folium.map.Layer:
    """A 3x3 bivariate choropleth (need x access) with a 3x3 grid legend inside the map.

    Parameters
    ----------
    m
        The map.
    lsoas
        LSOAs with ``class_col`` (e.g. from :func:`geo.analysis.gap.bivariate_class`).
    class_col
        Column of class keys (missing = "No data", grey).
    colours
        Class key -> hex colour (e.g. :data:`geo.analysis.gap.BIVARIATE_COLOURS`).
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
    outline_top_left
        Outline the areas of the grid's top-left class (highest need, lowest access: the
        biggest gaps) in black, here and in the legend, so that class does not rest on colour
        alone.

    Returns
    -------
    folium.map.Layer
        The layer.
    """
    if class_col not in lsoas.columns:
        raise ValueError(f"Column {class_col!r} not in the LSOA data")
    colours = {str(k): check_colour(v) for k, v in colours.items()}
    labels = {str(k): str(v) for k, v in labels.items()}
    grid = [list(map(str, row)) for row in grid] if grid is not None else _bivariate_grid(colours)
    if len(grid) != 3 or any(len(row) != 3 for row in grid):
        raise ValueError("grid must be 3 rows of 3 class keys")
    gdf = to_wgs84(lsoas)
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
    outlined = grid[0][0] if outline_top_left else None
    strong = frozenset({colours[outlined]}) if outlined else frozenset()
    layer = _polygon_layer(frame, fill, fields, name, show, geometry, strong)
    layer.add_to(m)
    legend = _bivariate_legend(
        title or name,
        grid,
        colours,
        labels,
        x_label,
        y_label,
        any(c is None for c in keys),
        outlined,
    )
    add_legend_control(m, legend, layer, legend_position)
    return layer


def add_legend(
    m: folium.Map,
    html_legend: str,
    layer: folium.map.Layer | None = None,
    position: str = "bottomright",
) -> None:
    """Put a legend (from :func:`legend_html`) in the map, shown while ``layer`` is on."""
    add_legend_control(m, html_legend, layer, position)
