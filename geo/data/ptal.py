"""Public transport access: TfL's PTAL 2015 per LSOA 2011, and per LSOA 2021 via the lookup.

The build (:mod:`geo.data.pipeline`) adds the columns ``ptai``, ``ptal``, ``ptai_high``,
``ptai_low`` and ``ptal_basis`` to both LSOA layers; the pages map the band and filter on it
(:func:`at_most`).

Source: Transport for London / GLA, *Public Transport Accessibility Levels* (PTAL 2015),
average access index per LSOA 2011, London Datastore, OGL. ``AvPTAI2015`` is the LSOA's average
Public Transport Access Index (PTAI); ``PTAL`` its band.

Bands. A PTAL band is a range of the access index (TfL, *Assessing transport connectivity in
London*, 2015): 0 = 0; 1a = 0.01-2.50; 1b = 2.51-5.00; 2 = 5.01-10.00; 3 = 10.01-15.00;
4 = 15.01-20.00; 5 = 20.01-25.00; 6a = 25.01-40.00; 6b = over 40.00 (:data:`PTAI_UPPER`). The
file agrees: recomputing every LSOA's band from its unrounded ``AvPTAI2015`` with upper bounds
2.5, 5, 10, 15, 20, 25 and 40 (a value equal to a bound is in the lower band) gives the file's
band for all 4,835 LSOAs (tested), so :func:`band_of` can band a merged LSOA's mean.

LSOA 2021 (:func:`ptal_2021`):

* unchanged (U): the 2011 value;
* split (S): each piece copies its parent's average index, band, high and low (the parent's
  average is the only figure there is for any part of it);
* merged (M): the average index is the mean of the parents' indices weighted by their ONS
  mid-2020 populations, the band is recomputed from that mean, ``ptai_high`` is the highest
  and ``ptai_low`` the lowest of the parents';
* complex (X, none in London): the population-weighted mean over the 2011 LSOAs it overlaps,
  each weighted by its population times the share of it that went to the piece
  (:func:`geo.data.lsoa_convert.to_lsoa21_mean`).

Colours are the map's business (:data:`geo.web.indicators.PTAL_COLOURS`): TfL's own PTAL
palette was not found in the sources available to this project, so the map uses a
colour-blind-safe ColorBrewer ramp and says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo.data import lsoa_convert
from geo.data.sources import PTAL_CSV, SourceError, need_columns

__all__ = [
    "BANDS",
    "BAND_LABELS",
    "PTAI_UPPER",
    "at_most",
    "band_counts",
    "band_of",
    "normalise_band",
    "ptal_2021",
    "read_ptal_2015",
]

#: The PTAL bands, lowest access first.
BANDS: tuple[str, ...] = ("0", "1a", "1b", "2", "3", "4", "5", "6a", "6b")

#: Upper bound of each band's access index range (TfL); 6b has none.
PTAI_UPPER: dict[str, float] = {
    "0": 0.0,
    "1a": 2.5,
    "1b": 5.0,
    "2": 10.0,
    "3": 15.0,
    "4": 20.0,
    "5": 25.0,
    "6a": 40.0,
}

#: Words for each band (TfL: 0 and 1a "very poor" ... 6b "excellent").
BAND_LABELS: dict[str, str] = {
    "0": "0 (very poor)",
    "1a": "1a (very poor)",
    "1b": "1b (very poor)",
    "2": "2 (poor)",
    "3": "3 (moderate)",
    "4": "4 (good)",
    "5": "5 (very good)",
    "6a": "6a (excellent)",
    "6b": "6b (excellent)",
}


def normalise_band(value: pd.Series) -> pd.Series:
    """PTAL bands as text: ``"2.00000"`` -> ``"2"``, ``"1A"`` -> ``"1a"``; NaN if unknown."""
    text = value.astype("str").str.strip().str.lower()
    num = pd.to_numeric(text, errors="coerce")
    whole = num.notna() & (num == num.round())
    text = text.where(~whole, num.round().astype("Int64").astype("str"))
    return text.where(text.isin(BANDS))


def band_of(ptai: pd.Series | np.ndarray) -> pd.Series:
    """The PTAL band of access index values (TfL's ranges; NaN stays NaN).

    >>> band_of(pd.Series([0.0, 0.19, 2.5, 2.5003, 40.0, 40.08])).tolist()
    ['0', '1a', '1a', '1b', '6a', '6b']
    """
    s = pd.Series(ptai, dtype="float64")
    bounds = [PTAI_UPPER[b] for b in BANDS[:-1]]
    idx = np.searchsorted(bounds, s.to_numpy(), side="left")
    idx = np.clip(idx, 0, len(BANDS) - 1)
    out = pd.Series(np.asarray(BANDS, dtype=object)[idx], index=s.index, dtype="object")
    return out.where(s.notna() & (s >= 0))


def read_ptal_2015(raw: Path) -> pd.DataFrame:
    """TfL PTAL 2015 per London LSOA 2011.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa11_code`` (sorted): ``ptai`` (``AvPTAI2015``), ``ptal`` (band text,
        :data:`BANDS`), ``ptai_high``, ``ptai_low``.

    Raises
    ------
    SourceError
        On a missing column, a repeated LSOA, an unknown band, or a band that does not match
        the access index's range.
    """
    df = pd.read_csv(raw / PTAL_CSV, dtype=str)
    need_columns(df, ["LSOA2011", "AvPTAI2015", "PTAL", "PTAIHigh", "PTAILow"], PTAL_CSV)
    if df["LSOA2011"].duplicated().any():
        raise SourceError(f"{PTAL_CSV}: an LSOA appears twice")
    out = pd.DataFrame(
        {
            "ptai": pd.to_numeric(df["AvPTAI2015"]).to_numpy(),
            "ptal": normalise_band(df["PTAL"]).to_numpy(),
            "ptai_high": pd.to_numeric(df["PTAIHigh"]).to_numpy(),
            "ptai_low": pd.to_numeric(df["PTAILow"]).to_numpy(),
        },
        index=pd.Index(df["LSOA2011"].str.strip(), name="lsoa11_code"),
    )
    if out["ptal"].isna().any():
        bad = df.loc[out["ptal"].isna().to_numpy(), "PTAL"].unique()[:3].tolist()
        raise SourceError(f"{PTAL_CSV}: unknown PTAL band(s) {bad}")
    wrong = out["ptal"].ne(band_of(out["ptai"]))
    if wrong.any():
        raise SourceError(
            f"{PTAL_CSV}: {int(wrong.sum())} LSOA(s) whose band does not match the access index, "
            f"e.g. {out.index[wrong][:3].tolist()}"
        )
    return out.sort_index()


def ptal_2021(ptal11: pd.DataFrame, weights: pd.DataFrame, population11: pd.Series) -> pd.DataFrame:
    """PTAL per LSOA 2021 from the 2011 values (see the module docstring for the rules).

    Parameters
    ----------
    ptal11
        :func:`read_ptal_2015` output.
    weights
        :func:`geo.data.lsoa_convert.lsoa_weights` for the London LSOAs.
    population11
        Residents per LSOA 2011 (ONS mid-2020), the weights of a merged LSOA's mean.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code``: ``ptai``, ``ptal`` (from ``ptai`` where merged, else the
        parent's band), ``ptai_high``, ``ptai_low``, ``lsoa_change`` and ``ptal_basis`` (how the
        value was obtained, for tooltips and the method page).
    """
    mean = lsoa_convert.to_lsoa21_mean(ptal11["ptai"], population11, weights)
    pairs = weights[["lsoa11_code", "lsoa21_code"]]
    high = (
        ptal11["ptai_high"].reindex(pairs["lsoa11_code"]).groupby(pairs["lsoa21_code"].to_numpy())
    )
    low = ptal11["ptai_low"].reindex(pairs["lsoa11_code"]).groupby(pairs["lsoa21_code"].to_numpy())
    single = pairs.groupby("lsoa21_code")["lsoa11_code"].agg(
        lambda s: s.iloc[0] if len(s) == 1 else None
    )
    parent_band = ptal11["ptal"].reindex(single.dropna()).set_axis(single.dropna().index)
    out = pd.DataFrame(index=mean.index)
    # One parent (unchanged or split): its values exactly; several (merged): the mean.
    parent = single.dropna()
    out["ptai"] = mean["value"]
    out.loc[parent.index, "ptai"] = ptal11["ptai"].reindex(parent).to_numpy()
    out["ptal"] = parent_band.reindex(out.index)
    many = out["ptal"].isna()
    out.loc[many, "ptal"] = band_of(out.loc[many, "ptai"])
    out["ptai_high"] = high.max().reindex(out.index)
    out["ptai_low"] = low.min().reindex(out.index)
    out["lsoa_change"] = mean["change_code"]
    basis = {
        "U": "LSOA 2011 value (unchanged LSOA)",
        "S": "value of the LSOA 2011 it was split from",
        "M": "mean of the merged LSOAs 2011 weighted by mid-2020 population; band from the mean",
    }
    out["ptal_basis"] = (
        out["lsoa_change"]
        .map(basis)
        .fillna("mean of the overlapping LSOAs 2011 weighted by population; band from the mean")
    )
    return out


def band_counts(bands: pd.Series) -> pd.Series:
    """Number of LSOAs per band, in :data:`BANDS` order (0 for absent bands)."""
    return bands.value_counts().reindex(list(BANDS), fill_value=0).astype("int64")


def at_most(bands: pd.Series, band: str = "2") -> pd.Series:
    """True where the PTAL band is ``band`` or lower (the "PTAL 2 or lower" filter).

    Unknown bands (NaN) are False: an LSOA is not kept by the filter when its PTAL is unknown.
    """
    if band not in BANDS:
        raise ValueError(f"unknown PTAL band {band!r}; expected one of {', '.join(BANDS)}")
    rank = {b: i for i, b in enumerate(BANDS)}
    return bands.map(rank).le(rank[band]).fillna(False).astype(bool)
