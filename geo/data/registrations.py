"""Where each London practice's patients live: NHS England's July 2023 LSOA file.

*Patients Registered at a GP Practice*, July 2023, LSOA file (``gp-reg-pat-prac-lsoa-all``):
every practice in England with its registered patients per LSOA **2011** of residence
(``NO2011`` = patients whose LSOA is not known). The build keeps the rows of the London
practices of the December 2025 practice map (all their patients, wherever they live) and, for
each London LSOA 2011, the patients registered at any other practice in England, so that an
LSOA's registered residents are the sum of its rows. The link-worker measure by registration
(:mod:`geo.analysis.registration`) is computed from this table.

Source: NHS England (NHS Digital), OGL.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from geo.data.sources import REG_LSOA, SourceError, need_columns

__all__ = [
    "NO_LSOA",
    "OTHER_PRACTICES",
    "REG_EXTRACT",
    "london_registrations",
    "not_found_notes",
    "read_registrations_lsoa",
]

#: The extract date written in the July 2023 file.
REG_EXTRACT = "01Jul2023"

#: ``lsoa11_code`` of patients whose LSOA is not known.
NO_LSOA = "NO2011"

#: ``practice_code`` (missing) of the rows holding an LSOA's patients at practices outside the
#: London practice map: practices elsewhere in England, or London practices closed or merged
#: by December 2025.
OTHER_PRACTICES = None

_COLUMNS = ["EXTRACT_DATE", "PRACTICE_CODE", "PRACTICE_NAME", "LSOA_CODE", "SEX"]


def read_registrations_lsoa(raw: Path) -> pd.DataFrame:
    """NHS England, Patients Registered at a GP Practice, July 2023, LSOA file (all England).

    Returns
    -------
    pandas.DataFrame
        One row per practice and LSOA 2011: ``practice_code``, ``practice_name``,
        ``lsoa11_code`` (:data:`NO_LSOA` for patients with no known LSOA), ``patients``
        (int64).

    Raises
    ------
    SourceError
        When the file lacks a column, has another extract date, is not the all-sexes table or
        repeats a practice and LSOA.
    """
    df = pd.read_csv(
        raw / REG_LSOA,
        dtype={c: str for c in _COLUMNS},
        usecols=lambda c: c in (*_COLUMNS, "NUMBER_OF_PATIENTS"),
    )
    need_columns(df, [*_COLUMNS, "NUMBER_OF_PATIENTS"], REG_LSOA)
    dates = set(df["EXTRACT_DATE"].unique())
    if dates != {REG_EXTRACT}:
        raise SourceError(f"{REG_LSOA}: extract date(s) {sorted(dates)}, expected {REG_EXTRACT}")
    if not df["SEX"].eq("ALL").all():
        raise SourceError(f"{REG_LSOA}: expected the all-sexes table (SEX = ALL)")
    out = pd.DataFrame(
        {
            "practice_code": df["PRACTICE_CODE"].str.strip(),
            "practice_name": df["PRACTICE_NAME"].str.strip(),
            "lsoa11_code": df["LSOA_CODE"].str.strip(),
            "patients": df["NUMBER_OF_PATIENTS"].astype("int64"),
        }
    )
    if out.duplicated(["practice_code", "lsoa11_code"]).any():
        raise SourceError(f"{REG_LSOA}: a practice and LSOA appear twice")
    return out


def london_registrations(
    registrations: pd.DataFrame, practice_codes: Iterable[str], lsoa11_codes: Iterable[str]
) -> pd.DataFrame:
    """The bundled table: London practices' patients by LSOA, and London LSOAs' other patients.

    Parameters
    ----------
    registrations
        :func:`read_registrations_lsoa` output.
    practice_codes
        The London practices of the December 2025 practice map.
    lsoa11_codes
        London's LSOAs 2011.

    Returns
    -------
    pandas.DataFrame
        ``practice_code`` (:data:`OTHER_PRACTICES`, missing, for the patients of a London
        LSOA registered at practices not in ``practice_codes``), ``lsoa11_code`` (any LSOA of
        England, or :data:`NO_LSOA`, for the London practices' rows; a London LSOA for the
        others) and ``patients`` (int32), sorted by practice (others last) and LSOA. The
        patients of a London LSOA at any practice in England are the sum of its rows; a London
        practice's patients in the file are the sum of its rows.
    """
    practices = set(practice_codes)
    london = set(lsoa11_codes)
    ours = registrations["practice_code"].isin(practices)
    mine = registrations.loc[ours, ["practice_code", "lsoa11_code", "patients"]]
    rest = registrations[~ours & registrations["lsoa11_code"].isin(london)]
    others = rest.groupby("lsoa11_code", as_index=False)["patients"].sum()
    others.insert(0, "practice_code", OTHER_PRACTICES)
    mine = mine.sort_values(["practice_code", "lsoa11_code"])
    out = pd.concat([mine, others.sort_values("lsoa11_code")], ignore_index=True)
    out["patients"] = out["patients"].astype("int32")
    return out


def not_found_notes(table: pd.DataFrame, practices: pd.DataFrame) -> list[str]:
    """Manifest notes on the London practices that are not in the July 2023 file.

    Parameters
    ----------
    table
        :func:`london_registrations` output.
    practices
        The London practices of the December 2025 map with ``practice_code``, ``name``,
        ``pcn_code`` (missing = in no PCN), ``pcn_name`` and ``lw_fte_allocated`` (their share
        of the PCN's link-worker FTE; NaN = the PCN has no workforce record).

    Returns
    -------
    list of str
        How many practices are found, and each practice not found with what happens to its
        link-worker FTE.
    """
    found = practices["practice_code"].isin(table["practice_code"].dropna())
    missing = practices[~found].sort_values("practice_code")
    notes = [
        f"Link workers by registration: {int(found.sum())} of {len(practices)} London practices "
        f"of the December 2025 map are in the July 2023 LSOA file; {len(missing)} are not "
        "(opened or re-coded since)."
    ]
    items = []
    for row in missing.itertuples(index=False):
        fte = pd.to_numeric(row.lw_fte_allocated, errors="coerce")
        if pd.isna(row.pcn_code):
            what = "in no PCN: no PCN link-worker FTE to place"
        elif pd.isna(fte):
            what = f"{row.pcn_name} ({row.pcn_code}) has no workforce record: no FTE to place"
        else:
            what = (
                f"its share of {row.pcn_name} ({row.pcn_code}) FTE, {fte:.4f} FTE, is placed on "
                "no LSOA (where its patients live is not known) and not spread over other "
                "practices"
            )
        items.append(f"{row.practice_code} {row.name}: {what}")
    if items:
        notes.append("Practices not in the July 2023 file: " + "; ".join(items) + ".")
    return notes
