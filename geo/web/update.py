"""A map as streamlit-folium updates it: a fixed base script and the layers a new selection
replaces (:func:`split_for_update`), and large embedded point layers served once as files
(:func:`publish_points`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import folium
from jinja2.utils import htmlsafe_json_dumps

from geo.web import staticgeom, staticpoints
from geo.web.basemap import LONDON_BOUNDS
from geo.web.elements import (
    SPM_BUNDLE_JS,
    SPM_JS,
    CanvasPoints,
    FitOnce,
    Legend,
    MapCss,
    SpmLayer,
    UpdateGroup,
    Visibility,
    descendants,
)

#: Embedded point layers with at least this many points are moved into a file by
#: :func:`publish_points` (a smaller one costs less inline than a request).
PUBLISH_MIN_POINTS = 500


_published: dict[str, bytes] = {}  # spec id -> points file (the last few, see publish_points)


def points_file(spec: Mapping[str, Any]) -> bytes:
    """The points of an embedded point-layer ``spec`` as a gzip-compressed
    ``spm-webpoints/1`` document (the format of :mod:`geo.web.staticpoints`), tooltip columns
    ``c0``, ``c1``, ... in field order. Deterministic: the same spec gives the same bytes."""
    columns: dict[str, list[str]] = {}
    for k, field in enumerate(spec.get("fields", [])):
        if "v" in field:
            columns[f"c{k}"] = list(field["v"])
        elif "d" in field:
            columns[f"c{k}"] = [field["d"][i] for i in field["i"]]
    doc = {
        "format": staticpoints.FORMAT,
        "layer": "published",
        "scale": spec["scale"],
        "codes": list(range(len(spec["ll"]) // 2)),
        "columns": columns,
        "ll": spec["ll"],
    }
    return staticgeom.gzip_json(doc, compresslevel=6)  # made per upload: quicker than 9


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
        for e in descendants(g):
            if not isinstance(e, CanvasPoints):
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
    legends: list[Legend] = []
    for key, child in list(m._children.items()):
        if isinstance(child, folium.TileLayer | folium.map.CustomPane | MapCss):
            continue
        if isinstance(child, folium.LayerControl):
            control = child
        elif isinstance(child, folium.map.FitBounds):
            fit = child
        elif isinstance(child, Legend):
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
            group = UpdateGroup(name=layer.layer_name, overlay=layer.overlay, control=layer.control)
            group.show = layer.show
            layer.show = True
            group.add_child(layer)
        if group.control:
            group.add_child(Visibility(group.layer_name, group.show))
        elif not group.show:
            group.add_child(Visibility(group.layer_name, False))
        if group.show:
            shown.append(group)
        home[id(layer)] = group
        groups.append(group)
    if not shown:
        shown.append(UpdateGroup(name="view", control=False))
        groups.insert(0, shown[0])
    for legend in legends:
        target = home.get(id(legend.layer), shown[0])
        target.add_child(legend)
    if fit is not None:
        opts = {k: v for k, v in fit.options.items() if v is not None}
        shown[0].add_child(FitOnce(fit.bounds, opts))
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
            for e in descendants(g)
            if isinstance(e, SpmLayer) and "url" in e.spec
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
        for e in descendants(g):
            links = getattr(e, "default_js", None)
            if links and any(url == SPM_JS for _, url in links):
                e.default_js = [(n, url) for n, url in links if url != SPM_JS]
    return MapUpdate(m, groups, control, fit.bounds if fit is not None else None)
