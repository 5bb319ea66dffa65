"""PTAL bands and link workers by registration as map layers (geo.web.indicators): colours,
legends naming every band, tooltips, escaping; on synthetic squares."""

from __future__ import annotations

import itertools
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from coloraide import Color

from geo import web
from geo.data.ptal import BAND_LABELS, BANDS
from geo.web import indicators

SCRIPT = "<script>alert(1)</script>"
VISION = ("normal", "protan", "deutan", "tritan")
BASEMAP, FILL_OPACITY = "#e6e6e6", 0.75  # the maps' grey basemap and area fill opacity


def _squares(n: int) -> gpd.GeoDataFrame:
    """``n`` synthetic 500 m squares in central London (EPSG:27700)."""
    return gpd.GeoDataFrame(
        {
            "lsoa_name": [SCRIPT, *[f"Synthetic {i}" for i in range(1, n)]],
            "borough_name": "Synthetic borough",
        },
        geometry=[
            shapely.box(530_000 + 500 * i, 180_000, 530_500 + 500 * i, 180_500) for i in range(n)
        ],
        index=pd.Index([f"S{i}" for i in range(n)], name="lsoa_code"),
        crs=27700,
    )


def _delta(a: str, b: str, vision: str, drawn: bool) -> float:
    ca, cb = Color(a), Color(b)
    if drawn:
        ca = Color.mix(Color(BASEMAP), ca, FILL_OPACITY, space="srgb")
        cb = Color.mix(Color(BASEMAP), cb, FILL_OPACITY, space="srgb")
    if vision != "normal":
        ca, cb = ca.filter(vision), cb.filter(vision)
    return ca.delta_e(cb, method="2000")


def test_ptal_colours_run_low_to_high_and_neighbours_are_distinguishable():
    assert list(indicators.PTAL_COLOURS) == list(BANDS)
    assert len(set(indicators.PTAL_COLOURS.values())) == 9
    # blue (low access) to red (high access), light in the middle
    assert Color(indicators.PTAL_COLOURS["0"]).convert("oklch")["h"] > 200
    assert Color(indicators.PTAL_COLOURS["6b"]).convert("oklch")["h"] < 40
    worst = min(
        _delta(indicators.PTAL_COLOURS[a], indicators.PTAL_COLOURS[b], v, drawn)
        for a, b in itertools.pairwise(BANDS)
        for v in VISION
        for drawn in (False, True)
    )
    assert worst >= 7.5  # CIEDE2000, every colour vision, as given and as drawn
    # with normal vision, as drawn, each band is apart from the next (2 and 3: 9.3)
    assert all(
        _delta(indicators.PTAL_COLOURS[a], indicators.PTAL_COLOURS[b], "normal", True) >= 9
        for a, b in itertools.pairwise(BANDS)
    )


def test_ptal_layer_names_every_band_and_says_the_palette_is_not_tfl():
    lsoas = _squares(3).assign(
        ptal=["1a", "2", None],
        ptai=[1.23, 7.5, np.nan],
        ptal_basis="LSOA 2011 value",
    )
    m = web.base_map()
    web.add_ptal_layer(m, lsoas)
    html = m.get_root().render()
    for band in BANDS:  # every band in the legend, with its words
        assert f"PTAL {BAND_LABELS[band]}" in html
    assert "not TfL" in html and "colour-blind safe" in html
    assert "No data" in html  # the square without a band
    assert "1.2" in html and "Average access index (PTAI 2015)" in html
    assert SCRIPT not in html and "lt;script" in html
    for band in ("1a", "2"):
        assert indicators.PTAL_COLOURS[band] in html


def test_unknown_band_is_an_error():
    with pytest.raises(ValueError, match="Categories without a colour: 7"):
        web.add_ptal_layer(web.base_map(), _squares(1).assign(ptal=["7"], ptai=[1.0]))


def test_link_worker_layer_shows_rate_fte_and_unknown_share():
    lw = pd.DataFrame(
        {
            "lw_per_10k": [0.5, 1.25, 2.0, 0.0, 3.0],
            "lw_fte": [0.1, 0.2, 0.3, 0.0, 0.6],
            "lw_unknown_share": [0.0, 0.25, 0.0, 1.0, 0.0],
            "patients_registered": [2000.0, 1600.0, 1500.0, 1700.0, 2100.0],
        },
        index=pd.Index([f"S{i}" for i in range(5)]),
    )
    frame = indicators.lw_registration_frame(_squares(5), lw)
    assert frame["lw_unknown_pct"].tolist() == [0.0, 25.0, 0.0, 100.0, 0.0]
    m = web.base_map()
    web.add_lw_registration_layer(m, frame)
    html = m.get_root().render()
    assert "Link workers per 10,000 residents (by registration)" in html
    assert "A lower bound where some residents" in html  # the legend says so
    assert "FTE unknown" in html  # the tooltip's unknown share
    assert re.search(r'"25(\.0)?"', html)  # the 25% of the second square

    assert SCRIPT not in html
