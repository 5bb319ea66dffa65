"""Tests for geo.uploads.openreferral and service themes: Open Referral UK / HSDS JSON, parse_services.

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


# ------------------------------------------------------------------------------------------
# Open Referral UK v3.0 (HSDS 3.0 UK profile). Fixtures follow the field names of the published
# profile's examples (github.com/OpenReferralUK/uk-profile: examples/service_full.json,
# examples/service_at_location_full.json, schema/compiled/service_at_location_list.json);
# every value is SYNTHETIC.
# ------------------------------------------------------------------------------------------
def _v3_location(lid: str, lat: float | None, lon: float | None, postcode: str) -> dict:
    loc = {
        "id": lid,
        "location_type": "physical",
        "name": f"Synthetic centre {lid}",
        "description": "Synthetic community centre",
        "external_identifier": "100000000000",
        "external_identifier_type": "UPRN",
        "addresses": [
            {
                "id": f"{lid}-postal",
                "location_id": lid,
                "address_1": "PO Box 1",
                "city": "London",
                "postal_code": "N1 9GU",
                "country": "GB",
                "address_type": "postal",
            },
            {
                "id": f"{lid}-physical",
                "location_id": lid,
                "address_1": "1 Synthetic Street",
                "city": "London",
                "region": "Greater London",
                "postal_code": postcode,
                "country": "GB",
                "address_type": "physical",
            },
        ],
    }
    if lat is not None:
        loc["latitude"], loc["longitude"] = lat, lon
    return loc


def _v3_service(sid: str, name: str, terms: list[str], locations: list[dict]) -> dict:
    return {
        "id": sid,
        "name": name,
        "description": "Synthetic service description",
        "url": "http://example.com/synthetic",
        "email": "synthetic@example.com",
        "status": "active",
        "assured_date": "2025-01-01",
        "last_modified": "2025-03-15T10:30:45.123Z",
        "organization": {
            "id": f"org-{sid}",
            "name": "Synthetic Organisation",
            "description": "Synthetic",
        },
        "schedules": [
            {
                "id": f"sch-{sid}",
                "freq": "WEEKLY",
                "byday": "TH,FR",
                "opens_at": "10:00:00",
                "closes_at": "18:00:00",
            }
        ],
        "taxonomy_terms": [
            {
                "id": f"tt-{sid}-{i}",
                "code": f"c{i}",
                "name": t,
                "description": t,
                "taxonomy": "synthetic",
            }
            for i, t in enumerate(terms)
        ],
        "attributes": [{"id": f"a-{sid}", "link_type": "link_type"}],
        "contacts": [{"id": f"c-{sid}", "name": "Synthetic Person", "title": "Manager"}],
        "service_at_locations": [
            {"id": f"sal-{sid}-{i}", "location": loc} for i, loc in enumerate(locations)
        ],
    }


def test_v3_full_services_page_with_contents() -> None:
    page = {
        "total_items": 3,
        "total_pages": 1,
        "page_number": 1,
        "size": 3,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [
            _v3_service(
                "s1",
                "Synthetic debt clinic",
                ["Debt advice", "Money"],
                [
                    _v3_location("l1", 51.5014, -0.1419, "SW1A 1AA"),
                    _v3_location("l2", None, None, "E1 6AN"),
                ],
            ),
            _v3_service("s2", "Synthetic coding club", ["Digital skills"], []),  # no location
            {
                **_v3_service("s3", "Synthetic walk", [], []),
                "service_at_locations": [{"id": "sal-only-id"}],
            },
        ],
    }
    df = read_openreferral(json.dumps(page).encode())
    assert df["id"].tolist() == ["s1", "s1", "s2", "s3"]
    assert df["theme"].tolist()[:3] == [
        "Debt advice; Money",
        "Debt advice; Money",
        "Digital skills",
    ]
    assert df.loc[1, "postcode"] == "SW1A 1AA"  # the physical address, not the postal one
    assert df.loc[1, "address"] == "1 Synthetic Street; London"
    assert (df.loc[1, "latitude"], df.loc[1, "longitude"]) == ("51.5014", "-0.1419")
    assert df.loc[1, "organisation"] == "Synthetic Organisation"
    assert df.loc[1, "opening_hours"] == "TH,FR 10:00:00-18:00:00"
    assert df.loc[1, "website"] == "http://example.com/synthetic"
    assert "name" not in df["theme"].dropna().tolist()
    assert df.attrs["warnings"] == []


def test_v3_page_that_is_one_of_several_says_so() -> None:
    page = {
        "total_items": 120,
        "total_pages": 3,
        "page_number": 2,
        "size": 1,
        "contents": [_v3_service("s1", "Synthetic", ["Debt advice"], [])],
    }
    df = read_openreferral(json.dumps(page).encode())
    assert len(df) == 1
    assert any("page 2" in w and "120" in w for w in df.attrs["warnings"])


def test_v3_service_at_locations_items() -> None:
    sal = {
        "total_items": 2,
        "page_number": 1,
        "contents": [
            {
                "id": "sal-1",
                "location": _v3_location("l1", 51.52, -0.07, "E1 6AN"),
                "service": {
                    "id": "s1",
                    "name": "Synthetic counselling",
                    "status": "active",
                    "description": "Synthetic counselling for anxiety and depression",
                    "organization": {"id": "o1", "name": "Synthetic Org", "description": "x"},
                },
            },
            {
                "id": "sal-2",
                "service": {"id": "s2", "name": "Synthetic no place", "status": "active"},
            },
        ],
    }
    df = read_openreferral(json.dumps(sal).encode())
    assert df["id"].tolist() == ["s1", "s2"]
    assert df["name"].tolist() == ["Synthetic counselling", "Synthetic no place"]
    assert df.loc[1, "postcode"] == "E1 6AN" and df.loc[1, "latitude"] == "51.52"
    assert df.loc[1, "location_name"] == "Synthetic centre l1"
    assert pd.isna(df.loc[2, "latitude"]) and pd.isna(df.loc[2, "postcode"])
    # a single service-at-location object (examples/service_at_location_full.json shape)
    one = read_openreferral(json.dumps(sal["contents"][0]).encode())
    assert one["name"].tolist() == ["Synthetic counselling"]


def test_v3_services_without_location_counted_and_rejected(london: gpd.GeoDataFrame) -> None:
    page = {
        "total_items": 3,
        "page_number": 1,
        "contents": [
            _v3_service(
                "s1",
                "Synthetic debt clinic",
                ["Debt advice"],
                [_v3_location("l1", 51.5014, -0.1419, "SW1A 1AA")],
            ),
            _v3_service("s2", "Synthetic coding club", ["Digital skills"], []),
            _v3_service(
                "s3", "Synthetic online only", ["Health"], [{"id": "l3", "name": "Online"}]
            ),
        ],
    }
    df = read_openreferral(json.dumps(page).encode())
    mapping = detect_columns(df, kind="services")
    accepted, rejected = locate(df, mapping, london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["name"].tolist() == ["Synthetic debt clinic"]
    assert reasons(rejected) == {2: "no location", 3: "no location"}
    themed = parse_services(accepted, mapping)
    assert themed["assigned_theme"].tolist() == ["Financial inclusion"]


def test_v1_page_still_read_next_to_v3() -> None:
    v1 = {
        "totalElements": 1,
        "number": 1,
        "content": [
            {
                "id": "v1",
                "name": "Synthetic v1 service",
                "service_taxonomys": [{"id": "t", "taxonomy": {"id": "x", "name": "Employment"}}],
                "service_at_locations": [
                    {
                        "location": {
                            "latitude": 51.5,
                            "longitude": -0.1,
                            "physical_addresses": [{"postal_code": "SW1A 1AA"}],
                        }
                    }
                ],
            }
        ],
    }
    df = read_openreferral(json.dumps(v1).encode())
    assert df.loc[1, "theme"] == "Employment" and df.loc[1, "postcode"] == "SW1A 1AA"
