"""The selection and its URL form; filters on real LSOAs."""

from __future__ import annotations

import pytest

from geo.analysis.selection import (
    Selection,
    borough_comparison,
    bounds_of,
    filter_lsoas,
    from_query,
    icb_boroughs,
)
from geo.data import io

CODES = {"E09000030", "E09000012", "E09000001"}


def test_defaults_make_an_empty_query():
    assert Selection().to_query() == {}
    assert from_query({}) == Selection()


def test_round_trip():
    sel = Selection(
        vintage="iod2019",
        domain="health",
        measure="score",
        boroughs=("E09000030", "E09000012"),
        deciles=(1, 3),
        theme="Digital inclusion",
    )
    q = sel.to_query()
    assert q == {
        "vintage": "iod2019",
        "indicator": "health",
        "measure": "score",
        "borough": "E09000030,E09000012",
        "deciles": "1-3",
        "theme": "Digital inclusion",
    }
    assert from_query(q, borough_codes=CODES, themes=["Digital inclusion"]) == sel


@pytest.mark.parametrize(
    ("params", "warning"),
    [
        ({"vintage": "iod1999"}, "Unknown vintage"),
        ({"indicator": "<script>"}, "Unknown indicator"),
        ({"measure": "x"}, "Unknown measure"),
        ({"deciles": "5-2"}, "Decile range"),
        ({"deciles": "a-b"}, "Decile range"),
        ({"borough": "E09000030,E09999999"}, "E09999999"),
        ({"theme": "Nope"}, "Unknown theme"),
    ],
)
def test_bad_links_fall_back_with_a_warning(params, warning):
    sel = from_query(params, borough_codes=CODES, themes=["Digital inclusion"])
    assert any(warning in w for w in sel.warnings)
    if "borough" in params:
        assert sel.boroughs == ("E09000030",)
    else:
        assert sel == Selection()


def test_filter_lsoas_on_real_data():
    lsoas = io.load_lsoas("iod2025")
    sel = Selection(boroughs=("E09000030",), deciles=(1, 2))
    out = filter_lsoas(lsoas, sel)
    expected = lsoas[(lsoas.borough_code == "E09000030") & (lsoas.imd_decile <= 2)]
    assert out.index.equals(expected.index) and 0 < len(out) < 200
    assert len(filter_lsoas(lsoas, Selection())) == 4994


def test_borough_comparison_orders_by_share_in_most_deprived_10():
    table = borough_comparison(io.load_boroughs("iod2025"), "health")
    assert len(table) == 33
    assert table["share_10"].is_monotonic_decreasing
    assert table["share_10"].iloc[0] > 0


def test_bounds_of_borough_inside_london():
    b = io.load_boroughs("iod2025", web=True)
    lon0, lat0, lon1, lat1 = bounds_of(b)
    t = bounds_of(b, ("E09000030",))
    assert lon0 < t[0] < t[2] < lon1 and lat0 < t[1] < t[3] < lat1


def test_extra_indicators_round_trip_and_filter_on_imd_deciles():
    sel = from_query({"indicator": "ha_share", "deciles": "1-2"})
    assert sel.domain == "ha_share" and not sel.warnings
    assert sel.column == "ha_share" and sel.decile_domain == "imd"
    assert from_query(sel.to_query()) == sel
    lw = from_query({"indicator": "lw_per_10k"})
    assert lw.column == "lw_per_10k" and "Link workers per 10,000 residents" in lw.label
    assert lw.decile_domain == "imd"
    ptal = from_query({"indicator": "ptal", "deciles": "1-3"})
    assert ptal.column == "ptal" and not ptal.warnings and ptal.decile_domain == "imd"
    lsoas = io.load_lsoas("iod2025")
    shown = filter_lsoas(lsoas, sel)
    assert len(shown) == int(lsoas["imd_decile"].le(2).sum())


def test_icb_in_the_link_selects_its_boroughs():
    icbs = {"QMJ": ("E09000003", "E09000007"), "QKK": ("E09000004",)}
    sel = from_query({"icb": "QMJ"}, icbs=icbs)
    assert sel.icb == "QMJ" and sel.boroughs == ("E09000003", "E09000007")
    assert sel.to_query() == {"icb": "QMJ"}
    assert from_query(sel.to_query(), icbs=icbs) == sel
    # the ICB wins over a borough in the same link
    both = from_query({"icb": "QKK", "borough": "E09000007"}, icbs=icbs)
    assert both.boroughs == ("E09000004",)
    bad = from_query({"icb": "XXX", "borough": "E09000007"}, icbs=icbs)
    assert bad.icb == "" and bad.boroughs == ("E09000007",)
    assert "Unknown ICB 'XXX'" in bad.warnings[0]


def test_icb_boroughs_from_the_bundled_table():
    table = icb_boroughs(io.load_icbs())
    assert sorted(table) == ["QKK", "QMF", "QMJ", "QRV", "QWE"]
    assert sum(len(b) for b in table.values()) == 33
    assert set().union(*table.values()) == set(io.load_boroughs("iod2025").index)
    assert "E09000030" in table["QMF"]  # Tower Hamlets: North East London
