"""Tests for geo.analysis.gap on tiny synthetic LSOAs whose answers are worked out by hand.

Every LSOA code, name, score and square geometry here is SYNTHETIC, built in the tests.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.analysis.gap import (
    BIVARIATE_COLOURS,
    BIVARIATE_LABELS,
    bivariate_class,
    gap_score,
    gap_table,
    need_index,
    pilot_candidates,
    rook_adjacency,
)

BNG = 27700


# --------------------------------------------------------------------------------------------
# need_index
# --------------------------------------------------------------------------------------------
@pytest.fixture
def scores() -> pd.DataFrame:
    # health_score 1, 2, 3, 4: mean 2.5, population std sqrt(1.25) = 1.1180
    #   z = (-1.5, -0.5, 0.5, 1.5) / 1.1180 = (-1.3416, -0.4472, 0.4472, 1.3416)
    # income_score .1 .1 .3 .3: mean .2, std .1 -> z = (-1, -1, 1, 1)
    # employment_score 5, 5, 5, 5: no variation -> z = 0
    return pd.DataFrame(
        {
            "health_score": [1.0, 2.0, 3.0, 4.0],
            "income_score": [0.1, 0.1, 0.3, 0.3],
            "employment_score": [5.0, 5.0, 5.0, 5.0],
        },
        index=pd.Index(["S1", "S2", "S3", "S4"], name="lsoa_code"),
    )


def test_need_index_weighted_zscores_by_hand(scores):
    # weights health 3, income 1 -> normalised 0.75 / 0.25
    # need = 0.75 * z_health + 0.25 * z_income
    #      = 0.75 * 1.5/sqrt(1.25) = 1.00623 ... -> (-1.25623, -0.58541, 0.58541, 1.25623)
    got = need_index(scores, {"health": 3, "income": 1})
    zh = np.array([-1.5, -0.5, 0.5, 1.5]) / math.sqrt(1.25)
    expected = 0.75 * zh + 0.25 * np.array([-1, -1, 1, 1])
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(got.to_numpy(), [-1.25623, -0.58541, 0.58541, 1.25623], atol=1e-5)
    assert got.name == "need"
    assert list(got.index) == ["S1", "S2", "S3", "S4"]
    # only the ratio of the weights matters
    pd.testing.assert_series_equal(got, need_index(scores, {"health": 0.3, "income": 0.1}))


def test_need_index_default_weights_are_health_income_employment(scores):
    # (z_health + z_income + 0) / 3; the constant employment score contributes 0
    zh = np.array([-1.5, -0.5, 0.5, 1.5]) / math.sqrt(1.25)
    expected = (zh + np.array([-1, -1, 1, 1])) / 3
    np.testing.assert_allclose(need_index(scores).to_numpy(), expected, rtol=1e-12)


def test_need_index_zero_weight_domain_needs_no_column(scores):
    # crime has weight 0, so its (absent) column is not needed; health alone = z_health
    got = need_index(scores, {"health": 1, "crime": 0})
    np.testing.assert_allclose(
        got.to_numpy(), [-1.341641, -0.447214, 0.447214, 1.341641], atol=1e-6
    )


def test_need_index_ha_share_boost(scores):
    # need + ha_boost * share; S4 missing from the share -> 0
    share = pd.Series({"S1": 0.0, "S2": 0.5, "S3": 1.0})
    base = need_index(scores, {"health": 1})
    got = need_index(scores, {"health": 1}, ha_share=share, ha_boost=0.5)
    np.testing.assert_allclose((got - base).to_numpy(), [0.0, 0.25, 0.5, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="between 0 and 1"):
        need_index(scores, {"health": 1}, ha_share=share * 100)


def test_need_index_errors(scores):
    with pytest.raises(ValueError, match=r"unknown IoD domain\(s\) \['wealth'\]"):
        need_index(scores, {"health": 1, "wealth": 1})
    with pytest.raises(ValueError, match="all weights are zero"):
        need_index(scores, {"health": 0, "income": 0})
    with pytest.raises(ValueError, match=">= 0"):
        need_index(scores, {"health": -1, "income": 2})
    with pytest.raises(ValueError, match="crime_score"):
        need_index(scores, {"crime": 1})


# --------------------------------------------------------------------------------------------
# gap_score and bivariate_class
# --------------------------------------------------------------------------------------------
def test_gap_score_by_hand():
    # need ranks 1,2,3 -> percentiles 0, .5, 1; access reversed -> 1, .5, 0
    need = pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"])
    access = pd.Series([3.0, 2.0, 1.0], index=["a", "b", "c"])
    np.testing.assert_allclose(gap_score(need, access).to_numpy(), [-1.0, 0.0, 1.0])
    # aligned by index, not position
    got = gap_score(need, access.iloc[::-1])
    np.testing.assert_allclose(got.to_numpy(), [-1.0, 0.0, 1.0])


def test_gap_score_ties_and_missing():
    # need 10, 20, 30, 40 -> 0, 1/3, 2/3, 1
    # access 0, 0, 0, 5: average rank 2 for the ties -> (2-1)/3 = 1/3 each, 5 -> 1
    # gap = -1/3, 0, 1/3, 0. A row with missing access gets NaN and is left out of the ranks.
    need = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0], index=list("abcde"))
    access = pd.Series([0.0, 0.0, 0.0, 5.0, np.nan], index=list("abcde"))
    got = gap_score(need, access)
    np.testing.assert_allclose(got.iloc[:4].to_numpy(), [-1 / 3, 0.0, 1 / 3, 0.0], atol=1e-12)
    assert np.isnan(got["e"])


def test_bivariate_class_terciles_by_hand():
    # need 1..9 -> thirds: 1,1,1,2,2,2,3,3,3
    # access 0,0,0,0,0,1,2,3,4: the five zeros tie at min rank 1 -> ceil(3*1/9) = 1;
    #   1 has rank 6 -> ceil(18/9) = 2; 2, 3, 4 have ranks 7..9 -> 3
    idx = list("abcdefghi")
    need = pd.Series(np.arange(1.0, 10.0), index=idx)
    access = pd.Series([0, 0, 0, 0, 0, 1, 2, 3, 4], index=idx, dtype=float)
    got = bivariate_class(need, access)
    assert got.tolist() == ["1-1", "1-1", "1-1", "2-1", "2-1", "2-2", "3-3", "3-3", "3-3"]
    # reversing access on distinct values gives the mirror image
    got = bivariate_class(need, pd.Series(np.arange(9.0, 0.0, -1), index=idx))
    assert got.tolist() == ["1-3", "1-3", "1-3", "2-2", "2-2", "2-2", "3-1", "3-1", "3-1"]


def test_bivariate_class_missing_and_k():
    need = pd.Series([1.0, 2.0, np.nan, 4.0])
    access = pd.Series([4.0, 3.0, 2.0, 1.0])
    got = bivariate_class(need, access, k=2)
    # valid rows: need 1,2,4 -> ranks 1,2,3 of 3 -> ceil(2r/3) = 1,2,2
    #             access 4,3,1 -> ranks 3,2,1 -> 2,2,1
    assert got.tolist() == ["1-2", "2-2", None, "2-1"]
    with pytest.raises(ValueError, match="k must be"):
        bivariate_class(need, access, k=1)


def test_bivariate_palette_and_labels():
    keys = {f"{n}-{a}" for n in (1, 2, 3) for a in (1, 2, 3)}
    assert set(BIVARIATE_COLOURS) == keys
    assert set(BIVARIATE_LABELS) == keys
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in BIVARIATE_COLOURS.values())
    assert len(set(BIVARIATE_COLOURS.values())) == 9
    assert "biggest gap" in BIVARIATE_LABELS["3-1"]
    assert BIVARIATE_LABELS["1-3"].startswith("Lower need, higher access")


# --------------------------------------------------------------------------------------------
# gap_table
# --------------------------------------------------------------------------------------------
@pytest.fixture
def three_lsoas() -> pd.DataFrame:
    # Synthetic LSOAs: A worst (health + income in decile 1), B health decile 2, C neither.
    return pd.DataFrame(
        {
            "lsoa_name": ["Synth 001A", "Synth 001B", "Synth 001C"],
            "borough_name": ["Synthborough"] * 3,
            "health_decile": [1, 2, 5],
            "income_decile": [1, 4, 6],
            "employment_decile": [3, 4, 7],
        },
        index=pd.Index(["C", "B", "A"][::-1], name="lsoa_code"),
    )


def test_gap_table_ranks_and_reasons(three_lsoas):
    idx = three_lsoas.index
    # need 3,2,1 -> pct 1, .5, 0; access 0,5,10 -> 0, .5, 1; gap 1, 0, -1
    need = pd.Series([3.0, 2.0, 1.0], index=idx)
    access = pd.Series([0.0, 5.0, 10.0], index=idx)
    counts = pd.DataFrame(
        {"health": [0, 2, 1], "employment": [0, 0, 1], "all": [0, 2, 2]}, index=idx
    )
    counts.attrs["catchment"] = 800.0
    nearest = pd.DataFrame(
        {"health": [1500.0, 320.0, 90.0], "all": [1400.0, 320.0, 90.0]}, index=idx
    )
    # shuffled row order in: the table is still ranked by gap
    table = gap_table(three_lsoas.iloc[[2, 0, 1]], need, access, counts, nearest)
    assert table.index.name == "lsoa_code"
    assert list(table.index) == ["A", "B", "C"]
    assert table["rank"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(table["gap"].to_numpy(), [1.0, 0.0, -1.0])
    assert table.loc["A", "within_employment"] == 0
    assert table.loc["B", "within_health"] == 2
    assert table.loc["A", "nearest_health_m"] == 1500.0
    assert table.loc["A", "lsoa_name"] == "Synth 001A"
    assert table.loc["A", "reason"] == (
        "In England's most deprived 10% for health and income; "
        "no services within 800 m; nearest service 1.4 km"
    )
    assert table.loc["B", "reason"] == (
        "In England's most deprived 20% for health; "
        "no employment services within 800 m; nearest service 320 m"
    )
    assert table.loc["C", "reason"] == (
        "Need higher than 0% of the other LSOAs compared; "
        "2 services within 800 m; nearest service 90 m"
    )


def test_gap_table_catchment_in_reason_and_missing_rows(three_lsoas):
    idx = three_lsoas.index
    need = pd.Series([3.0, 2.0, np.nan], index=idx)
    access = pd.Series([0.0, 5.0, 10.0], index=idx)
    counts = pd.DataFrame({"all": [0, 1, 0]}, index=idx)
    counts.attrs["catchment"] = 1600.0
    nearest = pd.DataFrame({"all": [np.nan, 10.0, 2000.0]}, index=idx)
    table = gap_table(three_lsoas, need, access, counts, nearest)
    assert list(table.index) == ["A", "B", "C"]  # missing gap last
    assert table["rank"].isna().tolist() == [False, False, True]
    assert "no services within 1,600 m" in table.loc["A", "reason"]
    assert table.loc["A", "reason"].endswith("no services loaded")
    assert "1 service within 1,600 m" in table.loc["B", "reason"]


# --------------------------------------------------------------------------------------------
# pilot_candidates
# --------------------------------------------------------------------------------------------
@pytest.fixture
def grid9() -> gpd.GeoDataFrame:
    # Synthetic 3x3 grid of 100 m squares, row-major from the south-west:
    #   g h i      (row 2)
    #   d e f      (row 1)
    #   a b c      (row 0)
    # Column 0 is in "Westham", columns 1-2 in "Eastham".
    names = list("abcdefghi")
    cells = [
        box(c * 100, r * 100, c * 100 + 100, r * 100 + 100) for r in range(3) for c in range(3)
    ]
    return gpd.GeoDataFrame(
        {
            "lsoa_name": [f"Synth {n}" for n in names],
            "borough_name": ["Westham" if k % 3 == 0 else "Eastham" for k in range(9)],
            "population": [1000] * 9,
        },
        geometry=cells,
        index=pd.Index(names, name="lsoa_code"),
        crs=BNG,
    )


@pytest.fixture
def grid_gap(grid9) -> pd.Series:
    # eligible at min_gap 0.5: a .9, b .8, f .7, g .6, i .95
    return pd.Series([0.9, 0.8, 0.1, 0.2, 0.3, 0.7, 0.6, 0.1, 0.95], index=grid9.index, name="gap")


def test_rook_adjacency_by_hand(grid9):
    """3x3 grid: e shares an edge with b, d, f, h and only a corner with a, c, g, i; a square
    overlapping a in an area counts; one touching i at a corner only does not."""
    extra = gpd.GeoDataFrame(
        {"lsoa_name": ["Synth overlap", "Synth corner"]},
        geometry=[box(-50, -50, 50, 50), box(300, 300, 400, 400)],
        index=pd.Index(["o", "k"], name="lsoa_code"),
        crs=BNG,
    )
    shapes = pd.concat([grid9[["lsoa_name", "geometry"]], extra])
    adj = rook_adjacency(shapes)
    assert adj.index.equals(shapes.index)
    named = {code: {shapes.index[k] for k in adj[code]} for code in shapes.index}
    assert named["e"] == set("bdfh")
    assert named["a"] == {"b", "d", "o"}
    assert named["o"] == {"a"}
    assert named["i"] == {"f", "h"} and named["k"] == set()
    assert all(list(v) == sorted(v) for v in adj)  # positions ascending


def test_pilot_candidates_clusters_without_stock(grid9, grid_gap):
    # Rook adjacency among eligible cells: a-b share an edge, f-i share an edge, b-f only
    # meet at a corner (not adjacent), g is alone.
    # Seeds in gap order: i (.95) grows by f (.7) -> {i, f}; a (.9) grows by b (.8) ->
    # {a, b}; b, f taken; g (.6) -> {g}.
    got = pilot_candidates(grid9, grid_gap)
    assert got.index.name == "candidate"
    assert list(got.index) == [1, 2, 3]
    assert got["lsoa_codes"].tolist() == ["i, f", "a, b", "g"]
    assert got["lsoa_names"].tolist() == ["Synth i, Synth f", "Synth a, Synth b", "Synth g"]
    np.testing.assert_allclose(got["gap_max"], [0.95, 0.9, 0.6])
    np.testing.assert_allclose(got["gap_mean"], [0.825, 0.85, 0.6])
    assert got["n_lsoas"].tolist() == [2, 2, 1]
    assert got["borough_name"].tolist() == ["Eastham", "Westham, Eastham", "Westham"]
    assert got["population"].tolist() == [2000.0, 2000.0, 1000.0]
    assert got["ha_homes"].isna().all()
    assert got.geometry.iloc[1].equals(box(0, 0, 200, 100))
    assert got.crs == grid9.crs
    assert got.loc[2, "reason"] == (
        "2 adjacent LSOAs across 2 boroughs (Westham; Eastham); gap score 0.85 on average (highest 0.90); "
        "housing association presence not considered because no stock data is loaded"
    )
    assert got.loc[3, "reason"].startswith("Single LSOA in Westham; gap score 0.60;")


def test_pilot_candidates_growth_is_capped(grid9):
    # All nine cells eligible, gap a .90, b .85, c .80, d .75, e .70, f .65, g .60, h .55,
    # i .50.
    # max_lsoas 3: seed a grows by b (.85, over d .75), then c (.80, over d and e):
    #   {a, b, c}; seed d: e (.70, over g .60), then f (.65): {d, e, f}; seed g: {g, h, i}.
    gap = pd.Series(np.linspace(0.9, 0.5, 9), index=grid9.index)
    got = pilot_candidates(grid9, gap, max_lsoas=3)
    assert got["lsoa_codes"].tolist() == ["a, b, c", "d, e, f", "g, h, i"]
    # default max 5: a + b, c, d, e; then seed f: i (.50, its only free neighbour), then
    #   h (.55, via i), then g (.60, via h): {f, g, h, i}
    got = pilot_candidates(grid9, gap)
    assert got["lsoa_codes"].tolist() == ["a, b, c, d, e", "f, g, h, i"]
    assert got["n_lsoas"].tolist() == [5, 4]
    # n limits the number of candidates, not LSOAs
    assert len(pilot_candidates(grid9, gap, max_lsoas=1, n=4)) == 4


def test_pilot_candidates_without_contiguity_and_n(grid9, grid_gap):
    got = pilot_candidates(grid9, grid_gap, contiguity=False, n=3)
    assert got["lsoa_codes"].tolist() == ["i", "a", "b"]
    assert (got["n_lsoas"] == 1).all()


def test_pilot_candidates_with_stock(grid9, grid_gap):
    # a has no HA homes -> not eligible; eligible b, f, g, i
    # seeds: i (.95) + f -> 5 + 7 = 12 homes; b (.8) alone, 10 homes; g (.6), 40 homes
    homes = pd.Series({"a": 0, "b": 10, "f": 5, "i": 7, "g": 40})
    got = pilot_candidates(grid9, grid_gap, ha_homes=homes)
    assert got["lsoa_codes"].tolist() == ["i, f", "b", "g"]
    assert got["ha_homes"].tolist() == [12.0, 10.0, 40.0]
    assert got.loc[1, "reason"].endswith("; 12 housing association homes")
    # a higher threshold drops f (5 homes): i alone .95 now leads
    got = pilot_candidates(grid9, grid_gap, ha_homes=homes, min_ha_homes=6)
    assert got["lsoa_codes"].tolist() == ["i", "b", "g"]


def test_pilot_candidates_ties_prefer_more_homes(grid9):
    gap = pd.Series(0.8, index=grid9.index)
    homes = pd.Series({"a": 3, "e": 9, "i": 5})  # three isolated cells, equal gap
    got = pilot_candidates(grid9, gap, ha_homes=homes)
    assert got["lsoa_codes"].tolist() == ["e", "i", "a"]


def test_pilot_candidates_none_eligible_and_errors(grid9, grid_gap):
    empty = pilot_candidates(grid9, grid_gap, min_gap=0.99)
    assert empty.empty
    assert "reason" in empty.columns and empty.index.name == "candidate"
    with pytest.raises(ValueError, match="n must be"):
        pilot_candidates(grid9, grid_gap, n=0)
    with pytest.raises(ValueError, match="min_gap"):
        pilot_candidates(grid9, grid_gap, min_gap=2)
    with pytest.raises(ValueError, match="max_lsoas"):
        pilot_candidates(grid9, grid_gap, max_lsoas=0)


def test_gap_table_lists_at_most_three_domains():
    # Synthetic LSOA in decile 1 for five domains: the reason names the first three in
    # priority order (overall, health, income) and counts the rest.
    lsoas = pd.DataFrame(
        {f"{d}_decile": [1] for d in ("imd", "health", "income", "employment", "crime")},
        index=pd.Index(["X"], name="lsoa_code"),
    )
    one = pd.Series([1.0], index=lsoas.index)
    table = gap_table(
        lsoas, one, one, pd.DataFrame(index=lsoas.index), pd.DataFrame(index=lsoas.index)
    )
    assert table.loc["X", "reason"] == (
        "In England's most deprived 10% for overall deprivation, health, income and 2 more domains"
    )
    assert table.loc["X", "gap"] == 0.0  # a single row sits at the 0.5 percentile of both
