"""Tests for geo.uploads.locate: placing rows in London or rejecting them with a reason.

All data here is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates). ``london`` (conftest) is two synthetic square "boroughs" in EPSG:27700
around (530000, 180000) -- central London -- so the tests do not depend on the processed data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from synthetic_uploads import EAST, WEST, check_invariant, reasons, synthetic_csv

import geo.data.postcodes
from geo.uploads import (
    COORDS_DMS,
    POSTCODE_NOT_FOUND,
    REJECTION_REASONS,
    detect_columns,
    locate,
    read_table,
    summarise_upload,
)
from geo.uploads.locate import postcode_not_found_reason


# ------------------------------------------------------------------------------------------
# locate
# ------------------------------------------------------------------------------------------
def test_latitude_longitude_accepted_with_boroughs(london: gpd.GeoDataFrame) -> None:
    df = read_table(
        synthetic_csv("name,lat,lon", "synthetic w,51.50,-0.15", "synthetic e,51.51,-0.05"),
        "synthetic.csv",
    )
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert isinstance(accepted, gpd.GeoDataFrame)
    assert accepted.crs.to_epsg() == 27700
    assert accepted["borough_code"].tolist() == [WEST, EAST]
    assert accepted["borough_name"].tolist() == ["Synthetic West", "Synthetic East"]
    assert accepted["row"].tolist() == [2, 3]
    assert accepted["location_source"].tolist() == ["latitude/longitude"] * 2
    assert list(accepted.columns[:4]) == ["row", "name", "lat", "lon"]
    # ~ (528 500, 179 600) for 51.50, -0.15 (OSGB36 grid within a few metres)
    assert accepted.geometry.iloc[0].x == pytest.approx(528_500, abs=600)


def test_latitude_longitude_swapped_detected(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"name": ["synthetic"], "latitude": ["-0.12"], "longitude": ["51.5"]})
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert len(accepted) == 1
    assert accepted["location_source"].iloc[0] == "latitude/longitude, swapped"
    assert accepted["borough_code"].iloc[0] == EAST


def test_easting_northing_and_swapped_grid(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame(
        {
            "name": ["synthetic a", "synthetic b", "synthetic c"],
            "Easting": ["525000", "185000", "531000.5"],
            "Northing": ["175000", "535000", "181000.25"],
        }
    )
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["location_source"].tolist() == [
        "British National Grid",
        "British National Grid, swapped",
        "British National Grid",
    ]
    assert accepted.geometry.x.tolist() == [525000, 535000, 531000.5]
    assert accepted["borough_code"].tolist() == [WEST, EAST, EAST]


def test_degrees_in_xy_columns_and_numeric_input(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"x": [-0.15, 525_000.0], "y": [51.5, 175_000.0]})
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["location_source"].tolist() == ["latitude/longitude", "British National Grid"]
    assert accepted["row"].tolist() == [2, 3]  # position + 2 when the index is not "row"


def test_non_numeric_nan_inf_and_incomplete_coordinates(london: gpd.GeoDataFrame) -> None:
    df = read_table(
        synthetic_csv(
            "name,latitude,longitude",
            "synthetic 1,abc,-0.1",
            "synthetic 2,51.5,1,2",
            "synthetic 3,NaN,-0.1",
            "synthetic 4,51.5,inf",
            "synthetic 5,-Infinity,-0.1",
            "synthetic 6,51.5,",
            "synthetic 7,,",
            "synthetic 8,51.5,-0.1",
            "synthetic 9,51\u00b075',-0.1",  # 75 minutes: not a readable DMS value
        ).replace(b"51.5,1,2", b'"51.5,1",2'),
        "synthetic.csv",
    )
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert reasons(rejected) == {
        2: "coordinates not numeric",
        3: "coordinates not numeric",
        4: "coordinates not finite",
        5: "coordinates not finite",
        6: "coordinates not finite",
        7: "coordinates incomplete",
        8: "no location",
        10: "degrees/minutes/seconds not understood",
    }
    assert accepted["row"].tolist() == [9]


def test_outside_london(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame(
        {
            "name": [
                "synthetic edinburgh",
                "synthetic null island",
                "synthetic far grid",
                "synthetic inside",
            ],
            "lat": ["55.95", "0", "", "51.5"],
            "lon": ["-3.19", "0", "", "-0.12"],
            "easting": ["", "", "400000", ""],
            "northing": ["", "", "300000", ""],
        }
    )
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert reasons(rejected) == {2: "outside London", 3: "outside London", 4: "outside London"}


def test_postcode_only_without_lookup_never_guessed(london: gpd.GeoDataFrame) -> None:
    df = read_table(
        synthetic_csv(
            "name,postcode",
            "synthetic 1,SW1A 1AA",
            "synthetic 2,e16an",
            "synthetic 3,NOT A POSTCODE",
            "synthetic 4,",
        ),
        "synthetic.csv",
    )
    accepted, rejected = locate(df, detect_columns(df), london=london, postcodes=None)
    check_invariant(df, accepted, rejected)
    assert len(accepted) == 0
    assert reasons(rejected) == {
        2: "postcode lookup not installed",
        3: "postcode lookup not installed",
        4: "bad postcode",
        5: "no location",
    }


def test_postcode_with_synthetic_lookup(
    london: gpd.GeoDataFrame, synthetic_lookup: pd.DataFrame
) -> None:
    df = read_table(
        synthetic_csv(
            "name,postcode",
            "synthetic 1,sw1a1aa",
            "synthetic 2, E1  6AN ",
            "synthetic 3,W1A 0AX",  # well formed, not in the synthetic lookup
            "synthetic 4,12345",
            "synthetic 5,SE1 7PB",  # in the lookup but placed outside the synthetic London
            "synthetic 6,QQ1 1QQ",
        ),
        "synthetic.csv",
    )
    accepted, rejected = locate(df, detect_columns(df), london=london, postcodes=synthetic_lookup)
    check_invariant(df, accepted, rejected)
    assert accepted["row"].tolist() == [2, 3]
    assert accepted["location_source"].tolist() == ["postcode", "postcode"]
    assert accepted.geometry.x.tolist() == [529_000, 533_500]
    assert accepted["borough_code"].tolist() == [WEST, EAST]
    assert accepted["postcode"].tolist() == ["sw1a1aa", " E1  6AN "]  # original kept
    assert reasons(rejected) == {
        4: POSTCODE_NOT_FOUND,  # names the lookup's release once geo.data.postcodes has a label
        5: "bad postcode",
        6: "outside London",
        7: "bad postcode",
    }


def test_first_usable_source_wins(london: gpd.GeoDataFrame, synthetic_lookup: pd.DataFrame) -> None:
    df = pd.DataFrame(
        {
            "easting": ["n/a", "525000", ""],
            "northing": ["n/a", "175000", ""],
            "latitude": ["", "51.5", "51.5"],
            "longitude": ["", "-0.05", "-0.05"],
            "postcode": ["SW1A 1AA", "E1 6AN", "E1 6AN"],
        }
    )
    mapping = detect_columns(df)
    accepted, rejected = locate(df, mapping, london=london, postcodes=synthetic_lookup)
    check_invariant(df, accepted, rejected)
    assert accepted["location_source"].tolist() == [
        "postcode",
        "British National Grid",
        "latitude/longitude",
    ]
    accepted, rejected = locate(df, mapping, london=london, postcodes=None)
    assert reasons(rejected) == {2: "coordinates not numeric"}


def test_duplicates_rejected_first_kept(london: gpd.GeoDataFrame) -> None:
    df = read_table(
        synthetic_csv(
            "id,scheme,lat,lon",
            "1,synthetic court,51.5,-0.12",
            "2,synthetic court,51.5,-0.12",  # different id: kept
            "1,synthetic court,51.5,-0.12",  # exact repeat of row 2: duplicate
            "1,synthetic court,-0.12,51.5",  # same place written swapped: duplicate
            "1,synthetic court,51.45,-0.12",  # other place: kept
        ),
        "synthetic.csv",
    )
    mapping = detect_columns(df)
    accepted, rejected = locate(df, mapping, london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["row"].tolist() == [2, 3, 6]
    assert reasons(rejected) == {4: "duplicate", 5: "duplicate"}
    # Identify duplicates by scheme + location only.
    accepted, rejected = locate(df, mapping, london=london, duplicate_on=["scheme"])
    assert accepted["row"].tolist() == [2, 6]


def test_added_column_names_do_not_overwrite_upload(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame(
        {
            "borough_name": ["synthetic own borough", "x"],
            "reason": ["synthetic note", "y"],
            "lat": ["51.5", "55"],
            "lon": ["-0.12", "-3"],
        }
    )
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["borough_name_upload"].tolist() == ["synthetic own borough"]
    assert accepted["borough_name"].tolist() == ["Synthetic East"]
    assert rejected["reason_upload"].tolist() == ["y"]
    assert rejected["reason"].tolist() == ["outside London"]
    assert accepted.attrs["renamed_columns"] == {
        "borough_name": "borough_name_upload",
        "reason": "reason_upload",
    }


def test_lsoa_codes_added(london: gpd.GeoDataFrame) -> None:
    lsoas = gpd.GeoDataFrame(
        geometry=[shapely.box(520_000, 170_000, 530_000, 180_000)],
        index=pd.Index(["E01999991"], name="lsoa_code"),
        crs=27700,
    )
    df = pd.DataFrame({"easting": [525_000, 535_000], "northing": [175_000, 185_000]})
    accepted, rejected = locate(df, detect_columns(df), london=london, lsoas=lsoas)
    check_invariant(df, accepted, rejected)
    assert accepted["lsoa_code"].iloc[0] == "E01999991"
    assert pd.isna(accepted["lsoa_code"].iloc[1])


def test_london_in_wgs84_is_reprojected(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"easting": [525_000], "northing": [175_000]})
    accepted, _ = locate(df, detect_columns(df), london=london.to_crs(4326))
    assert accepted["borough_code"].tolist() == [WEST]


def test_empty_frame(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"postcode": pd.Series([], dtype="str")})
    accepted, rejected = locate(df, {"postcode": "postcode"}, london=london)
    check_invariant(df, accepted, rejected)


def test_summarise_upload_counts_and_invariant(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"lat": ["51.5", "x", "55", "51.5"], "lon": ["-0.1", "0", "-3", "-0.1"]})
    accepted, rejected = locate(df, detect_columns(df), london=london)
    summary = summarise_upload(accepted, rejected, rows_read=4)
    assert summary == {
        "rows_read": 4,
        "accepted": 1,
        "rejected": 3,
        "by_reason": {"coordinates not numeric": 1, "outside London": 1, "duplicate": 1},
        "by_source": {"latitude/longitude": 1},
    }
    with pytest.raises(AssertionError, match="mismatch"):
        summarise_upload(accepted, rejected, rows_read=5)


# ------------------------------------------------------------------------------------------
# Issue 11: decimal commas, degrees-minutes-seconds, the lookup's name in the reason
# ------------------------------------------------------------------------------------------
def test_european_csv_coordinates_with_decimal_commas_are_placed(
    london: gpd.GeoDataFrame,
) -> None:
    df = read_table(
        synthetic_csv(
            "Naam;Latitude;Longitude",
            "synthetic 1;51,5080;-0,1281",
            "synthetic 2;51,52;-0,07",
            "synthetic 3;abc;-0,07",
        ),
        "synthetic_export.csv",
    )
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["row"].tolist() == [2, 3]
    expected = gpd.GeoSeries.from_xy([-0.1281, -0.07], [51.508, 51.52], crs=4326).to_crs(27700)
    assert np.allclose(accepted.geometry.x, expected.x) and np.allclose(
        accepted.geometry.y, expected.y
    )
    assert reasons(rejected) == {4: "coordinates not numeric"}
    assert any("decimal comma" in w for w in accepted.attrs["warnings"])


def test_grid_references_with_decimal_commas_and_dot_thousands(london: gpd.GeoDataFrame) -> None:
    df = read_table(
        synthetic_csv("ref;easting;northing", "a;530.047,5;180.422", "b;531000,0;181000,25"),
        "synthetic.csv",
    )
    assert df.attrs["decimal"] == ","
    accepted, _ = locate(df, detect_columns(df), london=london)
    assert accepted.geometry.x.tolist() == [530_047.5, 531_000.0]
    assert accepted.geometry.y.tolist() == [180_422.0, 181_000.25]


def test_comma_is_not_a_decimal_mark_in_a_comma_file(london: gpd.GeoDataFrame) -> None:
    df = read_table(synthetic_csv("name,latitude,longitude", 'a,"51,5","-0,1"'), "s.csv")
    accepted, rejected = locate(df, detect_columns(df), london=london)
    assert reasons(rejected) == {2: "coordinates not numeric"}


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ("51\u00b030'26\"N", "0\u00b007'39\"W"),
        ("51\u00b0 30' 26\" N", "0\u00b0 7' 39\" W"),
        ("N 51 30 26", "W 0 7 39"),
        ("51:30:26", "-0:07:39"),
        ("51\u00b030\u203226\u2033N", "0\u00b007\u203239\u2033W"),
        ("51d30m26sN", "0d7m39sW"),
        ("51\u00ba30'26''N", "0\u00ba07'39''W"),
    ],
)
def test_degrees_minutes_seconds_are_read(london: gpd.GeoDataFrame, lat: str, lon: str) -> None:
    frame = pd.DataFrame(
        {
            "name": ["synthetic dms", "synthetic decimal"],
            "latitude": [lat, "51.507222"],
            "longitude": [lon, "-0.1275"],
        }
    )
    df = read_table(frame.to_csv(index=False).encode(), "synthetic.csv")
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert len(accepted) == 2, reasons(rejected)
    a, b = accepted.geometry.iloc[0], accepted.geometry.iloc[1]
    assert a.distance(b) < 2  # 51 30 26 N, 0 7 39 W = 51.507222, -0.1275 (to a metre)
    assert any("degrees, minutes and seconds" in w for w in accepted.attrs["warnings"])


def test_degrees_and_decimal_minutes(london: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"latitude": ["51\u00b030.4333'N"], "longitude": ["0\u00b07.65'W"]})
    accepted, _ = locate(df, detect_columns(df), london=london)
    expected = gpd.GeoSeries.from_xy([-0.1275], [51.507222], crs=4326).to_crs(27700)
    assert accepted.geometry.iloc[0].distance(expected.iloc[0]) < 2


@pytest.mark.parametrize(
    "lat",
    ["51\u00b075'10\"N", "51\u00b030'75\"N", "51\u00b030'26\"Q", "N51\u00b030'26\"S", "51\u00b0 x"],
)
def test_unreadable_degrees_minutes_seconds_rejected_with_that_reason(
    london: gpd.GeoDataFrame, lat: str
) -> None:
    df = pd.DataFrame({"name": ["synthetic"], "latitude": [lat], "longitude": ["0\u00b007'39\"W"]})
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert rejected["reason"].tolist() == [COORDS_DMS]
    assert "degrees, minutes and seconds" in REJECTION_REASONS[COORDS_DMS]


def test_postcode_not_found_names_the_lookup_and_its_release() -> None:
    label = "OS Code-Point Open, April 2025 (2025.2.0)"
    assert postcode_not_found_reason(label) == f"postcode not found in {label}"
    assert postcode_not_found_reason(None) == "postcode not found"
    # the reason used is built from geo.data.postcodes.LOOKUP_LABEL when that constant exists
    current = getattr(geo.data.postcodes, "LOOKUP_LABEL", None)
    assert postcode_not_found_reason(current) == POSTCODE_NOT_FOUND
    if current:
        assert current in REJECTION_REASONS[POSTCODE_NOT_FOUND]
