"""What a closure costs, on the planner's data: who loses their only place of a theme in reach.

The glue between the existing places (:mod:`geo.analysis.walkaccess` models, the gap finder's
distance tables) and the closure measures (:mod:`geo.analysis.closures`):

- :func:`theme_places`: the places of a theme, one row per place, with the neighbourhood and
  borough each stands in;
- :func:`place_cover`: Output Areas x those places, within the catchment (the gap finder's
  walking distances, boundary inclusive);
- :func:`closure_weights`: residents, housing association households and the target group
  per Output Area (:func:`geo.analysis.planinputs.reach_weights`);
- :func:`closure_impact`: closing some places: who is left with no place of the theme within
  reach, by neighbourhood;
- :func:`most_important`: the places whose loss leaves the most people unreached, one at a time
  (sole coverage) and as a set of N (the exact r-interdiction covering problem).

Only places inside the planning area are closed; people anywhere in London count (a closure's
effect does not stop at a borough boundary), and places outside the area still serve.

Pure functions, no streamlit.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geo.analysis.closures import CriticalResult, critical_places, lost_demand, sole_coverage
from geo.analysis.planinputs import areas_of, reach_weights
from geo.analysis.walkaccess import AccessModel

__all__ = [
    "closure_impact",
    "closure_weights",
    "most_important",
    "place_cover",
    "theme_places",
]


def theme_places(
    model: AccessModel | None,
    directory: gpd.GeoDataFrame | None,
    theme: str,
    lsoas: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """The places of ``theme`` in the model, one row per place, in facility order.

    Returns
    -------
    pandas.DataFrame
        ``facility`` (position in ``model.supply``), ``site_id``, ``name``, ``category``,
        ``category_label``, ``lsoa_code``, ``borough_code``, ``borough_name``, ``lon``, ``lat``;
        empty when no place provides the theme.
    """
    columns = [
        "facility",
        "site_id",
        "name",
        "category",
        "category_label",
        "lsoa_code",
        "borough_code",
        "borough_name",
        "lon",
        "lat",
    ]
    if model is None or directory is None or theme not in model.supply.themes:
        return pd.DataFrame(columns=columns)
    fac = np.flatnonzero(model.supply.theme_mask(theme))
    ids = model.supply.facility_id[fac].astype(str)
    rows = directory.reindex(pd.Index(ids))
    ok = rows["category"].notna().to_numpy()
    fac, ids, rows = fac[ok], ids[ok], rows[ok]
    geom = gpd.GeoSeries(rows.geometry.to_numpy(), crs=directory.crs).to_crs(27700)
    joined = areas_of(geom.x.to_numpy(float), geom.y.to_numpy(float), lsoas)
    ll = geom.to_crs(4326)
    return pd.DataFrame(
        {
            "facility": fac.astype(np.int64),
            "site_id": ids,
            "name": rows["name"].astype(object).fillna("(no name)").to_numpy(),
            "category": rows["category"].astype(str).to_numpy(),
            "category_label": rows["category_label"].astype(str).to_numpy(),
            "lsoa_code": joined["lsoa_code"].to_numpy(dtype=object),
            "borough_code": joined["borough_code"].to_numpy(dtype=object),
            "borough_name": joined["borough_name"].to_numpy(dtype=object),
            "lon": ll.x.to_numpy(),
            "lat": ll.y.to_numpy(),
        },
        columns=columns,
    )


def place_cover(model: AccessModel, places: pd.DataFrame, catchment: float) -> sparse.csr_array:
    """Boolean (n_OA x len(places)): place within ``catchment`` walking metres of the OA."""
    t = model.table
    col_of = np.full(t.n_facility, -1, dtype=np.int64)
    col_of[places["facility"].to_numpy(np.int64)] = np.arange(len(places))
    col = col_of[t.facility]
    keep = (col >= 0) & (t.distance <= catchment)
    out = sparse.csr_array(
        (np.ones(int(keep.sum()), dtype=bool), (t.origin[keep], col[keep])),
        shape=(t.n_origin, len(places)),
    )
    out.sum_duplicates()
    out.sort_indices()
    return out


def closure_weights(oas: pd.DataFrame, lsoas: pd.DataFrame, reach: str) -> pd.DataFrame:
    """Per Output Area: ``residents``, ``ha`` (housing association households) and
    ``target`` (the target group ``reach``), as :func:`~geo.analysis.planinputs.reach_weights`."""
    return pd.DataFrame(
        {
            "residents": reach_weights(oas, lsoas, "residents"),
            "ha": reach_weights(oas, lsoas, "ha"),
            "target": reach_weights(oas, lsoas, reach),
        },
        index=oas.index,
    )


def closure_impact(
    cover: sparse.csr_array,
    weights: pd.DataFrame,
    closed: np.ndarray,
    oas: pd.DataFrame,
    lsoas: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.Series]:
    """Who is left with no place of the theme within reach when ``closed`` places close.

    Parameters
    ----------
    cover
        :func:`place_cover` of every place of the theme.
    weights
        :func:`closure_weights`.
    closed
        Positions (columns of ``cover``) or a boolean mask of the places closed.
    oas, lsoas
        For the neighbourhood (LSOA 2021) of each Output Area and its name and borough.

    Returns
    -------
    tuple
        The table by neighbourhood (``lsoa_code`` index; ``lsoa_name``, ``borough_name``,
        ``output_areas`` left without a place, ``residents``, ``ha``, ``target``), largest
        loss of the target group first, and the totals (the same columns summed).
    """
    lost = lost_demand(cover, closed)
    frame = weights.loc[lost].copy()
    frame["output_areas"] = 1
    codes = oas["lsoa21_code"].to_numpy()[lost]
    table = frame.groupby(codes).sum()
    table.index.name = "lsoa_code"
    table.insert(0, "borough_name", lsoas["borough_name"].reindex(table.index).to_numpy())
    table.insert(0, "lsoa_name", lsoas["lsoa_name"].reindex(table.index).to_numpy())
    table = table[["lsoa_name", "borough_name", "output_areas", "residents", "ha", "target"]]
    table = table.sort_values(["target", "residents"], ascending=False)
    totals = table[["output_areas", "residents", "ha", "target"]].sum()
    return table, totals


def most_important(
    cover: sparse.csr_array,
    weights: pd.DataFrame,
    places: pd.DataFrame,
    closable: np.ndarray,
    n: int,
    *,
    time_limit: float | None = 30.0,
) -> tuple[pd.DataFrame, CriticalResult, pd.DataFrame]:
    """The places that matter most for the target group: one at a time and as a set of ``n``.

    Parameters
    ----------
    cover
        :func:`place_cover` of every place of the theme (all London: places outside the area
        keep serving).
    weights
        :func:`closure_weights`; the ranking is by ``target``.
    places
        :func:`theme_places` (rows = columns of ``cover``).
    closable
        Boolean per place: inside the planning area (only these may close).
    n
        How many places.
    time_limit
        Seconds for the exact set (HiGHS).

    Returns
    -------
    tuple
        ``(sole, critical, critical_table)``: the ``n`` closable places with the largest sole
        coverage (each one's own loss, :func:`geo.analysis.closures.sole_coverage`), the exact
        worst set of ``n`` (:func:`geo.analysis.closures.critical_places`, positions into
        ``places``) and its table in marginal-loss order (``added_loss``: what each adds
        given those before).
    """
    w = weights[["residents", "ha", "target"]].to_numpy(float)
    sole = sole_coverage(cover, w)
    ranking = places.assign(sole_residents=sole[:, 0], sole_ha=sole[:, 1], sole_target=sole[:, 2])[
        np.asarray(closable, dtype=bool)
    ]
    ranking = ranking.sort_values(["sole_target", "sole_residents"], ascending=False).head(n)
    # only closable places can close: demand with a place outside the area is never lost
    cols = np.flatnonzero(closable)
    others = np.flatnonzero(~np.asarray(closable, dtype=bool))
    safe = (
        np.asarray(cover[:, others].sum(axis=1)).ravel() > 0
        if len(others)
        else np.zeros(cover.shape[0], dtype=bool)
    )
    target = np.where(safe, 0.0, weights["target"].to_numpy(float))
    res = critical_places(cover[:, cols], target, int(n), time_limit=time_limit)
    chosen = cols[res.places]
    rows, before = [], 0.0
    for k in range(len(chosen)):
        loss = float(target[lost_demand(cover, chosen[: k + 1])].sum())
        rows.append(loss - before)
        before = loss
    critical_table = places.iloc[chosen].assign(added_loss=rows).reset_index(drop=True)
    result = CriticalResult(
        places=chosen,
        loss=res.loss,
        bound=res.bound,
        gap=res.gap,
        proved_optimal=res.proved_optimal,
        status=res.status,
        seconds=res.seconds,
    )
    return ranking.reset_index(drop=True), result, critical_table
