"""Tests for geo.uploads.tables (via the geo.uploads facade): reading uploaded files.

All data here is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates). ``london`` (conftest) is two synthetic square "boroughs" in EPSG:27700
around (530000, 180000) -- central London -- so the tests do not depend on the processed data.
"""

from __future__ import annotations

import builtins
import io
import time
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from synthetic_uploads import check_invariant, synthetic_csv

from geo import uploads
from geo.uploads import (
    UploadError,
    detect_columns,
    locate,
    parse_services,
    read_table,
    workbooks,
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


# ------------------------------------------------------------------------------------------
# Issue 11: files as housing associations and councils export them
# ------------------------------------------------------------------------------------------
def _workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


COVER = (
    "Cover",
    [
        ["Synthetic Housing Association: stock return 2025"],
        ["Prepared by the synthetic asset team. Do not circulate."],
        ["See the 'Stock' sheet for the data."],
    ],
)
STOCK = (
    "Stock",
    [
        ["Property Ref", "Scheme", "Postcode", "Latitude", "Longitude", "Units"],
        ["00001", "Synthetic Court", "SW1A 1AA", 51.501, -0.141, 12],
        ["00002", "Synthetic House", "E1 6AN", 51.52, -0.07, 4],
    ],
)
NOTES = ("Notes", [["Column", "Meaning"], ["Units", "homes in the scheme"]])


def test_data_sheet_found_behind_a_cover_sheet() -> None:
    df = read_table(_workbook(COVER, STOCK, NOTES), "synthetic_return.xlsx")
    assert df.attrs["sheet"] == "Stock"
    assert df.attrs["sheets"] == ["Cover", "Stock", "Notes"]
    assert list(df.columns) == [
        "Property Ref",
        "Scheme",
        "Postcode",
        "Latitude",
        "Longitude",
        "Units",
    ]
    assert df["Property Ref"].tolist() == ["00001", "00002"]
    assert any("Read the sheet 'Stock'" in w and "'Cover'" in w for w in df.attrs["warnings"])
    mapping = detect_columns(df)
    assert mapping["postcode"] == "Postcode" and mapping["latitude"] == "Latitude"


def test_largest_table_wins_when_no_sheet_has_locations() -> None:
    small = ("Summary", [["Borough", "Homes"], ["Synthetic", 3]])
    big = ("All", [["Scheme", "Homes"]] + [[f"Synthetic {i}", i] for i in range(20)])
    df = read_table(_workbook(small, big), "synthetic.xlsx")
    assert df.attrs["sheet"] == "All" and len(df) == 20


def test_sheet_can_be_chosen_by_name_or_position_and_unknown_refused() -> None:
    data = _workbook(COVER, STOCK, NOTES)
    assert uploads.list_sheets(data) == ["Cover", "Stock", "Notes"]
    assert uploads.list_sheets(synthetic_csv("a,b", "1,2")) == []
    notes = read_table(data, "synthetic.xlsx", sheet="Notes")
    assert list(notes.columns) == ["Column", "Meaning"] and notes.attrs["sheet"] == "Notes"
    assert read_table(data, "synthetic.xlsx", sheet=1).attrs["sheet"] == "Stock"
    with pytest.raises(UploadError, match="no sheet 'Data'.*Cover, Stock, Notes"):
        read_table(data, "synthetic.xlsx", sheet="Data")
    with pytest.raises(UploadError, match="'Cover' is empty|looks like data|no data rows"):
        read_table(_workbook(("Cover", [])), "synthetic.xlsx")


def test_european_csv_semicolons_and_decimal_commas() -> None:
    data = synthetic_csv(
        "Name;Latitude;Longitude;Units",
        "Synthetic Court;51,5080;-0,1281;12",
        "Synthetic House;51,52;-0,07;4",
        encoding="cp1252",
    )
    df = read_table(data, "synthetic_export.csv")
    assert df.attrs["delimiter"] == ";"
    assert df.attrs["decimal"] == ","
    assert df["Latitude"].tolist() == ["51,5080", "51,52"]  # kept verbatim; locate reads them


@pytest.mark.parametrize(
    ("header", "rows", "decimal"),
    [
        ("a,b", ["1.5,2.5"], "."),  # comma-delimited: a comma is never a decimal mark
        ("a;b", ["1.5;2,5"], "."),  # mixed: not decided on commas
        ("a;b", ["x;y"], "."),
        ("a\tb", ["51,5\t-0,1"], ","),
    ],
)
def test_decimal_mark_needs_the_values_to_say_so(
    header: str, rows: list[str], decimal: str
) -> None:
    assert read_table(synthetic_csv(header, *rows), "synthetic.csv").attrs["decimal"] == decimal


def test_trailing_empty_fields_are_not_data() -> None:
    data = synthetic_csv(
        "name,postcode,units",
        "synthetic a,SW1A 1AA,3,",
        "synthetic b,E1 6AN,4,,",
        "synthetic c,N1 9GU,5",
    )
    df = read_table(data, "synthetic_export.csv")
    assert list(df.columns) == ["name", "postcode", "units"]
    assert df["units"].tolist() == ["3", "4", "5"]


def test_trailing_delimiters_first_seen_deep_in_a_file() -> None:
    rows = [f"synthetic {i},SW1A 1AA,{i}" for i in range(600)]
    rows[450] += ",,,"  # beyond the lines the dialect is sniffed on
    df = read_table(synthetic_csv("name,postcode,units", *rows), "synthetic.csv")
    assert len(df) == 600 and list(df.columns) == ["name", "postcode", "units"]
    rows[500] += ",surprise"
    with pytest.raises(UploadError, match="Line 502 has 4 values but the header has 3"):
        read_table(synthetic_csv("name,postcode,units", *rows), "synthetic.csv")


def test_five_megabyte_line_without_breaks_is_refused_in_bounded_cost() -> None:
    # 2.6 million values on one line: refused on the first 256 KB, before any parsing
    with pytest.raises(UploadError, match=r"first line of the file is longer than 256 KB"):
        read_table(b"1," * (5 * 1024 * 1024 // 2), "synthetic_one_line.csv")
    # no delimiter at all, with or without data after it
    for data in (b"x" * (5 * 1024 * 1024), b"x" * (5 * 1024 * 1024) + b"\n1\n"):
        with pytest.raises(UploadError, match="first line of the file is longer than 256 KB"):
            read_table(data, "synthetic_one_cell.csv")
    # rows wider than any table: refused from the first lines
    with pytest.raises(UploadError, match=r"3,000 values; the limit is 500 columns"):
        read_table(((",".join(["1"] * 3000) + "\n") * 100).encode(), "synthetic_wide.csv")
    # ... or when a wide row first appears deep in the file
    rows = [f"synthetic {i},SW1A 1AA" for i in range(5000)] + [",".join(["1"] * 3000)]
    with pytest.raises(UploadError, match=r"limit is 500 columns"):
        read_table(synthetic_csv("name,postcode", *rows), "synthetic_wide.csv")


def test_five_megabyte_text_cell_is_read_and_themed() -> None:
    text = "Debt and money advice drop-in. " + "lorem ipsum " * 440_000
    data = synthetic_csv("name,description,latitude,longitude", f'synthetic,"{text}",51.5,-0.1')
    assert len(data) > 5_000_000
    df = read_table(data, "synthetic.csv")
    assert len(df.loc[2, "description"]) == len(text)
    themed = parse_services(df, {"name": "name", "description": "description"})
    assert themed.loc[2, "assigned_theme"] == "Financial inclusion"


def _zip_with_declared_sizes(members: dict[str, bytes], declared: int | None) -> bytes:
    """A zip whose central directory and local headers claim ``declared`` bytes per member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    data = bytearray(buf.getvalue())
    if declared is not None:
        pos = 0
        while (pos := data.find(b"PK\x03\x04", pos)) >= 0:  # local headers: size at +22
            data[pos + 22 : pos + 26] = declared.to_bytes(4, "little")
            pos += 4
        pos = 0
        while (pos := data.find(b"PK\x01\x02", pos)) >= 0:  # central directory: size at +24
            data[pos + 24 : pos + 28] = declared.to_bytes(4, "little")
            pos += 4
    return bytes(data)


def test_inflated_bytes_are_counted_not_the_declared_sizes() -> None:
    bomb = b"<c>0</c>" * (
        workbooks.MAX_INFLATED // 8 + 1024
    )  # just over the limit, compresses ~1000x
    members = {
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": b"<workbook/>",
        "xl/x.xml": bomb,
    }
    lying = _zip_with_declared_sizes(members, declared=1000)
    assert len(lying) < 2 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(lying)) as zf:
        assert sum(i.file_size for i in zf.infolist()) < 10_000  # what the zip claims
    for data in (lying, _zip_with_declared_sizes(members, declared=None)):
        with pytest.raises(
            UploadError, match=f"expands to more than {workbooks.MAX_INFLATED // 2**20} MB"
        ):
            read_table(data, "synthetic_bomb.xlsx")
    small = _zip_with_declared_sizes({"xl/workbook.xml": b"<w/>" * 1000}, declared=None)
    assert workbooks.check_inflated(small) == 4000


def test_html_table_saved_as_xls_is_read() -> None:
    html = (
        "<html><head><meta charset='utf-8'><title>Synthetic export</title></head><body>"
        "<table><tr><td>Synthetic Housing: stock report</td></tr></table>"
        "<table border=1><thead><tr><th>Property Ref</th><th>Scheme</th><th>Post Code</th>"
        "<th>Units</th></tr></thead><tbody>"
        "<tr><td>00123</td><td>Caf\u00e9 Court &amp; Annexe</td><td>SW1A 1AA</td><td>007</td></tr>"
        "<tr><td>00124</td><td>&lt;script&gt;x&lt;/script&gt;</td><td>E1 6AN</td><td>1,234</td></tr>"
        "</tbody></table></body></html>"
    ).encode()
    df = read_table(html, "synthetic_export.xls")
    assert df.attrs["file_type"] == "html"
    assert list(df.columns) == ["Property Ref", "Scheme", "Post Code", "Units"]
    assert df["Property Ref"].tolist() == ["00123", "00124"]  # leading zeros kept
    assert df["Units"].tolist() == ["007", "1,234"]  # verbatim text
    assert df.loc[2, "Scheme"] == "Caf\u00e9 Court & Annexe"
    assert df.loc[3, "Scheme"] == "<script>x</script>"
    assert any("HTML" in w and ".xls" in w for w in df.attrs["warnings"])
    # a table without <th> cells: the header is found among the rows
    plain_html = (
        b"<table><tr><td>postcode</td><td>units</td></tr><tr><td>E1 6AN</td><td>2</td></tr></table>"
    )
    assert read_table(plain_html, "synthetic.xls")["postcode"].tolist() == ["E1 6AN"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
            b"<Worksheet/></Workbook>",
            "Excel 2003 XML spreadsheet.*save it again as .xlsx",
        ),
        (b"<html><body><p>No table here</p></body></html>", "web page without a table"),
    ],
)
def test_other_markup_saved_as_xls_refused_with_how_to_resave(data: bytes, match: str) -> None:
    with pytest.raises(UploadError, match=match):
        read_table(data, "synthetic_export.xls")


def test_utf16_without_bom_is_text_not_binary() -> None:
    text = "name\tpostcode\nsynthetic Caf\u00e9\tSW1A 1AA\nsynthetic b\tE1 6AN\n"
    df = read_table(text.encode("utf-16-le"), "synthetic_unicode.txt")
    assert df["name"].tolist() == ["synthetic Caf\u00e9", "synthetic b"]
    assert df.attrs["encoding"] == "utf-16-le"


def test_hostile_file_name_is_kept_literal_in_messages() -> None:
    name = "[x](javascript:alert(1)).csv"
    with pytest.raises(UploadError) as err:
        read_table(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name)
    assert "'[x](javascript:alert(1)).csv' is a PNG image" in str(err.value)


def test_workbook_cells_are_counted_while_inflating() -> None:
    sheet = (
        b"<worksheet><sheetData><row>"
        + b"<c><v>1</v></c>" * (workbooks.MAX_CELLS + 10)
        + b"</row></sheetData></worksheet>"
    )
    data = _zip_with_declared_sizes(
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet}, declared=100
    )
    with pytest.raises(UploadError, match="more than 4,000,000 cells.*Save it as CSV"):
        read_table(data, "synthetic_wide.xlsx")


def _minimal_xlsx(sheet_xml: str) -> bytes:
    """A SYNTHETIC one-sheet .xlsx from its sheet XML (the parts Excel readers need)."""
    ct = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{ct}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{ct}/package/2006/relationships"><Relationship Id="rId1" Type="{ct}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ct}/spreadsheetml/2006/main" xmlns:r="{ct}/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{ct}/package/2006/relationships"><Relationship Id="rId1" Type="{ct}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{ct}/spreadsheetml/2006/main"><sheetData>{sheet_xml}</sheetData></worksheet>',
    }
    return _zip_with_declared_sizes({k: v.encode() for k, v in parts.items()}, declared=None)


@pytest.mark.parametrize("far", ["CV100000", "XFD1048576"])
def test_two_cell_workbook_spanning_millions_of_cells_refused(far: str) -> None:
    row = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>postcode</t></is></c></row>'
        f'<row r="{row}"><c r="{far}"><v>1</v></c></row>'
    )
    with pytest.raises(UploadError, match="more than 4,000,000 cells"):
        read_table(_minimal_xlsx(sheet), "synthetic_two_cells.xlsx")
    near = '<row r="1"><c r="A1" t="inlineStr"><is><t>postcode</t></is></c><c r="B1" t="inlineStr"><is><t>units</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>E1 6AN</t></is></c><c r="B3"><v>2</v></c></row>'
    assert read_table(_minimal_xlsx(near), "synthetic.xlsx")["postcode"].tolist() == ["E1 6AN"]


def test_opendocument_repeats_are_expanded_before_reading() -> None:
    def ods(rows: int, cols: int) -> bytes:
        content = (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            '<office:body><office:spreadsheet><table:table table:name="S">'
            '<table:table-row><table:table-cell office:value-type="string"><text:p>units</text:p>'
            "</table:table-cell></table:table-row>"
            f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
            f'office:value-type="float" office:value="1" table:number-columns-repeated="{cols}">'
            "<text:p>1</text:p></table:table-cell></table:table-row>"
            # the empty tail LibreOffice writes: not content, not counted
            '<table:table-row table:number-rows-repeated="1048500"><table:table-cell '
            'table:number-columns-repeated="1024"/></table:table-row>'
            "</table:table></office:spreadsheet></office:body></office:document-content>"
        )
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr(
                "META-INF/manifest.xml",
                '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>',
            )
        return buf.getvalue()

    with pytest.raises(UploadError, match="spans more than 4,000,000 cells"):
        read_table(ods(100_000, 100), "synthetic_bomb.ods")  # 1 KB describing 10 million cells
    df = read_table(ods(3, 1), "synthetic.ods")
    assert df["units"].tolist() == ["1", "1", "1"]
