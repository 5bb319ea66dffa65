"""The web map: folium maps of boroughs, deprivation, gaps and places, and the static files
the map frame fetches.

Every function takes a :class:`folium.Map` (from :func:`base_map`) and (Geo)DataFrames as
returned by :func:`geo.data.io.load_lsoas` / :func:`geo.data.io.load_boroughs` with ``web=True``
(EPSG:4326, coverage-simplified, coordinates rounded) or by the upload readers, adds one
layer and returns it; :func:`finish` adds the layer control. Nothing here imports streamlit.

Modules
-------
* :mod:`geo.web.basemap` -- the base map, tiles, borough outlines and names, the layer control;
* :mod:`geo.web.choropleth` -- deciles and classed scores, ordered categories, the 3x3 need x
  access map, legends;
* :mod:`geo.web.indicators` -- public transport access (PTAL bands) and link workers by GP
  registration per neighbourhood;
* :mod:`geo.web.points` -- point layers (canvas circle markers, or clusters);
* :mod:`geo.web.planmap` -- the Pilot planner's chosen sites, numbered, with their reach;
* :mod:`geo.web.layers` -- the bundled data as layers: housing association homes, one layer per
  service category, link workers at GP practices;
* :mod:`geo.web.update` -- splitting a map into a fixed base and the layers a new selection
  replaces (streamlit-folium's update protocol), and large point layers served as files;
* :mod:`geo.web.staticgeom`, :mod:`geo.web.staticpoints` -- the static shape and point files
  under ``static/geo/`` the browser fetches once; :mod:`geo.web.jsbundle` -- the map frame's
  one script (``static/spm/spm_leaflet.js``);
* helpers: :mod:`geo.web.format` (the one place that formats and escapes data for the page),
  :mod:`geo.web.geometry`, :mod:`geo.web.elements` (folium elements drawn by the map's own
  script), :mod:`geo.web.encode` (compact tables of classes and shown points).

Design notes
------------
* **Escaping.** Every data string (names from the official files, and anything that came
  from an upload) and every number goes through :func:`fmt`, which formats numbers and
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

from geo.web.basemap import (
    FALLBACK_TILES,
    LONDON_BOUNDS,
    MAX_EXPANDED_LAYERS,
    add_boroughs,
    base_map,
    finish,
)
from geo.web.choropleth import (
    DECILE_COLOURS,
    NO_DATA_COLOUR,
    add_bivariate,
    add_categories,
    add_choropleth,
    add_legend,
    legend_html,
)
from geo.web.elements import SPM_BUNDLE_JS, SPM_JS
from geo.web.format import NO_DATA_LABEL
from geo.web.indicators import (
    PTAL_COLOURS,
    add_lw_registration_layer,
    add_pcn_share_layer,
    add_ptal_layer,
    lw_registration_frame,
)
from geo.web.layers import (
    CATEGORY_COLOURS,
    LW_NO_RECORD,
    add_category_layers,
    add_ha_layer,
    add_ha_points,
    add_link_worker_layer,
    ha_percent,
)
from geo.web.planmap import add_plan_sites
from geo.web.points import THEME_COLOURS, add_points, add_services_by_theme
from geo.web.staticgeom import WebLayer, web_layer
from geo.web.staticpoints import web_points
from geo.web.update import (
    PUBLISH_MIN_POINTS,
    MapUpdate,
    points_file,
    publish_points,
    split_for_update,
)

__all__ = [
    "CATEGORY_COLOURS",
    "DECILE_COLOURS",
    "FALLBACK_TILES",
    "LONDON_BOUNDS",
    "LW_NO_RECORD",
    "MAX_EXPANDED_LAYERS",
    "NO_DATA_COLOUR",
    "NO_DATA_LABEL",
    "PTAL_COLOURS",
    "PUBLISH_MIN_POINTS",
    "SPM_BUNDLE_JS",
    "SPM_JS",
    "THEME_COLOURS",
    "MapUpdate",
    "WebLayer",
    "add_bivariate",
    "add_boroughs",
    "add_categories",
    "add_category_layers",
    "add_choropleth",
    "add_ha_layer",
    "add_ha_points",
    "add_legend",
    "add_link_worker_layer",
    "add_lw_registration_layer",
    "add_pcn_share_layer",
    "add_plan_sites",
    "add_points",
    "add_ptal_layer",
    "add_services_by_theme",
    "base_map",
    "finish",
    "ha_percent",
    "legend_html",
    "lw_registration_frame",
    "points_file",
    "publish_points",
    "split_for_update",
    "web_layer",
    "web_points",
]
