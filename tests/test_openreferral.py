"""Tests for geo.openreferral and service themes: Open Referral UK / HSDS JSON, parse_services.

All data here is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates). ``london`` (conftest) is two synthetic square "boroughs" in EPSG:27700
around (530000, 180000) -- central London -- so the tests do not depend on the processed data.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from synthetic_uploads import check_invariant, reasons

from geo.uploads import (
    UploadError,
    detect_columns,
    locate,
    parse_services,
    read_openreferral,
    read_table,
)


# ------------------------------------------------------------------------------------------
# Services
# ------------------------------------------------------------------------------------------
def synthetic_oruk_services() -> list[dict]:
    """Two synthetic ORUK services: one at two locations, one with no location."""
    return [
        {
            "id": "synthetic-1",
            "name": "Synthetic debt advice <b>drop-in</b>",
            "description": "Help with money and benefits.",
            "url": "https://example.org/synthetic-1",
            "email": "synthetic@example.org",
            "organization": {"id": "org-1", "name": "Synthetic Advice Trust"},
            "contacts": [{"name": "Synthetic", "phones": [{"number": "020 0000 0000"}]}],
            "service_taxonomys": [
                {"id": "t1", "taxonomy": {"id": "x", "name": "Debt advice", "vocabulary": "s"}}
            ],
            "regular_schedules": [{"weekday": "Monday", "opens_at": "09:00", "closes_at": "17:00"}],
            "service_at_locations": [
                {
                    "id": "sal-1",
                    "location": {
                        "id": "loc-1",
                        "name": "Synthetic Hall",
                        "latitude": 51.5,
                        "longitude": -0.12,
                        "physical_addresses": [
                            {
                                "address_1": "1 Synthetic Street",
                                "city": "London",
                                "postal_code": "SW1A 1AA",
                            }
                        ],
                    },
                },
                {
                    "id": "sal-2",
                    "location": {
                        "id": "loc-2",
                        "name": "Synthetic Library",
                        "physical_addresses": [{"postal_code": "E1 6AN"}],
                    },
                },
            ],
        },
        {
            "id": "synthetic-2",
            "name": "Synthetic online coding club",
            "description": "Learn to code.",
            "taxonomies": [{"name": "Digital skills"}],
        },
    ]


def test_read_openreferral_list_shape() -> None:
    df = read_openreferral(json.dumps(synthetic_oruk_services()).encode())
    assert len(df) == 3
    assert df.index.name == "row" and df.index.tolist() == [1, 2, 3]
    first = df.iloc[0]
    assert first["name"] == "Synthetic debt advice <b>drop-in</b>"
    assert first["organisation"] == "Synthetic Advice Trust"
    assert first["theme"] == "Debt advice"
    assert first["latitude"] == "51.5" and first["longitude"] == "-0.12"
    assert first["postcode"] == "SW1A 1AA"
    assert first["address"] == "1 Synthetic Street; London"
    assert first["website"] == "https://example.org/synthetic-1"
    assert first["phone"] == "020 0000 0000"
    assert first["opening_hours"] == "Monday 09:00-17:00"
    assert df.iloc[1]["postcode"] == "E1 6AN" and pd.isna(df.iloc[1]["latitude"])
    assert df.iloc[2]["theme"] == "Digital skills" and pd.isna(df.iloc[2]["postcode"])


def test_read_openreferral_paginated_and_hsds3_shapes() -> None:
    page = {
        "totalElements": 2,
        "totalPages": 1,
        "number": 1,
        "size": 50,
        "content": synthetic_oruk_services(),
    }
    assert len(read_openreferral(json.dumps(page).encode("utf-8-sig"))) == 3
    hsds3 = [
        {
            "id": "synthetic-3",
            "name": "Synthetic walking group",
            "attributes": [{"taxonomy_term": {"name": "Physical activity"}}],
            "phones": [{"number": "020 1111 1111"}],
            "service_at_locations": [
                {
                    "location": {
                        "latitude": "51.52",
                        "longitude": "-0.07",
                        "addresses": [
                            {"address_type": "postal", "postal_code": "N1 9GU"},
                            {"address_type": "physical", "postal_code": "E1 6AN"},
                        ],
                    }
                }
            ],
        }
    ]
    df = read_openreferral(json.dumps(hsds3).encode())
    assert df.loc[1, "theme"] == "Physical activity"
    assert df.loc[1, "postcode"] == "E1 6AN"
    assert df.loc[1, "phone"] == "020 1111 1111"
    # read_table dispatches .json to the same reader
    assert read_table(json.dumps(hsds3).encode(), "synthetic.json").equals(df)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"foo": 1}', "not an Open Referral"),
        (b"[]", "no services"),
    ],
)
def test_read_openreferral_refusals(data: bytes, match: str) -> None:
    with pytest.raises(UploadError, match=match):
        read_openreferral(data)


def test_services_flow_locate_and_themes(
    london: gpd.GeoDataFrame, synthetic_lookup: pd.DataFrame
) -> None:
    df = read_openreferral(json.dumps(synthetic_oruk_services()).encode())
    mapping = detect_columns(df, kind="services")
    assert mapping["name"] == "name" and mapping["theme"] == "theme"
    assert mapping["latitude"] == "latitude" and mapping["postcode"] == "postcode"
    services = parse_services(df, mapping)
    assert services["assigned_theme"].tolist() == [
        "Financial inclusion",
        "Financial inclusion",
        "Digital inclusion",
    ]
    accepted, rejected = locate(services, mapping, london=london, postcodes=synthetic_lookup)
    check_invariant(services, accepted, rejected)
    assert accepted["row"].tolist() == [1, 2]
    assert accepted["location_source"].tolist() == ["latitude/longitude", "postcode"]
    assert reasons(rejected) == {3: "no location"}
    assert accepted["name"].iloc[0] == "Synthetic debt advice <b>drop-in</b>"


def test_parse_services_table() -> None:
    df = pd.DataFrame(
        {
            "Service": ["Synthetic job club", "Synthetic lunch", "Synthetic group", "x"],
            "Type": ["", "Health and Wellbeing", "Other stuff", None],
            "About": ["CVs and interviews", "", "Gardening in the park", None],
        },
        index=[10, 11, 12, 13],
    )
    mapping = detect_columns(df, kind="services")
    out = parse_services(df, mapping)
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out["assigned_theme"].tolist() == [
        "Employment support",
        "Health and wellbeing",
        "Physical environment",
        "Other",
    ]
    assert isinstance(out["assigned_theme"].dtype, pd.CategoricalDtype)
    assert "assigned_theme" not in df.columns
