"""Social prescribing link-worker capacity by where patients live (registration-based).

Pure functions on the bundled tables (no I/O, no streamlit). Inputs, all official NHS England
open data (OGL):

* the London GP practices of the December 2025 practice -> PCN map with their registered
  patients (the ``gp_practice`` rows of ``geo.data.io.load_services``);
* each PCN's link-worker FTE, November 2025 (``geo.data.io.load_link_workers``; ``lw_fte``
  NaN = the PCN has no workforce record: unknown, not zero);
* *Patients Registered at a GP Practice*, July 2023, LSOA file: the London practices'
  registered patients per LSOA **2011** (``NO2011`` = patients whose LSOA is not known) and
  each London LSOA's patients at other practices (``geo.data.io.load_registrations``).

Method (two proportional steps, then a change of geography):

1. PCN -> practice (as the bundled ``lw_fte_allocated``): practice ``i`` of PCN ``p`` gets
   ``F_i = F_p x n_i / sum_{k in p} n_k`` with ``n`` = registered patients, December 2025,
   over all the PCN's London practices in the map.
2. Practice -> LSOA: ``F_i`` is shared over the LSOAs where the practice's patients lived in
   July 2023: ``F_il = F_i x m_il / M_i`` with ``m_il`` its patients in LSOA ``l`` and ``M_i``
   all its patients in the file, *including* those with no known LSOA (``NO2011``: their share
   of the FTE cannot be placed and is counted as "residence unknown"). An LSOA's FTE is
   ``sum_i F_il``; per 10,000 residents = ``10,000 x FTE / population``.
3. LSOA 2011 -> 2021: :mod:`geo.data.lsoa_convert` (FTE and patient counts shared by Census
   2021 population where an LSOA split, summed where LSOAs merged).

Unknown FTE. A PCN with no workforce record has unknown FTE. Its practices' FTE is not a number
that can be added, so an LSOA's ``lw_fte`` is the FTE *known* to serve its residents: a lower
bound wherever some residents are registered with such a PCN. How much is missing is given as
``lw_unknown_share``: the share of the LSOA's residents registered at London practices whose
PCN has no workforce record. It is the share of the LSOA's FTE that is unknown if FTE per
patient were the same everywhere; it is a share of patients, not an estimate of FTE, and no
FTE is imputed. ``lw_complete`` is True where no resident's PCN lacks a record.

Vintages differ: registrations by LSOA are July 2023, the practice -> PCN map and practice
list sizes December 2025, the FTE November 2025. Practices opened since July 2023 are not in
the LSOA file (:func:`practices_not_found`): their FTE is not placed on any LSOA. Practices
that merged since keep their July 2023 distribution of patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis import gap
from geo.analysis.gapview import GapParams, compute_need
from geo.data import lsoa_convert
from geo.data.registrations import NO_LSOA

__all__ = [
    "RegistrationMeasure",
    "FTE_KNOWN",
    "FTE_NO_PCN",
    "FTE_NO_RECORD",
    "NO_LSOA",
    "borough_measure",
    "lsoa11_measure",
    "lsoa21_measure",
    "METHOD_NOTE",
    "pcn_lsoa_patients",
    "pcn_residence",
    "pcn_lsoa_patients_21",
    "place_on_lsoas",
    "practice_fte",
    "practices_not_found",
    "add_registration",
    "measure",
    "reg_gaps",
    "summary",
    "unknown_phrase",
]

#: ``fte_status`` of a practice: its PCN has a workforce record (FTE known, maybe 0) ...
FTE_KNOWN = "known"
#: ... its PCN has no workforce record (FTE unknown, not zero) ...
FTE_NO_RECORD = "PCN has no workforce record"
#: ... it is in no PCN ("U" in the map): no PCN link-worker FTE is attributed to it.
FTE_NO_PCN = "not in a PCN"

#: Text for the method page (the vintages differ; what unknown means).
METHOD_NOTE = (
    "Link workers by registration: each Primary Care Network's social prescribing link-worker "
    "FTE (NHS England PCN Workforce, November 2025) is shared among its practices in proportion "
    "to their registered patients (December 2025 practice list), then over the neighbourhoods "
    "(LSOAs) where each practice's patients live, in proportion to its patients there (Patients "
    "Registered at a GP Practice, LSOA file, July 2023). The vintages differ: where patients "
    "live is from July 2023, the practice to PCN map and list sizes from December 2025 and the "
    "FTE from November 2025. Practices opened since July 2023 are not in the July 2023 file and "
    "their FTE is not placed; practices that merged since keep their July 2023 patients' "
    "neighbourhoods. LSOA 2011 figures are moved to LSOA 2021 with the ONS exact-fit lookup "
    "(shared by Census 2021 population where an LSOA split, summed where LSOAs merged). A PCN "
    "with no workforce record has unknown FTE, not zero: a neighbourhood's FTE counts only "
    "known FTE (a lower bound), and the share of its residents registered with such PCNs is "
    "shown beside it. Link workers employed by practices, councils or charities are not counted."
)

_COUNTS = [
    "patients_registered",
    "patients_london_practices",
    "patients_known",
    "patients_unknown",
    "patients_no_pcn",
    "lw_fte",
]


def practice_fte(practices: pd.DataFrame, pcns: pd.DataFrame) -> pd.DataFrame:
    """Each London practice's share of its PCN's link-worker FTE (by registered patients).

    Parameters
    ----------
    practices
        Every London practice of the December 2025 map (the ``gp_practice`` rows of the
        service directory): ``practice_code``, ``name``, ``pcn_code`` (None = in no PCN),
        ``pcn_name``, ``registered_patients``; ``borough_code`` when present.
    pcns
        ``geo.data.io.load_link_workers()``, indexed by ``pcn_code``: ``lw_fte`` (NaN = no
        workforce record), ``registered_patients`` (the PCN's London practices),
        ``has_workforce_record``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``practice_code`` (sorted): ``name``, ``pcn_code``, ``pcn_name``,
        ``registered_patients`` (and ``borough_code`` when given), ``fte_status`` (:data:`FTE_KNOWN`,
        :data:`FTE_NO_RECORD` or :data:`FTE_NO_PCN`) and ``lw_fte_allocated``
        (``F_p x n_i / sum n``; NaN for :data:`FTE_NO_RECORD`, 0 for :data:`FTE_NO_PCN`).
    """
    df = pd.DataFrame(practices).set_index("practice_code").sort_index()
    df["pcn_code"] = df["pcn_code"].astype(object).where(df["pcn_code"].notna(), None)
    pcn = pcns.reindex(df["pcn_code"])
    in_pcn = df["pcn_code"].notna().to_numpy()
    record = pcn["has_workforce_record"].fillna(False).to_numpy(dtype=bool)
    status = np.where(~in_pcn, FTE_NO_PCN, np.where(record, FTE_KNOWN, FTE_NO_RECORD))
    share = df["registered_patients"].to_numpy(dtype="float64") / pcn[
        "registered_patients"
    ].to_numpy(dtype="float64")
    fte = pcn["lw_fte"].to_numpy(dtype="float64") * share
    fte = np.where(status == FTE_NO_PCN, 0.0, np.where(status == FTE_KNOWN, fte, np.nan))
    keep = ["name", "pcn_code", "pcn_name", "registered_patients", "borough_code"]
    out = df[[c for c in keep if c in df.columns]].copy()
    out["fte_status"] = status
    out["lw_fte_allocated"] = fte
    return out


def place_on_lsoas(practices: pd.DataFrame, registrations: pd.DataFrame) -> pd.DataFrame:
    """Each practice's FTE shared over the LSOAs where its patients live (July 2023).

    Parameters
    ----------
    practices
        :func:`practice_fte` output.
    registrations
        ``geo.data.io.load_registrations()`` (or the July 2023 file's rows of all England).

    Returns
    -------
    pandas.DataFrame
        One row per London practice found in ``registrations`` and LSOA (including
        :data:`NO_LSOA`): ``practice_code``, ``pcn_code``, ``fte_status``, ``lsoa11_code``,
        ``patients``, ``share`` (of the practice's patients in the file) and ``lw_fte``
        (``lw_fte_allocated x share``; NaN where the practice's FTE is unknown).
    """
    reg = registrations[registrations["practice_code"].isin(practices.index)]
    total = reg.groupby("practice_code")["patients"].transform("sum")
    p = practices.reindex(reg["practice_code"])
    share = (reg["patients"] / total).to_numpy(dtype="float64")
    return pd.DataFrame(
        {
            "practice_code": reg["practice_code"].to_numpy(),
            "pcn_code": p["pcn_code"].to_numpy(),
            "fte_status": p["fte_status"].to_numpy(),
            "lsoa11_code": reg["lsoa11_code"].to_numpy(),
            "patients": reg["patients"].to_numpy(),
            "share": share,
            "lw_fte": p["lw_fte_allocated"].to_numpy(dtype="float64") * share,
        }
    ).reset_index(drop=True)


def practices_not_found(practices: pd.DataFrame, registrations: pd.DataFrame) -> pd.DataFrame:
    """London practices of the December 2025 map that are not in the July 2023 LSOA file.

    Their patients' LSOAs are unknown, so their FTE (``lw_fte_allocated``) is placed on no
    LSOA: it is reported here and in :func:`summary` (``fte_not_placed``), not spread over
    other practices' patients.

    Returns
    -------
    pandas.DataFrame
        :func:`practice_fte` rows (indexed by ``practice_code``) with ``what_happens``.
    """
    missing = practices[
        ~practices.index.isin(registrations["practice_code"].dropna().unique())
    ].copy()
    what = {
        FTE_KNOWN: "PCN FTE share not placed on any LSOA (no July 2023 residence data)",
        FTE_NO_RECORD: "PCN has no workforce record: no FTE to place",
        FTE_NO_PCN: "in no PCN: no PCN link-worker FTE",
    }
    missing["what_happens"] = missing["fte_status"].map(what)
    return missing


def lsoa11_measure(
    placed: pd.DataFrame, registrations: pd.DataFrame, population11: pd.Series
) -> pd.DataFrame:
    """Link-worker FTE serving each LSOA 2011's residents, by registration.

    Parameters
    ----------
    placed
        :func:`place_on_lsoas` output.
    registrations
        ``geo.data.io.load_registrations()`` (for all patients living in each LSOA, at any
        practice in England).
    population11
        Residents per LSOA 2011, indexed by code; its index is the set of LSOAs returned (e.g.
        London's 4,835 with ONS mid-2020 estimates).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa11_code``: ``population``; patient counts (July 2023):
        ``patients_registered`` (all practices), ``patients_london_practices`` (the London
        practices found), of whom ``patients_known`` (PCN with a workforce record),
        ``patients_unknown`` (PCN without) and ``patients_no_pcn``; ``lw_fte`` (known FTE, a
        lower bound where ``lw_unknown_share`` > 0), ``lw_per_10k`` (per 10,000 residents),
        ``lw_unknown_share`` (``patients_unknown / patients_london_practices``),
        ``lw_complete``, ``no_pcn_share`` and ``elsewhere_share`` (share of the LSOA's
        registered residents at practices not in the London map: outside London, or closed
        or merged by December 2025).
    """
    return _finish(_lsoa_counts(placed, registrations, population11.index), population11)


def _lsoa_counts(
    placed: pd.DataFrame, registrations: pd.DataFrame, lsoas: pd.Index
) -> pd.DataFrame:
    frame = placed[placed["lsoa11_code"].isin(lsoas)]
    status = frame["fte_status"]
    pts = frame["patients"].astype("float64")
    parts = pd.DataFrame(
        {
            "lsoa11_code": frame["lsoa11_code"],
            "patients_london_practices": pts,
            "patients_known": pts.where(status.eq(FTE_KNOWN), 0.0),
            "patients_unknown": pts.where(status.eq(FTE_NO_RECORD), 0.0),
            "patients_no_pcn": pts.where(status.eq(FTE_NO_PCN), 0.0),
            "lw_fte": frame["lw_fte"].fillna(0.0),
        }
    )
    out = parts.groupby("lsoa11_code").sum().reindex(lsoas).fillna(0.0)
    reg = registrations[registrations["lsoa11_code"].isin(lsoas)]
    out.insert(
        0,
        "patients_registered",
        reg.groupby("lsoa11_code")["patients"].sum().reindex(lsoas).fillna(0).astype("float64"),
    )
    out.index.name = "lsoa11_code"
    return out


def _finish(counts: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """Ratios from counts (shared by the 2011 and 2021 tables)."""
    out = counts[_COUNTS].copy()
    out.insert(0, "population", population.reindex(out.index).astype("float64"))
    pop = out["population"].where(out["population"] > 0)
    london = out["patients_london_practices"].where(out["patients_london_practices"] > 0)
    reg = out["patients_registered"].where(out["patients_registered"] > 0)
    out["lw_per_10k"] = 10_000 * out["lw_fte"] / pop
    out["lw_unknown_share"] = out["patients_unknown"] / london
    out["lw_complete"] = out["lw_unknown_share"].fillna(0.0).eq(0.0)
    out["no_pcn_share"] = out["patients_no_pcn"] / london
    out["elsewhere_share"] = 1.0 - out["patients_london_practices"] / reg
    return out


def lsoa21_measure(
    table11: pd.DataFrame, weights: pd.DataFrame, population21: pd.Series
) -> pd.DataFrame:
    """:func:`lsoa11_measure` on LSOAs 2021 (counts moved by :mod:`geo.data.lsoa_convert`).

    FTE and patient counts of a split LSOA are shared among its pieces by Census 2021
    population, those of merged LSOAs summed; ratios are then recomputed with Census 2021
    population.

    Parameters
    ----------
    table11
        :func:`lsoa11_measure` output.
    weights
        :func:`geo.data.lsoa_convert.lsoa_weights` for the same LSOAs.
    population21
        Census 2021 residents per LSOA 2021.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code``, the columns of :func:`lsoa11_measure` plus
        ``lsoa_change`` (the lookup's change code).
    """
    counts = lsoa_convert.to_lsoa21_sum(table11, weights, _COUNTS)
    out = _finish(counts, population21)
    change = weights.groupby("lsoa21_code")["change_code"].agg(lambda s: "; ".join(sorted(set(s))))
    out["lsoa_change"] = change.reindex(out.index)
    return out


def borough_measure(table: pd.DataFrame, borough_codes: pd.Series) -> pd.DataFrame:
    """Per borough: the sums of its LSOAs' counts and the same ratios.

    Parameters
    ----------
    table
        :func:`lsoa11_measure` or :func:`lsoa21_measure` output.
    borough_codes
        Borough code per LSOA (same index as ``table``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``borough_code``: ``population``, the counts and ratios of the LSOA table.
    """
    cols = ["population", *_COUNTS]
    sums = table[cols].groupby(borough_codes.reindex(table.index).to_numpy()).sum()
    out = _finish(sums.drop(columns="population"), sums["population"])
    out.index.name = "borough_code"
    return out


def pcn_lsoa_patients(
    placed: pd.DataFrame, registrations: pd.DataFrame, lsoas: pd.Index
) -> pd.DataFrame:
    """Where each PCN's patients live: patients per PCN and LSOA 2011, and the PCN's share.

    Parameters
    ----------
    placed
        :func:`place_on_lsoas` output.
    registrations
        ``geo.data.io.load_registrations()``.
    lsoas
        The LSOAs 2011 to keep (e.g. London's).

    Returns
    -------
    pandas.DataFrame
        One row per PCN and LSOA with at least one of its patients: ``pcn_code``,
        ``lsoa11_code``, ``pcn_patients`` (July 2023, the PCN's December 2025 practices found in
        the file), ``lsoa_patients`` (all patients living in the LSOA, any practice) and
        ``pcn_share`` (``pcn_patients / lsoa_patients``), sorted by PCN and descending
        patients.
    """
    frame = placed[placed["pcn_code"].notna() & placed["lsoa11_code"].isin(lsoas)]
    out = (
        frame.groupby(["pcn_code", "lsoa11_code"])["patients"]
        .sum()
        .rename("pcn_patients")
        .reset_index()
    )
    reg = registrations[registrations["lsoa11_code"].isin(lsoas)]
    total = reg.groupby("lsoa11_code")["patients"].sum()
    out["lsoa_patients"] = total.reindex(out["lsoa11_code"]).to_numpy()
    out["pcn_share"] = out["pcn_patients"] / out["lsoa_patients"]
    return out.sort_values(
        ["pcn_code", "pcn_patients", "lsoa11_code"], ascending=[True, False, True]
    ).reset_index(drop=True)


def pcn_lsoa_patients_21(pcn11: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """:func:`pcn_lsoa_patients` on LSOAs 2021 (counts moved by :mod:`geo.data.lsoa_convert`).

    Returns
    -------
    pandas.DataFrame
        ``pcn_code``, ``lsoa21_code``, ``pcn_patients``, ``lsoa_patients``, ``pcn_share``
        (patients are fractional where an LSOA split).
    """
    lsoa_pat = pcn11.drop_duplicates("lsoa11_code").set_index("lsoa11_code")[["lsoa_patients"]]
    lsoa21 = lsoa_convert.to_lsoa21_sum(lsoa_pat, weights, ["lsoa_patients"])
    w = weights[["lsoa11_code", "lsoa21_code", "weight"]]
    moved = pcn11[["pcn_code", "lsoa11_code", "pcn_patients"]].merge(w, on="lsoa11_code")
    moved["pcn_patients"] = moved["pcn_patients"] * moved["weight"]
    out = moved.groupby(["pcn_code", "lsoa21_code"])["pcn_patients"].sum().reset_index()
    out["lsoa_patients"] = lsoa21["lsoa_patients"].reindex(out["lsoa21_code"]).to_numpy()
    out["pcn_share"] = out["pcn_patients"] / out["lsoa_patients"]
    return out.sort_values(
        ["pcn_code", "pcn_patients", "lsoa21_code"], ascending=[True, False, True]
    ).reset_index(drop=True)


def pcn_residence(placed: pd.DataFrame, lsoas: pd.Index) -> pd.DataFrame:
    """Where each PCN's patients live, in totals (for the PCN view's headline figures).

    Parameters
    ----------
    placed
        :func:`place_on_lsoas` output.
    lsoas
        London's LSOAs (2011).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``pcn_code``: ``practices_found`` (in the July 2023 file), ``patients``
        (July 2023), ``patients_london`` (living in ``lsoas``), ``patients_outside_london``,
        ``patients_residence_unknown`` (:data:`NO_LSOA`), ``lsoas`` (London LSOAs with at
        least one patient) and ``lw_fte_london`` (the PCN's FTE placed on London LSOAs; NaN if
        unknown).
    """
    df = placed[placed["pcn_code"].notna()]
    london = df["lsoa11_code"].isin(lsoas)
    unknown = df["lsoa11_code"].eq(NO_LSOA)
    frame = pd.DataFrame(
        {
            "pcn_code": df["pcn_code"],
            "patients": df["patients"],
            "patients_london": df["patients"].where(london, 0),
            "patients_outside_london": df["patients"].where(~london & ~unknown, 0),
            "patients_residence_unknown": df["patients"].where(unknown, 0),
            "lw_fte_london": df["lw_fte"].where(london, 0.0),
        }
    )
    g = frame.groupby("pcn_code")
    out = g[
        ["patients", "patients_london", "patients_outside_london", "patients_residence_unknown"]
    ].sum()
    out.insert(0, "practices_found", df.groupby("pcn_code")["practice_code"].nunique())
    out["lsoas"] = df[london].groupby("pcn_code")["lsoa11_code"].nunique().reindex(out.index)
    known = df.groupby("pcn_code")["fte_status"].first().eq(FTE_KNOWN)
    out["lw_fte_london"] = g["lw_fte_london"].sum().where(known)
    return out


def summary(
    practices: pd.DataFrame, placed: pd.DataFrame, lsoas: pd.Index
) -> dict[str, float | int]:
    """The figures a method page and the manifest state.

    Returns
    -------
    dict
        ``practices`` (London practices of the map), ``practices_found`` (in the July 2023
        file), ``fte_total`` (known FTE on all practices), ``fte_placed`` (on the practices
        found), ``fte_not_placed`` (on practices not found), ``fte_london_lsoas``,
        ``fte_outside_london`` (patients living in LSOAs outside ``lsoas``) and
        ``fte_residence_unknown`` (patients with :data:`NO_LSOA`).
    """
    found = practices.index.isin(placed["practice_code"].unique())
    fte = practices["lw_fte_allocated"].fillna(0.0)
    lw = placed["lw_fte"].fillna(0.0)
    in_london = placed["lsoa11_code"].isin(lsoas)
    unknown = placed["lsoa11_code"].eq(NO_LSOA)
    return {
        "practices": len(practices),
        "practices_found": int(found.sum()),
        "fte_total": float(fte.sum()),
        "fte_placed": float(fte[found].sum()),
        "fte_not_placed": float(fte[~found].sum()),
        "fte_london_lsoas": float(lw[in_london].sum()),
        "fte_outside_london": float(lw[~in_london & ~unknown].sum()),
        "fte_residence_unknown": float(lw[unknown].sum()),
    }


# --------------------------------------------------------------------------------------------
# the whole measure from the bundled tables, and its use in the gap finder
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrationMeasure:
    """Link workers by registration, every table the pages and the command line use.

    Attributes
    ----------
    practices
        :func:`practice_fte` (every London practice of the map, with its FTE share).
    placed
        :func:`place_on_lsoas` (practice x LSOA 2011 rows, July 2023).
    lsoa11, lsoa21
        :func:`lsoa11_measure` and :func:`lsoa21_measure` (London's LSOAs).
    pcn11, pcn21
        :func:`pcn_lsoa_patients` and :func:`pcn_lsoa_patients_21` (where each PCN's
        patients live, London LSOAs).
    residence
        :func:`pcn_residence`.
    not_found
        :func:`practices_not_found`.
    figures
        :func:`summary`.
    """

    practices: pd.DataFrame
    placed: pd.DataFrame
    lsoa11: pd.DataFrame
    lsoa21: pd.DataFrame
    pcn11: pd.DataFrame
    pcn21: pd.DataFrame
    residence: pd.DataFrame
    not_found: pd.DataFrame
    figures: dict[str, float | int]

    def lsoas(self, vintage: str) -> pd.DataFrame:
        """The LSOA table of a vintage's geography ("iod2025": 2021, "iod2019": 2011)."""
        return self.lsoa21 if vintage == "iod2025" else self.lsoa11

    def pcn_lsoas(self, vintage: str) -> pd.DataFrame:
        """Where each PCN's patients live, on the vintage's geography, with ``lsoa_code``."""
        frame = self.pcn21 if vintage == "iod2025" else self.pcn11
        col = "lsoa21_code" if vintage == "iod2025" else "lsoa11_code"
        return frame.rename(columns={col: "lsoa_code"})


def measure(
    practices: pd.DataFrame,
    pcns: pd.DataFrame,
    registrations: pd.DataFrame,
    lsoa21: pd.DataFrame,
    lsoa11: pd.DataFrame,
) -> RegistrationMeasure:
    """Link workers by registration from the bundled tables, for both LSOA geographies.

    Parameters
    ----------
    practices
        The London practices (``gp_practice`` rows of ``geo.data.io.load_services``).
    pcns
        ``geo.data.io.load_link_workers()``.
    registrations
        ``geo.data.io.load_registrations()``.
    lsoa21, lsoa11
        ``geo.data.io.load_lsoas("iod2025")`` and ``("iod2019")``: ``population`` (Census
        2021; ONS mid-2020 for 2011), and for 2021 ``lsoa11_codes`` and ``lsoa_change`` (the
        ONS exact-fit lookup).
    """
    prac = practice_fte(practices, pcns)
    placed = place_on_lsoas(prac, registrations)
    pop11 = lsoa11["population"].astype("float64")
    pop21 = lsoa21["population"].astype("float64")
    weights = lsoa_convert.lsoa_weights(lsoa_convert.lookup_from_lsoas(lsoa21), pop21)
    t11 = lsoa11_measure(placed, registrations, pop11)
    t21 = lsoa21_measure(t11, weights, pop21)
    p11 = pcn_lsoa_patients(placed, registrations, pop11.index)
    return RegistrationMeasure(
        practices=prac,
        placed=placed,
        lsoa11=t11,
        lsoa21=t21,
        pcn11=p11,
        pcn21=pcn_lsoa_patients_21(p11, weights),
        residence=pcn_residence(placed, pop11.index),
        not_found=practices_not_found(prac, registrations),
        figures=summary(prac, placed, pop11.index),
    )


#: Above this share of an LSOA's registered residents with a PCN that has no workforce record,
#: its link-worker access is unknown: the gap finder does not rank it (its known FTE alone
#: would make it look like a gap, treating the unknown as zero).
UNKNOWN_MAJORITY = 0.5


def unknown_phrase(share: float) -> str:
    """'' or '(a lower bound: 12% of registered residents are with a PCN with no workforce
    record)' for an LSOA's ``lw_unknown_share``."""
    if pd.isna(share) or share <= 0:
        return ""
    part = f"{share:.0%}" if share >= 0.005 else "under 1%"
    return (
        f" (a lower bound: {part} of its registered residents are with a PCN that has "
        "no workforce record, unknown)"
    )


def add_registration(table: pd.DataFrame, lw: pd.DataFrame | None) -> pd.DataFrame:
    """A gap table with link workers by registration added (``lw_reg_per_10k``,
    ``lw_unknown_share``), from :meth:`RegistrationMeasure.lsoas` of its vintage."""
    if lw is None:
        return table
    out = table.copy()
    out["lw_reg_per_10k"] = lw["lw_per_10k"].reindex(out.index)
    out["lw_unknown_share"] = lw["lw_unknown_share"].reindex(out.index)
    return out


def reg_gaps(
    lsoas: pd.DataFrame,
    lw: pd.DataFrame,
    params: GapParams,
    homes: pd.Series | None = None,
) -> pd.DataFrame:
    """London-wide gap table where access is link-worker FTE serving residents, by registration.

    Access is ``lw["lw_per_10k"]`` (:meth:`RegistrationMeasure.lsoas`: known link-worker FTE
    of the PCNs its residents are registered with, per 10,000 residents; a lower bound where
    ``lw_unknown_share`` > 0); need, gap, classes and ranks are as in
    :func:`geo.analysis.gapview.compute_gaps`. Where more than :data:`UNKNOWN_MAJORITY` of
    the residents' PCNs have no workforce record, access is unknown (NaN): no gap, no rank,
    no class, and the reason says why. There are no ``within_*`` columns: reach is
    by registration, not distance.

    Parameters
    ----------
    lsoas
        All LSOAs of ``params.vintage`` (the gap finder's frame).
    lw
        The measure on the same geography.
    params
        The gap finder's parameters (need weights, demand, vintage).
    homes
        Housing association homes per LSOA (the need boost), or None.
    """
    need = compute_need(lsoas, params, homes)
    rate = lw["lw_per_10k"].reindex(lsoas.index).astype(float).fillna(0.0)
    unknown_share = lw["lw_unknown_share"].reindex(lsoas.index).astype(float)
    acc = (rate / 10_000).where(~unknown_share.gt(UNKNOWN_MAJORITY))
    empty = pd.DataFrame(index=lsoas.index)
    table = gap.gap_table(lsoas, need, acc, empty, empty, catchment=params.catchment)
    deprivation = table["reason"].str.split("; ", n=1).str[0]
    r = rate.reindex(table.index)
    unknown = unknown_share.reindex(table.index)
    table["reason"] = [
        f"{dep}; link-worker capacity unknown, not ranked: {u:.0%} of its registered residents "
        "are with a PCN that has no workforce record"
        if u > UNKNOWN_MAJORITY
        else f"{dep}; {rr:.2f} link-worker FTE per 10,000 residents serve its residents by GP "
        f"registration{unknown_phrase(u)}"
        for dep, rr, u in zip(deprivation, r, unknown, strict=True)
    ]
    classes = gap.bivariate_class(need, acc)
    table["borough_code"] = lsoas["borough_code"].reindex(table.index)
    table["bivariate_class"] = classes.reindex(table.index)
    table["class_label"] = table["bivariate_class"].map(gap.BIVARIATE_LABELS)
    table["demand"] = pd.to_numeric(lsoas[params.demand], errors="coerce").reindex(table.index)
    if homes is not None:
        table["homes"] = homes.reindex(table.index).fillna(0.0)
    for col in ("ha_households", "ha_share"):
        if col in lsoas.columns:
            table[col] = pd.to_numeric(lsoas[col], errors="coerce").reindex(table.index)
    return add_registration(table, lw)
