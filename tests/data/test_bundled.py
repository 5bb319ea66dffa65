"""The bundled layers (tenure, Census 2021, postcodes, services, parks, link workers) against the
raw official files (real data, no mocks)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.data import boundaries, io, places, sources
from geo.data.directory import CATEGORIES, LINK_WORKERS, NO_OPEN_DATA, age_warning, is_old
from geo.data.postcodes import LOOKUP_LABEL, normalise_postcode
from geo.data.themes import THEMES

WESTMINSTER = "E09000033"


@pytest.fixture(scope="module")
def lsoa21() -> gpd.GeoDataFrame:
    return io.load_lsoas("iod2025")


@pytest.fixture(scope="module")
def lsoa11() -> gpd.GeoDataFrame:
    return io.load_lsoas("iod2019")


@pytest.fixture(scope="module")
def postcodes() -> pd.DataFrame:
    return io.load_postcodes()


@pytest.fixture(scope="module")
def services() -> gpd.GeoDataFrame:
    return io.load_services()


@pytest.fixture(scope="module")
def link_workers() -> pd.DataFrame:
    return io.load_link_workers()


@pytest.fixture(scope="module")
def practice_map(raw_dir) -> pd.DataFrame:
    m = pd.read_parquet(raw_dir / sources.PRAC_MAP)
    return m[m["extract_date"].eq("01Dec2025") & m["comm_region_code"].eq("Y56")]


# --- Tenure ----------------------------------------------------------------------------------


def test_london_tenure_2021_totals_exactly(lsoa21):
    assert lsoa21["households"].sum() == 3_423_850
    assert lsoa21["ha_households"].sum() == 376_986
    assert lsoa21["council_households"].sum() == 413_876


def test_london_tenure_2011_totals_exactly(lsoa11):
    assert lsoa11["households"].sum() == 3_266_173
    assert lsoa11["ha_households"].sum() == 346_266


def test_tenure_2021_equals_ts054_per_lsoa(lsoa21, raw_dir):
    raw = pd.read_csv(raw_dir / sources.TENURE21).set_index("geography code").loc[lsoa21.index]
    t = "Tenure of household: "
    np.testing.assert_array_equal(lsoa21["households"], raw[f"{t}Total: All households"])
    np.testing.assert_array_equal(
        lsoa21["ha_households"], raw[f"{t}Social rented: Other social rented"]
    )
    np.testing.assert_array_equal(
        lsoa21["council_households"],
        raw[f"{t}Social rented: Rents from council or Local Authority"],
    )


@pytest.mark.parametrize("vintage", ["iod2025", "iod2019"])
def test_every_lsoa_has_tenure_and_population(vintage):
    lsoas = io.load_lsoas(vintage)
    cols = ["households", "ha_households", "council_households", "population"]
    cols += ["ha_share", "council_share", "social_share"]
    assert lsoas[cols].notna().all().all()
    assert (lsoas["households"] > 0).all() and (lsoas["population"] > 0).all()
    for share in ("ha_share", "council_share", "social_share"):
        assert lsoas[share].between(0, 1).all()
    np.testing.assert_allclose(
        lsoas["social_share"],
        (lsoas["ha_households"] + lsoas["council_households"]) / lsoas["households"],
        atol=1e-5,
    )
    # web layers carry the same attributes
    web = io.load_lsoas(vintage, web=True)
    assert web["ha_households"].equals(lsoas["ha_households"])


@pytest.mark.parametrize("vintage", ["iod2025", "iod2019"])
def test_borough_ha_totals_equal_sum_of_lsoas(vintage):
    lsoas, b = io.load_lsoas(vintage), io.load_boroughs(vintage)
    for col in ("households", "ha_households", "council_households"):
        by_hand = lsoas.groupby("borough_code")[col].sum()
        pd.testing.assert_series_equal(
            b[col].sort_index(), by_hand.sort_index(), check_names=False, check_dtype=False
        )
    deprived = lsoas[lsoas["imd_decile"].le(2)].groupby("borough_code")["ha_households"].sum()
    most = lsoas[lsoas["imd_decile"].eq(1)].groupby("borough_code")["ha_households"].sum()
    pd.testing.assert_series_equal(
        b["ha_households_in_20"],
        deprived.reindex(b.index, fill_value=0),
        check_names=False,
        check_dtype=False,
    )
    pd.testing.assert_series_equal(
        b["ha_households_in_10"],
        most.reindex(b.index, fill_value=0),
        check_names=False,
        check_dtype=False,
    )
    assert (b["ha_households_in_10"] <= b["ha_households_in_20"]).all()
    np.testing.assert_allclose(
        b["ha_share_in_20"], b["ha_households_in_20"] / b["ha_households"], atol=1e-5
    )
    np.testing.assert_allclose(b["ha_share"], b["ha_households"] / b["households"], atol=1e-5)


# --- Census 2021 population and disability ------------------------------------------------


def test_population_2021_is_census_ts007a(lsoa21, raw_dir):
    raw = pd.read_csv(raw_dir / sources.TS007A).set_index("geography code").loc[lsoa21.index]
    np.testing.assert_array_equal(lsoa21["population"], raw["Age: Total"])
    assert lsoa21["population"].sum() == 8_799_631
    bands = [c for c in raw.columns if c.startswith("Age: Aged")]
    assert len(bands) == 18
    over65 = raw[[c for c in bands if c >= "Age: Aged 65" or "85 years and over" in c]]
    assert list(over65.columns) == bands[-5:]  # 65-69, 70-74, 75-79, 80-84, 85+
    np.testing.assert_array_equal(lsoa21["population_65plus"], over65.sum(axis=1))
    assert (lsoa21["population_basis"] == "Census 2021 (TS007A)").all()


def test_population_65plus_agrees_with_mid2020_estimates(lsoa21, lsoa11):
    """Census 2021 65+ and the ONS mid-2020 65+ (a different source) agree to within 10%."""
    ratio = lsoa21["population_65plus"].sum() / lsoa11["population_65plus"].sum()
    assert 0.9 < ratio < 1.1, ratio


def test_population_2011_stays_mid2020(lsoa11, raw_dir):
    raw = pd.read_csv(raw_dir / "population/london-lsoa11-mid2020-pop.csv").set_index("LSOA11CD")
    np.testing.assert_array_equal(lsoa11["population"], raw.loc[lsoa11.index, "Persons_All-Ages"])


def test_disability_share(lsoa21):
    assert lsoa21["disabled"].sum() == 1_164_460
    assert lsoa21["disability_share"].between(0, 1).all()
    # TS038 counts the same usual residents as TS007A, up to ONS cell-key perturbation
    assert (
        lsoa21["disabled"] / lsoa21["population"] - lsoa21["disability_share"]
    ).abs().max() < 0.01


def test_lsoa_2011_links_from_exact_fit_lookup(lsoa21, lsoa11):
    assert lsoa21["lsoa11_codes"].notna().all()
    unchanged = lsoa21["lsoa_change"].eq("U")
    assert (lsoa21.index[unchanged] == lsoa21.loc[unchanged, "lsoa11_codes"]).all()
    linked = set("; ".join(lsoa21["lsoa11_codes"]).split("; "))
    assert linked == set(lsoa11.index)


# --- Postcodes ---------------------------------------------------------------------------------


def test_postcode_lookup_counts_and_codes(postcodes, lsoa21, lsoa11):
    assert len(postcodes) == 180_754 and postcodes["postcode"].is_unique
    assert postcodes["postcode"].equals(normalise_postcode(postcodes["postcode"]))
    assert postcodes["admin_district_code"].astype(str).str.startswith("E09").all()
    assert postcodes["lsoa21_code"].isin(lsoa21.index).all()
    assert postcodes["lsoa11_code"].isin(lsoa11.index).all()
    lsoa_borough = lsoa21["borough_code"].reindex(postcodes["lsoa21_code"].astype(str))
    assert (lsoa_borough.to_numpy() == postcodes["borough_code"].astype(str).to_numpy()).all()
    # Code-Point's own borough and the point-in-polygon borough agree for nearly all postcodes
    agree = postcodes["borough_code"].astype(str) == postcodes["admin_district_code"].astype(str)
    assert agree.mean() > 0.999
    assert "April 2025" in LOOKUP_LABEL and "Code-Point Open" in LOOKUP_LABEL


def test_sw1a_1aa_in_westminster(postcodes, lsoa21):
    row = postcodes.set_index("postcode").loc["SW1A 1AA"]
    assert row["borough_code"] == WESTMINSTER
    point = shapely.Point(row["easting"], row["northing"])
    assert lsoa21.loc[row["lsoa21_code"], "geometry"].distance(point) < boundaries.SNAP_M


def test_locate_with_real_lookup_places_and_rejects(postcodes):
    from geo.uploads import locate

    made_up = "SW1A 9ZZ"  # well formed, not a postcode
    terminated = "N17 0AA"  # Tottenham Jobcentre Plus in 2016, gone from Code-Point 2025
    assert not postcodes["postcode"].isin([made_up, terminated]).any()
    df = pd.DataFrame(
        {"name": ["a", "b", "c", "d"], "postcode": ["SW1A 1AA", "sw1a1aa", made_up, terminated]}
    )
    accepted, rejected = locate(
        df, {"postcode": "postcode"}, london=io.load_boroughs(), postcodes=postcodes
    )
    assert len(accepted) + len(rejected) == len(df)
    assert list(accepted["borough_code"]) == [WESTMINSTER, WESTMINSTER]
    assert accepted.geometry.iloc[0].equals(accepted.geometry.iloc[1])
    assert list(rejected["postcode"]) == [made_up, terminated]
    assert rejected["reason"].str.contains("not found").all()


# --- Services ----------------------------------------------------------------------------------


def test_services_schema_and_metadata(services):
    assert services.index.name == "service_id" and services.index.is_unique
    assert services.crs.to_epsg() == 27700
    assert set(services.geom_type) == {"Point"}
    assert set(services["category"]) == set(CATEGORIES) - {"park"}
    for cat, rows in services.groupby("category"):
        meta = CATEGORIES[cat]
        assert (rows["theme"] == meta["themes"][0]).all()
        assert (rows["kind"] == meta["kind"]).all()
        assert (rows["vintage_year"] == meta["vintage_year"]).all()
        assert (rows["licence"] == meta["licence"]).all()
        assert rows.index.str.startswith(
            {
                "place_of_worship": "pofw",
                "food_bank": "food_bank",
                "credit_union": "credit_union",
            }.get(cat, cat.split("_")[0])
        ).all()
    themes = set("; ".join(services["themes"]).split("; "))
    assert themes <= set(THEMES)
    for theme in NO_OPEN_DATA:
        assert theme not in themes  # no open data: never filled
    financial = services[services["themes"].str.contains("Financial inclusion")]
    assert set(financial["category"]) == {"food_bank", "credit_union"}
    assert (
        services.loc[services["category"].eq("place_of_worship"), "kind"] == "community asset"
    ).all()
    assert (services["capacity"] > 0).all()
    # lon/lat are the EPSG:4326 form of the point
    ll = services.geometry.to_crs(4326)
    assert np.allclose(ll.x, services["lon"], atol=1e-5) and np.allclose(
        ll.y, services["lat"], atol=1e-5
    )


def test_services_counts_within_source_counts(services, raw_dir, practice_map):
    n = services["category"].value_counts()
    assert n["gp_practice"] <= len(practice_map) == 1147
    assert n["gp_practice"] >= 1140
    assert n["pharmacy"] == 1722  # SOURCES.md: 1,729 active in London, 7 without a postcode
    assert 300 <= n["library"] <= 360  # SOURCES.md: "about 360 open"
    assert 850 <= n["community_centre"] <= 903
    assert 2135 - 10 <= n["place_of_worship"] <= 2135 + 779
    assert 30 <= n["jobcentre"] <= 61  # SOURCES.md: "about 60 in London"


def test_every_place_inside_london_in_its_postcodes_borough(services, postcodes, lsoa21, lsoa11):
    assert services["borough_code"].isin(io.load_boroughs().index).all()
    assert services["lsoa21_code"].isin(lsoa21.index).all()
    assert services["lsoa11_code"].isin(lsoa11.index).all()
    lsoa_borough = lsoa21["borough_code"].reindex(services["lsoa21_code"]).to_numpy()
    assert (lsoa_borough == services["borough_code"].to_numpy()).all()
    london = shapely.union_all(lsoa21.geometry.values, grid_size=0.01)
    d = shapely.distance(london, services.geometry.values)
    by_postcode = services["location_basis"].str.contains("postcode")
    assert (d[~by_postcode.to_numpy()] == 0).all()
    assert (d < boundaries.SNAP_M).all()
    with_pc = services[
        services["postcode"].notna() & services["postcode"].isin(postcodes["postcode"])
    ]
    lookup = postcodes.set_index("postcode").loc[with_pc["postcode"]]
    assert (
        with_pc["borough_code"].to_numpy() == lookup["borough_code"].astype(str).to_numpy()
    ).all()
    placed = with_pc[with_pc["location_basis"].str.contains("postcode")]
    lk = postcodes.set_index("postcode").loc[placed["postcode"]]
    assert (placed["easting"].to_numpy() == lk["easting"].to_numpy()).all()
    # every GP practice, library and jobcentre was placed by its postcode
    for cat in ("gp_practice", "library", "jobcentre"):
        assert by_postcode[services["category"].eq(cat)].all()


def test_no_duplicate_places(services):
    key = services["name"].str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
    frame = pd.DataFrame(
        {"c": services["category"], "k": key, "x": services["easting"], "y": services["northing"]}
    )
    assert not frame.duplicated().any()
    gp = services[services["category"].eq("gp_practice")]
    assert gp["practice_code"].is_unique


def test_places_of_worship_one_place_each(services, raw_dir):
    pw = services[services["category"].eq("place_of_worship")]
    areas = gpd.read_file(raw_dir / f"{sources.POFW_AREAS}.shp").to_crs(27700)
    areas["service_id"] = "pofw:osm" + areas["osm_id"].astype(str)
    kept_areas = areas[areas["service_id"].isin(pw.index)]
    points = pw[pw["location_basis"].eq("OSM point")]
    # no kept point lies inside a kept building
    tree = shapely.STRtree(shapely.make_valid(kept_areas.geometry.values))
    hits, _ = tree.query(points.geometry.values, predicate="intersects")
    assert len(hits) == 0
    # no two named places of worship of the same name within 10 m of each other
    named = pw["name"].where(~pw["name"].str.endswith("(unnamed)"))
    i, j = places.same_name_pairs(pw.geometry.values, places.name_key(named).to_numpy(), 10.0)
    assert len(i) == 0, list(zip(pw.index[i], pw.index[j], strict=True))
    # building rows sit inside their building (representative point)
    rows = pw.loc[kept_areas["service_id"]]
    assert shapely.intersects(
        shapely.make_valid(kept_areas.geometry.values), rows.geometry.values
    ).all()
    assert pw["licence"].str.contains("ODbL").all()
    assert "OpenStreetMap contributors" in CATEGORIES["place_of_worship"]["attribution"]


def test_gp_practices_from_december_2025_list(services, practice_map, raw_dir):
    gp = services[services["category"].eq("gp_practice")]
    assert set(gp["practice_code"]) <= set(practice_map["practice_code"])
    reg = pd.read_parquet(raw_dir / sources.PRAC_REG)
    reg = reg[reg["extract_date"].eq("2025-12-01")].set_index("code")["number_of_patients"]
    np.testing.assert_array_equal(gp["registered_patients"], reg.loc[gp["practice_code"]])
    assert (gp["capacity"] == gp["registered_patients"]).all()
    assert reg.loc[practice_map["practice_code"]].sum() == 11_185_816


def test_libraries_open_only_hours_where_lists_agree(services, raw_dir):
    lib = services[services["category"].eq("library")]
    ace = pd.read_csv(raw_dir / sources.LIB_ACE, encoding="utf-8-sig", dtype=str)
    ace["pc"] = normalise_postcode(ace["postcode"].astype(str))
    closed = ace[ace["closed"].notna()]
    open_pcs = set(ace.loc[ace["closed"].isna(), "pc"])
    assert lib["postcode"].isin(open_pcs).all()
    assert not set(zip(lib["postcode"], lib["name"], strict=True)) & set(
        zip(closed["pc"], closed["name"], strict=True)
    )
    hours = lib[lib["opening_hours"].notna()]
    assert 0 < len(hours) <= len(lib)
    other = services[~services["category"].eq("library")]
    assert other["opening_hours"].isna().all()


def test_jobcentres_left_out_are_recorded():
    m = io.load_manifest()
    entry = next(f for f in m["files"] if f["path"] == "services/services.parquet")
    note = next(n for n in entry["notes"] if n.startswith("Jobcentre Plus"))
    assert "N17 0AA" in note and "terminated" in note
    assert "Financial inclusion" not in entry["no_open_data"]  # food banks, credit unions
    assert "Specialist and supported housing" in entry["no_open_data"]


# --- Parks -------------------------------------------------------------------------------------


def test_parks_and_their_edges():
    parks, edges = io.load_parks(), io.load_park_edges()
    assert parks.index.is_unique and parks.crs.to_epsg() == 27700 and edges.crs.to_epsg() == 27700
    assert parks.is_valid.all() and set(parks.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (parks["area_m2"] > 0).all() and (parks["category"] == "park").all()
    assert parks["borough_code"].isin(io.load_boroughs().index).all()
    assert set(edges["park_id"]) == set(parks.index)
    # every point of every boundary is within 25 m (half the 50 m spacing, + 1 m rounding) of
    # an edge point of the same park
    fine = shapely.segmentize(shapely.boundary(parks.geometry.values), 5.0)
    verts, owners = shapely.get_coordinates(fine, return_index=True)
    samples = shapely.points(verts)
    tree = shapely.STRtree(edges.geometry.values)
    s_idx, e_idx = tree.query(samples, predicate="dwithin", distance=26.0)
    same = edges["park_id"].to_numpy()[e_idx] == parks.index.to_numpy()[owners[s_idx]]
    covered = np.zeros(len(samples), dtype=bool)
    covered[s_idx[same]] = True
    assert covered.all(), f"{(~covered).sum()} boundary points further than 26 m from an edge point"


# --- Link workers --------------------------------------------------------------------------


def test_link_workers_london_total(link_workers):
    assert link_workers["lw_fte"].sum() == pytest.approx(422.58, abs=0.005)
    assert int(link_workers["lw_fte"].gt(0).sum()) == 175
    assert link_workers.index.is_unique
    # NaN FTE exactly where the PCN has no workforce record: unknown, not zero
    assert (link_workers["lw_fte"].isna() == ~link_workers["has_workforce_record"]).all()
    assert (~link_workers["has_workforce_record"]).sum() > 0


def test_link_workers_practices_in_practice_list(link_workers, services, practice_map):
    listed = set(practice_map["practice_code"])
    gp = services[services["category"].eq("gp_practice")]
    for pcn, row in link_workers.iterrows():
        if row["n_practices"] == 0:
            continue
        members = row["practice_codes"].split("; ")
        assert set(members) <= listed, pcn
        assert len(members) == row["n_practices"]
        in_map = practice_map[practice_map["pcn_code"].eq(pcn)]
        assert set(members) == set(in_map["practice_code"]), pcn
    with_pcn = gp[gp["pcn_code"].notna()]
    patients = with_pcn.groupby("pcn_code")["registered_patients"].sum()
    np.testing.assert_allclose(
        link_workers.loc[patients.index, "registered_patients"], patients.to_numpy()
    )
    ok = link_workers["lw_fte"].notna() & link_workers["registered_patients"].gt(0)
    np.testing.assert_allclose(
        link_workers.loc[ok, "lw_per_10k"],
        10_000 * link_workers.loc[ok, "lw_fte"] / link_workers.loc[ok, "registered_patients"],
        atol=1e-4,
    )
    # the per-practice allocations add up to each PCN's FTE
    alloc = with_pcn.groupby("pcn_code")["lw_fte_allocated"].sum(min_count=1)
    known = link_workers.loc[alloc.index, "lw_fte"].notna()
    np.testing.assert_allclose(
        alloc[known], link_workers.loc[alloc.index[known], "lw_fte"], atol=1e-2
    )
    assert with_pcn.loc[with_pcn["pcn_lw_fte"].isna(), "lw_fte_allocated"].isna().all()


# --- Directory metadata and manifest -------------------------------------------------------


def test_directory_age_warnings():
    assert is_old(2019, 2026) and is_old(2020, 2026) and not is_old(2023, 2026)
    assert age_warning("place_of_worship", 2026).startswith("Old data: 2019 release")
    assert age_warning("jobcentre", 2026).startswith("Old data: 2016 release")
    assert age_warning("pharmacy", 2026) is None  # the March 2025 ODS list
    assert age_warning("gp_practice", 2026) is None
    assert set(NO_OPEN_DATA) == {"Specialist and supported housing"}
    assert {"label", "source", "vintage", "licence"} <= set(LINK_WORKERS)
    for meta in CATEGORIES.values():
        assert set(meta["themes"]) <= set(THEMES) and meta["kind"] in ("service", "community asset")


def test_manifest_lists_bundled_files_with_source_vintage_licence():
    m = io.load_manifest()
    files = {f["path"]: f for f in m["files"]}
    for rel in (
        "postcodes/london_postcodes.parquet",
        "services/services.parquet",
        "services/parks.parquet",
        "services/park_edges.parquet",
        "services/link_workers.parquet",
    ):
        entry = files[rel]
        assert entry["source"] and entry["vintage"] and entry["licence"], rel
        assert entry["inputs"] and all(len(i["sha256"]) == 64 for i in entry["inputs"]), rel
    assert (
        "ODbL" in files["services/services.parquet"]["licence"]
        or "Open Database" in files["services/services.parquet"]["licence"]
    )
    assert files["postcodes/london_postcodes.parquet"]["source"] == LOOKUP_LABEL


@pytest.mark.parametrize(
    ("loader", "name"),
    [
        (io.load_postcodes, "london_postcodes.parquet"),
        (io.load_services, "services.parquet"),
        (io.load_parks, "parks.parquet"),
        (io.load_park_edges, "park_edges.parquet"),
        (io.load_link_workers, "link_workers.parquet"),
    ],
)
def test_bundled_loaders_fail_clearly(tmp_path, loader, name):
    with pytest.raises(io.DataError, match=name.replace(".", r"\.") + ".*python -m geo build"):
        loader(data_dir=tmp_path)


def test_loaders_return_copies_of_bundled_layers():
    a = io.load_services()
    a["name"] = "changed"
    assert (io.load_services()["name"] != "changed").all()
    p = io.load_postcodes()
    p["borough_code"] = "x"
    assert io.load_postcodes()["borough_code"].str.startswith("E09").all()
