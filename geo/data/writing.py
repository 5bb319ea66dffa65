"""Deterministic writers for the processed files (GeoParquet and plain Parquet, zstd) and the
manifest entry of each file (inputs with sha256, licence, attribution).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.data.directory import OGL
from geo.data.sources import sha256_file


def write_parquet(gdf: gpd.GeoDataFrame, path: Path, compression_level: int | None = None) -> None:
    """Write GeoParquet deterministically (fixed row order, zstd, no timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {} if compression_level is None else {"compression_level": compression_level}
    gdf.to_parquet(path, compression="zstd", index=True, write_covering_bbox=False, **kwargs)


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
        if epoch
        else _dt.datetime.now(tz=_dt.UTC)
    )
    return when.date().isoformat()


def manifest_entry(
    path: Path,
    out: Path,
    inputs: Iterable[str],
    shas: dict[str, str],
    description: str,
    attribution: list[str],
    rows: int,
) -> dict:
    return {
        "path": path.relative_to(out).as_posix(),
        "description": description,
        "rows": rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "inputs": [{"path": rel, "sha256": shas[rel]} for rel in sorted(inputs)],
        "licence": OGL,
        "attribution": attribution,
    }


#: zstd level for the bundled layers (smaller clone; reading speed is unaffected).
ZSTD_LEVEL = 19


def write_table(
    frame: pd.DataFrame, path: Path, *, encodings: dict[str, str] | None = None
) -> None:
    """Write a plain (non-spatial) table as zstd Parquet, deterministically.

    ``encodings`` gives Parquet column encodings (e.g. ``DELTA_BINARY_PACKED`` for sorted
    coordinates); those columns are written without dictionaries.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=not isinstance(frame.index, pd.RangeIndex))
    plain = set(encodings or {})
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=[c for c in table.column_names if c not in plain],
        column_encoding=encodings or None,
    )
