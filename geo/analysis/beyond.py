"""Housing association households and a user's homes beyond walking reach of each theme.

Census households are counted per LSOA, not at their addresses, so an LSOA's housing
association households are counted beyond reach of a theme **in proportion to its residents
beyond reach**: households x (1 - share of its residents, in Census 2021 Output Areas, with a
place of the theme within the catchment; :func:`geo.analysis.oa_access.reach_by_theme`). A
user's uploaded homes are measured from their own locations (:func:`home_measures`), with the
same walking distances as the Output Areas (on the street network where it covers both ends,
else straight line x detour: :func:`geo.analysis.walkaccess.homes_table`).

The tables have one row per borough code and a last row ``"London"``: ``area`` (name),
``total`` (households or homes) and per theme with places ``"{theme}: beyond reach"`` and
``"{theme}: share"`` (0..1); :func:`geo.analysis.provision.census_baseline` shows them.

Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.oa_access import reach_by_theme
from geo.analysis.oa_gaps import model_themes
from geo.analysis.oa_table import ALL, nearest_beyond, origin_counts
from geo.analysis.walkaccess import SERVICE_THEMES, AccessModel, Streets, homes_table

__all__ = ["beyond_table", "ha_beyond_reach", "home_measures", "homes_beyond_reach"]


def beyond_table(
    beyond: pd.DataFrame,
    weights: pd.Series,
    groups: pd.Series,
    names: Mapping[str, str],
    themes: Iterable[str],
) -> pd.DataFrame:
    """Per group (borough) and London: the total weight and the weight beyond reach per theme.

    Parameters
    ----------
    beyond : pandas.DataFrame
        Weight beyond reach per row (LSOA or home), one column per theme.
    weights : pandas.Series
        Total weight per row (households or homes).
    groups : pandas.Series
        Group (borough code) of each row.
    names : Mapping
        Group code -> name.
    themes : iterable of str
        The theme columns to report.
    """
    themes = list(themes)
    frame = pd.DataFrame({"w": weights.astype(float).to_numpy(), "g": groups.to_numpy()})
    for theme in themes:
        frame[theme] = beyond[theme].astype(float).to_numpy()
    summed = frame.groupby("g").sum(numeric_only=True)
    total = frame.drop(columns="g").sum(numeric_only=True).rename("London")
    summed = pd.concat([summed, total.to_frame().T])
    rows = {}
    for code, row in summed.iterrows():
        rec = {"area": names.get(code, code) if code != "London" else "London", "total": row["w"]}
        for theme in themes:
            rec[f"{theme}: beyond reach"] = row[theme]
            rec[f"{theme}: share"] = row[theme] / row["w"] if row["w"] > 0 else np.nan
        rows[code] = rec
    return pd.DataFrame.from_dict(rows, orient="index")


def ha_beyond_reach(
    lsoas: gpd.GeoDataFrame,
    model: AccessModel | None,
    *,
    vintage: str = "iod2025",
    catchment: float = 800.0,
    weight_col: str = "ha_households",
) -> pd.DataFrame:
    """Housing association households beyond walking reach of each theme, by borough.

    An LSOA's households beyond reach of a theme = its households x (1 - the share of its
    residents with a place of the theme within ``catchment``), the residents counted in Output
    Areas (see the module docstring). Themes with no place have no columns.
    """
    themes = model_themes(model)
    weights = pd.to_numeric(lsoas[weight_col], errors="coerce").fillna(0.0)
    if themes:
        prep = model.prepared(vintage, lsoas.index)
        reach = reach_by_theme(prep, catchment=catchment, themes=themes).reindex(lsoas.index)
        beyond = (1.0 - reach[themes]).mul(weights, axis=0)
    else:
        beyond = pd.DataFrame(index=lsoas.index)
    names = lsoas.groupby("borough_code")["borough_name"].first().to_dict()
    out = beyond_table(beyond, weights, lsoas["borough_code"], names, themes)
    out.attrs.update({"catchment": catchment, "detour": None if model is None else model.detour})
    return out


def home_measures(
    stock: gpd.GeoDataFrame,
    model: AccessModel,
    streets: Streets | None,
    *,
    catchment: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Places within ``catchment`` of each home and walking metres to the nearest, per theme.

    Homes are measured from their own location, on the street network where it covers the
    home and the place, else straight line x the model's detour.

    Returns
    -------
    tuple of pandas.DataFrame
        ``within`` (counts) and ``nearest`` (metres; NaN: no place of the theme), aligned to
        ``stock.index``, one column per theme then ``"all"``.
    """
    xy = np.column_stack([stock.geometry.x.to_numpy(float), stock.geometry.y.to_numpy(float)])
    table = homes_table(
        xy, model.supply, streets, detour=model.detour, distance=model.distance
    )  # fmt: skip
    themes = list(SERVICE_THEMES)
    within = origin_counts(table, model.supply, catchment=catchment, themes=themes)
    within.index = stock.index
    nearest = pd.DataFrame(
        {t: nearest_beyond(table, model.supply, xy, t) for t in [*themes, ALL]}, index=stock.index
    )
    return within, nearest


def homes_beyond_reach(
    stock: gpd.GeoDataFrame, within: pd.DataFrame, themes: Iterable[str]
) -> pd.DataFrame:
    """The user's homes with no place of each theme within reach (``within`` from
    :func:`home_measures`), by borough and London; ``units`` (1 when absent) are the weights."""
    units = (
        pd.to_numeric(stock["units"], errors="coerce").fillna(1.0)
        if "units" in stock.columns
        else pd.Series(1.0, index=stock.index)
    )
    themes = list(themes)
    beyond = pd.DataFrame({t: units.where(within[t].eq(0), 0.0) for t in themes})
    names = stock.groupby("borough_code")["borough_name"].first().to_dict()
    return beyond_table(beyond, units, stock["borough_code"], names, themes)
