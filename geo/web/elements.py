"""Folium elements drawn by the map's own script: the style sheet, legends, the update group,
the static-geometry and canvas-point layers of ``static/spm/spm_map.js``, fit-once and
layer visibility.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import Element, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from jinja2.utils import htmlsafe_json_dumps

#: The browser code of the static-geometry layers (``static/spm/spm_map.js``, served by
#: Streamlit at ``/app/static``).
SPM_JS = "/app/static/spm/spm_map.js"


#: ``spm_map.js``, Leaflet's style sheet and Leaflet in one file (:mod:`geo.web.jsbundle`): the
#: first script of a map made by :func:`split_for_update` (instead of Leaflet's own files).
SPM_BUNDLE_JS = "/app/static/spm/spm_leaflet.js"


CORNERS = ("topleft", "topright", "bottomleft", "bottomright")


CSS = """
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
.spm-strong { outline: 2px solid #000; outline-offset: -3px; }
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


class MapCss(MacroElement):
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
        self.get_root().header.add_child(Element(CSS), name="spm_css")
        super().render(**kwargs)


class Legend(MacroElement):
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


class RawText(Element):
    """Text already rendered, added to the page as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def render_once(element: MacroElement, **kwargs: Any) -> None:
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
        figure.script.add_child(RawText(script(element, kwargs)), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)


class UpdateGroup(folium.FeatureGroup):
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


class SpmLayer(JSCSSMixin, folium.map.Layer):
    """A layer drawn in the browser by ``static/spm/spm_map.js`` from a compact ``spec``.

    The layer is a ``L.featureGroup`` that the JavaScript function ``this._js`` fills (after
    fetching the static geometry file, for polygons). ``spec`` reaches the page only as
    JSON (serialised once, HTML-safe); every text in it was escaped with :func:`fmt` (or by
    :mod:`geo.web.staticgeom`).
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
        render_once(self, **kwargs)


class StaticPolygons(SpmLayer):
    """Polygons of a :mod:`geo.web.staticgeom` file, filled by a class per feature."""

    _js = "polygons"

    def __init__(self, spec: dict, name: str, *, show: bool = True) -> None:
        super().__init__(spec, name, show=show)
        self._name = "StaticPolygons"


class StaticOutlines(SpmLayer):
    """Borough outlines and labels from a :mod:`geo.web.staticgeom` file (SVG, borough pane)."""

    _js = "outlines"

    def __init__(self, spec: dict, name: str) -> None:
        super().__init__(spec, name, control=False)
        self._name = "StaticOutlines"


class CanvasPoints(SpmLayer):
    """Circle markers on the map's canvas: no DOM element per point."""

    _js = "points"

    def __init__(self, spec: dict, name: str, *, show: bool = True) -> None:
        super().__init__(spec, name, show=show)
        self._name = "CanvasPoints"


class FitOnce(JSCSSMixin, MacroElement):
    """Fit the map to ``bounds`` when it is shown, but not again for the same bounds (so a
    restyle keeps the user's pan and zoom). Child of a layer (the map update's group)."""

    default_js = [("spm_map", SPM_JS)]

    def render(self, **kwargs: Any) -> None:
        render_once(self, **kwargs)

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


class Visibility(MacroElement):
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


def ensure_css(m: folium.Map) -> None:
    if not any(isinstance(child, MapCss) for child in m._children.values()):
        m.add_child(MapCss())


def add_legend_control(
    m: folium.Map, legend: str, layer: folium.map.Layer | None, position: str
) -> None:
    if position not in CORNERS:
        raise ValueError(f"legend_position must be one of {', '.join(CORNERS)}, got {position!r}")
    ensure_css(m)
    m.add_child(Legend(legend, layer, position))


def descendants(element: Element) -> list[Element]:
    out = []
    for child in element._children.values():
        out.append(child)
        out.extend(descendants(child))
    return out


#: folium's map template declares a viewport that stops users zooming the page
#: (``maximum-scale=1.0, user-scalable=no``: WCAG 1.4.4, axe rule "meta-viewport").
_NO_ZOOM_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*user-scalable\s*=\s*no[^>]*>", re.I)


class ZoomableMap(folium.Map):
    """A :class:`folium.Map` whose page lets users zoom (no zoom-disabling viewport meta).

    Its template calls folium's own ``header``, ``html`` and ``script`` macros and drops the
    viewport declaration from the header, so everything else folium writes is unchanged. The
    map frame streamlit-folium makes already declares ``width=device-width, initial-scale=1``.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.folium_macro("header", kwargs) }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.folium_macro("html", kwargs) }}{% endmacro %}
        {% macro script(this, kwargs) %}{{ this.folium_macro("script", kwargs) }}{% endmacro %}
        """
    )

    def folium_macro(self, name: str, kwargs: dict) -> str:
        """folium's own macro ``name`` for this map (the header without the viewport)."""
        text = str(getattr(folium.Map._template.module, name)(self, kwargs))
        return _NO_ZOOM_VIEWPORT.sub("", text) if name == "header" else text
