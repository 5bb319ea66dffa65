"""Access models on the bundled data: the build's network distances, uploads measured on the
same network, homes, and straight line x detour where the network does not reach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.analysis import gapview, provision, walkaccess
from geo.data import io
from geo.data.directory import CATEGORIES, NO_OPEN_DATA

CAMDEN = "E09000007"


@pytest.fixture(scope="module")
def oas() -> pd.DataFrame:
    return io.load_oas()


@pytest.fixture(scope="module")
def points() -> gpd.GeoDataFrame:
    directory = provision.bundled_directory(
        io.load_services(), io.load_parks(), categories=CATEGORIES, no_open_data=NO_OPEN_DATA
    )
    return provision.access_supply(directory, io.load_park_edges())


@pytest.fixture(scope="module")
def streets() -> walkaccess.Streets:
    return walkaccess.streets_context(
        io.load_walk_network(), io.load_boroughs("iod2025"), io.load_detour()
    )


@pytest.fixture(scope="module")
def bundled(oas, points, streets) -> walkaccess.AccessModel:
    return walkaccess.bundled_model(
        oas, points, streets, io.load_oa_place_network(), detour=streets.detour
    )


def _pairs(model: walkaccess.AccessModel) -> pd.Series:
    t = model.table
    return pd.Series(
        t.distance,
        index=pd.MultiIndex.from_arrays([t.origin, model.supply.facility_id[t.facility]]),
    )


def test_detour_is_the_measured_one(streets, bundled):
    assert streets.detour == io.load_detour()["detour_default"]
    assert bundled.detour == streets.detour and bundled.distance == "streets"


def test_network_only_where_both_ends_are_in_camden(oas, bundled, streets):
    t = bundled.table
    in_camden = oas["lsoa21_code"].map(io.load_lsoas("iod2025")["borough_code"]) == CAMDEN
    on_net = np.unique(t.origin[t.network])
    assert in_camden.to_numpy()[on_net].all()  # network pairs start in Camden
    assert len(on_net) == 751
    # elsewhere: straight line x the measured detour to the nearest point of the place
    far = int(np.flatnonzero(~in_camden.to_numpy())[0])
    sel = t.origin == far
    assert not t.network[sel].any()
    xy = oas.loc[far, ["x", "y"]].to_numpy(float)
    for f, d in zip(t.facility[sel][:20], t.distance[sel][:20], strict=True):
        pts = bundled.supply.xy[bundled.supply.facility == f]
        straight = np.hypot(*(pts - xy).T).min()
        assert d == pytest.approx(straight * streets.detour)


def test_uploads_are_measured_on_the_network_as_the_build_measured(oas, points, streets, bundled):
    """Camden's bundled pharmacies and a park, given as an "upload", get the same walking
    distances (measured here, on the same network) as the build stored for them."""
    camden = points[(points["borough_code"] == CAMDEN).to_numpy()]
    pick = camden[camden["category"].isin(["pharmacy"]).to_numpy()].iloc[:15]
    park = camden[(camden["category"] == "park").to_numpy()]
    park = park[park["facility"] == park["facility"].iloc[0]]
    upload = pd.concat([pick, park])
    model = walkaccess.upload_model(oas, upload, streets, detour=streets.detour)
    got = _pairs(model)
    ref = _pairs(bundled)
    ref = ref[ref.index.get_level_values(1).isin(set(upload["facility"]))]
    assert model.table.network.any()
    assert set(got.index) == set(ref.index)
    np.testing.assert_allclose(got.sort_index().to_numpy(), ref.sort_index().to_numpy(), atol=0.01)


def test_combined_model_holds_both(oas, points, streets, bundled):
    upload = points.iloc[:3].assign(facility=["mine:1", "mine:2", "mine:3"])
    mine = walkaccess.upload_model(oas, upload, streets, detour=streets.detour)
    both = walkaccess.combine(bundled, mine)
    assert both.supply.n_facilities == bundled.supply.n_facilities + 3
    assert len(both.table.origin) == len(bundled.table.origin) + len(mine.table.origin)
    other = walkaccess.upload_model(oas, upload, streets, detour=1.2)
    with pytest.raises(ValueError, match="detour"):
        walkaccess.combine(bundled, other)


def test_homes_at_oa_centroids_get_the_oa_distances(oas, bundled, streets):
    camden_oas = np.flatnonzero(bundled.table.network)[:1]
    oa = int(bundled.table.origin[camden_oas[0]])
    far = int(
        np.flatnonzero(~np.isin(np.arange(len(oas)), bundled.table.origin[bundled.table.network]))[
            0
        ]
    )
    homes_xy = oas.loc[[oa, far], ["x", "y"]].to_numpy(float)
    table = walkaccess.homes_table(homes_xy, bundled.supply, streets, detour=streets.detour)
    for home, origin in ((0, oa), (1, far)):
        mine = table.distance[table.origin == home]
        ref = bundled.table.distance[bundled.table.origin == origin]
        np.testing.assert_allclose(np.sort(mine), np.sort(ref), atol=0.01)
    assert table.network[table.origin == 0].any() and not table.network[table.origin == 1].any()


def test_straight_everywhere(oas, points, streets):
    model = walkaccess.bundled_model(
        oas, points, streets, io.load_oa_place_network(), detour=1.5, distance="straight"
    )
    assert model.distance == "straight" and not model.table.network.any()
    assert model.network_share == 0.0
    with pytest.raises(ValueError, match="distance"):
        walkaccess.bundled_model(oas, points, streets, None, detour=1.5, distance="crow")


def test_stale_network_distances_are_refused(oas, points, streets):
    moved = points.copy()
    moved.geometry = moved.geometry.translate(5000, 0)  # the places are no longer where built
    with pytest.raises(ValueError, match="python -m geo build"):
        walkaccess.bundled_model(
            oas, moved, streets, io.load_oa_place_network(), detour=streets.detour
        )


def test_iod2019_uses_the_same_oas_on_2011_lsoas(bundled):
    lsoas = io.load_lsoas("iod2019")
    params = gapview.GapParams(vintage="iod2019", theme="Employment support", detour=bundled.detour)
    table = gapview.compute_gaps(lsoas, bundled, params)
    assert len(table) == 4_835 and table.index.isin(lsoas.index).all()
    assert table["reach_share"].between(0, 1).all()
    assert table["reason"].str.contains("an Employment support place within 800 m").all()
    prep = bundled.prepared("iod2019", lsoas.index)
    assert prep.lsoa_population.sum() == 8_799_770  # every resident counted once
