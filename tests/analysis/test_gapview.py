"""Tests for geo.analysis.gapview: the Gap finder's inputs, London-wide tables and exports.

Synthetic services and homes sit at centroids of real LSOAs (names say "Synthetic").
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.analysis import gap, gapview, oa_gaps, walkaccess
from geo.data import io as geo_io
from geo.data.themes import OTHER, THEMES
from geo.outputs.export import safe_csv

TOWER_HAMLETS = "E09000030"


@pytest.fixture(scope="module")
def lsoas() -> gpd.GeoDataFrame:
    return geo_io.load_lsoas("iod2025")


@pytest.fixture(scope="module")
def services(lsoas) -> gpd.GeoDataFrame:
    th = lsoas[lsoas["borough_code"] == TOWER_HAMLETS].sort_index().iloc[:40]
    return gpd.GeoDataFrame(
        {
            "name": [f"Synthetic service {i}" for i in range(len(th))],
            "theme": [THEMES[i % len(THEMES)] for i in range(len(th))],
        },
        geometry=th.geometry.centroid.to_numpy(),
        crs=27700,
    )


@pytest.fixture(scope="module")
def oas() -> pd.DataFrame:
    return geo_io.load_oas()


DETOUR = 1.4  # a detour chosen for these tests (the app's default is measured by the build)


def _model(oas, services, detour=DETOUR):
    """Straight line x ``detour`` everywhere (no street network): synthetic services."""
    return walkaccess.upload_model(oas, gapview.prepare_services(services), None, detour=detour)


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def test_frame_digest_is_stable_and_content_based(services):
    assert gapview.frame_digest(services) == gapview.frame_digest(services.copy())
    renamed = services.assign(name=services["name"].str.replace("0", "O"))
    assert gapview.frame_digest(renamed) != gapview.frame_digest(services)
    moved = services.copy()
    moved.geometry = moved.geometry.translate(1, 0)
    assert gapview.frame_digest(moved) != gapview.frame_digest(services)
    assert gapview.frame_digest(None) == "none"
    with_na = services.assign(capacity=[np.nan] * len(services))
    assert gapview.frame_digest(with_na) == gapview.frame_digest(with_na.copy())


def test_prepare_services_drops_unlocated_and_reprojects(services):
    wgs = services.to_crs(4326)
    wgs.loc[wgs.index[0], "geometry"] = None
    wgs.loc[wgs.index[1], "theme"] = None
    out = gapview.prepare_services(wgs)
    assert out.crs.to_epsg() == 27700
    assert len(out) == len(services) - 1
    assert out.loc[wgs.index[1], "theme"] == OTHER
    assert out["theme"].map(type).eq(str).all()


def test_themes_present_ignores_other(services):
    assert gapview.themes_present(services) == [t for t in THEMES if t != OTHER]
    assert gapview.themes_present(services.iloc[:2]) == list(THEMES[:2])
    assert gapview.themes_present(None) == []


def test_homes_per_lsoa_by_code_and_by_location(lsoas):
    codes = lsoas.index[:3]
    stock = gpd.GeoDataFrame(
        {"lsoa_code": [codes[0], codes[0], codes[1]], "units": [5, 2, np.nan]},
        geometry=list(lsoas.loc[[codes[0], codes[0], codes[1]]].geometry.representative_point()),
        crs=27700,
    )
    homes = gapview.homes_per_lsoa(stock, lsoas, by_code=True)
    assert homes.index.equals(lsoas.index)
    assert homes[codes[0]] == 7 and homes[codes[1]] == 1 and homes[codes[2]] == 0
    by_place = gapview.homes_per_lsoa(stock.drop(columns="lsoa_code"), lsoas, by_code=False)
    pd.testing.assert_series_equal(by_place, homes)
    no_units = gapview.homes_per_lsoa(stock.drop(columns="units"), lsoas, by_code=True)
    assert no_units[codes[0]] == 2


def test_ha_share_is_scaled_to_the_maximum():
    homes = pd.Series([0.0, 10.0, 50.0, 5.0], index=list("abcd"))
    pop = pd.Series([1000, 1000, 500, 0], index=list("abcd"))
    share = gapview.ha_share(homes, pop)
    assert share.tolist() == [0.0, 0.1, 1.0, 0.0]  # no residents: 0, not infinite
    assert gapview.ha_share(homes * 0, pop).eq(0).all()


def test_normalise_weights():
    assert gapview.normalise_weights({"health": 1, "income": 3, "crime": 0}) == {
        "health": 0.25,
        "income": 0.75,
    }
    assert gapview.normalise_weights({"health": 0}) == {}
    assert gapview.normalise_weights({"nonsense": 1}) == {}


# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------
def test_compute_gaps_all_themes_is_london_wide(lsoas, oas, services):
    params = gapview.GapParams(detour=DETOUR)
    table = gapview.compute_gaps(lsoas, _model(oas, services), params)
    assert len(table) == len(lsoas)
    assert table["gap"].is_monotonic_decreasing
    assert table["rank"].iloc[0] == 1
    assert table["gap"].between(-1, 1).all()
    present = [t for t in THEMES if t != OTHER]
    assert [c for c in table.columns if c.startswith("within_")] == [
        *(f"within_{t}" for t in present),
        "within_all",
    ]
    assert [c for c in table.columns if c.startswith("nearest_")] == ["nearest_m", "nearest_all_m"]
    assert table["reach_share"].between(0, 1).all()
    assert (table["reach_share"] == table["reach_all"]).all()
    assert (table["nearest_m"] == table["nearest_all_m"]).all()
    assert set(table["bivariate_class"]) <= set(gap.BIVARIATE_COLOURS)
    assert table["class_label"].notna().all()
    assert table["borough_code"].eq(lsoas["borough_code"].reindex(table.index)).all()
    # the neighbourhoods holding the services are well served
    th = table[table["borough_code"] == TOWER_HAMLETS]
    assert th["within_all"].sum() > 0
    holding = services.sjoin(lsoas[["geometry"]], predicate="within")["lsoa_code"]
    assert table.loc[holding, "access"].gt(0).all()
    # far from every service (Havering, 20 km east): nobody in reach, a long median walk
    far = table[table["borough_code"] == "E09000016"]
    assert (far["reach_share"] == 0).all() and (far["nearest_m"] > 1600).all()


def test_compute_gaps_one_theme_names_it(lsoas, oas, services):
    theme = "Digital inclusion"
    params = gapview.GapParams(
        theme=theme, decay="gaussian", demand="population_65plus", detour=DETOUR
    )
    table = gapview.compute_gaps(lsoas, _model(oas, services), params)
    assert f"within_{theme}" in table.columns and "within_Financial inclusion" not in table
    assert f"nearest_{theme}_m" in table.columns
    assert (table["reach_share"] == table[f"reach_{theme}"]).all()
    assert table["reason"].str.contains(f"{theme} place within 800 m").all()
    assert (table["demand"] == lsoas["population_65plus"].reindex(table.index)).all()
    # only the digital services give access
    assert (table.loc[table[f"within_{theme}"] == 0, "access"] == 0).all()
    assert (table.loc[table[f"within_{theme}"] > 0, "access"] > 0).all()


def test_compute_gaps_needs_the_models_detour(lsoas, oas, services):
    with pytest.raises(ValueError, match="detour"):
        gapview.compute_gaps(lsoas, _model(oas, services), gapview.GapParams(detour=1.2))


def test_disabled_residents_as_demand(lsoas, oas, services):
    params = gapview.GapParams(demand="disabled", detour=DETOUR)
    table = gapview.compute_gaps(lsoas, _model(oas, services), params)
    assert (table["demand"] == lsoas["disabled"].reindex(table.index)).all()
    plain = gapview.compute_gaps(lsoas, _model(oas, services), gapview.GapParams(detour=DETOUR))
    assert not np.allclose(table["access"], plain["access"].reindex(table.index))
    shown = gapview.display_table(table, params)
    assert "Disabled residents" in shown.columns
    assert "Access (per 1,000 disabled residents)" in shown.columns


def test_reasons_say_who_is_in_reach():
    cols = pd.DataFrame(
        {
            "reach_share": [0.0, 0.234, 1.0],
            "nearest_m": [1450.0, 230.0, np.nan],
        },
        index=list("abc"),
    )
    dep = pd.Series(["Deprived", "Need higher than 50%", "X"], index=list("abc"))
    out = oa_gaps.reasons(dep, cols, "Digital inclusion", 800.0)
    assert out == [
        "Deprived; no resident has a Digital inclusion place within 800 m; the median resident "
        "walks 1.4 km to the nearest one",
        "Need higher than 50%; 23% of residents have a Digital inclusion place within 800 m; the "
        "median resident walks 230 m to the nearest one",
        "X; 100% of residents have a Digital inclusion place within 800 m; no Digital inclusion "
        "place loaded",
    ]
    all_cols = cols.assign(
        reach_all=[0.0, 0.6, 1.0], **{"reach_Employment support": [0.0, 0.4, 1.0]}
    )
    out = oa_gaps.reasons(dep, all_cols, None, 400.0)
    assert out[0].endswith("no resident has a place within 400 m; the median resident walks "
                           "1.4 km to the nearest place")  # fmt: skip
    assert "most residents have no Employment support place within 400 m" in out[1]
    assert "most residents have a place of every theme within 400 m" in out[2]


def test_ha_boost_raises_need_only_where_homes_are(lsoas, services):
    homes = pd.Series(0.0, index=lsoas.index)
    homes.iloc[:5] = 100.0
    base = gapview.compute_need(lsoas, gapview.GapParams(), homes)
    boosted = gapview.compute_need(lsoas, gapview.GapParams(ha_boost=1.0), homes)
    diff = boosted - base
    assert np.allclose(diff.iloc[5:], 0)
    assert (diff.iloc[:5] > 0).all() and diff.max() == pytest.approx(1.0)


def test_capacity_changes_access(lsoas, oas, services):
    svc = services.assign(capacity=[10.0] + [np.nan] * (len(services) - 1))
    model = _model(oas, svc)
    plain = gapview.compute_gaps(lsoas, model, gapview.GapParams(detour=DETOUR))
    cap = gapview.compute_gaps(lsoas, model, gapview.GapParams(use_capacity=True, detour=DETOUR))
    assert not np.allclose(plain["access"], cap["access"].reindex(plain.index))


def test_need_only_table_has_no_access(lsoas):
    params = gapview.GapParams(weights=(("health", 2.0), ("crime", 1.0)))
    table = gapview.need_only_table(lsoas, params)
    assert len(table) == len(lsoas)
    assert not {"access", "gap", "access_pct"} & set(table.columns)
    assert table["need"].is_monotonic_decreasing
    assert table["rank"].tolist() == list(range(1, len(lsoas) + 1))
    assert {"health_decile", "crime_decile"} <= set(table.columns)
    assert "income_decile" not in table.columns
    assert not table["reason"].str.contains("within|nearest").any()


# --------------------------------------------------------------------------------------------
# presentation
# --------------------------------------------------------------------------------------------
def test_display_table_filters_boroughs_and_keeps_london_ranks(lsoas, oas, services):
    params = gapview.GapParams(detour=DETOUR)
    table = gapview.compute_gaps(lsoas, _model(oas, services), params)
    before_name = table.index.name
    shown = gapview.display_table(table, params, (TOWER_HAMLETS,))
    assert table.index.name == before_name  # the cached table is not changed
    assert shown.index.name == "LSOA code"
    assert set(shown["Borough"]) == {"Tower Hamlets"}
    assert shown["Rank in selection"].tolist() == list(range(1, len(shown) + 1))
    assert shown["London rank"].is_monotonic_increasing
    assert "Places within 800 m (average resident): any theme" in shown.columns
    assert "Residents with a place within 800 m" in shown.columns
    assert "Median resident's walk to the nearest place (m)" in shown.columns
    assert "Reason" in shown.columns
    london = gapview.display_table(table, params)
    assert "Rank in selection" not in london.columns and len(london) == len(lsoas)


def test_pilot_display_does_not_rename_the_source(lsoas, oas, services):
    table = gapview.compute_gaps(lsoas, _model(oas, services), gapview.GapParams(detour=DETOUR))
    pilots = gap.pilot_candidates(lsoas, table["gap"], n=3)
    shown = gapview.pilot_display(pilots, has_stock=False)
    assert pilots.index.name == "candidate"
    assert shown.index.name == "Candidate"
    assert "Your homes" not in shown.columns
    assert len(shown) == len(pilots)


def test_metadata_and_header_lines():
    params = gapview.GapParams(theme="Financial inclusion", catchment=1200.0, detour=1.57)
    meta = gapview.metadata(
        params,
        borough_names={TOWER_HAMLETS: "Tower Hamlets"},
        boroughs=(TOWER_HAMLETS,),
        n_services=40,
        n_services_theme=5,
        n_homes=None,
        sources="Synthetic sources",
    )
    lines = gapview.header_lines(meta)
    for expected in (
        "vintage=iod2025",
        "boroughs=Tower Hamlets (E09000030)",
        "theme=Financial inclusion",
        "catchment_m=1200.0",
        "detour_factor=1.57",
        "distance=on the streets where the network covers, else straight line x detour",
        "decay=step",
        "demand=population",
        "need_weights=health=0.3333; income=0.3333; employment=0.3333",
        "services_loaded=40",
        "services_in_theme=5",
        "sources=Synthetic sources",
    ):
        assert expected in lines
    csv = safe_csv(pd.DataFrame({"a": [1]}), header_lines=lines).decode("utf-8-sig")
    assert csv.startswith("# title=")
    assert '"Safer, stronger' not in csv


def test_count_high_gap():
    assert gapview.count_high_gap(pd.DataFrame({"gap": [0.9, 0.5, 0.1, np.nan]})) == 2
    assert gapview.count_high_gap(pd.DataFrame({"need": [1.0]})) == 0


def test_script_names_are_data_not_markup(lsoas, oas):
    svc = gpd.GeoDataFrame(
        {"name": ["<script>alert(1)</script>"], "theme": ["Digital inclusion"]},
        geometry=[Point(lsoas.geometry.iloc[0].centroid.coords[0])],
        crs=27700,
    )
    table = gapview.compute_gaps(lsoas, _model(oas, svc), gapview.GapParams(detour=DETOUR))
    assert not table["reason"].str.contains("<script>").any()


@pytest.mark.parametrize(
    ("metres", "text"),
    [(0.0, "0 m"), (874.0, "870 m"), (996.0, "1.0 km"), (1449.0, "1.4 km"), (12_345.0, "12.3 km")],
)
def test_fmt_metres(metres, text):
    assert gap.fmt_metres(metres) == text  # distances in reasons, shared by geo.analysis.gapview


def test_theme_mask_and_count_places_on_text_and_list_themes():
    """Synthetic: themes as "; "-joined text (the bundled directory) or lists (parsed
    uploads); a park's edge points share one facility and count once."""
    services = gpd.GeoDataFrame(
        {
            "themes": [
                "Health and wellbeing; Physical environment",
                "Digital inclusion",
                ["Digital inclusion", "Employment support"],
                "Health and wellbeing; Physical environment",
                None,
            ],
            "facility": ["park:1", "lib:1", "up:1", "park:1", "x:1"],
        },
        geometry=gpd.points_from_xy([0, 1, 2, 3, 4], [0, 0, 0, 0, 0]),
        crs=27700,
    )
    mask = gapview.theme_mask(services, "Physical environment")
    assert mask.tolist() == [True, False, False, True, False]
    assert gapview.theme_mask(services, "Digital inclusion").tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert gapview.theme_mask(services, gapview.ALL_THEMES).all()
    assert gapview.count_places(services, "Physical environment") == 1  # one park
    assert gapview.count_places(services, "Digital inclusion") == 2
    assert gapview.count_places(services) == 4
    assert len(gapview.in_theme(services, "Digital inclusion")) == 2
