"""Tests for geo.outputs.export: CSV injection neutralised, BOM, comment header, GeoJSON metadata."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.outputs.export import neutralise_formulas, neutralise_text, safe_csv, safe_geojson

FORMULAS = [
    '=HYPERLINK("http://example.invalid","synthetic")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",
]


def read_back(data: bytes) -> pd.DataFrame:
    """Parse safe_csv output as text (BOM stripped, comment lines skipped)."""
    assert data.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(data[3:]), comment="#", dtype=str, keep_default_na=False)


def test_formulas_neutralised() -> None:
    df = pd.DataFrame({"name": FORMULAS})
    out = read_back(safe_csv(df))
    assert out["name"].tolist() == ["'" + f for f in FORMULAS]


def test_negative_numbers_untouched() -> None:
    df = pd.DataFrame(
        {
            "longitude": [-0.1278, -0.5],
            "count": [-3, 4],
            "text_number": ["-0.1278", "+44"],
            "phone": ["+44 20 0000 0000", "-"],
        }
    )
    data = safe_csv(df)
    text = data[3:].decode()
    assert "-0.1278,-3," in text  # numeric columns unquoted, unprefixed
    out = read_back(data)
    assert out["text_number"].tolist() == ["-0.1278", "+44"]  # plain numbers are safe
    assert out["phone"].tolist() == ["'+44 20 0000 0000", "'-"]


def test_safe_text_unchanged_including_html() -> None:
    names = ["<script>alert('synthetic')</script>", 'Caf\u00e9, "quoted"', "a=b", "", None]
    out = read_back(safe_csv(pd.DataFrame({"name": names})))
    assert out["name"].tolist() == [*names[:4], ""]


def test_column_names_neutralised_and_named_index_written() -> None:
    df = pd.DataFrame({"=evil": ["x"]}, index=pd.Index(["E01999991"], name="lsoa_code"))
    out = read_back(safe_csv(df))
    assert list(out.columns) == ["lsoa_code", "'=evil"]
    unnamed = read_back(safe_csv(pd.DataFrame({"a": [1]})))
    assert list(unnamed.columns) == ["a"]


def test_header_lines_as_comments() -> None:
    lines = ["Synthetic export", "catchment=800 m, detour=1.3", "note, =1+1", "two\nlines"]
    data = safe_csv(pd.DataFrame({"a": [1]}), header_lines=lines)
    text = data[3:].decode()
    head = text.split("\r\n")[:5]
    assert head[0] == "# Synthetic export"
    assert head[1] == "# catchment=800 m, detour=1.3"
    assert head[2] == "# note,' =1+1"
    assert head[3:] == ["# two", "# lines"]
    assert read_back(data)["a"].tolist() == ["1"]


def test_crlf_and_utf8() -> None:
    data = safe_csv(pd.DataFrame({"name": ["Caf\u00e9"]}))
    assert data == b'\xef\xbb\xbf"name"\r\n"Caf\xc3\xa9"\r\n'


def test_neutralise_formulas_series_types() -> None:
    assert neutralise_formulas(pd.Series([-1, 2])).tolist() == [-1, 2]
    s = pd.Series(["=1", None], dtype="str")
    out = neutralise_formulas(s)
    assert out.iloc[0] == "'=1" and pd.isna(out.iloc[1])


def test_geometry_written_as_wkt() -> None:
    gdf = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[shapely.Point(1, 2)], crs=27700)
    out = read_back(safe_csv(gdf))
    assert out["geometry"].tolist() == ["POINT (1 2)"]


def test_safe_geojson() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "name": ["<b>synthetic</b>", "=1+1"],
            "score": [1.5, np.nan],
            "count": np.array([3, 4], dtype="int64"),
        },
        geometry=[shapely.Point(530_000, 180_000), shapely.Point(531_000, 181_000)],
        index=pd.Index(["E01999991", "E01999992"], name="lsoa_code"),
        crs=27700,
    )
    doc = json.loads(
        safe_geojson(
            gdf, metadata={"catchment": 800, "detour": np.float64(1.3), "vintage": "iod2025"}
        )
    )
    assert doc["type"] == "FeatureCollection"
    assert doc["metadata"] == {"catchment": 800, "detour": 1.3, "vintage": "iod2025"}
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(-0.1248, abs=0.01) and lat == pytest.approx(51.50, abs=0.01)
    props = doc["features"][0]["properties"]
    assert props["name"] == "<b>synthetic</b>"  # data, not escaped here (the map escapes)
    assert doc["features"][1]["properties"]["score"] is None
    assert doc["features"][1]["properties"]["count"] == 4
    assert doc["features"][0]["id"] == "E01999991"
    assert "crs" not in doc


def test_safe_geojson_requires_crs() -> None:
    with pytest.raises(ValueError, match="CRS"):
        safe_geojson(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))


@pytest.mark.parametrize(
    "text",
    [
        "=SUM(A1)",
        "  =1+1",
        "+44 20 7946 0000",
        "+44",
        "-12.5",
        " 1e-3 ",
        "@cmd",
        "\tx",
        "\rx",
        "\uff1dA1",
        "plain text",
        "",
        "-",
        "- 3",
        "Tower Hamlets",
        "# catchment_m=800",
    ],
)
def test_neutralise_text_agrees_with_the_column_function(text):
    """The one-value path (header lines, column names) and the column path are the same rule."""
    column = neutralise_formulas(pd.Series([text], dtype="str")).iloc[0]
    assert neutralise_text(text) == column
