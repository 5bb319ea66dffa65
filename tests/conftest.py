"""Shared fixtures: the raw official data folder and the processed layers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.build import DEFAULT_RAW

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
