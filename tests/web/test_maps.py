"""Tests for geo.web.maps, in the style of geopandas' tests/test_explore.py.

Maps are inspected through the folium object tree (``m._children``, ``m.to_dict()``) and
the rendered page (``m.get_root().render()``); no browser. Fixtures are tiny synthetic
grids of squares near Westminster with obviously synthetic codes and names.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import branca.utilities
import folium
import folium.plugins
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from geo import web
from geo.web import elements
from geo.web import format as webformat

DOMAINS = ("imd", "income", "employment", "education", "health", "crime", "housing", "environment")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
TEMPLATE = "${alert(1)}`x`\\"
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------
def _synthetic_lsoas(rows: int = 4, cols: int = 5, seed: int = 1) -> gpd.GeoDataFrame:
    """rows x cols squares of 0.01 degree near Westminster, two synthetic boroughs."""
    rng = np.random.default_rng(seed)
    records, geoms = [], []
    n = rows * cols
    for i in range(rows):
        for j in range(cols):
            idx = i * cols + j
            rec: dict[str, object] = {
                "lsoa_code": f"E0199{idx:04d}",
                "lsoa_name": f"Synthetic LSOA {idx:03d}",
                "borough_code": "E09990001" if i < rows // 2 else "E09990002",
                "borough_name": "Synthetic South" if i < rows // 2 else "Synthetic North",
            }
            for d in DOMAINS:
                rec[f"{d}_score"] = float(rng.gamma(2.0, 10.0))
                rec[f"{d}_rank"] = int(rng.integers(1, 33_755))
                rec[f"{d}_decile"] = idx % 10 + 1
            records.append(rec)
            x0, y0 = -0.16 + 0.01 * j, 51.48 + 0.01 * i
            geoms.append(box(x0, y0, x0 + 0.01, y0 + 0.01))
    assert n == len(records)
    frame = pd.DataFrame(records).set_index("lsoa_code")
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)


@pytest.fixture
def lsoas() -> gpd.GeoDataFrame:
    return _synthetic_lsoas()


@pytest.fixture
def boroughs() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {"borough_name": ["Synthetic South", "Synthetic North"]},
        index=pd.Index(["E09990001", "E09990002"], name="borough_code"),
    )
    return gpd.GeoDataFrame(
        frame,
        geometry=[box(-0.16, 51.48, -0.11, 51.50), box(-0.16, 51.50, -0.11, 51.52)],
        crs=4326,
    )


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["Synthetic home A", SCRIPT, IMG, TEMPLATE, "Synthetic home, no location"],
            "units": [12, 3, None, 40, 5],
            "theme": ["Arts", "Food", None, "Arts", "Food"],
        },
        geometry=[
            Point(-0.15, 51.485),
            Point(-0.14, 51.495),
            Point(-0.13, 51.505),
            Point(-0.12, 51.515),
            None,
        ],
        crs=4326,
    )


def _render(m: folium.Map) -> str:
    return m.get_root().render()


def _js_text(page: str) -> str:
    """What the browser's JavaScript sees in string literals: folium writes data with
    ``tojson``, which writes ``< > & '`` and non-ASCII as ``\\uXXXX`` and ``"`` as ``\\"``."""
    page = re.sub(r"\\u([0-9a-fA-F]{4})", lambda mo: chr(int(mo.group(1), 16)), page)
    return page.replace('\\"', '"')


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _of_type(m: folium.Map, cls: type) -> list:
    return [e for e in _walk(m) if isinstance(e, cls)]


def _layer_names(m: folium.Map) -> list[str]:
    return [
        e.layer_name
        for e in _walk(m)
        if isinstance(e, folium.map.Layer) and e.control and not isinstance(e, folium.TileLayer)
    ]


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _legends(m: folium.Map) -> list:
    return [c for c in m._children.values() if getattr(c, "_name", "") == "Legend"]


def _colours_by_id(layer: folium.GeoJson) -> pd.Series:
    return pd.Series({f["id"]: f["properties"]["c"] for f in layer.data["features"]})


def _tooltip(layer: folium.GeoJson) -> folium.GeoJsonTooltip:
    (tip,) = [c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip)]
    return tip


def _field_value(field: dict, row: int, static: dict | None = None, position: int = 0) -> str:
    """The value of one encoded tooltip column (``geo.web.webformat.encode_field`` or a column of the
    static file) for shown row ``row`` (file position ``position``), as the browser reads it."""
    if "s" in field:
        return static[field["s"]][position]
    if "d" in field:
        return field["d"][field["i"][row]]
    return field["v"][row]


def _canvas_tooltips(layer) -> list[dict[str, str]]:
    """Alias -> value of each point of a canvas points layer."""
    n = len(layer.spec["ll"]) // 2
    return [{f["a"]: _field_value(f, j) for f in layer.spec["fields"]} for j in range(n)]


def _tooltip_values(layer: folium.GeoJson, feature_id: str) -> dict[str, str]:
    """Alias -> value shown for one feature."""
    tip = _tooltip(layer)
    (feature,) = [f for f in layer.data["features"] if f["id"] == feature_id]
    return {a: feature["properties"][k] for k, a in zip(tip.fields, tip.aliases, strict=True)}


# --------------------------------------------------------------------------------------------
# base map and layer control
# --------------------------------------------------------------------------------------------
def test_base_map_canvas_scale_bounds(monkeypatch):
    monkeypatch.delenv("CARTO_API_KEY", raising=False)
    m = web.base_map((-0.2, 51.4, 0.0, 51.6))
    assert m.options["prefer_canvas"] is True
    assert m.control_scale is True
    (fit,) = _of_type(m, folium.map.FitBounds)
    assert fit.bounds == [[51.4, -0.2], [51.6, 0.0]]
    page = _render(m)
    assert '"preferCanvas": true' in page
    assert "L.control.scale" in page


def test_base_map_default_is_london(monkeypatch):
    monkeypatch.delenv("CARTO_API_KEY", raising=False)
    (fit,) = _of_type(web.base_map(), folium.map.FitBounds)
    minx, miny, maxx, maxy = web.LONDON_BOUNDS
    assert fit.bounds == [[miny, minx], [maxy, maxx]]


def test_base_map_positron_with_key(monkeypatch):
    monkeypatch.delenv("CARTO_API_KEY", raising=False)
    m = web.base_map(carto_api_key="synthetic-key-123")
    (tiles,) = _of_type(m, folium.TileLayer)
    assert "basemaps.cartocdn.com/light_all" in tiles.tiles
    assert tiles.tiles.endswith("?key=synthetic-key-123")
    assert "CARTO" in tiles.options["attribution"]
    assert "OpenStreetMap" in tiles.options["attribution"]
    assert tiles.control is False


def test_base_map_key_from_environment(monkeypatch):
    monkeypatch.setenv("CARTO_API_KEY", "synthetic-env-key")
    (tiles,) = _of_type(web.base_map(), folium.TileLayer)
    assert "cartocdn" in tiles.tiles and "synthetic-env-key" in tiles.tiles


def test_base_map_without_key_uses_keyless_fallback(monkeypatch):
    monkeypatch.delenv("CARTO_API_KEY", raising=False)
    (tiles,) = _of_type(web.base_map(), folium.TileLayer)
    assert "cartocdn" not in tiles.tiles
    assert "Esri" in tiles.options["attribution"]


@pytest.mark.parametrize("key", ["bad key", "k&x=1", "<script>"])
def test_base_map_rejects_odd_keys(key):
    with pytest.raises(ValueError):
        web.base_map(carto_api_key=key)


def test_all_layers_and_layer_control(lsoas, boroughs, points):
    m = web.base_map(lsoas.total_bounds)
    web.add_boroughs(m, boroughs)
    web.add_choropleth(m, lsoas, "imd_decile", label="IMD decile")
    web.add_points(m, points, name="Homes", tooltip_fields={"name": "Home"})
    web.add_services_by_theme(m, points)
    lsoas["gap"] = ["3-1", "1-3", "2-2", "1-1", "3-3"] * 4
    web.add_bivariate(m, lsoas, "gap", _BIV_COLOURS, _BIV_LABELS)
    assert web.finish(m) is m
    names = _layer_names(m)
    assert names[:3] == ["Boroughs", "Deprivation", "Homes"]
    assert names[-1] == "Gap (need x access)"
    assert any(n.endswith(" Arts") for n in names)
    assert any(n.endswith(" Food") for n in names)
    assert any(n.endswith(" Unclassified") for n in names)
    children = m.to_dict()["children"]
    assert [c["name"] for c in children.values()].count("LayerControl") == 1
    (control,) = _of_type(m, folium.LayerControl)
    assert len(names) > web.MAX_EXPANDED_LAYERS
    assert control.options["collapsed"] is True  # so many layers would cover the map
    web.finish(m)  # idempotent
    assert len(_of_type(m, folium.LayerControl)) == 1
    page = _render(m)
    assert "L.control.layers" in page
    assert '"collapsed": true' in page


def test_layer_control_expanded_with_few_layers(lsoas, boroughs):
    m = web.base_map(lsoas.total_bounds)
    web.add_boroughs(m, boroughs)
    web.add_choropleth(m, lsoas, "imd_decile", label="IMD decile")
    web.finish(m)
    (control,) = _of_type(m, folium.LayerControl)
    assert control.options["collapsed"] is False
    assert '"collapsed": false' in _render(m)


# --------------------------------------------------------------------------------------------
# choropleth colours and classes
# --------------------------------------------------------------------------------------------
def test_decile_colours_are_colorbrewer_prgn():
    assert list(web.DECILE_COLOURS) == branca.utilities.color_brewer("PRGn", 10)


def test_decile_one_darkest_and_nan_grey(lsoas):
    lsoas.loc["E01990003", "imd_decile"] = np.nan
    m = web.base_map()
    layer = web.add_choropleth(m, lsoas, "imd_decile", label="IMD decile")
    colours = _colours_by_id(layer)
    deciles = lsoas["imd_decile"]
    for code, decile in deciles.items():
        expected = web.NO_DATA_COLOUR if pd.isna(decile) else web.DECILE_COLOURS[int(decile) - 1]
        assert colours[code] == expected
    assert colours["E01990003"] == web.NO_DATA_COLOUR
    one = colours[deciles[deciles == 1].index[0]]
    assert _luminance(one) == min(_luminance(c) for c in web.DECILE_COLOURS)
    # intensity falls from decile 1 towards the national median
    lum = [_luminance(c) for c in web.DECILE_COLOURS[:5]]
    assert lum == sorted(lum)


def test_decile_rejects_non_deciles(lsoas):
    lsoas.loc["E01990000", "imd_decile"] = 11
    with pytest.raises(ValueError, match="deciles"):
        web.add_choropleth(web.base_map(), lsoas, "imd_decile", label="IMD decile")


def test_unknown_column_and_kind(lsoas):
    with pytest.raises(ValueError):
        web.add_choropleth(web.base_map(), lsoas, "nope", label="x")
    with pytest.raises(ValueError):
        web.add_choropleth(web.base_map(), lsoas, "imd_score", kind="rank", label="x")


@pytest.mark.parametrize(
    ("scheme", "k", "cls"),
    [
        ("Quantiles", 5, mapclassify.Quantiles),
        ("Quantiles", 4, mapclassify.Quantiles),
        ("EqualInterval", 5, mapclassify.EqualInterval),
        ("equal_interval", 7, mapclassify.EqualInterval),
    ],
)
def test_score_classes_follow_mapclassify(lsoas, scheme, k, cls):
    lsoas.loc["E01990005", "income_score"] = np.nan
    m = web.base_map()
    layer = web.add_choropleth(
        m, lsoas, "income_score", kind="score", label="Income", scheme=scheme, k=k
    )
    colours = _colours_by_id(layer)
    valid = lsoas["income_score"].dropna()
    expected = cls(valid.to_numpy(), k=k)
    palette = branca.utilities.color_brewer("YlOrRd", len(expected.bins))
    for code, cls_idx in zip(valid.index, expected.yb, strict=True):
        assert colours[code] == palette[cls_idx]
    assert colours["E01990005"] == web.NO_DATA_COLOUR
    # higher score = more deprived = darker
    lum = [_luminance(c) for c in palette]
    assert lum == sorted(lum, reverse=True)
    top = valid.idxmax()
    assert colours[top] == palette[-1]
    # legend: one label per class with the class bounds, then No data
    page = _js_text(_render(m))
    for hi in expected.bins:
        assert f"– {hi:.1f}" in page
    assert "No data" in page


@pytest.mark.filterwarnings("ignore:Numba not installed")
def test_natural_breaks_deterministic_and_natural():
    lsoas = _synthetic_lsoas(rows=4, cols=6)
    # three well separated groups: any natural-breaks method finds the same classes
    groups = np.repeat([5.0, 40.0, 80.0], 8) + np.tile(np.linspace(0, 2, 8), 3)
    lsoas["imd_score"] = groups
    a = web.add_choropleth(
        web.base_map(), lsoas, "imd_score", kind="score", label="s", scheme="NaturalBreaks", k=3
    )
    b = web.add_choropleth(
        web.base_map(), lsoas, "imd_score", kind="score", label="s", scheme="NaturalBreaks", k=3
    )
    pd.testing.assert_series_equal(_colours_by_id(a), _colours_by_id(b))
    jenks = mapclassify.FisherJenks(groups, k=3)
    palette = branca.utilities.color_brewer("YlOrRd", 3)
    assert list(_colours_by_id(a)) == [palette[c] for c in jenks.yb]


def test_score_rejects_bad_scheme_and_k(lsoas):
    with pytest.raises(ValueError, match="scheme"):
        web.add_choropleth(
            web.base_map(), lsoas, "imd_score", kind="score", label="s", scheme="Jenks??"
        )
    with pytest.raises(ValueError, match="k must"):
        web.add_choropleth(web.base_map(), lsoas, "imd_score", kind="score", label="s", k=12)


def test_score_other_sequential_palette(lsoas):
    layer = web.add_choropleth(
        web.base_map(), lsoas, "health_score", kind="score", label="Health", palette="PuRd"
    )
    assert set(_colours_by_id(layer)) <= set(branca.utilities.color_brewer("PuRd", 5))


# --------------------------------------------------------------------------------------------
# legends
# --------------------------------------------------------------------------------------------
def test_decile_legend_inside_map_html(lsoas):
    lsoas.loc["E01990001", "imd_decile"] = None
    m = web.base_map()
    layer = web.add_choropleth(m, lsoas, "imd_decile", label="IMD 2025: decile in England")
    web.finish(m)
    (legend,) = _legends(m)
    assert legend.layer is layer  # shown and hidden with its layer
    page = _js_text(_render(m))
    assert "IMD 2025: decile in England" in page
    labels = [
        "1 (most deprived 10%)",
        *map(str, range(2, 10)),
        "10 (least deprived 10%)",
        "No data",
    ]
    for label in labels:
        assert f"<span>{label}</span>" in page
    for colour in (*web.DECILE_COLOURS, web.NO_DATA_COLOUR):
        assert f"background:{colour}" in page
    # the legend is a Leaflet control created by the map script, not a separate element
    assert f"var {legend.get_name()} = L.control(" in page
    # it follows its layer in and out of the map (layer control, or a map update)
    assert 'layer.on("remove", function () { legend.remove(); });' in page
    assert f"({legend.get_name()}, {layer.get_name()});" in page


def test_legend_survives_streamlit_folium(lsoas):
    """st_folium sends each element's script, the header and the html: the legend must be
    in the script it sends (so it is redrawn with the map on every rerun)."""
    st_folium = pytest.importorskip("streamlit_folium")
    m = web.base_map()
    web.add_choropleth(m, lsoas, "imd_decile", label="Synthetic legend title")
    web.finish(m)
    m.get_root().render()
    header = st_folium._get_header(m)
    script = _js_text(st_folium.generate_leaflet_string(m))
    assert "Synthetic legend title" in script
    assert "1 (most deprived 10%)" in script
    assert ".spm-legend" in header  # its stylesheet too
    # the legend follows the layer variable st_folium gives the choropleth
    (layer_var,) = re.findall(r"var (\w+) = L\.geoJson", script)
    assert re.search(r"\}\)\(legend_\w+,\s*" + layer_var + r"\);", script)


def test_legend_position_checked(lsoas):
    with pytest.raises(ValueError, match="legend_position"):
        web.add_choropleth(web.base_map(), lsoas, "imd_decile", label="x", legend_position="middle")


def test_legend_html_escapes_and_validates():
    out = web.legend_html(IMG, ["#fff", "#00441b"], [SCRIPT, "A & B"], note=TEMPLATE)
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "A &amp; B" in out
    assert "&#36;{alert(1)}&#96;x&#96;&#92;" in out
    with pytest.raises(ValueError):
        web.legend_html("t", ["red;background:url(x)"], ["a"])
    with pytest.raises(ValueError):
        web.legend_html("t", ["#fff"], ["a", "b"])


# --------------------------------------------------------------------------------------------
# tooltips and escaping
# --------------------------------------------------------------------------------------------
def test_default_tooltip_fields_and_formatting(lsoas):
    lsoas.loc["E01990002", "imd_rank"] = 12345
    lsoas.loc["E01990002", "imd_score"] = 34.5678
    layer = web.add_choropleth(web.base_map(), lsoas, "imd_decile", label="IMD decile")
    tip = _tooltip(layer)
    assert tip.fields == ["t0", "t1", "t2", "t3", "t4"]
    assert tip.aliases == [
        "LSOA",
        "Borough",
        "Decile (1 = most deprived 10% in England)",
        "Rank in England (1 = most deprived)",
        "Score (higher = more deprived)",
    ]
    shown = _tooltip_values(layer, "E01990002")
    assert shown["LSOA"] == "Synthetic LSOA 002"
    assert shown["Borough"] == "Synthetic South"
    assert shown["Decile (1 = most deprived 10% in England)"] == "3"
    assert shown["Rank in England (1 = most deprived)"] == "12,345"
    assert shown["Score (higher = more deprived)"] == "34.6"


def test_custom_tooltip_fields_with_index_and_missing(lsoas):
    lsoas["income_score"] = lsoas["income_score"] / 100  # a rate: 3 decimals
    lsoas.loc["E01990004", "income_score"] = np.nan
    fields = {"lsoa_code": "Code", "income_score": "Income score"}
    layer = web.add_choropleth(
        web.base_map(), lsoas, "income_score", kind="score", label="Income", tooltip_fields=fields
    )
    assert _tooltip(layer).aliases == ["Code", "Income score"]
    shown = _tooltip_values(layer, "E01990004")
    assert shown == {"Code": "E01990004", "Income score": "No data"}
    value = _tooltip_values(layer, "E01990000")["Income score"]
    assert re.fullmatch(r"\d\.\d{3}", value)
    with pytest.raises(ValueError, match="Tooltip fields"):
        web.add_choropleth(
            web.base_map(), lsoas, "imd_decile", label="x", tooltip_fields={"nope": "N"}
        )


def test_choropleth_escapes_names_aliases_and_layer_name(lsoas):
    lsoas.loc["E01990000", "lsoa_name"] = SCRIPT
    lsoas.loc["E01990001", "borough_name"] = IMG
    lsoas.loc["E01990002", "lsoa_name"] = TEMPLATE
    m = web.base_map()
    layer = web.add_choropleth(
        m,
        lsoas,
        "imd_decile",
        label=f"Legend {SCRIPT}",
        name=f"Layer {IMG}",
        tooltip_fields={"lsoa_name": f"Alias {SCRIPT}", "borough_name": "Borough"},
    )
    web.finish(m)
    assert _tooltip_values(layer, "E01990000")["Alias &lt;script&gt;alert(1)&lt;/script&gt;"] == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert (
        _tooltip_values(layer, "E01990002")["Alias &lt;script&gt;alert(1)&lt;/script&gt;"]
        == "&#36;{alert(1)}&#96;x&#96;&#92;"
    )
    raw = _render(m)
    assert "alert(1)</script>" not in raw and "<img src=x" not in raw
    seen = _js_text(raw)  # what the browser's JavaScript receives
    assert "<script>alert(1)" not in seen
    assert "<img src=x" not in seen
    assert "${alert(1)}" not in seen
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen
    assert "&lt;img src=x onerror=alert(1)&gt;" in seen
    assert "Layer &lt;img src=x onerror=alert(1)&gt;" in seen  # layer control label


@pytest.mark.parametrize("cluster", [False, True])
def test_points_escaped(points, cluster):
    m = web.base_map()
    layer = web.add_points(
        m,
        points,
        name=f"Homes {SCRIPT}",
        tooltip_fields={"name": f"Name {IMG}", "units": "Units"},
        cluster=cluster,
    )
    web.finish(m)
    expected = folium.plugins.FastMarkerCluster if cluster else elements.CanvasPoints
    assert isinstance(layer, expected)
    raw = _render(m)
    assert "alert(1)</script>" not in raw and "<img src=x" not in raw
    seen = _js_text(raw)
    assert "<script>alert(1)" not in seen
    assert "<img src=x" not in seen
    assert "${alert(1)}" not in seen
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen
    assert "&lt;img src=x onerror=alert(1)&gt;" in seen
    assert "&#36;{alert(1)}&#96;x&#96;&#92;" in seen
    assert "Homes &lt;script&gt;alert(1)&lt;/script&gt;" in seen  # layer name
    if cluster:
        # escaped text travels as data rows; the callback is fixed code that reads them
        rows = layer.data
        assert len(rows) == 4  # the row without a location is skipped
        assert all(len(r) == 3 for r in rows)
        assert rows[1][2] == (
            '<table class="spm-tt"><tr><th>Name &lt;img src=x onerror=alert(1)&gt;</th>'
            "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr><tr><th>Units</th><td>3</td></tr></table>"
        )
        assert "alert" not in layer.callback
        assert "bindTooltip(row[2])" in layer.callback
    else:
        tips = _canvas_tooltips(layer)
        assert len(tips) == 4  # the row without a location is skipped
        assert list(tips[1]) == ["Name &lt;img src=x onerror=alert(1)&gt;", "Units"]
        assert list(tips[1].values()) == ["&lt;script&gt;alert(1)&lt;/script&gt;", "3"]
        assert tips[2]["Units"] == "No data"


def test_boroughs_escaped(boroughs):
    boroughs.loc["E09990002", "borough_name"] = SCRIPT
    m = web.base_map()
    web.add_boroughs(m, boroughs)
    raw = _render(m)
    seen = _js_text(raw)
    assert "<script>alert(1)" not in seen
    assert "<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>" in seen  # label
    assert '"n": "&lt;script&gt;alert(1)&lt;/script&gt;"' in seen  # tooltip property


def test_fmt_helper():
    assert webformat.fmt(None) == web.NO_DATA_LABEL
    assert webformat.fmt(float("nan")) == web.NO_DATA_LABEL
    assert webformat.fmt(pd.NA) == web.NO_DATA_LABEL
    assert webformat.fmt(np.int64(1234567)) == "1,234,567"
    assert webformat.fmt(0.123456) == "0.123"
    assert webformat.fmt(34.56) == "34.6"
    assert webformat.fmt(3.14159, 1) == "3.1"
    assert webformat.fmt(1234.5, 0) == "1,234"  # round half to even
    assert webformat.fmt(True) == "Yes"
    assert webformat.fmt("a'b\"c") == "a&#x27;b&quot;c"


# --------------------------------------------------------------------------------------------
# boroughs
# --------------------------------------------------------------------------------------------
def test_borough_outlines_labels_and_pane(boroughs):
    m = web.base_map()
    group = web.add_boroughs(m, boroughs, highlight=["Synthetic North"])
    assert group.layer_name == "Boroughs"
    (outline,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    assert outline.control is False
    # drawn in its own SVG pane above the canvas overlays (z 400), below markers (600)
    (pane,) = _of_type(m, folium.map.CustomPane)
    assert 400 < pane.z_index < 600
    assert pane.pointer_events is False
    assert outline.options["pane"] == pane.name
    assert "L.svg(" in str(outline.options["renderer"])
    style = str(outline.options["style"])
    assert "fill: false" in style
    props = {f["id"]: f["properties"] for f in outline.data["features"]}
    assert props == {
        "E09990001": {"n": "Synthetic South", "h": 0},
        "E09990002": {"n": "Synthetic North", "h": 1},
    }
    assert _tooltip(outline).fields == ["n"]
    labels = [c for c in group._children.values() if isinstance(c, folium.Marker)]
    assert len(labels) == 2
    for marker, (code, row) in zip(labels, boroughs.iterrows(), strict=True):
        assert row.geometry.contains(Point(marker.location[1], marker.location[0]))
        assert marker.options["interactive"] is False
        assert marker.options["pane"] == pane.name
        assert row["borough_name"] in marker.icon.options["html"]
        assert ("spm-hl" in marker.icon.options["class_name"]) == (code == "E09990002")
    page = _render(m)
    assert "spm-borough-label" in page
    assert "createPane" in page


def test_boroughs_above_choropleth_whatever_the_order(lsoas, boroughs):
    m = web.base_map()
    web.add_boroughs(m, boroughs, labels=False)
    web.add_choropleth(m, lsoas, "imd_decile", label="IMD decile")
    (pane,) = _of_type(m, folium.map.CustomPane)
    choropleth = [g for g in _of_type(m, folium.GeoJson) if g.layer_name == "Deprivation"][0]
    assert "pane" not in choropleth.options  # overlayPane, z-index 400 < borough pane
    assert pane.z_index > 400
    assert not [c for c in _walk(m) if isinstance(c, folium.Marker)]


def test_borough_highlight_by_code_and_unknown(boroughs):
    group = web.add_boroughs(web.base_map(), boroughs, highlight=["E09990001"])
    (outline,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    assert [f["properties"]["h"] for f in outline.data["features"]] == [1, 0]
    with pytest.raises(ValueError, match="Unknown"):
        web.add_boroughs(web.base_map(), boroughs, highlight=["Synthetic Nowhere"])


def test_boroughs_without_crs_are_taken_as_lon_lat(boroughs):
    group = web.add_boroughs(web.base_map(), boroughs.set_crs(None, allow_override=True))
    labels = [c for c in group._children.values() if isinstance(c, folium.Marker)]
    assert boroughs.geometry.iloc[0].contains(Point(labels[0].location[1], labels[0].location[0]))


def test_borough_pane_added_once(boroughs):
    m = web.base_map()
    web.add_boroughs(m, boroughs)
    web.add_boroughs(m, boroughs, labels=False)
    assert len(_of_type(m, folium.map.CustomPane)) == 1


# --------------------------------------------------------------------------------------------
# payload
# --------------------------------------------------------------------------------------------
def test_choropleth_payload_only_needed_properties(lsoas):
    lsoas["lsoa_name"] = lsoas["lsoa_name"] + " extra"
    m = web.base_map()
    layer = web.add_choropleth(m, lsoas, "imd_decile", label="IMD decile")
    assert layer.embed is True
    assert layer.zoom_on_click is False
    assert layer.style is False and layer.highlight is False  # no per-feature style switch
    for feature in layer.data["features"]:
        assert set(feature) == {"type", "id", "properties", "geometry"}
        assert set(feature["properties"]) == {"c", "t0", "t1", "t2", "t3", "t4"}
        assert all(isinstance(v, str) for v in feature["properties"].values())
    page = _render(m)
    assert 'case "E0199' not in page  # folium's style_function switch is not used
    assert "population" not in page and "msoa_code" not in page
    assert "housing_score" not in page


def test_coordinates_rounded_and_reprojected(lsoas):
    lsoas = lsoas.to_crs(27700)  # any CRS in, lon/lat out
    layer = web.add_choropleth(web.base_map(), lsoas, "imd_decile", label="IMD decile")
    coords = np.array(layer.data["features"][0]["geometry"]["coordinates"][0])
    assert np.allclose(coords[:, 0], np.round(coords[:, 0], 5))
    assert coords[:, 0].min() == pytest.approx(-0.16, abs=1e-4)
    assert coords[:, 1].min() == pytest.approx(51.48, abs=1e-4)


def test_empty_and_missing_geometries_are_dropped(lsoas):
    lsoas.loc["E01990000", "geometry"] = None
    layer = web.add_choropleth(web.base_map(), lsoas, "imd_decile", label="IMD decile")
    assert len(layer.data["features"]) == len(lsoas) - 1


# --------------------------------------------------------------------------------------------
# points and themes
# --------------------------------------------------------------------------------------------
def _many_points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    xs = rng.uniform(-0.3, 0.1, n)
    ys = rng.uniform(51.4, 51.6, n)
    return gpd.GeoDataFrame(
        {"name": [f"Synthetic point {i}" for i in range(n)]},
        geometry=gpd.points_from_xy(xs, ys),
        crs=4326,
    )


def test_points_on_canvas_by_default_clustered_on_request():
    many = _many_points(8000)
    m = web.base_map()
    layer = web.add_points(m, many, name="P", tooltip_fields={"name": "N"})
    assert isinstance(layer, elements.CanvasPoints)
    assert m.options["prefer_canvas"] is True  # circle markers go to the map's canvas
    ll = np.asarray(layer.spec["ll"]).reshape(-1, 2) / layer.spec["scale"]
    assert ll.shape == (8000, 2)
    np.testing.assert_allclose(ll[:, 0], many.geometry.y, atol=1e-5)
    np.testing.assert_allclose(ll[:, 1], many.geometry.x, atol=1e-5)
    tips = _canvas_tooltips(layer)
    assert tips[7999] == {"N": "Synthetic point 7999"}
    page = _render(m)
    assert "spm.points(" in page and "L.marker(" not in page  # no DOM icon per point
    assert len(page) < 8000 * 60  # about 40 bytes a point (coordinates and name)
    clustered = web.add_points(
        web.base_map(), many[:600], name="P", tooltip_fields={"name": "N"}, cluster=True
    )
    assert isinstance(clustered, folium.plugins.FastMarkerCluster)
    assert len(clustered.data) == 600


def test_points_colour_limits_and_types(points):
    m = web.base_map()
    layer = web.add_points(m, points, name="P", tooltip_fields={"name": "N"}, colour="#D55E00")
    assert layer.spec["color"] == "#d55e00"
    with pytest.raises(ValueError):
        web.add_points(m, points, name="P", tooltip_fields={"name": "N"}, colour="red")
    with pytest.raises(ValueError, match="max_points"):
        web.add_points(m, _many_points(30), name="P", tooltip_fields={"name": "N"}, max_points=20)
    lines = gpd.GeoDataFrame(
        {"name": ["l"]}, geometry=[LineString([(0, 51), (0.1, 51.1)])], crs=4326
    )
    with pytest.raises(ValueError, match="non-point"):
        web.add_points(m, lines, name="P", tooltip_fields={"name": "N"})


def test_points_reprojected_and_empty(points):
    m = web.base_map()
    layer = web.add_points(m, points.to_crs(27700), name="P", tooltip_fields={"name": "N"})
    lat, lon = (v / layer.spec["scale"] for v in layer.spec["ll"][:2])
    assert (lon, lat) == pytest.approx((-0.15, 51.485), abs=1e-5)
    empty = web.add_points(m, points.iloc[0:0], name="None yet", tooltip_fields={"name": "N"})
    assert isinstance(empty, folium.FeatureGroup)
    assert "None yet" in _layer_names(m)


def test_services_one_group_per_theme(points):
    m = web.base_map()
    layers = web.add_services_by_theme(m, points)
    assert list(layers) == ["Arts", "Food", "Unclassified"]
    colours = []
    for i, (theme, layer) in enumerate(layers.items()):
        colour = web.THEME_COLOURS[i]
        colours.append(colour)
        assert layer.layer_name.endswith(f" {theme}")
        assert f"color:{colour.lower()}" in layer.layer_name
        assert layer.spec["color"] == colour.lower()
        assert [f["a"] for f in layer.spec["fields"]] == ["Service", "Theme"]
    assert len(set(colours)) == 3
    web.finish(m)
    assert len(_layer_names(m)) == 3


def test_services_theme_names_escaped(points):
    points["theme"] = [SCRIPT, "Food", "Food", "Food", "Food"]
    m = web.base_map()
    web.add_services_by_theme(m, points)
    web.finish(m)
    seen = _js_text(_render(m))
    assert "<script>alert(1)" not in seen
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen


def test_services_need_theme_column(points):
    with pytest.raises(ValueError):
        web.add_services_by_theme(web.base_map(), points.drop(columns="theme"))


# --------------------------------------------------------------------------------------------
# bivariate
# --------------------------------------------------------------------------------------------
_BIV_COLOURS = {
    f"{need}-{access}": colour
    for (need, access), colour in zip(
        [(n, a) for n in (1, 2, 3) for a in (1, 2, 3)],
        [
            "#e8e8e8",
            "#ace4e4",
            "#5ac8c8",
            "#dfb0d6",
            "#a5add3",
            "#5698b9",
            "#be64ac",
            "#8c62aa",
            "#3b4994",
        ],
        strict=True,
    )
}
_BIV_LABELS = {key: f"Synthetic class {key}" for key in _BIV_COLOURS}
_BIV_LABELS["3-1"] = "Higher need, lower access"


def test_bivariate_colours_tooltip_and_grid_legend(lsoas):
    classes = ["3-1", "1-3", "2-2", "1-1", None] * 4
    lsoas["gap"] = classes
    m = web.base_map()
    layer = web.add_bivariate(m, lsoas, "gap", _BIV_COLOURS, _BIV_LABELS)
    colours = _colours_by_id(layer)
    for code, cls in zip(lsoas.index, classes, strict=True):
        assert colours[code] == (web.NO_DATA_COLOUR if cls is None else _BIV_COLOURS[cls])
    shown = _tooltip_values(layer, "E01990000")
    assert shown["Gap (need x access)"] == "Higher need, lower access"
    assert shown["LSOA"] == "Synthetic LSOA 000"
    assert _tooltip_values(layer, "E01990004")["Gap (need x access)"] == "No data"
    (legend,) = _legends(m)
    cells = re.findall(r'<td style="background:(#[0-9a-f]{6})"', legend.html)
    # top row = highest need, left column = lowest access
    grid = [f"{n}-{a}" for n in (3, 2, 1) for a in (1, 2, 3)]
    assert cells == [_BIV_COLOURS[k] for k in grid]
    assert legend.html.count("<tr>") == 3
    page = _js_text(_render(m))
    assert "Higher need, lower access" in page
    assert "Need &rarr;" in page and "Access &rarr;" in page
    assert "No data" in page


def test_bivariate_explicit_grid_and_errors(lsoas):
    letters = {
        f"{r}{c}": col
        for (r, c), col in zip(
            [(r, c) for r in "ABC" for c in "123"], _BIV_COLOURS.values(), strict=True
        )
    }
    lsoas["gap"] = "A1"
    with pytest.raises(ValueError, match="grid"):
        web.add_bivariate(web.base_map(), lsoas, "gap", letters, {})
    grid = [["C1", "C2", "C3"], ["B1", "B2", "B3"], ["A1", "A2", "A3"]]
    layer = web.add_bivariate(web.base_map(), lsoas, "gap", letters, {}, grid=grid)
    assert set(_colours_by_id(layer)) == {letters["A1"]}
    lsoas["gap"] = "9-9"
    with pytest.raises(ValueError, match="without a colour"):
        web.add_bivariate(web.base_map(), lsoas, "gap", _BIV_COLOURS, _BIV_LABELS)


def test_bivariate_with_gap_module_palette(lsoas):
    gap = pytest.importorskip("geo.analysis.gap")
    lsoas["gap"] = list(gap.BIVARIATE_COLOURS)[: len(lsoas)] + [None] * (len(lsoas) - 9)
    m = web.base_map()
    web.add_bivariate(m, lsoas, "gap", gap.BIVARIATE_COLOURS, gap.BIVARIATE_LABELS)
    (legend,) = _legends(m)
    assert legend.html.count("<td ") == 9


# --------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------
WEB_LSOA = ROOT / "data" / "web" / "lsoa_2021.parquet"


@pytest.mark.skipif(
    not WEB_LSOA.is_file(), reason="processed web layer data/web/lsoa_2021.parquet not built"
)
def test_real_london_layer():
    from geo.data.io import load_boroughs, load_lsoas

    lsoas = load_lsoas("iod2025", web=True)
    boroughs = load_boroughs("iod2025", web=True)
    m = web.base_map(lsoas.total_bounds)
    web.add_choropleth(m, lsoas, "imd_decile", label="IMD 2025 decile")
    web.add_boroughs(m, boroughs, highlight=["E09000030"])
    web.finish(m)
    (layer,) = [g for g in _of_type(m, folium.GeoJson) if g.layer_name == "Deprivation"]
    assert len(layer.data["features"]) == len(lsoas)
    colours = _colours_by_id(layer)
    expected = lsoas["imd_decile"].map(lambda d: web.DECILE_COLOURS[int(d) - 1])
    pd.testing.assert_series_equal(colours.sort_index(), expected.sort_index(), check_names=False)
    labels = [e for e in _walk(m) if isinstance(e, folium.Marker)]
    assert len(labels) == len(boroughs) == 33
    page = _render(m)
    assert len(page.encode()) < 6 * 1024 * 1024  # simplified layer keeps the page small
    features = json.loads(json.dumps(layer.data))["features"]
    assert {k for f in features for k in f["properties"]} == {"c", "t0", "t1", "t2", "t3", "t4"}


# --------------------------------------------------------------------------------------------
# static geometry (geo.web.staticgeom) and map updates
# --------------------------------------------------------------------------------------------
def _static_colours(layer, web_layer) -> pd.Series:
    """Fill colour per code of a static-geometry polygon layer (NaN where not shown)."""
    cls = layer.spec["cls"]
    idx = [-1 if c == "-" else ord(c) - 48 for c in cls] if isinstance(cls, str) else list(cls)
    pal = layer.spec["palette"]
    return pd.Series([pal[i] if i >= 0 else np.nan for i in idx], index=list(web_layer.codes))


def _static_tooltip(layer, web_layer, code: str) -> dict[str, str]:
    """Alias -> value of one area's tooltip, decoded as static/spm/spm_map.js does."""
    from geo.web import staticgeom

    doc = staticgeom.read(staticgeom.STATIC_DIR / web_layer.url.rsplit("/", 1)[1])
    position = web_layer.codes.index(code)
    cls = layer.spec["cls"]
    shown = [i for i, c in enumerate(cls) if (c != "-" if isinstance(cls, str) else c >= 0)]
    row = shown.index(position)
    return {f["a"]: _field_value(f, row, doc["columns"], position) for f in layer.spec["fields"]}


@pytest.fixture(scope="module")
def london():
    from geo.data import io
    from geo.web import staticgeom

    return (
        io.load_lsoas("iod2025", web=True),
        io.load_boroughs("iod2025", web=True),
        staticgeom.web_layer("lsoa", "iod2025"),
        staticgeom.web_layer("boroughs", "iod2025"),
    )


def test_static_choropleth_colours_every_neighbourhood(london):
    lsoas, boroughs, shapes, shapes_b = london
    m = web.base_map()
    layer = web.add_choropleth(
        m, lsoas, "imd_decile", label="IMD 2025 decile", name="Deprivation", geometry=shapes
    )
    assert isinstance(layer, elements.StaticPolygons)
    assert layer.spec["url"] == shapes.url == "/app/static/geo/lsoa_2021.json.gz"
    colours = _static_colours(layer, shapes)
    assert colours.notna().all()  # every neighbourhood coloured
    expected = lsoas["imd_decile"].map(lambda d: web.DECILE_COLOURS[int(d) - 1])
    pd.testing.assert_series_equal(
        colours.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )
    (legend,) = _legends(m)
    assert legend.layer is layer
    page = _render(m)
    assert "spm.polygons(" in page and web.SPM_JS in page
    assert "E01000001" not in page  # no codes, names or geometry in the page: only classes
    assert "City of London 001A" not in page
    assert len(page.encode()) < 200 * 1024


def test_static_choropleth_filtered_and_tooltips(london):
    lsoas, _, shapes, _ = london
    shown = lsoas[lsoas["borough_code"] == "E09000030"]
    m = web.base_map()
    fields = {"lsoa_name": "Neighbourhood", "borough_name": "Borough", "health_rank": "Rank"}
    layer = web.add_choropleth(
        m, shown, "health_decile", label="Health", tooltip_fields=fields, geometry=shapes
    )
    colours = _static_colours(layer, shapes)
    assert set(colours.dropna().index) == set(shown.index)  # the rest is not drawn
    code = shown.index[0]
    tip = _static_tooltip(layer, shapes, code)
    assert tip == {
        "Neighbourhood": shown.loc[code, "lsoa_name"],
        "Borough": "Tower Hamlets",
        "Rank": f"{int(shown.loc[code, 'health_rank']):,}",
    }
    # names come from the static file, not with the map
    assert [f.get("s") for f in layer.spec["fields"]] == ["lsoa_name", "borough_name", None]


def test_static_choropleth_escapes_uploaded_text(london):
    lsoas, _, shapes, _ = london
    frame = lsoas.assign(
        note=[SCRIPT, IMG, TEMPLATE] * (len(lsoas) // 3) + [SCRIPT] * (len(lsoas) % 3)
    )
    m = web.base_map()
    layer = web.add_choropleth(
        m,
        frame,
        "imd_decile",
        label=f"Legend {SCRIPT}",
        tooltip_fields={"lsoa_name": f"Name {IMG}", "note": "Note"},
        name=f"Layer {IMG}",
        geometry=shapes,
    )
    web.finish(m)
    tip = _static_tooltip(layer, shapes, lsoas.index[0])
    assert tip["Note"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "Name &lt;img src=x onerror=alert(1)&gt;" in tip
    raw = _render(m)
    seen = _js_text(raw)
    assert "<script>alert(1)" not in seen and "<img src=x" not in seen
    assert "${alert(1)}" not in seen
    assert "&#36;{alert(1)}&#96;x&#96;&#92;" in seen
    assert "Layer &lt;img src=x onerror=alert(1)&gt;" in seen


def test_static_choropleth_rejects_unknown_codes(lsoas):
    from geo.web import staticgeom

    with pytest.raises(ValueError, match="python -m geo web"):
        web.add_choropleth(
            web.base_map(),
            lsoas,
            "imd_decile",
            label="x",
            geometry=staticgeom.web_layer("lsoa", "iod2025"),
        )


def test_static_boroughs_on_top_with_labels_and_highlight(london):
    lsoas, boroughs, shapes, shapes_b = london
    m = web.base_map()
    web.add_choropleth(m, lsoas, "imd_decile", label="x", geometry=shapes)
    near = boroughs.loc[["E09000030", "E09000012", "E09000001"]]
    group = web.add_boroughs(m, near, highlight=["E09000030"], geometry=shapes_b)
    (outlines,) = [c for c in group._children.values() if isinstance(c, elements.StaticOutlines)]
    spec = outlines.spec
    assert spec["pane"] == "spm-boroughs" and spec["labels"]
    by_code = dict(zip(shapes_b.codes, spec["cls"], strict=True))
    assert by_code["E09000030"] == "1" and by_code["E09000012"] == "0"
    assert sum(c != "-" for c in spec["cls"]) == 3
    (pane,) = [c for c in m._children.values() if isinstance(c, folium.map.CustomPane)]
    assert pane.name == "spm-boroughs" and int(pane.z_index) > 400  # above the overlay pane
    html_page = _render(m)
    assert "spm.outlines(" in html_page


def test_split_for_update_base_does_not_depend_on_selection(london):
    st_folium = pytest.importorskip("streamlit_folium")
    lsoas, boroughs, shapes, shapes_b = london

    def build(column, codes):
        shown = lsoas[lsoas["borough_code"].isin(codes)] if codes else lsoas
        bounds = boroughs.loc[codes].total_bounds if codes else None
        m = web.base_map(bounds)
        web.add_choropleth(m, shown, column, label=column, geometry=shapes)
        web.add_boroughs(m, boroughs, highlight=codes, geometry=shapes_b)
        return web.finish(m)

    scripts, groups = [], []
    for column, codes in (("imd_decile", []), ("health_decile", []), ("imd_decile", ["E09000030"])):
        base, grps, control, bounds = web.split_for_update(build(column, codes))
        assert control is not None and bounds is not None
        base.get_root().render()
        script = st_folium._get_map_string(base)
        scripts.append(st_folium.generate_js_hash(script, "k", False))
        assert len(script.encode()) < 10 * 1024  # no data in the base script
        assert not any(
            isinstance(c, folium.map.Layer) and not isinstance(c, folium.TileLayer)
            for c in base._children.values()
        )
        # the layers (and their legend and view) travel as the update
        assert [g.layer_name for g in grps] == ["Deprivation", "Boroughs"]
        kinds = {type(c).__name__ for c in grps[0]._children.values()}
        assert {"StaticPolygons", "Legend", "FitOnce"} <= kinds
        groups.append(
            "".join(st_folium._get_feature_group_string(g, base, i) for i, g in enumerate(grps))
        )
    assert len(set(scripts)) == 1  # streamlit-folium keeps the frame: geometry stays loaded
    assert len(set(groups)) == 3
    assert all(len(g.encode()) < 250 * 1024 for g in groups)  # classes and tooltips only
    assert "fitBounds" not in groups[0] and "spm.fit(" in groups[0]


def test_split_for_update_keeps_hidden_layers_hidden(points, lsoas):
    m = web.base_map()
    web.add_choropleth(m, lsoas, "imd_decile", label="x")
    layers = web.add_services_by_theme(m, points, show=False)
    base, groups, control, _ = web.split_for_update(web.finish(m))
    assert len(groups) == 1 + len(layers)
    flags = {
        g.layer_name: c.show
        for g in groups
        for c in g._children.values()
        if isinstance(c, elements.Visibility)
    }
    # every layer in the control says whether it starts on (the user's choice can override)
    assert flags == {g.layer_name: g.show for g in groups if g.control}
    hidden = [g for g in groups if flags.get(g.layer_name) is False]
    assert [g.layer_name for g in hidden] == [layer.layer_name for layer in layers.values()]
    # the view is fitted by the shown layer's group, not by one that takes itself off the map
    assert any(isinstance(c, elements.FitOnce) for c in groups[0]._children.values())
    assert not any(isinstance(c, elements.FitOnce) for g in hidden for c in g._children.values())
    st_folium = pytest.importorskip("streamlit_folium")
    base.get_root().render()
    update = st_folium._get_feature_group_string(groups[1], base, 1)
    call = re.search(r"spm\.visibility\((\w+), (.*),\s+(true|false)\);", update)
    assert call is not None, update
    assert call[1] == groups[1].get_name() and call[3] == "false"
    assert json.loads(call[2]) == groups[1].layer_name  # a JSON string, not code
    # spm.visibility is defined in the bundle the base map loads first
    assert web.SPM_BUNDLE_JS in base.get_root().render()


def test_split_map_loads_one_bundle_first(london, monkeypatch):
    """The frame of a split map loads one script before drawing: the bundle of spm_map.js,
    Leaflet's style sheet and Leaflet (geo/web/jsbundle.py), which names the shown layers'
    geometry files to prefetch; no separate Leaflet or spm_map.js link is left (what
    streamlit-folium would load, captured from its component call)."""
    st_folium = pytest.importorskip("streamlit_folium")
    from geo.web import jsbundle

    lsoas, boroughs, shapes, shapes_b = london
    m = web.base_map(boroughs.loc[["E09000030"]].total_bounds)
    web.add_choropleth(m, lsoas, "imd_decile", label="IMD", geometry=shapes)
    web.add_boroughs(m, boroughs, highlight=["E09000030"], geometry=shapes_b)
    base, groups, control, _ = web.split_for_update(web.finish(m))
    sent = {}
    monkeypatch.setattr(st_folium, "_component_func", lambda **kw: sent.update(kw))
    st_folium.st_folium(
        base, feature_group_to_add=groups, layer_control=control, returned_objects=[], key="t"
    )
    first, *others = sent["js_links"]
    path, _, query = first.partition("?prefetch=")
    assert path == web.SPM_BUNDLE_JS
    assert query.split(",") == [shapes.url, shapes_b.url]
    assert (jsbundle.SPM_DIR / jsbundle.BUNDLE_NAME).is_file()
    links = [*others, *sent["css_links"]]
    assert not [u for u in links if u.endswith(("leaflet.js", "leaflet.css", "spm_map.js"))]
    assert "spm.polygons(" in "".join(sent["feature_group"] or "")


def test_publish_points_moves_large_embedded_layers_into_a_file(points):
    """A large embedded point layer (an upload) is sent once as a file: the update names the
    file's URL instead of carrying the points; the file holds the same positions and the same
    escaped tooltip texts. Small layers and unpublished ones stay as they were."""
    import gzip

    many = gpd.GeoDataFrame(  # SYNTHETIC: 600 points on a line, names with HTML in them
        {"name": [f"Synthetic {i} <b>x</b>" for i in range(600)], "theme": ["Food"] * 600},
        geometry=[Point(-0.2 + i * 1e-4, 51.5) for i in range(600)],
        crs=4326,
    )
    fields = {"name": "Name", "theme": "Theme"}
    m = web.base_map()
    big = web.add_points(m, many, name="Big", tooltip_fields=fields, cluster=False)
    small = web.add_points(m, points, name="Small", tooltip_fields={"name": "Name"}, cluster=False)
    before_big, before_small = big.spec, small.spec
    base, groups, _, _ = web.split_for_update(web.finish(m))
    files: list[bytes] = []

    def publish(data: bytes) -> str:
        files.append(data)
        return f"/media/file{len(files)}.bin"

    assert web.publish_points(groups, publish) == 1
    assert small.spec == before_small  # 4 points: cheaper inline
    spec = big.spec
    assert spec["url"] == "/media/file1.bin" and "ll" not in spec
    assert spec["id"] == before_big["id"]  # the browser re-uses the markers it made
    assert [f["a"] for f in spec["fields"]] == ["Name", "Theme"]
    doc = json.loads(gzip.decompress(files[0]))
    assert doc["format"] == "spm-webpoints/1" and doc["ll"] == before_big["ll"]
    name_col, theme_col = (doc["columns"][f["s"]] for f in spec["fields"])
    assert name_col[5] == "Synthetic 5 &lt;b&gt;x&lt;/b&gt;"  # escaped, as inline
    assert theme_col == ["Food"] * 600  # a dictionary-encoded field, expanded
    # the same layer again: the same bytes (cached), and None keeps a layer inline
    m2 = web.base_map()
    again = web.add_points(m2, many, name="Big", tooltip_fields=fields, cluster=False)
    _, groups2, _, _ = web.split_for_update(web.finish(m2))
    assert web.publish_points(groups2, lambda data: None) == 0 and "ll" in again.spec
    assert web.points_file(before_big) == files[0]
    st_folium = pytest.importorskip("streamlit_folium")
    base.get_root().render()
    update = "".join(st_folium._get_feature_group_string(g, base, i) for i, g in enumerate(groups))
    assert "/media/file1.bin" in update and "Synthetic 5" not in update


# --------------------------------------------------------------------------------------------
# accessibility: zoom, the gap grid in words, the biggest gaps not by colour alone
# --------------------------------------------------------------------------------------------
def test_map_page_lets_users_zoom():
    """folium's template forbids zooming the page (WCAG 1.4.4); the base map's does not, and
    keeps everything else folium writes in its header."""
    m = web.base_map()
    assert isinstance(m, folium.Map)
    page = _render(m)
    assert "user-scalable" not in page and "maximum-scale" not in page
    plain = folium.Map(location=[51.5, -0.1], zoom_start=10, tiles=None)
    plain_header = plain.get_root().render()
    assert "user-scalable=no" in plain_header  # what folium itself would send
    assert f"#{m.get_name()} {{" in page and ".leaflet-container" in page
    assert "L_NO_TOUCH" in page


def test_bivariate_biggest_gaps_outlined_and_grid_described(lsoas):
    classes = ["3-1", "1-3", "2-2", "3-2", None] * 4
    lsoas["gap"] = classes
    m = web.base_map()
    layer = web.add_bivariate(m, lsoas, "gap", _BIV_COLOURS, _BIV_LABELS)
    strong = {f["id"]: f["properties"]["s"] for f in layer.data["features"]}
    for code, cls in zip(lsoas.index, classes, strict=True):
        assert strong[code] == (1 if cls == "3-1" else 0)
    (legend,) = _legends(m)
    label = re.search(r'role="img" aria-label="([^"]*)"', legend.html).group(1)
    for key in _BIV_COLOURS:  # every class of the grid named in the words
        assert html.escape(_BIV_LABELS[key], quote=True) in label
    assert "outlined in black" in label
    assert legend.html.count('class="spm-strong"') == 1  # the top-left cell
    assert "Higher need, lower access (outlined)" in legend.html
    # without the option nothing is outlined
    m2 = web.base_map()
    plain = web.add_bivariate(m2, lsoas, "gap", _BIV_COLOURS, _BIV_LABELS, outline_top_left=False)
    assert all("s" not in f["properties"] for f in plain.data["features"])


def test_static_bivariate_sends_the_outlined_class(london):
    lsoas, _, shapes, _ = london
    gap = pytest.importorskip("geo.analysis.gap")
    frame = lsoas.assign(gap=[list(gap.BIVARIATE_COLOURS)[i % 9] for i in range(len(lsoas))])
    layer = web.add_bivariate(
        web.base_map(),
        frame,
        "gap",
        gap.BIVARIATE_COLOURS,
        gap.BIVARIATE_LABELS,
        geometry=shapes,
    )
    spec = layer.spec
    assert [spec["palette"][i] for i in spec["strong"]] == [gap.BIVARIATE_COLOURS["3-1"]]
    assert spec["strong_line"]["color"] == "#000000"
