"""The processed data against the raw official files (real data, no mocks)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.data import io
from geo.data.indicators import DOMAINS, iod_columns

GLA_PREFIX = {
    "imd": "Index of Multiple Deprivation (IMD)",
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "housing": "Barriers to Housing and Services",
    "environment": "Living Environment",
}
CSV_PREFIX = {
    "imd": "IMD",
    "income": "Income",
    "employment": "Employment",
    "education": "Education",
    "health": "Health",
    "crime": "Crime",
    "housing": "Housing_and_Services",
    "environment": "Environment",
}


@pytest.fixture(scope="module")
def lsoa21() -> gpd.GeoDataFrame:
    return io.load_lsoas("iod2025")


@pytest.fixture(scope="module")
def lsoa11() -> gpd.GeoDataFrame:
    return io.load_lsoas("iod2019")


@pytest.mark.parametrize("vintage", ["iod2025", "iod2019"])
def test_33_boroughs_with_e09_codes_and_inner_outer(vintage):
    b = io.load_boroughs(vintage)
    assert len(b) == 33
    assert b.index.str.match(r"^E09000\d{3}$").all()
    assert b.index.is_unique and b["borough_name"].is_unique
    assert b["inner"].sum() == 14  # ONS statistical inner London: 14 incl. City of London
    assert b.loc["E09000030", "borough_name"] == "Tower Hamlets"
    assert b.loc["E09000030", "inner"] and not b.loc["E09000003", "inner"]  # Barnet outer


def test_lsoa21_counts_all_with_iod2025(lsoa21):
    assert len(lsoa21) == 4994 and lsoa21.index.is_unique
    assert lsoa21.index.str.startswith("E01").all()
    assert lsoa21[iod_columns()].notna().all().all()
    assert lsoa21.crs.to_epsg() == 27700


def test_lsoa11_counts_all_with_iod2019(lsoa11):
    assert len(lsoa11) == 4835 and lsoa11.index.is_unique
    assert lsoa11[iod_columns()].notna().all().all()
    assert lsoa11.crs.to_epsg() == 27700


@pytest.mark.parametrize("vintage", ["iod2025", "iod2019"])
def test_every_lsoa_inside_exactly_one_borough(vintage):
    lsoas = io.load_lsoas(vintage)
    boroughs = io.load_boroughs(vintage)
    pts = gpd.GeoDataFrame(
        {"declared": lsoas["borough_code"]}, geometry=lsoas.representative_point(), crs=lsoas.crs
    )
    hits = gpd.sjoin(pts, boroughs[["geometry"]], predicate="within")
    counts = hits.groupby(level=0).size().reindex(lsoas.index, fill_value=0)
    assert (counts == 1).all(), counts[counts != 1].head()
    assert (hits["declared"] == hits["borough_code"]).all()
    # and the boroughs' LSOA counts add up
    assert boroughs["n_lsoa"].sum() == len(lsoas)


def test_iod2025_equals_raw_csv_for_every_lsoa(lsoa21, raw_dir):
    raw = pd.read_csv(raw_dir / "deprivation/iod2025/iod2025_lsoa21_scores_ranks_deciles.csv")
    raw = raw.set_index("lsoa21_code").loc[lsoa21.index]
    for d, prefix in CSV_PREFIX.items():
        for m in ("score", "rank", "decile"):
            np.testing.assert_array_equal(
                lsoa21[f"{d}_{m}"].to_numpy(), raw[f"{prefix}_{m}"].to_numpy(), err_msg=f"{d} {m}"
            )


def test_iod2025_imd_equals_mhclg_file_1(lsoa21, raw_dir):
    f1 = pd.read_excel(
        raw_dir / "deprivation/iod2025/File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx",
        sheet_name="IMD25",
        engine="calamine",
    ).set_index("LSOA code (2021)")
    f1 = f1.loc[lsoa21.index]
    np.testing.assert_array_equal(lsoa21["imd_rank"], f1.iloc[:, 3])
    np.testing.assert_array_equal(lsoa21["imd_decile"], f1.iloc[:, 4])


def test_iod2019_equals_gla_workbook_and_mhclg_files(lsoa11, raw_dir):
    base = raw_dir / "deprivation/iod2019"
    gla = pd.read_excel(
        base / "ID_2019_for_London_GLA.xlsx", sheet_name="IMD 2019", engine="calamine"
    )
    gla = gla.set_index("geography code").loc[lsoa11.index]
    f2 = pd.read_excel(
        base / "File_2_-_IoD2019_Domains_of_Deprivation.xlsx", sheet_name=1, engine="calamine"
    )
    f2 = f2.set_index(f2.columns[0]).loc[lsoa11.index]
    for d, prefix in GLA_PREFIX.items():
        for m, head in (("score", "Score"), ("rank", "Rank"), ("decile", "Decile")):
            col = next(c for c in gla.columns if c.startswith(f"{prefix} {head}"))
            np.testing.assert_array_equal(lsoa11[f"{d}_{m}"], gla[col], err_msg=f"{d} {m}")
            if m != "score":  # MHCLG File 2 has national ranks and deciles
                col2 = next(c for c in f2.columns if c.startswith(f"{prefix} {head}"))
                np.testing.assert_array_equal(lsoa11[f"{d}_{m}"], f2[col2], err_msg=f"File 2 {d}")


def test_population(lsoa11, lsoa21, raw_dir):
    raw = pd.read_csv(raw_dir / "population/london-lsoa11-mid2020-pop.csv").set_index("LSOA11CD")
    np.testing.assert_array_equal(lsoa11["population"], raw.loc[lsoa11.index, "Persons_All-Ages"])
    np.testing.assert_array_equal(lsoa11["population_65plus"], raw.loc[lsoa11.index, "Persons_65+"])
    assert (lsoa11["population_basis"] == "ONS mid-2020 estimate (LSOA 2011)").all()
    # LSOA 2021 population is the Census 2021 count (tests/test_bundled.py), not an estimate
    assert (lsoa21["population_basis"] == "Census 2021 (TS007A)").all()
    assert (lsoa21["population"] > 0).all()


def test_borough_summary_by_hand(lsoa21):
    b = io.load_boroughs("iod2025")
    hackney = lsoa21[lsoa21["borough_code"] == "E09000012"]
    expected = (hackney["imd_score"] * hackney["population"]).sum() / hackney["population"].sum()
    assert b.loc["E09000012", "imd_avg_score"] == pytest.approx(expected, abs=5e-4)
    assert b.loc["E09000012", "imd_share_10"] == pytest.approx(
        (hackney["imd_decile"] == 1).mean(), abs=1e-4
    )
    assert b.loc["E09000012", "health_share_20"] == pytest.approx(
        (hackney["health_decile"] <= 2).mean(), abs=1e-4
    )
    for d in DOMAINS:
        ranks = b[f"{d}_avg_score_rank"]
        assert ranks.min() == 1 and ranks.max() <= 33
        top = b[f"{d}_avg_score"].idxmax()
        assert ranks[top] == 1


def test_iod2019_borough_summary_uses_mid2015_denominators(lsoa11):
    b = io.load_boroughs("iod2019")
    th = lsoa11[lsoa11["borough_code"] == "E09000030"]
    w = th["population_mid2015"]
    assert b.loc["E09000030", "imd_avg_score"] == pytest.approx(
        (th["imd_score"] * w).sum() / w.sum(), abs=5e-4
    )


@pytest.mark.parametrize("vintage", ["iod2025", "iod2019"])
def test_geometries_valid(vintage):
    for gdf in (io.load_lsoas(vintage), io.load_boroughs(vintage)):
        assert gdf.is_valid.all()
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
        assert not gdf.is_empty.any()


@pytest.mark.parametrize("vintage", ["iod2025", "iod2019"])
def test_web_layer_topology_and_payload(vintage):
    """The simplified web layer: valid, and no slivers or overlaps beyond a stated tolerance.

    Tolerance: overlaps between neighbours add up to under 200 m² for all of London (about one
    hundredth of one LSOA's area), and no gap inside London is wider than the rounding grid.
    """
    web = io.load_lsoas(vintage, web=True)
    full = io.load_lsoas(vintage)
    assert web.crs.to_epsg() == 4326 and web.index.equals(full.index)
    assert web.is_valid.all()
    bng = web.to_crs(27700)
    left, right = bng.sindex.query(bng.geometry, predicate="overlaps")
    pairs = left < right
    overlap = shapely.area(
        shapely.intersection(bng.geometry.values[left[pairs]], bng.geometry.values[right[pairs]])
    ).sum()
    assert overlap < 200, f"overlap {overlap:.1f} m²"
    # gaps: the union of the web LSOAs covers the union of the full LSOAs but for slivers
    union_web = shapely.union_all(bng.geometry.values, grid_size=0.01)
    union_full = shapely.union_all(full.geometry.values, grid_size=0.01)
    holes = shapely.difference(union_full, union_web)
    assert shapely.area(holes) / shapely.area(union_full) < 0.002
    # per-LSOA area stays within 10% of the full-resolution area for nearly all LSOAs
    ratio = bng.area / full.area
    assert (ratio.between(0.9, 1.1)).mean() > 0.99
    # payload: GeoJSON of the web geometry alone (coordinates rounded to 5 places)
    kb = len(web[["geometry"]].to_json()) / 1024
    assert kb < 3600, f"{kb:.0f} KB"
    assert len(io.load_boroughs(vintage, web=True)[["geometry"]].to_json()) / 1024 < 200


def test_manifest_names_every_file_with_inputs_and_licence():
    m = io.load_manifest()
    paths = {f["path"] for f in m["files"]}
    for geog in ("2021", "2011"):
        for kind in ("lsoa", "boroughs"):
            assert f"boundaries/{kind}_{geog}.parquet" in paths
            assert f"web/{kind}_{geog}.parquet" in paths
    import hashlib

    for f in m["files"]:
        if f["path"].startswith("streets/"):  # made from OpenStreetMap: ODbL, attributed
            assert f["licence"].startswith("Open Database License 1.0")
            assert any("© OpenStreetMap contributors" in a for a in f["attribution"])
        else:
            assert f["licence"].startswith(("Open Government Licence v3.0", "OS OpenData"))
        assert f["inputs"] and all(len(i["sha256"]) == 64 for i in f["inputs"])
        assert hashlib.sha256((io.DATA_DIR / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert m["built"]


def test_loaders_fail_clearly(tmp_path):
    with pytest.raises(io.DataError, match=r"lsoa_2021\.parquet.*python -m geo build"):
        io.load_lsoas("iod2025", data_dir=tmp_path)
    (tmp_path / "boundaries").mkdir()
    (tmp_path / "boundaries" / "lsoa_2021.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(io.DataError, match="cannot be read"):
        io.load_lsoas("iod2025", data_dir=tmp_path)
    (tmp_path / "MANIFEST.json").write_text("{broken")
    with pytest.raises(io.DataError, match="not valid JSON"):
        io.load_manifest(tmp_path)
    with pytest.raises(ValueError, match="Unknown vintage"):
        io.load_lsoas("iod2015")


def test_loaders_return_copies():
    a = io.load_lsoas("iod2025")
    a["imd_score"] = 0
    assert io.load_lsoas("iod2025")["imd_score"].max() > 0
