"""Point layers: uploaded homes or services and the bundled places as canvas circle markers
(or clusters), and one layer per service theme in colour-blind-safe colours.
"""

from __future__ import annotations

import hashlib
import json

import folium
import geopandas as gpd
import numpy as np

from geo.web.elements import CanvasPoints, ensure_css
from geo.web.encode import shown_table, static_fields, static_positions
from geo.web.format import check_colour, encode_field, field_values, fmt, tooltip_table
from geo.web.geometry import COORD_DECIMALS, point_rows, to_wgs84
from geo.web.staticgeom import WebLayer

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


_DEFAULT_POINT_COLOUR = "#0072B2"


def _add_canvas_points(m: folium.Map, spec: dict, name: str, show: bool) -> CanvasPoints:
    """Add a canvas point layer for ``spec``, with an ``id`` from its name and content: the
    same points in a later map update re-use the markers the browser made."""
    spec["id"] = hashlib.sha256(
        json.dumps([name, spec], sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:16]
    points = CanvasPoints(spec, name=fmt(name), show=show)
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
        A static points file (:func:`geo.web.staticpoints.web_points`) holding every row (by index):
        the browser then fetches the positions and the tooltip texts the file carries (once,
        cacheable) and the map carries only which of the file's points it shows, the colour
        and the tooltip labels (canvas points only). Default: the points are embedded.

    Returns
    -------
    folium.map.Layer
        The canvas points or FastMarkerCluster layer (an empty FeatureGroup when there are no
        points).
    """
    colour = check_colour(colour)
    pts = to_wgs84(gdf)
    if len(pts) > max_points:
        raise ValueError(f"{len(pts):,} points is more than max_points={max_points:,}")
    ensure_css(m)
    if pts.empty:
        group = folium.FeatureGroup(name=fmt(name), show=show)
        group.add_to(m)
        return group
    if source is not None and not cluster:
        positions = static_positions(pts, source)
        order = np.argsort(positions, kind="stable")  # rows in file order
        spec = {
            "url": source.url,
            **shown_table(positions, len(source.codes)),
            "color": colour,
            "radius": 5,
            "fields": static_fields(pts, tooltip_fields, source, order),
        }
        return _add_canvas_points(m, spec, name, show)
    values = field_values(pts, tooltip_fields)
    aliases = [fmt(a) for a in tooltip_fields.values()]
    if not cluster:
        lats, lons = point_rows(pts)
        scale = 10**COORD_DECIMALS
        ll = np.column_stack(
            [np.round(np.asarray(lats) * scale), np.round(np.asarray(lons) * scale)]
        ).astype(np.int64)
        spec = {
            "ll": ll.ravel().tolist(),
            "scale": scale,
            "color": colour,
            "radius": 5,
            "fields": [
                encode_field(fmt(alias), values[field]) for field, alias in tooltip_fields.items()
            ],
        }
        return _add_canvas_points(m, spec, name, show)
    lats, lons = point_rows(pts)
    tips = [tooltip_table(aliases, [values[f][i] for f in tooltip_fields]) for i in range(len(pts))]
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
        name=fmt(name),
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
        label = f'<span style="color:{check_colour(colour)}">&#9679;</span> {fmt(theme)}'
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
