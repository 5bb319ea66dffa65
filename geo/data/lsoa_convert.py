"""LSOA 2011 -> LSOA 2021 conversion through the ONS exact-fit lookup.

Pure functions (no I/O, no streamlit), used by the build (PTAL per LSOA 2021) and by
:mod:`geo.analysis.registration` (link workers by registration per LSOA 2021). The lookup is
:func:`geo.data.census.read_lsoa_lookup` (``lsoa11_code``, ``lsoa21_code``, ``change_code``);
the ONS change codes are:

* ``U`` unchanged: one 2011 LSOA is one 2021 LSOA;
* ``S`` split: one 2011 LSOA became several 2021 LSOAs (each wholly inside it);
* ``M`` merged: several 2011 LSOAs became one 2021 LSOA;
* ``X`` complex: boundaries redrawn, many to many (there are none in London: every London LSOA
  2021 is U, S or M; see the tests).

Counts (extensive figures: FTE, patients) are moved with :func:`lsoa_weights`: a 2011 LSOA's
count is shared among its 2021 pieces in proportion to the pieces' Census 2021 population, and
a 2021 LSOA sums what it receives. This one rule covers every code: ``U`` and ``M`` pieces get
weight 1 (a merged LSOA is the sum of its parts), ``S`` pieces their population share, and an
``X`` piece its population share of each 2011 LSOA it overlaps. For ``X`` that share is an
approximation (a piece's population also counts residents who lived in another 2011 LSOA);
it is exact for U, S and M. Every 2011 LSOA's weights add up to 1, so London totals are kept.

Levels (averages such as the PTAL access index) are moved with :func:`to_lsoa21_mean`: a 2021
LSOA takes the mean of its 2011 parents weighted by each parent's population times the share of
that parent it received, so a split piece copies its parent's value and a merged LSOA takes the
population-weighted mean of its parents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "CHANGE_CODES",
    "lookup_from_lsoas",
    "lsoa_weights",
    "to_lsoa21_mean",
    "to_lsoa21_sum",
]

#: ONS change codes of the exact-fit lookup, and what they mean.
CHANGE_CODES: dict[str, str] = {
    "U": "unchanged",
    "S": "split (2011 LSOA divided into several 2021 LSOAs)",
    "M": "merged (several 2011 LSOAs joined into one 2021 LSOA)",
    "X": "complex (redrawn, many to many)",
}


def lsoa_weights(lookup: pd.DataFrame, population21: pd.Series) -> pd.DataFrame:
    """Share of each 2011 LSOA's count that goes to each of its 2021 pieces.

    Parameters
    ----------
    lookup
        Rows ``lsoa11_code``, ``lsoa21_code``, ``change_code`` (one per pair), already limited
        to the LSOAs wanted (e.g. London).
    population21
        Census 2021 usual residents indexed by LSOA 2021 code; must cover every
        ``lsoa21_code`` in ``lookup``.

    Returns
    -------
    pandas.DataFrame
        ``lookup``'s pairs with ``population21`` (of the 2021 piece) and ``weight``:
        ``population21 / sum(population21 of the 2011 LSOA's pieces)``. A 2011 LSOA whose
        pieces all have zero population shares its count equally among them.

    Raises
    ------
    ValueError
        When a 2021 LSOA of the lookup has no population.
    """
    pairs = lookup[["lsoa11_code", "lsoa21_code", "change_code"]].drop_duplicates(
        ["lsoa11_code", "lsoa21_code"]
    )
    pop = population21.reindex(pairs["lsoa21_code"]).to_numpy(dtype="float64")
    if np.isnan(pop).any():
        missing = pairs.loc[np.isnan(pop), "lsoa21_code"].unique()[:3].tolist()
        raise ValueError(f"no Census 2021 population for LSOA 2021 {missing}")
    out = pairs.reset_index(drop=True).assign(population21=pop)
    grouped = out.groupby("lsoa11_code")["population21"]
    total = grouped.transform("sum").to_numpy()
    pieces = grouped.transform("size").to_numpy()
    out["weight"] = np.where(total > 0, pop / np.where(total > 0, total, 1.0), 1.0 / pieces)
    return out


def to_lsoa21_sum(
    frame11: pd.DataFrame, weights: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """Counts per LSOA 2011 (index) moved to LSOA 2021: ``sum(weight x count)``.

    Parameters
    ----------
    frame11
        Indexed by LSOA 2011 code; ``columns`` are counts (missing = 0).
    weights
        :func:`lsoa_weights` output.
    columns
        The count columns to move.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code`` (sorted; every 2021 LSOA of ``weights``), one column per
        count.
    """
    cols = list(columns)
    vals = frame11[cols].reindex(weights["lsoa11_code"]).fillna(0.0).to_numpy(dtype="float64")
    moved = pd.DataFrame(
        vals * weights["weight"].to_numpy()[:, None], columns=cols, index=weights.index
    )
    moved["lsoa21_code"] = weights["lsoa21_code"].to_numpy()
    out = moved.groupby("lsoa21_code").sum()
    out.index.name = "lsoa21_code"
    return out.sort_index()


def to_lsoa21_mean(
    values11: pd.Series, population11: pd.Series, weights: pd.DataFrame
) -> pd.DataFrame:
    """A level per LSOA 2011 moved to LSOA 2021 as a population-weighted mean of its parents.

    The weight of parent ``p`` in 2021 LSOA ``c`` is ``population11[p] x weight[p, c]``
    (the parent's residents times the share of the parent that went to ``c``): a ``U`` or
    ``S`` piece copies its parent's value; an ``M`` LSOA takes the mean of its parents
    weighted by their populations.

    Parameters
    ----------
    values11
        The level per LSOA 2011 (NaN = unknown: left out of the mean).
    population11
        Residents per LSOA 2011 (e.g. ONS mid-2020 estimates).
    weights
        :func:`lsoa_weights` output.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code``: ``value`` (the mean), ``n_parents`` (2011 LSOAs with a
        value that contributed) and ``change_code`` (the lookup's code; "; "-joined if mixed).
    """
    v = values11.reindex(weights["lsoa11_code"]).to_numpy(dtype="float64")
    p = population11.reindex(weights["lsoa11_code"]).to_numpy(dtype="float64")
    w = p * weights["weight"].to_numpy()
    ok = ~np.isnan(v) & ~np.isnan(w)
    frame = pd.DataFrame(
        {
            "lsoa21_code": weights["lsoa21_code"].to_numpy(),
            "wv": np.where(ok, w * np.nan_to_num(v), 0.0),
            "w": np.where(ok, w, 0.0),
            "n": ok.astype("int64"),
            "change_code": weights["change_code"].to_numpy(),
        }
    )
    g = frame.groupby("lsoa21_code")
    wsum = g["w"].sum()
    out = pd.DataFrame(
        {
            "value": (g["wv"].sum() / wsum.where(wsum > 0)).astype("float64"),
            "n_parents": g["n"].sum().astype("int64"),
            "change_code": g["change_code"].agg(lambda s: "; ".join(sorted(set(s)))),
        }
    )
    out.index.name = "lsoa21_code"
    return out.sort_index()


def lookup_from_lsoas(lsoa21: pd.DataFrame) -> pd.DataFrame:
    """The lookup's London pairs from the bundled LSOA 2021 layer.

    Parameters
    ----------
    lsoa21
        ``geo.data.io.load_lsoas("iod2025")`` (or any frame indexed by LSOA 2021 code) with
        ``lsoa11_codes`` ("; "-joined 2011 codes) and ``lsoa_change`` (U, S, M or X).

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code``, ``lsoa21_code``, ``change_code``: one row per pair, as
        :func:`geo.data.census.read_lsoa_lookup` gives them for London.
    """
    codes = lsoa21["lsoa11_codes"].astype("str").str.split("; ")
    pairs = pd.DataFrame(
        {
            "lsoa21_code": lsoa21.index.to_numpy(),
            "lsoa11_code": codes.to_numpy(),
            "change_code": lsoa21["lsoa_change"].astype("str").to_numpy(),
        }
    ).explode("lsoa11_code")
    return pairs[["lsoa11_code", "lsoa21_code", "change_code"]].reset_index(drop=True)
