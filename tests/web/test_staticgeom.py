"""The static map geometry files (geo.web.staticgeom): committed files match the code, lossless."""

from __future__ import annotations

import gzip
import html
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.data import io
from geo.data.indicators import VINTAGES
from geo.web import staticgeom

FILES = [(layer, vintage) for vintage in VINTAGES for layer in staticgeom.LAYERS]


def _decode(doc: dict) -> list[shapely.Geometry]:
    """Shapes of a webgeom document, decoded as spm_map.js does (delta integers / scale)."""
    shapes = []
    for polys in doc["geometry"]:
        parts = []
        for rings in polys:
            coords = [np.cumsum(np.asarray(r).reshape(-1, 2), axis=0) / doc["scale"] for r in rings]
            parts.append(shapely.Polygon(coords[0], coords[1:]))
        shapes.append(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))
    return shapes


@pytest.mark.parametrize(("layer", "vintage"), FILES)
def test_committed_file_equals_generated(layer, vintage):
    """static/geo is what `python -m geo web` makes from data/web: regenerate if this fails."""
    path = staticgeom.STATIC_DIR / staticgeom.file_name(layer, vintage)
    assert staticgeom.read(path) == staticgeom.generate(layer, vintage)


@pytest.mark.parametrize(("layer", "vintage"), FILES)
def test_geometry_round_trips(layer, vintage):
    loader = io.load_lsoas if layer == "lsoa" else io.load_boroughs
    web = loader(vintage, web=True)
    doc = staticgeom.generate(layer, vintage)
    assert doc["format"] == staticgeom.FORMAT
    assert doc["codes"] == list(web.index)
    decoded = gpd.GeoSeries(_decode(doc), index=web.index, crs=4326)
    # the web layers are rounded to 5 decimals already: nothing is lost (the same shapes; a
    # few rings differ only by a repeated vertex)
    assert decoded.geom_equals(web.geometry).all()
    assert decoded.normalize().geom_equals_exact(web.geometry.normalize(), 1e-9).mean() > 0.99
    for column, values in doc["columns"].items():  # escaped text, unescaping gives the names
        assert [html.unescape(v) for v in values] == web[column].astype(str).tolist()
    if layer == "boroughs":
        assert len(doc["labels"]) == len(web)
        inside = [
            shapely.contains_xy(g, lon, lat)
            for g, (lat, lon) in zip(web.geometry, doc["labels"], strict=True)
        ]
        assert all(inside)


def test_names_escaped_for_html():
    doc = staticgeom.generate("lsoa", "iod2025")
    names = doc["columns"]["lsoa_name"]
    assert len(names) == 4994
    assert not any(c in n for n in names for c in "<>\"'`$\\")


def test_write_all_only_rewrites_changed_files(tmp_path):
    written = staticgeom.write_all(tmp_path)
    expected = [staticgeom.file_name(layer, vintage) for layer, vintage in FILES]
    expected += [
        staticgeom.file_name("lsoa", vintage, b)
        for vintage in VINTAGES
        for b in staticgeom.borough_codes(vintage)
    ]
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(expected)
    for path in written:  # gzip with a zero timestamp: same content, same bytes
        assert gzip.decompress(path.read_bytes())
        assert path.read_bytes()[4:8] == b"\0\0\0\0"
    assert staticgeom.write_all(tmp_path) == []
    path = tmp_path / staticgeom.file_name("boroughs", "iod2025")
    doc = staticgeom.read(path)
    doc["codes"][0] = "changed"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert staticgeom.write_all(tmp_path) == [path]


@pytest.mark.parametrize("vintage", list(VINTAGES))
def test_borough_files_split_london_exactly(vintage):
    """One committed LSOA file per borough, equal to what the code makes, holding exactly that
    borough's LSOAs: together every London LSOA once, with the same shapes and names."""
    london = staticgeom.read(staticgeom.STATIC_DIR / staticgeom.file_name("lsoa", vintage))
    where = {c: i for i, c in enumerate(london["codes"])}
    lsoas = io.load_lsoas(vintage, web=True)
    seen: list[str] = []
    boroughs = staticgeom.borough_codes(vintage)
    assert len(boroughs) == 33
    for borough in boroughs:
        path = staticgeom.STATIC_DIR / staticgeom.file_name("lsoa", vintage, borough)
        doc = staticgeom.read(path)
        assert doc == staticgeom.generate("lsoa", vintage, borough)
        assert set(lsoas.loc[doc["codes"], "borough_code"]) == {borough}
        for k, code in enumerate(doc["codes"]):
            assert doc["geometry"][k] == london["geometry"][where[code]]
            assert doc["columns"]["lsoa_name"][k] == london["columns"]["lsoa_name"][where[code]]
        seen += doc["codes"]
    assert sorted(seen) == sorted(london["codes"])


def test_web_layer_and_missing_file(tmp_path):
    layer = staticgeom.web_layer("lsoa", "iod2025")
    assert layer.url == "/app/static/geo/lsoa_2021.json.gz"
    assert len(layer.codes) == 4994 and set(layer.columns) == {"lsoa_name", "borough_name"}
    assert staticgeom.web_layer("boroughs", "iod2019").labels
    with pytest.raises(io.DataError, match="python -m geo web"):
        staticgeom.web_layer("lsoa", "iod2025", static_dir=tmp_path)
    with pytest.raises(ValueError):
        staticgeom.file_name("msoa", "iod2025")
    th = staticgeom.web_layer("lsoa", "iod2025", borough="E09000030")
    assert th.url == "/app/static/geo/lsoa_2021/E09000030.json.gz" and len(th.codes) == 169
    for bad in ("../lsoa_2021", "E09000030/../x", "W06000001"):
        with pytest.raises(ValueError):
            staticgeom.file_name("lsoa", "iod2025", bad)
    with pytest.raises(ValueError):
        staticgeom.file_name("boroughs", "iod2025", "E09000030")
