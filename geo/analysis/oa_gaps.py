"""The gap finder's access columns, measured where people live (Output Areas).

:func:`theme_measures` gives, per LSOA, the access measure (E2SFCA) of the selected theme and,
per theme, the places within reach of the average resident (``within_*``), the share of
residents with at least one place within reach (``reach_*``) and the walking distance of the
median resident to the nearest place (``nearest_*_m``), all from one
:class:`geo.analysis.walkaccess.AccessModel` (:mod:`geo.analysis.oa_access`). :func:`reasons`
writes each LSOA's plain-English reason from them.

Pure functions, no streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.oa_access import (
    lsoa_measures,
    nearest_by_theme,
    reach_by_theme,
    spread_to_oas,
    within_by_theme,
)
from geo.analysis.oa_table import ALL
from geo.analysis.walkaccess import AccessModel

__all__ = ["ThemeMeasures", "model_themes", "reasons", "theme_measures"]


def model_themes(model: AccessModel | None) -> list[str]:
    """The themes (in order) with at least one place in the model."""
    if model is None or model.supply.n_facilities == 0:
        return []
    have = np.asarray(model.supply.member.sum(axis=0)).ravel() > 0
    return [t for t, ok in zip(model.supply.themes, have, strict=True) if ok]


@dataclass(frozen=True)
class ThemeMeasures:
    """Per-LSOA measures of one selection (:func:`theme_measures`).

    Attributes
    ----------
    access : pandas.Series
        E2SFCA of the selected theme (places per resident).
    columns : pandas.DataFrame
        ``reach_share`` and ``nearest_m`` of the selected theme (all themes: any place), then
        ``within_{t}``, ``reach_{t}`` per theme shown and ``all``, and ``nearest_{t}_m``.
    themes : list of str
        The theme columns shown (the selected theme, or every theme with places).
    """

    access: pd.Series
    columns: pd.DataFrame
    themes: list[str]


def theme_measures(
    lsoas: pd.DataFrame,
    model: AccessModel,
    *,
    vintage: str,
    theme: str | None,
    catchment: float,
    decay: str = "step",
    demand: str = "population",
    use_capacity: bool = False,
) -> ThemeMeasures:
    """Access and reach per LSOA for one theme (``None``: all themes), residents in OAs.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        All London LSOAs of ``vintage`` (index = LSOA codes; ``demand`` column when it is not
        ``"population"``).
    model : geo.analysis.walkaccess.AccessModel
        The places and their distances to the OAs.
    vintage : str
        ``"iod2025"`` (LSOA 2021) or ``"iod2019"`` (LSOA 2011).
    theme : str or None
        A theme, or None for all themes.
    catchment : float
        Walking metres (<= 1,600).
    decay, use_capacity
        As in :func:`geo.analysis.oa_access.lsoa_measures`.
    demand : str
        ``"population"`` (OA residents), or an LSOA column (``population_65plus``,
        ``disabled``) spread over the OAs in proportion to their residents
        (:func:`geo.analysis.oa_access.spread_to_oas`).

    Returns
    -------
    ThemeMeasures
        Aligned to ``lsoas.index``.
    """
    prep = model.prepared(vintage, lsoas.index)
    oa_demand = None if demand == "population" else spread_to_oas(prep, lsoas[demand])
    key = ALL if theme is None else theme
    chosen = lsoa_measures(
        prep, key, catchment=catchment, decay=decay, demand=oa_demand, use_capacity=use_capacity
    )
    present = model_themes(model)
    shown = present if theme is None else [theme]
    within = within_by_theme(prep, catchment=catchment, themes=shown)
    reach = reach_by_theme(prep, catchment=catchment, themes=shown)
    cols = pd.DataFrame(index=prep.lsoa_index)
    cols["reach_share"] = chosen["reach_share"]
    cols["nearest_m"] = chosen["nearest_m"]
    for t in [*shown, ALL]:
        cols[f"within_{t}"] = within[t]
    for t in [*shown, ALL]:
        cols[f"reach_{t}"] = reach[t]
    nearest = nearest_by_theme(prep, themes=shown)
    for t in shown if theme is not None else []:
        cols[f"nearest_{t}_m"] = nearest[t]
    cols[f"nearest_{ALL}_m"] = nearest[ALL]
    return ThemeMeasures(
        access=chosen["access"].reindex(lsoas.index),
        columns=cols.reindex(lsoas.index),
        themes=shown,
    )


def _metres(value: float) -> str:
    tens = int(round(value, -1))
    return f"{tens:d} m" if tens < 1000 else f"{value / 1000:.1f} km"


def _share(value: float) -> str:
    pct = value * 100
    if 0 < pct < 1:
        return "under 1%"
    if 99 < pct < 100:
        return "over 99%"
    return f"{pct:.0f}%"


def _join(words: list[str], conj: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conj} {words[-1]}"


def reasons(
    deprivation: pd.Series, columns: pd.DataFrame, theme: str | None, catchment: float
) -> list[str]:
    """One reason per LSOA: deprivation, then who has a place within reach and the walk.

    One theme: "...; 23% of residents have a Digital inclusion place within 800 m; the median
    resident walks 1.2 km to the nearest one". All themes: "...; most residents have no Employment
    or Digital inclusion place within 800 m; the median resident walks 350 m to the nearest
    place" (themes reached by fewer than half the residents are named).
    """
    where = f"within {catchment:,.0f} m"
    themes = [
        c[6:]
        for c in columns.columns
        if c.startswith("reach_") and c not in (f"reach_{ALL}", "reach_share")
    ]
    out = []
    rows = columns.reindex(deprivation.index).to_dict("records")  # plain rows: fast
    for dep, row in zip(deprivation.to_numpy(), rows, strict=True):
        near = row["nearest_m"]
        if theme is not None:
            share = row["reach_share"]
            a = "an" if theme[:1].lower() in "aeiou" else "a"
            reach = (
                f"no resident has {a} {theme} place {where}"
                if share == 0
                else f"{_share(share)} of residents have {a} {theme} place {where}"
            )
            walk = (
                f"no {theme} place loaded"
                if pd.isna(near)
                else f"the median resident walks {_metres(near)} to the nearest one"
            )
        else:
            if row[f"reach_{ALL}"] == 0:
                reach = f"no resident has a place {where}"
            else:
                short = [t for t in themes if row[f"reach_{t}"] < 0.5]
                reach = (
                    f"most residents have no {_join(short, 'or')} place {where}"
                    if short
                    else f"most residents have a place of every theme {where}"
                )
            walk = (
                "no places loaded"
                if pd.isna(near)
                else f"the median resident walks {_metres(near)} to the nearest place"
            )
        out.append(f"{dep}; {reach}; {walk}")
    return out
