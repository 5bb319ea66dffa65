"""Where people live: the London Output Areas from the raw ONS files and in data/."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.data import demand, io
from geo.data.census import read_lsoa_lookup
from geo.data.sources import OA_PWC, SourceError


@pytest.fixture(scope="module")
def oas() -> pd.DataFrame:
    return io.load_oas()


def test_london_oa_count_and_population(oas):
    assert len(oas) == demand.LONDON_OA_COUNT == 26_369
    assert oas["oa_code"].is_unique and oas["oa_code"].is_monotonic_increasing
    # TS001 OA rows summed over London (SOURCES.md: 8,799,770)
    assert int(oas["population"].sum()) == demand.LONDON_OA_POPULATION == 8_799_770
    assert (oas["population"] > 0).all()


def test_every_lsoa_of_both_vintages_has_an_oa(oas):
    for vintage, col, n in (("iod2025", "lsoa21_code", 4_994), ("iod2019", "lsoa11_code", 4_835)):
        lsoas = io.load_lsoas(vintage)
        per_lsoa = oas.groupby(col).size()
        assert len(lsoas) == n
        assert set(per_lsoa.index) == set(lsoas.index)
        assert per_lsoa.min() >= 1
    # how each OA got its LSOA 2011: exact-fit lookup (U, S) or point in polygon (M merges)
    assert oas["lsoa11_method"].value_counts().to_dict() == {
        "exact-fit": 26_179,
        "point-in-polygon": 190,
    }


def test_lsoa11_follows_the_exact_fit_lookup(oas, raw_dir):
    lookup = read_lsoa_lookup(raw_dir)
    unchanged = set(lookup.loc[lookup["change_code"] == "U", "lsoa21_code"])
    sub = oas[oas["lsoa21_code"].isin(unchanged)]
    assert len(sub) > 20_000
    assert (sub["lsoa11_code"] == sub["lsoa21_code"]).all()
    merged = lookup[(lookup["change_code"] == "M") & lookup["lsoa21_code"].isin(oas["lsoa21_code"])]
    sub = oas[oas["lsoa21_code"].isin(merged["lsoa21_code"])]
    assert sub["lsoa21_code"].nunique() == 22
    parents = merged.groupby("lsoa21_code")["lsoa11_code"].agg(set)
    assert all(c in parents[p] for c, p in zip(sub["lsoa11_code"], sub["lsoa21_code"], strict=True))
    assert sub["lsoa11_code"].nunique() == 44  # every merged 2011 LSOA gets its own OAs
    # the point-in-polygon ones: the OA's centroid is inside the 2011 LSOA it was given
    l11 = io.load_lsoas("iod2019")
    pts = gpd.GeoSeries(gpd.points_from_xy(sub["x"], sub["y"]), index=sub.index, crs=27700)
    assert pts.within(l11.geometry.reindex(sub["lsoa11_code"]).set_axis(sub.index)).all()


def test_coordinates_as_given_and_projected(oas, raw_dir):
    first = oas.set_index("oa_code").loc["E00000001"]
    with gzip.open(raw_dir / OA_PWC, "rt") as fh:
        rec = next(json.loads(line) for line in fh if '"E00000001"' in line)
    assert (first["lon"], first["lat"]) == tuple(rec["geometry"]["coordinates"])
    sample = oas.iloc[::997]
    pts = gpd.GeoSeries(gpd.points_from_xy(sample["lon"], sample["lat"]), crs=4326).to_crs(27700)
    np.testing.assert_allclose(pts.x.to_numpy(), sample["x"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(pts.y.to_numpy(), sample["y"].to_numpy(), atol=1e-6)
    assert oas["x"].between(500_000, 565_000).all() and oas["y"].between(155_000, 205_000).all()


def test_oas_read_from_the_raw_files_equal_data(oas, raw_dir):
    """The reader, run on the raw files now, gives the bundled table (codes, residents, points)."""
    fresh = demand.london_oas(raw_dir, io.load_lsoas("iod2025").index)
    assert fresh["oa_code"].tolist() == oas["oa_code"].tolist()
    assert fresh["population"].tolist() == oas["population"].tolist()
    assert fresh["lsoa21_code"].tolist() == oas["lsoa21_code"].tolist()
    assert (fresh["lon"].to_numpy() == oas["lon"].to_numpy()).all()
    assert (fresh["lat"].to_numpy() == oas["lat"].to_numpy()).all()


def test_missing_raw_file_names_it(tmp_path):
    with pytest.raises(SourceError, match="oa21_pwc.json.gz"):
        demand.read_oa_centroids(tmp_path)


def test_bad_centroid_line_names_it(tmp_path):
    path = tmp_path / OA_PWC
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt") as fh:
        fh.write('{"type": "Feature", "properties": {"areacd": "E00000001"}, "geometry": ')
        fh.write('{"type": "Polygon", "coordinates": []}}\n')
    with pytest.raises(SourceError, match="line 1 is not an OA centroid point"):
        demand.read_oa_centroids(tmp_path)
