"""Tests for geo.analysis.aggregate.points_per_area on SYNTHETIC squares and points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.aggregate import points_per_area


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    """Four synthetic 1 km squares in a row, EPSG:27700, indexed by lsoa_code."""
    return gpd.GeoDataFrame(
        {"lsoa_name": [f"Synthetic {i}" for i in range(4)]},
        geometry=[
            shapely.box(530_000 + i * 1000, 180_000, 531_000 + i * 1000, 181_000) for i in range(4)
        ],
        index=pd.Index([f"E0199999{i}" for i in range(4)], name="lsoa_code"),
        crs=27700,
    )


def _points(xs: list[float], **cols: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xs, [180_500] * len(xs)), crs=27700)


def test_counts_and_weights_per_area_without_losing_points(areas: gpd.GeoDataFrame) -> None:
    pts = _points(
        [530_100, 530_200, 531_500, 533_900, 533_950],
        lsoa_code=["E01999990", "E01999990", "E01999991", None, "not a code"],
        units=[3, 2, 10, 1, np.nan],
    )
    out = points_per_area(pts, areas, weight="units")
    assert out["points"].sum() == len(pts)
    got = out.set_index("lsoa_code")
    assert got["points"].to_dict() == {"E01999990": 2, "E01999991": 1, "E01999993": 2}
    assert got["units"].to_dict() == {"E01999990": 5, "E01999991": 10, "E01999993": 1}
    assert got.loc["E01999993", "area_name"] == "Synthetic 3"
    # each marker sits inside its area
    for code, geom in zip(out["lsoa_code"], out.geometry, strict=True):
        assert areas.loc[code, "geometry"].contains(geom)


def test_points_outside_every_area_go_to_the_nearest(areas: gpd.GeoDataFrame) -> None:
    pts = _points([529_990, 534_200])  # just west of the first square, east of the last
    out = points_per_area(pts, areas)
    assert out.set_index("lsoa_code")["points"].to_dict() == {"E01999990": 1, "E01999993": 1}


def test_split_by_theme_and_other_crs(areas: gpd.GeoDataFrame) -> None:
    pts = _points(
        [530_100, 530_200, 530_300], theme=["Digital inclusion", "Other", "Other"]
    ).to_crs(4326)
    out = points_per_area(pts, areas, by="theme")
    assert out.crs == pts.crs
    assert sorted(zip(out["theme"], out["points"], strict=True)) == [
        ("Digital inclusion", 1),
        ("Other", 2),
    ]
    with pytest.raises(ValueError, match="CRS"):
        points_per_area(pts.set_crs(None, allow_override=True), areas)
