"""London's five Integrated Care Boards (ICBs) and their boroughs, from the practice map.

An ICB commissions for a fixed set of boroughs. The set is derived, not typed in: every London
practice in NHS England's December 2025 practice -> PCN -> ICB map
(:func:`geo.data.practices.read_gp_practices`) carries its ICB code and name, and its postcode
gives its borough; each borough must fall in exactly one ICB. The build writes the table
(``data/services/icbs.parquet``) and each PCN's commissioning ICB (``link_workers.parquet``);
only :func:`read_practice_icb` reads a file.

Source: NHS England, *Patients Registered at a GP Practice* (practice mapping), December 2025,
OGL.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.data.practices import LONDON_REGION, PRACTICE_EXTRACT
from geo.data.sources import PRAC_MAP, SourceError

__all__ = [
    "ICB_SHORT_NAMES",
    "IcbError",
    "borough_icb",
    "london_icbs",
    "icb_names",
    "pcn_icb",
    "read_practice_icb",
]

#: Short names (as the NHS writes them without "NHS ... Integrated Care Board"), by ICB code.
#: Only used to check and to label compactly; the full name comes from the data.
ICB_SHORT_NAMES: dict[str, str] = {
    "QMJ": "North Central London",
    "QMF": "North East London",
    "QRV": "North West London",
    "QKK": "South East London",
    "QWE": "South West London",
}


class IcbError(ValueError):
    """The practice map does not give each borough exactly one ICB."""


def read_practice_icb(raw: Path) -> pd.DataFrame:
    """ICB and sub-ICB location of each London practice in the December 2025 practice map.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``practice_code`` (sorted): ``icb_code``, ``icb_name`` (e.g. "NHS North
        Central London Integrated Care Board"), ``ons_icb_code`` (E54...), ``sub_icb_code``,
        ``sub_icb_name``.
    """
    cols = {
        "practice_code": "practice_code",
        "icb_code": "icb_code",
        "icb_name": "icb_name",
        "ons_icb_code": "ons_icb_code",
        "sub_icb_location_code": "sub_icb_code",
        "sub_icb_location_name": "sub_icb_name",
    }
    m = pd.read_parquet(raw / PRAC_MAP, columns=["extract_date", "comm_region_code", *cols])
    m = m[m["extract_date"].eq(PRACTICE_EXTRACT) & m["comm_region_code"].eq(LONDON_REGION)]
    if m["practice_code"].duplicated().any():
        raise SourceError(f"{PRAC_MAP}: a practice appears twice in {PRACTICE_EXTRACT}")
    return m[list(cols)].rename(columns=cols).set_index("practice_code").sort_index()


def icb_names(practice_icb: pd.DataFrame) -> pd.DataFrame:
    """One row per ICB code: ``icb_name`` and ``ons_icb_code`` (sorted by code).

    Raises
    ------
    SourceError
        When one ICB code has two names or two ONS codes.
    """
    out = practice_icb.drop_duplicates(["icb_code", "icb_name", "ons_icb_code"])
    out = out.set_index("icb_code")[["icb_name", "ons_icb_code"]].sort_index()
    if not out.index.is_unique:
        raise SourceError(f"{PRAC_MAP}: an ICB code has more than one name or ONS code")
    return out


def borough_icb(practices: pd.DataFrame) -> pd.DataFrame:
    """The ICB of each borough, from the ICBs of the practices whose postcode is in it.

    Parameters
    ----------
    practices
        London practices with ``icb_code`` and ``borough_code`` (the borough of the practice's
        postcode; missing = not placed, left out).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``borough_code`` (sorted): ``icb_code`` and ``practices`` (in the
        borough).

    Raises
    ------
    IcbError
        When the practices of one borough are in more than one ICB (named, with counts).
    """
    df = practices[practices["borough_code"].notna()]
    counts = df.groupby(["borough_code", "icb_code"]).size()
    per_borough = counts.groupby(level=0).size()
    bad = per_borough[per_borough > 1]
    if len(bad):
        detail = "; ".join(
            f"{b}: " + ", ".join(f"{i} ({n})" for i, n in counts.loc[b].items()) for b in bad.index
        )
        raise IcbError(f"boroughs in more than one ICB: {detail}")
    first = df.groupby("borough_code")[["icb_code"]].first()
    first["practices"] = df.groupby("borough_code").size()
    return first.sort_index()


def london_icbs(
    practices: pd.DataFrame, names: pd.DataFrame, borough_names: pd.Series
) -> pd.DataFrame:
    """The London ICBs with their codes, names and boroughs.

    Parameters
    ----------
    practices
        As for :func:`borough_icb`, with ``pcn_code`` too.
    names
        :func:`icb_names` output.
    borough_names
        Borough name by borough code (e.g. the LAD 2022 names of the LSOA lookup).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``icb_code`` (sorted): ``icb_name`` (as the NHS writes it, e.g. "NHS North
        Central London Integrated Care Board"), ``short_name`` ("North Central London"),
        ``ons_icb_code`` (E54...), ``borough_codes`` and ``borough_names`` ("; "-joined,
        sorted by code), ``n_boroughs``, ``practices`` and ``pcns`` (distinct PCN codes of its
        practices, "U" / missing not counted).
    """
    by_borough = borough_icb(practices)
    g = by_borough.groupby("icb_code")
    out = names.reindex(sorted(g.groups))[["icb_name", "ons_icb_code"]].copy()
    out.insert(
        1,
        "short_name",
        out["icb_name"].str.replace(r"^NHS | Integrated Care Board$", "", regex=True),
    )
    out["borough_codes"] = g.apply(lambda f: "; ".join(sorted(f.index)), include_groups=False)
    out["borough_names"] = g.apply(
        lambda f: "; ".join(borough_names.reindex(sorted(f.index)).astype(str)),
        include_groups=False,
    )
    out["n_boroughs"] = g.size()
    out["practices"] = practices.groupby("icb_code").size().reindex(out.index)
    pcn = practices["pcn_code"].where(practices["pcn_code"].ne("U"))
    out["pcns"] = pcn.groupby(practices["icb_code"]).nunique().reindex(out.index)
    return out.sort_index()


def pcn_icb(practices: pd.DataFrame, practice_icb: pd.DataFrame) -> pd.DataFrame:
    """The commissioning ICB of each PCN, and every ICB its practices are located in.

    In the December 2025 map a practice's ``icb_code`` follows where the practice is (its
    borough), while its sub-ICB location is its commissioner. Ten London PCNs have a practice
    across a borough boundary that is also an ICB boundary, so their practices have two ICB
    codes but one commissioner. A PCN's ``icb_code`` is therefore the ICB of the sub-ICB
    location of most of its registered patients (each sub-ICB location belongs to the ICB of
    most of its practices, e.g. 93C -> QMJ); ``icb_codes`` lists the ICBs where its practices
    are.

    Parameters
    ----------
    practices
        London practices: ``practice_code``, ``pcn_code`` (missing or "U" = in no PCN),
        ``registered_patients``.
    practice_icb
        :func:`read_practice_icb` output.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``pcn_code`` (sorted): ``icb_code``, ``icb_codes`` ("; "-joined, sorted),
        ``spans_icbs``.
    """
    sub_to_icb = (
        practice_icb.groupby(["sub_icb_code", "icb_code"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["sub_icb_code", "n", "icb_code"], ascending=[True, False, True])
        .drop_duplicates("sub_icb_code")
        .set_index("sub_icb_code")["icb_code"]
    )
    df = practices[practices["pcn_code"].notna() & practices["pcn_code"].ne("U")]
    info = practice_icb.reindex(df["practice_code"])
    frame = pd.DataFrame(
        {
            "pcn_code": df["pcn_code"].to_numpy(),
            "located": info["icb_code"].to_numpy(),
            "commissioner": sub_to_icb.reindex(info["sub_icb_code"]).to_numpy(),
            "patients": df["registered_patients"].fillna(0).to_numpy(),
        }
    )
    pts = frame.groupby(["pcn_code", "commissioner"])["patients"].sum().reset_index()
    pts = pts.sort_values(["pcn_code", "patients", "commissioner"], ascending=[True, False, True])
    out = pts.drop_duplicates("pcn_code").set_index("pcn_code")[["commissioner"]]
    out = out.rename(columns={"commissioner": "icb_code"})
    out["icb_codes"] = frame.groupby("pcn_code")["located"].agg(lambda s: "; ".join(sorted(set(s))))
    out["spans_icbs"] = out["icb_codes"].str.contains(";", regex=False)
    return out.sort_index()
