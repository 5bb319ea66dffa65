"""Tests for geo.uploads.columns: which column plays which role.

All data here is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates). ``london`` (conftest) is two synthetic square "boroughs" in EPSG:27700
around (530000, 180000) -- central London -- so the tests do not depend on the processed data.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from synthetic_uploads import synthetic_csv

from geo.uploads import (
    UploadError,
    detect_columns,
    locate,
    read_table,
)


# ------------------------------------------------------------------------------------------
# detect_columns
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Scheme Name", "Post Code", "Lat", "Lng", "No. of units", "Tenure", "UPRN"],
            {
                "scheme": "Scheme Name",
                "postcode": "Post Code",
                "latitude": "Lat",
                "longitude": "Lng",
                "units": "No. of units",
                "tenure": "Tenure",
                "uprn": "UPRN",
            },
        ),
        (
            ["property_id", "post_code", "LATITUDE", "LONG", "landlord", "Homes"],
            {
                "id": "property_id",
                "postcode": "post_code",
                "latitude": "LATITUDE",
                "longitude": "LONG",
                "provider": "landlord",
                "units": "Homes",
            },
        ),
        (
            ["X", "Y", "pcd", "Housing Association", "Bedspaces", "Type"],
            {
                "easting": "X",
                "northing": "Y",
                "postcode": "pcd",
                "provider": "Housing Association",
                "units": "Bedspaces",
                "tenure": "Type",
            },
        ),
        (
            [
                "Address",
                "Scheme postcode",
                "Eastings (BNG)",
                "Northings (BNG)",
                "Number of homes (total)",
                "General needs / supported",
            ],
            {
                "scheme": "Address",
                "postcode": "Scheme postcode",
                "easting": "Eastings (BNG)",
                "northing": "Northings (BNG)",
                "units": "Number of homes (total)",
            },
        ),
        (
            ["lon", "lat", "east", "north"],
            {"longitude": "lon", "latitude": "lat", "easting": "east", "northing": "north"},
        ),
    ],
)
def test_detect_stock_columns(headers: list[str], expected: dict[str, str]) -> None:
    mapping = detect_columns(pd.DataFrame(columns=headers), kind="stock")
    assert set(mapping) == {
        "postcode",
        "latitude",
        "longitude",
        "easting",
        "northing",
        "provider",
        "units",
        "tenure",
        "scheme",
        "uprn",
        "id",
    }
    for role, col in expected.items():
        assert mapping[role] == col, role
    used = [c for c in mapping.values() if c is not None]
    assert len(used) == len(set(used))


def test_detect_service_columns() -> None:
    headers = [
        "Service name",
        "Category",
        "Description",
        "Postcode",
        "Opening times",
        "Contact email",
        "Website URL",
        "Places",
        "Organisation",
    ]
    mapping = detect_columns(pd.DataFrame(columns=headers), kind="services")
    assert mapping["name"] == "Service name"
    assert mapping["theme"] == "Category"
    assert mapping["description"] == "Description"
    assert mapping["postcode"] == "Postcode"
    assert mapping["opening_hours"] == "Opening times"
    assert mapping["contact"] == "Contact email"
    assert mapping["website"] == "Website URL"
    assert mapping["capacity"] == "Places"
    assert mapping["latitude"] is None


def test_detect_no_usable_columns_and_locate_refuses(london: gpd.GeoDataFrame) -> None:
    df = read_table(synthetic_csv("foo,bar", "synthetic 1,synthetic 2"), "synthetic.csv")
    mapping = detect_columns(df)
    assert all(v is None for v in mapping.values())
    with pytest.raises(UploadError, match="No location columns"):
        locate(df, mapping, london=london)


def test_locate_refuses_unknown_mapped_column(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"postcode": ["SW1A 1AA"]})
    with pytest.raises(UploadError, match="not in the file"):
        locate(df, {"postcode": "Post Code"}, london=london)
