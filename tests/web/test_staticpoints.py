"""The static map points files (geo.web.staticpoints) and the layers drawn from them, on the real data."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import web
from geo.analysis import provision
from geo.data import io
from geo.data.directory import CATEGORIES, NO_OPEN_DATA
from geo.web import elements, encode, layers, staticpoints
from geo.web import format as webformat

TARGETS = [("places", None), ("ha_points", "iod2025"), ("ha_points", "iod2019")]


@pytest.mark.parametrize(("layer", "vintage"), TARGETS)
def test_committed_file_equals_generated(layer, vintage):
    """static/geo is what `python -m geo web` makes from data/: regenerate if this fails."""
    path = staticpoints.STATIC_DIR / staticpoints.file_name(layer, vintage)
    doc = staticpoints.generate(layer, vintage)
    assert doc is not None
    assert staticpoints.read(path) == json.loads(json.dumps(doc))


@pytest.fixture(scope="module")
def directory():
    return provision.bundled_directory(
        io.load_services(), io.load_parks(), categories=CATEGORIES, no_open_data=NO_OPEN_DATA
    )


def _spec_layers(group) -> list[elements.CanvasPoints]:
    return [e for e in elements.descendants(group) if isinstance(e, elements.CanvasPoints)]


def _shown(spec: dict, total: int) -> list[int]:
    """File positions of the points a layer shows, in file order (as spm_map.js reads them)."""
    if "at" in spec:
        return np.cumsum(spec["at"]).tolist()
    assert len(spec["sel"]) == total
    return [i for i, c in enumerate(spec["sel"]) if c != "-"]


def _tooltip(spec: dict, doc: dict, code: str) -> dict[str, str]:
    """The tooltip the browser shows for point ``code`` (as spm_map.js builds it)."""
    i = doc["codes"].index(code)
    j = _shown(spec, len(doc["codes"])).index(i)
    out = {}
    for f in spec["fields"]:
        if "s" in f:
            out[f["a"]] = doc["columns"][f["s"]][i]
        elif "d" in f:
            out[f["a"]] = f["d"][f["i"][j]]
        else:
            out[f["a"]] = f["v"][j]
    return out


def test_category_layers_from_the_places_file(directory):
    src = staticpoints.web_points("places")
    assert src is not None and src.url == "/app/static/geo/places.json.gz"
    doc = staticpoints.read(staticpoints.STATIC_DIR / "places.json.gz")
    m = web.base_map()
    got = layers.add_category_layers(m, directory, CATEGORIES, points=src, today_year=2026)
    assert set(got) == set(directory["category"])
    gp = _spec_layers(got["gp_practice"])[0].spec
    assert gp["url"] == src.url and "ll" not in gp
    gps = directory[directory["category"].eq("gp_practice")]
    shown = _shown(gp, len(doc["codes"]))
    assert sorted(doc["codes"][i] for i in shown) == sorted(gps.index)
    code = gps.index[gps["pcn_lw_per_10k"].notna().to_numpy()][0]
    tip = _tooltip(gp, doc, code)
    assert tip["Place"] == webformat.fmt(gps.loc[code, "name"])
    assert tip["Primary Care Network"] == webformat.fmt(gps.loc[code, "pcn_name"])
    assert (
        tip["Link workers (PCN)"].endswith("FTE)")
        and "per 10,000 patients" in tip["Link workers (PCN)"]
    )
    assert tip["Source"] == webformat.fmt(gps.loc[code, "source_label"])
    # the page carries no names or positions, only which points each layer shows
    page = m.get_root().render()
    assert webformat.fmt(gps.loc[code, "name"]) not in page
    assert len(page.encode()) < 150 * 1024
    # names with HTML characters are escaped in the file
    raw = [n for n in doc["columns"]["name"] if "&amp;" in n or "&#x27;" in n]
    assert raw and not any("<" in n for n in doc["columns"]["name"])


def test_uploads_and_unknown_rows_stay_embedded(directory):
    src = staticpoints.web_points("places")
    lib = directory[directory["category"].eq("library")].iloc[:3]
    mine = lib.assign(origin=provision.UPLOAD, category="upload", source_label="your upload")
    mine.index = ["upload-1", "upload-2", "upload-3"]
    m = web.base_map()
    both = gpd.GeoDataFrame(pd.concat([lib, mine]), geometry="geometry", crs=lib.crs)
    got = layers.add_category_layers(m, both, CATEGORIES, points=src)
    assert "url" in _spec_layers(got["library"])[0].spec
    up = _spec_layers(got["upload"])[0].spec
    assert "url" not in up and up["ll"]  # the user's services travel with the map
    assert any("your upload" in str(f) for f in up["fields"])


def test_link_workers_and_ha_points_from_files(directory):
    src = staticpoints.web_points("places")
    gps = directory[directory["category"].eq("gp_practice")]
    m = web.base_map()
    group = layers.add_link_worker_layer(m, gps, points=src)
    specs = [e.spec for e in _spec_layers(group)]
    assert specs and all(s["url"] == src.url for s in specs)
    total = len(src.codes)
    assert sorted(src.codes[i] for s in specs for i in _shown(s, total)) == sorted(gps.index)

    lsoas = io.load_lsoas("iod2025", web=True)
    shown = lsoas[lsoas["borough_code"].eq("E09000030").to_numpy()]
    ha = staticpoints.web_points("ha_points", "iod2025")
    doc = staticpoints.read(staticpoints.STATIC_DIR / "ha_points_2021.json.gz")
    group = layers.add_ha_points(web.base_map(), shown, points=ha)
    specs = [e.spec for e in _spec_layers(group)]
    total = len(doc["codes"])
    drawn = [doc["codes"][i] for s in specs for i in _shown(s, total)]
    assert sorted(drawn) == sorted(shown.index)
    code = shown.index[0]
    (spec,) = [s for s in specs if doc["codes"].index(code) in _shown(s, total)]
    tip = _tooltip(spec, doc, code)
    assert tip["Neighbourhood (LSOA)"] == webformat.fmt(shown.loc[code, "lsoa_name"])
    hh = round(float(shown.loc[code, "ha_households"]))
    assert tip["Housing association households (Census 2021)"] == f"{hh:,}"


def test_missing_file_means_embedded(tmp_path):
    assert staticpoints.web_points("places", None, tmp_path) is None
    with pytest.raises(ValueError, match="Unknown points layer"):
        staticpoints.file_name("shops")


def test_shown_table_is_the_shorter_encoding():
    few = encode.shown_table(np.array([7, 3, 4]), 1000)
    assert few == {"at": [3, 1, 3]}  # sorted: 3, 4, 7
    many = encode.shown_table(np.arange(0, 1000, 2), 1000)
    assert set(many) == {"sel"} and many["sel"][:4] == "0-0-" and len(many["sel"]) == 1000
