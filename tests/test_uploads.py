"""Tests for geo.uploads: reading, column detection, locating and service parsing.

All data here is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates). ``london`` is two synthetic square "boroughs" in EPSG:27700 around
(530000, 180000) -- central London -- so the tests do not depend on the processed data.
"""

from __future__ import annotations

import builtins
import io
import json
import time

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from geo.uploads import (
    REJECTION_REASONS,
    UploadError,
    detect_columns,
    locate,
    parse_services,
    read_openreferral,
    read_table,
    summarise_upload,
)

WEST = "E09999991"
EAST = "E09999992"


@pytest.fixture(scope="module")
def london() -> gpd.GeoDataFrame:
    """Two synthetic 10 km x 20 km boroughs side by side, x 520-540 km, y 170-190 km."""
    return gpd.GeoDataFrame(
        {"borough_name": ["Synthetic West", "Synthetic East"]},
        geometry=[
            shapely.box(520_000, 170_000, 530_000, 190_000),
            shapely.box(530_000, 170_000, 540_000, 190_000),
        ],
        index=pd.Index([WEST, EAST], name="borough_code"),
        crs=27700,
    )


@pytest.fixture(scope="module")
def synthetic_lookup() -> pd.DataFrame:
    """A synthetic offline postcode lookup (real-format postcodes, invented positions)."""
    return pd.DataFrame(
        {
            "postcode": ["SW1A 1AA", "E1 6AN", "N1 9GU", "SE1 7PB"],
            "easting": [529_000, 533_500, 531_000, 560_000],  # SE1 7PB placed outside
            "northing": [179_500, 181_500, 183_000, 150_000],
        }
    )


def synthetic_csv(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    """A synthetic CSV file's bytes from a header line and data lines."""
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def check_invariant(df: pd.DataFrame, accepted: pd.DataFrame, rejected: pd.DataFrame) -> None:
    """Every input row is in exactly one output, with its row number."""
    assert len(accepted) + len(rejected) == len(df)
    assert set(accepted.index).isdisjoint(rejected.index)
    assert sorted([*accepted.index, *rejected.index]) == sorted(df.index)
    assert set(rejected["reason"]) <= set(REJECTION_REASONS)
    summary = summarise_upload(accepted, rejected, rows_read=len(df))
    assert summary["accepted"] + summary["rejected"] == len(df)
    assert sum(summary["by_reason"].values()) == len(rejected)


def reasons(rejected: pd.DataFrame) -> dict[int, str]:
    """Row number -> rejection reason."""
    return dict(zip(rejected["row"], rejected["reason"], strict=True))


# ------------------------------------------------------------------------------------------
# read_table: refusals
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"   \r\n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_file_refused(data: bytes) -> None:
    with pytest.raises(UploadError, match="empty"):
        read_table(data, "synthetic_empty.csv")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
        (b"%PDF-1.7\n%synthetic\n1 0 obj\n", "PDF"),
        (b"\xff\xd8\xff\xe0synthetic jpeg", "JPEG"),
        (b"\x1f\x8bsynthetic gzip", "gzip"),
        (b"postcode,lat\x00\x00\x00\x01\x02", "binary"),
    ],
)
def test_wrong_type_renamed_csv_refused(data: bytes, what: str) -> None:
    with pytest.raises(UploadError, match=what) as err:
        read_table(data, "synthetic_stock.csv")
    assert "CSV" in str(err.value)


def test_word_document_renamed_xlsx_refused() -> None:
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document>synthetic</w:document>")
    with pytest.raises(UploadError, match="Word document"):
        read_table(buf.getvalue(), "synthetic_stock.xlsx")


def test_unsupported_extension_refused() -> None:
    with pytest.raises(UploadError, match="not a supported file type"):
        read_table(synthetic_csv("postcode", "SW1A 1AA"), "synthetic_stock.exe")


def test_over_size_limit_refused_with_limit_in_message() -> None:
    data = synthetic_csv("name,postcode", *[f"synthetic {i},SW1A 1AA" for i in range(2000)])
    with pytest.raises(UploadError, match=r"limit is 20 KB"):
        read_table(data, "synthetic_big.csv", max_bytes=20 * 1024)
    assert len(read_table(data, "synthetic_big.csv", max_bytes=len(data))) == 2000


def test_size_limit_message_default() -> None:
    with pytest.raises(UploadError, match=r"limit is 512 KB"):
        read_table(b"x" * (600 * 1024), "synthetic.csv", max_bytes=512 * 1024)
    with pytest.raises(UploadError, match=r"limit is 50 MB"):
        read_table(b"x" * (50 * 1024 * 1024 + 1), "synthetic.csv")


def test_over_row_limit_refused() -> None:
    data = synthetic_csv("name,postcode", *[f"synthetic {i},SW1A 1AA" for i in range(6)])
    with pytest.raises(UploadError, match="more than 5 data rows"):
        read_table(data, "synthetic.csv", max_rows=5)
    assert len(read_table(data, "synthetic.csv", max_rows=6)) == 6


def test_no_header_row_refused() -> None:
    data = synthetic_csv("SW1A 1AA,51.501,-0.141,12", "E1 6AN,51.52,-0.07,4")
    with pytest.raises(UploadError, match="looks like data"):
        read_table(data, "synthetic_noheader.csv")


@pytest.mark.parametrize("data", [b",,,\n,,,\n", b"\n\n,\n"])
def test_no_columns_refused(data: bytes) -> None:
    with pytest.raises(UploadError, match="(?i)no column"):
        read_table(data, "synthetic_blank.csv")


def test_header_without_rows_refused() -> None:
    with pytest.raises(UploadError, match="no data rows"):
        read_table(b"postcode,latitude,longitude\n", "synthetic_header_only.csv")


def test_ragged_row_refused_with_line_number() -> None:
    data = synthetic_csv("name,postcode", "synthetic a,SW1A 1AA", "synthetic, b,E1 6AN")
    with pytest.raises(UploadError, match="Line 3 has 3 values but the header has 2"):
        read_table(data, "synthetic_ragged.csv")


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_never_crash(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 256, size=int(rng.integers(1, 4000)), dtype=np.uint8).tobytes()
    if seed % 3 == 0:
        data = b"name,postcode\n" + data
    try:
        df = read_table(data, "synthetic_noise.csv")
    except UploadError:
        return
    assert isinstance(df, pd.DataFrame)


def test_read_table_does_not_touch_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    book = openpyxl.Workbook()
    book.active.append(["postcode", "units"])
    book.active.append(["SW1A 1AA", 3])
    buf = io.BytesIO()
    book.save(buf)

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"read_table opened a file: {args}")

    monkeypatch.setattr(builtins, "open", no_open)
    monkeypatch.setattr(io, "open", no_open)
    assert len(read_table(synthetic_csv("postcode", "SW1A 1AA"), "synthetic.csv")) == 1
    assert len(read_table(buf.getvalue(), "synthetic.xlsx")) == 1


# ------------------------------------------------------------------------------------------
# read_table: what is read
# ------------------------------------------------------------------------------------------
def test_text_kept_as_text_with_leading_zeros_and_spreadsheet_row_numbers() -> None:
    data = synthetic_csv(
        "Property Ref,Post Code,Units,Notes",
        "00123,sw1a 1aa,007,NA",
        ",,,",
        "00124,E1 6AN, 12 ,null",
    )
    df = read_table(data, "synthetic.csv")
    assert df.index.name == "row"
    assert df.index.tolist() == [2, 4]  # the blank spreadsheet row 3 is dropped
    assert df.attrs["blank_rows"] == 1
    assert (df.dtypes == "str").all()
    assert df.loc[2, "Property Ref"] == "00123"
    assert df.loc[2, "Units"] == "007"
    assert df.loc[4, "Units"] == " 12 "  # verbatim
    assert df.loc[2, "Notes"] == "NA"  # not turned into a missing value
    assert df.attrs["encoding"] == "utf-8"


def test_html_and_javascript_kept_verbatim(london: gpd.GeoDataFrame) -> None:
    names = [
        '<script>alert("synthetic")</script>',
        "<img src=x onerror=alert(1)>",
        "javascript:alert('synthetic')",
    ]
    frame = pd.DataFrame({"name": names, "latitude": [51.5, 51.51, 51.52], "longitude": -0.1})
    df = read_table(frame.to_csv(index=False).encode(), "synthetic.csv")
    assert df["name"].tolist() == names
    accepted, rejected = locate(df, detect_columns(df), london=london)
    check_invariant(df, accepted, rejected)
    assert accepted["name"].tolist() == names


def test_duplicate_headers_renamed_with_warning() -> None:
    data = synthetic_csv("name,postcode,name,name.1,name", "a,SW1A 1AA,b,c,d")
    df = read_table(data, "synthetic.csv")
    assert list(df.columns) == ["name", "postcode", "name.2", "name.1", "name.3"]
    assert df.loc[2, "name.2"] == "b" and df.loc[2, "name.1"] == "c"
    assert any("appears more than once" in w for w in df.attrs["warnings"])


def test_blank_header_cells_named_and_empty_trailing_columns_dropped() -> None:
    data = synthetic_csv("postcode,,units,,", "SW1A 1AA,x,3,,", "E1 6AN,,4,,")
    df = read_table(data, "synthetic.csv")
    assert list(df.columns) == ["postcode", "column_2", "units"]


def test_utf8_bom() -> None:
    data = b"\xef\xbb\xbf" + synthetic_csv("Postcode,Scheme", "SW1A 1AA,Caf\u00e9 Court")
    df = read_table(data, "synthetic_bom.csv")
    assert list(df.columns) == ["Postcode", "Scheme"]  # no BOM glued to the first name
    assert df.loc[2, "Scheme"] == "Caf\u00e9 Court"
    assert df.attrs["encoding"] == "utf-8-sig"


def test_windows_1252() -> None:
    data = b"name,postcode\nCaf\xe9 synthetic \x80 fund,SW1A 1AA\n"
    df = read_table(data, "synthetic_1252.csv")
    assert df.loc[2, "name"] == "Caf\u00e9 synthetic \u20ac fund"
    assert df.attrs["encoding"] == "cp1252"
    assert any("Windows-1252" in w for w in df.attrs["warnings"])


def test_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    df = read_table(b"name,postcode\nsynthetic \x81\x8d,SW1A 1AA\n", "synthetic.csv")
    assert df.attrs["encoding"] == "latin-1"
    assert len(df) == 1


def test_utf16_tab_separated_excel_unicode_text() -> None:
    text = "name\tpostcode\nsynthetic Caf\u00e9\tSW1A 1AA\n"
    df = read_table(text.encode("utf-16"), "synthetic_unicode.txt")
    assert df.loc[2, "name"] == "synthetic Caf\u00e9"
    assert df.attrs["delimiter"] == "\t"


def test_semicolon_and_excel_sep_line() -> None:
    df = read_table(synthetic_csv("name;postcode", "synthetic;SW1A 1AA"), "synthetic.csv")
    assert list(df.columns) == ["name", "postcode"]
    df = read_table(synthetic_csv("sep=|", "name|postcode", "synthetic|SW1A 1AA"), "s.csv")
    assert list(df.columns) == ["name", "postcode"]
    assert df.index.tolist() == [3]


def test_title_rows_above_header_skipped() -> None:
    data = synthetic_csv(
        "Synthetic Housing stock list",
        "",
        "scheme,postcode,units",
        "synthetic a,SW1A 1AA,3",
    )
    df = read_table(data, "synthetic.csv")
    assert list(df.columns) == ["scheme", "postcode", "units"]
    assert df.index.tolist() == [4]
    assert df.attrs["header_row"] == 3


def test_xlsx_round_trip() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Synthetic stock"
    sheet.append(["Scheme Name", "Postcode", "Latitude", "Longitude", "Units", "Ref"])
    sheet.append(["Synthetic Court", "SW1A 1AA", 51.501, -0.141, 12, "00042"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(['=HYPERLINK("x")', "E1 6AN", 51.52, -0.07, 4, "00043"])
    book.create_sheet("Notes")["A1"] = "synthetic notes"
    buf = io.BytesIO()
    book.save(buf)
    df = read_table(buf.getvalue(), "synthetic_stock.xlsx")
    assert list(df.columns) == ["Scheme Name", "Postcode", "Latitude", "Longitude", "Units", "Ref"]
    assert df.index.tolist() == [2, 4]
    assert df.loc[2, "Ref"] == "00042"
    assert float(df.loc[2, "Latitude"]) == pytest.approx(51.501)
    assert df.loc[2, "Units"] == "12"
    assert df.attrs["file_type"] == "excel"
    assert any("Only the sheet" in w for w in df.attrs["warnings"])
    # The same workbook wrongly named .csv is still read (as Excel), with a warning.
    renamed = read_table(buf.getvalue(), "synthetic_stock.csv")
    assert renamed.equals(df)
    assert any("workbook" in w for w in renamed.attrs["warnings"])


def test_one_million_rows_finish_quickly(london: gpd.GeoDataFrame) -> None:
    n = 1_000_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "synthetic_id": np.arange(n),
            "easting": rng.uniform(520_500, 539_500, n).round(1),
            "northing": rng.uniform(170_500, 189_500, n).round(1),
        }
    )
    data = frame.to_csv(index=False).encode()
    start = time.perf_counter()
    df = read_table(data, "synthetic_million.csv")
    mapping = detect_columns(df)
    accepted, rejected = locate(df, mapping, london=london)
    elapsed = time.perf_counter() - start
    assert len(df) == n
    assert len(accepted) == n and len(rejected) == 0
    check_invariant(df, accepted, rejected)
    assert elapsed < 25
    with pytest.raises(UploadError, match="more than 999,999 data rows"):
        read_table(data, "synthetic_million.csv", max_rows=n - 1)


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
        4: "postcode not found",
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
