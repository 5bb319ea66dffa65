"""TfL PTAL 2015 per LSOA 2011 and 2021 on the real file and in the bundled layers (issue 18,
point 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.data import io, lsoa_convert, ptal, sources

ISSUE_COUNTS = {
    "0": 0,
    "1a": 226,
    "1b": 817,
    "2": 1475,
    "3": 871,
    "4": 553,
    "5": 330,
    "6a": 395,
    "6b": 168,
}


@pytest.fixture(scope="module")
def p11(raw_dir):
    return ptal.read_ptal_2015(raw_dir)


def test_band_counts_lsoa_2011(p11):
    assert len(p11) == 4835
    assert ptal.band_counts(p11["ptal"]).to_dict() == ISSUE_COUNTS


def test_bundled_layers_carry_ptal():
    l11, l21 = io.load_lsoas("iod2019"), io.load_lsoas("iod2025")
    assert ptal.band_counts(l11["ptal"]).to_dict() == ISSUE_COUNTS
    assert l21["ptal"].notna().all() and ptal.band_counts(l21["ptal"]).sum() == 4994
    assert set(l21["ptal_basis"].str.split(" ").str[0]) <= {"LSOA", "value", "mean"}
    web = io.load_lsoas("iod2025", web=True)
    assert web["ptal"].equals(l21["ptal"])


def test_numeric_bands_are_text(p11):
    assert set(p11["ptal"]) <= set(ptal.BANDS)
    out = ptal.normalise_band(pd.Series(["2.00000", "5.00000", "1a", "6B", "7", ""]))
    assert out.tolist()[:4] == ["2", "5", "1a", "6b"] and out[4:].isna().all()


def test_bands_are_the_tfl_ranges_of_the_index(p11):
    assert (ptal.band_of(p11["ptai"]) == p11["ptal"]).all()  # all 4,835 reproduced
    got = ptal.band_of(pd.Series([0.0, 2.5, 2.51, 5.0, 10.0, 40.0, 40.01, np.nan]))
    assert got.tolist()[:7] == ["0", "1a", "1b", "1b", "2", "6a", "6b"] and pd.isna(got.iloc[7])


def test_a_band_that_does_not_match_its_index_stops_the_reader(raw_dir, tmp_path):
    text = (raw_dir / sources.PTAL_CSV).read_text()
    rows = text.splitlines()
    head, first = rows[0].split(","), rows[1].split(",")
    band = head.index("PTAL")
    first[band] = "6b" if first[band] != "6b" else "1a"
    target = tmp_path / sources.PTAL_CSV
    target.parent.mkdir(parents=True)
    target.write_text("\n".join([rows[0], ",".join(first), *rows[2:]]) + "\n")
    with pytest.raises(sources.SourceError, match="1 LSOA.*band does not match"):
        ptal.read_ptal_2015(tmp_path)


def test_lsoa_2021_split_copies_merged_weighted_mean(p11, raw_dir):
    l21, l11 = io.load_lsoas("iod2025"), io.load_lsoas("iod2019")
    weights = lsoa_convert.lsoa_weights(lsoa_convert.lookup_from_lsoas(l21), l21["population"])
    p21 = ptal.ptal_2021(p11, weights, l11["population"])
    pd.testing.assert_series_equal(p21["ptal"].reindex(l21.index), l21["ptal"], check_names=False)
    split = weights[weights["change_code"].eq("S")]
    for parent, kids in split.groupby("lsoa11_code")["lsoa21_code"]:
        assert (p21.loc[kids, "ptai"] == p11.loc[parent, "ptai"]).all()
        assert (p21.loc[kids, "ptal"] == p11.loc[parent, "ptal"]).all()
    merged = weights[weights["change_code"].eq("M")]
    assert merged["lsoa21_code"].nunique() == 22
    for child, parents in merged.groupby("lsoa21_code")["lsoa11_code"]:
        w = l11["population"].reindex(parents).to_numpy(float)
        mean = np.average(p11.loc[parents, "ptai"], weights=w)
        assert p21.loc[child, "ptai"] == pytest.approx(mean)
        assert p21.loc[child, "ptal"] == ptal.band_of(pd.Series([mean])).iloc[0]
        assert p21.loc[child, "ptai_high"] == p11.loc[parents, "ptai_high"].max()
        assert p21.loc[child, "ptai_low"] == p11.loc[parents, "ptai_low"].min()
    assert not weights["change_code"].eq("X").any()  # revisit the X rule if this changes


def test_filter_ptal_2_or_lower(p11):
    keep = ptal.at_most(p11["ptal"], "2")
    assert keep.sum() == 226 + 817 + 1475
    assert not ptal.at_most(pd.Series(["3", None]), "2").any()
    with pytest.raises(ValueError, match="unknown PTAL band"):
        ptal.at_most(p11["ptal"], "7")
