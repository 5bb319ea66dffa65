"""Tests for geo.data.postcodes: normalising postcodes and reading synthetic lookup files.

The lookup files are synthetic: real-format postcodes with invented coordinates.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.data.postcodes import normalise_postcode, read_postcode_lookup


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  Sw1A   1aA ", "SW1A 1AA"),
        ("E1 6AN", "E1 6AN"),
        ("E16AN", "E1 6AN"),
        ("EC1A1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("N1C 4AA", "N1C 4AA"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN551PT", "DN55 1PT"),
        ("E1  6AN", "E1 6AN"),  # ONSPD pcd8-style padding
        ("SW1A\u00a01AA", "SW1A 1AA"),  # non-breaking space
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_normalise_valid(raw: str, expected: str) -> None:
    assert normalise_postcode(pd.Series([raw])).iloc[0] == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "SW1A",
        "12345",
        "QQ1 1QQ",
        "SW1A 1CC",
        "E1 6AN X",
        "not a postcode",
        "V1 1AA",
        "SW1A-1AA",
    ],
)
def test_normalise_invalid_gives_nan(raw: str) -> None:
    assert pd.isna(normalise_postcode(pd.Series([raw])).iloc[0])


def test_normalise_keeps_index_and_missing() -> None:
    s = pd.Series(["sw1a1aa", None, np.nan, "bad"], index=[5, 6, 7, 8], dtype=object)
    out = normalise_postcode(s)
    assert out.index.tolist() == [5, 6, 7, 8]
    assert out.iloc[0] == "SW1A 1AA"
    assert out.iloc[1:].isna().all()


def synthetic_onspd(columns: str = "old") -> str:
    """A synthetic ONSPD extract: live, terminated, no-grid and malformed rows."""
    if columns == "old":
        header = "pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind,lat,long,rgn"
    else:  # 2025+ names
        header = "PCD7,PCD8,PCDS,DOINTR,DOTERM,EAST1M,NORTH1M,GRIDIND,LAT,LONG,RGN"
    rows = [
        "SW1A1AA,SW1A 1AA,SW1A 1AA,198001,,529090,179645,1,51.501009,-0.141588,E12000007",
        "E1  6AN,E1   6AN,E1 6AN,198001,,533657,181562,1,51.520,-0.072,E12000007",
        "E1  9ZZ,E1   9ZZ,E1 9ZZ,198001,200112,533000,181000,1,51.51,-0.08,E12000007",
        "N1  9GU,N1   9GU,N1 9GU,198001,,,,9,99.999999,0.000000,E12000007",
        "ZZ9 9ZZ,ZZ9  9ZZ,XX9 9ZZ,198001,,1,1,1,49,-7,E12000007",
        "SW1A1AA,SW1A 1AA,SW1A 1AA,198001,,1,1,1,51.5,-0.1,E12000007",
    ]
    return "\n".join([header, *rows]) + "\n"


@pytest.mark.parametrize("columns", ["old", "new"])
def test_read_onspd(columns: str) -> None:
    out = read_postcode_lookup(synthetic_onspd(columns).encode())
    assert list(out.columns) == ["postcode", "easting", "northing"]
    assert out["postcode"].tolist() == ["SW1A 1AA", "E1 6AN"]  # terminated/no grid/bad left out
    assert out["easting"].tolist() == [529090, 533657]
    assert out["easting"].dtype == "int64" and out["northing"].dtype == "int64"


def test_read_onspd_lat_long_only() -> None:
    text = "pcds,doterm,lat,long\nSW1A 1AA,,51.501009,-0.141588\nN1 9GU,,99.999999,0.000000\n"
    out = read_postcode_lookup(io.BytesIO(text.encode()))
    assert out["postcode"].tolist() == ["SW1A 1AA"]
    assert out["easting"].iloc[0] == pytest.approx(529_090, abs=150)
    assert out["northing"].iloc[0] == pytest.approx(179_645, abs=150)


def synthetic_codepoint() -> str:
    """A synthetic Code-Point Open CSV (no header)."""
    return (
        '"SW1A1AA",10,529090,179645,"E92000001","E19000003","E18000007","","E09000033","E05013806"\n'
        '"E1  6AN",10,533657,181562,"E92000001","E19000003","E18000007","","E09000030","E05009318"\n'
        '"N1  9GU",90,0,0,"E92000001","","","","",""\n'
    )


def test_read_codepoint_open(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_codepoint_e.csv"
    path.write_text(synthetic_codepoint())
    out = read_postcode_lookup(path)
    assert out["postcode"].tolist() == ["SW1A 1AA", "E1 6AN"]
    assert out["northing"].tolist() == [179645, 181562]
    assert read_postcode_lookup(str(path)).equals(out)


def test_read_codepoint_with_documented_header() -> None:
    text = "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\n" + synthetic_codepoint()
    out = read_postcode_lookup(text.encode())
    assert out["postcode"].tolist() == ["SW1A 1AA", "E1 6AN"]


def test_read_zip_of_codepoint_files_skips_docs() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Data/CSV/sw.csv", synthetic_codepoint().splitlines()[0] + "\n")
        zf.writestr("Data/CSV/e.csv", "\n".join(synthetic_codepoint().splitlines()[1:]) + "\n")
        zf.writestr("Doc/Code-Point_Open_Column_Headers.csv", "PC,PQ,EA,NO\nPostcode,x,y,z\n")
    out = read_postcode_lookup(buf.getvalue())
    assert sorted(out["postcode"]) == ["E1 6AN", "SW1A 1AA"]


def test_bbox_filter() -> None:
    out = read_postcode_lookup(
        synthetic_onspd().encode(), bbox=(530_000, 170_000, 540_000, 190_000)
    )
    assert out["postcode"].tolist() == ["E1 6AN"]


def test_unrecognised_file_refused() -> None:
    with pytest.raises(ValueError, match="No postcode file recognised"):
        read_postcode_lookup(b"name,value\nsynthetic,1\n")


def test_read_onspd_zip_path_skips_multi_csv_and_documents(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_onspd.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Data/ONSPD_SYNTHETIC_UK.csv", synthetic_onspd())
        zf.writestr("Data/multi_csv/ONSPD_SYNTHETIC_UK_E.csv", synthetic_onspd())
        zf.writestr("Documents/LA_UA names and codes.csv", "LAD23CD,LAD23NM\nE09000001,x\n")
    out = read_postcode_lookup(path)
    assert out["postcode"].tolist() == ["SW1A 1AA", "E1 6AN"]


def test_read_text_buffer() -> None:
    out = read_postcode_lookup(io.StringIO(synthetic_onspd("new")))
    assert out["postcode"].tolist() == ["SW1A 1AA", "E1 6AN"]
