"""Aggregating many uploaded points to areas, for maps that cannot draw them one by one.

A browser draws a few thousand markers smoothly and a few tens of thousands with clustering;
a stock list of 200,000 homes is beyond that. :func:`points_per_area` sums such a list per area
(LSOA), so the map draws one marker per neighbourhood carrying the counts, and the page says it
did. Pure function: frames in, a new frame out, nothing drawn.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["MAX_POINTS", "points_per_area"]

#: Most points drawn one by one on a map (``geo.web.maps.add_points``' own ``max_points``); larger
#: layers are aggregated per area.
MAX_POINTS = 20_000


def points_per_area(
    points: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    code: str = "lsoa_code",
    weight: str | None = None,
    by: str | None = None,
) -> gpd.GeoDataFrame:
    """Count points (and sum a weight) per area, placed at each area's representative point.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Point layer with a CRS (e.g. accepted homes). If it has a ``code`` column, that area
        code is used; rows where it is missing (or without the column) are placed by a spatial
        join with ``areas`` (nearest area, so a point on a generalised edge is not lost).
    areas : geopandas.GeoDataFrame
        Polygons with a CRS, indexed by the area code (or with a ``code`` column); an
        ``lsoa_name`` / ``name`` column is carried over when present.
    code : str, default "lsoa_code"
        Name of the area code.
    weight : str, optional
        Numeric column of ``points`` to sum (e.g. ``units``); missing values count as 0.
    by : str, optional
        Column of ``points`` to split the counts by (e.g. ``theme``): one row per area and
        value.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area holding points (per area and ``by`` value), in ``points``' CRS, with
        columns ``code``, ``by`` (if given), ``points`` (count), ``weight`` (sum, if given),
        ``area_name`` (if the areas have names) and point geometry (the area's representative
        point). ``points.sum() == len(points)``: no point is dropped.
    """
    if points.crs is None or areas.crs is None:
        raise ValueError("points and areas need a CRS")
    crs = points.crs
    if points.crs != areas.crs:  # join in the areas' (projected) CRS, answer in the points'
        points = points.to_crs(areas.crs)
    if code in areas.columns and areas.index.name != code:
        areas = areas.set_index(code)
    codes = (
        points[code].astype(object).where(points[code].notna(), None)
        if code in points.columns
        else pd.Series(None, index=points.index, dtype=object)
    )
    codes = codes.where(codes.isin(areas.index), None)
    missing = codes.isna().to_numpy()
    if missing.any():
        lost = points.loc[missing, ["geometry"]]
        joined = gpd.sjoin_nearest(lost, areas[["geometry"]], how="left")
        joined = joined[~joined.index.duplicated(keep="first")]
        codes.loc[missing] = joined["index_right" if "index_right" in joined else code].to_numpy()
    keys = {code: codes.to_numpy()}
    if by is not None:
        keys[by] = points[by].astype(object).where(points[by].notna(), "").to_numpy()
    frame = pd.DataFrame(keys, index=points.index)
    frame["points"] = 1
    if weight is not None:
        frame["weight"] = pd.to_numeric(points[weight], errors="coerce").fillna(0).to_numpy()
    group_cols = [code] + ([by] if by is not None else [])
    out = frame.groupby(group_cols, sort=True, dropna=False).sum().reset_index()
    if weight is not None:
        out = out.rename(columns={"weight": weight})
        if np.allclose(out[weight], out[weight].round()):
            out[weight] = out[weight].round().astype("int64")
    name_col = next((c for c in ("lsoa_name", "name") if c in areas.columns), None)
    if name_col is not None:
        out["area_name"] = areas[name_col].reindex(out[code]).to_numpy()
    centres = areas.geometry.representative_point().reindex(out[code])
    return gpd.GeoDataFrame(out, geometry=centres.to_numpy(), crs=areas.crs).to_crs(crs)
