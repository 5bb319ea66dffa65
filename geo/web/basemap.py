"""The base map: light tiles, London bounds, borough outlines and names, the layer control."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence

import folium
import geopandas as gpd
import xyzservices.providers
from folium.utilities import JsCode

from geo.web.elements import StaticOutlines, UpdateGroup, ZoomableMap, ensure_css
from geo.web.encode import class_table, static_positions
from geo.web.format import format_column
from geo.web.geometry import feature_collection, label_points, to_wgs84
from geo.web.staticgeom import WebLayer

#: Greater London (minx, miny, maxx, maxy) in lon/lat, a little padded.
LONDON_BOUNDS: tuple[float, float, float, float] = (-0.5104, 51.2868, 0.3340, 51.6919)


#: Keyless light basemap used when no CARTO key is given (see :func:`base_map`).
FALLBACK_TILES = "Esri.WorldGrayCanvas"


_BOROUGH_PANE = "spm-boroughs"


_BOROUGH_PANE_Z = 450  # above the vector overlays (400), below markers (600) and tooltips (650)


_BOROUGH_COLOUR = "#222222"


_BOROUGH_WEIGHT = 1.3


_BOROUGH_HIGHLIGHT_WEIGHT = 3.5


_API_KEY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


_BOROUGH_STYLE_JS = (
    "function (feature) { return {fill: false, "
    f"color: {json.dumps(_BOROUGH_COLOUR)}, opacity: 0.9, "
    f"weight: feature.properties.h ? {_BOROUGH_HIGHLIGHT_WEIGHT} : {_BOROUGH_WEIGHT}}}; }}"
)


# One SVG renderer in the borough pane: the outlines are drawn above the canvas of the
# choropleth, and only their strokes take the mouse (the pane itself lets events through).
_BOROUGH_RENDERER_JS = f"L.svg({{pane: {json.dumps(_BOROUGH_PANE)}, padding: 0.5}})"


def _ensure_borough_pane(m: folium.Map) -> None:
    for child in m._children.values():
        if isinstance(child, folium.map.CustomPane) and child.name == _BOROUGH_PANE:
            return
    folium.map.CustomPane(_BOROUGH_PANE, z_index=_BOROUGH_PANE_Z, pointer_events=False).add_to(m)


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
    m = ZoomableMap(
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
    ensure_css(m)
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
        A static borough geometry file (:func:`geo.web.staticgeom.web_layer` ``"boroughs"``) holding
        every row's code: outlines, names and label points are then fetched by the browser
        and the map carries only which boroughs are shown and highlighted.

    Returns
    -------
    folium.FeatureGroup
        The layer "Boroughs": outlines (SVG, in a pane above the canvas overlays, no fill,
        tooltip with the name on the outline) and the labels.
    """
    gdf = to_wgs84(boroughs)
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
    names = format_column(gdf["borough_name"])

    ensure_css(m)
    _ensure_borough_pane(m)
    group = UpdateGroup(name="Boroughs", show=True)
    if geometry is not None:
        spec = {
            "url": geometry.url,
            "cls": class_table(
                [1 if h else 0 for h in is_hl],
                len(geometry.codes),
                static_positions(gdf, geometry),
            ),
            "name": "borough_name",
            "labels": bool(labels),
            "pane": _BOROUGH_PANE,
            "color": _BOROUGH_COLOUR,
            "weight": _BOROUGH_WEIGHT,
            "highlight_weight": _BOROUGH_HIGHLIGHT_WEIGHT,
        }
        StaticOutlines(spec, name="Borough outlines").add_to(group)
        group.add_to(m)
        return group
    data = feature_collection(gdf, {"n": names, "h": [1 if h else 0 for h in is_hl]})
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
        for (lat, lon), name, hl in zip(label_points(gdf), names, is_hl, strict=True):
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
