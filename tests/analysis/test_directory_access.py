"""Bundled directory + uploads, park edges, link-worker access, pilot priority (synthetic data).

Every frame here is a small synthetic fixture in EPSG:27700 (made-up places on a 1 km grid),
so the expected numbers can be worked out by hand.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.analysis import access, beyond, gap, gapview, provision, walkaccess

CATS = {
    "gp_practice": {"label": "GP practices"},
    "park": {"label": "Parks"},
    "jobcentre": {"label": "Jobcentre Plus"},
}
NO_OPEN = {"Financial inclusion": "synthetic reason: nothing open"}


def _synthetic_lsoas() -> gpd.GeoDataFrame:
    """Four synthetic 1 km square 'LSOAs' in a row, two boroughs."""
    return gpd.GeoDataFrame(
        {
            "lsoa_name": [f"Synthetic {k}" for k in range(4)],
            "borough_code": ["B1", "B1", "B2", "B2"],
            "borough_name": ["Synthetic borough 1"] * 2 + ["Synthetic borough 2"] * 2,
            "population": [1000.0, 2000.0, 1000.0, 1000.0],
            "ha_households": [100.0, 50.0, 10.0, 0.0],
        },
        geometry=[box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(4)],
        index=pd.Index([f"S{k}" for k in range(4)], name="lsoa_code"),
        crs=27700,
    )


def _synthetic_oas() -> pd.DataFrame:
    """One synthetic Output Area per synthetic LSOA, at its centre, with all its residents."""
    lsoas = _synthetic_lsoas()
    centre = lsoas.geometry.centroid
    return pd.DataFrame(
        {
            "oa_code": [f"O{k}" for k in range(4)],
            "lsoa21_code": lsoas.index.to_numpy(),
            "lsoa11_code": lsoas.index.to_numpy(),
            "population": lsoas["population"].to_numpy(),
            "x": centre.x.to_numpy(),
            "y": centre.y.to_numpy(),
        }
    )


def _model(supply: gpd.GeoDataFrame) -> walkaccess.AccessModel:
    """Straight lines (detour 1, no street network) from the synthetic OAs to ``supply``."""
    return walkaccess.upload_model(_synthetic_oas(), supply, None, detour=1.0)


def _synthetic_services() -> gpd.GeoDataFrame:
    """Two synthetic GP practices of one PCN and a jobcentre also tagged Financial inclusion."""
    return gpd.GeoDataFrame(
        {
            "name": ["Synthetic GP A", "Synthetic GP B", "Synthetic jobcentre"],
            "category": ["gp_practice", "gp_practice", "jobcentre"],
            "theme": ["Health and wellbeing", "Health and wellbeing", "Employment support"],
            "themes": [
                "Health and wellbeing",
                "Health and wellbeing",
                "Employment support; Financial inclusion",
            ],
            "kind": "service",
            "source": "synthetic",
            "vintage": ["December 2025", "December 2025", "2016"],
            "vintage_year": [2025, 2025, 2016],
            "borough_code": ["B1", "B2", "B1"],
            "borough_name": ["Synthetic borough 1", "Synthetic borough 2", "Synthetic borough 1"],
            "capacity": [3000.0, 1000.0, 1.0],
            "pcn_code": ["P1", "P1", None],
            "registered_patients": [3000.0, 1000.0, np.nan],
            "pcn_lw_fte": [2.0, 2.0, np.nan],
            "lw_fte_allocated": [1.5, 0.5, np.nan],
        },
        geometry=[Point(500, 500), Point(3500, 500), Point(1500, 500)],
        index=pd.Index(["gp:A", "gp:B", "jobcentre:1"], name="service_id"),
        crs=27700,
    )


def _synthetic_park() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """One large synthetic park (x 2,000..2,900) and its edge points every 50 m."""
    poly = box(2000, 100, 2900, 900)
    parks = gpd.GeoDataFrame(
        {
            "name": ["Synthetic park"],
            "category": ["park"],
            "theme": ["Physical environment"],
            "themes": ["Physical environment; Health and wellbeing"],
            "kind": ["service"],
            "vintage": ["2019"],
            "vintage_year": [2019],
            "borough_code": ["B2"],
            "borough_name": ["Synthetic borough 2"],
        },
        geometry=[poly],
        index=pd.Index(["park:1"], name="park_id"),
        crs=27700,
    )
    ring = poly.exterior
    pts = [ring.interpolate(d) for d in np.arange(0, ring.length, 50.0)]
    edges = gpd.GeoDataFrame({"park_id": ["park:1"] * len(pts)}, geometry=pts, crs=27700)
    return parks, edges


@pytest.fixture
def directory() -> gpd.GeoDataFrame:
    parks, _ = _synthetic_park()
    return provision.bundled_directory(
        _synthetic_services(), parks, categories=CATS, no_open_data=NO_OPEN, today_year=2026
    )


def test_bundled_directory_labels_sources_and_drops_no_open_data_themes(directory):
    assert list(directory.index) == ["gp:A", "gp:B", "jobcentre:1", "park:1"]
    job = directory.loc["jobcentre:1"]
    # the jobcentre's secondary theme has no open data: bundled rows never serve it
    assert job["themes"] == ["Employment support"]
    assert job["source_label"] == "DWP, 2016 (old data)"
    assert directory.loc["gp:A", "source_label"] == "NHS England, December 2025"
    assert directory.loc["park:1", "category_label"] == "Parks"
    assert directory.loc["park:1"].geometry.within(box(2000, 100, 2900, 900))
    assert set(directory["origin"]) == {"bundled"}


def test_combine_modes_and_origin(directory):
    mine = gpd.GeoDataFrame(
        {"row": [2], "name": ["My money advice"], "theme": ["Financial inclusion"]},
        geometry=[Point(3500, 500)],
        crs=27700,
    )
    both = provision.combine(directory, mine, "both")
    assert len(both) == 5
    assert both.loc["upload:2", "source_label"] == provision.UPLOAD
    assert both.loc["upload:2", "themes"] == ["Financial inclusion"]
    only = provision.combine(directory, mine, "mine")
    assert list(only.index) == ["upload:2"]
    assert provision.combine(directory, None, "mine") is None
    with pytest.raises(ValueError, match="mode"):
        provision.combine(directory, None, "mine and theirs")
    assert "Financial inclusion" in provision.uncovered_themes(directory, NO_OPEN)
    assert "Financial inclusion" not in provision.uncovered_themes(both, NO_OPEN)
    assert provision.uncovered_themes(directory, NO_OPEN)["Financial inclusion"].startswith(
        "synthetic reason"
    )


def test_park_is_reached_at_its_edge_and_counts_once(directory):
    _, edges = _synthetic_park()
    supply = provision.access_supply(directory, edges)
    assert (supply["facility"] == "park:1").sum() == len(edges)
    lsoas = _synthetic_lsoas()
    # S1's centroid (1500, 500) is 500 m from the park's west edge (x = 2000), 950 m from the
    # inside point; with detour 1 and a 600 m catchment only the edge puts it in reach.
    within = access.services_within(
        lsoas, supply, catchment=600, detour=1, by="themes", facility_col="facility"
    )
    assert within.loc["S1", "Physical environment"] == 1  # once, not once per edge point
    no_edges = access.services_within(lsoas, directory, catchment=600, detour=1, by="themes")
    assert no_edges.loc["S1", "Physical environment"] == 0
    near = access.nearest_service(lsoas, supply, detour=1, by="themes")
    assert near.loc["S1", "Physical environment"] == pytest.approx(500.0)
    # E2SFCA: the park (capacity 1) is shared by S1, S2 and S3 (S3's centroid is inside the
    # catchment of the east edge), each once: 1 / (2000 + 1000 + 1000) per person.
    parks_only = supply[supply["facility"] == "park:1"]
    acc = access.e2sfca(lsoas, parks_only, catchment=600, detour=1, facility_col="facility")
    assert acc["S1"] == pytest.approx(1 / 4000)
    assert acc["S0"] == 0


def test_ha_beyond_reach_counts_households_by_borough(directory):
    lsoas = _synthetic_lsoas()
    out = beyond.ha_beyond_reach(lsoas, _model(directory), catchment=600)
    # Health: GP A (S0), GP B (S3); the park's inside point is ~950 m from S1, S2 centres
    health = out["Health and wellbeing: beyond reach"]
    assert health["B1"] == 50.0 and health["B2"] == 0.0 and health["London"] == 50.0
    assert out.loc["London", "total"] == 160.0
    assert out.loc["B1", "Health and wellbeing: share"] == pytest.approx(50 / 150)
    assert "Financial inclusion: beyond reach" not in out.columns  # no data, no figure


def test_ha_beyond_reach_in_proportion_to_residents_beyond_reach(directory):
    """Two synthetic OAs in S1 (500 and 1,500 residents): only the first reaches GP A, so a
    quarter of S1's 50 HA households are within reach and three quarters beyond."""
    lsoas = _synthetic_lsoas()
    oas = _synthetic_oas()
    s1 = oas["lsoa21_code"] == "S1"
    oas = pd.concat(
        [
            oas[~s1],
            pd.DataFrame(
                {
                    "oa_code": ["O1a", "O1b"],
                    "lsoa21_code": "S1",
                    "lsoa11_code": "S1",
                    "population": [500.0, 1500.0],
                    # GP A at (500, 500): 500 m and 1,077 m; the park's point (2450, 500):
                    # 1,031 m from the second
                    "x": [1000.0, 1500.0],
                    "y": [500.0, 900.0],
                }
            ),
        ],
        ignore_index=True,
    )
    model = walkaccess.upload_model(oas, directory, None, detour=1.0)
    out = beyond.ha_beyond_reach(lsoas, model, catchment=600)
    assert out.loc["B1", "Health and wellbeing: beyond reach"] == pytest.approx(50 * 0.75)


def test_homes_beyond_reach_uses_units(directory):
    stock = gpd.GeoDataFrame(
        {"units": [10, 5], "borough_code": ["B1", "B2"], "borough_name": ["b1", "b2"]},
        geometry=[Point(600, 500), Point(2500, 2500)],
        crs=27700,
    )
    within, nearest = beyond.home_measures(stock, _model(directory), None, catchment=600)
    assert within.loc[0, "Health and wellbeing"] == 1 and within.loc[1, "all"] == 0
    assert nearest.loc[0, "Health and wellbeing"] == pytest.approx(100.0)
    out = beyond.homes_beyond_reach(stock, within, ["Health and wellbeing"])
    assert out.loc["London", "total"] == 15
    assert out.loc["London", "Health and wellbeing: beyond reach"] == 5


def test_borough_link_workers_and_pcns():
    gps = _synthetic_services().iloc[:2]
    out = provision.borough_link_workers(gps)
    assert out.loc["B1", "lw_per_10k"] == pytest.approx(1.5 / 3000 * 10_000)
    lw = pd.DataFrame(
        {"lw_per_10k": [5.0, 1.0], "borough_codes": ["B1; B2", "B3"]},
        index=pd.Index(["P1", "P2"], name="pcn_code"),
    )
    assert list(provision.pcns_serving(lw, "B2").index) == ["P1"]


def test_compute_gaps_on_lists_of_themes(directory):
    lsoas = _synthetic_lsoas().assign(
        **{f"{d}_score": [4.0, 3.0, 2.0, 1.0] for d in ("health", "income", "employment")}
    )
    _, edges = _synthetic_park()
    supply = provision.access_supply(directory, edges)
    params = gapview.GapParams(theme="Physical environment", catchment=600, detour=1)
    table = gapview.compute_gaps(lsoas, _model(supply), params)
    assert table.loc["S1", "within_Physical environment"] == 1
    assert table["ha_households"].sum() == 160


def test_pilot_priority_orders_by_need_access_and_homes():
    idx = pd.Index(["a", "b", "c"])
    need = pd.Series([0.9, 0.9, 0.1], index=idx)
    acc = pd.Series([0.1, 0.1, 0.1], index=idx)
    homes = pd.Series([0.0, 500.0, 1000.0], index=idx)
    pri = gap.pilot_priority(need, acc, homes)
    assert pri["priority"].idxmax() == "b"  # same need and access as a, more homes
    assert pri.loc["b", "priority"] == pytest.approx(0.4 * 0.9 + 0.4 * 0.9 + 0.2 * 0.5)
    no_homes = gap.pilot_priority(need, acc, None)
    assert no_homes.attrs["weights"]["homes"] == 0
    assert no_homes.loc["a", "priority"] == pytest.approx(0.9)
    with pytest.raises(ValueError):
        gap.pilot_priority(need, acc, homes, {"need": -1})


def test_pilot_candidates_follow_priority_and_explain_it():
    lsoas = _synthetic_lsoas()
    g = pd.Series([0.8, 0.8, 0.7, -0.2], index=lsoas.index)
    pri = gap.pilot_priority(
        pd.Series([0.9, 0.9, 0.8, 0.1], index=lsoas.index),
        pd.Series([0.1, 0.1, 0.1, 0.3], index=lsoas.index),
        lsoas["ha_households"],
    )
    got = gap.pilot_candidates(lsoas, g, contiguity=False, priority=pri, n=3)
    assert got["lsoa_codes"].tolist() == ["S0", "S1", "S2"]  # S0 has more HA households
    assert got.loc[1, "reason"].startswith("Ranked by its first LSOA's priority")
    assert "housing association households percentile" in got.loc[1, "reason"]
    assert got.loc[1, "ha_households"] == 100
