"""A self-contained HTML report of one borough, for commissioners to take away.

Plain HTML with inline CSS (prints well from a browser, opens in any word processor). Every
value that came from data or an upload is HTML-escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Mapping

import pandas as pd

from geo.data.indicators import DOMAIN_LABELS, DOMAINS

ATTRIBUTION = (
    "Contains National Statistics data © Crown copyright and database right. Contains Ordnance "
    "Survey data © Crown copyright and database right. English Indices of Deprivation, Ministry "
    "of Housing, Communities and Local Government. Open Government Licence v3.0."
)

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:60em;
color:#222;line-height:1.4}
h1{margin-bottom:0}table{border-collapse:collapse;margin:1em 0;font-size:0.9em;width:100%}
th,td{border:1px solid #ccc;padding:0.3em 0.5em;text-align:left}th{background:#f0f0f0}
td.n{text-align:right}.small{color:#555;font-size:0.85em}
"""


def _e(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return html.escape(f"{value:,.3f}".rstrip("0").rstrip("."))
    if isinstance(value, int):
        return html.escape(f"{value:,}")
    return html.escape(str(value))


def table_html(df: pd.DataFrame, *, max_rows: int = 200) -> str:
    """An escaped HTML table of ``df`` (index included when named), numbers right-aligned."""
    frame = df.reset_index() if df.index.name else df
    frame = frame.head(max_rows)
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="n">{_e(v)}</td>'
            if isinstance(v, int | float) and not isinstance(v, bool)
            else f"<td>{_e(v)}</td>"
            for v in (x.item() if hasattr(x, "item") else x for x in values)
        )
        rows.append(f"<tr>{cells}</tr>")
    more = (
        f'<p class="small">First {max_rows:,} of {len(df):,} rows; download the CSV for all.</p>'
        if len(df) > max_rows
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def borough_report(
    borough: pd.Series,
    lsoas: pd.DataFrame,
    *,
    vintage_label: str,
    domain: str,
    gaps: pd.DataFrame | None = None,
    parameters: Mapping[str, object] | None = None,
    today: _dt.date | None = None,
    housing: pd.Series | None = None,
    census_label: str = "Census 2021",
    link_workers: pd.Series | None = None,
    pcns: pd.DataFrame | None = None,
    places: pd.DataFrame | None = None,
    registration: pd.Series | None = None,
) -> str:
    """HTML report for one borough.

    Parameters
    ----------
    borough
        One row of :func:`geo.data.io.load_boroughs` (``borough_name``, ``population``, ``n_lsoa``,
        ``{d}_avg_score``, ``{d}_avg_score_rank``, ``{d}_share_10``, ``{d}_share_20``).
    lsoas
        The borough's neighbourhoods as shown (any columns), most deprived first.
    vintage_label
        e.g. "IoD 2025 (LSOA 2021)".
    domain
        The domain the neighbourhood table is ranked by.
    gaps
        Optional ranked gap table (from the gap finder) to include.
    parameters
        Settings to print (catchment, weights, ...), so the report can be reproduced.
    housing
        The borough row with ``ha_households``, ``ha_share``, ``ha_households_in_10`` /
        ``_in_20`` and ``ha_share_in_10`` / ``_in_20`` (Census), or None.
    census_label
        The Census the housing figures come from.
    link_workers
        A row of :func:`geo.analysis.provision.borough_link_workers` (``lw_per_10k``, ``lw_fte``,
        ``practices``, ``practices_unknown``), or None.
    pcns
        The PCNs serving the borough (any columns), or None.
    places
        Services and places by category and source in the borough, or None.
    registration
        The borough's row of :func:`geo.analysis.registration.borough_measure` (link-worker
        FTE serving its residents by GP registration: ``lw_fte``, ``lw_per_10k``,
        ``lw_unknown_share``), or None.
    """
    today = today or _dt.date.today()
    name = _e(borough["borough_name"])
    key = pd.DataFrame(
        {
            "Domain": [DOMAIN_LABELS[d] for d in DOMAINS],
            "Average score": [float(borough[f"{d}_avg_score"]) for d in DOMAINS],
            "Rank in London (1 = most deprived)": [
                int(borough[f"{d}_avg_score_rank"]) for d in DOMAINS
            ],
            "% LSOAs in most deprived 10%": [
                round(float(borough[f"{d}_share_10"]) * 100, 1) for d in DOMAINS
            ],
            "% LSOAs in most deprived 20%": [
                round(float(borough[f"{d}_share_20"]) * 100, 1) for d in DOMAINS
            ],
        }
    )
    params = "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in (parameters or {}).items())
    extra = []
    if housing is not None:
        extra.append(
            f"<h2>Housing association homes ({_e(census_label)})</h2>"
            f"<p>{_e(int(housing['ha_households']))} households rent from a housing association "
            f"({_e(round(float(housing['ha_share']) * 100, 1))}% of households); "
            f"{_e(int(housing['ha_households_in_10']))} "
            f"({_e(round(float(housing['ha_share_in_10']) * 100, 1))}%) of them live in England's "
            f"most deprived 10% of neighbourhoods and {_e(int(housing['ha_households_in_20']))} "
            f"({_e(round(float(housing['ha_share_in_20']) * 100, 1))}%) in the most deprived "
            '20%.</p><p class="small">ONS Census, tenure: \'social rented: other social '
            "rented'. Households, not dwellings; some tenants mix up council and housing "
            "association landlords.</p>"
        )
    if registration is not None or link_workers is not None:
        extra.append("<h2>Social prescribing link workers</h2>")
    if registration is not None:
        extra.append(
            f"<p>{_e(round(float(registration['lw_fte']), 1))} link-worker FTE serve the "
            f"borough's residents by GP registration: "
            f"{_e(round(float(registration['lw_per_10k']), 2))} per 10,000 residents. "
            f"{_e(round(float(registration['lw_unknown_share']) * 100, 1))}% of its residents "
            "registered at London practices are with a PCN that has no workforce record: "
            "their link workers are unknown, so the figure is a lower bound when this is above "
            '0.</p><p class="small">Each PCN\'s FTE (NHS England, November 2025) shared among '
            "its practices by registered patients (December 2025), then over where each "
            "practice's patients live (July 2023): the vintages differ.</p>"
        )
    if link_workers is not None:
        extra.append(
            f"<p>By practice: {_e(round(float(link_workers['lw_per_10k']), 2))} link-worker FTE per 10,000 "
            f"registered patients of the borough's {_e(int(link_workers['practices']))} GP "
            f"practices ({_e(round(float(link_workers['lw_fte']), 1))} FTE; "
            f"{_e(int(link_workers['practices_unknown']))} practices in PCNs with no workforce "
            'record, unknown).</p><p class="small">NHS England, Primary Care Network '
            "Workforce (November 2025) and Patients Registered at a GP Practice (December "
            "2025); each PCN's FTE shared among its practices by registered patients.</p>"
        )
    if pcns is not None and len(pcns):
        extra.append(f"<h3>Primary Care Networks serving the borough</h3>{table_html(pcns)}")
    if places is not None and len(places):
        extra.append(f"<h2>Services and places by category</h2>{table_html(places)}")
    gap_section = (
        f"<h2>Gap neighbourhoods (high need, low access to services)</h2>{table_html(gaps, max_rows=50)}"
        if gaps is not None and len(gaps)
        else "<h2>Gap neighbourhoods</h2><p>No services or places were used, so access and "
        "gaps are not in this report. Use the bundled directory or upload yours in the app.</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name}: social prescribing need</title>
<style>{_CSS}</style></head><body>
<h1>{name}</h1>
<p class="small">London social prescribing map · {_e(vintage_label)} · report made {today.isoformat()}</p>
<p>Population {_e(int(borough["population"]))} ({_e(census_label if census_label == "Census 2021" else "ONS mid-2020")}) in {_e(int(borough["n_lsoa"]))}
neighbourhoods (LSOAs).</p>
{"".join(extra)}
<h2>Deprivation by domain</h2>
<p class="small">Average score: population-weighted mean of the borough's LSOA scores (MHCLG's
"average score"). Deciles and ranks are national: decile 1 is England's most deprived 10%.</p>
{table_html(key)}
<h2>Most deprived neighbourhoods: {_e(DOMAIN_LABELS[domain])}</h2>
{table_html(lsoas, max_rows=100)}
{gap_section}
{f"<h2>Settings</h2><ul>{params}</ul>" if params else ""}
<h2>Sources</h2>
<p class="small">{html.escape(ATTRIBUTION)} Services: NHS England, NHS website, Arts
Council England, Greater London Authority, DWP (OGL); OS Open Greenspace (OS OpenData);
places of worship © OpenStreetMap contributors (ODbL).</p>
</body></html>
"""


def _fmt_num(value: object, places: int = 0) -> str:
    """A number with thousands separators and ``places`` decimals; 'unknown' when missing."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "unknown"
    if pd.isna(number):
        return "unknown"
    return f"{number:,.{places}f}"


def pcn_report(
    figures: Mapping[str, object],
    code: str,
    practices: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    *,
    vintage_label: str,
    icb_name: str | None = None,
    parameters: Mapping[str, object] | None = None,
    today: _dt.date | None = None,
) -> str:
    """HTML report of one Primary Care Network, for commissioners to take away.

    Parameters
    ----------
    figures
        :func:`geo.analysis.pcnview.pcn_figures` output.
    code
        The PCN code.
    practices
        Its practices as shown (:func:`geo.analysis.pcnview.pcn_practices`).
    neighbourhoods
        The neighbourhoods where its patients live as shown (any columns), most patients first.
    vintage_label
        e.g. "IoD 2025 (LSOA 2021)".
    icb_name
        The commissioning ICB's name, or None.
    parameters
        Settings to print.

    Every value is HTML-escaped.
    """
    today = today or _dt.date.today()
    name = _e(figures.get("name") or code)
    fte = figures.get("lw_fte")
    known = bool(figures.get("has_record")) and not pd.isna(fte)
    if known:
        lw = (
            f"<p>{_e(_fmt_num(fte, 2))} social prescribing link-worker FTE (NHS England, "
            f"November 2025): {_e(_fmt_num(figures.get('lw_per_10k_patients'), 2))} per 10,000 "
            f"of its {_e(_fmt_num(figures.get('patients')))} registered patients (December "
            f"2025); {_e(_fmt_num(figures.get('lw_fte_london'), 2))} FTE serve patients living "
            "in London neighbourhoods.</p>"
        )
    else:
        lw = (
            "<p>This PCN has no London workforce record: its link-worker FTE is unknown, not "
            f"zero. It has {_e(_fmt_num(figures.get('patients')))} registered patients "
            "(December 2025).</p>"
        )
    lives = (
        f"<p>Of its {_e(_fmt_num(figures.get('patients_2023')))} patients in July 2023 (the "
        f"{_e(figures.get('practices_found'))} of its {_e(figures.get('practices'))} practices "
        f"in that file), {_e(_fmt_num(figures.get('patients_london')))} lived in "
        f"{_e(figures.get('lsoas'))} London neighbourhoods, "
        f"{_e(_fmt_num(figures.get('patients_outside_london')))} outside London and "
        f"{_e(_fmt_num(figures.get('patients_residence_unknown')))} where it is not known.</p>"
    )
    params = "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in (parameters or {}).items())
    icb = f" · commissioned by {_e(icb_name)}" if icb_name else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name}: link workers and where its patients live</title>
<style>{_CSS}</style></head><body>
<h1>{name}</h1>
<p class="small">Primary Care Network {_e(code)}{icb} · London social prescribing map ·
{_e(vintage_label)} · report made {today.isoformat()}</p>
<h2>Social prescribing link workers</h2>
{lw}
<h2>Practices</h2>
{table_html(practices)}
<h2>Where its patients live</h2>
{lives}
<p class="small">Share = the PCN's patients living in the neighbourhood divided by all its
residents registered at a GP practice (July 2023). Link workers per 10,000 residents: FTE of
every PCN its residents are registered with, a lower bound where some of them are with a PCN
that has no workforce record. Deprivation: IMD decile, 1 = England's most deprived 10%.</p>
{table_html(neighbourhoods, max_rows=100)}
{f"<h2>Settings</h2><ul>{params}</ul>" if params else ""}
<h2>Sources</h2>
<p class="small">NHS England: Primary Care Network Workforce (November 2025), Patients
Registered at a GP Practice (December 2025 practice list; July 2023 LSOA file); the vintages
differ. {html.escape(ATTRIBUTION)}</p>
</body></html>
"""
