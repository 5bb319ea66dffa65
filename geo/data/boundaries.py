"""LSOA and borough boundaries: reading the shapefiles (British National Grid), repair, the
coverage-simplified web copies, and point in polygon (:func:`assign_areas`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.data.sources import BNG, WGS84

#: Coverage simplification tolerance for the web layers, metres (EPSG:27700).
WEB_TOLERANCE_M = 30.0


#: Decimal places kept in web coordinates (1e-5 degrees is about 1.1 m north-south in London).
WEB_DECIMALS = 5


def read_shapefile(raw: Path, stem: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(raw / f"{stem}.shp", engine="pyogrio")
    # The London Datastore .prj files are ESRI-style; the data is British National Grid.
    return gdf.set_crs(BNG, allow_override=True)


def read_lsoas(raw: Path, stem: str, *, lsoa: str, lad: str, msoa: str) -> gpd.GeoDataFrame:
    """An LSOA shapefile with our column names, indexed and sorted by code, geometry repaired."""
    gdf = read_shapefile(raw, stem).rename(
        columns={
            f"{lsoa}CD": "lsoa_code",
            f"{lsoa}NM": "lsoa_name",
            f"{msoa}CD": "msoa_code",
            f"{lad}CD": "borough_code",
            f"{lad}NM": "borough_name",
        }
    )
    gdf = gdf.set_index("lsoa_code").sort_index()
    gdf["geometry"] = repair(gdf.geometry)
    return gdf


def repair(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """make_valid, keep only polygonal parts, and snap to a 1 mm grid so neighbours share edges."""
    fixed = shapely.make_valid(geoms.values)
    fixed = shapely.set_precision(fixed, 0.001)
    fixed = np.array([polygonal(g) for g in fixed], dtype=object)
    return gpd.GeoSeries(fixed, index=geoms.index, crs=geoms.crs)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def web_layer(gdf: gpd.GeoDataFrame, tolerance: float = WEB_TOLERANCE_M) -> gpd.GeoDataFrame:
    """A copy for the browser: coverage-simplified in EPSG:27700, then EPSG:4326, rounded.

    ``shapely.coverage_simplify`` simplifies shared edges once, so neighbours keep meeting
    without gaps or overlaps. Coordinates are then rounded to :data:`WEB_DECIMALS` places.
    Only the geometry is kept (attributes are joined at render time).
    """
    simple = shapely.coverage_simplify(gdf.geometry.values, tolerance)
    web = gpd.GeoSeries(simple, index=gdf.index, crs=gdf.crs).to_crs(WGS84)
    # Pointwise rounding keeps shared vertices identical on both sides of every shared edge;
    # the few polygons it makes invalid (a vertex collapsing onto an edge) are repaired.
    rounded = shapely.set_precision(web.values, 10.0**-WEB_DECIMALS, mode="pointwise")
    bad = ~shapely.is_valid(rounded)
    rounded[bad] = [polygonal(g) for g in shapely.make_valid(rounded[bad])]
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(rounded, index=gdf.index, crs=WGS84))


def dissolve_coverage(gdf: gpd.GeoDataFrame, by: pd.Series) -> gpd.GeoDataFrame:
    """Union the polygons of each group on the web coordinate grid, sorted by key."""
    geoms = {
        key: polygonal(
            shapely.union_all(
                gdf.geometry.values[np.asarray(by == key)], grid_size=10.0**-WEB_DECIMALS
            )
        )
        for key in sorted(by.unique())
    }
    return gpd.GeoDataFrame(
        geometry=gpd.GeoSeries(list(geoms.values()), index=pd.Index(list(geoms), name=by.name)),
        crs=gdf.crs,
    )


#: Points outside every LSOA polygon snap to the nearest one within this distance (metres).
SNAP_M = 250.0


def assign_areas(
    x: np.ndarray,
    y: np.ndarray,
    lsoa21: gpd.GeoDataFrame,
    lsoa11: gpd.GeoDataFrame,
    snap: float = SNAP_M,
) -> pd.DataFrame:
    """LSOA 2021 / 2011 and borough codes of points (EPSG:27700) by point in polygon.

    A point inside no polygon takes the nearest polygon within ``snap`` metres; otherwise its
    codes are missing (the point is outside London). ``borough_code`` is the borough of the
    LSOA 2021. Returns a frame in the points' order with a ``snapped`` flag.
    """
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=BNG)
    out = pd.DataFrame(index=range(len(pts)))
    snapped = np.zeros(len(pts), dtype=bool)
    for col, polys in (("lsoa21_code", lsoa21), ("lsoa11_code", lsoa11)):
        codes = np.full(len(pts), None, dtype=object)
        tree = shapely.STRtree(polys.geometry.values)
        p_idx, g_idx = tree.query(pts.values, predicate="within")
        # A point on a shared edge matches two polygons: keep the first (polygons sorted by code).
        first = pd.Series(g_idx).groupby(p_idx).min()
        codes[first.index.to_numpy()] = polys.index.to_numpy()[first.to_numpy()]
        todo = np.flatnonzero(pd.isna(codes))
        if len(todo):
            q_idx, h_idx = tree.query_nearest(
                pts.values[todo], max_distance=snap, all_matches=False
            )
            codes[todo[q_idx]] = polys.index.to_numpy()[h_idx]
            if col == "lsoa21_code":
                snapped[todo[q_idx]] = True
        out[col] = codes
    out["borough_code"] = lsoa21["borough_code"].reindex(out["lsoa21_code"]).to_numpy()
    out["snapped"] = snapped
    return out
