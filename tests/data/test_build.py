"""The build pipeline: reproducible, up to date with data/, and strict about its inputs."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo import cli
from geo.data import pipeline, sources
from geo.data.io import DATA_DIR


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def two_builds(raw_dir, tmp_path_factory):
    os.environ["SOURCE_DATE_EPOCH"] = "1764000000"
    try:
        outs = []
        for name in ("a", "b"):
            out = tmp_path_factory.mktemp(name)
            pipeline.build(raw_dir, out, log=lambda *_: None)
            outs.append(out)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return outs


@pytest.mark.slow
def test_build_is_reproducible(two_builds):
    a, b = two_builds
    ha, hb = _hashes(a), _hashes(b)
    assert ha == hb
    assert "MANIFEST.json" in ha and len(ha) == 21
    assert {"demand/london_oas.parquet", "streets/detour.json"} <= set(ha)
    assert {"services/icbs.parquet", "services/registrations_lsoa.parquet"} <= set(ha)


@pytest.mark.slow
def test_committed_data_matches_a_fresh_build(two_builds):
    """data/ is what the pipeline makes now (compared as tables: library versions may change bytes)."""
    fresh = two_builds[0]
    rels = sorted(p.relative_to(fresh) for p in fresh.rglob("*.parquet"))
    assert rels == sorted(p.relative_to(DATA_DIR) for p in DATA_DIR.rglob("*.parquet"))
    for rel in rels:
        plain = rel.parts[0] in ("postcodes", "demand", "streets") or rel.name in (
            "link_workers.parquet",
            "icbs.parquet",
            "registrations_lsoa.parquet",
        )
        if plain:  # plain tables
            new, old = pd.read_parquet(fresh / rel), pd.read_parquet(DATA_DIR / rel)
            pd.testing.assert_frame_equal(new, old, obj=str(rel))
            continue
        new, old = gpd.read_parquet(fresh / rel), gpd.read_parquet(DATA_DIR / rel)
        assert new.index.equals(old.index), rel
        assert list(new.columns) == list(old.columns), rel
        assert new.drop(columns="geometry").equals(old.drop(columns="geometry")), rel
        assert new.geometry.geom_equals_exact(old.geometry, tolerance=1e-9).all(), rel


def _copy_raw(raw: Path, dest: Path) -> Path:
    for rel in sources.RAW_INPUTS:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(raw / rel, target)
    return dest


@pytest.mark.parametrize(
    "rel",
    [
        "population/london-lsoa11-mid2020-pop.csv",
        "postcodes/codepoint-open-2025-04/codepo_gb.zip",
        "tenure/census2021-ts054/census2021-ts054-lsoa.csv",
        "services/osm-2019/gis_osm_pofw_a_free_1.dbf",
    ],
)
def test_refuses_missing_file(raw_dir, tmp_path, rel):
    raw = _copy_raw(raw_dir, tmp_path / "raw")
    (raw / rel).unlink()
    with pytest.raises(sources.BuildError, match="missing: " + re.escape(rel)):
        pipeline.build(raw, tmp_path / "out", log=lambda *_: None)
    assert not (tmp_path / "out").exists()


def test_refuses_altered_bundled_input(raw_dir, tmp_path):
    raw = _copy_raw(raw_dir, tmp_path / "raw")
    rel = "social-prescribing/nhs-2025/pcn_workforce_networks_individual_level_nov2025.parquet"
    (raw / rel).write_bytes((raw / rel).read_bytes() + b"\0")
    with pytest.raises(sources.BuildError, match="altered: " + re.escape(rel)):
        pipeline.build(raw, tmp_path / "out", log=lambda *_: None)


def test_refuses_altered_file(raw_dir, tmp_path):
    raw = _copy_raw(raw_dir, tmp_path / "raw")
    csv = raw / "deprivation/iod2025/iod2025_lsoa21_scores_ranks_deciles.csv"
    csv.write_bytes(csv.read_bytes().replace(b"E01000001,8,", b"E01000001,7,", 1))
    with pytest.raises(sources.BuildError, match=r"altered: deprivation/iod2025/iod2025_lsoa21"):
        pipeline.build(raw, tmp_path / "out", log=lambda *_: None)


@pytest.mark.slow
def test_committed_detour_matches_a_fresh_build(two_builds):
    """The measured detour and its figures in data/ are what the pipeline measures now."""
    import json

    fresh = json.loads((two_builds[0] / "streets" / "detour.json").read_text())
    committed = json.loads((DATA_DIR / "streets" / "detour.json").read_text())
    assert fresh == committed


def test_streets_option_needs_a_file(raw_dir, tmp_path, capsys):
    code = cli.main(
        ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "o"), "--streets",
         str(tmp_path / "missing.osm.pbf")]
    )  # fmt: skip
    assert code == 2
    assert "missing.osm.pbf: file not found" in capsys.readouterr().err


def test_cli_reports_error_and_exit_code(tmp_path, capsys):
    assert (
        cli.main(["build", "--raw", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    )
    assert "Raw data folder not found" in capsys.readouterr().err
