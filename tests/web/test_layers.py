"""Map layers of the bundled data (geo.web.layers), on synthetic points: names, legends, escaping."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo import web
from geo.web import elements, layers

CATS = {
    "gp_practice": {
        "label": "GP practices",
        "source": "NHS England",
        "vintage": "December 2025",
        "vintage_year": 2025,
    },
    "jobcentre": {"label": "Jobcentre Plus", "vintage": "2016", "vintage_year": 2016},
}
SCRIPT = "<script>alert(1)</script>"


def _synthetic_places() -> gpd.GeoDataFrame:
    """Three synthetic places in central London (EPSG:27700)."""
    return gpd.GeoDataFrame(
        {
            "name": ["Synthetic GP", SCRIPT, "Synthetic GP 2"],
            "category": ["gp_practice", "jobcentre", "gp_practice"],
            "category_label": ["GP practices", "Jobcentre Plus", "GP practices"],
            "source_label": ["NHS England, December 2025", "DWP, 2016 (old data)", "x"],
            "pcn_name": ["Synthetic PCN", None, "Synthetic PCN 2"],
            "pcn_lw_per_10k": [0.42, np.nan, np.nan],
            "pcn_lw_fte": [2.5, np.nan, np.nan],
            "registered_patients": [10_000.0, np.nan, 5_000.0],
        },
        geometry=[Point(530000, 180000), Point(531000, 181000), Point(532000, 180500)],
        crs=27700,
    )


def test_category_layers_name_source_vintage_and_old_data():
    m = web.base_map()
    got = layers.add_category_layers(m, _synthetic_places(), CATS, today_year=2026)
    assert set(got) == {"gp_practice", "jobcentre"}
    assert "GP practices (NHS England, December 2025)" in got["gp_practice"].layer_name
    assert "Jobcentre Plus (DWP, 2016; old data)" in got["jobcentre"].layer_name
    html = m.get_root().render()
    assert SCRIPT not in html and "lt;script" in html
    assert "0.42 FTE per 10,000 patients (PCN total 2.5 FTE)" in html  # GP hover text
    assert not got["jobcentre"].show  # off until switched on


def test_link_worker_layer_classes_and_unknown():
    m = web.base_map()
    group = layers.add_link_worker_layer(m, _synthetic_places().iloc[[0, 2]], show=True)
    html = m.get_root().render()
    assert layers.LW_NO_RECORD in html  # the practice of a PCN without a record
    assert "0.25 to 0.50" in html  # the 0.42 practice's class
    assert "no PCN workforce record: unknown, not zero" in html
    import folium

    # one circle-marker layer per class present (drawn on the canvas by geo.web.web.add_points)
    kids = [c for c in group._children.values() if isinstance(c, folium.map.Layer)]
    assert len(kids) == 2


def test_ha_points_legend_and_missing_columns():
    lsoas = gpd.GeoDataFrame(
        {
            "lsoa_name": [f"Synthetic {i}" for i in range(10)],
            "borough_name": "Synthetic",
            "ha_households": np.arange(10) * 10.0,
            "ha_share": np.linspace(0, 0.5, 10),
        },
        geometry=[Point(530000 + 100 * i, 180000).buffer(40) for i in range(10)],
        crs=27700,
    )
    m = web.base_map()
    assert layers.add_ha_points(m, lsoas) is not None
    html = m.get_root().render()
    assert "Housing association households, % of households (Census 2021)" in html
    assert layers.add_ha_points(web.base_map(), lsoas.drop(columns="ha_share")) is None
    assert layers.lw_text(pd.DataFrame({"pcn_lw_per_10k": [np.nan], "pcn_lw_fte": [np.nan]}))[
        0
    ].startswith("no PCN workforce record")


def test_ha_share_choropleth_uses_the_static_geometry():
    """The housing association share as the main map: shapes from the static LSOA file."""
    from geo.data import io
    from geo.web import staticgeom

    lsoas = io.load_lsoas("iod2025", web=True)
    assert {"ha_households", "ha_share"} <= set(lsoas.columns)
    shown = lsoas[lsoas["borough_code"].eq("E09000030").to_numpy()]
    shapes = staticgeom.web_layer("lsoa", "iod2025")
    m = web.base_map()
    layer = layers.add_ha_layer(m, shown, show=True, geometry=shapes)
    assert isinstance(layer, elements.StaticPolygons)
    spec = layer.spec
    assert spec["url"] == shapes.url
    drawn = [i for i, c in enumerate(spec["cls"]) if c != "-"]
    assert sorted(shapes.codes[i] for i in drawn) == sorted(shown.index)  # only the shown areas
    # names come from the file; the households and the share travel with the map
    assert [f.get("s") for f in spec["fields"]][:2] == ["lsoa_name", "borough_name"]
    page = m.get_root().render()
    assert "Housing association households, % of households (Census 2021)" in page
    assert shown["lsoa_name"].iloc[0] not in page  # no names or shapes embedded
    assert '"type": "Polygon"' not in page and '"type":"Polygon"' not in page


def test_ha_percent_is_one_decimal_percent_and_keeps_missing():
    frame = pd.DataFrame({"ha_share": [0.3591, None, 0.05]}, index=["a", "b", "c"])  # SYNTHETIC
    got = layers.ha_percent(frame)
    assert list(got.index) == ["a", "b", "c"]
    assert got["a"] == 35.9 and got["c"] == 5.0 and pd.isna(got["b"])
