"""Census tables per LSOA: households by tenure (2021, 2011), usual residents and those aged 65+,
disability, mid-2020 estimates for LSOAs 2011, and the ONS LSOA 2011 -> 2021 lookup.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.data.sources import (
    LOOKUP,
    POP20,
    TENURE11,
    TENURE21,
    TS007A,
    TS038,
    SourceError,
    need_columns,
)

_TS054 = "Tenure of household: "


_HA = "households renting from a housing association (registered provider)"


def _shares(out: pd.DataFrame) -> pd.DataFrame:
    hh = out["households"].astype("float64")
    out["ha_share"] = (out["ha_households"] / hh).round(5)
    out["council_share"] = (out["council_households"] / hh).round(5)
    out["social_share"] = ((out["ha_households"] + out["council_households"]) / hh).round(5)
    return out


def read_tenure_2021(raw: Path) -> pd.DataFrame:
    """Census 2021 TS054 households by tenure for every LSOA 2021 in England and Wales.

    ``ha_households`` = "Social rented: Other social rented" (housing association / registered
    provider tenants), ``council_households`` = "Social rented: Rents from council or Local
    Authority"; shares are of all households (``social_share`` = both together).
    """
    df = pd.read_csv(raw / TENURE21, dtype={"geography code": str})
    cols = {
        f"{_TS054}Total: All households": "households",
        f"{_TS054}Social rented: Other social rented": "ha_households",
        f"{_TS054}Social rented: Rents from council or Local Authority": "council_households",
    }
    need_columns(df, cols, TENURE21)
    out = df.set_index("geography code")[list(cols)].rename(columns=cols).astype("int64")
    out.index.name = "lsoa_code"
    return _shares(out)


def read_tenure_2011(raw: Path) -> pd.DataFrame:
    """Census 2011 KS402EW households by tenure for London's LSOAs 2011.

    The nomis file ends with footer lines; only rows whose ``mnemonic`` is an LSOA code (E01...)
    are kept. "Social rented: Other" = housing association, "Rented from council (Local
    Authority)" = council.
    """
    df = pd.read_csv(raw / TENURE11, dtype={"mnemonic": str})
    df = df[df["mnemonic"].fillna("").str.match(r"E01\d{6}$")]
    cols = {
        "All households": "households",
        "Social rented: Other": "ha_households",
        "Social rented: Rented from council (Local Authority)": "council_households",
    }
    need_columns(df, cols, TENURE11)
    out = df.set_index("mnemonic")[list(cols)].rename(columns=cols).astype("int64")
    out.index.name = "lsoa_code"
    return _shares(out)


def read_census_population(raw: Path) -> pd.DataFrame:
    """Census 2021 TS007A usual residents per LSOA 2021: all ages and aged 65 and over.

    TS007A has 18 five-year bands (0-4 ... 80-84, 85+); 65+ is the sum of the last *five*
    (65-69, 70-74, 75-79, 80-84, 85+). The last four would be 70+.
    """
    df = pd.read_csv(raw / TS007A, dtype={"geography code": str})
    bands = [c for c in df.columns if c.startswith("Age: Aged")]
    old = [
        "Age: Aged 65 to 69 years",
        "Age: Aged 70 to 74 years",
        "Age: Aged 75 to 79 years",
        "Age: Aged 80 to 84 years",
        "Age: Aged 85 years and over",
    ]
    need_columns(df, ["Age: Total", *old], TS007A)
    if len(bands) != 18 or not df[bands].sum(axis=1).eq(df["Age: Total"]).all():
        raise SourceError(f"{TS007A}: the 18 age bands do not add up to 'Age: Total'")
    out = pd.DataFrame(
        {
            "population": df["Age: Total"].to_numpy("int64"),
            "population_65plus": df[old].sum(axis=1).to_numpy("int64"),
        },
        index=pd.Index(df["geography code"], name="lsoa_code"),
    )
    return out


def read_disability(raw: Path) -> pd.DataFrame:
    """Census 2021 TS038: residents disabled under the Equality Act per LSOA 2021, and share."""
    df = pd.read_csv(raw / TS038, dtype={"lsoa21_code": str})
    need_columns(df, ["lsoa21_code", "disability", "n", "total_residents"], TS038)
    dis = df[df["disability"].eq("Disabled under the Equality Act")].set_index("lsoa21_code")
    out = pd.DataFrame(
        {
            "disabled": dis["n"].astype("int64"),
            "disability_share": (dis["n"] / dis["total_residents"]).round(5),
        }
    )
    out.index.name = "lsoa_code"
    return out


def read_lsoa_lookup(raw: Path) -> pd.DataFrame:
    """ONS exact-fit LSOA 2011 -> LSOA 2021 lookup: ``lsoa11_code``, ``lsoa21_code``,
    ``change_code`` (U unchanged, S split, M merged, X complex)."""
    df = pd.read_csv(raw / LOOKUP, dtype=str)
    need_columns(df, ["lsoa11_code", "lsoa21_code", "change_code"], LOOKUP)
    return df[["lsoa11_code", "lsoa21_code", "change_code"]].drop_duplicates()


def lsoa21_links(lookup: pd.DataFrame, lsoa21: pd.Index) -> pd.DataFrame:
    """Per LSOA 2021: its 2011 LSOA code(s) ("; "-joined, sorted) and ONS change code."""
    sub = lookup[lookup["lsoa21_code"].isin(lsoa21)].sort_values(["lsoa21_code", "lsoa11_code"])
    grouped = sub.groupby("lsoa21_code")
    out = pd.DataFrame(
        {
            "lsoa11_codes": grouped["lsoa11_code"].agg("; ".join),
            "lsoa_change": grouped["change_code"].first(),
        }
    ).reindex(lsoa21)
    return out


BASIS_2011 = "ONS mid-2020 estimate (LSOA 2011)"


BASIS_CENSUS = "Census 2021 (TS007A)"


def read_population_2011(raw: Path) -> pd.DataFrame:
    """ONS mid-2020 population for London's LSOAs 2011: all ages and 65+."""
    df = pd.read_csv(raw / POP20, dtype={"LSOA11CD": str})
    out = pd.DataFrame(
        {
            "population": df["Persons_All-Ages"].to_numpy(dtype="int64"),
            "population_65plus": df["Persons_65+"].to_numpy(dtype="int64"),
        },
        index=pd.Index(df["LSOA11CD"], name="lsoa_code"),
    )
    return out


def tenure_summary(lsoas: pd.DataFrame) -> pd.DataFrame:
    """Borough housing association (HA) households, and how many live in deprived LSOAs.

    For borough ``b`` with LSOAs ``i``, HA households ``h_i``, households ``n_i`` and IMD
    decile ``d_i`` (of the LSOAs' own vintage, 1 = England's most deprived 10%):

    - ``households`` = sum n_i, ``ha_households`` = sum h_i, ``council_households`` likewise;
      ``ha_share`` = sum h_i / sum n_i;
    - ``ha_households_in_10`` = sum of h_i over LSOAs with d_i = 1, ``ha_households_in_20`` over
      d_i <= 2; ``ha_share_in_10`` / ``ha_share_in_20`` = those / ``ha_households``.

    Source: ONS Census 2021 TS054 / Census 2011 KS402EW (households, not dwellings).
    """
    by = lsoas["borough_code"]
    out = pd.DataFrame(index=pd.Index(sorted(by.unique()), name="borough_code"))
    for col in ("households", "ha_households", "council_households"):
        out[col] = lsoas[col].groupby(by).sum().astype("int64")
    out["ha_share"] = (out["ha_households"] / out["households"]).round(5)
    out["council_share"] = (out["council_households"] / out["households"]).round(5)
    dec = lsoas["imd_decile"]
    for n, mask in ((10, dec.eq(1)), (20, dec.le(2))):
        out[f"ha_households_in_{n}"] = (
            lsoas["ha_households"].where(mask, 0).groupby(by).sum().astype("int64")
        )
        out[f"ha_share_in_{n}"] = (out[f"ha_households_in_{n}"] / out["ha_households"]).round(5)
    return out
