"""English Indices of Deprivation: IoD2025 (LSOA 2021) and IoD2019 (LSOA 2011) readers, and the
borough summaries MHCLG defines.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.data.indicators import DOMAINS, iod_columns
from geo.data.sources import IOD19, IOD25, BuildError

#: IoD2025 CSV domain prefixes -> our domain keys.
_IOD25_PREFIX = {
    "IMD": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Housing_and_Services": "housing",
    "Environment": "environment",
}


#: GLA IoD2019 workbook column prefixes -> our domain keys.
_IOD19_PREFIX = {
    "Index of Multiple Deprivation (IMD)": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education, Skills and Training": "education",
    "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "housing",
    "Living Environment": "environment",
}


def read_iod2025(raw: Path) -> pd.DataFrame:
    """IoD2025 scores, ranks and deciles for every LSOA 2021 in England, our column names."""
    df = pd.read_csv(raw / IOD25, dtype={"lsoa21_code": str})
    out = pd.DataFrame(index=pd.Index(df["lsoa21_code"], name="lsoa_code"))
    for prefix, key in _IOD25_PREFIX.items():
        out[f"{key}_score"] = df[f"{prefix}_score"].to_numpy(dtype="float64")
        out[f"{key}_rank"] = df[f"{prefix}_rank"].to_numpy(dtype="int64")
        out[f"{key}_decile"] = df[f"{prefix}_decile"].to_numpy(dtype="int64")
    return out[iod_columns()]


def read_iod2019(raw: Path) -> pd.DataFrame:
    """IoD2019 scores, ranks and deciles and the mid-2015 denominators for London's LSOAs 2011.

    From the GLA workbook, sheet "IMD 2019" (scores, ranks, deciles) and "Population figures"
    (the mid-2015 population the indices use as denominators).
    """
    path = raw / IOD19
    sheet = pd.read_excel(path, sheet_name="IMD 2019", engine="calamine")
    out = pd.DataFrame(index=pd.Index(sheet["geography code"].astype(str), name="lsoa_code"))
    for prefix, key in _IOD19_PREFIX.items():
        for measure, head in (("score", "Score"), ("rank", "Rank"), ("decile", "Decile")):
            cols = [c for c in sheet.columns if str(c).startswith(f"{prefix} {head}")]
            if len(cols) != 1:
                raise BuildError(f"{IOD19}: expected one '{prefix} {head}' column, found {cols}")
            dtype = "float64" if measure == "score" else "int64"
            out[f"{key}_{measure}"] = sheet[cols[0]].to_numpy(dtype=dtype)
    pop = pd.read_excel(path, sheet_name="Population figures", engine="calamine")
    pop = pop.set_index(pop.columns[0])
    total = [c for c in pop.columns if str(c).startswith("Total population: mid 2015")][0]
    out = out[iod_columns()]
    out["population_mid2015"] = pop[total].reindex(out.index).to_numpy(dtype="int64")
    return out


def borough_summary(lsoas: pd.DataFrame, weights: str | None = "population") -> pd.DataFrame:
    """Borough summaries of LSOA deprivation, as MHCLG's local authority summaries define them.

    For each domain ``d`` and borough ``b`` with LSOAs ``i`` and population ``p_i``:

    - ``{d}_avg_score`` = sum(p_i * score_i) / sum(p_i): population-weighted average score
      (MHCLG "average score");
    - ``{d}_avg_score_rank``: rank of that average among London's 33 boroughs, 1 = most deprived;
    - ``{d}_share_10`` / ``{d}_share_20``: share of the borough's LSOAs in England's most
      deprived 10% / 20% (decile 1 / deciles 1-2) (MHCLG "proportion of LSOAs in most deprived
      10% nationally").

    Reference: MHCLG, *The English Indices of Deprivation 2019: Technical report*, section 3.8
    (summary measures for higher-level geographies).
    """
    grouped = lsoas.groupby("borough_code", sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(lsoas["borough_code"].unique()), name="borough_code"))
    out["n_lsoa"] = grouped.size()
    w = lsoas[weights].astype("float64") if weights else pd.Series(1.0, index=lsoas.index)
    out["population"] = w.groupby(lsoas["borough_code"]).sum().round().astype("int64")
    for d in DOMAINS:
        num = (lsoas[f"{d}_score"] * w).groupby(lsoas["borough_code"]).sum()
        den = w.groupby(lsoas["borough_code"]).sum()
        out[f"{d}_avg_score"] = (num / den).round(3)
        out[f"{d}_avg_score_rank"] = (
            out[f"{d}_avg_score"].rank(ascending=False, method="min").astype("int64")
        )
        dec = lsoas[f"{d}_decile"]
        out[f"{d}_share_10"] = (dec.eq(1).groupby(lsoas["borough_code"]).mean()).round(4)
        out[f"{d}_share_20"] = (dec.le(2).groupby(lsoas["borough_code"]).mean()).round(4)
    return out
