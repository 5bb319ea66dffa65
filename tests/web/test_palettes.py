"""Colour-blind check of the map palettes (issue 20): the decile and the bivariate colours.

Each palette is seen as with protanopia, deuteranopia and tritanopia (ColorAide's colour
vision deficiency filters at full severity: Brettel 1997 for protan and deutan, as ColorAide
chooses) and the colours of neighbouring classes are compared with CIEDE2000. The palettes'
own colours are compared as they are, and as drawn on the map (75% fill over a light grey
basemap, #e6e6e6 assumed). Below :data:`DISTINCT` two classes are hard to tell apart on a map
by colour alone; those pairs are listed here (and in the accessibility statement), so a change
of palette that makes things worse fails, and one that makes them better asks for the list to
be updated. Everywhere the map also carries the class as text (tooltip, the Enter read-out,
the legend labels and the table under the map).
"""

from __future__ import annotations

import itertools

from coloraide import Color

from geo.analysis.gap import BIVARIATE_COLOURS
from geo.web import DECILE_COLOURS, NO_DATA_COLOUR

VISION = ("normal", "protan", "deutan", "tritan")
DISTINCT = 10.0  # CIEDE2000
BASEMAP = "#e6e6e6"
FILL_OPACITY = 0.75  # the fill opacity of the maps' areas (geo/web/choropleth.py)
DECILES = {str(i + 1): c for i, c in enumerate(DECILE_COLOURS)}


def _delta(a: str, b: str, vision: str, *, drawn: bool = False) -> float:
    ca, cb = Color(a), Color(b)
    if drawn:
        ca = Color.mix(Color(BASEMAP), ca, FILL_OPACITY, space="srgb")
        cb = Color.mix(Color(BASEMAP), cb, FILL_OPACITY, space="srgb")
    if vision != "normal":
        ca, cb = ca.filter(vision), cb.filter(vision)
    return ca.delta_e(cb, method="2000")


def _decile_pairs() -> list[tuple[str, str]]:
    return [(str(i), str(i + 1)) for i in range(1, 10)]


def _bivariate_pairs() -> list[tuple[str, str]]:
    """Classes next to each other in the legend's grid (one step in need or in access)."""
    keys = sorted(BIVARIATE_COLOURS)
    return [
        (a, b)
        for a, b in itertools.combinations(keys, 2)
        if abs(int(a[0]) - int(b[0])) + abs(int(a[2]) - int(b[2])) == 1
    ]


def _below(colours: dict[str, str], pairs, drawn: bool) -> set[tuple[str, str, str]]:
    return {
        (a, b, v)
        for a, b in pairs
        for v in VISION
        if _delta(colours[a], colours[b], v, drawn=drawn) < DISTINCT
    }


def test_simulation_changes_colours_as_expected():
    # a red and a green that differ a lot in normal vision nearly merge for a deuteranope
    assert _delta("#d62728", "#2ca02c", "normal") > 50
    assert _delta("#d62728", "#2ca02c", "deutan") < _delta("#d62728", "#2ca02c", "normal") / 2


def test_decile_palette_adjacent_classes():
    table = {
        f"{a}-{b}": {v: round(_delta(DECILES[a], DECILES[b], v), 1) for v in VISION}
        for a, b in _decile_pairs()
    }
    print("deciles, CIEDE2000 of adjacent classes:", table)
    assert _below(DECILES, _decile_pairs(), drawn=False) == {
        ("6", "7", "protan"),
        ("6", "7", "deutan"),
        ("6", "7", "tritan"),
    }
    assert _below(DECILES, _decile_pairs(), drawn=True) == {
        ("4", "5", "deutan"),
        ("4", "5", "tritan"),
        ("5", "6", "tritan"),  # 9.99
        ("6", "7", "normal"),
        ("6", "7", "protan"),
        ("6", "7", "deutan"),
        ("6", "7", "tritan"),
        ("7", "8", "protan"),
    }
    # the grey of "no data" against the deciles nearest to it
    worst = min(_delta(NO_DATA_COLOUR, c, v) for c in DECILE_COLOURS for v in VISION)
    assert 8 < worst < DISTINCT


def test_bivariate_palette_adjacent_classes():
    table = {
        f"{a}/{b}": {
            v: round(_delta(BIVARIATE_COLOURS[a], BIVARIATE_COLOURS[b], v), 1) for v in VISION
        }
        for a, b in _bivariate_pairs()
    }
    print("bivariate, CIEDE2000 of neighbouring classes:", table)
    assert _below(BIVARIATE_COLOURS, _bivariate_pairs(), drawn=False) == {("3-2", "3-3", "protan")}
    assert _below(BIVARIATE_COLOURS, _bivariate_pairs(), drawn=True) == {
        ("3-1", "3-2", "protan"),
        ("3-1", "3-2", "tritan"),
        ("3-2", "3-3", "protan"),
    }
