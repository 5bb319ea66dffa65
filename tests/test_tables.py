"""Tests for geo.tables (via the geo.uploads facade): reading uploaded files.

All data here is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates). ``london`` (conftest) is two synthetic square "boroughs" in EPSG:27700
around (530000, 180000) -- central London -- so the tests do not depend on the processed data.
"""

from __future__ import annotations

import builtins
import io
import time

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from synthetic_uploads import check_invariant, synthetic_csv

from geo.uploads import (
    UploadError,
    detect_columns,
    locate,
    read_table,
)


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
