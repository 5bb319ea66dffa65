"""Shared fixtures: the raw official data folder and the processed layers."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from synthetic_uploads import EAST, WEST

from geo.data.sources import DEFAULT_RAW

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The raw official data (``../shared/data/raw`` or ``$RAW_DIR``)."""
    path = Path(os.environ.get("RAW_DIR", DEFAULT_RAW))
    if not (path / "SOURCES.md").is_file():
        pytest.fail(
            f"raw data folder {path} not found: put ../shared beside the checkout or set RAW_DIR"
        )
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for test artefacts (screenshots); ignored by git."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def synthetic_lookup() -> pd.DataFrame:
    """A synthetic offline postcode lookup (real-format postcodes, invented positions)."""
    return pd.DataFrame(
        {
            "postcode": ["SW1A 1AA", "E1 6AN", "N1 9GU", "SE1 7PB"],
            "easting": [529_000, 533_500, 531_000, 560_000],  # SE1 7PB placed outside
            "northing": [179_500, 181_500, 183_000, 150_000],
        }
    )
