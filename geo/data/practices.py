"""GP practices and Primary Care Networks: the December 2025 practice -> PCN map, registered
patients, and social prescribing link-worker FTE per PCN (November 2025).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo.data.places import place_by_postcode
from geo.data.sources import PCN_WF, PRAC_MAP, PRAC_REG, need_columns

#: The December 2025 extract of the practice list and registered patients.
PRACTICE_EXTRACT = "01Dec2025"


PATIENTS_EXTRACT = "2025-12-01"


LONDON_REGION = "Y56"


LINK_WORKER_ROLE = "Social Prescribing Link Worker"


def read_gp_practices(
    raw: Path, lookup: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """London GP practices in the December 2025 practice -> PCN map, placed by postcode.

    Returns the placed practices (with ``practice_code``, ``pcn_code``, ``pcn_name``,
    ``icb_code``, ``registered_patients``), every practice in the map (placed or not) and notes
    on practices that could not be placed.
    """
    m = pd.read_parquet(raw / PRAC_MAP)
    m = m[m["extract_date"].eq(PRACTICE_EXTRACT) & m["comm_region_code"].eq(LONDON_REGION)]
    reg = pd.read_parquet(raw / PRAC_REG)
    reg = reg[reg["extract_date"].eq(PATIENTS_EXTRACT)].set_index("code")["number_of_patients"]
    df = pd.DataFrame(
        {
            "service_id": "gp:" + m["practice_code"],
            "practice_code": m["practice_code"],
            "name": m["practice_name"].str.strip(),
            "address": None,
            "postcode": m["practice_postcode"],
            "pcn_code": m["pcn_code"].where(m["pcn_code"].ne("U")),
            "pcn_name": m["pcn_name"].where(m["pcn_code"].ne("U")),
            "icb_code": m["icb_code"],
            "registered_patients": reg.reindex(m["practice_code"]).to_numpy(dtype="float64"),
        }
    ).sort_values("service_id")
    df = place_by_postcode(df, lookup)
    notes = []
    lost = df[df["pc_easting"].isna()]
    everyone = df.drop(columns=["pc_easting", "pc_northing"])
    if len(lost):
        notes.append(
            f"{len(lost)} GP practice(s) left out: postcode not a London postcode in Code-Point "
            "Open April 2025: "
            + ", ".join(
                f"{c} ({p})" for c, p in zip(lost["practice_code"], lost["postcode"], strict=True)
            )
        )
    df = df[df["pc_easting"].notna()].copy()
    df["easting"], df["northing"] = df.pop("pc_easting"), df.pop("pc_northing")
    df["location_basis"] = "practice postcode (Code-Point Open)"
    df["capacity"] = df["registered_patients"].fillna(1.0)
    return df, everyone, notes


def link_workers(raw: Path, practices: pd.DataFrame, placed: pd.DataFrame) -> pd.DataFrame:
    """Social prescribing link worker FTE per London Primary Care Network (November 2025).

    For PCN ``p`` with member practices ``i`` (December 2025 map, London):

    - ``lw_fte`` = sum of ``full_time_equivalent`` over the PCN's workforce rows whose
      ``detailed_staff_role`` contains "Social Prescribing Link Worker" (0 when the PCN has a
      workforce record but no link workers; NaN when it has no record at all: unknown);
    - ``registered_patients`` = sum_i patients_i; ``lw_per_10k`` = 10,000 * lw_fte /
      registered_patients.

    Source: NHS England, *Primary Care Network Workforce*, November 2025, individual level.
    """
    wf = pd.read_parquet(raw / PCN_WF)
    need_columns(
        wf, ["pcn_code", "comm_region_code", "detailed_staff_role", "full_time_equivalent"], PCN_WF
    )
    wf = wf[wf["comm_region_code"].eq(LONDON_REGION)]
    lw = wf[wf["detailed_staff_role"].str.contains(LINK_WORKER_ROLE, regex=False, na=False)]
    fte = lw.groupby("pcn_code")["full_time_equivalent"].sum()
    with_pcn = practices[practices["pcn_code"].notna()]
    grouped = with_pcn.groupby("pcn_code")
    names = pd.concat([wf.groupby("pcn_code")["pcn_name"].first(), grouped["pcn_name"].first()])
    names = names[~names.index.duplicated(keep="last")]
    icb = pd.concat([wf.groupby("pcn_code")["icb_code"].first(), grouped["icb_code"].first()])
    icb = icb[~icb.index.duplicated(keep="last")]
    codes = sorted(set(wf["pcn_code"]) | set(with_pcn["pcn_code"]))
    out = pd.DataFrame(index=pd.Index(codes, name="pcn_code"))
    out["pcn_name"] = names.reindex(out.index)
    out["icb_code"] = icb.reindex(out.index)
    out["has_workforce_record"] = out.index.isin(wf["pcn_code"].unique())
    out["lw_fte"] = np.where(
        out["has_workforce_record"], fte.reindex(out.index).fillna(0.0), np.nan
    )
    out["lw_fte"] = out["lw_fte"].round(4)
    out["registered_patients"] = grouped["registered_patients"].sum().reindex(out.index)
    out["lw_per_10k"] = (10_000 * out["lw_fte"] / out["registered_patients"]).round(4)
    out["n_practices"] = grouped.size().reindex(out.index).fillna(0).astype("int64")
    out["practice_codes"] = (
        grouped["practice_code"].agg(lambda s: "; ".join(sorted(s))).reindex(out.index)
    )
    boroughs = placed[placed["pcn_code"].notna()].groupby("pcn_code")["borough_code"]
    out["borough_codes"] = boroughs.agg(lambda s: "; ".join(sorted(set(s.dropna())))).reindex(
        out.index
    )
    return out


def cross_region_pcns(raw: Path, link_workers_table: pd.DataFrame) -> pd.DataFrame:
    """London PCNs without a London (Y56) workforce record whose record is filed elsewhere.

    :func:`link_workers` reads the London region's records only, so such a PCN (one with
    practices on both sides of London's boundary) is "no workforce record" here although the
    workforce file has a record for it under another region: a known limitation, kept so that
    the bundled figures follow one rule, and named in the manifest and on the method page.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``pcn_code``: ``pcn_name``, ``region_codes`` ("; "-joined), ``lw_fte``
        (link-worker FTE in that record), ``n_practices`` (its London practices).
    """
    wf = pd.read_parquet(raw / PCN_WF)
    need_columns(
        wf, ["pcn_code", "comm_region_code", "detailed_staff_role", "full_time_equivalent"], PCN_WF
    )
    unknown = link_workers_table.index[~link_workers_table["has_workforce_record"]]
    rows = wf[wf["pcn_code"].isin(unknown) & wf["comm_region_code"].ne(LONDON_REGION)]
    lw = rows[rows["detailed_staff_role"].str.contains(LINK_WORKER_ROLE, regex=False, na=False)]
    g = rows.groupby("pcn_code")
    out = pd.DataFrame(
        {
            "pcn_name": link_workers_table["pcn_name"].reindex(list(g.groups)),
            "region_codes": g["comm_region_code"].agg(lambda s: "; ".join(sorted(set(s)))),
            "lw_fte": lw.groupby("pcn_code")["full_time_equivalent"].sum().reindex(list(g.groups)),
        }
    )
    out["lw_fte"] = out["lw_fte"].fillna(0.0).round(4)
    out["n_practices"] = link_workers_table["n_practices"].reindex(out.index)
    out.index.name = "pcn_code"
    return out.sort_index()
