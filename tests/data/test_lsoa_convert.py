"""LSOA 2011 -> 2021 weights: hand-worked synthetic cases and the real London lookup."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.data import io, lsoa_convert
from geo.data.census import read_lsoa_lookup

# Synthetic: A unchanged; B split into B1 (300) and B2 (100); C and D merged into CD; E and F
# redrawn (X) into EF1 (200) and EF2 (600), E touching both and F only EF2.
SYN = pd.DataFrame(
    {
        "lsoa11_code": ["A", "B", "B", "C", "D", "E", "E", "F"],
        "lsoa21_code": ["A", "B1", "B2", "CD", "CD", "EF1", "EF2", "EF2"],
        "change_code": ["U", "S", "S", "M", "M", "X", "X", "X"],
    }
)
POP21 = pd.Series({"A": 1000, "B1": 300, "B2": 100, "CD": 500, "EF1": 200, "EF2": 600})


def test_weights_by_hand():
    w = lsoa_convert.lsoa_weights(SYN, POP21).set_index(["lsoa11_code", "lsoa21_code"])["weight"]
    assert w[("A", "A")] == 1.0
    assert w[("B", "B1")] == pytest.approx(0.75) and w[("B", "B2")] == pytest.approx(0.25)
    assert w[("C", "CD")] == 1.0 and w[("D", "CD")] == 1.0
    assert w[("E", "EF1")] == pytest.approx(0.25) and w[("E", "EF2")] == pytest.approx(0.75)
    assert w[("F", "EF2")] == 1.0


def test_sum_and_mean_by_hand():
    w = lsoa_convert.lsoa_weights(SYN, POP21)
    counts = pd.DataFrame({"n": [10.0, 8.0, 3.0, 4.0, 4.0, 2.0]}, index=list("ABCDEF"))
    out = lsoa_convert.to_lsoa21_sum(counts, w, ["n"])["n"]
    assert out.to_dict() == pytest.approx({"A": 10, "B1": 6, "B2": 2, "CD": 7, "EF1": 1, "EF2": 5})
    assert out.sum() == pytest.approx(counts["n"].sum())
    level = pd.Series({"A": 1.0, "B": 5.0, "C": 2.0, "D": 6.0, "E": 4.0, "F": 8.0})
    pop11 = pd.Series({"A": 900, "B": 400, "C": 300, "D": 100, "E": 800, "F": 400})
    mean = lsoa_convert.to_lsoa21_mean(level, pop11, w)
    assert mean.loc["B1", "value"] == 5.0 and mean.loc["B2", "value"] == 5.0
    assert mean.loc["CD", "value"] == pytest.approx((2 * 300 + 6 * 100) / 400)  # 3.0
    # EF2: E weighted 800 x 0.75 = 600, F 400 x 1 = 400 -> (4 x 600 + 8 x 400) / 1000 = 5.6
    assert mean.loc["EF2", "value"] == pytest.approx(5.6)
    assert mean.loc["CD", "n_parents"] == 2


def test_missing_population_is_an_error():
    with pytest.raises(ValueError, match="no Census 2021 population"):
        lsoa_convert.lsoa_weights(SYN, POP21.drop("B2"))


def test_real_london_lookup_and_the_bundled_layer_agree(raw_dir):
    l21 = io.load_lsoas("iod2025")
    pairs = lsoa_convert.lookup_from_lsoas(l21)
    raw = read_lsoa_lookup(raw_dir)
    raw = raw[raw["lsoa21_code"].isin(l21.index)]
    key = ["lsoa11_code", "lsoa21_code", "change_code"]
    pd.testing.assert_frame_equal(
        pairs.sort_values(key).reset_index(drop=True),
        raw[key].sort_values(key).reset_index(drop=True),
    )
    w = lsoa_convert.lsoa_weights(pairs, l21["population"])
    assert w["lsoa11_code"].nunique() == 4835 and w["lsoa21_code"].nunique() == 4994
    assert w["change_code"].value_counts().to_dict() == {"U": 4659, "S": 313, "M": 44}
    assert w.groupby("lsoa11_code")["weight"].sum().to_numpy() == pytest.approx(1.0)
