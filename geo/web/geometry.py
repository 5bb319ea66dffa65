"""Geometry for the page: lon/lat, coordinates rounded to about 1 m, GeoJSON features, label
points well inside polygons, point rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.ops import polylabel

COORD_DECIMALS = 5  # ~1 m


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326 without missing or empty geometries (assumed lon/lat if no CRS)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"Expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry
    return gdf[geoms.notna() & ~geoms.is_empty]


def round_geometries(geoms: gpd.GeoSeries) -> np.ndarray:
    """2D geometries with coordinates rounded to ``COORD_DECIMALS`` (a no-op on web layers)."""
    arr = shapely.force_2d(np.asarray(geoms.values, dtype=object))
    return shapely.transform(arr, lambda xy: np.round(xy, COORD_DECIMALS))


def feature_collection(
    gdf: gpd.GeoDataFrame,
    properties: Mapping[str, Sequence[Any]],
    *,
    with_id: bool = True,
) -> dict:
    """A GeoJSON FeatureCollection with exactly ``properties`` (and the index as ``id``)."""
    geoms = round_geometries(gdf.geometry)
    keys = list(properties)
    columns = [list(properties[k]) for k in keys]
    ids = [str(i) for i in gdf.index]
    features = []
    for row, geom in enumerate(geoms):
        feature: dict[str, Any] = {
            "type": "Feature",
            "properties": {k: col[row] for k, col in zip(keys, columns, strict=True)},
            "geometry": mapping(geom),
        }
        if with_id:
            feature["id"] = ids[row]
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def label_points(gdf: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """(lat, lon) of a label point well inside each polygon (pole of inaccessibility)."""
    metric = gdf.geometry.to_crs(27700)
    points = []
    for geom in metric:
        if isinstance(geom, shapely.MultiPolygon):
            geom = max(geom.geoms, key=lambda g: g.area)
        try:
            point = polylabel(geom, tolerance=25.0)
        except Exception:  # degenerate polygon: any point inside will do
            point = geom.representative_point()
        points.append(point)
    wgs = gpd.GeoSeries(points, crs=27700).to_crs(4326)
    return [(round(p.y, COORD_DECIMALS), round(p.x, COORD_DECIMALS)) for p in wgs]


def point_rows(gdf: gpd.GeoDataFrame) -> tuple[list[float], list[float]]:
    geoms = gdf.geometry
    kinds = set(geoms.geom_type)
    if kinds - {"Point"}:
        raise ValueError(
            f"Points layer has non-point geometries: {', '.join(sorted(kinds - {'Point'}))}"
        )
    lats = np.round(geoms.y.to_numpy(dtype=float), COORD_DECIMALS).tolist()
    lons = np.round(geoms.x.to_numpy(dtype=float), COORD_DECIMALS).tolist()
    return lats, lons
