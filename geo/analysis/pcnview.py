"""The PCN view's tables: one Primary Care Network's practices, link workers and the
neighbourhoods where its patients live, with their deprivation and gaps.

Pure functions (no streamlit) on :class:`geo.analysis.registration.RegistrationMeasure`, the
bundled PCN table (``geo.data.io.load_link_workers``), the LSOA layer of a vintage and,
optionally, a gap table (:func:`geo.analysis.gapview.compute_gaps`).
"""

from __future__ import annotations

import pandas as pd

from geo.analysis.registration import FTE_KNOWN, RegistrationMeasure

__all__ = [
    "pcn_list",
    "pcn_figures",
    "pcn_label",
    "pcn_neighbourhoods",
    "pcn_options",
    "pcn_practices",
]


def pcn_label(pcns: pd.DataFrame, code: str) -> str:
    """'TOWER NETWORK PCN (U12345)'."""
    name = pcns["pcn_name"].get(code) if code in pcns.index else None
    return f"{name} ({code})" if isinstance(name, str) and name else str(code)


def pcn_options(pcns: pd.DataFrame, icb: str | None = None, boroughs=()) -> list[str]:
    """PCN codes to choose from, by name: those of ``icb`` (commissioning ICB) and with a
    practice in one of ``boroughs`` when given; PCNs with no London practice are left out."""
    rows = pcns[pcns["n_practices"].fillna(0).gt(0)]
    if icb:
        rows = rows[rows["icb_code"].eq(icb)]
    codes = list(boroughs)
    if codes:
        served = rows["borough_codes"].fillna("").astype(str).str.split("; ")
        rows = rows[served.map(lambda bs: bool(set(bs) & set(codes))).to_numpy(dtype=bool)]
    return rows.sort_values(["pcn_name"]).index.tolist()


def pcn_list(
    pcns: pd.DataFrame, codes: list[str], icb_names: pd.Series | None = None
) -> pd.DataFrame:
    """The PCNs ``codes`` side by side, least link-worker provision first.

    Columns: PCN, its commissioning ICB (``icb_names``: code -> name, when given), member
    practices, registered patients (December 2025), link-worker FTE (November 2025) and FTE
    per 10,000 registered patients. A PCN with no workforce record has unknown FTE (empty
    cells, listed last), not zero.
    """
    rows = pcns.reindex(codes)
    icb = rows["icb_code"]
    if icb_names is not None:
        icb = icb.map(icb_names).fillna(icb)
    out = pd.DataFrame(
        {
            "PCN": rows["pcn_name"],
            "ICB": icb,
            "Practices": rows["n_practices"].astype("Int64"),
            "Registered patients": rows["registered_patients"].round().astype("Int64"),
            "Link-worker FTE": rows["lw_fte"].round(2),
            "FTE per 10,000 patients": rows["lw_per_10k"].round(3),
        },
        index=pd.Index(codes, name="PCN code"),
    )
    return out.sort_values(["FTE per 10,000 patients", "PCN"], na_position="last")


def pcn_practices(m: RegistrationMeasure, code: str, borough_names: pd.Series) -> pd.DataFrame:
    """The PCN's member practices (December 2025 map) with their share of its FTE.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``Practice code``: ``Practice``, ``Borough``, ``Registered patients
        (Dec 2025)``, ``Link-worker FTE (share of the PCN's)`` (NaN = the PCN has no
        workforce record), ``In the July 2023 LSOA file`` (yes / no: where its patients live
        is known or not), most patients first.
    """
    prac = m.practices[m.practices["pcn_code"].eq(code)]
    found = set(m.placed["practice_code"].unique())
    borough = (
        prac["borough_code"].map(borough_names)
        if "borough_code" in prac.columns
        else pd.Series(None, index=prac.index)
    )
    out = pd.DataFrame(
        {
            "Practice": prac["name"],
            "Borough": borough,
            "Registered patients (Dec 2025)": pd.to_numeric(
                prac["registered_patients"], errors="coerce"
            ).round(0),
            "Link-worker FTE (share of the PCN's)": prac["lw_fte_allocated"].round(3),
            "In the July 2023 LSOA file": ["yes" if p in found else "no" for p in prac.index],
        },
        index=prac.index.rename("Practice code"),
    )
    return out.sort_values("Registered patients (Dec 2025)", ascending=False)


def pcn_figures(m: RegistrationMeasure, pcns: pd.DataFrame, code: str) -> dict[str, object]:
    """Headline figures of a PCN.

    Returns
    -------
    dict
        ``name``, ``icb_code``, ``icb_codes``, ``has_record``, ``lw_fte`` (NaN = unknown),
        ``patients`` (December 2025, its London practices), ``lw_per_10k_patients``,
        ``practices``, ``practices_found`` (in the July 2023 file), ``patients_2023`` (July
        2023), ``patients_london``, ``patients_outside_london``,
        ``patients_residence_unknown``, ``lsoas`` (London LSOAs 2011 with at least one of its
        patients), ``lw_fte_london`` (its FTE placed on London LSOAs; NaN = unknown).
    """
    row = pcns.loc[code]
    res = m.residence.loc[code] if code in m.residence.index else None

    def res_value(col: str) -> float:
        return float(res[col]) if res is not None and pd.notna(res[col]) else float("nan")

    return {
        "name": row["pcn_name"],
        "icb_code": row.get("icb_code"),
        "icb_codes": row.get("icb_codes"),
        "has_record": bool(row["has_workforce_record"]),
        "lw_fte": float(row["lw_fte"]) if pd.notna(row["lw_fte"]) else float("nan"),
        "patients": float(row["registered_patients"]),
        "lw_per_10k_patients": (
            float(row["lw_per_10k"]) if pd.notna(row["lw_per_10k"]) else float("nan")
        ),
        "practices": int(row["n_practices"]),
        "practices_found": int(res_value("practices_found")) if res is not None else 0,
        "patients_2023": res_value("patients"),
        "patients_london": res_value("patients_london"),
        "patients_outside_london": res_value("patients_outside_london"),
        "patients_residence_unknown": res_value("patients_residence_unknown"),
        "lsoas": int(res_value("lsoas")) if res is not None and pd.notna(res["lsoas"]) else 0,
        "lw_fte_london": res_value("lw_fte_london"),
    }


def pcn_neighbourhoods(
    m: RegistrationMeasure,
    code: str,
    vintage: str,
    lsoas: pd.DataFrame,
    gaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The London neighbourhoods where the PCN's patients live, most of its patients first.

    Parameters
    ----------
    m
        The measure.
    code
        The PCN code.
    vintage
        "iod2025" (LSOA 2021; patients of split LSOAs shared by population) or "iod2019".
    lsoas
        The LSOA layer of ``vintage`` (``lsoa_name``, ``borough_name``, ``imd_decile``,
        ``population``).
    gaps
        A London-wide gap table of the same vintage (``gap``, ``rank``), or None.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa_code``: ``lsoa_name``, ``borough_name``, ``pcn_patients`` (July
        2023), ``lsoa_patients`` (all its registered residents), ``pcn_share`` (0..1),
        ``imd_decile``, ``lw_per_10k`` (link-worker FTE of all PCNs serving its residents, per
        10,000 residents), ``lw_unknown_share`` and, with ``gaps``, ``gap`` and ``gap_rank``.
    """
    rows = m.pcn_lsoas(vintage)
    rows = rows[rows["pcn_code"].eq(code)].set_index("lsoa_code")
    out = pd.DataFrame(index=rows.index)
    for col in ("lsoa_name", "borough_name"):
        out[col] = lsoas[col].reindex(out.index)
    out["pcn_patients"] = rows["pcn_patients"]
    out["lsoa_patients"] = rows["lsoa_patients"]
    out["pcn_share"] = rows["pcn_share"]
    out["imd_decile"] = lsoas["imd_decile"].reindex(out.index)
    lw = m.lsoas(vintage)
    out["lw_per_10k"] = lw["lw_per_10k"].reindex(out.index)
    out["lw_unknown_share"] = lw["lw_unknown_share"].reindex(out.index)
    if gaps is not None:
        out["gap"] = gaps["gap"].reindex(out.index)
        out["gap_rank"] = gaps["rank"].reindex(out.index)
    out.index.name = "lsoa_code"
    return out.sort_values(["pcn_patients", "pcn_share"], ascending=False)


def known(m: RegistrationMeasure, code: str) -> bool:
    """Whether the PCN's link-worker FTE is known (it has a workforce record)."""
    status = m.practices.loc[m.practices["pcn_code"].eq(code), "fte_status"]
    return bool(len(status)) and bool(status.eq(FTE_KNOWN).all())
